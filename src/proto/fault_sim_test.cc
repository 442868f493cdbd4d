// Two stacks in one process joined by a wire through fault wrappers
// (ip/sim_testing.h). Ping (ICMP echo through an icmp conversation) is
// still answered, with the delay it should have, under loss and delay in
// every direction; the whole run is the same for the same seeds.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "base/endian.h"
#include "ip/ip.h"
#include "ip/sim_testing.h"
#include "media/fault.h"
#include "proto/icmp.h"
#include "proto/icmp_testing.h"

namespace ninet {
namespace {

using simtest::Host;

// The shared harness (ip/sim_testing.h) with icmp on both stacks.
struct Sim : simtest::Sim {
  Sim(const std::string& fa, const std::string& fb)
      : simtest::Sim(fa, fb, [](Ip& ip) { ip.add_proto(make_icmp(ip)); }) {}
  template <class F>
  void run(Time until, F after) {
    simtest::Sim::run(until, [&] {
      after();
      return false;
    });
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
