// advice.h — what an ICMP or ICMPv6 error tells the protocol of the packet it
// quotes (Plan 9's advise, typed): the kind of error, the MTU of a Packet Too
// Big, and the quoted transport header, so TCP can update its path MTU (RFC
// 1191, RFC 8201), abort a connection attempt on a hard error (RFC 1122
// 4.2.3.9, RFC 5461) and UDP can report it to the conversation.
//
//   Advice a = Advice::from_icmp(false, 3, 3, 0);   // v4 port unreachable
//   a.kind == Advice::kPortUnreach; a.hard() == true;
//   a.text() == "port unreachable"                  // the conv's err file
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "base/ipaddr.h"

namespace ninet {

struct Advice {
  enum Kind : uint8_t {
    kNetUnreach,       // v4 codes 0, 6, 11; v6 code 0 (no route)
    kHostUnreach,      // v4 codes 1, 7, 8, 12; v6 code 3 (address unreachable)
    kProtoUnreach,     // v4 code 2; v6 parameter problem code 1 (next header)
    kPortUnreach,      // v4 code 3; v6 code 4
    kPacketTooBig,     // v4 code 4 (fragmentation needed, DF set); v6 type 2
    kSourceRoute,      // v4 code 5
    kAdminProhibited,  // v4 codes 9, 10, 13, 14, 15; v6 codes 1, 5, 6
    kScope,            // v6 code 2 (beyond scope of source address)
    kTtlExceeded,      // time exceeded in transit
    kReasmExceeded,    // fragment reassembly time exceeded
    kParamProblem,     // other parameter problems
    kOther             // an error type or code with no meaning above
  };

  Kind kind = kOther;
  bool v6 = false;
  uint8_t type = 0, code = 0;  // as received
  uint32_t mtu = 0;            // kPacketTooBig: the next-hop MTU (0: not given)
  Ipaddr reporter;             // who sent the error
  Ipaddr src, dst;             // the quoted packet's source (ours) and destination
  // The quoted packet from its transport header on (at least 8 bytes of it
  // for IPv4 per RFC 792; as much as fits in 1280 for IPv6).
  std::span<const uint8_t> transport;

  // Classifies an ICMP (v6 false) or ICMPv6 error by type and code; `rest`
  // is the 32 bits after the checksum (the MTU of a too-big message).
  static Advice from_icmp(bool v6, uint8_t type, uint8_t code, uint32_t rest);
  // RFC 1122 4.2.3.9: protocol and port unreachable (and source route
  // failed) are hard errors that end a connection attempt; the rest are soft
  // (report, keep trying). Packet Too Big is neither: it changes the MTU.
  bool hard() const;
  // The text for err files and connect failures: "port unreachable",
  // "fragmentation needed and DF set: mtu 1400", "packet too big: mtu 1280",
  // "hop limit exceeded", "icmp type 5 code 1"...
  std::string text() const;
};

}  // namespace ninet
