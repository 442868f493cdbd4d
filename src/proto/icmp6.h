// icmp6.h — the icmpv6 protocol directory: as icmp (icmp.h) for ICMPv6
// (echo request 128 / reply 129, the checksum over the IPv6 pseudo header),
// plus the `headers` mode of ip(3): after `announce` and `headers`, every
// read and write carries the 40-byte Icmp6hdr (unused[8] laddr[16]
// raddr[16]) before the message. A write goes to raddr from laddr (laddr is
// overridden unless it is a unicast address of ours); a read shows our
// address as laddr and the sender as raddr, so a responder can write back
// the buffer it read. Headers-mode conversations receive the echo replies
// and errors for their local port, and every message that is not echo, an
// error or Neighbour Discovery (MLD...). Link-local and multicast
// destinations leave by the interface of the source address.
//
// Neighbour Discovery (types 133-137) is the IP layer's (Ip::nd_input) and
// never reaches conversations. Errors (types 0-127, RFC 4443 2.4(d)) go to
// Proto::advise with: no route to destination, administratively
// prohibited, beyond scope of source address, address unreachable, port
// unreachable, source address failed ingress/egress policy, reject route to
// destination, destination unreachable (other codes), packet too big: mtu
// N, hop limit exceeded, fragment reassembly time exceeded, parameter
// problem, or "icmpv6 type T code C".
//
// icmpv6/stats, "Name: value" lines, RFC 2466's names (Linux's snmp6):
//   InMsgs InErrors InDestUnreachs InPktTooBigs InTimeExcds InParmProblems
//   InEchos InEchoReplies InRouterSolicits InRouterAdvertisements
//   InNeighborSolicits InNeighborAdvertisements InRedirects
//   InGroupMembQueries InGroupMembResponses InGroupMembReductions
//   InMLDv2Reports, then the same with Out.
#pragma once

#include <memory>

#include "ip/ip.h"

namespace ninet {

std::unique_ptr<Proto> make_icmp6(Ip& ip);

}  // namespace ninet
