// A simulation of two stacks in one process joined by a wire through fault
// wrappers (media/fault.h): each Ip binds an Ethernet TestMedium wrapped in a
// FaultMedium armed on the Ip's own timer wheel, a ManualClock drives both,
// and the wire moves what one TestMedium sent into the other's input. Ping
// (ICMP echo through an icmp conversation) is still answered, with the
// delay it should have, under loss and delay in every direction; the whole
// run is the same for the same seeds.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "base/endian.h"
#include "ip/ip.h"
#include "media/fault.h"
#include "media/testing.h"
#include "proto/icmp.h"
#include "proto/icmp_testing.h"

namespace ninet {
namespace {

// One stack with one Ethernet interface on the simulated wire.
struct Host {
  Host(ManualClock& clock, Pool& pool, std::string faults, uint8_t mac, uint64_t seed)
      : ip(clock, pool, [this, &clock, &pool, faults, mac](std::string_view, std::string_view) {
          uint8_t m[6] = {0x52, 0x54, 0, 0, 0, mac};
          auto t = std::make_unique<TestMedium>(true, Mac(m));
          wire = t.get();
          return make_fault_medium(faults, std::move(t), clock, pool, &ip.timers);
        }) {
    ip.rng.seed(seed);
    ip.add_proto(make_icmp(ip));
  }
  Ip ip;
  std::unique_lock<std::mutex> l{ip.mu};
  TestMedium* wire = nullptr;
  FaultMedium* fault() { return static_cast<FaultMedium*>(ip.ifcs()[0]->medium.get()); }
};

struct Sim {
  ManualClock clock;
  Pool pool;
  Host a, b;

  Sim(const std::string& fa, const std::string& fb)
      : a(clock, pool, fa, 1, 11), b(clock, pool, fb, 2, 22) {
    Ifc* fa_ = *a.ip.ifc_clone();
    EXPECT_TRUE(a.ip.ifc_ctl(*fa_, "bind ether sim").ok());
    EXPECT_TRUE(a.ip.ifc_ctl(*fa_, "add 10.0.0.1 255.255.255.0").ok());
    Ifc* fb_ = *b.ip.ifc_clone();
    EXPECT_TRUE(b.ip.ifc_ctl(*fb_, "bind ether sim").ok());
    EXPECT_TRUE(b.ip.ifc_ctl(*fb_, "add 10.0.0.2 255.255.255.0").ok());
  }

  // Moves frames across the wire; true if there were any.
  static bool carry(TestMedium* from, TestMedium* to) {
    bool any = !from->sent.empty();
    for (auto& f : from->sent)
      to->in.push_back(std::move(f));
    from->sent.clear();
    return any;
  }
  // Runs both stacks until nothing moves at this time.
  void settle() {
    for (int i = 0; i < 100; i++) {
      for (Host* h : {&a, &b}) {
        h->ip.poll();
        h->ip.tick();
      }
      bool moved = carry(a.wire, b.wire);
      moved |= carry(b.wire, a.wire);
      if (!moved) return;
    }
    ADD_FAILURE() << "the wire never went quiet";
  }
  // Runs until `until`, jumping from one timer to the next: the fault
  // wrappers' releases are timers on their stacks' wheels. after() runs at
  // every stop.
  template <class F>
  void run(Time until, F after) {
    for (;;) {
      settle();
      after();
      Time next = std::min(a.ip.timers.next(), b.ip.timers.next());
      if (next > until) break;
      clock.set(std::max(next, clock.now() + 1));
    }
    clock.set(until);
    settle();
    after();
  }
};

struct PingResult {
  std::map<uint16_t, Time> rtt;  // of the first reply, by sequence number
  uint64_t dups = 0;             // replies after the first
  uint64_t requests_seen = 0;    // by the pinged stack
};

// Sends `count` pings from a to b, one every 100 ms, and waits a second
// for the last replies.
PingResult ping(Sim& s, int count) {
  PingResult r;
  Proto* icmp = s.a.ip.proto("icmp");
  auto c = icmp->clone("test");
  EXPECT_TRUE(c.ok());
  Conv* conv = *c;
  EXPECT_TRUE(icmp->ctl_message(*conv, "connect 10.0.0.2", s.a.l, nullptr).ok());
  std::map<uint16_t, Time> sent_at;
  auto collect = [&] {
    while (!conv->rq.empty()) {
      std::vector<uint8_t> buf(2048);
      auto n = conv->read(s.a.l, buf, nullptr);
      ASSERT_TRUE(n.ok());
      ASSERT_GE(*n, 8u);
      ASSERT_EQ(buf[0], wire::icmp::kEchoReply);
      uint16_t seq = load16(buf.data() + 6);
      ASSERT_TRUE(sent_at.count(seq)) << "a reply to a ping sent";
      if (r.rtt.count(seq))
        r.dups++;  // a duplicated request or reply ("DUP!" in ping's words)
      else
        r.rtt[seq] = s.clock.now() - sent_at[seq];
    }
  };
  Time t = s.clock.now();
  for (uint16_t seq = 1; seq <= count; seq++) {
    auto msg =
        icmptest::IcmpFixture::icmp4_msg(wire::icmp::kEchoRequest, 0, seq, icmptest::bytes("ping"));
    sent_at[seq] = s.clock.now();
    EXPECT_TRUE(icmp->write(*conv, msg).ok());
    t += ms(100);
    s.run(t, collect);
  }
  s.run(t + sec(1), collect);
  r.requests_seen = s.b.fault()->faults(FaultMedium::kIn).frames;
  return r;
}

TEST(FaultSim, PingIsAnsweredThroughAPerfectWire) {
  Sim s("", "");
  auto r = ping(s, 20);
  EXPECT_EQ(r.rtt.size(), 20u);
  for (auto& [seq, rtt] : r.rtt)
    EXPECT_EQ(rtt, 0) << "no delay anywhere: answered at once";
  EXPECT_EQ(r.dups, 0u);
}

TEST(FaultSim, PingIsAnsweredUnderLossAndDelay) {
  // Each host loses 5% of what it sends and of what it receives and delays
  // both by 10 +- 2 ms, and duplicates 2%: a ping crosses four wrappers, so
  // ~81% come back, after 32..48 ms.
  std::string_view faults = "drop=5%,delay=10ms,jitter=2ms,dup=2%";
  Sim s(std::string(faults) + ",seed=1", std::string(faults) + ",seed=2");
  auto r = ping(s, 200);
  EXPECT_GE(r.rtt.size(), 130u);
  EXPECT_LT(r.rtt.size(), 200u) << "some were lost";
  std::vector<Time> rtts;
  for (auto& [seq, rtt] : r.rtt)
    rtts.push_back(rtt);
  std::sort(rtts.begin(), rtts.end());
  EXPECT_GE(rtts.front(), ms(32)) << "four delays of at least 8 ms";
  EXPECT_LE(rtts[rtts.size() / 2], ms(48))
      << "the median: ARP resolved, four delays of at most 12 ms";
  for (Host* h : {&s.a, &s.b})
    for (auto d : {FaultMedium::kIn, FaultMedium::kOut}) {
      const FaultCounters& n = h->fault()->faults(d);
      EXPECT_GT(n.dropped, 0u);
      EXPECT_GT(n.delayed, 0u);
      EXPECT_EQ(h->fault()->held(d), 0u) << "all released by the timers";
    }
  uint64_t duplicated = 0;
  for (Host* h : {&s.a, &s.b})
    for (auto d : {FaultMedium::kIn, FaultMedium::kOut})
      duplicated += h->fault()->faults(d).duplicated;
  EXPECT_GT(r.dups, 0u) << "duplicated frames make duplicate replies";
  EXPECT_LE(r.dups, duplicated);
}

TEST(FaultSim, TheSameSeedsGiveTheSameRun) {
  auto run = [](std::string_view seed_a, std::string_view seed_b) {
    std::string faults = "drop=10%,delay=5ms,jitter=5ms,reorder=10%,corrupt=1%";
    Sim s(faults + ",seed=" + std::string(seed_a), faults + ",seed=" + std::string(seed_b));
    auto r = ping(s, 50);
    return std::make_tuple(r.rtt, r.dups, r.requests_seen);
  };
  auto first = run("3", "4");
  EXPECT_EQ(first, run("3", "4"));
  EXPECT_NE(first, run("3", "5"));
}

}  // namespace
}  // namespace ninet
