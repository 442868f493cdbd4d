// ether.h — Ethernet II header (IEEE 802.3, DIX framing), 14 bytes.
//
//   auto e = EtherRepr::parse(frame);   // fails if shorter than 14 bytes
//   if (e && e->type == ethertype::kIp4) ...
//   EtherRepr{dst, src, ethertype::kArp}.emit(b->push(EtherRepr::kLen));
#pragma once

#include <cstdint>
#include <span>

#include "base/error.h"
#include "base/ipaddr.h"

namespace ninet::wire {

namespace ethertype {
constexpr uint16_t kIp4 = 0x0800;
constexpr uint16_t kArp = 0x0806;
constexpr uint16_t kIp6 = 0x86dd;
constexpr uint16_t kPppoeDiscovery = 0x8863;
constexpr uint16_t kPppoeSession = 0x8864;
}  // namespace ethertype

namespace ether {
// Field offsets.
constexpr size_t kDst = 0, kSrc = 6, kType = 12;
}  // namespace ether

struct EtherRepr {
  static constexpr size_t kLen = 14;
  static constexpr size_t kMinFrame = 60;  // without FCS; shorter frames are padded
  Mac dst, src;
  uint16_t type = 0;

  static Result<EtherRepr> parse(std::span<const uint8_t> frame);
  size_t header_len() const { return kLen; }
  void emit(uint8_t* out) const;  // writes kLen bytes
};

}  // namespace ninet::wire
