// ip6.h — IPv6 header (RFC 8200 section 3), extension header walk, and the
// Fragment header (section 4.5).
//
//   auto h = Ip6Repr::parse(b->span());          // version 6, payload fits
//   auto x = ip6_walk(b->span().subspan(Ip6Repr::kLen), h->next_header);
//   // x->proto: the upper-layer protocol; x->offset: where it starts (from
//   // the end of the fixed header); x->frag: set if a Fragment header was seen.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "base/error.h"
#include "base/ipaddr.h"

namespace ninet::wire {

namespace ip6 {
constexpr size_t kVerTcFlow = 0, kPayloadLen = 4, kNext = 6, kHopLimit = 7, kSrc = 8, kDst = 24;
}  // namespace ip6

struct Ip6Repr {
  static constexpr size_t kLen = 40;
  Ipaddr src, dst;
  uint8_t next_header = 0;
  uint8_t hop_limit = 64;
  uint8_t traffic_class = 0;
  uint32_t flow_label = 0;
  uint16_t payload_len = 0;

  // Checks version 6 and that 40 + payload_len fits in p.
  static Result<Ip6Repr> parse(std::span<const uint8_t> p);
  void emit(uint8_t* out) const;  // writes 40 bytes
};

struct Ip6FragRepr {
  static constexpr size_t kLen = 8;
  uint8_t next_header = 0;
  uint16_t offset = 0;  // bytes (multiple of 8)
  bool more = false;
  uint32_t ident = 0;

  static Result<Ip6FragRepr> parse(std::span<const uint8_t> p);
  void emit(uint8_t* out) const;  // writes 8 bytes
};

struct Ip6Walk {
  uint8_t proto = 0;                // first header that is not Hop-by-Hop/Routing/Fragment/DstOpts
  size_t offset = 0;                // its offset from the end of the fixed 40-byte header
  std::optional<Ip6FragRepr> frag;  // the Fragment header, if any
  size_t frag_offset = 0;           // where the Fragment header starts (valid if frag)
  size_t unfrag_len = 0;            // length of the unfragmentable part (headers before frag)
  bool hop_by_hop = false;          // a Hop-by-Hop header was present (must be first)
};

// Walks extension headers (Hop-by-Hop, Routing, Fragment, Destination Options,
// RFC 8200 section 4) starting with `next` over `payload` (the bytes after the
// fixed header). Stops at the first other header or at a Fragment header whose
// offset is not zero (the rest is not parseable until reassembly). Fails on a
// truncated header, Hop-by-Hop not first, or more than 8 headers.
Result<Ip6Walk> ip6_walk(std::span<const uint8_t> payload, uint8_t next);

}  // namespace ninet::wire
