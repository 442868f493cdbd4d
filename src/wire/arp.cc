#include "wire/arp.h"

#include "base/endian.h"

namespace ninet::wire {

Result<ArpRepr> ArpRepr::parse(std::span<const uint8_t> p) {
  if (p.size() < kLen) return Error(Err::TooShort, "arp");
  const uint8_t* d = p.data();
  if (load16(d + arp::kHtype) != 1 || load16(d + arp::kPtype) != 0x0800 || d[arp::kHlen] != 6 ||
      d[arp::kPlen] != 4)
    return Error(Err::BadArg, "arp: not ethernet/ipv4");
  ArpRepr r;
  r.op = load16(d + arp::kOp);
  if (r.op != arp::kRequest && r.op != arp::kReply) return Error(Err::BadArg, "arp: bad op");
  r.sha = Mac(d + arp::kSha);
  r.spa = Ipaddr::from_v4_bytes(d + arp::kSpa);
  r.tha = Mac(d + arp::kTha);
  r.tpa = Ipaddr::from_v4_bytes(d + arp::kTpa);
  return r;
}

void ArpRepr::emit(uint8_t* d) const {
  store16(d + arp::kHtype, 1);
  store16(d + arp::kPtype, 0x0800);
  d[arp::kHlen] = 6;
  d[arp::kPlen] = 4;
  store16(d + arp::kOp, op);
  std::memcpy(d + arp::kSha, sha.data(), 6);
  std::memcpy(d + arp::kSpa, spa.v4_bytes(), 4);
  std::memcpy(d + arp::kTha, tha.data(), 6);
  std::memcpy(d + arp::kTpa, tpa.v4_bytes(), 4);
}

}  // namespace ninet::wire
