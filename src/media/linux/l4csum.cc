#include "media/linux/l4csum.h"

#include <optional>

#include "base/checksum.h"
#include "base/endian.h"
#include "base/ipaddr.h"
#include "wire/ether.h"
#include "wire/ip4.h"
#include "wire/ip6.h"

namespace ninet {

namespace {

// Where a frame's TCP or UDP checksum is, and what it covers.
struct L4 {
  Ipaddr src, dst;
  uint8_t proto;
  uint8_t* l4;
  size_t len;
  size_t field;  // offset of the checksum in l4
};

std::optional<L4> locate(std::span<uint8_t> frame) {
  using namespace wire;
  if (frame.size() < EtherRepr::kLen) return std::nullopt;
  const uint16_t type = load16(frame.data() + ether::kType);
  std::span<uint8_t> ip = frame.subspan(EtherRepr::kLen);
  L4 r;
  size_t l4_off;
  if (type == ethertype::kIp4) {
    if (ip.size() < ip4::kMinHeader || ip[0] >> 4 != 4) return std::nullopt;
    size_t ihl = size_t(ip[0] & 0x0f) * 4, total = load16(&ip[ip4::kLen]);
    if (ihl < ip4::kMinHeader || total < ihl || total > ip.size()) return std::nullopt;
    if (load16(&ip[ip4::kFrag]) & (ip4::kMF | ip4::kOffMask)) return std::nullopt;
    r.proto = ip[ip4::kProto];
    r.src = Ipaddr::from_v4_bytes(&ip[ip4::kSrc]);
    r.dst = Ipaddr::from_v4_bytes(&ip[ip4::kDst]);
    l4_off = ihl;
    r.len = total - ihl;
  } else if (type == ethertype::kIp6) {
    if (ip.size() < Ip6Repr::kLen || ip[0] >> 4 != 6) return std::nullopt;
    size_t payload = load16(&ip[ip6::kPayloadLen]);
    if (Ip6Repr::kLen + payload > ip.size()) return std::nullopt;
    auto walk = ip6_walk(ip.subspan(Ip6Repr::kLen, payload), ip[ip6::kNext]);
    if (!walk || walk->frag) return std::nullopt;
    r.proto = walk->proto;
    r.src = Ipaddr(&ip[ip6::kSrc]);
    r.dst = Ipaddr(&ip[ip6::kDst]);
    l4_off = Ip6Repr::kLen + walk->offset;
    r.len = payload - walk->offset;
  } else {
    return std::nullopt;
  }
  if (r.proto == ipproto::kTcp && r.len >= 20)
    r.field = 16;  // RFC 9293 section 3.1
  else if (r.proto == ipproto::kUdp && r.len >= 8)
    r.field = 6;  // RFC 768
  else
    return std::nullopt;
  r.l4 = ip.data() + l4_off;
  return r;
}

uint32_t pseudo(const L4& r) {
  return csum_pseudo(r.src, r.dst, r.proto, uint32_t(r.len));
}

void complete(const L4& r) {
  store16(r.l4 + r.field, 0);
  uint16_t c = csum_fold(csum_partial(r.l4, r.len, pseudo(r)));
  if (r.proto == wire::ipproto::kUdp && c == 0) c = 0xffff;  // RFC 768: zero means "no checksum"
  store16(r.l4 + r.field, c);
}

}  // namespace

bool complete_l4_checksum(std::span<uint8_t> frame) {
  auto r = locate(frame);
  if (!r) return false;
  complete(*r);
  return true;
}

bool complete_if_partial(std::span<uint8_t> frame) {
  auto r = locate(frame);
  if (!r) return false;
  // Linux stores ~csum_tcpudp_magic(...) = the pseudo-header sum, folded
  // and not complemented (udp_set_csum, __tcp_v4_send_check).
  const uint16_t partial = uint16_t(~csum_fold(pseudo(*r)));
  if (load16(r->l4 + r->field) != partial) return false;
  if (csum_fold(csum_partial(r->l4, r->len, pseudo(*r))) == 0) return false;  // already right
  complete(*r);
  return true;
}

}  // namespace ninet
