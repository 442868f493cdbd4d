#include "proto/tcp/congestion.h"

#include <cmath>

#include "wire/tcp.h"

namespace ninet::tcp {

Congestion::Congestion(uint32_t mss) : mss_(mss), cwnd_(kInitialSegments * mss) {}

void Congestion::set_mss(uint32_t mss) {
  if (mss == 0 || mss == mss_) return;
  cwnd_ = uint32_t(uint64_t(cwnd_) * mss / mss_);
  if (ssthresh_ != UINT32_MAX) ssthresh_ = uint32_t(uint64_t(ssthresh_) * mss / mss_);
  mss_ = mss;
  cwnd_ = std::max(cwnd_, mss_);
}

void Congestion::slow_start(uint32_t acked, uint32_t divisor) {
  uint64_t grow = std::min<uint64_t>(acked, 2 * uint64_t(mss_)) / divisor;
  cwnd_ = uint32_t(std::min<uint64_t>(cwnd_ + grow, UINT32_MAX / 2));
}

// --- HyStart++ (RFC 9406 4.2)

HyStart::Phase HyStart::on_ack(const AckEvent& e) {
  if (phase_ == Phase::kDone) return phase_;
  if (!round_started_) {
    round_started_ = true;
    window_end_ = e.snd_nxt;
  } else if (wire::seq_ge(e.ack, window_end_)) {  // a round ended
    window_end_ = e.snd_nxt;
    last_min_ = cur_min_;
    cur_min_ = kInf;
    samples_ = 0;
    if (phase_ == Phase::kConservative && ++css_rounds_ >= kCssRounds) {
      phase_ = Phase::kDone;
      return phase_;
    }
  }
  if (e.rtt >= 0) {
    cur_min_ = std::min(cur_min_, e.rtt);
    samples_++;
  }
  if (phase_ == Phase::kSlowStart) {
    if (samples_ >= kMinSamples && cur_min_ != kInf && last_min_ != kInf) {
      Time thresh = std::clamp(last_min_ / 8, kMinThresh, kMaxThresh);
      if (cur_min_ >= last_min_ + thresh) {
        css_baseline_ = cur_min_;
        css_rounds_ = 0;
        phase_ = Phase::kConservative;
      }
    }
  } else if (phase_ == Phase::kConservative && cur_min_ < css_baseline_) {
    css_baseline_ = kInf;  // the rise was spurious: slow start again
    phase_ = Phase::kSlowStart;
  }
  return phase_;
}

void HyStart::reset() {
  *this = HyStart();
}

// --- CUBIC (RFC 9438)

double Cubic::w_cubic(double t) const {
  double d = t - k_;
  return kC * d * d * d + w_max_;
}

void Cubic::on_ack(const AckEvent& e) {
  if (in_slow_start()) {
    HyStart::Phase p = hystart_.on_ack(e);
    if (p == HyStart::Phase::kDone) {
      ssthresh_ = cwnd_;  // RFC 9406: CSS over, congestion avoidance from here
    } else {
      slow_start(e.acked, p == HyStart::Phase::kConservative ? HyStart::kCssDivisor : 1);
      return;
    }
  }
  congestion_avoidance(e);
}

void Cubic::congestion_avoidance(const AckEvent& e) {
  double seg = double(mss_);
  double cwnd = double(cwnd_) / seg;
  if (!epoch_) {  // 4.2: a new epoch starts with the first ACK in avoidance
    epoch_ = true;
    epoch_start_ = e.now;
    if (cwnd < w_max_) {
      k_ = std::cbrt((w_max_ - cwnd) / kC);
    } else {
      k_ = 0;
      w_max_ = cwnd;
    }
    w_max_epoch_ = w_max_;
    w_est_ = cwnd;
  }
  double acked = double(e.acked) / seg;
  // 4.3: the Reno-friendly estimate, alpha = 3 (1 - beta) / (1 + beta)
  // until it passes the W_max the epoch began with, then 1.
  double alpha = w_est_ >= w_max_epoch_ ? 1.0 : 3.0 * (1 - kBeta) / (1 + kBeta);
  w_est_ += alpha * acked / cwnd;

  double t = double(e.now - epoch_start_) / 1e9;
  double rtt = e.srtt > 0 ? double(e.srtt) / 1e9 : 0;
  double grow;  // bytes
  if (w_cubic(t) < w_est_) {
    grow = std::max(0.0, (w_est_ - cwnd) * seg);  // 4.3: cwnd = W_est, as Reno would grow
  } else {
    // 4.4, 4.5: toward W_cubic one RTT ahead, at most 1.5x per RTT.
    double target = std::clamp(w_cubic(t + rtt), cwnd, 1.5 * cwnd);
    grow = (target - cwnd) / cwnd * acked * seg;
  }
  cwnd_frac_ += grow;
  uint32_t whole = uint32_t(std::min(cwnd_frac_, double(UINT32_MAX / 4)));
  cwnd_frac_ -= whole;
  cwnd_ = uint32_t(std::min<uint64_t>(uint64_t(cwnd_) + whole, UINT32_MAX / 2));
}

void Cubic::lower_w_max() {
  double cwnd = double(cwnd_) / double(mss_);
  // 4.7 fast convergence: a flow that lost below its last W_max releases
  // bandwidth for newer flows.
  w_max_ = cwnd < w_max_ ? cwnd * (1 + kBeta) / 2 : cwnd;
}

void Cubic::on_congestion(Time, uint32_t) {
  lower_w_max();
  ssthresh_ = std::max(uint32_t(double(cwnd_) * kBeta), 2 * mss_);  // 4.6
  cwnd_ = ssthresh_;
  epoch_ = false;
  cwnd_frac_ = 0;
  hystart_.reset();
}

void Cubic::on_timeout(Time, uint32_t) {
  // 4.8: as a congestion event for W_max and ssthresh, then one segment.
  lower_w_max();
  ssthresh_ = std::max(uint32_t(double(cwnd_) * kBeta), 2 * mss_);
  cwnd_ = mss_;
  epoch_ = false;
  cwnd_frac_ = 0;
  hystart_.reset();
}

// --- NewReno (RFC 5681 3.1)

void NewReno::on_ack(const AckEvent& e) {
  if (in_slow_start()) {
    slow_start(e.acked);
    return;
  }
  // Congestion avoidance by byte counting: one SMSS per cwnd acknowledged.
  acked_in_ca_ += e.acked;
  if (acked_in_ca_ >= cwnd_) {
    acked_in_ca_ -= cwnd_;
    cwnd_ += mss_;
  }
}

void NewReno::on_congestion(Time, uint32_t flight) {
  ssthresh_ = std::max(flight / 2, 2 * mss_);  // (4)
  cwnd_ = ssthresh_;
  acked_in_ca_ = 0;
}

void NewReno::on_timeout(Time, uint32_t flight) {
  ssthresh_ = std::max(flight / 2, 2 * mss_);
  cwnd_ = mss_;  // the loss window
  acked_in_ca_ = 0;
}

std::unique_ptr<Congestion> make_congestion(CcAlgo algo, uint32_t mss) {
  if (algo == CcAlgo::kNewReno) return std::make_unique<NewReno>(mss);
  return std::make_unique<Cubic>(mss);
}

}  // namespace ninet::tcp
