// gre.h — the gre protocol directory (ip(3) GRE, IP protocol 47): one
// conversation per remote address and GRE protocol type, through which a
// program (a PPTP daemon, for what pipex does not claim) reads and writes
// whole GRE datagrams.
//
//   ip.add_proto(make_gre(ip));
//   // "connect 10.0.0.9!34827": the port is the 16-bit protocol type of the
//   // GRE header (ip(3) GRE), in decimal as every ip(3) port and as Plan 9's
//   // pptpd dials it (34827 = 0x880b, PPTP; 2048 = 0x0800, IPv4). Each read
//   // of data returns one datagram from 10.0.0.9 with that protocol type,
//   // starting at its GRE header; each write sends one, starting at its GRE
//   // header, whose protocol type the stack sets to the conversation's.
//
// ip(3): "Announce is not allowed in GRE, only connect" ("gre does not
// support announce"), and a remote address and protocol type belong to one
// conversation ("already connected to that addr/proto", NOTES.md). The
// conversation's local port is 0 (GRE has none); local/remote read
// `addr!0` and `addr!eproto`; status `Datagram Connected qin N qout 0`.
// IPv4 and IPv6 remotes. Plan 9's own code puts the IPv4 source and
// destination (8 bytes) before the GRE header; the page does not, and
// ninet follows the page.
//
// Output: hooks added on a conversation (InputHooks::add_conv) see each
// datagram it writes, after the protocol type is set, and may rewrite it in
// place (InputHook::conv_output; pipex keeps a PPTP daemon's sequence
// numbers in step with its own). Input: what IP protocol 47's input hooks (pipex's PPTP sessions)
// leave comes here. A datagram that wire::GreRepr::parse refuses (shorter than its header, a bad
// checksum, R set, version 2 and up, PPTP's rules for version 1) is counted in InErrors with a
// `log` line under `gre`; one for which no conversation has its source and protocol type is counted
// (NoConvs) and dropped, as Plan 9 does, without an ICMP error. The checksum, key and sequence
// number of what a program writes are its own business.
//
// gre/stats: InErrors (ip(3)'s one number, Plan 9's "len": malformed
// datagrams, and those dropped for a full read queue), then InDatagrams
// (queued for a reader), NoConvs and OutDatagrams.
#pragma once

#include <memory>

#include "ip/ip.h"

namespace ninet {

std::unique_ptr<Proto> make_gre(Ip& ip);

}  // namespace ninet
