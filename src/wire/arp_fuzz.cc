// arp_fuzz — ArpRepr::parse on arbitrary bytes. What parses is Ethernet/IPv4
// request or reply; its emit is the exact 28 bytes it came from, and those
// re-parse to the same Repr.
//
//   sh tests/fuzz/run.sh 60 arp_fuzz
#include <cstdint>
#include <cstring>

#include "base/endian.h"
#include "base/fuzz_check.h"
#include "wire/arp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ninet;
  using namespace ninet::wire;
  auto a = ArpRepr::parse({data, size});
  if (!a) return 0;
  FUZZ_CHECK(size >= ArpRepr::kLen);
  FUZZ_CHECK(a->op == arp::kRequest || a->op == arp::kReply);
  FUZZ_CHECK(a->spa.is_v4() && a->tpa.is_v4());
  FUZZ_CHECK(load16(data + arp::kHtype) == 1 && load16(data + arp::kPtype) == 0x0800);
  uint8_t out[ArpRepr::kLen];
  a->emit(out);
  FUZZ_CHECK(std::memcmp(out, data, ArpRepr::kLen) == 0);
  auto b = ArpRepr::parse(out);
  FUZZ_CHECK(b && b->op == a->op && b->sha == a->sha && b->spa == a->spa && b->tha == a->tha &&
             b->tpa == a->tpa);
  return 0;
}
