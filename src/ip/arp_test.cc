#include "ip/arp.h"

#include <gtest/gtest.h>

namespace ninet {
namespace {

Ipaddr A(int n) {
  return Ipaddr::v4(0x0a000000u + uint32_t(n));
}
Mac M(int n) {
  uint8_t b[6] = {2, 0, 0, 0, uint8_t(n >> 8), uint8_t(n)};
  return Mac(b);
}

struct ArpTest : ::testing::Test {
  Pool pool;
  BlockPtr pkt(uint8_t tag) { return pool.copy(&tag, 1); }
};

TEST_F(ArpTest, MissQueuesThenUpdateReleasesInOrder) {
  ArpCache c;
  Mac m;
  BlockPtr p = pkt(1);
  EXPECT_EQ(c.resolve(A(1), 0, 0, p, &m), Resolve::kQueuedSendRequest);
  EXPECT_EQ(p, nullptr) << "the packet was taken";
  p = pkt(2);
  EXPECT_EQ(c.resolve(A(1), 0, 0, p, &m), Resolve::kQueued);
  EXPECT_FALSE(c.entries()[0].ok);
  Batch out = c.update(A(1), M(1), 0, false, 0);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0]->data()[0], 1);
  EXPECT_EQ(out[1]->data()[0], 2);
  p = pkt(3);
  EXPECT_EQ(c.resolve(A(1), 0, 0, p, &m), Resolve::kOk);
  EXPECT_EQ(m, M(1));
  EXPECT_NE(p, nullptr) << "a hit leaves the packet with the caller";
}

TEST_F(ArpTest, QueueIsBounded) {
  ArpCache c;
  Mac m;
  for (int i = 0; i < 20; i++) {
    BlockPtr p = pkt(uint8_t(i));
    (void)c.resolve(A(1), 0, 0, p, &m);
  }
  Batch out = c.update(A(1), M(1), 0, false, 0);
  ASSERT_EQ(out.size(), ArpCache::kMaxQueued);
  EXPECT_EQ(out.back()->data()[0], 19) << "the oldest were dropped";
}

TEST_F(ArpTest, UpdateWithoutCreateOnlyTouchesKnownEntries) {
  ArpCache c;
  EXPECT_TRUE(c.update(A(5), M(5), 0, false, 0).empty());
  EXPECT_EQ(c.size(), 0u);
  (void)c.update(A(5), M(5), 0, true, 0);
  ASSERT_EQ(c.size(), 1u);
  (void)c.update(A(5), M(6), 0, false, 0);
  EXPECT_EQ(c.entries()[0].mac, M(6));
}

TEST_F(ArpTest, LeastRecentlyUsedIsReplaced) {
  ArpCache c(4);
  for (int i = 1; i <= 4; i++)
    (void)c.add(A(i), M(i), 0, 0);
  Mac m;
  BlockPtr p = pkt(0);
  ASSERT_EQ(c.resolve(A(1), 0, 0, p, &m), Resolve::kOk);  // 1 is now most recent
  (void)c.add(A(5), M(5), 0, 0);
  EXPECT_EQ(c.size(), 4u);
  auto e = c.entries();
  EXPECT_EQ(e[0].ip, A(5));
  EXPECT_EQ(e[1].ip, A(1));
  for (auto& x : e)
    EXPECT_NE(x.ip, A(2)) << "2 was least recently used";
}

TEST_F(ArpTest, TickRetransmitsThenGivesUp) {
  ArpCache c;
  Mac m;
  BlockPtr p = pkt(7);
  (void)c.resolve(A(9), 3, 0, p, &m);
  int requests = 0, dropped = 0;
  auto req = [&](const Ipaddr& ip, int ifc) {
    EXPECT_EQ(ip, A(9));
    EXPECT_EQ(ifc, 3);
    requests++;
  };
  auto give = [&](BlockPtr b) {
    EXPECT_EQ(b->data()[0], 7);
    dropped++;
  };
  c.tick(ms(500), req, give);
  EXPECT_EQ(requests, 0);
  for (int s = 1; s <= 5; s++)
    c.tick(sec(s), req, give);
  EXPECT_EQ(requests, ArpCache::kMaxTries - 1);
  EXPECT_EQ(dropped, 1);
  EXPECT_EQ(c.size(), 0u);
}

TEST_F(ArpTest, DelFlushAndFlushIfc) {
  ArpCache c;
  (void)c.add(A(1), M(1), 0, 0);
  (void)c.add(A(2), M(2), 1, 0);
  EXPECT_EQ(c.del(A(7)).error().code(), Err::NoSuchEntry);
  c.flush_ifc(1);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c.entries()[0].ip, A(1));
  ASSERT_TRUE(c.del(A(1)).ok());
  (void)c.add(A(3), M(3), 0, 0);
  c.flush();
  EXPECT_EQ(c.size(), 0u);
}

}  // namespace
}  // namespace ninet
