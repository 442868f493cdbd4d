// Prr: after RFC 6937 section 6's example: one loss in a window of 20
// segments with ssthresh 10, and heavy loss where PRR-SSRB takes over.
#include "proto/tcp/prr.h"

#include <gtest/gtest.h>

#include <vector>

namespace ninet::tcp {
namespace {

constexpr uint32_t kMss = 1000;

// RFC 6937 section 6, first example: 20 segments in flight, segment 1
// lost, ssthresh 10. Each later ACK delivers one segment; PRR sends one
// segment for every two delivered, so the 19 ACKs release about 10 segments
// in all (the first is the retransmission): the reduction is spread over
// the whole round trip.
TEST(Prr, OneLossSendsOneForEveryTwoDelivered) {
  Prr prr;
  prr.start(20 * kMss, kMss);
  uint32_t pipe = 19 * kMss;  // one lost
  uint32_t ssthresh = 10 * kMss;
  uint64_t sent = 0;
  std::vector<uint32_t> sends;
  for (int ack = 0; ack < 19; ack++) {
    pipe -= kMss;  // one delivered
    uint32_t cwnd = prr.on_ack(kMss, pipe, ssthresh);
    uint32_t can = cwnd > pipe ? cwnd - pipe : 0;
    uint32_t n = can / kMss * kMss;
    prr.sent(n);
    pipe += n;
    sent += n;
    sends.push_back(n / kMss);
  }
  // The first ACK sends the retransmission, later ones one segment for
  // about every two delivered, never a burst.
  EXPECT_EQ(sends[0], 1u);
  for (uint32_t n : sends)
    EXPECT_LE(n, 1u);
  EXPECT_GE(sent, 9u * kMss);
  EXPECT_LE(sent, 10u * kMss);
  EXPECT_GE(pipe, 9u * kMss) << "in flight has come down to about ssthresh";
  EXPECT_LE(pipe, 10u * kMss);
}

// Heavy loss: pipe falls below ssthresh; PRR-SSRB grows it back by at most
// one segment more than was delivered on each ACK (slow start), not at once.
TEST(Prr, BelowSsthreshGrowsLikeSlowStart) {
  Prr prr;
  prr.start(20 * kMss, kMss);
  uint32_t ssthresh = 10 * kMss;
  uint32_t pipe = 4 * kMss;  // most of the window was lost
  uint32_t cwnd = prr.on_ack(kMss, pipe, ssthresh);
  EXPECT_EQ(cwnd - pipe, 2 * kMss) << "delivered 1 + 1 segment";
  prr.sent(2 * kMss);
  pipe += 2 * kMss;
  cwnd = prr.on_ack(kMss, pipe, ssthresh);
  EXPECT_EQ(cwnd - pipe, 2 * kMss);
  prr.sent(2 * kMss);
  pipe += 2 * kMss;
  // Near ssthresh, no further than it.
  pipe = 9 * kMss;
  cwnd = prr.on_ack(3 * kMss, pipe, ssthresh);
  EXPECT_EQ(cwnd, ssthresh);
}

TEST(Prr, NothingNegative) {
  Prr prr;
  prr.start(10 * kMss, kMss);
  prr.sent(5 * kMss);  // sent more than it was due
  EXPECT_EQ(prr.on_ack(kMss, 9 * kMss, 5 * kMss), 9 * kMss);
  EXPECT_EQ(prr.sndcnt(), 0u);
}

}  // namespace
}  // namespace ninet::tcp
