// RcvBuf: the receive buffer grows with what the reader takes per round
// trip, never past its maximum, never back; the receiver's round trip from
// timestamps or from a window's worth of data. Then TCP connections with
// it: a slow reader is offered a small window, a fast one on a long fat
// path a large one.
#include "proto/tcp/rcvbuf.h"

#include <gtest/gtest.h>

#include <string>

#include "proto/tcp/tcp_testing.h"

namespace ninet::tcp {
namespace {

using tcptest::announce;
using tcptest::clone;
using tcptest::connect;
using tcptest::drain;
using tcptest::feed;
using tcptest::forged;
using tcptest::frame_tcp;
using tcptest::Host;
using tcptest::kNoWait;
using tcptest::Pair;
using tcptest::random_bytes;
using tcptest::start_connect;
using tcptest::stat;
using tcptest::state;
using tcptest::status;
using tcptest::take_call;
using tcptest::tcp;
using tcptest::TcpSim;
using tcptest::transfer;

TEST(RcvBuf, WindowScaleForTheLargestBuffer) {
  EXPECT_EQ(wscale_for(65535), 0);
  EXPECT_EQ(wscale_for(65536), 1);
  EXPECT_EQ(wscale_for(4 << 20), 7);
  EXPECT_EQ(wscale_for(RcvBuf::kMax), 9);  // 16 MiB >> 8 is 65536: one more
  EXPECT_EQ(wscale_for(0xffffffff), 14);   // RFC 7323 2.3's limit
  EXPECT_LE(RcvBuf::kMax >> wscale_for(RcvBuf::kMax), 65535u);
}

TEST(RcvBuf, NothingHappensWithoutARoundTrip) {
  RcvBuf rb;
  EXPECT_EQ(rb.size(), RcvBuf::kInitial);
  EXPECT_FALSE(rb.on_read(1000000, 1000, -1, sec(1))) << "not started";
  rb.start(0, 1000, 0);
  EXPECT_FALSE(rb.on_read(1000000, 1000, -1, sec(1))) << "no RTT known";
  EXPECT_EQ(rb.size(), RcvBuf::kInitial);
}

TEST(RcvBuf, AReaderThatTakesMoreEachRoundTripGrowsIt) {
  RcvBuf rb;
  rb.start(1000, 1000, 0);  // expects 10 segments (10000 bytes) a round trip
  rb.rtt_sample(ms(10));
  EXPECT_FALSE(rb.on_read(1000 + 50000, 1000, -1, ms(5))) << "less than a round trip yet";
  // 20000 bytes read in the first round trip: twice that plus 16
  // segments (56000), and as the rate doubled, room to double again:
  // + 2 * 56000 * (20000 - 10000) / 10000.
  EXPECT_TRUE(rb.on_read(1000 + 20000, 1000, -1, ms(10)));
  EXPECT_EQ(rb.size(), 56000u + 112000u);
  EXPECT_EQ(rb.per_rtt(), 20000u);
  // The same again: not faster, no change.
  EXPECT_FALSE(rb.on_read(1000 + 40000, 1000, -1, ms(20)));
  EXPECT_EQ(rb.size(), 168000u);
  // Faster: 80000 bytes; 2 * 80000 + 16000 = 176000, + 2 * 176000 * 3.
  EXPECT_TRUE(rb.on_read(1000 + 120000, 1000, -1, ms(30)));
  EXPECT_EQ(rb.size(), 176000u * 7);
}

TEST(RcvBuf, NeverPastTheMaximumNorBack) {
  RcvBuf rb(128 << 10, 1 << 20);
  rb.start(0, 1460, 0);
  rb.rtt_sample(ms(50));
  uint32_t copied = 0;
  Time t = 0;
  for (uint32_t per = 20000; per < 800000; per *= 2) {
    copied += per;
    t += ms(50);
    rb.on_read(copied, 1460, -1, t);
    EXPECT_LE(rb.size(), 1u << 20);
  }
  EXPECT_EQ(rb.size(), 1u << 20);
  // A reader that slows down keeps what it had.
  copied += 1000;
  t += ms(50);
  EXPECT_FALSE(rb.on_read(copied, 1460, -1, t));
  EXPECT_EQ(rb.size(), 1u << 20);
}

// A reader that takes 16 KiB every 100 ms on a 10 ms path (160 KB/s, a
// window of a few KiB would do) keeps the initial buffer.
TEST(RcvBuf, ASlowReaderKeepsTheInitialBuffer) {
  RcvBuf rb;
  rb.start(0, 1460, 0);
  rb.rtt_sample(ms(10));
  uint32_t copied = 0;
  for (Time t = ms(100); t <= sec(10); t += ms(100)) {
    copied += 16384;
    EXPECT_FALSE(rb.on_read(copied, 1460, -1, t));
  }
  EXPECT_EQ(rb.size(), RcvBuf::kInitial);
}

TEST(RcvBuf, TheSendersRoundTripStandsInUntilTheReceiverHasOne) {
  RcvBuf rb;
  rb.start(0, 1000, 0);
  EXPECT_FALSE(rb.on_read(100000, 1000, ms(20), ms(10))) << "within the sender's SRTT";
  EXPECT_TRUE(rb.on_read(100000, 1000, ms(20), ms(20)));
  EXPECT_GT(rb.size(), RcvBuf::kInitial);
}

TEST(RcvBuf, AFastPathIsMeasuredInMillisecondsAtLeast) {
  RcvBuf rb;
  rb.start(0, 1000, 0);
  rb.rtt_sample(0);  // a timestamp echoed within its millisecond
  EXPECT_EQ(rb.rtt(), 0);
  EXPECT_FALSE(rb.on_read(50000, 1000, -1, us(500)));
  EXPECT_TRUE(rb.on_read(50000, 1000, -1, ms(1)));
}

TEST(RcvBuf, TimestampSamplesAreSmoothed) {
  RcvBuf rb;
  rb.rtt_sample(ms(80));
  EXPECT_EQ(rb.rtt(), ms(80));
  rb.rtt_sample(ms(160));  // 80 + (160 - 80) / 8
  EXPECT_EQ(rb.rtt(), ms(90));
}

// Without timestamps (DRS): the time from one window's edge to the next is
// at least a round trip; the smallest such time is the estimate. Samples
// from timestamps ignore this.
TEST(RcvBuf, AWindowsWorthOfDataTimesTheRoundTrip) {
  RcvBuf rb;
  rb.on_data(1000, 5000, ms(0), false);  // the next measurement ends at 6000
  rb.on_data(4000, 5000, ms(5), false);
  EXPECT_EQ(rb.rtt(), -1);
  rb.on_data(6000, 8000, ms(30), false);
  EXPECT_EQ(rb.rtt(), ms(30));
  rb.on_data(14000, 8000, ms(50), false);  // 20 ms for this window: smaller
  EXPECT_EQ(rb.rtt(), ms(20));
  rb.on_data(22000, 8000, ms(100), false);  // slower (the sender paused): not an RTT
  EXPECT_EQ(rb.rtt(), ms(20));
  rb.on_data(40000, 8000, ms(101), true);
  EXPECT_EQ(rb.rtt(), ms(20));
}

// A number from a conversation's status: "... rbuf 131072 ...".
uint64_t status_field(Host& h, Conv* c, const std::string& name) {
  std::string s = status(h, c);
  size_t at = s.find(" " + name + " ");
  return at == std::string::npos ? ~0ull : std::stoull(s.substr(at + name.size() + 2));
}

// The server reads 16 KiB every 100 ms on a 10 ms path: it is offered the
// initial buffer and no more, so it never holds more than that queued (a
// fixed 4 MiB buffer let the sender fill 4 MiB), and the data arrives.
TEST(TcpRcvBuf, ASlowReaderIsOfferedTheInitialBuffer) {
  TcpSim s("delay=2500us,seed=1", "delay=2500us,seed=2");
  Pair p = connect(s);
  ASSERT_NE(p.server, nullptr);
  EXPECT_EQ(status_field(s.b, p.server, "rbuf"), RcvBuf::kInitial);
  std::string data = random_bytes(1 << 20, 21), got;
  size_t at = 0, most_queued = 0;
  std::vector<uint8_t> buf(16384);
  Time end = s.clock.now() + sec(30);
  for (Time t = s.clock.now() + ms(100); got.size() < data.size() && t < end; t += ms(100)) {
    s.run(t, [&] {
      feed(s.a, p.client, data, at);
      most_queued = std::max(most_queued, p.server->rq_bytes);
      return false;
    });
    auto n = p.server->read(s.b.l, buf, &kNoWait);
    if (n.ok()) got.append(buf.begin(), buf.begin() + long(*n));
  }
  EXPECT_TRUE(got == data) << got.size();
  EXPECT_EQ(status_field(s.b, p.server, "rbuf"), RcvBuf::kInitial) << status(s.b, p.server);
  EXPECT_LE(most_queued, RcvBuf::kInitial);
  EXPECT_GT(most_queued, RcvBuf::kInitial / 2) << "the window was used";
}

// A 100 ms path and a reader that keeps up: the buffer grows past the
// bandwidth-delay product of what the sender can have in flight (its 1 MiB
// send buffer a round trip), so 16 MiB take about as many round trips as
// that allows, not the 128 a round trip of the initial buffer would.
TEST(TcpRcvBuf, AFastReaderOnALongFatPathGrowsIt) {
  TcpSim s("delay=25ms,seed=1", "delay=25ms,seed=2");
  Pair p = connect(s);
  ASSERT_NE(p.server, nullptr);
  std::string data = random_bytes(16 << 20, 22);
  Time start = s.clock.now();
  std::string got = transfer(s, s.a, p.client, s.b, p.server, data, sec(60));
  Time took = s.clock.now() - start;
  EXPECT_TRUE(got == data) << got.size();
  EXPECT_GT(status_field(s.b, p.server, "rbuf"), 2u << 20) << status(s.b, p.server);
  EXPECT_LE(status_field(s.b, p.server, "rbuf"), RcvBuf::kMax);
  // 16 round trips at 1 MiB each, a few more to get there; with the
  // initial buffer alone it would be 128 (12.8 s).
  EXPECT_LT(took, sec(4)) << "took " << took / ms(1) << " ms";
}

}  // namespace
}  // namespace ninet::tcp
