// Rto: RFC 6298's estimator, step by step against the RFC's formulas.
#include "proto/tcp/rto.h"

#include <gtest/gtest.h>

namespace ninet::tcp {
namespace {

TEST(Rto, OneSecondBeforeAnySample) {
  Rto r;
  EXPECT_FALSE(r.has_sample());
  EXPECT_EQ(r.timeout(), sec(1));
}

TEST(Rto, FirstAndLaterSamplesFollowTheRfc) {
  Rto r;
  r.sample(ms(100));  // 2.2: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR
  EXPECT_EQ(r.srtt(), ms(100));
  EXPECT_EQ(r.rttvar(), ms(50));
  EXPECT_EQ(r.timeout(), ms(300));
  r.sample(ms(200));  // RTTVAR = 3/4 50 + 1/4 |100 - 200| = 62.5; SRTT = 7/8 100 + 1/8 200
  EXPECT_EQ(r.rttvar(), us(62500));
  EXPECT_EQ(r.srtt(), us(112500));
  EXPECT_EQ(r.timeout(), us(112500) + 4 * us(62500));
}

TEST(Rto, ClampedBetweenMinimumAndMaximum) {
  Rto r;
  r.sample(us(50));  // a LAN: 50 us + 4 * 25 us is far below the floor
  EXPECT_EQ(r.timeout(), Rto::kMin);
  Rto slow;
  slow.sample(sec(100));
  EXPECT_EQ(slow.timeout(), Rto::kMax);
}

TEST(Rto, SteadySamplesShrinkTheVariation) {
  Rto r;
  for (int i = 0; i < 100; i++)
    r.sample(ms(300));
  EXPECT_EQ(r.srtt(), ms(300));
  EXPECT_LT(r.rttvar(), ms(1));
  // Floor of 4 * RTTVAR is G: the timeout stays above the RTT itself.
  EXPECT_GE(r.timeout(), ms(300) + Rto::kGranularity);
  EXPECT_LT(r.timeout(), ms(305));
}

TEST(Rto, BackoffDoublesUntilTheMaximumAndASampleEndsIt) {
  Rto r;
  r.sample(ms(100));
  r.backoff();
  EXPECT_EQ(r.timeout(), ms(600));
  r.backoff();
  EXPECT_EQ(r.timeout(), ms(1200));
  for (int i = 0; i < 40; i++)
    r.backoff();
  EXPECT_EQ(r.timeout(), Rto::kMax);
  EXPECT_EQ(r.backoffs(), Rto::kMaxBackoff);
  r.sample(ms(100));
  EXPECT_EQ(r.backoffs(), 0u);
  EXPECT_LT(r.timeout(), ms(600));
}

TEST(Rto, ALostSynMeansThreeSecondsUntilASample) {
  Rto r;
  r.backoff();  // the SYN's own retransmission
  EXPECT_EQ(r.timeout(), sec(2));
  r.lost_syn();
  EXPECT_EQ(r.timeout(), sec(3));
  r.sample(ms(10));
  EXPECT_EQ(r.timeout(), Rto::kMin);
  r.lost_syn();  // too late: a measurement exists
  EXPECT_EQ(r.timeout(), Rto::kMin);
}

TEST(Rto, TimestampSamplesShareTheGain) {
  // RFC 7323 appendix G: with 8 samples per RTT each moves SRTT by 1/64.
  Rto a, b;
  a.sample(ms(100));
  b.sample(ms(100));
  a.sample(ms(164));
  b.sample(ms(164), 8);
  EXPECT_EQ(a.srtt(), ms(108));
  EXPECT_EQ(b.srtt(), ms(101));
}

TEST(Rto, NegativeSamplesAreIgnored) {
  Rto r;
  r.sample(-5);
  EXPECT_FALSE(r.has_sample());
}

}  // namespace
}  // namespace ninet::tcp
