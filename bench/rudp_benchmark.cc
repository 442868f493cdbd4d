// rudp_benchmark — RUDP's throughput over a simulated lossy link (two
// stacks joined by ip/sim_testing.h's wire, one ManualClock): a client
// connected to an announced `headers` conversation writes 1,000 messages of
// 1,024 bytes, as fast as the 100-unacknowledged limit lets it, and the
// server reads them; an iteration ends when all have arrived. Each host's
// wire wrapper drops 0%, 1% or 5% of what it sends and delays it 1 ms (a
// 2 ms round trip); the second argument is the link's rate in Mbit/s (0:
// none; 100: 11,600 frames of 1,078 bytes a second). The baseline in the
// same run is plain UDP over the same link: the same 1,000 datagrams
// written at once, read as they come, the lost ones not sent again.
//
// items/s and bytes/s are per second of this process's time: the cost of
// the protocol and of the simulated stacks on one core, the clock being
// simulated; read them without a rate (with one, the wrapper releases
// frames one timer at a time and the harness's steps dominate). The
// counter sim_msgs_per_s, with a rate, is messages delivered per second of
// simulated time from the first write to the last arrival: UDP's is the
// link's rate less the losses, RUDP's what its 100-message window and its
// retransmissions make of the same link. rexmit_per_msg counts
// retransmitted messages (after a timeout, or fast) per message delivered;
// delivered is the fraction UDP got through.
//
//   build/bench/rudp_benchmark --benchmark_repetitions=5 --benchmark_report_aggregates_only
#include <benchmark/benchmark.h>

#include <atomic>
#include <string>

#include "base/endian.h"
#include "ip/sim_testing.h"
#include "proto/rudp.h"
#include "proto/udp.h"

namespace ninet {
namespace {

constexpr int kMessages = 1000;
constexpr size_t kSize = 1024;

struct Link : simtest::Sim {
  Link(int loss, int mbit)
      : simtest::Sim(spec(loss, mbit, 1), spec(loss, mbit, 2), [](Ip& ip) {
          ip.add_proto(make_rudp(ip));
          ip.add_proto(make_udp(ip));
        }) {}
  static std::string spec(int loss, int mbit, int seed) {
    return "out.drop=" + std::to_string(loss) + "%,out.delay=1ms,out.rate=" + std::to_string(mbit) +
           "mbit,out.limit=100000,seed=" + std::to_string(seed);
  }
  Conv* open(simtest::Host& h, const char* proto, std::initializer_list<const char*> ctls) {
    Proto* p = h.ip.proto(proto);
    Conv* c = *p->clone("bench");
    for (const char* m : ctls)
      if (!p->ctl_message(*c, m, h.l, nullptr)) std::abort();
    return c;
  }
  // Reads (and drops) what c has queued; returns how many messages.
  static int drain(simtest::Host& h, Conv& c) {
    static uint8_t buf[4096];
    int n = 0;
    while (!c.rq.empty()) {
      (void)c.read(h.l, buf, nullptr);
      n++;
    }
    return n;
  }
};

uint64_t stat(Proto* p, const std::string& name) {
  std::string s = p->stats();
  size_t i = s.find(name + ": ");
  return i == std::string::npos ? 0 : std::stoull(s.substr(i + name.size() + 2));
}

void BM_Rudp(benchmark::State& state) {
  Link s(int(state.range(0)), int(state.range(1)));
  Conv* srv = s.open(s.b, "rudp", {"announce 7000", "headers"});
  Conv* cli = s.open(s.a, "rudp", {"connect 10.0.0.2!7000"});
  srv->rq_limit = 64 << 20;
  Proto* p = s.a.ip.proto("rudp");
  std::vector<uint8_t> msg(kSize, 0x5a);
  std::atomic<bool> nowait{true};
  // Resolve ARP first, as the UDP baseline does: while it resolves, the
  // hold queue keeps one packet of the first window, and the other 99 would
  // go again 200 ms later (the 100 retransmissions per run once reported
  // here at 0% loss).
  (void)p->write_data(*cli, msg, s.a.l, &nowait);
  s.run(s.clock.now() + sec(1), [&] { return Link::drain(s.b, *srv) > 0; });
  s.run(s.clock.now() + sec(1), [] { return false; });  // its ack
  const uint64_t rexmit0 = stat(p, "Retransmits") + stat(p, "FastRetransmits");
  Time sim_time = 0;
  int64_t delivered = 0;
  for (auto _ : state) {
    int sent = 0, got = 0;
    Time t0 = s.clock.now();
    s.run(t0 + sec(3600), [&] {
      while (sent < kMessages && p->write_data(*cli, msg, s.a.l, &nowait).ok())
        sent++;
      s.a.ip.flush();  // as an engine woken by the write would, not at the next stop
      got += Link::drain(s.b, *srv);
      return got == kMessages;
    });
    if (got != kMessages) state.SkipWithError("not all delivered");
    sim_time += s.clock.now() - t0;
    delivered += got;
  }
  state.SetItemsProcessed(delivered);
  state.SetBytesProcessed(delivered * int64_t(kSize));
  if (state.range(1))
    state.counters["sim_msgs_per_s"] = double(delivered) / (double(sim_time) / 1e9);
  state.counters["rexmit_per_msg"] =
      double(stat(p, "Retransmits") + stat(p, "FastRetransmits") - rexmit0) / double(delivered);
}

void BM_UdpBaseline(benchmark::State& state) {
  Link s(int(state.range(0)), int(state.range(1)));
  Conv* srv = s.open(s.b, "udp", {"announce 7000", "headers"});
  Conv* cli = s.open(s.a, "udp", {"connect 10.0.0.2!7000"});
  srv->rq_limit = 64 << 20;  // nothing lost to a slow reader
  Proto* p = s.a.ip.proto("udp");
  std::vector<uint8_t> msg(kSize, 0x5a);
  // Resolve ARP first, so every iteration sees the same link.
  (void)p->write(*cli, msg);
  s.run(s.clock.now() + sec(1), [] { return false; });
  Link::drain(s.b, *srv);
  Time sim_time = 0;
  int64_t delivered = 0, written = 0;
  for (auto _ : state) {
    Time t0 = s.clock.now();
    int got = 0;
    Time last = t0;
    for (int i = 0; i < kMessages; i++)
      (void)p->write(*cli, msg);
    written += kMessages;
    // Read as they come; 1,000 frames take 86 ms on the link.
    s.run(t0 + ms(200), [&] {
      int n = Link::drain(s.b, *srv);
      if (n) last = s.clock.now();
      got += n;
      return false;
    });
    sim_time += last - t0;
    delivered += got;
  }
  state.SetItemsProcessed(delivered);
  state.SetBytesProcessed(delivered * int64_t(kSize));
  if (state.range(1))
    state.counters["sim_msgs_per_s"] = double(delivered) / (double(sim_time) / 1e9);
  state.counters["delivered"] = double(delivered) / double(written);
}

// {loss %, link Mbit/s}
void Links(benchmark::internal::Benchmark* b) {
  for (int mbit : {0, 100})
    for (int loss : {0, 1, 5})
      b->Args({loss, mbit});
}
BENCHMARK(BM_Rudp)->Apply(Links)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_UdpBaseline)->Apply(Links)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ninet

BENCHMARK_MAIN();
