// icmp6.h — the icmpv6 protocol directory: as icmp (icmp.h) for ICMPv6,
// plus the `headers` mode of ip(3): after `announce` and `headers`, every
// read and write carries the 40-byte Icmp6hdr (unused[8] laddr[16]
// raddr[16]) before the message. Neighbour Discovery (types 133-137) is the
// IP layer's (Ip::nd_input) and never reaches conversations.
#pragma once

#include <memory>

#include "ip/ip.h"

namespace ninet {

std::unique_ptr<Proto> make_icmp6(Ip& ip);

}  // namespace ninet
