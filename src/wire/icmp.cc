#include "wire/icmp.h"

#include "base/checksum.h"
#include "base/endian.h"

namespace ninet::wire {

Result<IcmpRepr> IcmpRepr::parse(std::span<const uint8_t> p) {
  if (p.size() < icmp::kHeaderLen) return Error(Err::TooShort, "icmp");
  if (csum_fold(csum_partial(p.data(), p.size(), 0)) != 0)
    return Error(Err::BadArg, "icmp checksum");
  IcmpRepr r;
  r.type = p[icmp::kType];
  r.code = p[icmp::kCode];
  r.rest = load32(p.data() + icmp::kRest);
  r.data = p.subspan(icmp::kHeaderLen);
  return r;
}

void IcmpRepr::emit(std::span<uint8_t> out, std::span<const uint8_t> body) const {
  uint8_t* d = out.data();
  d[icmp::kType] = type;
  d[icmp::kCode] = code;
  store16(d + icmp::kCksum, 0);
  store32(d + icmp::kRest, rest);
  if (!body.empty() && body.data() != d + icmp::kHeaderLen)
    std::memmove(d + icmp::kHeaderLen, body.data(), body.size());
  store16(d + icmp::kCksum, csum_fold(csum_partial(d, icmp::kHeaderLen + body.size(), 0)));
}

}  // namespace ninet::wire
