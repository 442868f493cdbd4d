#include "proto/tcp/isn.h"

#include <cstring>

namespace ninet::tcp {

namespace {

constexpr uint64_t rotl(uint64_t x, int b) {
  return (x << b) | (x >> (64 - b));
}

struct Sip {
  uint64_t v0, v1, v2, v3;
  void round() {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
  }
  void absorb(uint64_t m) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

uint64_t le64(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++)
    v |= uint64_t(p[i]) << (8 * i);
  return v;
}

// laddr lport raddr rport salt: 37 bytes.
std::array<uint8_t, 37> tuple(const Ipaddr& la, uint16_t lp, const Ipaddr& ra, uint16_t rp,
                              uint8_t salt) {
  std::array<uint8_t, 37> b{};
  std::memcpy(b.data(), la.data(), 16);
  std::memcpy(b.data() + 16, ra.data(), 16);
  b[32] = uint8_t(lp >> 8);
  b[33] = uint8_t(lp);
  b[34] = uint8_t(rp >> 8);
  b[35] = uint8_t(rp);
  b[36] = salt;
  return b;
}

}  // namespace

// The algorithm of Aumasson and Bernstein's paper: c = 2 compression
// rounds per 8-byte word, d = 4 finalization rounds.
uint64_t siphash24(uint64_t k0, uint64_t k1, std::span<const uint8_t> data) {
  Sip s{k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull, k0 ^ 0x6c7967656e657261ull,
        k1 ^ 0x7465646279746573ull};
  size_t n = data.size(), i = 0;
  for (; i + 8 <= n; i += 8)
    s.absorb(le64(data.data() + i, 8));
  s.absorb(le64(data.data() + i, n - i) | (uint64_t(n & 0xff) << 56));
  s.v2 ^= 0xff;
  for (int r = 0; r < 4; r++)
    s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

uint32_t IsnGen::hash(const Ipaddr& laddr, uint16_t lport, const Ipaddr& raddr, uint16_t rport,
                      uint8_t salt) const {
  auto b = tuple(laddr, lport, raddr, rport, salt);
  return uint32_t(siphash24(k0_, k1_, b));
}

uint32_t IsnGen::hash(const Ipaddr& laddr, uint16_t lport, const Ipaddr& raddr, uint16_t rport,
                      uint8_t salt, uint64_t extra) const {
  auto t = tuple(laddr, lport, raddr, rport, salt);
  std::array<uint8_t, 45> b{};
  std::memcpy(b.data(), t.data(), t.size());
  for (int i = 0; i < 8; i++)
    b[37 + size_t(i)] = uint8_t(extra >> (8 * i));
  return uint32_t(siphash24(k0_, k1_, b));
}

uint32_t IsnGen::next(const Ipaddr& laddr, uint16_t lport, const Ipaddr& raddr, uint16_t rport,
                      Time now) const {
  return uint32_t(now / us(4)) + hash(laddr, lport, raddr, rport, 0);
}

}  // namespace ninet::tcp
