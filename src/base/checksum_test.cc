// Tests for the Internet checksum: RFC 1071's worked example, agreement with
// a plain word-by-word reference over random data, pseudo headers, and the
// RFC 1624 incremental update against a full recompute.
#include "base/checksum.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "base/endian.h"
#include "base/ipaddr.h"

namespace ninet {
namespace {

using Bytes = std::vector<uint8_t>;

// The ones' complement sum, folded, one 16-bit word at a time (RFC 1071 section 1).
uint16_t reference_sum(const Bytes& b) {
  uint32_t s = 0;
  for (size_t i = 0; i < b.size(); i += 2) {
    s += uint32_t(b[i]) << 8 | (i + 1 < b.size() ? b[i + 1] : 0);
    s = (s & 0xffff) + (s >> 16);
  }
  return uint16_t(s);
}

TEST(ChecksumTest, Rfc1071Example) {
  // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2; the checksum is 220d.
  Bytes b = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(csum_fold(csum_partial(b.data(), b.size(), 0)), 0x220d);
  EXPECT_EQ(uint16_t(~csum_fold(csum_partial(b.data(), b.size(), 0))), 0xddf2);
  // Summed in two parts at an even boundary, with the first as the start value.
  uint32_t s = csum_partial(b.data(), 2, 0);
  s = csum_partial(b.data() + 2, 6, s);
  EXPECT_EQ(csum_fold(s), 0x220d);
  // A buffer with its own checksum appended verifies to zero.
  b.push_back(0x22);
  b.push_back(0x0d);
  EXPECT_EQ(csum_fold(csum_partial(b.data(), b.size(), 0)), 0);
}

TEST(ChecksumTest, OddLengthPadsWithZero) {
  Bytes odd = {0x12, 0x34, 0x56};
  Bytes even = {0x12, 0x34, 0x56, 0x00};
  EXPECT_EQ(csum_fold(csum_partial(odd.data(), 3, 0)), csum_fold(csum_partial(even.data(), 4, 0)));
  EXPECT_EQ(csum_fold(csum_partial(odd.data(), 3, 0)), uint16_t(~0x6834));
}

TEST(ChecksumTest, EmptyAndAllOnes) {
  EXPECT_EQ(csum_fold(csum_partial(nullptr, 0, 0)), 0xffff);
  // 64 KiB of 0xff: every addition carries; the sum stays ffff ("negative zero").
  Bytes ones(65536, 0xff);
  EXPECT_EQ(csum_fold(csum_partial(ones.data(), ones.size(), 0)), 0);
  EXPECT_EQ(csum_fold(csum_partial(ones.data(), ones.size(), 0xffffffff)), 0);
}

TEST(ChecksumTest, MatchesReferenceOverRandomData) {
  std::mt19937 rng(1071);
  for (int iter = 0; iter < 2000; iter++) {
    Bytes b(rng() % 1600);
    uint8_t bias = uint8_t(rng());  // some buffers mostly 0xff, to exercise carries
    for (auto& x : b)
      x = rng() % 4 ? uint8_t(rng()) | bias : uint8_t(rng());
    uint16_t want = uint16_t(~reference_sum(b));
    ASSERT_EQ(csum_fold(csum_partial(b.data(), b.size(), 0)), want) << b.size();
    // At any alignment in memory.
    Bytes shifted(b.size() + 7);
    const size_t off = rng() % 8;
    std::copy(b.begin(), b.end(), shifted.begin() + ptrdiff_t(off));
    ASSERT_EQ(csum_fold(csum_partial(shifted.data() + off, b.size(), 0)), want) << off;
    // Any even split, carried through the start value, gives the same result.
    size_t cut = b.empty() ? 0 : (rng() % b.size()) & ~size_t(1);
    uint32_t s = csum_partial(b.data(), cut, 0);
    ASSERT_EQ(csum_fold(csum_partial(b.data() + cut, b.size() - cut, s)), want);
  }
}

TEST(ChecksumTest, PseudoHeaders) {
  // UDP 192.168.0.1 -> 192.168.0.199, length 95 (RFC 768): c0a8+0001+c0a8+00c7
  // +0011+005f = 0x8289 after the carry.
  uint32_t s4 = csum_pseudo(Ipaddr::v4(192, 168, 0, 1), Ipaddr::v4(192, 168, 0, 199), 17, 95);
  EXPECT_EQ(uint16_t(~csum_fold(s4)), 0x8289);
  // ICMPv6 2001:db8::1 -> 2001:db8::2, length 12 (RFC 8200 8.1): 0x5bbb.
  uint32_t s6 = csum_pseudo(*Ipaddr::parse("2001:db8::1"), *Ipaddr::parse("2001:db8::2"), 58, 12);
  EXPECT_EQ(uint16_t(~csum_fold(s6)), 0x5bbb);
  // The upper-layer length is 32 bits in the v6 pseudo header.
  uint32_t big = csum_pseudo(*Ipaddr::parse("::1"), *Ipaddr::parse("::1"), 58, 0x12345);
  EXPECT_EQ(uint16_t(~csum_fold(big)), uint16_t(1 + 1 + 58 + 0x1 + 0x2345));
  // One v4 and one v6 address: the v6 form, over all 16 bytes (the v4-mapped
  // prefix included): ffff + 0102 + 0304 + 0001 = 0x10406 -> 0x0407.
  uint32_t mixed = csum_pseudo(Ipaddr::v4(1, 2, 3, 4), *Ipaddr::parse("::1"), 0, 0);
  EXPECT_EQ(uint16_t(~csum_fold(mixed)), 0x0407);
}

TEST(ChecksumTest, Rfc1624Example) {
  // RFC 1624 section 4: checksum 0xdd2f, a field 0x5555 becomes 0x3285; eqn. 3
  // gives 0x0000 (eqn. 2 would give the wrong 0xffff).
  EXPECT_EQ(csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
}

TEST(ChecksumTest, IncrementalUpdateEqualsFullRecompute) {
  std::mt19937 rng(1624);
  for (int iter = 0; iter < 20000; iter++) {
    // A header-like buffer: the first word is never zero (as an IP header's is not).
    Bytes h(2 * (10 + rng() % 22));  // 20 to 62 bytes
    for (auto& x : h)
      x = uint8_t(rng());
    h[0] = 0x45;
    const size_t ck = 2 * (1 + rng() % (h.size() / 2 - 1));  // the checksum word
    store16(h.data() + ck, 0);
    store16(h.data() + ck, csum_fold(csum_partial(h.data(), h.size(), 0)));

    if (iter % 2) {  // a 16-bit field
      size_t w;
      do
        w = 2 * (rng() % (h.size() / 2));
      while (w == ck || w == 0);
      uint16_t old = load16(h.data() + w), now = uint16_t(rng() % 3 ? rng() : rng() % 2 * 0xffff);
      store16(h.data() + w, now);
      store16(h.data() + ck, csum_update16(load16(h.data() + ck), old, now));
    } else {  // a 32-bit field (an address), two words not touching the checksum
      size_t w;
      do
        w = 2 * (rng() % (h.size() / 2 - 1));
      while (w == ck || w + 2 == ck || w == 0);
      uint32_t old = load32(h.data() + w), now = uint32_t(rng());
      store32(h.data() + w, now);
      store16(h.data() + ck, csum_update32(load16(h.data() + ck), old, now));
    }
    uint16_t incremental = load16(h.data() + ck);
    store16(h.data() + ck, 0);
    uint16_t full = csum_fold(csum_partial(h.data(), h.size(), 0));
    ASSERT_EQ(incremental, full) << iter;
  }
}

}  // namespace
}  // namespace ninet
