// ppp_fuzz — PppRepr::parse and emit on arbitrary bytes.
//
// A frame that parses has a valid protocol (odd last octet, one byte only
// below 0x100 and never 0xff) and a header of header_len() bytes followed by the payload;
// emitting the Repr gives back exactly those header bytes, and the header
// in front of the payload parses to the same Repr. Independently, any valid
// protocol with any choice of address/control and PFC emits a header that
// parses back to it.
//
//   sh tests/fuzz/run.sh 60 ppp_fuzz
#include <cstdint>
#include <cstring>
#include <vector>

#include "base/endian.h"
#include "base/fuzz_check.h"
#include "wire/ppp.h"

namespace ninet::wire {
namespace {

bool same(const PppRepr& a, const PppRepr& b) {
  return a.protocol == b.protocol && a.acf == b.acf && a.pfc == b.pfc;
}

void check_parse(std::span<const uint8_t> in) {
  auto f = PppRepr::parse(in);
  if (!f) return;
  size_t hl = f->header_len();
  FUZZ_CHECK(hl >= 1 && hl <= 4 && hl <= in.size());
  FUZZ_CHECK(f->payload.data() == in.data() + hl && f->payload.size() == in.size() - hl);
  FUZZ_CHECK(f->protocol & 1);
  FUZZ_CHECK(!f->pfc || (f->protocol < 0x100 && f->protocol != ppp::kReservedFf));
  FUZZ_CHECK(f->acf == (in[0] == ppp::kAddress));
  std::vector<uint8_t> out(in.begin(), in.end());
  std::memset(out.data(), 0, hl);
  f->emit(out.data());
  FUZZ_CHECK(std::memcmp(out.data(), in.data(), hl) == 0);
  auto back = PppRepr::parse(out);
  FUZZ_CHECK(back && same(*back, *f) && back->payload.size() == f->payload.size());
}

void check_emit(std::span<const uint8_t> in) {
  if (in.size() < 3) return;
  PppRepr r;
  // A valid protocol: even first octet, odd last.
  r.protocol = uint16_t((load16(in.data()) & 0xfeff) | 1);
  r.acf = in[2] & 1;
  r.pfc = in[2] & 2;
  std::vector<uint8_t> out(r.header_len() + in.size() - 3);
  r.emit(out.data());
  std::memcpy(out.data() + r.header_len(), in.data() + 3, in.size() - 3);
  auto back = PppRepr::parse(out);
  FUZZ_CHECK(back && back->protocol == r.protocol && back->acf == r.acf);
  FUZZ_CHECK(back->pfc == (r.pfc && r.protocol < 0x100 && r.protocol != ppp::kReservedFf));
  FUZZ_CHECK(back->header_len() == r.header_len() && back->payload.size() == in.size() - 3);
  PppRepr link = PppRepr::for_link(r.protocol, r.acf, r.pfc);
  FUZZ_CHECK(link.protocol != ppp::kLcp || (link.acf && !link.pfc));
}

}  // namespace
}  // namespace ninet::wire

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ninet::wire::check_parse({data, size});
  ninet::wire::check_emit({data, size});
  return 0;
}
