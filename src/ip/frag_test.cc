#include "ip/frag.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "base/endian.h"

namespace ninet {
namespace {

struct FragTest : ::testing::Test {
  Pool pool;
  std::mt19937 rng{42};

  BlockPtr v4(size_t payload, uint16_t id = 9) {
    BlockPtr b = pool.alloc(uint32_t(payload + 20));
    uint8_t* p = b->put(uint32_t(payload));
    for (size_t i = 0; i < payload; i++)
      p[i] = uint8_t(rng());
    wire::Ip4Repr h;
    h.src = Ipaddr::v4(10, 0, 0, 1);
    h.dst = Ipaddr::v4(10, 0, 0, 2);
    h.proto = 17;
    h.id = id;
    h.total_len = uint16_t(payload + 20);
    h.emit(b->push(20));
    return b;
  }
  BlockPtr v6(size_t payload) {
    BlockPtr b = pool.alloc(uint32_t(payload + 40));
    uint8_t* p = b->put(uint32_t(payload));
    for (size_t i = 0; i < payload; i++)
      p[i] = uint8_t(rng());
    wire::Ip6Repr h;
    h.src = *Ipaddr::parse("fd00::1");
    h.dst = *Ipaddr::parse("fd00::2");
    h.next_header = 17;
    h.payload_len = uint16_t(payload);
    h.emit(b->push(40));
    return b;
  }
  BlockPtr feed(Reassembler& r, BlockPtr f, Time now = 0) {
    if ((f->data()[0] >> 4) == 4) {
      auto h = wire::Ip4Repr::parse(f->span());
      EXPECT_TRUE(h.ok());
      return r.add_v4(std::move(f), *h, now);
    }
    auto h = wire::Ip6Repr::parse(f->span());
    auto w = wire::ip6_walk(f->span().subspan(40), h->next_header);
    EXPECT_TRUE(w.ok() && w->frag);
    return r.add_v6(std::move(f), *h, *w, now);
  }
};

TEST_F(FragTest, V4RoundTripsInAnyOrder) {
  for (size_t size : {9u, 100u, 1400u, 5000u, 65000u}) {
    for (int mtu : {68, 576, 1500}) {
      BlockPtr orig = v4(size);
      std::vector<uint8_t> want(orig->data(), orig->data() + orig->size());
      Batch frags;
      ASSERT_TRUE(fragment_v4(std::move(orig), mtu, pool, frags).ok());
      for (auto& f : frags) {
        EXPECT_LE(f->size(), uint32_t(mtu));
        EXPECT_TRUE(wire::Ip4Repr::parse(f->span()).ok());
      }
      std::shuffle(frags.begin(), frags.end(), rng);
      Reassembler r(pool, 1 << 20);
      BlockPtr whole;
      for (size_t i = 0; i < frags.size(); i++) {
        whole = feed(r, std::move(frags[i]));
        if (i + 1 < frags.size()) ASSERT_EQ(whole, nullptr);
      }
      ASSERT_NE(whole, nullptr) << size << " " << mtu;
      std::vector<uint8_t> got(whole->data(), whole->data() + whole->size());
      // Identical except that the reassembled header has the same fields.
      EXPECT_EQ(got, want) << size << " " << mtu;
      EXPECT_EQ(r.queues(), 0u);
      EXPECT_EQ(r.memory(), 0u);
    }
  }
}

TEST_F(FragTest, V6RoundTripsInAnyOrder) {
  for (size_t size : {1300u, 3000u, 60000u}) {
    BlockPtr orig = v6(size);
    std::vector<uint8_t> want(orig->data(), orig->data() + orig->size());
    Batch frags;
    ASSERT_TRUE(fragment_v6(std::move(orig), 1280, 77, pool, frags).ok());
    ASSERT_GT(frags.size(), 1u);
    for (auto& f : frags)
      EXPECT_LE(f->size(), 1280u);
    std::shuffle(frags.begin(), frags.end(), rng);
    Reassembler r(pool, 1 << 20);
    BlockPtr whole;
    for (auto& f : frags)
      whole = feed(r, std::move(f));
    ASSERT_NE(whole, nullptr);
    EXPECT_EQ(std::vector<uint8_t>(whole->data(), whole->data() + whole->size()), want);
  }
  Batch none;
  EXPECT_FALSE(fragment_v6(v6(2000), 1000, 1, pool, none).ok());
}

TEST_F(FragTest, DfIsNotFragmented) {
  BlockPtr b = v4(2000);
  b->data()[6] |= 0x40;
  wire::Ip4View(b->data()).update_checksum();
  Batch out;
  EXPECT_EQ(fragment_v4(std::move(b), 576, pool, out).error().code(), Err::TooBig);
}

TEST_F(FragTest, ConflictingOverlapFailsV4AndAnyOverlapFailsV6) {
  Batch frags;
  ASSERT_TRUE(fragment_v4(v4(3000), 1500, pool, frags).ok());
  Reassembler r(pool);
  BlockPtr dup = pool.copy(frags[0]->data(), frags[0]->size());
  EXPECT_EQ(feed(r, std::move(frags[0])), nullptr);
  EXPECT_EQ(feed(r, std::move(dup)), nullptr) << "an identical duplicate is harmless";
  EXPECT_EQ(r.stats().fails, 0u);
  BlockPtr bad = pool.copy(frags[1]->data(), frags[1]->size());
  bad->data()[40] ^= 1;  // the same range with different payload
  EXPECT_EQ(feed(r, std::move(frags[1])), nullptr);
  EXPECT_EQ(feed(r, std::move(bad)), nullptr);
  EXPECT_EQ(r.stats().fails, 1u);
  EXPECT_EQ(r.queues(), 0u) << "the conflict dropped the datagram";
  EXPECT_EQ(r.memory(), 0u);

  Batch f6;
  ASSERT_TRUE(fragment_v6(v6(3000), 1280, 5, pool, f6).ok());
  BlockPtr dup6 = pool.copy(f6[0]->data(), f6[0]->size());
  Reassembler r6(pool);
  EXPECT_EQ(feed(r6, std::move(f6[0])), nullptr);
  EXPECT_EQ(feed(r6, std::move(dup6)), nullptr);
  EXPECT_EQ(r6.stats().fails, 1u) << "RFC 5722";
}

TEST_F(FragTest, TimeoutReportsTheFirstFragment) {
  Batch frags;
  ASSERT_TRUE(fragment_v4(v4(3000), 1500, pool, frags).ok());
  Reassembler r(pool);
  (void)feed(r, std::move(frags[0]), sec(1));
  int calls = 0;
  r.expire(sec(20), [&](BlockPtr, bool) { calls++; });
  EXPECT_EQ(calls, 0);
  r.expire(sec(32), [&](BlockPtr first, bool v6) {
    calls++;
    EXPECT_FALSE(v6);
    auto h = wire::Ip4Repr::parse(first->span());
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->frag_offset, 0);
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(r.stats().timeouts, 1u);
  EXPECT_EQ(r.queues(), 0u);
}

TEST_F(FragTest, MemoryBoundEvictsOldestQueues) {
  Reassembler r(pool, 20000);
  for (uint16_t id = 0; id < 50; id++) {
    Batch frags;
    ASSERT_TRUE(fragment_v4(v4(3000, id), 1500, pool, frags).ok());
    (void)feed(r, std::move(frags[0]));
    EXPECT_LE(r.memory(), 20000u);
  }
  EXPECT_GT(r.stats().fails, 0u);
  EXPECT_LT(r.queues(), 50u);
}

TEST_F(FragTest, RejectsDatagramsOver65535) {
  Reassembler r(pool);
  BlockPtr f = v4(1000);
  uint8_t* d = f->data();
  store16(d + 6, uint16_t(0x2000 | (65000 / 8)));  // MF, offset 65000
  wire::Ip4View(d).update_checksum();
  EXPECT_EQ(feed(r, std::move(f)), nullptr);
  EXPECT_EQ(r.stats().fails, 1u);
}

}  // namespace
}  // namespace ninet
