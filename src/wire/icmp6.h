// icmp6.h — ICMPv6 (RFC 4443) and Neighbor Discovery (RFC 4861) messages.
//
// Icmp6Repr covers every message's 4-byte header + 4-byte word; the checksum
// covers the IPv6 pseudo header, so parse/emit take the addresses.
//
// Neighbor Discovery messages are parsed with NdRepr from the ICMPv6 body:
//   auto m = Icmp6Repr::parse(src, dst, payload);
//   if (m->type == icmp6::kNeighborSolicit) { auto nd = NdRepr::parse(*m); nd->target ... }
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/error.h"
#include "base/ipaddr.h"

namespace ninet::wire {

namespace icmp6 {
constexpr uint8_t kDstUnreach = 1, kPacketTooBig = 2, kTimeExceeded = 3, kParamProblem = 4,
                  kEchoRequest = 128, kEchoReply = 129, kMldQuery = 130, kMldReport = 131,
                  kMldDone = 132, kRouterSolicit = 133, kRouterAdvert = 134, kNeighborSolicit = 135,
                  kNeighborAdvert = 136, kRedirect = 137, kMld2Report = 143;
// Destination unreachable codes.
constexpr uint8_t kNoRoute = 0, kAdminProhibited = 1, kBeyondScope = 2, kAddrUnreach = 3,
                  kPortUnreach = 4;
// Time exceeded codes.
constexpr uint8_t kHopLimitExceeded = 0, kReasmExceeded = 1;
// Parameter problem codes.
constexpr uint8_t kErroneousField = 0, kUnknownNext = 1, kUnknownOption = 2;
constexpr size_t kHeaderLen = 8;
// ND option types (RFC 4861 section 4.6).
constexpr uint8_t kOptSrcLladdr = 1, kOptTgtLladdr = 2, kOptPrefix = 3, kOptRedirected = 4,
                  kOptMtu = 5;
// NA flags (in the high bits of `rest`).
constexpr uint32_t kNaRouter = 0x80000000, kNaSolicited = 0x40000000, kNaOverride = 0x20000000;
}  // namespace icmp6

struct Icmp6Repr {
  uint8_t type = 0;
  uint8_t code = 0;
  uint32_t rest = 0;              // bytes 4..7 (id/seq, mtu, pointer, flags...)
  std::span<const uint8_t> data;  // after the 8-byte header (parse only)

  // Verifies length >= 8 and the checksum with the pseudo header.
  static Result<Icmp6Repr> parse(const Ipaddr& src, const Ipaddr& dst, std::span<const uint8_t> p);
  uint16_t id() const { return uint16_t(rest >> 16); }
  uint16_t seq() const { return uint16_t(rest); }
  bool is_error() const { return type < 128; }
  // Writes header + body into out and fills the checksum.
  void emit(const Ipaddr& src, const Ipaddr& dst, std::span<uint8_t> out,
            std::span<const uint8_t> body) const;
};

struct NdPrefix {
  uint8_t len = 0;
  bool onlink = false, autonomous = false;
  uint32_t valid_lt = 0, preferred_lt = 0;  // seconds, 0xffffffff = infinity
  Ipaddr prefix;
};

// The ND part of an ICMPv6 message: NS, NA, RS, RA, Redirect.
struct NdRepr {
  Ipaddr target;                  // NS, NA, Redirect
  std::optional<Mac> src_lladdr;  // option 1
  std::optional<Mac> tgt_lladdr;  // option 2
  // RA fields (RFC 4861 section 4.2).
  uint8_t cur_hop_limit = 0;
  bool managed = false, other = false;
  uint16_t router_lifetime = 0;    // seconds
  uint32_t reachable_time = 0;     // ms
  uint32_t retrans_timer = 0;      // ms
  std::optional<uint32_t> mtu;     // option 5
  std::vector<NdPrefix> prefixes;  // option 3 (allocates: ND is not the fast path)

  // Parses the body of an NS/NA/RS/RA (m.type tells which). Fails on a
  // truncated body, an option of length 0, or an option running past the end.
  static Result<NdRepr> parse(const Icmp6Repr& m);
  // Writes the body (everything after the 8-byte ICMPv6 header) for message
  // type `type`: target for NS/NA, RA fields for RA, then options in the order
  // src_lladdr, tgt_lladdr, mtu, prefixes. Returns bytes written, or 0 if out
  // is too small. For RA, `rest` of the Icmp6Repr must be made with ra_rest().
  size_t emit_body(uint8_t type, std::span<uint8_t> out) const;
  uint32_t ra_rest() const;  // cur_hop_limit<<24 | M<<23 | O<<22 | router_lifetime
};

}  // namespace ninet::wire
