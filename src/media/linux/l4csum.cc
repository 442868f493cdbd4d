#include "media/linux/l4csum.h"

#include "base/checksum.h"
#include "base/endian.h"
#include "base/ipaddr.h"
#include "wire/ether.h"
#include "wire/ip4.h"
#include "wire/ip6.h"

namespace ninet {

bool complete_l4_checksum(std::span<uint8_t> frame) {
  using namespace wire;
  if (frame.size() < EtherRepr::kLen) return false;
  const uint16_t type = load16(frame.data() + ether::kType);
  std::span<uint8_t> ip = frame.subspan(EtherRepr::kLen);
  Ipaddr src, dst;
  uint8_t proto;
  size_t l4_off, l4_len;
  if (type == ethertype::kIp4) {
    if (ip.size() < ip4::kMinHeader || ip[0] >> 4 != 4) return false;
    size_t ihl = size_t(ip[0] & 0x0f) * 4, total = load16(&ip[ip4::kLen]);
    if (ihl < ip4::kMinHeader || total < ihl || total > ip.size()) return false;
    if (load16(&ip[ip4::kFrag]) & (ip4::kMF | ip4::kOffMask)) return false;
    proto = ip[ip4::kProto];
    src = Ipaddr::from_v4_bytes(&ip[ip4::kSrc]);
    dst = Ipaddr::from_v4_bytes(&ip[ip4::kDst]);
    l4_off = ihl;
    l4_len = total - ihl;
  } else if (type == ethertype::kIp6) {
    if (ip.size() < Ip6Repr::kLen || ip[0] >> 4 != 6) return false;
    size_t payload = load16(&ip[ip6::kPayloadLen]);
    if (Ip6Repr::kLen + payload > ip.size()) return false;
    auto walk = ip6_walk(ip.subspan(Ip6Repr::kLen, payload), ip[ip6::kNext]);
    if (!walk || walk->frag) return false;
    proto = walk->proto;
    src = Ipaddr(&ip[ip6::kSrc]);
    dst = Ipaddr(&ip[ip6::kDst]);
    l4_off = Ip6Repr::kLen + walk->offset;
    l4_len = payload - walk->offset;
  } else {
    return false;
  }
  size_t field;
  if (proto == ipproto::kTcp && l4_len >= 20)
    field = 16;  // RFC 9293 section 3.1
  else if (proto == ipproto::kUdp && l4_len >= 8)
    field = 6;  // RFC 768
  else
    return false;
  uint8_t* l4 = ip.data() + l4_off;
  store16(l4 + field, 0);
  uint16_t c = csum_fold(csum_partial(l4, l4_len, csum_pseudo(src, dst, proto, uint32_t(l4_len))));
  if (proto == ipproto::kUdp && c == 0) c = 0xffff;  // RFC 768: zero means "no checksum"
  store16(l4 + field, c);
  return true;
}

}  // namespace ninet
