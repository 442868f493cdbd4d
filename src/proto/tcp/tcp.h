// tcp.h — the tcp protocol directory of ip(3): RFC 9293 connections on the
// Proto/Conv contract (ip/conv.h), with window scaling and timestamps (RFC
// 7323), SACK (RFC 2018) and RACK loss detection (RFC 8985), PRR (RFC
// 6937), CUBIC with HyStart++ (RFC 9438, 9406), RFC 6298 timeouts, RFC
// 5961's defences against blind resets and SYNs, delayed ACKs and Nagle.
//
//   ip.add_proto(make_tcp(ip));       // /net/tcp
//
// ctl messages (beside the generic connect/announce/bind/ttl/tos): close,
// hangup, keepalive [ms], checksum n, tcpporthogdefense on|off, and
// congestion cubic|newreno. A connect write returns when the connection is
// established or has failed ("connection refused", "connection timed
// out"). A conversation whose files are all closed is kept by the protocol
// until its connection has finished (FIN_WAIT, TIME_WAIT), then freed.
#pragma once

#include <memory>

#include "ip/ip.h"

namespace ninet {

std::unique_ptr<Proto> make_tcp(Ip& ip);

}  // namespace ninet
