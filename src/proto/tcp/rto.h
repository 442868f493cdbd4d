// rto.h — the retransmission timeout of RFC 6298: a smoothed round-trip
// time, its variation, and the timeout derived from them, doubled on each
// expiry (backoff) until a new measurement.
//
//   Rto rto;                          // 1 s until the first sample (RFC 6298 2.1)
//   rto.sample(ms(42));               // an RTT measured from an ACK (Karn: not of a
//                                     // retransmitted segment unless timestamped)
//   timer.arm(now + rto.timeout());
//   ... expired: rto.backoff();       // 5.5: double, up to the maximum
//
// Deviation, as Linux, FreeBSD and most deployed stacks: the minimum RTO is
// 200 ms, not RFC 6298's 1 s (2.4 says SHOULD). RACK-TLP (RFC 8985)
// recovers most losses before an RTO, and a 1 s floor makes each tail loss
// on a LAN cost a second.
#pragma once

#include <cstdint>

#include "base/clock.h"

namespace ninet::tcp {

class Rto {
 public:
  static constexpr Time kInitial = sec(1);       // 2.1
  static constexpr Time kAfterLostSyn = sec(3);  // 5.7
  static constexpr Time kMin = ms(200);          // see above
  static constexpr Time kMax = sec(120);         // 2.5: at least 60 s
  static constexpr Time kGranularity = ms(1);    // G of 2.3
  static constexpr unsigned kMaxBackoff = 15;    // doublings kept (capped by kMax anyway)

  // A round-trip measurement (2.2, 2.3). `per_rtt` is how many samples a
  // window of data yields (RFC 7323 appendix G: with timestamps every ACK
  // is a sample, and the variation's gain is divided among them so that
  // RTTVAR does not forget within one RTT); 1 without timestamps. Ends any
  // backoff.
  void sample(Time rtt, unsigned per_rtt = 1);
  // An expiry: the timeout doubles (5.5), to kMax.
  void backoff();
  // The handshake lost its SYN (or SYN-ACK) and took more than one try: the
  // RTO for data is 3 s until the first sample (5.7).
  void lost_syn();

  // Current timeout, with backoff applied.
  Time timeout() const;
  bool has_sample() const { return srtt_ >= 0; }
  Time srtt() const { return srtt_; }  // -1 before the first sample
  Time rttvar() const { return rttvar_; }
  unsigned backoffs() const { return backoff_; }

 private:
  Time srtt_ = -1;
  Time rttvar_ = 0;
  Time base_ = kInitial;  // before backoff
  unsigned backoff_ = 0;
};

}  // namespace ninet::tcp
