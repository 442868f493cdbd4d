// ipmux_benchmark — ipmux's classification (ipmux::Tree::match,
// src/proto/ipmux_filter.h) at 10, 100 and 1,000 filters, against the
// brute-force matcher of the differential test (every filter tested, the
// page's rules applied to those that match: ipmux_testing.h) in the same
// run. Packets: 3 in 4 are won by some filter, 1 in 4 by none.
//
// Filters, four shapes in turn (i = 0, 1, ...): a UDP port
// `proto=11;data[2:3]=PORT`, a TCP port from a /24
// `proto=06;data[2:3]=PORT;src=10.A.B.0&255.255.255.0`, a source and
// destination pair `src=10.A.B.C;dst=10.0.0.1`, a GRE key
// `proto=2f;data[4:7]=KEY`.
//
//   build/bench/ipmux_benchmark --benchmark_repetitions=5 --benchmark_report_aggregates_only
#include <benchmark/benchmark.h>

#include <deque>
#include <random>
#include <string>

#include "proto/ipmux_filter.h"
#include "proto/ipmux_testing.h"

namespace ninet::ipmux {
namespace {

std::string hex16(unsigned v) {
  char b[5];
  std::snprintf(b, sizeof b, "%04x", v & 0xffff);
  return b;
}

std::string addr(unsigned i) {
  return "10." + std::to_string(1 + i / 250 % 250) + "." + std::to_string(i % 250) + ".";
}

struct World {
  std::deque<Filter> filters;
  std::vector<const Filter*> ptrs;
  Tree tree;
  std::vector<std::vector<uint8_t>> packets;
  Ipaddr ifc[1] = {Ipaddr::v4(10, 0, 0, 1)};

  explicit World(int n) {
    for (int i = 0; i < n; i++) {
      unsigned u = unsigned(i);
      std::string t;
      switch (i % 4) {
        case 0:
          t = "proto=11;data[2:3]=" + hex16(1000 + u);
          break;
        case 1:
          t = "proto=06;data[2:3]=" + hex16(2000 + u) + ";src=" + addr(u) + "0&255.255.255.0";
          break;
        case 2:
          t = "src=" + addr(u) + "7;dst=10.0.0.1";
          break;
        default:
          t = "proto=2f;data[4:7]=0000" + hex16(u);
          break;
      }
      auto r = parse_filter(t);
      if (!r) std::abort();
      filters.push_back({*r, uint64_t(i + 1), i});
      ptrs.push_back(&filters.back());
      tree.add(filters.back());
    }
    std::mt19937_64 rng(1);
    for (int k = 0; k < 1024; k++) {
      unsigned u = unsigned(rng() % unsigned(n));
      bool miss = rng() % 4 == 0;
      std::vector<uint8_t> p(20 + 8, 0);
      p[0] = 0x45;
      p[9] = std::array<uint8_t, 4>{17, 6, 17, 47}[u % 4];
      auto set_addr = [&](size_t at, unsigned a, unsigned b, unsigned c, unsigned d) {
        p[at] = uint8_t(a), p[at + 1] = uint8_t(b), p[at + 2] = uint8_t(c), p[at + 3] = uint8_t(d);
      };
      set_addr(12, 10, 1 + u / 250 % 250, u % 250, 7);
      set_addr(16, 10, 0, 0, 1);
      unsigned port = (u % 4 == 0 ? 1000 : 2000) + u + (miss ? 60000 : 0);
      p[20 + 2] = uint8_t(port >> 8), p[20 + 3] = uint8_t(port);
      if (u % 4 == 3) p[20 + 6] = uint8_t(u >> 8), p[20 + 7] = uint8_t(u + (miss ? 1 : 0));
      if (u % 4 == 2 && miss) p[19] = 2;
      if (u % 4 == 3 && miss) p[20 + 5] = 1;
      packets.push_back(std::move(p));
    }
    // The tree and the reference agree on every packet.
    for (auto& p : packets)
      if (tree.match(view(p)) != testing::reference_choice(ptrs, view(p))) std::abort();
  }
  Packet view(const std::vector<uint8_t>& p) const { return Packet{p, 20, ifc}; }
};

void BM_IpmuxTree(benchmark::State& state) {
  World w(int(state.range(0)));
  size_t i = 0, won = 0;
  for (auto _ : state) {
    const Filter* f = w.tree.match(w.view(w.packets[i++ & 1023]));
    won += f != nullptr;
    benchmark::DoNotOptimize(f);
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.counters["won"] = double(won) / double(state.iterations());
  state.counters["nodes"] = double(w.tree.nodes());
}
BENCHMARK(BM_IpmuxTree)->Arg(10)->Arg(100)->Arg(1000);

void BM_IpmuxLinear(benchmark::State& state) {
  World w(int(state.range(0)));
  size_t i = 0, won = 0;
  for (auto _ : state) {
    const Filter* f = testing::reference_choice(w.ptrs, w.view(w.packets[i++ & 1023]));
    won += f != nullptr;
    benchmark::DoNotOptimize(f);
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.counters["won"] = double(won) / double(state.iterations());
}
BENCHMARK(BM_IpmuxLinear)->Arg(10)->Arg(100)->Arg(1000);

}  // namespace
}  // namespace ninet::ipmux

BENCHMARK_MAIN();
