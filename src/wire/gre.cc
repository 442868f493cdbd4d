#include "wire/gre.h"

#include <string>

#include "base/checksum.h"
#include "base/endian.h"

namespace ninet::wire {

GreRepr GreRepr::pptp(uint16_t call_id, std::optional<uint32_t> seq, std::optional<uint32_t> ack) {
  GreRepr r;
  r.version = gre::kPptpVersion;
  r.protocol = gre::kPptpProtocol;
  r.call_id = call_id;
  r.seq = seq;
  r.ack = ack;
  return r;
}

Result<GreRepr> GreRepr::parse(std::span<const uint8_t> p) {
  if (p.size() < gre::kMinHeader) return Error(Err::TooShort, "gre header");
  uint16_t flags = load16(p.data() + gre::kFlags);
  GreRepr r;
  r.version = uint8_t(flags & gre::kVersionMask);
  r.protocol = load16(p.data() + gre::kProtocol);
  if (r.version > gre::kPptpVersion)
    return Error(Err::BadArg, "gre version " + std::to_string(r.version));
  if (flags & gre::kRouting) return Error(Err::BadArg, "gre routing");
  bool v1 = r.version == gre::kPptpVersion;
  bool c = flags & gre::kChecksum, k = flags & gre::kKey, s = flags & gre::kSequence;
  bool a = v1 && (flags & gre::kAck);
  if (v1 && (c || !k)) return Error(Err::BadArg, "pptp gre flags");
  if (v1 && r.protocol != gre::kPptpProtocol) return Error(Err::BadArg, "pptp gre protocol");

  size_t hl = gre::kMinHeader + 4 * (size_t(c) + k + s + a);
  if (p.size() < hl) return Error(Err::TooShort, "gre header");
  const uint8_t* f = p.data() + gre::kMinHeader;
  if (c) {
    if (csum_fold(csum_partial(p.data(), p.size(), 0)) != 0)
      return Error(Err::BadArg, "gre checksum");
    r.checksum = true;
    f += 4;
  }
  size_t payload_len = p.size() - hl;
  if (v1) {
    size_t len = load16(f);
    if (len > payload_len) return Error(Err::TooShort, "pptp gre length " + std::to_string(len));
    payload_len = len;
    r.call_id = load16(f + 2);
    f += 4;
  } else if (k) {
    r.key = load32(f);
    f += 4;
  }
  if (s) {
    r.seq = load32(f);
    f += 4;
  }
  if (a) r.ack = load32(f);
  r.payload = p.subspan(hl, payload_len);
  return r;
}

size_t GreRepr::header_len() const {
  if (version == gre::kPptpVersion) return 8 + (seq ? 4 : 0) + (ack ? 4 : 0);
  return gre::kMinHeader + (checksum ? 4 : 0) + (key ? 4 : 0) + (seq ? 4 : 0);
}

void GreRepr::emit(std::span<uint8_t> pkt) const {
  uint8_t* d = pkt.data();
  bool v1 = version == gre::kPptpVersion;
  bool c = !v1 && checksum, k = v1 || key.has_value(), a = v1 && ack.has_value();
  uint16_t flags = uint16_t(version & gre::kVersionMask);
  if (c) flags |= gre::kChecksum;
  if (k) flags |= gre::kKey;
  if (seq) flags |= gre::kSequence;
  if (a) flags |= gre::kAck;
  store16(d + gre::kFlags, flags);
  store16(d + gre::kProtocol, protocol);
  uint8_t* f = d + gre::kMinHeader;
  uint8_t* ck = f;
  if (c) {
    store32(f, 0);  // checksum and Reserved1
    f += 4;
  }
  if (v1) {
    store16(f, uint16_t(pkt.size() - header_len()));
    store16(f + 2, call_id);
    f += 4;
  } else if (k) {
    store32(f, *key);
    f += 4;
  }
  if (seq) {
    store32(f, *seq);
    f += 4;
  }
  if (a) store32(f, *ack);
  if (c) store16(ck, csum_fold(csum_partial(d, pkt.size(), 0)));
}

}  // namespace ninet::wire
