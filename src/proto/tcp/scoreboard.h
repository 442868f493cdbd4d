// scoreboard.h — what a TCP sender knows of the segments it has sent and not
// yet had cumulatively acknowledged: which the receiver holds (SACK, RFC
// 2018), which are lost, which are retransmitted and in flight again; the
// pipe of RFC 6675; and loss detection by time, RACK (RFC 8985 6.1-6.2):
// a segment is lost once a segment sent after it has been delivered and a
// reordering window has passed, so one loss is found after one RTT however
// few segments follow it (no three duplicate ACKs needed), and a lost
// retransmission is found the same way.
//
//   Scoreboard sb;
//   sb.sent(snd_nxt, snd_nxt + len, now);            // new data
//   auto r = sb.on_ack(seg.ack, sacks, now);          // acked/sacked bytes, RTT, D-SACK
//   Time wait = sb.detect_loss(now, srtt, recovering); // marks lost; >0: arm the reorder timer
//   while (auto l = sb.next_lost()) { send it; sb.retransmitted(l->first, l->second, now); }
//   if (sb.pipe() < cwnd) send new data;
//
// Segments are kept in sequence order as they were sent; a SACK block or a
// cumulative ACK that cuts one splits it. Sequence numbers compare modulo
// 2^32 (wire::seq_lt).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <utility>

#include "base/clock.h"
#include "wire/tcp.h"

namespace ninet::tcp {

class Scoreboard {
 public:
  using SackBlock = wire::TcpRepr::SackBlock;
  static constexpr unsigned kDupThresh = 3;  // RFC 6675 / RFC 8985's DupThresh

  struct Seg {
    uint32_t seq = 0;
    uint32_t end = 0;
    Time xmit = 0;                // when last (re)transmitted
    uint64_t order = 0;           // that transmission's number (Scoreboard order)
    uint8_t retransmits = 0;      // how often
    bool sacked = false;          // the receiver holds it
    bool lost = false;            // deemed lost (RFC 6675's IsLost), retransmitted or not
    bool retx_in_flight = false;  // a retransmission of it is in flight
  };

  struct AckResult {
    uint32_t acked = 0;       // bytes SND.UNA advanced by
    uint32_t sacked = 0;      // bytes newly SACKed
    Time rtt = -1;            // RACK's RTT sample from the newest delivered segment, or -1
    bool dsack = false;       // the first SACK block reports a duplicate (RFC 2883)
    bool reordering = false;  // a segment was delivered below one delivered before
  };

  // New data [seq, end) sent at now; seq must be the end of the last.
  void sent(uint32_t seq, uint32_t end, Time now);
  // [seq, end) sent again at now (a retransmission: every segment in it).
  void retransmitted(uint32_t seq, uint32_t end, Time now);
  // An acceptable ACK: ack (SND.UNA from now on) and its SACK blocks.
  AckResult on_ack(uint32_t ack, std::span<const SackBlock> sacks, Time now);
  // RACK (RFC 8985 6.2 steps 4-5): marks lost every unSACKed segment sent
  // before the newest delivered one whose time is up; returns how long until
  // the next could be (arm the reordering timer), or 0.
  // In recovery the reordering window is 0 until reordering has been seen.
  Time detect_loss(Time now, Time srtt, bool in_recovery);
  // The retransmission timer expired: every segment not SACKed is lost
  // (RFC 8985 6.3, RFC 6675 5.1).
  void mark_all_lost();
  // Three duplicate ACKs from a peer without SACK (RFC 5681 3.2): the
  // first segment not yet deemed lost is.
  void mark_first_lost();
  // The lowest lost segment's range, to retransmit next.
  std::optional<std::pair<uint32_t, uint32_t>> next_lost() const;

  // RFC 6675 SetPipe: bytes in flight.
  uint32_t pipe() const { return pipe_; }
  uint32_t sacked_bytes() const { return sacked_bytes_; }
  uint32_t lost_bytes() const { return lost_bytes_; }
  // The end of the highest SACKed byte (SND.FACK), or SND.UNA.
  uint32_t fack() const { return fack_; }
  bool empty() const { return segs_.empty(); }
  size_t segments() const { return segs_.size(); }
  const std::deque<Seg>& segs() const { return segs_; }
  bool reordering_seen() const { return reordering_seen_; }
  Time min_rtt() const { return min_rtt_; }
  void clear();

 private:
  // Splits the segment holding `at` (strictly inside it) in two; returns the
  // index of the part starting at `at`.
  size_t split(size_t i, uint32_t at);
  size_t find(uint32_t seq) const;  // the first segment ending after seq
  void deliver(Seg& s, Time now, AckResult& r);
  void account(const Seg& s, int sign);  // adds or removes s from the counts
  Time reo_wnd(Time srtt, bool in_recovery) const;

  std::deque<Seg> segs_;
  uint32_t pipe_ = 0;
  uint32_t sacked_bytes_ = 0;
  uint32_t lost_bytes_ = 0;
  uint32_t fack_ = 0;
  unsigned sacked_segs_ = 0;
  // RACK (RFC 8985 6.1)
  // RACK.xmit_ts/end_seq as an order: the transmission number of the most
  // recently sent segment that was delivered. RFC 8985 orders by time and
  // then sequence; one stack's batch sends at one time, so a counter of
  // (re)transmissions is the exact order where times tie.
  uint64_t rack_order_ = 0;
  uint32_t rack_end_ = 0;
  uint64_t order_ = 0;
  Time rack_rtt_ = -1;
  Time min_rtt_ = -1;
  bool reordering_seen_ = false;
  unsigned reo_wnd_mult_ = 1;
  uint32_t dsack_round_ = 0;  // SND.NXT when a D-SACK last widened the window
  bool dsack_round_set_ = false;
  uint32_t snd_nxt_ = 0;
};

}  // namespace ninet::tcp
