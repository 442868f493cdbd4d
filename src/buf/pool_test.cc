// pool_test.cc — Pool: reuse, counts, blocks freed on other threads, threads
// that exit, pools that go away while a thread still caches their blocks.
#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "buf/block.h"

namespace ninet {
namespace {

TEST(Pool, ReusesFreedBlocksOnTheSameThread) {
  Pool pool;
  Block* first;
  {
    BlockPtr b = pool.alloc();
    first = b.get();
    EXPECT_EQ(pool.outstanding(), 1u);
    EXPECT_EQ(b->headroom(), Block::kHeadroom);
  }
  EXPECT_EQ(pool.outstanding(), 0u);
  EXPECT_EQ(pool.cached(), 1u);
  BlockPtr again = pool.alloc();
  EXPECT_EQ(again.get(), first) << "the thread's cache hands back the block it just freed";
  EXPECT_EQ(pool.cached(), 0u);
}

TEST(Pool, ResetsBlocksItHandsOut) {
  Pool pool;
  {
    BlockPtr b = pool.alloc();
    b->put(100);
    b->ifc = 3;
    b->flags = Block::kLinkBcast;
  }
  BlockPtr b = pool.alloc();
  EXPECT_EQ(b->size(), 0u);
  EXPECT_EQ(b->ifc, -1);
  EXPECT_EQ(b->flags, 0u);
}

TEST(Pool, LargeSegmentBlocksAreRecycledApart) {
  Pool pool;
  Block* first;
  {
    BlockPtr b = pool.alloc(Pool::kBufSize);  // more than a small block holds
    EXPECT_GE(b->tailroom(), Pool::kBufSize);
    EXPECT_GE(b->tailroom(), 65535u + 14 + 10)
        << "a 64 KiB IP packet with its link and vnet headers";
    EXPECT_EQ(pool.outstanding(), 0u) << "small blocks only are counted";
    first = b.get();
    std::thread([b = std::move(b)]() mutable { b.reset(); }).join();  // freed on another thread
  }
  EXPECT_EQ(pool.cached(), 0u) << "no small block was made";
  BlockPtr again = pool.alloc(60000);
  EXPECT_EQ(again.get(), first) << "the large block comes back";
  EXPECT_EQ(again->headroom(), Block::kHeadroom);
  EXPECT_EQ(again->size(), 0u);
  BlockPtr small = pool.alloc(100);
  EXPECT_NE(small.get(), first);
  again.reset();
  for (int i = 0; i < 1000; i++) {  // a stream of them reuses the one block
    BlockPtr x = pool.alloc(30000);
    ASSERT_EQ(x.get(), first) << i;
  }
}

TEST(Pool, HugeBlocksComeFromTheHeap) {
  Pool pool;
  {
    BlockPtr b = pool.alloc(Pool::kBigSize);
    EXPECT_GE(b->tailroom(), Pool::kBigSize);
    EXPECT_EQ(pool.outstanding(), 0u) << "heap blocks are not the pool's";
  }
  EXPECT_EQ(pool.cached(), 0u);
}

TEST(Pool, BlocksFreedOnAnotherThreadComeBack) {
  Pool pool;
  constexpr size_t kN = 1000;
  std::vector<BlockPtr> v;
  std::set<Block*> made;
  for (size_t i = 0; i < kN; i++) {
    v.push_back(pool.alloc());
    made.insert(v.back().get());
  }
  EXPECT_EQ(pool.outstanding(), kN);
  std::thread([&] { v.clear(); }).join();  // frees all on another thread, which then exits
  EXPECT_EQ(pool.outstanding(), 0u);
  EXPECT_EQ(pool.cached(), kN);
  // Allocating them again here finds the same blocks, not new ones.
  for (size_t i = 0; i < kN; i++) {
    v.push_back(pool.alloc());
    EXPECT_TRUE(made.count(v.back().get())) << i;
  }
  EXPECT_EQ(pool.cached(), 0u);
}

TEST(Pool, ProducerAndConsumerThreads) {
  // The engine allocates and queues; a reader frees (a conversation's data
  // read by a FUSE worker). Both run at once; nothing is lost or doubled.
  Pool pool;
  constexpr int kN = 200000;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<BlockPtr> q;
  bool done = false;
  std::thread consumer([&] {
    uint64_t seen = 0, wrong = 0;
    for (;;) {
      std::unique_lock<std::mutex> l(mu);
      cv.wait(l, [&] { return !q.empty() || done; });
      if (q.empty()) break;
      BlockPtr b = std::move(q.front());
      q.pop_front();
      l.unlock();
      wrong += b->data()[0] != uint8_t(seen);  // in order, intact
      seen++;
    }
    EXPECT_EQ(seen, uint64_t(kN));
    EXPECT_EQ(wrong, 0u);
  });
  for (int i = 0; i < kN; i++) {
    BlockPtr b = pool.alloc();
    *b->put(1) = uint8_t(i);
    std::lock_guard<std::mutex> g(mu);
    q.push_back(std::move(b));
    cv.notify_one();
  }
  {
    std::lock_guard<std::mutex> g(mu);
    done = true;
    cv.notify_one();
  }
  consumer.join();
  EXPECT_EQ(pool.outstanding(), 0u);
  // What exists is bounded by the queue's high water, not by kN: the
  // consumer's frees came back to the producer.
  EXPECT_LT(pool.cached(), size_t(kN));
}

TEST(Pool, SharedListIsCapped) {
  Pool pool(10);
  std::vector<BlockPtr> v;
  for (int i = 0; i < 1000; i++)
    v.push_back(pool.alloc());
  std::thread([&] { v.clear(); }).join();
  EXPECT_EQ(pool.outstanding(), 0u);
  EXPECT_LE(pool.cached(), 10u) << "an exited thread's blocks beyond the cap go back to the heap";
}

TEST(Pool, ManyPoolsOnOneThread) {
  // More pools than a thread keeps caches for: each keeps exact counts.
  std::vector<std::unique_ptr<Pool>> pools;
  std::vector<BlockPtr> held;
  for (int i = 0; i < 9; i++) {
    pools.push_back(std::make_unique<Pool>());
    for (int j = 0; j <= i; j++)
      held.push_back(pools.back()->alloc());
    BlockPtr freed = pools.back()->alloc();
  }
  for (int i = 0; i < 9; i++) {
    EXPECT_EQ(pools[size_t(i)]->outstanding(), size_t(i + 1)) << i;
    EXPECT_EQ(pools[size_t(i)]->cached(), 1u) << i;
  }
  held.clear();
  for (auto& p : pools)
    EXPECT_EQ(p->outstanding(), 0u);
}

TEST(Pool, PoolGoesAwayWhileAnotherThreadCachesItsBlocks) {
  auto pool = std::make_unique<Pool>();
  std::mutex mu;
  std::condition_variable cv;
  int step = 0;
  std::thread t([&] {
    { BlockPtr b = pool->alloc(); }  // this thread now caches a block of the pool
    std::unique_lock<std::mutex> l(mu);
    step = 1;
    cv.notify_all();
    cv.wait(l, [&] { return step == 2; });
    // The pool is gone; a new one works on this thread too.
    Pool other;
    { BlockPtr b = other.alloc(); }
    EXPECT_EQ(other.outstanding(), 0u);
    EXPECT_EQ(other.cached(), 1u);
  });
  {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return step == 1; });
    pool.reset();  // frees the block the thread still caches (ASan: no leak)
    step = 2;
    cv.notify_all();
  }
  t.join();
}

}  // namespace
}  // namespace ninet
