// PLPMTUD's black-hole fallback: BlackHole's steps, then connections over
// a path that silently loses frames above a size (no ICMP): the MSS falls
// after two timeouts and the data gets through, both ways, over IPv4 and
// IPv6, in two steps when search_low is still too big.
#include "proto/tcp/plpmtud.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "proto/tcp/tcp_testing.h"

namespace ninet::tcp {
namespace {

using tcptest::connect;
using tcptest::drain;
using tcptest::feed;
using tcptest::Host;
using tcptest::Pair;
using tcptest::random_bytes;
using tcptest::stat;
using tcptest::status;
using tcptest::TcpSim;

TEST(BlackHole, StepsDownToSearchLowThenTheMinimum) {
  EXPECT_EQ(BlackHole::lower(8960, false), 1024 - 40);
  EXPECT_EQ(BlackHole::lower(1460, false), 1024 - 40);
  EXPECT_EQ(BlackHole::lower(984, false), 576 - 40);
  EXPECT_EQ(BlackHole::lower(536, false), 536) << "no lower";
  EXPECT_EQ(BlackHole::lower(8940, true), 1280 - 60);
  EXPECT_EQ(BlackHole::lower(1220, true), 1220) << "IPv6 links carry 1280";
}

TEST(BlackHole, TwoTimeoutsInARowOnFullSizeSegments) {
  BlackHole bh;
  EXPECT_EQ(bh.on_timeout(1000, 1460, 1460, false), 1460) << "one timeout is loss";
  EXPECT_EQ(bh.on_timeout(1000, 1460, 1460, false), 984);
  // At 984 the count starts again.
  EXPECT_EQ(bh.on_timeout(1000, 984, 984, false), 984);
  EXPECT_EQ(bh.on_timeout(1000, 984, 984, false), 536);
}

TEST(BlackHole, ProgressOrAnIcmpStartsTheCountAgain) {
  BlackHole bh;
  EXPECT_EQ(bh.on_timeout(1000, 1460, 1460, false), 1460);
  EXPECT_EQ(bh.on_timeout(5000, 1460, 1460, false), 1460) << "SND.UNA moved: not in a row";
  bh.on_ptb();
  EXPECT_EQ(bh.on_timeout(5000, 1460, 1460, false), 1460) << "the path spoke: count again";
  EXPECT_EQ(bh.on_timeout(5000, 1460, 1460, false), 984);
}

TEST(BlackHole, SmallSegmentsLostAreNotTheMtu) {
  BlackHole bh;
  for (int i = 0; i < 5; i++)
    EXPECT_EQ(bh.on_timeout(1000, 500, 1460, false), 1460);
}

// As simtest::Sim::run, but the wire loses every frame longer than
// max_frame: a path with a smaller MTU whose router sends no ICMP.
template <class F>
void run_black_hole(TcpSim& s, size_t max_frame, Time until, F after) {
  auto carry = [&](TestMedium* from, TestMedium* to) {
    bool any = !from->sent.empty();
    for (auto& f : from->sent)
      if (f->size() <= max_frame) to->in.push_back(std::move(f));
    from->sent.clear();
    return any;
  };
  auto settle = [&] {
    for (int i = 0; i < 100000; i++) {
      for (Host* h : {&s.a, &s.b}) {
        h->ip.poll();
        h->ip.tick();
      }
      bool moved = carry(s.a.wire, s.b.wire);
      moved |= carry(s.b.wire, s.a.wire);
      if (!moved) return;
    }
    ADD_FAILURE() << "the wire never went quiet";
  };
  for (;;) {
    settle();
    if (after()) return;
    Time next = std::min(s.a.ip.timers.next(), s.b.ip.timers.next());
    if (next > until) break;
    s.clock.set(std::max(next, s.clock.now() + 1));
  }
  s.clock.set(until);
  settle();
  after();
}

// Both interfaces take jumbo frames (MTU 9000), so each end picks an MSS
// of almost 9000; the path between them carries no more than max_frame.
void black_hole_transfer(const std::string& to, size_t max_frame, uint16_t want_mss) {
  TcpSim s;
  for (Host* h : {&s.a, &s.b})
    ASSERT_TRUE(h->ip.ifc_ctl(*h->ip.ifcs()[0], "mtu 9014").ok());
  Pair p = connect(s, to);
  ASSERT_NE(p.server, nullptr);
  EXPECT_NE(status(s.a, p.client).find(to.find(':') != std::string::npos ? "mss 8940" : "mss 8960"),
            std::string::npos)
      << status(s.a, p.client);
  std::string up = random_bytes(1 << 20, 41), down = random_bytes(1 << 20, 42);
  size_t at_up = 0, at_down = 0;
  std::string got_up, got_down;
  run_black_hole(s, max_frame, s.clock.now() + sec(60), [&] {
    feed(s.a, p.client, up, at_up);
    feed(s.b, p.server, down, at_down);
    got_up += drain(s.b, p.server);
    got_down += drain(s.a, p.client);
    return got_up.size() >= up.size() && got_down.size() >= down.size();
  });
  EXPECT_TRUE(got_up == up) << got_up.size() << " of " << up.size();
  EXPECT_TRUE(got_down == down) << got_down.size() << " of " << down.size();
  std::string mss = "mss " + std::to_string(want_mss) + " ";
  EXPECT_NE(status(s.a, p.client).find(mss), std::string::npos) << status(s.a, p.client);
  EXPECT_NE(status(s.b, p.server).find(mss), std::string::npos) << status(s.b, p.server);
  EXPECT_GE(stat(s.a, "MtuBlackHoles"), 1u);
  EXPECT_GE(stat(s.b, "MtuBlackHoles"), 1u);
}

TEST(TcpBlackHole, A1500BytePathWithoutIcmp) {
  black_hole_transfer("10.0.0.2!80", 1514, 1024 - 40);
}

TEST(TcpBlackHole, A1500BytePathWithoutIcmpOverIpv6) {
  black_hole_transfer("fd00::2!80", 1514, 1280 - 60);
}

TEST(TcpBlackHole, A1000BytePathTakesTwoSteps) {
  black_hole_transfer("10.0.0.2!80", 1014, 576 - 40);
}

}  // namespace
}  // namespace ninet::tcp
