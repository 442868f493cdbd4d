// SipHash-2-4 against the paper's test vector; ISNs per RFC 6528.
#include "proto/tcp/isn.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace ninet::tcp {
namespace {

// Aumasson and Bernstein, "SipHash: a fast short-input PRF", appendix A:
// key 00 01 .. 0f, message 00 01 .. 0e (15 bytes).
TEST(Isn, SipHashPaperVector) {
  uint64_t k0 = 0x0706050403020100ull, k1 = 0x0f0e0d0c0b0a0908ull;
  std::vector<uint8_t> m(15);
  for (size_t i = 0; i < m.size(); i++)
    m[i] = uint8_t(i);
  EXPECT_EQ(siphash24(k0, k1, m), 0xa129ca6149be45e5ull);
}

TEST(Isn, ClockAdvancesAndTuplesDiffer) {
  std::mt19937 rng(1);
  IsnGen g(rng);
  Ipaddr a = *Ipaddr::parse("10.0.0.1"), b = *Ipaddr::parse("10.0.0.2");
  uint32_t i0 = g.next(a, 5000, b, 80, 0);
  EXPECT_EQ(g.next(a, 5000, b, 80, us(400)) - i0, 100u);  // 4 us per tick
  EXPECT_NE(g.next(a, 5001, b, 80, 0), i0);
  EXPECT_NE(g.next(b, 5000, a, 80, 0), i0);
  std::mt19937 other(2);
  IsnGen h(other);
  EXPECT_NE(h.next(a, 5000, b, 80, 0), i0) << "another secret, another ISN";
}

}  // namespace
}  // namespace ninet::tcp
