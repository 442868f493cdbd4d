#include "wire/pppoe.h"

#include <cstring>
#include <string>

#include "base/endian.h"
#include "wire/ether.h"

namespace ninet::wire {

void PppoeTags::iterator::load() {
  if (at_ + pppoe::kTagHeaderLen > p_.size()) {
    at_ = kEnd;
    return;
  }
  tag_.type = load16(p_.data() + at_);
  size_t len = load16(p_.data() + at_ + 2);
  if (tag_.type == pppoe::kEndOfList || len > p_.size() - at_ - pppoe::kTagHeaderLen) {
    at_ = kEnd;
    return;
  }
  tag_.value = p_.subspan(at_ + pppoe::kTagHeaderLen, len);
}

PppoeTags::iterator& PppoeTags::iterator::operator++() {
  at_ += pppoe::kTagHeaderLen + tag_.value.size();
  load();
  return *this;
}

Status PppoeTags::check() const {
  for (size_t at = 0; at < p_.size();) {
    if (p_.size() - at < pppoe::kTagHeaderLen) return Error(Err::TooShort, "pppoe tag header");
    uint16_t type = load16(p_.data() + at);
    size_t len = load16(p_.data() + at + 2);
    if (type == pppoe::kEndOfList) {
      if (len != 0) return Error(Err::BadArg, "pppoe end-of-list length");
      break;
    }
    at += pppoe::kTagHeaderLen;
    if (len > p_.size() - at)
      return Error(Err::TooShort, "pppoe tag " + std::to_string(type) + " length");
    at += len;
  }
  return {};
}

std::optional<PppoeTag> PppoeTags::find(uint16_t type) const {
  for (PppoeTag t : *this)
    if (t.type == type) return t;
  return std::nullopt;
}

size_t emit_pppoe_tag(uint8_t* out, uint16_t type, std::span<const uint8_t> value) {
  store16(out, type);
  store16(out + 2, uint16_t(value.size()));
  if (!value.empty()) std::memmove(out + pppoe::kTagHeaderLen, value.data(), value.size());
  return pppoe::kTagHeaderLen + value.size();
}

static bool discovery_code(uint8_t code) {
  switch (code) {
    case pppoe::kPadi:
    case pppoe::kPado:
    case pppoe::kPadr:
    case pppoe::kPads:
    case pppoe::kPadt:
      return true;
    default:
      return false;
  }
}

Result<PppoeRepr> PppoeRepr::parse(uint16_t ethertype, std::span<const uint8_t> p) {
  bool discovery = ethertype == ethertype::kPppoeDiscovery;
  if (!discovery && ethertype != ethertype::kPppoeSession)
    return Error(Err::BadArg, "pppoe ethertype " + std::to_string(ethertype));
  if (p.size() < pppoe::kHeaderLen) return Error(Err::TooShort, "pppoe header");
  if (p[pppoe::kVerType] != pppoe::kVerTypeValue) return Error(Err::BadArg, "pppoe version");
  PppoeRepr r;
  r.code = p[pppoe::kCode];
  if (discovery ? !discovery_code(r.code) : r.code != pppoe::kSessionData)
    return Error(Err::BadArg, "pppoe code " + std::to_string(r.code));
  r.session_id = load16(p.data() + pppoe::kSessionId);
  size_t len = load16(p.data() + pppoe::kLength);
  if (len > p.size() - pppoe::kHeaderLen)
    return Error(Err::TooShort, "pppoe length " + std::to_string(len));
  r.payload = p.subspan(pppoe::kHeaderLen, len);
  if (discovery)
    if (Status s = r.tags().check(); !s) return s.error();
  return r;
}

void PppoeRepr::emit(std::span<uint8_t> pkt) const {
  uint8_t* d = pkt.data();
  d[pppoe::kVerType] = pppoe::kVerTypeValue;
  d[pppoe::kCode] = code;
  store16(d + pppoe::kSessionId, session_id);
  store16(d + pppoe::kLength, uint16_t(pkt.size() - pppoe::kHeaderLen));
}

}  // namespace ninet::wire
