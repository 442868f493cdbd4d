// congestion.h — a TCP sender's congestion window: CUBIC (RFC 9438) with
// HyStart++ (RFC 9406) for leaving slow start, and NewReno (RFC 5681) as
// the fallback. The sender tells it what ACKs did and when it saw loss; it
// answers with cwnd and ssthresh. Loss recovery itself (which segments to
// resend, PRR's pacing of cwnd during recovery: RFC 6675, 6937, 8985) is
// the sender's; this class only sets where recovery starts and ends.
//
//   auto cc = make_congestion(CcAlgo::kCubic, mss);   // cwnd = RFC 6928's 10 segments
//   cc->on_ack({.acked = n, .ack = seg.ack, .snd_nxt = snd_nxt, .rtt = sample,
//               .srtt = rto.srtt(), .now = clock.now()});
//   if (fast retransmit) cc->on_congestion(now, flight);   // ssthresh = cwnd * beta
//   if (rto expired)     cc->on_timeout(now, flight);      // cwnd = 1 segment
//   send while flight < cc->cwnd();
//
// Windows are in bytes; CUBIC's cubic is computed in segments (doubles),
// as RFC 9438 writes it. Application-limited periods (RFC 9438 4.6,
// RFC 7661) are the sender's to report by not calling on_ack for them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string_view>

#include "base/clock.h"

namespace ninet::tcp {

enum class CcAlgo { kCubic, kNewReno };

struct AckEvent {
  uint32_t acked = 0;    // bytes newly acknowledged (SND.UNA advanced by)
  uint32_t ack = 0;      // the ACK's number (HyStart++'s rounds)
  uint32_t snd_nxt = 0;  // SND.NXT when it arrived
  Time rtt = -1;         // a round-trip sample from this ACK, or -1
  Time srtt = -1;        // the smoothed RTT (Rto::srtt), or -1
  Time now = 0;
};

class Congestion {
 public:
  explicit Congestion(uint32_t mss);
  virtual ~Congestion() = default;

  virtual std::string_view name() const = 0;
  // New data acknowledged outside loss recovery.
  virtual void on_ack(const AckEvent& e) = 0;
  // A loss detected by ACKs (fast retransmit, RACK): recovery starts with
  // ssthresh lowered; after recovery the sender sets cwnd = ssthresh
  // (end_recovery). flight: bytes in flight when the loss was seen.
  virtual void on_congestion(Time now, uint32_t flight) = 0;
  // The retransmission timer expired: cwnd is one segment, slow start
  // again up to the lowered ssthresh (RFC 5681 3.1).
  virtual void on_timeout(Time now, uint32_t flight) = 0;
  // Recovery ended (the ACK covering the recovery point arrived).
  void end_recovery() { cwnd_ = std::max(ssthresh_, 2 * mss_); }
  // A new MSS (PMTU change): windows keep their size in segments.
  void set_mss(uint32_t mss);

  uint32_t cwnd() const { return cwnd_; }
  uint32_t ssthresh() const { return ssthresh_; }
  uint32_t mss() const { return mss_; }
  bool in_slow_start() const { return cwnd_ < ssthresh_; }
  // The PRR/RFC 6675 sender may shrink or grow cwnd during recovery.
  void set_cwnd(uint32_t c) { cwnd_ = std::max(c, mss_); }

  static constexpr uint32_t kInitialSegments = 10;  // RFC 6928

 protected:
  // Slow start by RFC 5681 with Appropriate Byte Counting (RFC 3465, L =
  // 2 SMSS): cwnd += min(acked, 2 SMSS) / divisor.
  void slow_start(uint32_t acked, uint32_t divisor = 1);

  uint32_t mss_;
  uint32_t cwnd_;
  uint32_t ssthresh_ = UINT32_MAX;
};

// HyStart++ (RFC 9406): watches the minimum RTT of each round of slow start
// and, when it rises by more than an eighth (4-16 ms), moves to
// Conservative Slow Start (a quarter of the growth) for 5 rounds before
// congestion avoidance; a falling RTT in CSS means the rise was noise and
// slow start resumes.
class HyStart {
 public:
  enum class Phase { kSlowStart, kConservative, kDone };
  static constexpr unsigned kMinSamples = 8;  // N_RTT_SAMPLE
  static constexpr Time kMinThresh = ms(4), kMaxThresh = ms(16);
  static constexpr unsigned kCssDivisor = 4, kCssRounds = 5;

  // Called for every ACK in slow start; returns the phase to grow in.
  Phase on_ack(const AckEvent& e);
  void reset();  // a congestion event or timeout: a new slow start later
  Phase phase() const { return phase_; }

 private:
  Phase phase_ = Phase::kSlowStart;
  bool round_started_ = false;
  uint32_t window_end_ = 0;
  Time last_min_ = kInf;
  Time cur_min_ = kInf;
  unsigned samples_ = 0;
  Time css_baseline_ = kInf;
  unsigned css_rounds_ = 0;
  static constexpr Time kInf = INT64_MAX;
};

class Cubic final : public Congestion {
 public:
  static constexpr double kC = 0.4;     // RFC 9438 4.1
  static constexpr double kBeta = 0.7;  // beta_cubic
  explicit Cubic(uint32_t mss) : Congestion(mss) {}

  std::string_view name() const override { return "cubic"; }
  void on_ack(const AckEvent& e) override;
  void on_congestion(Time now, uint32_t flight) override;
  void on_timeout(Time now, uint32_t flight) override;

  // For tests: W_cubic(t) in segments, t seconds into the current epoch.
  double w_cubic(double t) const;
  double w_max() const { return w_max_; }
  double k() const { return k_; }
  double w_est() const { return w_est_; }
  const HyStart& hystart() const { return hystart_; }

 private:
  void congestion_avoidance(const AckEvent& e);
  void lower_w_max();

  HyStart hystart_;
  bool epoch_ = false;  // a congestion avoidance epoch has started
  Time epoch_start_ = 0;
  double w_max_ = 0;        // segments
  double w_max_epoch_ = 0;  // W_max when the epoch began (for the Reno alpha)
  double k_ = 0;            // seconds
  double w_est_ = 0;        // segments (the Reno-friendly estimate)
  double cwnd_frac_ = 0;    // sub-byte growth carried between ACKs
};

class NewReno final : public Congestion {
 public:
  explicit NewReno(uint32_t mss) : Congestion(mss) {}
  std::string_view name() const override { return "newreno"; }
  void on_ack(const AckEvent& e) override;
  void on_congestion(Time now, uint32_t flight) override;
  void on_timeout(Time now, uint32_t flight) override;

 private:
  uint32_t acked_in_ca_ = 0;  // bytes counted toward the next SMSS of growth
};

std::unique_ptr<Congestion> make_congestion(CcAlgo algo, uint32_t mss);

}  // namespace ninet::tcp
