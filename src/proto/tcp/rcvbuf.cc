#include "proto/tcp/rcvbuf.h"

#include <algorithm>

#include "wire/tcp.h"

namespace ninet::tcp {

void RcvBuf::start(uint32_t rcv_nxt, uint32_t mss, Time now) {
  started_ = true;
  space_ = std::min(size_, kInitialSegments * mss);
  mseq_ = rcv_nxt;
  mtime_ = now;
}

void RcvBuf::rtt_sample(Time rtt) {
  rtt = std::max<Time>(rtt, 0);
  // A gain of 1/8, as RFC 6298's SRTT: timestamps sample every segment.
  rtt_ = rtt_ < 0 ? rtt : rtt_ + (rtt - rtt_) / 8;
}

void RcvBuf::on_data(uint32_t rcv_nxt, uint32_t wnd, Time now, bool timestamps) {
  if (timestamps) return;
  if (rtt_armed_) {
    if (wire::seq_lt(rcv_nxt, rtt_seq_)) return;
    // A window's worth took this long: no less than a round trip, so
    // (DRS) the smallest such sample is the estimate.
    Time t = now - rtt_time_;
    rtt_ = rtt_ < 0 ? t : std::min(rtt_, t);
  }
  rtt_seq_ = rcv_nxt + std::max<uint32_t>(wnd, 1);
  rtt_time_ = now;
  rtt_armed_ = true;
}

bool RcvBuf::on_read(uint32_t copied, uint32_t mss, Time srtt, Time now) {
  if (!started_) return false;
  Time rtt = rtt_ >= 0 ? rtt_ : srtt;
  if (rtt < 0 || now - mtime_ < std::max(rtt, kMinRtt)) return false;
  uint32_t read = copied - mseq_;
  mseq_ = copied;
  mtime_ = now;
  if (read <= space_ || read > max_) return false;  // not faster (or nonsense)
  // Twice what one round trip carried (one in flight, one being read), and
  // as many segments as Linux adds for the peer's bursts; then, as the
  // rate grew by read/space_ since the last best, room for it to grow so
  // again before the next measurement (a sender doubling each RTT).
  uint64_t want = 2 * uint64_t(read) + 16 * uint64_t(mss);
  want += 2 * want * (read - space_) / std::max<uint32_t>(space_, 1);
  space_ = read;
  uint32_t next = uint32_t(std::min<uint64_t>(want, max_));
  if (next <= size_) return false;
  size_ = next;
  return true;
}

}  // namespace ninet::tcp
