// icmp6_fuzz — Icmp6Repr (checksum with the pseudo header) and the Neighbor
// Discovery body and options (NdRepr) on arbitrary bytes.
//
// Input: src[16] dst[16] message. The message is parsed as received (checksum
// checked) and, so that the fuzzer reaches ND options without forging
// checksums, also read directly as type, code, rest and body:
//   - Icmp6Repr: what parses re-emits to the same bytes (but for the
//     checksum's 0x0000/0xffff spelling); any fields emitted with any
//     addresses parse back;
//   - NdRepr: what parses holds no more prefixes than fit the body, no prefix
//     longer than 128; for NS/NA/RS/RA, emit_body writes exactly what it says
//     and re-parses to the same NdRepr.
//
//   sh tests/fuzz/run.sh 60 icmp6_fuzz
#include <cstdint>
#include <cstring>
#include <vector>

#include "base/endian.h"
#include "base/fuzz_check.h"
#include "wire/icmp6.h"

namespace ninet::wire {
namespace {

bool same(const NdPrefix& a, const NdPrefix& b) {
  return a.len == b.len && a.onlink == b.onlink && a.autonomous == b.autonomous &&
         a.valid_lt == b.valid_lt && a.preferred_lt == b.preferred_lt && a.prefix == b.prefix;
}

bool same(const NdRepr& a, const NdRepr& b, uint8_t type) {
  if (a.src_lladdr != b.src_lladdr || a.tgt_lladdr != b.tgt_lladdr || a.mtu != b.mtu ||
      a.prefixes.size() != b.prefixes.size())
    return false;
  for (size_t i = 0; i < a.prefixes.size(); i++)
    if (!same(a.prefixes[i], b.prefixes[i])) return false;
  if (type == icmp6::kNeighborSolicit || type == icmp6::kNeighborAdvert)
    return a.target == b.target;
  if (type == icmp6::kRouterAdvert)
    return a.cur_hop_limit == b.cur_hop_limit && a.managed == b.managed && a.other == b.other &&
           a.router_lifetime == b.router_lifetime && a.reachable_time == b.reachable_time &&
           a.retrans_timer == b.retrans_timer;
  return true;
}

void check_nd(const Icmp6Repr& m) {
  auto nd = NdRepr::parse(m);
  if (!nd) return;
  FUZZ_CHECK(nd->prefixes.size() * 32 <= m.data.size());
  for (const NdPrefix& p : nd->prefixes)
    FUZZ_CHECK(p.len <= 128);
  if (m.type == icmp6::kRedirect) {
    FUZZ_CHECK(m.data.size() >= 32 && nd->target == Ipaddr(m.data.data()));
    return;  // emit_body does not write Redirects
  }
  if (m.type == icmp6::kRouterAdvert) FUZZ_CHECK(nd->ra_rest() == (m.rest & 0xffc0ffff));

  size_t need = (m.type == icmp6::kNeighborSolicit || m.type == icmp6::kNeighborAdvert) ? 16
                : m.type == icmp6::kRouterAdvert                                        ? 8
                                                                                        : 0;
  need += 8 * (nd->src_lladdr.has_value() + nd->tgt_lladdr.has_value() + nd->mtu.has_value());
  need += 32 * nd->prefixes.size();
  std::vector<uint8_t> body(need + 1, 0xee);
  if (need > 0) FUZZ_CHECK(nd->emit_body(m.type, std::span(body).first(need - 1)) == 0);
  size_t n = nd->emit_body(m.type, body);
  FUZZ_CHECK(n == need && body[need] == 0xee);
  Icmp6Repr again = m;
  if (m.type == icmp6::kRouterAdvert) again.rest = nd->ra_rest();
  again.data = std::span(body).first(n);
  auto back = NdRepr::parse(again);
  FUZZ_CHECK(back && same(*back, *nd, m.type));
}

void check(std::span<const uint8_t> in) {
  if (in.size() < 32) return;
  Ipaddr src(in.data()), dst(in.data() + 16);
  std::span<const uint8_t> msg = in.subspan(32);

  auto m = Icmp6Repr::parse(src, dst, msg);
  if (m) {
    FUZZ_CHECK(msg.size() >= icmp6::kHeaderLen && m->data.size() == msg.size() - 8);
    FUZZ_CHECK(m->is_error() == (msg[0] < 128));
    std::vector<uint8_t> out(msg.size());
    m->emit(src, dst, out, m->data);
    FUZZ_CHECK(out[0] == msg[0] && out[1] == msg[1]);
    FUZZ_CHECK(std::memcmp(out.data() + 4, msg.data() + 4, msg.size() - 4) == 0);
    FUZZ_CHECK(Icmp6Repr::parse(src, dst, out).ok());
  }
  if (msg.size() < icmp6::kHeaderLen) return;

  Icmp6Repr raw;
  raw.type = msg[0];
  raw.code = msg[1];
  raw.rest = load32(msg.data() + 4);
  raw.data = msg.subspan(icmp6::kHeaderLen);
  std::vector<uint8_t> out(msg.size());
  raw.emit(src, dst, out, raw.data);
  auto back = Icmp6Repr::parse(src, dst, out);
  FUZZ_CHECK(back && back->type == raw.type && back->code == raw.code && back->rest == raw.rest &&
             std::memcmp(back->data.data(), raw.data.data(), raw.data.size()) == 0);
  check_nd(raw);
}

}  // namespace
}  // namespace ninet::wire

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ninet::wire::check({data, size});
  return 0;
}
