// l4csum.h — completing TCP and UDP checksums that Linux left unfinished.
//
// A packet the kernel hands to a device that claims checksum offload (veth,
// most NICs) is CHECKSUM_PARTIAL: the TCP/UDP checksum field holds only the
// pseudo-header sum, for the "hardware" to finish. An AF_PACKET socket on the
// receiving end sees such frames as they are (TP_STATUS_CSUMNOTREADY); a user
// space stack that verifies checksums must finish them first.
//
//   if (h->tp_status & TP_STATUS_CSUMNOTREADY) complete_l4_checksum(b->span());
//   if (holds_partial_checksum(b->span())) b->flags |= Block::kCsumPartial;
#pragma once

#include <cstdint>
#include <span>

namespace ninet {

// Recomputes the TCP or UDP checksum of an untagged Ethernet frame carrying
// IPv4 or IPv6 (whole, not a fragment). Returns false, changing nothing, for
// anything else or anything malformed.
bool complete_l4_checksum(std::span<uint8_t> frame);

// For media that get no CHECKSUM_PARTIAL mark (AF_XDP on veth): true if
// the frame's TCP/UDP checksum field holds exactly the pseudo-header sum
// Linux leaves for the hardware. The medium then marks the block
// Block::kCsumPartial instead of computing anything: the stack does not check
// it, and IP finishes it if the packet is forwarded. A frame corrupted into
// that one value in 65536 gets through unchecked: used only where frames come
// from the local kernel (veth), not from a wire.
bool holds_partial_checksum(std::span<const uint8_t> frame);

}  // namespace ninet
