// pool_benchmark — what a block costs: Pool::alloc + free in batches of 64
// (a medium's receive batch, freed after sending), next to malloc/free of the
// same size and to the pool as it was before thread caches (a mutex-guarded
// vector, one lock per alloc and per free; reproduced here as OldPool), all
// in the same run. BM_PoolCrossThread frees on a second thread what the first
// allocated (the engine queues, a FUSE reader frees), handing batches of 64
// over through a mutex-guarded queue.
//
//   ./build/bench/pool_benchmark --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "buf/block.h"

namespace ninet {
namespace {

constexpr int kBatch = 64;

// The pool before thread caches: every alloc and free takes the mutex.
class OldPool {
 public:
  ~OldPool() {
    for (void* p : free_)
      std::free(p);
  }
  void* alloc() {
    {
      std::lock_guard<std::mutex> g(mu_);
      outstanding_++;
      if (!free_.empty()) {
        void* p = free_.back();
        free_.pop_back();
        return p;
      }
    }
    return std::malloc(Pool::kBufSize);
  }
  void release(void* p) {
    std::lock_guard<std::mutex> g(mu_);
    outstanding_--;
    free_.push_back(p);
  }

 private:
  std::mutex mu_;
  std::vector<void*> free_;
  size_t outstanding_ = 0;
};

void BM_Pool(benchmark::State& state) {
  Pool pool;
  Batch b;
  b.reserve(kBatch);
  for (auto _ : state) {
    for (int i = 0; i < kBatch; i++)
      b.push_back(pool.alloc());
    benchmark::DoNotOptimize(b.data());
    b.clear();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_Pool);

void BM_OldPool(benchmark::State& state) {
  OldPool pool;
  void* v[kBatch];
  for (auto _ : state) {
    for (int i = 0; i < kBatch; i++)
      v[i] = pool.alloc();
    benchmark::DoNotOptimize(v);
    for (int i = 0; i < kBatch; i++)
      pool.release(v[i]);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_OldPool);

void BM_Malloc(benchmark::State& state) {
  void* v[kBatch];
  for (auto _ : state) {
    for (int i = 0; i < kBatch; i++)
      v[i] = std::malloc(Pool::kBufSize);
    benchmark::DoNotOptimize(v);
    for (int i = 0; i < kBatch; i++)
      std::free(v[i]);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_Malloc);

// Allocates here, frees on a second thread; the queue is bounded so that
// both threads run all along.
template <typename Alloc, typename Free>
void cross_thread(benchmark::State& state, Alloc alloc, Free release) {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::vector<void*>> q;
  bool done = false;
  std::thread consumer([&] {
    for (;;) {
      std::unique_lock<std::mutex> l(mu);
      cv.wait(l, [&] { return !q.empty() || done; });
      if (q.empty()) return;
      std::vector<void*> v = std::move(q.front());
      q.pop_front();
      cv.notify_all();
      l.unlock();
      for (void* p : v)
        release(p);
    }
  });
  for (auto _ : state) {
    std::vector<void*> v(kBatch);
    for (int i = 0; i < kBatch; i++)
      v[size_t(i)] = alloc();
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return q.size() < 8; });
    q.push_back(std::move(v));
    cv.notify_all();
  }
  {
    std::lock_guard<std::mutex> g(mu);
    done = true;
    cv.notify_all();
  }
  consumer.join();
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_PoolCrossThread(benchmark::State& state) {
  Pool pool;
  cross_thread(
      state, [&] { return static_cast<void*>(pool.alloc().release()); },
      [](void* p) { BlockPtr(static_cast<Block*>(p)); });
}
BENCHMARK(BM_PoolCrossThread)->UseRealTime();

void BM_OldPoolCrossThread(benchmark::State& state) {
  OldPool pool;
  cross_thread(
      state, [&] { return pool.alloc(); }, [&](void* p) { pool.release(p); });
}
BENCHMARK(BM_OldPoolCrossThread)->UseRealTime();

void BM_MallocCrossThread(benchmark::State& state) {
  cross_thread(
      state, [] { return std::malloc(Pool::kBufSize); }, [](void* p) { std::free(p); });
}
BENCHMARK(BM_MallocCrossThread)->UseRealTime();

}  // namespace
}  // namespace ninet

BENCHMARK_MAIN();
