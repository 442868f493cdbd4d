// text.h — pipex's requests as text, for the tree's `pipex` files, ninetd's
// configuration and the `ninet pipex` tool: a pipex_session_req as a line
// of key=value words, and back. The same fields as the structure, so that
// a daemon on another machine can register a session over 9P.
//
//   auto r = parse_session_req("proto=l2tp id=7 peer-id=9 peer=192.0.2.1!1701 "
//                              "local=192.0.2.2!1701 framed=10.0.0.7 tunnel-id=1 "
//                              "peer-tunnel-id=2 flags=has-acf,adjust-tcpmss");
//   if (!r) return r.error();        // "bad pipex request: peer-id=x"
//   px.ioctl(ifc, PIPEXASESSION, &*r);
//   session_req_text(*r)             // the words back, in a fixed order
//
// Keys (all optional but proto and id; unknown keys and repeated keys are
// errors, so a typo never registers a session without its setting):
//   proto=l2tp|pptp|pppoe  id=N  peer-id=N  ppp-id=N  ccp-id=N  mru=N
//   timeout=SECONDS  flags=F[,F...] with F one of acfc-accepted pfc-accepted
//     acfc-enabled pfc-enabled mppe-accepted mppe-enabled mppe-required has-acf
//     adjust-tcpmss ingress-filter
//   src=A  framed=A  netmask=M  framed6=A6/LEN
//   peer=ADDR!PORT  local=ADDR!PORT          (L2TP, PPTP; IPv4 or IPv6)
//   over=IFNAME  peer-mac=MAC                (PPPoE)
//   tunnel-id peer-tunnel-id ns nr ns-una nr-acked sequencing=on|off  (L2TP)
//   snd-nxt rcv-nxt snd-una rcv-acked winsz maxwinsz peer-maxwinsz      (PPTP)
//   mppe-recv=stateless|stateful,BITS,HEX32  mppe-send=...   (16-byte key in hex)
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/ipaddr.h"
#include "pipex/pipex.h"

namespace ninet::pipex {

// The protocol's name ("l2tp", "pptp", "pppoe") or number; 0 if neither.
int parse_proto(std::string_view s);
const char* proto_name(int proto);  // "?" for an unknown one

Result<pipex_session_req> parse_session_req(std::string_view words);

// The request's addresses as the stack keeps them: an in_addr, and a
// tunnel endpoint (AF_INET or AF_INET6; false for any other family, since
// Linux's sockaddrs have no length field to check as OpenBSD's ss_len).
Ipaddr from_in_addr(const in_addr& a);
bool from_sockaddr(const sockaddr_storage& ss, Ipaddr* addr, uint16_t* port);
std::string session_req_text(const pipex_session_req& r);

}  // namespace ninet::pipex
