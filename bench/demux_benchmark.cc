// demux_benchmark — the per-packet conversation lookup of the Proto/Conv
// contract (ConvDemux::find, ip/conv.h) at 1,000, 10,000 and 100,000
// connected conversations, for packets of established connections (hits)
// and for packets no conversation wants (misses), next to a linear scan
// over the conversations (what ICMP did per echo reply before issue 5) in
// the same run. The claim under test: cost per packet does not grow with the
// number of conversations.
//
//   build/bench/demux_benchmark --benchmark_repetitions=5 --benchmark_report_aggregates_only
#include <benchmark/benchmark.h>

#include <memory>
#include <random>

#include "ip/ip.h"
#include "media/testing.h"

namespace ninet {
namespace {

class Sink : public Proto {
 public:
  explicit Sink(Ip& ip, int max) : Proto(ip, "sink", 253, max) {}
  Result<size_t> write(Conv&, std::span<const uint8_t> d) override { return d.size(); }
  void rcv(const IpRx&, BlockPtr) override {}
  std::string stats() const override { return ""; }
};

Ipaddr remote(int i) {
  return Ipaddr::v4(10, uint8_t(1 + i / 62500), uint8_t(i / 250 % 250), uint8_t(i % 250 + 2));
}

struct World {
  ManualClock clock;
  Pool pool;
  std::vector<TestMedium*> media;
  Ip ip{clock, pool, TestMedium::factory(&media)};
  Sink* sink = nullptr;
  std::vector<Conv*> convs;

  explicit World(int n) {
    std::unique_lock<std::mutex> l(ip.mu);
    auto p = std::make_unique<Sink>(ip, n + 1);
    sink = p.get();
    ip.add_proto(std::move(p));
    Ifc* f = *ip.ifc_clone();
    (void)ip.ifc_ctl(*f, "bind ether x");
    (void)ip.ifc_ctl(*f, "add 10.0.0.1 255.255.255.0");
    std::string tag;
    (void)ip.route_ctl("add 0.0.0.0 0.0.0.0 10.0.0.254", tag);
    for (int i = 0; i < n; i++) {
      Conv* c = *sink->clone("bench");
      std::string msg = "connect " + remote(i).str() + "!" + std::to_string(1000 + i % 7) + " 80";
      if (!sink->ctl_message(*c, msg, l, nullptr)) std::abort();
      convs.push_back(c);
    }
  }
};

// Packets of established connections, in random order (so lookups miss the
// CPU caches as a busy server's do).
void BM_DemuxHit(benchmark::State& state) {
  int n = int(state.range(0));
  World w(n);
  std::mt19937 rng(1);
  std::vector<int> order(4096);
  for (int& x : order)
    x = int(rng() % uint32_t(n));
  const Ipaddr us = Ipaddr::v4(10, 0, 0, 1);
  size_t i = 0;
  for (auto _ : state) {
    int k = order[i++ & 4095];
    Conv* c = w.sink->demux.find(80, remote(k), uint16_t(1000 + k % 7), us);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_DemuxHit)->Arg(1000)->Arg(10000)->Arg(100000);

// Packets for a port and remote nobody has (a scan, a late packet).
void BM_DemuxMiss(benchmark::State& state) {
  World w(int(state.range(0)));
  const Ipaddr us = Ipaddr::v4(10, 0, 0, 1);
  uint16_t port = 1;
  for (auto _ : state) {
    Conv* c = w.sink->demux.find(81, Ipaddr::v4(192, 0, 2, 1), port++, us);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_DemuxMiss)->Arg(1000)->Arg(10000)->Arg(100000);

// The baseline: a linear scan for the same 4-tuples.
void BM_LinearScan(benchmark::State& state) {
  int n = int(state.range(0));
  World w(n);
  std::mt19937 rng(1);
  std::vector<int> order(4096);
  for (int& x : order)
    x = int(rng() % uint32_t(n));
  size_t i = 0;
  for (auto _ : state) {
    int k = order[i++ & 4095];
    Ipaddr r = remote(k);
    uint16_t rp = uint16_t(1000 + k % 7);
    Conv* found = nullptr;
    for (Conv* c : w.convs)
      if (c->lport == 80 && c->rport == rp && c->raddr == r) {
        found = c;
        break;
      }
    benchmark::DoNotOptimize(found);
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_LinearScan)->Arg(1000)->Arg(10000)->Arg(100000);

}  // namespace
}  // namespace ninet

BENCHMARK_MAIN();
