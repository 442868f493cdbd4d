// idle.h — which packets keep a pipex session alive (NOTES.md, "Idle
// timer"): the data path resets a session's idle count only for "active"
// traffic, so that background chatter (name lookups, DHCP, NTP, NetBIOS,
// RIP, ICMP errors) does not hold an abandoned session open.
//
//   if (!is_idle_packet(ip_packet)) px.active(session, now);
//
// The rule is OpenBSD's ip_is_idle_packet (sys/net/pipex.c), for IPv4:
//  - a fragment (MF set or a nonzero offset) is active, whatever it holds;
//  - IGMP is active;
//  - ICMP echo request (8) and echo reply (0) are active, every other ICMP
//    type is idle;
//  - TCP and UDP are idle if the source port or the destination port is 53
//    (DNS), 67 or 68 (BOOTP/DHCP), 123 (NTP), 137 (NetBIOS name service) or
//    520 (RIP), else active;
//  - every other protocol is active.
// OpenBSD classifies IPv4 only. ninet applies the same rule to IPv6 (after
// ip6_walk over the extension headers): a fragment (Fragment header with M
// or a nonzero offset; an atomic fragment is whole) is active, TCP and UDP
// follow the port rule, ICMPv6 echo request (128) and reply (129) are active
// and every other ICMPv6 type is idle (MLD too, although IGMP, its IPv4
// counterpart, is active), every other protocol is active.
//
// A malformed packet is idle (no reset), and nothing outside the span is
// read: an IP header that Ip4Repr::parse or Ip6Repr::parse refuses (this
// includes a bad IPv4 header checksum, which OpenBSD does not check), an
// extension header chain ip6_walk refuses, a TCP segment shorter than 20
// bytes, a UDP header shorter than 8, an ICMP or ICMPv6 message shorter than
// its 8-byte header. (OpenBSD reads only 8 bytes of TCP and drops what it
// cannot pull up.)
#pragma once

#include <cstdint>
#include <span>

namespace ninet::pipex {

// True if ip_packet (IPv4 or IPv6) must not reset the session's idle timer.
bool is_idle_packet(std::span<const uint8_t> ip_packet);

}  // namespace ninet::pipex
