// esp.h — ESP's header and trailer (RFC 4303 section 2): what a packet
// carries around its encrypted payload.
//
//   | SPI (32) | Sequence Number (32) | IV (cipher's) | payload ... |
//   | padding 0-255 | Pad Length (8) | Next Header (8) | ICV (auth's) |
//                    \______ encrypted with the payload ______/
//
//   auto h = EspRepr::parse(ip_payload);          // SPI and sequence number
//   ... verify the ICV, decrypt the rest ...
//   auto t = EspTrailer::parse(plaintext);        // after decryption
//   if (t) deliver(plaintext.first(t->payload_len), t->next_header);
//
//   size_t pad = esp_pad_len(inner.size(), block);   // for a sender
//   esp_emit_trailer(at, pad, next_header);          // 1, 2, 3 ... then the two bytes
//
// EspTrailer::parse refuses a pad length past the plaintext and padding that
// is not RFC 4303 2.4's default 1, 2, 3, ... ("the receiver SHOULD inspect
// the Padding field"); a sender that pads otherwise is not one of the
// systems here (Linux and Plan 9 both pad so).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/error.h"

namespace ninet::wire {

namespace esp {
constexpr size_t kHeaderLen = 8;   // SPI and sequence number
constexpr size_t kTrailerLen = 2;  // pad length, next header
constexpr uint8_t kNextIp4 = 4, kNextIp6 = 41, kNextNone = 59;
}  // namespace esp

struct EspRepr {
  uint32_t spi = 0;
  uint32_t seq = 0;

  // The first 8 bytes of an ESP packet (the rest is the protocol's to check).
  static Result<EspRepr> parse(std::span<const uint8_t> p);
  void emit(std::span<uint8_t> out) const;  // 8 bytes
};

struct EspTrailer {
  size_t payload_len = 0;  // bytes before the padding
  uint8_t pad_len = 0;
  uint8_t next_header = 0;

  // The decrypted payload, padding and trailer (the ICV already cut off).
  static Result<EspTrailer> parse(std::span<const uint8_t> plain);
};

// Bytes of padding after a payload of n bytes so that payload, padding and
// the two trailer bytes are a multiple of block (a power of two, 4 or more).
size_t esp_pad_len(size_t n, size_t block);
// Writes pad bytes 1, 2, 3, ..., the pad length and next header at out
// (pad + 2 bytes).
void esp_emit_trailer(uint8_t* out, size_t pad, uint8_t next_header);

}  // namespace ninet::wire
