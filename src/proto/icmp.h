// icmp.h — the icmp protocol directory (ip(3) ICMP): echo from user
// programs through conversations, echo answered by the stack, ICMP errors
// passed to the protocol of the packet they quote, and icmp/stats.
//
//   ip.add_proto(make_icmp(ip));
//   // a conversation: "connect 10.0.0.1" (or "connect 10.0.0.1!1", as Plan
//   // 9's ping dials); each write of data is one ICMP message, type code
//   // cksum id seq data: the stack sets id = the local port (the echo
//   // identifier, from 5000 up unless given) and the checksum. Reads return
//   // the echo replies with that id from the remote (from anyone for a
//   // broadcast or multicast remote), and errors quoting its echo requests,
//   // as ICMP messages without the IP header.
//
// Echo requests to the stack are answered by the stack from the address
// they were sent to (not for broadcast/multicast IPv4 pings, as Linux).
// Unreachable, time exceeded and parameter problem messages go to
// Proto::advise of the quoted packet's protocol with one of these texts:
//   net unreachable, host unreachable, protocol unreachable, port
//   unreachable, fragmentation needed and DF set: mtu N, source route
//   failed, ..., administratively prohibited (RFC 1812 5.2.7.1 codes 0-15),
//   destination unreachable (other codes), ttl exceeded, fragment
//   reassembly time exceeded, parameter problem.
// Source quench (RFC 6633) and redirects are counted and dropped.
//
// icmp/stats: the 26 lines of ip(3), "Name: value":
//   InMsgs InErrors InUnreachables InTimeExceeds InParmProbs InSrcQuenchs
//   InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks
//   InAddrMaskReps, then the same with Out (OutErrors: messages the stack
//   could not send). InErrors counts bad checksums and lengths (each also a
//   `log` line under `icmp`) and messages dropped for a full read queue.
#pragma once

#include <memory>

#include "ip/ip.h"

namespace ninet {

std::unique_ptr<Proto> make_icmp(Ip& ip);

}  // namespace ninet
