// udp.h — the udp protocol directory (ip(3) UDP, RFC 768): datagram
// conversations over IPv4 and IPv6.
//
//   ip.add_proto(make_udp(ip));
//   // a client: "connect 10.0.0.1!53" (a local port from 5000 up, below
//   // 1024 with !r, or "connect 10.0.0.1!53 7000"); each write of data is
//   // one datagram, each read returns one (what does not fit is dropped).
//   // a server: "announce 53" (or "announce *": every port nobody else
//   // announced); each new remote address!port becomes a new conversation
//   // that an open of listen returns, holding that datagram and the next
//   // ones from there. With "headers" (ip(3) Udphdr) every datagram goes to
//   // the announced conversation itself, read and written with 52 bytes in
//   // front: raddr[16] laddr[16] ifcaddr[16] rport[2] lport[2] (addresses
//   // v4-mapped for IPv4), so a reply is the buffer read, written back.
//
// Checksums: always sent; a datagram with a bad one, a zero one over IPv6
// (RFC 8200 8.1) or a bad length is dropped and counted (InErrors, a `log`
// line under `udp`); a zero one over IPv4 is accepted unchecked (RFC 768).
// A datagram to a port nobody has is counted (NoPorts) and answered with
// ICMP/ICMPv6 port unreachable, unless it went to a broadcast or multicast
// address. ICMP errors about a connected conversation's datagrams hang it
// up as Plan 9 does (reads return what is queued, then end of file; writes
// fail), with the error's text ("port unreachable") in err, unless
// `ignoreadvice`; Packet Too Big is not an error for UDP. Input hooks on a
// conversation (pipex's L2TP) see the datagrams that find it before its
// read queue does, and on an announced one before a call is made.
//
// udp/stats: InDatagrams (queued for a reader or taken by a hook), NoPorts,
// InErrors (malformed, or dropped for a full read or listen queue), and
// OutDatagrams. status: "Open qin N qout 0" (NOTES.md).
#pragma once

#include <memory>

#include "ip/ip.h"

namespace ninet {

std::unique_ptr<Proto> make_udp(Ip& ip);

}  // namespace ninet
