// ip4.h — IPv4 header (RFC 791).
//
// Ip4Repr is the parsed header. parse() checks version 4, IHL >= 5, total
// length within the buffer and >= IHL*4, the header checksum, and that the
// options are well formed (RFC 791: End and NOP are one byte, every other
// option has a length byte of at least 2 that stays inside the header, as
// Linux checks before it looks at any); their content is skipped (header_len
// covers them). emit() writes a 20-byte header without
// options, computing the checksum.
//
// Ip4View edits a header in place (forwarding: TTL decrement with an RFC 1624
// incremental checksum update; fragmentation: offset/MF/total length).
//
//   auto h = Ip4Repr::parse(b->span());
//   if (!h) { count(InHdrErrors); drop; }
//   b->trim(h->total_len);            // strip link padding
//   b->pull(h->header_len);           // to the payload
#pragma once

#include <cstdint>
#include <span>

#include "base/error.h"
#include "base/ipaddr.h"

namespace ninet::wire {

namespace ip4 {
constexpr size_t kVerIhl = 0, kTos = 1, kLen = 2, kId = 4, kFrag = 6, kTtl = 8, kProto = 9,
                 kCksum = 10, kSrc = 12, kDst = 16;
constexpr uint16_t kDF = 0x4000, kMF = 0x2000, kOffMask = 0x1fff;
constexpr size_t kMinHeader = 20;
}  // namespace ip4

namespace ipproto {
constexpr uint8_t kHopOpts = 0, kIcmp = 1, kIgmp = 2, kTcp = 6, kUdp = 17, kIp6 = 41, kRouting = 43,
                  kFragment = 44, kGre = 47, kEsp = 50, kAh = 51, kIcmp6 = 58, kNoNext = 59,
                  kDstOpts = 60, kRudp = 254;
}  // namespace ipproto

struct Ip4Repr {
  Ipaddr src, dst;  // v4-mapped
  uint8_t proto = 0;
  uint8_t ttl = 64;
  uint8_t tos = 0;
  uint16_t id = 0;
  bool df = false, mf = false;
  uint16_t frag_offset = 0;  // in bytes (a multiple of 8)
  uint16_t total_len = 0;    // header + payload
  uint16_t header_len = 20;  // IHL*4 (parse); emit always writes 20

  static Result<Ip4Repr> parse(std::span<const uint8_t> p);
  // Writes 20 bytes: fields above with IHL 5 and the header checksum.
  void emit(uint8_t* out) const;
  bool is_fragment() const { return mf || frag_offset != 0; }
  uint16_t payload_len() const { return uint16_t(total_len - header_len); }
};

// In-place access to a header that parse() accepted.
class Ip4View {
 public:
  explicit Ip4View(uint8_t* p) : p_(p) {}
  uint8_t ttl() const { return p_[ip4::kTtl]; }
  // Decrements TTL and patches the checksum incrementally (RFC 1624).
  void dec_ttl();
  void set_total_len(uint16_t len);                        // recomputes checksum
  void set_frag(bool mf, uint16_t offset_bytes, bool df);  // recomputes checksum
  void set_id(uint16_t id);                                // recomputes checksum
  void update_checksum();                                  // full recompute over IHL*4 bytes
  size_t header_len() const { return size_t(p_[0] & 0x0f) * 4; }

 private:
  uint8_t* p_;
};

}  // namespace ninet::wire
