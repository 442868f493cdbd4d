#include "proto/tcp/rto.h"

#include <algorithm>

namespace ninet::tcp {

void Rto::sample(Time rtt, unsigned per_rtt) {
  if (rtt < 0) return;
  per_rtt = std::max(per_rtt, 1u);
  if (srtt_ < 0) {  // 2.2: the first measurement
    srtt_ = rtt;
    rttvar_ = rtt / 2;
  } else {  // 2.3: RTTVAR first, with the old SRTT; beta 1/4, alpha 1/8
    Time err = srtt_ > rtt ? srtt_ - rtt : rtt - srtt_;
    rttvar_ += (err - rttvar_) / Time(4 * per_rtt);
    srtt_ += (rtt - srtt_) / Time(8 * per_rtt);
  }
  base_ = std::clamp(srtt_ + std::max(kGranularity, 4 * rttvar_), kMin, kMax);
  backoff_ = 0;
}

void Rto::backoff() {
  if (backoff_ < kMaxBackoff) backoff_++;
}

void Rto::lost_syn() {
  if (has_sample()) return;
  base_ = kAfterLostSyn;
  backoff_ = 0;
}

Time Rto::timeout() const {
  Time t = base_;
  for (unsigned i = 0; i < backoff_ && t < kMax; i++)
    t *= 2;
  return std::min(t, kMax);
}

}  // namespace ninet::tcp
