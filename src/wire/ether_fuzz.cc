// ether_fuzz — EtherRepr::parse on arbitrary bytes. A parsed header emits the
// exact 14 bytes it came from (every bit of the header is a field) and
// re-parses to the same Repr.
//
//   sh tests/fuzz/run.sh 60 ether_fuzz
#include <cstdint>
#include <cstring>

#include "base/fuzz_check.h"
#include "wire/ether.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ninet::wire;
  auto e = EtherRepr::parse({data, size});
  if (!e) {
    FUZZ_CHECK(size < EtherRepr::kLen);
    return 0;
  }
  FUZZ_CHECK(size >= EtherRepr::kLen);
  uint8_t out[EtherRepr::kLen];
  e->emit(out);
  FUZZ_CHECK(std::memcmp(out, data, EtherRepr::kLen) == 0);
  auto back = EtherRepr::parse(out);
  FUZZ_CHECK(back && back->dst == e->dst && back->src == e->src && back->type == e->type);
  return 0;
}
