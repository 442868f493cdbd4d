// prr.h — Proportional Rate Reduction (RFC 6937): how much a sender may send
// on each ACK during loss recovery, so that by the end of recovery the data
// in flight has come down to ssthresh smoothly (in proportion to what was
// delivered) rather than in one burst or one stall, and, when more was lost
// than the reduction asked for, grows back toward ssthresh no faster than
// slow start (PRR-SSRB).
//
//   Prr prr;
//   prr.start(snd_nxt - snd_una, mss);                // entering recovery
//   cwnd = prr.on_ack(acked + newly_sacked, sb.pipe(), cc.ssthresh());
//   ... prr.sent(len) for every (re)transmission while recovering
#pragma once

#include <cstdint>

namespace ninet::tcp {

class Prr {
 public:
  // Recovery starts with `flight` bytes outstanding (RecoverFS).
  void start(uint32_t flight, uint32_t mss);
  // An ACK during recovery that delivered `delivered` bytes (SND.UNA's
  // advance plus newly SACKed bytes); returns the cwnd to send against:
  // pipe + what may be sent now.
  uint32_t on_ack(uint32_t delivered, uint32_t pipe, uint32_t ssthresh);
  void sent(uint32_t bytes) { out_ += bytes; }

  uint64_t delivered() const { return delivered_; }
  uint64_t out() const { return out_; }
  uint32_t sndcnt() const { return sndcnt_; }

 private:
  uint64_t delivered_ = 0;  // prr_delivered
  uint64_t out_ = 0;        // prr_out
  uint32_t recover_fs_ = 1;
  uint32_t mss_ = 1;
  uint32_t sndcnt_ = 0;
};

}  // namespace ninet::tcp
