// mss.h — pipex's TCP MSS clamping (NOTES.md, "MSS adjust"): a SYN that
// crosses a session advertises no larger a segment than the session's PPP
// link carries, so the two ends never depend on path MTU discovery through
// the tunnel.
//
//   uint16_t max = pipex_max_mss(s.peer_mru, /*v6=*/false);
//   if (adjust_tcp_mss(packet, max)) count(mss_clamped);
//
// adjust_tcp_mss takes a whole IPv4 or IPv6 packet (the span may be longer:
// link padding after the IP length is ignored) and rewrites, in place, every
// MSS option (kind 2, length 4) larger than max_mss of a TCP segment with SYN
// set (with or without ACK), then patches the TCP checksum with RFC 1624
// eqn. 3, taking into account an option that starts at an odd offset (its
// value then straddles two checksummed 16-bit words). It returns true if it
// changed the packet.
//
// It leaves the packet alone, reading nothing outside the span, when:
//  - the IP header is malformed: Ip4Repr::parse or Ip6Repr::parse refuses it
//    (IHL < 5, total length past the span, a bad header checksum, bad
//    options), or ip6_walk cannot walk the IPv6 extension headers;
//  - it is a fragment: IPv4 MF or a nonzero offset, or an IPv6 Fragment
//    header with M or a nonzero offset (an atomic fragment, RFC 6946, is a
//    whole packet and is clamped);
//  - it is not TCP, not a SYN, or the TCP header does not fit (data offset
//    below 20 or past the IP payload);
//  - an option is malformed: a kind other than End and No-Operation without
//    its length byte, a length below 2, or one that runs past the data
//    offset (RFC 9293 3.1, MUST-7). The whole option area is checked before
//    anything is written. (Linux's receiver keeps options it read before
//    such an option, so a SYN built that way reaches it unclamped; our own
//    TCP drops it.)
//
// Not handled: a checksum field that holds only a partial (pseudo-header)
// sum, as with checksum offload (Block::kCsumPartial). The update assumes a
// complete checksum; finish the checksum before clamping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace ninet::pipex {

// Clamps the MSS option(s) of a TCP SYN in ip_packet to max_mss; true if
// the packet changed.
bool adjust_tcp_mss(std::span<uint8_t> ip_packet, uint16_t max_mss);

// The largest MSS that fits a PPP link whose peer accepts peer_mru bytes:
// OpenBSD pipex's peer_mru - 20 (IPv4) - 20 (TCP) - 12 (a timestamps option
// with its two NOPs), NOTES.md. For IPv6 the 40-byte header replaces
// IPv4's: peer_mru - 40 - 20 - 12 (ninet's choice; OpenBSD clamps IPv4
// only). An MRU too small for the headers gives 0.
uint16_t pipex_max_mss(uint16_t peer_mru, bool v6);

// Where the upper-layer protocol of an IPv4 or IPv6 packet lies: the
// packet's header read once for adjust_tcp_mss and is_idle_packet (idle.h).
// nullopt if the IP header is malformed (Ip4Repr::parse, Ip6Repr::parse or
// ip6_walk refuses it). offset + len stays within the IP length, which is
// within the span.
struct UpperLayer {
  bool v6 = false;
  uint8_t proto = 0;      // IPv4 protocol, or IPv6's first non-extension header
  bool fragment = false;  // IPv4 MF or offset; IPv6 Fragment header with M or offset
  size_t offset = 0;      // from the start of the packet
  size_t len = 0;         // to the end of the IP length
};
std::optional<UpperLayer> find_upper_layer(std::span<const uint8_t> ip_packet);

}  // namespace ninet::pipex
