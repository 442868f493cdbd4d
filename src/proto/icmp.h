// icmp.h — the icmp protocol directory (ip(3) ICMP): echo from user
// programs through conversations, echo answered by the stack, ICMP errors
// passed to the protocol of the packet they quote, and icmp/stats.
//
//   ip.add_proto(make_icmp(ip));
//   // a conversation: "connect 10.0.0.1", then each write of data is an ICMP
//   // message (the stack sets id = local port and the checksum); reads return
//   // the echo replies (without the IP header).
#pragma once

#include <memory>

#include "ip/ip.h"

namespace ninet {

std::unique_ptr<Proto> make_icmp(Ip& ip);

}  // namespace ninet
