// endian.h — big-endian (network order) loads and stores on unaligned bytes.
//
//   uint16_t type = load16(frame + 12);
//   store32(hdr + 4, seq);
//   append16(msg, length);   // onto a std::vector<uint8_t> (any push_back container)
#pragma once

#include <cstdint>
#include <cstring>

namespace ninet {

inline uint16_t load16(const uint8_t* p) {
  return uint16_t(p[0] << 8 | p[1]);
}
inline uint32_t load32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
inline void store16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
inline void store32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}

// Appends v in network order to a growing message.
template <class Bytes>
inline void append16(Bytes& b, uint16_t v) {
  b.push_back(uint8_t(v >> 8));
  b.push_back(uint8_t(v));
}
template <class Bytes>
inline void append32(Bytes& b, uint32_t v) {
  append16(b, uint16_t(v >> 16));
  append16(b, uint16_t(v));
}

}  // namespace ninet
