#include "wire/rudp.h"

#include <cstring>

#include "base/checksum.h"
#include "base/endian.h"
#include "wire/ip4.h"

namespace ninet::wire {

Result<RudpRepr> RudpRepr::parse(const Ipaddr& src, const Ipaddr& dst, std::span<const uint8_t> p,
                                 bool verify) {
  if (p.size() < rudp::kHeaderLen) return Error(Err::TooShort, "rudp header");
  size_t len = load16(p.data() + rudp::kLength);
  if (len < rudp::kHeaderLen) return Error(Err::BadArg, "rudp length " + std::to_string(len));
  if (len > p.size()) return Error(Err::TooShort, "rudp length " + std::to_string(len));
  p = p.first(len);
  RudpRepr r;
  r.src_port = load16(p.data() + rudp::kSrcPort);
  r.dst_port = load16(p.data() + rudp::kDstPort);
  r.seq = load32(p.data() + rudp::kSeq);
  r.sgen = load32(p.data() + rudp::kSgen);
  r.ack = load32(p.data() + rudp::kAck);
  r.agen = load32(p.data() + rudp::kAgen);
  r.data = p.subspan(rudp::kHeaderLen);
  if (load16(p.data() + rudp::kCksum) == 0) {
    if (!src.is_v4() || !dst.is_v4()) return Error(Err::BadArg, "rudp zero checksum over ipv6");
    r.checksummed = false;
    return r;
  }
  if (!verify) return r;
  uint32_t s = csum_pseudo(src, dst, ipproto::kRudp, uint32_t(len));
  if (csum_fold(csum_partial(p.data(), len, s)) != 0) return Error(Err::BadArg, "rudp checksum");
  return r;
}

void RudpRepr::emit(const Ipaddr& src, const Ipaddr& dst, std::span<uint8_t> out,
                    std::span<const uint8_t> body) const {
  uint8_t* d = out.data();
  size_t len = rudp::kHeaderLen + body.size();
  if (!body.empty() && body.data() != d + rudp::kHeaderLen)
    std::memmove(d + rudp::kHeaderLen, body.data(), body.size());
  store16(d + rudp::kSrcPort, src_port);
  store16(d + rudp::kDstPort, dst_port);
  store16(d + rudp::kLength, uint16_t(len));
  store16(d + rudp::kCksum, 0);
  store32(d + rudp::kSeq, seq);
  store32(d + rudp::kSgen, sgen);
  store32(d + rudp::kAck, ack);
  store32(d + rudp::kAgen, agen);
  uint16_t ck =
      csum_fold(csum_partial(d, len, csum_pseudo(src, dst, ipproto::kRudp, uint32_t(len))));
  store16(d + rudp::kCksum, ck == 0 ? 0xffff : ck);  // RFC 768: zero is "none"
}

}  // namespace ninet::wire
