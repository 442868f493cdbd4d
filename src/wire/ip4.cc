#include "wire/ip4.h"

#include "base/checksum.h"
#include "base/endian.h"

namespace ninet::wire {

Result<Ip4Repr> Ip4Repr::parse(std::span<const uint8_t> p) {
  if (p.size() < ip4::kMinHeader) return Error(Err::TooShort, "ip header");
  const uint8_t* d = p.data();
  if (d[0] >> 4 != 4) return Error(Err::BadArg, "ip version");
  size_t hl = size_t(d[0] & 0x0f) * 4;
  if (hl < ip4::kMinHeader) return Error(Err::BadArg, "ip header length");
  if (p.size() < hl) return Error(Err::TooShort, "ip options");
  uint16_t total = load16(d + ip4::kLen);
  if (total < hl || total > p.size()) return Error(Err::BadArg, "ip total length");
  if (csum_fold(csum_partial(d, hl, 0)) != 0) return Error(Err::BadArg, "ip header checksum");
  for (size_t i = ip4::kMinHeader; i < hl;) {
    uint8_t type = d[i];
    if (type == 0) break;  // End of Option List
    if (type == 1) {       // No Operation
      i++;
      continue;
    }
    if (i + 1 >= hl || d[i + 1] < 2 || d[i + 1] > hl - i)
      return Error(Err::BadArg, "ip option length");
    i += d[i + 1];
  }
  Ip4Repr r;
  r.tos = d[ip4::kTos];
  r.total_len = total;
  r.header_len = uint16_t(hl);
  r.id = load16(d + ip4::kId);
  uint16_t frag = load16(d + ip4::kFrag);
  r.df = frag & ip4::kDF;
  r.mf = frag & ip4::kMF;
  r.frag_offset = uint16_t((frag & ip4::kOffMask) * 8);
  r.ttl = d[ip4::kTtl];
  r.proto = d[ip4::kProto];
  r.src = Ipaddr::from_v4_bytes(d + ip4::kSrc);
  r.dst = Ipaddr::from_v4_bytes(d + ip4::kDst);
  return r;
}

void Ip4Repr::emit(uint8_t* d) const {
  d[0] = 0x45;
  d[ip4::kTos] = tos;
  store16(d + ip4::kLen, total_len);
  store16(d + ip4::kId, id);
  store16(d + ip4::kFrag, uint16_t((df ? ip4::kDF : 0) | (mf ? ip4::kMF : 0) |
                                   ((frag_offset / 8) & ip4::kOffMask)));
  d[ip4::kTtl] = ttl;
  d[ip4::kProto] = proto;
  store16(d + ip4::kCksum, 0);
  std::memcpy(d + ip4::kSrc, src.v4_bytes(), 4);
  std::memcpy(d + ip4::kDst, dst.v4_bytes(), 4);
  store16(d + ip4::kCksum, csum_fold(csum_partial(d, 20, 0)));
}

void Ip4View::dec_ttl() {
  // TTL shares a 16-bit word with the protocol (RFC 1624 incremental update).
  uint16_t old = load16(p_ + ip4::kTtl);
  p_[ip4::kTtl]--;
  uint16_t now = load16(p_ + ip4::kTtl);
  store16(p_ + ip4::kCksum, csum_update16(load16(p_ + ip4::kCksum), old, now));
}

void Ip4View::update_checksum() {
  store16(p_ + ip4::kCksum, 0);
  store16(p_ + ip4::kCksum, csum_fold(csum_partial(p_, header_len(), 0)));
}

void Ip4View::set_total_len(uint16_t len) {
  store16(p_ + ip4::kLen, len);
  update_checksum();
}

void Ip4View::set_frag(bool mf, uint16_t offset_bytes, bool df) {
  store16(p_ + ip4::kFrag, uint16_t((df ? ip4::kDF : 0) | (mf ? ip4::kMF : 0) |
                                    ((offset_bytes / 8) & ip4::kOffMask)));
  update_checksum();
}

void Ip4View::set_id(uint16_t id) {
  store16(p_ + ip4::kId, id);
  update_checksum();
}

}  // namespace ninet::wire
