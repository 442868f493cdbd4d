// Congestion control against the RFCs' formulas, on an ACK-clocked flow
// simulated with a fixed or changing RTT (no loss unless a test says so).
#include "proto/tcp/congestion.h"

#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <functional>

namespace ninet::tcp {
namespace {

constexpr uint32_t kMss = 1000;

// One flow: every segment is acknowledged one RTT after it was sent, and
// each ACK lets the sender fill cwnd again at once.
struct Flow {
  explicit Flow(Congestion& c) : cc(c) {}
  Congestion& cc;
  Time now = 0;
  uint32_t snd_una = 0, snd_nxt = 0;
  std::deque<Time> sent;  // send time of each segment in flight

  void fill() {
    while (snd_nxt - snd_una + kMss <= cc.cwnd()) {
      sent.push_back(now);
      snd_nxt += kMss;
    }
  }
  // Runs until `end`, with the RTT a function of time.
  void run(Time end, const std::function<Time(Time)>& rtt) {
    fill();
    while (!sent.empty()) {
      Time r = rtt(sent.front());
      Time at = sent.front() + r;
      if (at > end) break;
      sent.pop_front();
      now = at;
      snd_una += kMss;
      cc.on_ack({kMss, snd_una, snd_nxt, r, r, now});
      fill();
    }
    now = end;
  }
  void run(Time end, Time rtt) {
    run(end, [rtt](Time) { return rtt; });
  }
  uint32_t flight() const { return snd_nxt - snd_una; }
};

double segs(uint32_t bytes) {
  return double(bytes) / kMss;
}

TEST(NewReno, SlowStartDoublesAndAvoidanceAddsOneSegmentPerRtt) {
  NewReno cc(kMss);
  EXPECT_EQ(cc.cwnd(), 10 * kMss);  // RFC 6928
  EXPECT_TRUE(cc.in_slow_start());
  Flow f(cc);
  f.run(ms(100) + 1, ms(100));  // one round: ten ACKs
  EXPECT_EQ(cc.cwnd(), 20 * kMss);
  cc.on_congestion(f.now, 20 * kMss);
  EXPECT_EQ(cc.ssthresh(), 10 * kMss);
  EXPECT_EQ(cc.cwnd(), 10 * kMss);
  EXPECT_FALSE(cc.in_slow_start());
  for (int i = 0; i < 10; i++)
    cc.on_ack({kMss, 0, 0, -1, -1, 0});
  EXPECT_EQ(cc.cwnd(), 11 * kMss);
  cc.on_timeout(0, 11 * kMss);
  EXPECT_EQ(cc.cwnd(), kMss);
  EXPECT_EQ(cc.ssthresh(), 5500u);
  cc.on_congestion(0, kMss);  // never below two segments
  EXPECT_EQ(cc.ssthresh(), 2 * kMss);
}

// Slow start to 100 segments, then a loss: cwnd 70, W_max 100, K =
// cbrt(30 / 0.4) = 4.22 s. With a 100 ms RTT the window then follows
// W_cubic one RTT ahead: concave up to W_max around K, convex after.
TEST(Cubic, FollowsTheCubicAfterALoss) {
  Cubic cc(kMss);
  Flow f(cc);
  while (cc.cwnd() < 100 * kMss)
    f.run(f.now + ms(100), ms(100));
  cc.set_cwnd(100 * kMss);
  cc.on_congestion(f.now, f.flight());
  EXPECT_EQ(cc.cwnd(), 70 * kMss);
  EXPECT_EQ(cc.ssthresh(), 70 * kMss);
  Time start = f.now;
  f.run(f.now + ms(100), ms(100));  // the epoch starts with the first ACK after it
  EXPECT_DOUBLE_EQ(cc.w_max(), 100);
  EXPECT_NEAR(cc.k(), std::cbrt(30 / 0.4), 1e-9);
  double prev = segs(cc.cwnd()), prev_step = 1e9;
  for (int r = 2; r <= 80; r++) {  // 8 s
    f.run(start + r * ms(100), ms(100));
    double t = double(f.now - start) / 1e9, w = segs(cc.cwnd());
    // On the curve, within two RTTs either way (the epoch starts with an
    // ACK, and cwnd aims one RTT ahead), or on the Reno-friendly estimate
    // where that is higher (here from about 6 s: W_est passes the flat part
    // of the cubic, growing a segment per RTT once above W_max).
    EXPECT_GE(w, cc.w_cubic(t - 0.2) - 1) << "t " << t;
    EXPECT_LE(w, std::max(cc.w_cubic(t + 0.2), cc.w_est()) + 1) << "t " << t;
    double step = w - prev;
    if (t > 0.5 && t < cc.k() - 0.5) EXPECT_LE(step, prev_step + 0.1) << "concave, t " << t;
    if (t > cc.k() + 0.5) EXPECT_GE(step, prev_step - 0.1) << "convex, t " << t;
    if (std::abs(t - cc.k()) < 0.3) EXPECT_NEAR(w, 100, 3) << "the plateau at W_max";
    prev = w;
    prev_step = step;
  }
  EXPECT_GT(segs(cc.cwnd()), cc.w_cubic(7.8)) << "probing past W_max at 8 s";
  EXPECT_GT(segs(cc.cwnd()), 115);
}

// With a 1 ms RTT the cubic grows far slower than Reno would: cwnd follows
// the Reno-friendly estimate (RFC 9438 4.3), alpha 0.53 below W_max, 1 above.
TEST(Cubic, RenoFriendlyOnShortRtts) {
  Cubic cc(kMss);
  cc.set_cwnd(20 * kMss);
  cc.on_congestion(0, 20 * kMss);  // W_max 20, cwnd 14
  Flow f(cc);
  f.run(ms(200), ms(1));
  double t = 0.2;
  EXPECT_GT(segs(cc.cwnd()), cc.w_cubic(t) + 50) << "well above the cubic";
  EXPECT_NEAR(segs(cc.cwnd()), cc.w_est(), 1.5);
  // About 200 RTTs: ~11 at alpha 0.53 to reach 20, then one segment each.
  EXPECT_GT(cc.w_est(), 180);
  EXPECT_LT(cc.w_est(), 220);
}

TEST(Cubic, FastConvergenceAndTimeout) {
  Cubic cc(kMss);
  cc.set_cwnd(100 * kMss);
  cc.on_congestion(0, 0);
  EXPECT_DOUBLE_EQ(cc.w_max(), 100);
  cc.set_cwnd(80 * kMss);  // lost again below the last W_max
  cc.on_congestion(0, 0);
  EXPECT_DOUBLE_EQ(cc.w_max(), 80 * (1 + Cubic::kBeta) / 2);
  EXPECT_EQ(cc.ssthresh(), 56 * kMss);
  cc.set_cwnd(60 * kMss);
  cc.on_timeout(0, 0);
  EXPECT_EQ(cc.cwnd(), kMss);
  EXPECT_EQ(cc.ssthresh(), 42 * kMss);
  EXPECT_TRUE(cc.in_slow_start());
  cc.end_recovery();
  EXPECT_EQ(cc.cwnd(), 42 * kMss);
}

// HyStart++: a steady RTT keeps slow start; a rise of more than max(4 ms,
// RTT / 8) moves to Conservative Slow Start (a quarter of the growth), and
// five rounds of it end slow start with ssthresh = cwnd.
TEST(Cubic, HyStartLeavesSlowStartWhenTheRttRises) {
  Cubic cc(kMss);
  Flow f(cc);
  f.run(ms(200) - 1, ms(20));  // ten rounds at 20 ms
  EXPECT_EQ(cc.hystart().phase(), HyStart::Phase::kSlowStart);
  EXPECT_TRUE(cc.in_slow_start());
  uint32_t before = cc.cwnd();
  EXPECT_GE(before, 1000u * kMss);  // doubled each round
  // The queue builds: 20 ms -> 30 ms, more than the 4 ms threshold.
  Time rise = f.now;
  f.run(rise + ms(45), [&](Time sent) { return sent >= rise ? ms(30) : ms(20); });
  EXPECT_EQ(cc.hystart().phase(), HyStart::Phase::kConservative);
  // CSS grows by a quarter of slow start's: about 1.25x per round, not 2x.
  uint32_t css_start = cc.cwnd();
  f.run(f.now + ms(30), ms(30));
  EXPECT_LT(double(cc.cwnd()), 1.4 * css_start);
  EXPECT_GT(double(cc.cwnd()), 1.1 * css_start);
  f.run(f.now + ms(200), ms(30));
  EXPECT_EQ(cc.hystart().phase(), HyStart::Phase::kDone);
  EXPECT_FALSE(cc.in_slow_start());
  EXPECT_LT(cc.ssthresh(), UINT32_MAX);
}

TEST(Cubic, HyStartResumesSlowStartWhenTheRiseWasNoise) {
  HyStart h;
  uint32_t ack = 0;
  auto round = [&](Time rtt) {  // ten ACKs; the sender keeps ten segments ahead
    for (int i = 0; i < 10; i++, ack++)
      h.on_ack({kMss, ack, ack + 10, rtt, rtt, 0});
  };
  round(ms(20));
  round(ms(20));
  round(ms(40));
  EXPECT_EQ(h.phase(), HyStart::Phase::kConservative);
  round(ms(20));  // below the baseline of 40 ms: back to slow start
  EXPECT_EQ(h.phase(), HyStart::Phase::kSlowStart);
}

TEST(Congestion, MssChangeKeepsTheWindowInSegments) {
  auto cc = make_congestion(CcAlgo::kCubic, 1460);
  EXPECT_EQ(cc->name(), "cubic");
  EXPECT_EQ(cc->cwnd(), 14600u);
  cc->set_mss(1200);
  EXPECT_EQ(cc->cwnd(), 12000u);
  EXPECT_EQ(make_congestion(CcAlgo::kNewReno, 1460)->name(), "newreno");
}

}  // namespace
}  // namespace ninet::tcp
