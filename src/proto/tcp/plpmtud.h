// plpmtud.h — the black-hole fallback of packetization-layer path MTU
// discovery (RFC 4821, as Linux's tcp_mtu_probing=1): when a path drops
// packets larger than some size and sends no ICMP "packet too big" (a
// firewall that filters ICMP, a tunnel that loses them), path MTU
// discovery (RFC 1191/8201) never learns, and a connection whose full-size
// segments are all lost times out again and again. After kTimeouts
// retransmission timeouts in a row on the same data, with a first
// unacknowledged segment that a smaller MSS would have cut, and no ICMP
// heard meanwhile, the MSS falls to RFC 4821 7.2's search_low (1024 bytes
// for IPv4, the IPv6 minimum MTU of 1280), and for IPv4 then to RFC 791's
// 576; it stays there (no probing back up).
//
//   BlackHole bh;
//   ... on each RTO: uint16_t m = bh.on_timeout(snd_una, head_len + opts, mss, v6);
//   if (m != mss) { mss = m; cc->set_mss(m); }
//   ... on an ICMP packet too big: bh.on_ptb();
#pragma once

#include <cstdint>

namespace ninet::tcp {

class BlackHole {
 public:
  static constexpr unsigned kTimeouts = 2;  // RTOs in a row before suspecting the path
  static constexpr int kSearchLow4 = 1024;  // RFC 4821 7.2's search_low for IPv4
  static constexpr int kMinMtu4 = 576;      // RFC 791: every IPv4 host takes this
  static constexpr int kMinMtu6 = 1280;     // RFC 8200 5

  // The MSS below mss to fall to (mss itself if none): IP and TCP headers
  // of 40 (IPv4) or 60 (IPv6) bytes, no options.
  static uint16_t lower(uint16_t mss, bool v6);

  // A retransmission timeout with SND.UNA at una, whose first
  // unacknowledged segment takes `head` bytes of MSS (its data and
  // options). Returns the MSS to use from now on: a lower one when the
  // path looks like a black hole, else mss.
  uint16_t on_timeout(uint32_t una, uint32_t head, uint16_t mss, bool v6);
  // An ICMP packet too big arrived: the path reports its MTU after all;
  // timeouts count from here.
  void on_ptb() { timeouts_ = 0; }

 private:
  uint32_t una_ = 0;
  unsigned timeouts_ = 0;
};

}  // namespace ninet::tcp
