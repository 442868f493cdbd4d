// LoopbackMedium: what is sent comes back, in order, with notify() per batch;
// the queue is bounded and its drops are counted.
#include "media/loopback.h"

#include <gtest/gtest.h>

namespace ninet {
namespace {

BlockPtr packet(Pool& pool, uint8_t tag, uint32_t len = 20) {
  BlockPtr b = pool.alloc();
  uint8_t* p = b->put(len);
  for (uint32_t i = 0; i < len; i++)
    p[i] = uint8_t(tag + i);
  return b;
}

TEST(Loopback, Describes) {
  LoopbackMedium m;
  EXPECT_EQ(m.name(), "loopback");
  EXPECT_FALSE(m.link_header());
  EXPECT_EQ(m.default_mtu(), 16384);
  EXPECT_EQ(m.fd(), -1);
  EXPECT_TRUE(m.hwaddr().is_zero());
  EXPECT_FALSE(m.set_promiscuous(true).ok());
}

TEST(Loopback, SentComesBackInOrder) {
  Pool pool;
  LoopbackMedium m;
  int notified = 0;
  m.set_notify([&] { notified++; });
  Batch out;
  for (uint8_t i = 0; i < 5; i++)
    out.push_back(packet(pool, uint8_t(i * 10), 20 + i));
  m.send(out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(notified, 1);  // one wakeup per batch
  EXPECT_EQ(m.queued(), 5u);

  Batch in;
  EXPECT_EQ(m.recv(in, pool, 3), 3u);  // max is honoured
  EXPECT_EQ(m.recv(in, pool, 64), 2u);
  EXPECT_EQ(m.recv(in, pool, 64), 0u);
  ASSERT_EQ(in.size(), 5u);
  for (uint8_t i = 0; i < 5; i++) {
    ASSERT_EQ(in[i]->size(), 20u + i);
    EXPECT_EQ(in[i]->data()[0], uint8_t(i * 10));
    EXPECT_EQ(in[i]->data()[19], uint8_t(i * 10 + 19));
  }
  EXPECT_EQ(m.stats().out_packets, 5u);
  EXPECT_EQ(m.stats().in_packets, 5u);
  EXPECT_EQ(m.stats().out_bytes, 5u * 20 + 10);
  EXPECT_EQ(m.stats().in_bytes, m.stats().out_bytes);
}

TEST(Loopback, OutputMarksAreCleared) {
  Pool pool;
  LoopbackMedium m;
  Batch out;
  out.push_back(packet(pool, 1));
  out[0]->flags = Block::kLinkBcast;
  out[0]->net_off = 20;
  out[0]->ifc = 3;
  m.send(out);
  Batch in;
  ASSERT_EQ(m.recv(in, pool, 8), 1u);
  EXPECT_EQ(in[0]->flags, 0u);
  EXPECT_EQ(in[0]->net_off, 0);
  EXPECT_EQ(in[0]->ifc, -1);
}

TEST(Loopback, NullBlocksAndEmptyBatchesDoNotNotify) {
  Pool pool;
  LoopbackMedium m;
  int notified = 0;
  m.set_notify([&] { notified++; });
  Batch out;
  m.send(out);
  out.push_back(nullptr);
  m.send(out);
  EXPECT_EQ(notified, 0);
  EXPECT_EQ(m.queued(), 0u);
  EXPECT_EQ(m.stats().out_packets, 0u);
}

TEST(Loopback, QueueIsBoundedAndDropsCounted) {
  Pool pool;
  LoopbackMedium m;
  Batch out;
  for (size_t i = 0; i < LoopbackMedium::kQueueLimit + 7; i++)
    out.push_back(packet(pool, uint8_t(i)));
  m.send(out);
  EXPECT_EQ(m.queued(), LoopbackMedium::kQueueLimit);
  EXPECT_EQ(m.stats().out_packets, LoopbackMedium::kQueueLimit);
  EXPECT_EQ(m.stats().out_errors, 7u);
  // Draining makes room again.
  Batch in;
  EXPECT_EQ(m.recv(in, pool, 10), 10u);
  out.push_back(packet(pool, 0));
  m.send(out);
  EXPECT_EQ(m.stats().out_errors, 7u);
  EXPECT_EQ(m.queued(), LoopbackMedium::kQueueLimit - 9);
}

TEST(Loopback, CloseDropsQueuedAndReturnsBlocksToPool) {
  Pool pool;
  {
    LoopbackMedium m;
    Batch out;
    out.push_back(packet(pool, 1));
    out.push_back(packet(pool, 2));
    m.send(out);
    EXPECT_EQ(pool.outstanding(), 2u);
    m.close();
    EXPECT_EQ(m.queued(), 0u);
    EXPECT_EQ(pool.outstanding(), 0u);
    Batch in;
    EXPECT_EQ(m.recv(in, pool, 8), 0u);
  }
}

}  // namespace
}  // namespace ninet
