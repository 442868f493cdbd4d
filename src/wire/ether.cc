#include "wire/ether.h"

#include "base/endian.h"

namespace ninet::wire {

Result<EtherRepr> EtherRepr::parse(std::span<const uint8_t> f) {
  if (f.size() < kLen) return Error(Err::TooShort, "ethernet header");
  EtherRepr r;
  r.dst = Mac(f.data() + ether::kDst);
  r.src = Mac(f.data() + ether::kSrc);
  r.type = load16(f.data() + ether::kType);
  return r;
}

void EtherRepr::emit(uint8_t* out) const {
  std::memcpy(out + ether::kDst, dst.data(), 6);
  std::memcpy(out + ether::kSrc, src.data(), 6);
  store16(out + ether::kType, type);
}

}  // namespace ninet::wire
