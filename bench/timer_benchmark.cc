// timer_benchmark — the stack's timer wheel (src/base/timer.h: hierarchical,
// intrusive Timers) against a std::priority_queue of deadlines in the same
// binary, at a million armed timers.
//
//   ./build-bench/bench/timer_benchmark --benchmark_repetitions=5 \
//       --benchmark_report_aggregates_only=true
//
// The baseline is the usual heap design: std::priority_queue<(when, owner,
// generation)>, min on top, with lazy cancellation (an owner's generation
// counter; a stale entry is skipped when it surfaces), so arm is a push
// (O(log n)), cancel is O(1) and the stale entries cost later pops. next()
// pops stale entries off the top first, so that an engine could sleep on it.
//
// Both serve 1,000,000 owners of 256 bytes each (a timer embedded in a
// connection-sized object: touching an owner is a cache miss in both). The
// deadlines are drawn up front with a fixed seed; owners are visited in a
// random order. Each benchmark iteration does one operation per owner unless
// said otherwise (items = operations; CPU time):
//   arm/{wheel,heap}     1M unarmed timers armed at now + U[0, 60 s)
//   move/{wheel,heap}    1M armed timers each moved to a new random deadline
//                        (half of them earlier, half later)
//   later/{wheel,heap}   1M armed timers each moved 1 ms later (TCP pushing
//                        its retransmit timer back on an ACK)
//   cancel/{wheel,heap}  1M armed timers cancelled, then run() far ahead
//                        (the heap pays its stale entries there)
//   fire/{wheel,heap}    1M timers over 60 s fired by run(now); next() in
//                        1 ms steps, as an engine does
//   churn/{wheel,heap}   1M armed at now + U[200 ms, 1.2 s); then 5000 times
//                        (5 s): 1 ms passes, 1000 owners are re-armed at now
//                        + U[200 ms, 1.2 s), run(now), next(); items =
//                        re-arms (the fires, ~0.77 per re-arm, in the time)
//   tcp/{wheel,heap}     1M armed at now + U[0, 1 s); then 1000 times (1 s):
//                        1 ms passes, 10,000 operations on random owners
//                        (60% re-arm at now + 1 s: an ACK pushing the
//                        retransmit timer back; 20% cancel: all data
//                        acknowledged; 20% arm at now + 40 ms: a delayed
//                        ACK), run(now), next(); items = operations (the
//                        fires, ~0.13 per operation, in the time)
//
// Owners are 64-byte aligned. Medians of 5 runs are what BENCHMARKS.md
// quotes (--benchmark_repetitions=5 --benchmark_report_aggregates_only).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <numeric>
#include <queue>
#include <random>
#include <vector>

#include "base/timer.h"

namespace ninet {
namespace {

constexpr size_t kN = 1000000;
constexpr size_t kOwnerBytes = 256;
constexpr Time kStart = sec(1000);

struct Workload {
  std::vector<Time> offsets[2];  // deadlines after now, two sets for move
  std::vector<Time> rto;         // churn: U[200 ms, 1.2 s)
  std::vector<uint32_t> order;   // a random permutation of the owners
  Workload() {
    std::mt19937_64 rng(20261201);
    for (auto& v : offsets) {
      v.resize(kN);
      for (Time& t : v)
        t = Time(rng() % uint64_t(sec(60)));
    }
    rto.resize(kN);
    for (Time& t : rto)
      t = ms(200) + Time(rng() % uint64_t(sec(1)));
    order.resize(kN);
    std::iota(order.begin(), order.end(), 0u);
    std::shuffle(order.begin(), order.end(), rng);
  }
};

const Workload& workload() {
  static const Workload w;
  return w;
}

// ---- The wheel: a Timer in each owner ----

class Wheel {
 public:
  Wheel() : wheel_(kStart), owners_(new Owner[kN]) {
    for (size_t i = 0; i < kN; i++)
      owners_[i].timer.set(wheel_, [this](Time) { fired_++; });
  }
  void arm(uint32_t i, Time when) { owners_[i].timer.arm(when); }
  void cancel(uint32_t i) { owners_[i].timer.cancel(); }
  size_t run(Time now) { return wheel_.run(now); }
  Time next() { return wheel_.next(); }
  size_t armed() const { return wheel_.armed(); }
  size_t entries() const { return wheel_.armed(); }  // nothing but the Timers
  void clear() {
    for (size_t i = 0; i < kN; i++)
      owners_[i].timer.cancel();
  }
  size_t fired() const { return fired_; }

 private:
  struct alignas(64) Owner {
    Timer timer;
    char rest[kOwnerBytes - sizeof(Timer)];
  };
  static_assert(sizeof(Owner) == kOwnerBytes);
  TimerWheel wheel_;
  std::unique_ptr<Owner[]> owners_;
  size_t fired_ = 0;
};

// ---- The baseline: a binary heap with lazy cancellation ----

class Heap {
 public:
  Heap() : owners_(new Owner[kN]) {}
  void arm(uint32_t i, Time when) {
    Owner& o = owners_[i];
    if (!o.armed) armed_++;
    o.armed = true;
    o.gen++;
    heap_.push({when, i, o.gen});
  }
  void cancel(uint32_t i) {
    Owner& o = owners_[i];
    if (!o.armed) return;
    o.armed = false;
    o.gen++;
    armed_--;
  }
  size_t run(Time now) {
    size_t n = 0;
    while (!heap_.empty() && heap_.top().when <= now) {
      Entry e = heap_.top();
      heap_.pop();
      Owner& o = owners_[e.idx];
      if (!o.armed || o.gen != e.gen) continue;  // cancelled or moved
      o.armed = false;
      armed_--;
      fired_++;
      n++;
    }
    return n;
  }
  Time next() {
    while (!heap_.empty() && stale(heap_.top()))
      heap_.pop();
    return heap_.empty() ? kNever : heap_.top().when;
  }
  size_t armed() const { return armed_; }
  size_t entries() const { return heap_.size(); }  // live and stale, 16 bytes each
  void clear() {
    heap_ = {};
    for (size_t i = 0; i < kN; i++)
      owners_[i].armed = false;
    armed_ = 0;
  }
  size_t fired() const { return fired_; }

 private:
  struct Entry {
    Time when;
    uint32_t idx, gen;
    bool operator>(const Entry& o) const { return when > o.when; }
  };
  struct alignas(64) Owner {
    uint32_t gen = 0;
    bool armed = false;
    char rest[kOwnerBytes - 8];
  };
  static_assert(sizeof(Owner) == kOwnerBytes);
  bool stale(const Entry& e) const {
    const Owner& o = owners_[e.idx];
    return !o.armed || o.gen != e.gen;
  }
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
  std::unique_ptr<Owner[]> owners_;
  size_t armed_ = 0, fired_ = 0;
};

template <class B>
void arm_all(B& b, Time now, const std::vector<Time>& off) {
  for (uint32_t i : workload().order)
    b.arm(i, now + off[i]);
}

template <class B>
void BM_arm(benchmark::State& state) {
  const Workload& w = workload();
  auto b = std::make_unique<B>();
  for (auto _ : state) {
    arm_all(*b, kStart, w.offsets[0]);
    state.PauseTiming();
    if (b->armed() != kN) state.SkipWithError("not all armed");
    b->clear();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(int64_t(state.iterations() * kN));
}

template <class B>
void BM_move(benchmark::State& state) {
  const Workload& w = workload();
  auto b = std::make_unique<B>();
  int k = 0;
  arm_all(*b, kStart, w.offsets[1]);
  for (auto _ : state) {
    k ^= 1;
    arm_all(*b, kStart, w.offsets[k]);
    state.PauseTiming();
    if (b->armed() != kN) state.SkipWithError("not all armed");
    // The heap keeps a stale entry per move: start each round from N live
    // entries, as the wheel does.
    b->clear();
    arm_all(*b, kStart, w.offsets[k]);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(int64_t(state.iterations() * kN));
}

template <class B>
void BM_later(benchmark::State& state) {
  const Workload& w = workload();
  auto b = std::make_unique<B>();
  Time shift = 0;
  arm_all(*b, kStart, w.offsets[0]);
  for (auto _ : state) {
    shift += ms(1);
    arm_all(*b, kStart + shift, w.offsets[0]);
    state.PauseTiming();
    if (b->armed() != kN) state.SkipWithError("not all armed");
    b->clear();
    arm_all(*b, kStart + shift, w.offsets[0]);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(int64_t(state.iterations() * kN));
}

template <class B>
void BM_cancel(benchmark::State& state) {
  const Workload& w = workload();
  auto b = std::make_unique<B>();
  Time base = kStart;  // time only moves forward: each round starts after the last
  for (auto _ : state) {
    state.PauseTiming();
    arm_all(*b, base, w.offsets[0]);
    state.ResumeTiming();
    for (uint32_t i : w.order)
      b->cancel(i);
    size_t fired = b->run(base + sec(120));
    benchmark::DoNotOptimize(b->next());
    if (fired != 0 || b->armed() != 0) state.SkipWithError("cancel failed");
    base += sec(121);
  }
  state.SetItemsProcessed(int64_t(state.iterations() * kN));
}

template <class B>
void BM_fire(benchmark::State& state) {
  const Workload& w = workload();
  auto b = std::make_unique<B>();
  Time base = kStart;
  for (auto _ : state) {
    state.PauseTiming();
    arm_all(*b, base, w.offsets[0]);
    state.ResumeTiming();
    size_t fired = 0;
    for (Time now = base; now <= base + sec(60); now += ms(1)) {
      fired += b->run(now);
      benchmark::DoNotOptimize(b->next());
    }
    if (fired != kN) state.SkipWithError("not all fired");
    base += sec(61);
  }
  state.SetItemsProcessed(int64_t(state.iterations() * kN));
}

template <class B>
void BM_churn(benchmark::State& state) {
  constexpr size_t kPerMs = 1000;
  const Workload& w = workload();
  auto b = std::make_unique<B>();
  Time now = kStart;
  arm_all(*b, now, w.rto);
  size_t pick = 0;
  for (auto _ : state) {
    now += ms(1);
    for (size_t j = 0; j < kPerMs; j++) {
      uint32_t i = w.order[pick];
      b->arm(i, now + w.rto[(pick * 7919) % kN]);
      pick = pick + 1 == kN ? 0 : pick + 1;
    }
    b->run(now);
    benchmark::DoNotOptimize(b->next());
  }
  state.SetItemsProcessed(int64_t(state.iterations() * kPerMs));
  state.counters["armed"] = double(b->armed());
  state.counters["entries"] = double(b->entries());
  state.counters["fired_per_rearm"] =
      double(b->fired()) / double(std::max<int64_t>(1, state.iterations() * int64_t(kPerMs)));
}

BENCHMARK(BM_arm<Wheel>)->Name("arm/wheel")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_arm<Heap>)->Name("arm/heap")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_move<Wheel>)->Name("move/wheel")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_move<Heap>)->Name("move/heap")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_later<Wheel>)->Name("later/wheel")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_later<Heap>)->Name("later/heap")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_cancel<Wheel>)->Name("cancel/wheel")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_cancel<Heap>)->Name("cancel/heap")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_fire<Wheel>)->Name("fire/wheel")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_fire<Heap>)->Name("fire/heap")->Unit(benchmark::kMillisecond);
template <class B>
void BM_tcp(benchmark::State& state) {
  constexpr size_t kPerMs = 10000;
  const Workload& w = workload();
  auto b = std::make_unique<B>();
  Time now = kStart;
  arm_all(*b, now, w.offsets[0]);  // U[0, 60 s): reshaped by the first second
  uint64_t x = 88172645463325252ull;
  for (auto _ : state) {
    now += ms(1);
    for (size_t j = 0; j < kPerMs; j++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift64: the same ops for both
      uint32_t i = uint32_t(x % kN);
      switch ((x >> 40) % 10) {
        case 6:
        case 7:
          b->cancel(i);
          break;
        case 8:
        case 9:
          b->arm(i, now + ms(40));
          break;
        default:
          b->arm(i, now + sec(1));
      }
    }
    b->run(now);
    benchmark::DoNotOptimize(b->next());
  }
  state.SetItemsProcessed(int64_t(state.iterations() * kPerMs));
  state.counters["armed"] = double(b->armed());
  state.counters["entries"] = double(b->entries());
  state.counters["fired_per_op"] =
      double(b->fired()) / double(std::max<int64_t>(1, state.iterations() * int64_t(kPerMs)));
}

// Fixed simulated time, the same for both (churn: steady state from 1.2 s).
BENCHMARK(BM_churn<Wheel>)->Name("churn/wheel")->Unit(benchmark::kMicrosecond)->Iterations(5000);
BENCHMARK(BM_churn<Heap>)->Name("churn/heap")->Unit(benchmark::kMicrosecond)->Iterations(5000);
BENCHMARK(BM_tcp<Wheel>)->Name("tcp/wheel")->Unit(benchmark::kMicrosecond)->Iterations(1000);
BENCHMARK(BM_tcp<Heap>)->Name("tcp/heap")->Unit(benchmark::kMicrosecond)->Iterations(1000);

}  // namespace
}  // namespace ninet

BENCHMARK_MAIN();
