// advice.cc — ICMP/ICMPv6 error classification and texts (advice.h), from
// RFC 792 and RFC 1812 section 5.2.7.1 (IPv4 unreachable codes 0-15) and
// RFC 4443 section 3 (ICMPv6 errors).
#include "ip/advice.h"

#include <iterator>

namespace ninet {

namespace {

struct Code {
  Advice::Kind kind;
  const char* text;
};

constexpr Code kV4Unreach[] = {
    {Advice::kNetUnreach, "net unreachable"},
    {Advice::kHostUnreach, "host unreachable"},
    {Advice::kProtoUnreach, "protocol unreachable"},
    {Advice::kPortUnreach, "port unreachable"},
    {Advice::kPacketTooBig, "fragmentation needed and DF set"},
    {Advice::kSourceRoute, "source route failed"},
    {Advice::kNetUnreach, "destination network unknown"},
    {Advice::kHostUnreach, "destination host unknown"},
    {Advice::kHostUnreach, "source host isolated"},
    {Advice::kAdminProhibited, "network administratively prohibited"},
    {Advice::kAdminProhibited, "host administratively prohibited"},
    {Advice::kNetUnreach, "network unreachable for tos"},
    {Advice::kHostUnreach, "host unreachable for tos"},
    {Advice::kAdminProhibited, "administratively prohibited"},
    {Advice::kAdminProhibited, "host precedence violation"},
    {Advice::kAdminProhibited, "precedence cutoff in effect"},
};

constexpr Code kV6Unreach[] = {
    {Advice::kNetUnreach, "no route to destination"},
    {Advice::kAdminProhibited, "administratively prohibited"},
    {Advice::kScope, "beyond scope of source address"},
    {Advice::kHostUnreach, "address unreachable"},
    {Advice::kPortUnreach, "port unreachable"},
    {Advice::kAdminProhibited, "source address failed ingress/egress policy"},
    {Advice::kAdminProhibited, "reject route to destination"},
};

// Type numbers (wire/icmp.h, wire/icmp6.h; not included to keep ip's
// advice free of the wire headers' other names).
constexpr uint8_t kV4Unreachable = 3, kV4TimeExceeded = 11, kV4ParamProblem = 12;
constexpr uint8_t kV6Unreachable = 1, kV6TooBig = 2, kV6TimeExceeded = 3, kV6ParamProblem = 4;

}  // namespace

Advice Advice::from_icmp(bool v6, uint8_t type, uint8_t code, uint32_t rest) {
  Advice a;
  a.v6 = v6;
  a.type = type;
  a.code = code;
  if (!v6) {
    if (type == kV4Unreachable && code < std::size(kV4Unreach)) a.kind = kV4Unreach[code].kind;
    if (a.kind == kPacketTooBig) a.mtu = rest & 0xffff;  // RFC 1191 section 4
    if (type == kV4TimeExceeded) a.kind = code == 1 ? kReasmExceeded : kTtlExceeded;
    if (type == kV4ParamProblem) a.kind = kParamProblem;
    return a;
  }
  switch (type) {
    case kV6Unreachable:
      if (code < std::size(kV6Unreach)) a.kind = kV6Unreach[code].kind;
      break;
    case kV6TooBig:
      a.kind = kPacketTooBig;
      a.mtu = rest;
      break;
    case kV6TimeExceeded:
      a.kind = code == 1 ? kReasmExceeded : kTtlExceeded;
      break;
    case kV6ParamProblem:
      // RFC 4443 3.4 code 1: unrecognized Next Header -- the protocol is
      // not there, as IPv4's protocol unreachable.
      a.kind = code == 1 ? kProtoUnreach : kParamProblem;
      break;
  }
  return a;
}

bool Advice::hard() const {
  return kind == kProtoUnreach || kind == kPortUnreach || kind == kSourceRoute;
}

std::string Advice::text() const {
  std::string mtu_text = ": mtu " + std::to_string(mtu);
  if (!v6) {
    if (type == kV4Unreachable) {
      if (code >= std::size(kV4Unreach)) return "destination unreachable";
      std::string t = kV4Unreach[code].text;
      return kind == kPacketTooBig ? t + mtu_text : t;
    }
    if (type == kV4TimeExceeded)
      return kind == kReasmExceeded ? "fragment reassembly time exceeded" : "ttl exceeded";
    if (type == kV4ParamProblem) return "parameter problem";
    return "icmp type " + std::to_string(type) + " code " + std::to_string(code);
  }
  switch (type) {
    case kV6Unreachable:
      return code < std::size(kV6Unreach) ? kV6Unreach[code].text : "destination unreachable";
    case kV6TooBig:
      return "packet too big" + mtu_text;
    case kV6TimeExceeded:
      return kind == kReasmExceeded ? "fragment reassembly time exceeded" : "hop limit exceeded";
    case kV6ParamProblem:
      return "parameter problem";
  }
  return "icmpv6 type " + std::to_string(type) + " code " + std::to_string(code);
}

}  // namespace ninet
