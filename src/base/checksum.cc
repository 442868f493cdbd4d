#include "base/checksum.h"

#include <bit>
#include <cstring>

#include "base/endian.h"
#include "base/ipaddr.h"

namespace ninet {

uint32_t csum_partial(const uint8_t* p, size_t n, uint32_t sum) {
  // The ones' complement sum does not depend on byte order (RFC 1071 section
  // 2(B)): add the words as they lie in memory, 64 bits at a time into a
  // 128-bit accumulator (add with carry), fold, and swap the 16-bit result
  // into network order once at the end.
  // Two accumulators, so that the carry chains of alternate words overlap.
  unsigned __int128 acc = 0, acc2 = 0;
  uint64_t w[4];
  while (n >= 32) {
    std::memcpy(w, p, 32);
    acc += w[0];
    acc2 += w[1];
    acc += w[2];
    acc2 += w[3];
    p += 32;
    n -= 32;
  }
  acc += acc2;
  while (n >= 8) {
    std::memcpy(w, p, 8);
    acc += w[0];
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;  // the last 0-7 bytes, zero padded (an odd byte is a word's first)
  if (n) std::memcpy(&tail, p, n);
  acc += tail;
  // 128 -> 64 -> 16 bits with end-around carries.
  uint64_t x = uint64_t(acc), y = uint64_t(acc >> 64);
  x += y;
  if (x < y) x++;
  x = (x & 0xffffffff) + (x >> 32);
  x = (x & 0xffffffff) + (x >> 32);
  x = (x & 0xffff) + (x >> 16);
  x = (x & 0xffff) + (x >> 16);
  uint64_t r = std::endian::native == std::endian::little ? __builtin_bswap16(uint16_t(x)) : x;
  // Add the start value; fold to at most 17 bits, as callers add more.
  r += sum;
  r = (r & 0xffff) + (r >> 16);
  r = (r & 0xffff) + (r >> 16);
  return uint32_t(r);
}

uint16_t csum_fold(uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

uint32_t csum_pseudo(const Ipaddr& src, const Ipaddr& dst, uint8_t proto, uint32_t len) {
  uint32_t s = 0;
  if (src.is_v4() && dst.is_v4()) {
    s = csum_partial(src.v4_bytes(), 4, s);
    s = csum_partial(dst.v4_bytes(), 4, s);
  } else {
    s = csum_partial(src.data(), 16, s);
    s = csum_partial(dst.data(), 16, s);
  }
  return s + proto + (len >> 16) + (len & 0xffff);
}

uint16_t csum_update16(uint16_t check, uint16_t old, uint16_t now) {
  // RFC 1624: HC' = ~(~HC + ~m + m')
  uint32_t s = uint16_t(~check) + uint32_t(uint16_t(~old)) + now;
  return csum_fold(s);
}

uint16_t csum_update32(uint16_t check, uint32_t old, uint32_t now) {
  check = csum_update16(check, uint16_t(old >> 16), uint16_t(now >> 16));
  return csum_update16(check, uint16_t(old), uint16_t(now));
}

}  // namespace ninet
