#include "wire/udp.h"

#include <cstring>

#include "base/checksum.h"
#include "base/endian.h"
#include "wire/ip4.h"

namespace ninet::wire {

Result<UdpRepr> UdpRepr::parse(const Ipaddr& src, const Ipaddr& dst, std::span<const uint8_t> p,
                               bool verify) {
  if (p.size() < udp::kHeaderLen) return Error(Err::TooShort, "udp header");
  size_t len = load16(p.data() + udp::kLength);
  if (len < udp::kHeaderLen) return Error(Err::BadArg, "udp length " + std::to_string(len));
  if (len > p.size()) return Error(Err::TooShort, "udp length " + std::to_string(len));
  p = p.first(len);
  UdpRepr r;
  r.src_port = load16(p.data() + udp::kSrcPort);
  r.dst_port = load16(p.data() + udp::kDstPort);
  r.data = p.subspan(udp::kHeaderLen);
  if (load16(p.data() + udp::kCksum) == 0) {
    if (!src.is_v4() || !dst.is_v4()) return Error(Err::BadArg, "udp zero checksum over ipv6");
    r.checksummed = false;
    return r;
  }
  if (!verify) return r;
  uint32_t s = csum_pseudo(src, dst, ipproto::kUdp, uint32_t(len));
  if (csum_fold(csum_partial(p.data(), len, s)) != 0) return Error(Err::BadArg, "udp checksum");
  return r;
}

void UdpRepr::emit(const Ipaddr& src, const Ipaddr& dst, std::span<uint8_t> out,
                   std::span<const uint8_t> body) const {
  uint8_t* d = out.data();
  size_t len = udp::kHeaderLen + body.size();
  store16(d + udp::kSrcPort, src_port);
  store16(d + udp::kDstPort, dst_port);
  store16(d + udp::kLength, uint16_t(len));
  store16(d + udp::kCksum, 0);
  if (!body.empty() && body.data() != d + udp::kHeaderLen)
    std::memmove(d + udp::kHeaderLen, body.data(), body.size());
  uint16_t ck =
      csum_fold(csum_partial(d, len, csum_pseudo(src, dst, ipproto::kUdp, uint32_t(len))));
  store16(d + udp::kCksum, ck == 0 ? 0xffff : ck);  // RFC 768: zero is "none"
}

}  // namespace ninet::wire
