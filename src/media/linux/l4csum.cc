#include "media/linux/l4csum.h"

#include <optional>

#include "base/endian.h"
#include "media/offload.h"
#include "wire/ether.h"

namespace ninet {

namespace {

// The IP packet of an untagged Ethernet frame carrying IPv4 or IPv6.
std::optional<std::span<uint8_t>> ip_of(std::span<uint8_t> frame) {
  using namespace wire;
  if (frame.size() < EtherRepr::kLen) return std::nullopt;
  const uint16_t type = load16(frame.data() + ether::kType);
  if (type != ethertype::kIp4 && type != ethertype::kIp6) return std::nullopt;
  return frame.subspan(EtherRepr::kLen);
}

}  // namespace

bool complete_l4_checksum(std::span<uint8_t> frame) {
  auto ip = ip_of(frame);
  return ip && finish_l4_checksum(*ip);
}

bool holds_partial_checksum(std::span<const uint8_t> frame) {
  using namespace wire;
  if (frame.size() < EtherRepr::kLen) return false;
  const uint16_t type = load16(frame.data() + ether::kType);
  if (type != ethertype::kIp4 && type != ethertype::kIp6) return false;
  auto l = locate_l4(frame.subspan(EtherRepr::kLen));
  return l && load16(frame.data() + EtherRepr::kLen + l->l4_off + l->field) == partial_checksum(*l);
}

}  // namespace ninet
