// esp_fuzz — EspRepr::parse and EspTrailer::parse on arbitrary bytes.
//
// A header that parses has a non-zero SPI and emits the same 8 bytes. A
// trailer that parses leaves payload_len + pad_len + 2 == the input's size
// and padding 1, 2, 3, ...; emitting a trailer for that payload length (any
// block size 4-16) gives a plaintext that parses back to the same trailer
// and whose length is a multiple of the block.
//
//   sh tests/fuzz/run.sh 60 esp_fuzz
#include <cstdint>
#include <cstring>
#include <vector>

#include "base/fuzz_check.h"
#include "wire/esp.h"

namespace ninet::wire {
namespace {

void check(std::span<const uint8_t> in) {
  const uint8_t* data = in.data();
  const size_t size = in.size();
  if (auto h = EspRepr::parse(in)) {
    FUZZ_CHECK(h->spi != 0);
    uint8_t out[8];
    h->emit(out);
    FUZZ_CHECK(std::memcmp(out, data, 8) == 0);
  }
  if (auto t = EspTrailer::parse(in)) {
    FUZZ_CHECK(t->payload_len + t->pad_len + esp::kTrailerLen == size);
    for (size_t i = 0; i < t->pad_len; i++)
      FUZZ_CHECK(data[t->payload_len + i] == i + 1);
  }
  // A sender's trailer after a payload of the input's bytes.
  const size_t block = size ? size_t(4) << (data[0] % 3) : 4;
  const size_t pad = esp_pad_len(size, block);
  FUZZ_CHECK(pad < block);
  std::vector<uint8_t> plain(size + pad + esp::kTrailerLen);
  if (size) std::memcpy(plain.data(), data, size);
  esp_emit_trailer(plain.data() + size, pad, esp::kNextIp4);
  FUZZ_CHECK(plain.size() % block == 0);
  auto t = EspTrailer::parse(plain);
  FUZZ_CHECK(t && t->payload_len == size && t->pad_len == pad && t->next_header == esp::kNextIp4);
}

}  // namespace
}  // namespace ninet::wire

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ninet::wire::check({data, size});
  return 0;
}
