// offload.h — what a NIC's offloads do, in software, for media that have
// none: finishing a TCP/UDP checksum left partial (Block::kCsumPartial), and
// cutting a TCP large segment (Block::gso_size) into wire-sized segments
// (Linux's software GSO, skb_segment). IP calls them just before it hands a
// packet to a medium without the offload; media that take frames from the
// kernel use them on what the kernel left for "hardware".
//
//   if (b->flags & Block::kCsumPartial) finish_l4_checksum(b->span());
//   Batch segs;
//   if (b->gso_size && !gso_segment(*b, pool, segs)) drop;   // segs: IP packets
//
// All of it works on IP packets (no link header): IPv4, or IPv6 with the
// upper-layer header right after the fixed header or after extension
// headers ip6_walk() knows.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "base/ipaddr.h"
#include "buf/block.h"

namespace ninet {

// Where an IP packet's TCP or UDP header and checksum are.
struct L4Loc {
  Ipaddr src, dst;  // v4-mapped for IPv4
  uint8_t proto = 0;
  bool v6 = false;
  size_t l4_off = 0;  // from the start of the IP header
  size_t l4_len = 0;  // TCP/UDP header + payload, as the IP header says
  size_t field = 0;   // the checksum's offset in the TCP/UDP header (16 or 6)
};

// The TCP or UDP header of a whole (unfragmented) IP packet; nothing for
// anything else or anything malformed.
std::optional<L4Loc> locate_l4(std::span<const uint8_t> ip);

// The value a partial checksum field holds: the pseudo-header sum, folded and
// not complemented (what Linux stores for CHECKSUM_PARTIAL).
uint16_t partial_checksum(const L4Loc& l);

// Writes the whole TCP/UDP checksum of an IP packet. False, changing
// nothing, if the packet is not TCP or UDP or is malformed.
bool finish_l4_checksum(std::span<uint8_t> ip);

// Cuts a large segment (an IPv4 or IPv6 packet whose TCP or UDP payload is to
// go in pieces of b.gso_size bytes: TSO/GRO for TCP, UDP_SEGMENT/UDP GRO for
// UDP) into segments, appended to out as IP packets: each with its own IP
// header (IPv4: total length, identification counting up from the
// original's, header checksum; IPv6: payload length) and TCP header
// (sequence number advanced; FIN and PSH only on the last, CWR only on the
// first) or UDP header (its length: each piece is a datagram), and a whole
// checksum. Segments keep b's ifc and flags, kCsumValid instead of
// kCsumPartial (and if b's checksum was known good). False, appending
// nothing, if b is neither or is malformed, or gso_size is 0.
bool gso_segment(const Block& b, Pool& pool, Batch& out);

}  // namespace ninet
