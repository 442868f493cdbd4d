// rudp.h — RUDP (IP protocol 254, Plan 9's reliable datagrams): a UDP
// header whose checksum covers the UDP pseudo header with protocol 254,
// followed by four 32-bit fields (NOTES.md):
//
//   sport[2] dport[2] length[2] cksum[2] seq[4] sgen[4] ack[4] agen[4] data...
//
//   auto r = RudpRepr::parse(src, dst, payload);  // length and checksum checked
//   if (r && r->seq == 0) ... an acknowledgement only ...
//   RudpRepr{5000, 7, 1, gen, 0, 0}.emit(src, dst, out, body);
//
// seq numbers the sender's messages of generation sgen (1 up, 0: carries
// no message, an acknowledgement only); ack is the last message received
// in order from the peer's generation agen (0: none). sgen kHangupGen asks
// the peer to forget this sender (ctl `hangup`). The checksum rules are
// UDP's (wire/udp.h): over IPv4 a zero checksum means none was computed,
// over IPv6 it is mandatory; a computed zero is sent as 0xffff.
#pragma once

#include <cstdint>
#include <span>

#include "base/error.h"
#include "base/ipaddr.h"

namespace ninet::wire {

namespace rudp {
constexpr size_t kSrcPort = 0, kDstPort = 2, kLength = 4, kCksum = 6, kSeq = 8, kSgen = 12,
                 kAck = 16, kAgen = 20, kHeaderLen = 24;
constexpr uint32_t kHangupGen = 0xffffffff;  // sgen of a hangup
}  // namespace rudp

struct RudpRepr {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0, sgen = 0, ack = 0, agen = 0;
  std::span<const uint8_t> data;  // the message, cut to the length field (parse only)
  bool checksummed = true;        // parse: false for an IPv4 packet sent without one

  // Checks that the 24-byte header fits, that the length field is at least
  // 24 and no more than the bytes given (bytes after it are link padding),
  // and the checksum (unless verify is false: a medium checked it). src and
  // dst are the IP addresses (v4-mapped for IPv4), which choose the pseudo
  // header.
  static Result<RudpRepr> parse(const Ipaddr& src, const Ipaddr& dst, std::span<const uint8_t> p,
                                bool verify = true);
  // Writes the header followed by body into out (out.size() >= 24 +
  // body.size(); body may already sit at out + 24) and fills length and
  // checksum. The caller keeps 24 + body.size() <= 65535.
  void emit(const Ipaddr& src, const Ipaddr& dst, std::span<uint8_t> out,
            std::span<const uint8_t> body) const;
};

}  // namespace ninet::wire
