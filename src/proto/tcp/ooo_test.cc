// OooQueue: random segments of one stream, overlapping, duplicated and out of
// order across the 2^32 wrap, always give back the stream exactly; SACK
// blocks are the held ranges, latest first; the limits refuse without loss.
#include "proto/tcp/ooo.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <utility>

namespace ninet::tcp {
namespace {

using SackBlock = OooQueue::SackBlock;

// Byte k of the stream.
uint8_t byte_at(uint32_t k) {
  return uint8_t(k * 131 + (k >> 8));
}

BlockPtr seg(Pool& pool, uint32_t seq, uint32_t len) {
  BlockPtr b = pool.alloc();
  uint8_t* p = b->put(len);
  for (uint32_t i = 0; i < len; i++)
    p[i] = byte_at(seq + i);
  return b;
}

// Appends the blocks' bytes to got, checking each against the stream.
void collect(std::vector<BlockPtr>& blocks, uint32_t& at, size_t& got) {
  for (auto& b : blocks) {
    for (uint32_t i = 0; i < b->size(); i++)
      ASSERT_EQ(b->data()[i], byte_at(at + i)) << "byte " << (at + i);
    at += b->size();
    got += b->size();
  }
  blocks.clear();
}

TEST(OooQueue, InOrderAfterAGap) {
  Pool pool;
  OooQueue q(1 << 20, 64);
  EXPECT_TRUE(q.add(200, seg(pool, 200, 100)));
  EXPECT_TRUE(q.add(100, seg(pool, 100, 50)));
  std::vector<BlockPtr> out;
  EXPECT_EQ(q.take(0, out), 0u);  // nothing continues 0
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(q.bytes(), 150u);
  EXPECT_EQ(q.take(100, out), 150u);  // 100..150; 150..200 is missing
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(q.segments(), 1u);
  out.clear();
  EXPECT_EQ(q.take(200, out), 300u);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
  EXPECT_EQ(q.memory(), 0u);
}

TEST(OooQueue, OverlapsAreStoredOnce) {
  Pool pool;
  OooQueue q(1 << 20, 64);
  ASSERT_TRUE(q.add(100, seg(pool, 100, 100)));  // 100-200
  ASSERT_TRUE(q.add(300, seg(pool, 300, 100)));  // 300-400
  ASSERT_TRUE(q.add(150, seg(pool, 150, 200)));  // 150-350: only 200-300 is new
  EXPECT_EQ(q.bytes(), 300u);
  EXPECT_EQ(q.segments(), 3u);
  ASSERT_TRUE(q.add(120, seg(pool, 120, 30)));  // all held: nothing added
  EXPECT_EQ(q.bytes(), 300u);
  ASSERT_TRUE(q.add(50, seg(pool, 50, 400)));  // covers everything: replaces all
  EXPECT_EQ(q.segments(), 1u);
  EXPECT_EQ(q.bytes(), 400u);
  std::vector<BlockPtr> out;
  uint32_t at = 50;
  size_t got = 0;
  EXPECT_EQ(q.take(50, out), 450u);
  collect(out, at, got);
  EXPECT_EQ(got, 400u);
}

TEST(OooQueue, SackBlocksLatestFirst) {
  Pool pool;
  OooQueue q(1 << 20, 64);
  q.add(1000, seg(pool, 1000, 100));
  q.add(3000, seg(pool, 3000, 100));
  q.add(2000, seg(pool, 2000, 100));
  SackBlock b[4];
  ASSERT_EQ(q.sack(b), 3u);
  EXPECT_EQ(b[0].left, 2000u);  // the last to arrive
  EXPECT_EQ(b[1].left, 3000u);
  EXPECT_EQ(b[2].left, 1000u);
  // A segment that joins two runs makes one block, and it comes first.
  q.add(1100, seg(pool, 1100, 900));
  ASSERT_EQ(q.sack(b), 2u);
  EXPECT_EQ(b[0].left, 1000u);
  EXPECT_EQ(b[0].right, 2100u);
  EXPECT_EQ(b[1].left, 3000u);
  // A duplicate of held data refreshes its block.
  q.add(3010, seg(pool, 3010, 10));
  ASSERT_EQ(q.sack(b), 2u);
  EXPECT_EQ(b[0].left, 3000u);
  // Only as many as asked for.
  EXPECT_EQ(q.sack(std::span<SackBlock>(b, 1)), 1u);
}

TEST(OooQueue, LimitsRefuseWithoutLosingWhatIsHeld) {
  Pool pool;
  OooQueue q(3 * pool.alloc()->capacity(), 2);
  EXPECT_TRUE(q.add(100, seg(pool, 100, 1)));
  EXPECT_TRUE(q.add(200, seg(pool, 200, 1)));
  EXPECT_FALSE(q.add(300, seg(pool, 300, 1)));  // a third segment
  EXPECT_EQ(q.segments(), 2u);
  // One that covers both held ones replaces them, and fits.
  EXPECT_TRUE(q.add(99, seg(pool, 99, 150)));
  EXPECT_EQ(q.segments(), 1u);
  EXPECT_FALSE(q.add(5, BlockPtr()));
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.memory(), 0u);
}

// Random segments of a 64 KiB stream that starts just before the 2^32
// wrap, each sent up to three times with random cuts, in random order; RCV.NXT
// advances as the gaps fill. The stream comes out whole and in order, and
// the SACK blocks are always exactly the held ranges.
TEST(OooQueue, RandomSegmentsAcrossTheWrapGiveTheStreamBack) {
  for (uint32_t seed = 1; seed <= 20; seed++) {
    std::mt19937 rng(seed);
    Pool pool;
    OooQueue q(64 << 20, 100000);
    const uint32_t isn = 0xffff0000u + (rng() & 0xffff);
    const uint32_t len = 65536;
    std::vector<std::pair<uint32_t, uint32_t>> segs;  // (offset, length)
    for (uint32_t off = 0; off < len;) {
      uint32_t n = std::min<uint32_t>(len - off, 1 + rng() % 1400);
      for (int k = 0; k < 1 + int(rng() % 3); k++) {
        uint32_t a = off + (k ? rng() % n : 0), b = k ? a + 1 + rng() % (off + n - a) : off + n;
        segs.push_back({a, std::min(b, len) - a});
      }
      off += n;
    }
    std::shuffle(segs.begin(), segs.end(), rng);
    uint32_t rcv_nxt = isn, at = isn;
    size_t got = 0;
    std::vector<BlockPtr> out;
    for (auto [off, n] : segs) {
      uint32_t s = isn + off;
      // As a receiver does: data before RCV.NXT is cut before the queue.
      if (wire::seq_le(s + n, rcv_nxt)) continue;
      if (wire::seq_lt(s, rcv_nxt)) {
        n -= rcv_nxt - s;
        s = rcv_nxt;
      }
      ASSERT_TRUE(q.add(s, seg(pool, s, n)));
      rcv_nxt = q.take(rcv_nxt, out);
      collect(out, at, got);
      ASSERT_EQ(at, rcv_nxt);
      // The SACK blocks against a byte-by-byte reference of what is held.
      SackBlock b[64];
      size_t nb = q.sack(b);
      size_t held = 0;
      for (size_t k = 0; k < nb; k++) {
        ASSERT_TRUE(wire::seq_gt(b[k].left, rcv_nxt)) << "a block at or before RCV.NXT";
        held += b[k].right - b[k].left;
      }
      if (nb < 64) ASSERT_EQ(held, q.bytes()) << "blocks cover what is held";
      if (nb) {
        // The first block holds what just arrived (or the held data it repeated).
        bool first = wire::seq_le(b[0].left, s) && wire::seq_lt(s, b[0].right);
        ASSERT_TRUE(first || wire::seq_le(s + n, rcv_nxt) || nb == 0);
      }
    }
    EXPECT_EQ(got, len) << "seed " << seed;
    EXPECT_EQ(rcv_nxt, isn + len);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.memory(), 0u);
  }
}

}  // namespace
}  // namespace ninet::tcp
