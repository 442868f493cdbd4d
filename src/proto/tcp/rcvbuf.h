// rcvbuf.h — the size of a TCP receiver's buffer, and so of the window it
// offers, tuned to what the application reads ("dynamic right-sizing",
// Fisk and Feng, 2001; Linux's tcp_rcv_space_adjust). A connection starts
// with a small buffer (kInitial, Linux's tcp_rmem default) and, once per
// round trip, compares what the application consumed in it with the most
// it consumed in any earlier round trip: if more, the sender's rate is
// growing and the buffer grows to twice the bytes of a round trip (one RTT
// in flight, one being read), plus room for the sender to double again (a
// sender in slow start), up to kMax. It never shrinks (RFC 9293 3.8.6.2.2:
// the right edge of the window does not move back). A reader that reads
// slowly keeps the small buffer; a fast reader on a long fat path gets its
// bandwidth-delay product.
//
// The round trip is the receiver's own estimate: from the timestamps of
// RFC 7323 (the time since we sent the TSval a data segment echoes) or,
// without them, the time to receive one window's worth of data (DRS's
// upper bound), smoothed as Linux does; the sender's SRTT stands in until
// there is one.
//
//   RcvBuf rb;
//   rb.start(rcv_nxt, mss, now);                  // established
//   rb.on_data(rcv_nxt, window, now);             // in-order data arrived
//   rb.rtt_sample(now - echoed_send_time);        // a TSecr of ours came back
//   if (rb.on_read(copied_seq, mss, srtt, now)) rq_limit = rb.size() + slack;
#pragma once

#include <cstdint>

#include "base/clock.h"

namespace ninet::tcp {

class RcvBuf {
 public:
  static constexpr uint32_t kInitial = 128 << 10;   // Linux's tcp_rmem[1]
  static constexpr uint32_t kMax = 16 << 20;        // the most one connection is given
  static constexpr Time kMinRtt = ms(1);            // timestamps tick in milliseconds
  static constexpr unsigned kInitialSegments = 10;  // RFC 6928's initial window

  explicit RcvBuf(uint32_t initial = kInitial, uint32_t max = kMax) : size_(initial), max_(max) {}

  // The connection is established: measurements start at RCV.NXT, and the
  // first round trip is expected to bring an initial window (10 segments).
  void start(uint32_t rcv_nxt, uint32_t mss, Time now);
  // RCV.NXT moved to rcv_nxt; `wnd` reaches past the edge of the window
  // offered so far. Without timestamps: once RCV.NXT passes rcv_nxt + wnd,
  // the time taken is a round-trip sample (those bytes needed a window
  // update not yet sent).
  void on_data(uint32_t rcv_nxt, uint32_t wnd, Time now, bool timestamps);
  // A round trip measured from a timestamp echo (RFC 7323 4.1).
  void rtt_sample(Time rtt);
  // The application has read everything before sequence number `copied`.
  // Once a round trip (the receiver's estimate, else `srtt`; no less than
  // kMinRtt) has passed since the last measurement, the buffer is sized to
  // it. True if it grew.
  bool on_read(uint32_t copied, uint32_t mss, Time srtt, Time now);

  uint32_t size() const { return size_; }
  uint32_t max() const { return max_; }
  Time rtt() const { return rtt_; }  // -1 before a sample
  // The most bytes read in one round trip so far.
  uint32_t per_rtt() const { return space_; }

 private:
  uint32_t size_;
  uint32_t max_;
  bool started_ = false;
  // The measurement of what is read (Linux's rcvq_space).
  uint32_t space_ = 0;  // the most read in one round trip
  uint32_t mseq_ = 0;   // where the current measurement started
  Time mtime_ = 0;
  // The receiver's round trip (Linux's rcv_rtt_est).
  Time rtt_ = -1;
  uint32_t rtt_seq_ = 0;  // without timestamps: RCV.NXT expected one window later
  Time rtt_time_ = 0;
  bool rtt_armed_ = false;
};

// The window scale (RFC 7323 2.2) that lets a window of `bytes` be offered:
// the smallest shift that brings it under 2^16.
constexpr uint8_t wscale_for(uint32_t bytes) {
  uint8_t s = 0;
  while (s < 14 && (bytes >> s) > 65535)
    s++;
  return s;
}

}  // namespace ninet::tcp
