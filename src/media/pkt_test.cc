// PktMedium: user writes reach recv() with a notify(); send() wakes blocked
// readers; interrupt(), cancel flags and close() end blocked reads with the
// right error; both queues are bounded with counted drops; and the two sides
// are safe to run on different threads.
#include "media/pkt.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace ninet {
namespace {

std::vector<uint8_t> bytes(uint8_t tag, size_t len = 28) {
  std::vector<uint8_t> v(len);
  for (size_t i = 0; i < len; i++)
    v[i] = uint8_t(tag + i);
  v[0] = 0x45;  // looks like IPv4, not that the medium cares
  return v;
}

BlockPtr block(Pool& pool, uint8_t tag, size_t len = 28) {
  auto v = bytes(tag, len);
  return pool.copy(v.data(), uint32_t(v.size()));
}

// Waits (without a time limit: the test's own timeout bounds it) until n
// readers are blocked inside read_packet().
void await_readers(const PktMedium& m, size_t n) {
  while (m.readers_waiting() < n)
    std::this_thread::yield();
}

TEST(Pkt, Describes) {
  Pool pool;
  PktMedium m(pool);
  EXPECT_EQ(m.name(), "pkt");
  EXPECT_FALSE(m.link_header());
  EXPECT_EQ(m.default_mtu(), 4096);
  EXPECT_EQ(m.fd(), -1);
}

TEST(Pkt, WriteQueuesForRecvAndNotifies) {
  Pool pool;
  PktMedium m(pool);
  int notified = 0;
  m.set_notify([&] { notified++; });
  auto a = bytes(1), b = bytes(2, 100);
  ASSERT_TRUE(m.write_packet(a).ok());
  ASSERT_TRUE(m.write_packet(b).ok());
  EXPECT_EQ(notified, 2);
  EXPECT_EQ(m.queued_for_stack(), 2u);

  Batch in;
  ASSERT_EQ(m.recv(in, pool, 64), 2u);
  ASSERT_EQ(in[0]->size(), a.size());
  EXPECT_TRUE(std::equal(a.begin(), a.end(), in[0]->data()));
  ASSERT_EQ(in[1]->size(), b.size());
  EXPECT_TRUE(std::equal(b.begin(), b.end(), in[1]->data()));
  EXPECT_GE(in[0]->headroom(), Block::kHeadroom);  // room for the stack to push headers
  EXPECT_EQ(m.stats().in_packets, 2u);
  EXPECT_EQ(m.stats().in_bytes, a.size() + b.size());
  EXPECT_EQ(m.recv(in, pool, 64), 0u);
}

TEST(Pkt, WriteSanity) {
  Pool pool;
  PktMedium m(pool);
  int notified = 0;
  m.set_notify([&] { notified++; });
  auto st = m.write_packet({});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Err::TooShort);
  std::vector<uint8_t> big(PktMedium::kMaxPacket + 1, 0x45);
  st = m.write_packet(big);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Err::TooBig);
  EXPECT_EQ(notified, 0);
  // The largest allowed packet goes through (in a heap block).
  big.pop_back();
  ASSERT_TRUE(m.write_packet(big).ok());
  Batch in;
  ASSERT_EQ(m.recv(in, pool, 1), 1u);
  EXPECT_EQ(in[0]->size(), PktMedium::kMaxPacket);
}

TEST(Pkt, SendQueuesForReaderInOrder) {
  Pool pool;
  PktMedium m(pool);
  Batch out;
  out.push_back(block(pool, 1));
  out.push_back(nullptr);
  out.push_back(block(pool, 2, 60));
  m.send(out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(m.stats().out_packets, 2u);
  EXPECT_EQ(m.stats().out_bytes, 88u);
  auto r = m.read_packet();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->size(), 28u);
  EXPECT_EQ((*r)->data()[1], 2);
  r = m.read_packet(true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->size(), 60u);
  // Non-blocking with nothing queued: a null block, not an error.
  r = m.read_packet(true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, nullptr);
}

TEST(Pkt, BlockingReadWokenBySend) {
  Pool pool;
  PktMedium m(pool);
  Result<BlockPtr> got = Err::Io;
  std::thread reader([&] { got = m.read_packet(); });
  await_readers(m, 1);
  Batch out;
  out.push_back(block(pool, 7));
  m.send(out);
  reader.join();
  ASSERT_TRUE(got.ok());
  ASSERT_NE(*got, nullptr);
  EXPECT_EQ((*got)->data()[1], 8);
  EXPECT_EQ(m.readers_waiting(), 0u);
}

TEST(Pkt, EachPacketGoesToOneReader) {
  Pool pool;
  PktMedium m(pool);
  Result<BlockPtr> a = Err::Io, b = Err::Io;
  std::thread ra([&] { a = m.read_packet(); });
  std::thread rb([&] { b = m.read_packet(); });
  await_readers(m, 2);
  Batch out;
  out.push_back(block(pool, 10));
  out.push_back(block(pool, 20));
  m.send(out);
  ra.join();
  rb.join();
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(*a && *b);
  int tags = (*a)->data()[1] + (*b)->data()[1];
  EXPECT_EQ(tags, 11 + 21);
}

TEST(Pkt, InterruptEndsBlockedReadsOnly) {
  Pool pool;
  PktMedium m(pool);
  Result<BlockPtr> got = BlockPtr();
  std::thread reader([&] { got = m.read_packet(); });
  await_readers(m, 1);
  m.interrupt();
  reader.join();
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code(), Err::Interrupted);
  // Not sticky: a later read still gets its packet.
  Batch out;
  out.push_back(block(pool, 3));
  m.send(out);
  auto r = m.read_packet();
  ASSERT_TRUE(r.ok());
  ASSERT_NE(*r, nullptr);
}

TEST(Pkt, CancelFlagWithWake) {
  Pool pool;
  PktMedium m(pool);
  std::atomic<bool> cancel{false};
  Result<BlockPtr> got = BlockPtr();
  std::thread reader([&] { got = m.read_packet(&cancel); });
  await_readers(m, 1);
  cancel = true;
  m.wake();
  reader.join();
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code(), Err::Interrupted);
  // A flag already set fails the read at once.
  auto r = m.read_packet(false, &cancel);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Err::Interrupted);
}

TEST(Pkt, CloseHangsUpReadersAndWriters) {
  Pool pool;
  PktMedium m(pool);
  Result<BlockPtr> got = BlockPtr();
  std::thread reader([&] { got = m.read_packet(); });
  await_readers(m, 1);
  ASSERT_TRUE(m.write_packet(bytes(1)).ok());  // queued for the stack, then dropped
  m.close();
  reader.join();
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code(), Err::Hangup);
  EXPECT_EQ(pool.outstanding(), 0u);  // close freed the queued block

  auto r = m.read_packet(true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Err::Hangup);
  auto st = m.write_packet(bytes(2));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Err::Hangup);
  Batch out;
  out.push_back(block(pool, 3));
  m.send(out);
  EXPECT_EQ(m.stats().out_errors, 1u);
  EXPECT_EQ(m.stats().out_packets, 0u);
  Batch in;
  EXPECT_EQ(m.recv(in, pool, 8), 0u);
}

TEST(Pkt, QueuesAreBounded) {
  Pool pool;
  PktMedium m(pool);
  Batch out;
  for (size_t i = 0; i < PktMedium::kQueueLimit + 5; i++)
    out.push_back(block(pool, uint8_t(i)));
  m.send(out);
  EXPECT_EQ(m.queued_for_user(), PktMedium::kQueueLimit);
  EXPECT_EQ(m.stats().out_packets, PktMedium::kQueueLimit);
  EXPECT_EQ(m.stats().out_errors, 5u);

  auto p = bytes(9);
  for (size_t i = 0; i < PktMedium::kQueueLimit + 3; i++)
    ASSERT_TRUE(m.write_packet(p).ok());
  EXPECT_EQ(m.queued_for_stack(), PktMedium::kQueueLimit);
  Batch in;
  size_t n = 0;
  while (size_t k = m.recv(in, pool, 64))
    n += k;
  EXPECT_EQ(n, PktMedium::kQueueLimit);
  EXPECT_EQ(m.stats().in_packets, PktMedium::kQueueLimit);
  EXPECT_EQ(m.stats().in_errors, 3u);
}

// Writers on several threads, the "engine" draining on another: every packet
// is either received intact or counted as dropped.
TEST(Pkt, ConcurrentWritersAndEngine) {
  Pool pool;
  PktMedium m(pool);
  constexpr int kWriters = 4, kEach = 2000;
  std::atomic<int> writers_done{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; w++)
    writers.emplace_back([&, w] {
      for (int i = 0; i < kEach; i++) {
        auto p = bytes(uint8_t(w), 40);
        p[1] = uint8_t(w);
        p[2] = uint8_t(i >> 8);
        p[3] = uint8_t(i);
        ASSERT_TRUE(m.write_packet(p).ok());
      }
      writers_done++;
    });
  std::vector<int> next(kWriters, 0);  // per writer, packets must stay in order
  size_t got = 0;
  bool in_order = true;
  for (;;) {
    bool done = writers_done.load() == kWriters;  // read before the last drain
    Batch in;
    m.recv(in, pool, 64);
    for (auto& b : in) {
      int w = b->data()[1], i = b->data()[2] << 8 | b->data()[3];
      if (i < next[size_t(w)]) in_order = false;
      next[size_t(w)] = i + 1;
      got++;
    }
    if (done && in.empty()) break;
  }
  for (auto& t : writers)
    t.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(got, m.stats().in_packets);
  EXPECT_EQ(m.stats().in_packets + m.stats().in_errors, uint64_t(kWriters * kEach));
}

}  // namespace
}  // namespace ninet
