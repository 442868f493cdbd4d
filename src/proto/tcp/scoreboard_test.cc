// Scoreboard: SACK bookkeeping, RFC 6675's pipe, and RACK's time-based loss
// detection (RFC 8985), on hand-made ACK sequences and a random one checked
// against a recount.
#include "proto/tcp/scoreboard.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace ninet::tcp {
namespace {

using SackBlock = Scoreboard::SackBlock;

// Sends n segments of 1000 bytes from seq, one per millisecond from t0.
void send(Scoreboard& sb, uint32_t seq, int n, Time t0) {
  for (int i = 0; i < n; i++)
    sb.sent(seq + uint32_t(i) * 1000, seq + uint32_t(i + 1) * 1000, t0 + ms(i));
}

// The counters recomputed from the segments, as RFC 6675 defines them.
void expect_counts(const Scoreboard& sb) {
  uint32_t pipe = 0, sacked = 0, lost = 0;
  for (size_t i = 0; i < sb.segs().size(); i++) {
    const auto& s = sb.segs()[i];
    uint32_t len = s.end - s.seq;
    ASSERT_GT(len, 0u);
    if (i) ASSERT_EQ(sb.segs()[i - 1].end, s.seq) << "segments are contiguous";
    if (s.sacked) {
      sacked += len;
      continue;
    }
    if (!s.lost) pipe += len;
    if (s.retx_in_flight) pipe += len;
    if (s.lost) lost += len;
  }
  EXPECT_EQ(sb.pipe(), pipe);
  EXPECT_EQ(sb.sacked_bytes(), sacked);
  EXPECT_EQ(sb.lost_bytes(), lost);
}

TEST(Scoreboard, CumulativeAcksAndPipe) {
  Scoreboard sb;
  send(sb, 5000, 10, 0);
  EXPECT_EQ(sb.pipe(), 10000u);
  auto r = sb.on_ack(8000, {}, ms(100));
  EXPECT_EQ(r.acked, 3000u);
  EXPECT_EQ(r.rtt, ms(98));  // the newest delivered: sent at 2 ms
  EXPECT_EQ(sb.pipe(), 7000u);
  r = sb.on_ack(8500, {}, ms(101));  // inside a segment: it is cut
  EXPECT_EQ(r.acked, 500u);
  EXPECT_EQ(sb.segs().front().seq, 8500u);
  EXPECT_EQ(sb.pipe(), 6500u);
  expect_counts(sb);
  sb.on_ack(15000, {}, ms(110));
  EXPECT_TRUE(sb.empty());
  EXPECT_EQ(sb.pipe(), 0u);
}

// One segment lost among ten: the SACK of those after it finds it after one
// RTT, without waiting for three duplicate ACKs or a timeout.
TEST(Scoreboard, RackFindsALossFromLaterDeliveries) {
  Scoreboard sb;
  send(sb, 0, 10, 0);
  SackBlock b[] = {{2000, 10000}};
  auto r = sb.on_ack(1000, b, ms(109));
  EXPECT_EQ(r.acked, 1000u);
  EXPECT_EQ(r.sacked, 8000u);
  EXPECT_EQ(sb.fack(), 10000u);
  EXPECT_EQ(sb.detect_loss(ms(109), ms(100), false), 0);
  auto l = sb.next_lost();
  ASSERT_TRUE(l);
  EXPECT_EQ(l->first, 1000u);
  EXPECT_EQ(l->second, 2000u);
  EXPECT_EQ(sb.pipe(), 0u);  // lost and SACKed bytes are not in flight
  sb.retransmitted(1000, 2000, ms(110));
  EXPECT_FALSE(sb.next_lost());
  EXPECT_EQ(sb.pipe(), 1000u);
  expect_counts(sb);
  r = sb.on_ack(10000, {}, ms(210));
  EXPECT_EQ(r.acked, 9000u);
  EXPECT_TRUE(sb.empty());
  EXPECT_EQ(sb.pipe(), 0u);
  EXPECT_EQ(sb.sacked_bytes(), 0u);
}

// With one SACKed segment (fewer than DupThresh) and no recovery, a hole
// may be reordering: it is lost only after min_RTT / 4 more.
TEST(Scoreboard, ReorderingWindowDelaysTheVerdict) {
  Scoreboard sb;
  send(sb, 0, 3, 0);
  sb.on_ack(1000, {}, ms(100));  // min RTT 100 ms
  SackBlock b[] = {{2000, 3000}};
  sb.on_ack(1000, b, ms(102));
  Time wait = sb.detect_loss(ms(102), ms(100), false);
  EXPECT_EQ(wait, ms(24));  // sent at 1 ms + RACK RTT 100 ms + window 25 ms - now 102 ms
  EXPECT_FALSE(sb.next_lost());
  EXPECT_EQ(sb.detect_loss(ms(102) + wait, ms(100), false), 0);
  ASSERT_TRUE(sb.next_lost());
  EXPECT_EQ(sb.next_lost()->first, 1000u);
  // In recovery, with no reordering seen, the window is 0.
  Scoreboard rec;
  send(rec, 0, 3, 0);
  rec.on_ack(1000, {}, ms(100));
  rec.on_ack(1000, b, ms(102));
  EXPECT_EQ(rec.detect_loss(ms(102), ms(100), true), 0);
  EXPECT_TRUE(rec.next_lost());
}

TEST(Scoreboard, ReorderingIsSeenWhenAHoleFillsWithoutARetransmission) {
  Scoreboard sb;
  send(sb, 0, 4, 0);
  SackBlock b[] = {{2000, 4000}};
  auto r = sb.on_ack(0, b, ms(100));
  EXPECT_FALSE(r.reordering);
  r = sb.on_ack(4000, {}, ms(101));  // the original segments 0-2000 arrive late
  EXPECT_TRUE(r.reordering);
  EXPECT_TRUE(sb.reordering_seen());
}

// A retransmission that is lost too is found the same way: by data sent
// after it being delivered.
TEST(Scoreboard, ALostRetransmissionIsLostAgain) {
  Scoreboard sb;
  send(sb, 0, 5, 0);
  SackBlock b1[] = {{1000, 5000}};
  sb.on_ack(0, b1, ms(104));
  sb.detect_loss(ms(104), ms(100), true);
  ASSERT_EQ(sb.next_lost()->first, 0u);
  sb.retransmitted(0, 1000, ms(105));
  send(sb, 5000, 1, ms(106));
  SackBlock b2[] = {{1000, 6000}};
  sb.on_ack(0, b2, ms(206));  // new data delivered, the retransmission not
  EXPECT_EQ(sb.detect_loss(ms(206), ms(100), true), 0);
  ASSERT_TRUE(sb.next_lost());
  EXPECT_EQ(sb.next_lost()->first, 0u);
  EXPECT_EQ(sb.segs().front().retransmits, 1);
  expect_counts(sb);
}

TEST(Scoreboard, TimeoutMarksEverythingUnsackedLost) {
  Scoreboard sb;
  send(sb, 0, 6, 0);
  SackBlock b[] = {{3000, 4000}};
  sb.on_ack(1000, b, ms(100));
  sb.mark_all_lost();
  EXPECT_EQ(sb.pipe(), 0u);
  EXPECT_EQ(sb.lost_bytes(), 4000u);
  EXPECT_EQ(sb.next_lost()->first, 1000u);
  sb.retransmitted(1000, 3000, ms(400));
  EXPECT_EQ(sb.next_lost()->first, 4000u);
  EXPECT_EQ(sb.pipe(), 2000u);
  expect_counts(sb);
}

TEST(Scoreboard, SackInsideALargeSegmentSplitsIt) {
  Scoreboard sb;
  sb.sent(0, 10000, 0);  // one TSO segment
  SackBlock b[] = {{4000, 6000}};
  auto r = sb.on_ack(0, b, ms(10));
  EXPECT_EQ(r.sacked, 2000u);
  ASSERT_EQ(sb.segments(), 3u);
  EXPECT_EQ(sb.segs()[1].seq, 4000u);
  EXPECT_TRUE(sb.segs()[1].sacked);
  EXPECT_EQ(sb.pipe(), 8000u);
  expect_counts(sb);
}

// RACK orders by transmission, then by sequence within one (RFC 8985's
// RACK_sent_after): what lies below a SACKed piece of a large segment may
// be lost, what lies above it was sent with it and is not; a retransmission
// made at the same instant as an earlier one is still later.
TEST(Scoreboard, RackOrdersTransmissionsNotClockTicks) {
  Scoreboard sb;
  sb.sent(0, 10000, 0);  // one TSO segment
  SackBlock b[] = {{4000, 6000}};
  sb.on_ack(0, b, ms(10));
  EXPECT_EQ(sb.detect_loss(ms(10), ms(10), true), 0);
  ASSERT_TRUE(sb.next_lost());
  EXPECT_EQ(sb.next_lost()->first, 0u);
  EXPECT_EQ(sb.lost_bytes(), 4000u) << "6000-10000 went out with the SACKed piece";

  Scoreboard same;  // everything at one instant, as a batch is
  send(same, 0, 4, 0);
  same.retransmitted(3000, 4000, 0);  // (a probe)
  SackBlock p[] = {{3000, 4000}};
  same.on_ack(0, p, 0);
  same.detect_loss(0, 0, true);
  ASSERT_EQ(same.next_lost()->first, 0u);
  same.retransmitted(0, 1000, 0);
  same.retransmitted(1000, 2000, 0);
  same.retransmitted(2000, 3000, 0);
  same.on_ack(1000, {}, 0);  // the first retransmission arrives
  same.detect_loss(0, 0, true);
  EXPECT_FALSE(same.next_lost()) << "the later retransmissions are not lost again";
}

TEST(Scoreboard, DsackAndBogusBlocks) {
  Scoreboard sb;
  send(sb, 0, 5, 0);
  SackBlock dup[] = {{0, 1000}};
  auto r = sb.on_ack(2000, dup, ms(50));  // below the ACK: received twice
  EXPECT_TRUE(r.dsack);
  SackBlock in2nd[] = {{3000, 3500}, {3000, 4000}};
  r = sb.on_ack(2000, in2nd, ms(51));
  EXPECT_TRUE(r.dsack);
  EXPECT_EQ(r.sacked, 1000u);  // the second block counts
  // Blocks beyond what was sent, or empty ones, are ignored.
  SackBlock bogus[] = {{4000, 90000}, {4500, 4500}};
  r = sb.on_ack(2000, bogus, ms(52));
  EXPECT_EQ(r.sacked, 0u);
  expect_counts(sb);
}

// Random ACKs and SACKs (some stale, some overlapping) across the 2^32 wrap
// with losses, retransmissions and timeouts: the counters always match a
// recount and the segments always cover [SND.UNA, SND.NXT).
TEST(Scoreboard, RandomAcksKeepTheCountsRight) {
  for (uint32_t seed = 1; seed <= 30; seed++) {
    std::mt19937 rng(seed);
    Scoreboard sb;
    uint32_t una = 0xfffff000u, nxt = una;
    Time now = 0;
    for (int step = 0; step < 400; step++) {
      now += ms(1 + rng() % 5);
      int what = int(rng() % 10);
      if (what < 4) {
        uint32_t len = 1 + rng() % 3000;
        sb.sent(nxt, nxt + len, now);
        nxt += len;
      } else if (what < 8 && nxt != una) {
        uint32_t span = nxt - una;
        uint32_t ack = una + (rng() % 3 ? 0 : rng() % (span + 1));
        std::vector<SackBlock> blocks;
        for (unsigned k = 0; k < rng() % 4; k++) {
          uint32_t a = una + rng() % span, b = a + 1 + rng() % (nxt - a);
          blocks.push_back({a, b});
        }
        sb.on_ack(ack, blocks, now);
        una = ack;
        sb.detect_loss(now, ms(20), rng() % 2);
      } else if (what == 8) {
        if (auto l = sb.next_lost()) sb.retransmitted(l->first, l->second, now);
      } else {
        sb.mark_all_lost();
      }
      ASSERT_NO_FATAL_FAILURE(expect_counts(sb)) << "seed " << seed << " step " << step;
      if (!sb.empty()) {
        ASSERT_EQ(sb.segs().front().seq, una);
        ASSERT_EQ(sb.segs().back().end, nxt);
      }
    }
  }
}

}  // namespace
}  // namespace ninet::tcp
