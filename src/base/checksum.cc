#include "base/checksum.h"

#include "base/endian.h"
#include "base/ipaddr.h"

namespace ninet {

uint32_t csum_partial(const uint8_t* p, size_t n, uint32_t sum) {
  uint64_t s = sum;
  while (n >= 8) {
    s += uint64_t(load32(p)) + load32(p + 4);
    p += 8;
    n -= 8;
  }
  while (n >= 2) {
    s += load16(p);
    p += 2;
    n -= 2;
  }
  if (n) s += uint32_t(p[0]) << 8;
  while (s >> 32)
    s = (s & 0xffffffff) + (s >> 32);
  // Fold to 32 bits without losing carries.
  s = (s & 0xffff) + (s >> 16);
  return uint32_t(s);
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
