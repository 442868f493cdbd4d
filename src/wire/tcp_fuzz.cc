// tcp_fuzz — TcpRepr::parse_unchecked on arbitrary bytes.
//
// Invariants for a segment that parses: 20 <= header_bytes <= 60, a multiple
// of 4, within the input; the payload is what follows it; at most 4 SACK
// blocks. Emitting the parsed Repr gives a header that parses back to the
// same fields and options (emit writes its own option layout, so the bytes
// may differ), with a checksum that verifies.
//
//   sh tests/fuzz/run.sh 60 tcp_fuzz
#include <cstdint>
#include <vector>

#include "base/fuzz_check.h"
#include "wire/tcp.h"

namespace ninet::wire {
namespace {

void check(std::span<const uint8_t> in) {
  if (in.size() > 60000) return;  // emit's pseudo header holds 16 bits of length
  auto h = TcpRepr::parse_unchecked(in);
  if (!h) return;
  FUZZ_CHECK(h->header_bytes >= tcp::kMinHeader && h->header_bytes <= tcp::kMaxHeader);
  FUZZ_CHECK(h->header_bytes % 4 == 0 && h->header_bytes <= in.size());
  FUZZ_CHECK(h->payload.size() == in.size() - h->header_bytes);
  FUZZ_CHECK(h->nsack <= tcp::kMaxSackBlocks);

  static const Ipaddr src = *Ipaddr::parse("10.1.2.3"), dst = *Ipaddr::parse("2001:db8::9");
  size_t hl = h->header_len();
  FUZZ_CHECK(hl >= tcp::kMinHeader && hl <= tcp::kMaxHeader && hl % 4 == 0);
  std::vector<uint8_t> seg(hl);
  seg.insert(seg.end(), h->payload.begin(), h->payload.end());
  h->emit(src, dst, seg);
  auto r = TcpRepr::parse(src, dst, seg);
  FUZZ_CHECK(r.ok());
  FUZZ_CHECK(r->src_port == h->src_port && r->dst_port == h->dst_port);
  FUZZ_CHECK(r->seq == h->seq && r->ack == h->ack && r->flags == h->flags);
  FUZZ_CHECK(r->window == h->window && r->urgent == h->urgent && r->reserved == 0);
  FUZZ_CHECK(r->mss == h->mss && r->wscale == h->wscale);
  FUZZ_CHECK(r->sack_permitted == h->sack_permitted);
  FUZZ_CHECK(r->ts.has_value() == h->ts.has_value());
  if (r->ts) FUZZ_CHECK(r->ts->val == h->ts->val && r->ts->ecr == h->ts->ecr);
  FUZZ_CHECK(r->nsack == h->sack_blocks_written());
  for (size_t i = 0; i < r->nsack; i++)
    FUZZ_CHECK(r->sack[i].left == h->sack[i].left && r->sack[i].right == h->sack[i].right);
  FUZZ_CHECK(r->payload.size() == h->payload.size());
}

}  // namespace
}  // namespace ninet::wire

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ninet::wire::check({data, size});
  return 0;
}
