#include "wire/esp.h"

#include "base/endian.h"

namespace ninet::wire {

Result<EspRepr> EspRepr::parse(std::span<const uint8_t> p) {
  if (p.size() < esp::kHeaderLen) return Error(Err::TooShort, "esp header");
  EspRepr h;
  h.spi = load32(p.data());
  h.seq = load32(p.data() + 4);
  // RFC 4303 2.1: SPI 0 is reserved for local use and never sent; 1-255
  // are IANA's.
  if (h.spi == 0) return Error(Err::BadArg, "esp spi 0");
  return h;
}

void EspRepr::emit(std::span<uint8_t> out) const {
  store32(out.data(), spi);
  store32(out.data() + 4, seq);
}

Result<EspTrailer> EspTrailer::parse(std::span<const uint8_t> plain) {
  if (plain.size() < esp::kTrailerLen) return Error(Err::TooShort, "esp trailer");
  EspTrailer t;
  t.pad_len = plain[plain.size() - 2];
  t.next_header = plain[plain.size() - 1];
  if (size_t(t.pad_len) + esp::kTrailerLen > plain.size())
    return Error(Err::BadArg, "esp pad length past the payload");
  t.payload_len = plain.size() - esp::kTrailerLen - t.pad_len;
  for (size_t i = 0; i < t.pad_len; i++)
    if (plain[t.payload_len + i] != uint8_t(i + 1)) return Error(Err::BadArg, "esp padding");
  return t;
}

size_t esp_pad_len(size_t n, size_t block) {
  return (block - (n + esp::kTrailerLen) % block) % block;
}

void esp_emit_trailer(uint8_t* out, size_t pad, uint8_t next_header) {
  for (size_t i = 0; i < pad; i++)
    out[i] = uint8_t(i + 1);
  out[pad] = uint8_t(pad);
  out[pad + 1] = next_header;
}

}  // namespace ninet::wire
