#include "proto/tcp/scoreboard.h"

#include <algorithm>

namespace ninet::tcp {

using wire::seq_ge;
using wire::seq_gt;
using wire::seq_le;
using wire::seq_lt;

namespace {}  // namespace

void Scoreboard::account(const Seg& s, int sign) {
  uint32_t len = s.end - s.seq;
  if (s.sacked) {
    sacked_bytes_ += uint32_t(sign) * len;
    sacked_segs_ += unsigned(sign);
    return;
  }
  // RFC 6675 SetPipe: an octet counts once unless deemed lost, and once
  // more while a retransmission of it is in flight.
  pipe_ += uint32_t(sign) * ((s.lost ? 0 : len) + (s.retx_in_flight ? len : 0));
  if (s.lost) lost_bytes_ += uint32_t(sign) * len;
}

size_t Scoreboard::find(uint32_t seq) const {
  return size_t(std::partition_point(segs_.begin(), segs_.end(),
                                     [&](const Seg& s) { return seq_le(s.end, seq); }) -
                segs_.begin());
}

size_t Scoreboard::split(size_t i, uint32_t at) {
  account(segs_[i], -1);
  Seg tail = segs_[i];
  tail.seq = at;
  segs_[i].end = at;
  account(segs_[i], 1);
  account(tail, 1);
  segs_.insert(segs_.begin() + long(i) + 1, tail);
  return i + 1;
}

void Scoreboard::sent(uint32_t seq, uint32_t end, Time now) {
  if (segs_.empty()) fack_ = seq;  // nothing outstanding: SND.FACK is SND.UNA
  Seg s;
  s.seq = seq;
  s.end = end;
  s.xmit = now;
  s.order = ++order_;
  account(s, 1);
  segs_.push_back(s);
  snd_nxt_ = end;
}

void Scoreboard::retransmitted(uint32_t seq, uint32_t end, Time now) {
  size_t i = find(seq);
  if (i < segs_.size() && seq_lt(segs_[i].seq, seq)) i = split(i, seq);
  for (; i < segs_.size() && seq_lt(segs_[i].seq, end); i++) {
    if (seq_lt(end, segs_[i].end)) split(i, end);
    Seg& s = segs_[i];
    if (s.sacked) continue;
    account(s, -1);
    s.xmit = now;
    s.order = ++order_;
    if (s.retransmits < 255) s.retransmits++;
    s.retx_in_flight = true;
    account(s, 1);
  }
}

void Scoreboard::deliver(Seg& s, Time now, AckResult& r) {
  // RFC 8985 6.2 step 3: delivered below what was delivered before.
  if (!s.retransmits && seq_lt(s.end, fack_)) reordering_seen_ = r.reordering = true;
  if (seq_gt(s.end, fack_)) fack_ = s.end;
  // Step 2: the RTT of the newest delivered segment; a retransmitted one
  // delivered sooner than the minimum RTT was the original's delivery.
  Time rtt = now - s.xmit;
  if (s.retransmits && min_rtt_ >= 0 && rtt < min_rtt_) return;
  if (!s.retransmits && (min_rtt_ < 0 || rtt < min_rtt_)) min_rtt_ = rtt;
  rack_rtt_ = rtt;
  r.rtt = rtt;
  if (s.order > rack_order_ || (s.order == rack_order_ && seq_gt(s.end, rack_end_))) {
    rack_order_ = s.order;
    rack_end_ = s.end;
  }
}

Scoreboard::AckResult Scoreboard::on_ack(uint32_t ack, std::span<const SackBlock> sacks, Time now) {
  AckResult r;
  // RFC 2883: a first block below the cumulative ACK, or inside the
  // second, reports data received twice.
  if (!sacks.empty()) {
    const SackBlock& b = sacks[0];
    r.dsack = seq_le(b.right, ack) || (sacks.size() > 1 && seq_ge(b.left, sacks[1].left) &&
                                       seq_le(b.right, sacks[1].right));
  }
  // The cumulative ACK.
  while (!segs_.empty() && seq_lt(segs_.front().seq, ack)) {
    if (seq_lt(ack, segs_.front().end)) split(0, ack);
    Seg& s = segs_.front();
    if (!s.sacked) deliver(s, now, r);
    r.acked += s.end - s.seq;
    account(s, -1);
    segs_.pop_front();
  }
  if (seq_lt(fack_, ack)) fack_ = ack;
  // The SACK blocks (RFC 2018), each cut to what is above the ACK.
  for (size_t k = r.dsack ? 1 : 0; k < sacks.size(); k++) {
    uint32_t left = sacks[k].left, right = sacks[k].right;
    if (seq_le(right, ack) || !seq_lt(left, right) || seq_gt(right, snd_nxt_)) continue;
    if (seq_lt(left, ack)) left = ack;
    size_t i = find(left);
    if (i < segs_.size() && seq_lt(segs_[i].seq, left)) i = split(i, left);
    for (; i < segs_.size() && seq_lt(segs_[i].seq, right); i++) {
      if (seq_lt(right, segs_[i].end)) split(i, right);
      Seg& s = segs_[i];
      if (s.sacked) continue;
      account(s, -1);
      s.sacked = true;
      account(s, 1);
      r.sacked += s.end - s.seq;
      deliver(s, now, r);
    }
  }
  // RFC 8985 6.2 step 4: each D-SACK round widens the reordering window.
  if (dsack_round_set_ && seq_ge(ack, dsack_round_)) dsack_round_set_ = false;
  if (r.dsack && !dsack_round_set_) {
    dsack_round_set_ = true;
    dsack_round_ = snd_nxt_;
    reo_wnd_mult_ = std::min(reo_wnd_mult_ + 1, 64u);
  }
  return r;
}

Time Scoreboard::reo_wnd(Time srtt, bool in_recovery) const {
  if (!reordering_seen_ && (in_recovery || sacked_segs_ >= kDupThresh)) return 0;
  if (min_rtt_ < 0) return 0;
  Time w = min_rtt_ / 4 * Time(reo_wnd_mult_);
  return srtt > 0 ? std::min(w, srtt) : w;
}

Time Scoreboard::detect_loss(Time now, Time srtt, bool in_recovery) {
  if (rack_order_ == 0) return 0;
  Time reo = reo_wnd(srtt, in_recovery);
  Time wait = 0;
  for (Seg& s : segs_) {
    if (s.sacked || (s.lost && !s.retx_in_flight)) continue;
    // Only what was sent before the newest delivered segment (pieces of
    // one transmission, split by SACK, are ordered by sequence).
    if (s.order > rack_order_ || (s.order == rack_order_ && seq_ge(s.end, rack_end_))) continue;
    Time remaining = s.xmit + rack_rtt_ + reo - now;
    if (remaining > 0) {
      wait = std::max(wait, remaining);
      continue;
    }
    account(s, -1);
    s.lost = true;
    s.retx_in_flight = false;  // a lost retransmission is lost again
    account(s, 1);
  }
  return wait;
}

void Scoreboard::mark_all_lost() {
  for (Seg& s : segs_) {
    if (s.sacked) continue;
    account(s, -1);
    s.lost = true;
    s.retx_in_flight = false;
    account(s, 1);
  }
}

void Scoreboard::mark_first_lost() {
  for (Seg& s : segs_) {
    if (s.sacked || s.lost) continue;
    account(s, -1);
    s.lost = true;
    s.retx_in_flight = false;
    account(s, 1);
    return;
  }
}

std::optional<std::pair<uint32_t, uint32_t>> Scoreboard::next_lost() const {
  for (const Seg& s : segs_)
    if (s.lost && !s.retx_in_flight && !s.sacked) return std::pair{s.seq, s.end};
  return std::nullopt;
}

void Scoreboard::clear() {
  *this = Scoreboard();
}

}  // namespace ninet::tcp
