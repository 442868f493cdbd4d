// ip6_fuzz — Ip6Repr::parse, Ip6FragRepr and ip6_walk on arbitrary bytes.
//
// The input is tried twice: as a whole IPv6 packet (fixed header, then the
// walk over payload_len bytes of extension headers), and as a bare chain of
// extension headers whose first Next Header value is the first input byte (so
// the walk is fuzzed without a valid fixed header in front).
//
// Invariants: a parsed fixed header emits the exact 40 bytes it came from and
// fits the input with its payload; a successful walk reports offsets within
// what it was given (the upper-layer header starts at or before the end; a
// Fragment header lies entirely inside, before the upper layer; the
// unfragmentable part ends where the Fragment header starts), Hop-by-Hop only
// first, and its Fragment header re-emits to the same bytes but for the
// reserved fields.
//
//   sh tests/fuzz/run.sh 60 ip6_fuzz
#include <cstdint>
#include <cstring>

#include "base/endian.h"
#include "base/fuzz_check.h"
#include "wire/ip4.h"
#include "wire/ip6.h"

namespace ninet::wire {
namespace {

bool is_ext(uint8_t next) {
  return next == ipproto::kHopOpts || next == ipproto::kRouting || next == ipproto::kFragment ||
         next == ipproto::kDstOpts;
}

void check_walk(std::span<const uint8_t> payload, uint8_t next) {
  auto w = ip6_walk(payload, next);
  if (!w) return;
  FUZZ_CHECK(w->offset <= payload.size());
  FUZZ_CHECK(w->unfrag_len <= w->offset);
  FUZZ_CHECK(!w->hop_by_hop || next == ipproto::kHopOpts);
  if (!is_ext(next)) FUZZ_CHECK(w->offset == 0 && w->proto == next && !w->frag);
  if (w->frag) {
    FUZZ_CHECK(w->frag_offset + Ip6FragRepr::kLen <= w->offset);
    FUZZ_CHECK(w->unfrag_len == w->frag_offset);
    FUZZ_CHECK(w->frag->offset % 8 == 0);
    const uint8_t* f = payload.data() + w->frag_offset;
    auto again = Ip6FragRepr::parse(payload.subspan(w->frag_offset));
    FUZZ_CHECK(again && again->next_header == w->frag->next_header &&
               again->offset == w->frag->offset && again->more == w->frag->more &&
               again->ident == w->frag->ident);
    uint8_t out[Ip6FragRepr::kLen];
    w->frag->emit(out);
    FUZZ_CHECK(out[0] == f[0] && out[1] == 0 && load16(out + 2) == (load16(f + 2) & 0xfff9) &&
               std::memcmp(out + 4, f + 4, 4) == 0);
    // A later fragment ends the walk right after its Fragment header.
    if (w->frag->offset != 0)
      FUZZ_CHECK(w->offset == w->frag_offset + Ip6FragRepr::kLen &&
                 w->proto == w->frag->next_header);
  } else {
    FUZZ_CHECK(w->unfrag_len == w->offset);
  }
  // Unless a later fragment stopped it, the walk ends at a non-extension header.
  if (!w->frag || w->frag->offset == 0) FUZZ_CHECK(!is_ext(w->proto));
}

void check_packet(std::span<const uint8_t> in) {
  auto h = Ip6Repr::parse(in);
  if (!h) return;
  FUZZ_CHECK(Ip6Repr::kLen + h->payload_len <= in.size());
  FUZZ_CHECK(h->flow_label <= 0xfffff);
  uint8_t out[Ip6Repr::kLen];
  h->emit(out);
  FUZZ_CHECK(std::memcmp(out, in.data(), Ip6Repr::kLen) == 0);
  check_walk(in.subspan(Ip6Repr::kLen, h->payload_len), h->next_header);
}

}  // namespace
}  // namespace ninet::wire

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ninet::wire::check_packet({data, size});
  if (size > 0) ninet::wire::check_walk({data + 1, size - 1}, data[0]);
  return 0;
}
