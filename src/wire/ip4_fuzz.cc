// ip4_fuzz — Ip4Repr::parse and Ip4View on arbitrary bytes.
//
// Invariants for a header that parses: 20 <= header_len <= 60, header_len <=
// total_len <= the input; emit of the Repr (header_len 20 only: emit writes no
// options) gives the same bytes but for the checksum field (0x0000 and 0xffff
// both verify) and re-parses to the same Repr; after Ip4View edits
// (dec_ttl's RFC 1624 update, set_id, set_frag, set_total_len) the header
// still parses with the new values.
//
//   sh tests/fuzz/run.sh 60 ip4_fuzz
#include <cstdint>
#include <cstring>
#include <vector>

#include "base/endian.h"
#include "base/fuzz_check.h"
#include "wire/ip4.h"

namespace ninet::wire {
namespace {

bool same(const Ip4Repr& a, const Ip4Repr& b) {
  return a.src == b.src && a.dst == b.dst && a.proto == b.proto && a.ttl == b.ttl &&
         a.tos == b.tos && a.id == b.id && a.df == b.df && a.mf == b.mf &&
         a.frag_offset == b.frag_offset && a.total_len == b.total_len &&
         a.header_len == b.header_len;
}

void check(std::span<const uint8_t> in) {
  auto h = Ip4Repr::parse(in);
  if (!h) return;
  FUZZ_CHECK(h->header_len >= ip4::kMinHeader && h->header_len <= 60 && h->header_len % 4 == 0);
  FUZZ_CHECK(h->header_len <= h->total_len && h->total_len <= in.size());
  FUZZ_CHECK(h->payload_len() == h->total_len - h->header_len);
  FUZZ_CHECK(h->frag_offset % 8 == 0);
  FUZZ_CHECK(h->src.is_v4() && h->dst.is_v4());
  FUZZ_CHECK(h->is_fragment() == (h->mf || h->frag_offset != 0));

  // The packet as the stack holds it: total_len bytes.
  std::vector<uint8_t> p(in.begin(), in.begin() + h->total_len);
  if (h->header_len == ip4::kMinHeader) {
    std::vector<uint8_t> out = p;
    h->emit(out.data());
    // Bit 15 of the fragment word (reserved, RFC 791) is not in the Repr.
    uint16_t reserved = load16(p.data() + ip4::kFrag) & 0x8000;
    for (size_t i = 0; i < ip4::kMinHeader; i++) {
      if (i == ip4::kCksum || i == ip4::kCksum + 1) continue;
      if (i == ip4::kFrag && reserved) continue;
      FUZZ_CHECK(out[i] == p[i]);
    }
    auto back = Ip4Repr::parse(out);
    FUZZ_CHECK(back && same(*back, *h));
  }

  // In-place edits keep the header valid.
  Ip4View v(p.data());
  FUZZ_CHECK(v.header_len() == h->header_len);
  if (v.ttl() > 0) {
    v.dec_ttl();
    auto d = Ip4Repr::parse(p);
    FUZZ_CHECK(d && d->ttl == h->ttl - 1);
  }
  v.set_id(uint16_t(~h->id));
  v.set_frag(!h->mf, uint16_t(h->frag_offset ^ 0xfff8), !h->df);
  v.set_total_len(h->header_len);
  auto e = Ip4Repr::parse(p);
  FUZZ_CHECK(e && e->id == uint16_t(~h->id) && e->mf == !h->mf && e->df == !h->df &&
             e->frag_offset == uint16_t(h->frag_offset ^ 0xfff8) && e->total_len == h->header_len);
}

}  // namespace
}  // namespace ninet::wire

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ninet::wire::check({data, size});
  return 0;
}
