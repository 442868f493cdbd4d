// forward_benchmark — the per-packet cost of IPv4 input -> route -> forward ->
// output through ninet's IP layer on an in-memory Ethernet medium, in batches
// of 64 frames as a medium delivers them. The baseline in the same run is a
// memcpy of the same frames (the least any forwarder must do to touch them).
// Both loops copy the frames into pool blocks (what a medium's receive does);
// BM_Forward then hands the batch to Ip::input, which routes each packet,
// decrements its TTL and sends it out of the second interface.
//
// Counters: ns_per_pkt and cycles_per_pkt (TSC cycles, from this thread's CPU
// time x the TSC rate calibrated at start; BENCH.md). "routes" adds that many
// /24 routes to the table the lookups go through.
//
//   ./build/bench/forward_benchmark --benchmark_repetitions=5 \
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <string>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "base/checksum.h"
#include "ip/ip.h"
#include "media/testing.h"
#include "wire/ether.h"
#include "wire/ip4.h"

namespace ninet {
namespace {

double cpu_mhz() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("cpu MHz", 0) == 0) return std::stod(line.substr(line.find(':') + 1));
  return 0;
}

double clock_s(clockid_t c) {
  timespec ts;
  clock_gettime(c, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// The TSC rate, counted against CLOCK_MONOTONIC over 200 ms. Cycles below are
// TSC cycles: the nominal clock, which a boosting core may outrun. Without a
// TSC, the "cpu MHz" of /proc/cpuinfo.
double tsc_hz() {
  static const double hz = [] {
#if defined(__x86_64__)
    double t0 = clock_s(CLOCK_MONOTONIC);
    uint64_t c0 = __rdtsc();
    usleep(200'000);
    uint64_t c1 = __rdtsc();
    double t1 = clock_s(CLOCK_MONOTONIC);
    double h = double(c1 - c0) / (t1 - t0);
#else
    double h = cpu_mhz() * 1e6;
#endif
    std::fprintf(stderr, "forward_benchmark: TSC %.1f MHz (calibrated), /proc/cpuinfo %.1f MHz\n",
                 h / 1e6, cpu_mhz());
    return h;
  }();
  return hz;
}

// Per-packet cost from this thread's CPU time (time spent descheduled on a
// shared machine is not the forwarder's): ns and TSC cycles per packet.
void per_packet(benchmark::State& st, double cpu_s, uint64_t packets) {
  st.SetItemsProcessed(int64_t(packets));
  if (packets == 0) return;
  st.counters["ns_per_pkt"] = cpu_s * 1e9 / double(packets);
  st.counters["cycles_per_pkt"] = cpu_s * tsc_hz() / double(packets);
}

struct Setup {
  ManualClock clock;
  Pool pool;
  // In-memory Ethernet media that count what is sent and free it.
  std::vector<TestMedium*> media;
  Ip ip{clock, pool, [this](std::string_view kind, std::string_view path) {
          auto m = TestMedium::factory(&media)(kind, path);
          media.back()->keep_sent = false;
          return m;
        }};
  Ifc* a = nullptr;
  Ifc* b = nullptr;
  std::vector<std::vector<uint8_t>> frames;

  explicit Setup(size_t payload, int extra_routes) {
    std::lock_guard<std::mutex> g(ip.mu);
    a = *ip.ifc_clone();
    (void)ip.ifc_ctl(*a, "bind ether mem0");
    (void)ip.ifc_ctl(*a, "add 10.1.0.1 255.255.255.0");
    (void)ip.ifc_ctl(*a, "iprouting 1");
    b = *ip.ifc_clone();
    (void)ip.ifc_ctl(*b, "bind ether mem1");
    (void)ip.ifc_ctl(*b, "add 10.2.0.1 255.255.255.0");
    (void)ip.ifc_ctl(*b, "iprouting 1");
    (void)ip.arp_ctl("add ether 10.2.0.9 020000000099");
    std::string tag = "none";
    (void)ip.route_ctl("add 172.16.0.0 255.240.0.0 10.2.0.9", tag);
    // Filler routes so the lookup is not in a one-entry table.
    uint32_t x = 12345;
    for (int i = 0; i < extra_routes; i++) {
      x = x * 1103515245 + 12345;
      uint32_t net = (0x40000000u | (x & 0x3fffff00u));
      (void)ip.routes.add({Ipaddr::v4(net), Ipaddr::mask_v4(24), *Ipaddr::parse("10.2.0.9"),
                           route::kV4, "none", b->index});
    }
    // The table's lookup structure is built by the first lookup after a
    // change (route.cc): build it now, not inside the timed loop.
    (void)ip.routes.lookup(Ipaddr::v4(0xac100001u));
    // 64 frames to 64 destinations inside 172.16/12, forwarded via 10.2.0.9.
    for (int i = 0; i < 64; i++) {
      std::vector<uint8_t> f(14 + 20 + payload);
      wire::EtherRepr e{a->mac, Mac(), wire::ethertype::kIp4};
      uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x77};
      e.src = Mac(src);
      e.emit(f.data());
      wire::Ip4Repr h;
      h.src = *Ipaddr::parse("10.1.0.9");
      h.dst = Ipaddr::v4(0xac100000u | uint32_t(i * 977));
      h.proto = 17;
      h.ttl = 64;
      h.total_len = uint16_t(20 + payload);
      h.emit(f.data() + 14);
      frames.push_back(std::move(f));
    }
  }
};

void BM_Forward(benchmark::State& st) {
  Setup s(size_t(st.range(0)), int(st.range(1)));
  Batch batch;
  batch.reserve(64);
  std::lock_guard<std::mutex> g(s.ip.mu);
  uint64_t before = s.media[1]->sent_count;  // announcements made while configuring
  tsc_hz();
  double t0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
  for (auto _ : st) {
    for (auto& f : s.frames)
      batch.push_back(s.pool.copy(f.data(), uint32_t(f.size())));
    s.ip.input(*s.a, batch);
    batch.clear();
  }
  double cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - t0;
  if (s.media[1]->sent_count - before != uint64_t(st.iterations()) * 64)
    st.SkipWithError("frames were lost");
  per_packet(st, cpu, uint64_t(st.iterations()) * 64);
}

// Baseline: copy the same 64 frames into pool blocks and free them.
void BM_CopyBaseline(benchmark::State& st) {
  Setup s(size_t(st.range(0)), 0);
  Batch batch;
  batch.reserve(64);
  tsc_hz();
  double t0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
  for (auto _ : st) {
    for (auto& f : s.frames)
      batch.push_back(s.pool.copy(f.data(), uint32_t(f.size())));
    benchmark::DoNotOptimize(batch.data());
    batch.clear();
  }
  per_packet(st, clock_s(CLOCK_THREAD_CPUTIME_ID) - t0, uint64_t(st.iterations()) * 64);
}

BENCHMARK(BM_Forward)
    ->ArgNames({"payload", "routes"})
    ->Args({64, 0})
    ->Args({1400, 0})
    ->Args({64, 100000});
BENCHMARK(BM_CopyBaseline)->ArgName("payload")->Arg(64)->Arg(1400);

}  // namespace
}  // namespace ninet

BENCHMARK_MAIN();
