// icmp_fuzz — IcmpRepr::parse and emit on arbitrary bytes.
//
// Whatever parses has a valid checksum, its body is the input after 8 bytes,
// and re-emitting it reproduces the input (but for the checksum's 0x0000 /
// 0xffff spelling). Independently of the checksum, any input read as type,
// code, rest and body emits a message that parses back to those fields.
//
//   sh tests/fuzz/run.sh 60 icmp_fuzz
#include <cstdint>
#include <cstring>
#include <vector>

#include "base/endian.h"
#include "base/fuzz_check.h"
#include "wire/icmp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ninet;
  using namespace ninet::wire;
  std::span<const uint8_t> in(data, size);
  auto m = IcmpRepr::parse(in);
  if (m) {
    FUZZ_CHECK(size >= icmp::kHeaderLen);
    FUZZ_CHECK(m->data.data() == data + icmp::kHeaderLen && m->data.size() == size - 8);
    FUZZ_CHECK(m->type == data[0] && m->code == data[1] && m->rest == load32(data + 4));
    std::vector<uint8_t> out(size);
    m->emit(out, m->data);
    FUZZ_CHECK(std::memcmp(out.data(), data, 2) == 0);
    FUZZ_CHECK(std::memcmp(out.data() + 4, data + 4, size - 4) == 0);
    FUZZ_CHECK(IcmpRepr::parse(out).ok());
  }
  if (size < icmp::kHeaderLen) return 0;
  IcmpRepr r{data[0], data[1], load32(data + 4), {}};
  std::vector<uint8_t> out(size);
  r.emit(out, in.subspan(icmp::kHeaderLen));
  auto back = IcmpRepr::parse(out);
  FUZZ_CHECK(back && back->type == r.type && back->code == r.code && back->rest == r.rest);
  FUZZ_CHECK(std::memcmp(back->data.data(), data + 8, size - 8) == 0);
  // In place (the echo reply path): the body is already where it goes.
  std::vector<uint8_t> same(data, data + size);
  r.emit(same, std::span(same).subspan(icmp::kHeaderLen));
  FUZZ_CHECK(same == out);
  return 0;
}
