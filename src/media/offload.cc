#include "media/offload.h"

#include <cstring>

#include "base/checksum.h"
#include "base/endian.h"
#include "wire/ip4.h"
#include "wire/ip6.h"
#include "wire/tcp.h"

namespace ninet {

std::optional<L4Loc> locate_l4(std::span<const uint8_t> ip) {
  using namespace wire;
  L4Loc r;
  if (ip.size() >= ip4::kMinHeader && ip[0] >> 4 == 4) {
    size_t ihl = size_t(ip[0] & 0x0f) * 4, total = load16(&ip[ip4::kLen]);
    if (ihl < ip4::kMinHeader || total < ihl || total > ip.size()) return std::nullopt;
    if (load16(&ip[ip4::kFrag]) & (ip4::kMF | ip4::kOffMask)) return std::nullopt;
    r.proto = ip[ip4::kProto];
    r.src = Ipaddr::from_v4_bytes(&ip[ip4::kSrc]);
    r.dst = Ipaddr::from_v4_bytes(&ip[ip4::kDst]);
    r.l4_off = ihl;
    r.l4_len = total - ihl;
  } else if (ip.size() >= Ip6Repr::kLen && ip[0] >> 4 == 6) {
    size_t payload = load16(&ip[ip6::kPayloadLen]);
    if (Ip6Repr::kLen + payload > ip.size()) return std::nullopt;
    auto walk = ip6_walk(ip.subspan(Ip6Repr::kLen, payload), ip[ip6::kNext]);
    if (!walk || walk->frag) return std::nullopt;
    r.v6 = true;
    r.proto = walk->proto;
    r.src = Ipaddr(&ip[ip6::kSrc]);
    r.dst = Ipaddr(&ip[ip6::kDst]);
    r.l4_off = Ip6Repr::kLen + walk->offset;
    r.l4_len = payload - walk->offset;
  } else {
    return std::nullopt;
  }
  if (r.proto == ipproto::kTcp && r.l4_len >= tcp::kMinHeader)
    r.field = tcp::kCksum;  // RFC 9293 section 3.1
  else if (r.proto == ipproto::kUdp && r.l4_len >= 8)
    r.field = 6;  // RFC 768
  else
    return std::nullopt;
  return r;
}

uint16_t partial_checksum(const L4Loc& l) {
  return uint16_t(~csum_fold(csum_pseudo(l.src, l.dst, l.proto, uint32_t(l.l4_len))));
}

namespace {

void write_checksum(uint8_t* l4, const L4Loc& l) {
  store16(l4 + l.field, 0);
  uint32_t sum = csum_pseudo(l.src, l.dst, l.proto, uint32_t(l.l4_len));
  uint16_t c = csum_fold(csum_partial(l4, l.l4_len, sum));
  if (l.proto == wire::ipproto::kUdp && c == 0) c = 0xffff;  // RFC 768: zero is "none"
  store16(l4 + l.field, c);
}

}  // namespace

bool finish_l4_checksum(std::span<uint8_t> ip) {
  auto l = locate_l4(ip);
  if (!l) return false;
  write_checksum(ip.data() + l->l4_off, *l);
  return true;
}

bool gso_segment(const Block& b, Pool& pool, Batch& out) {
  using namespace wire;
  const uint32_t mss = b.gso_size;
  std::span<const uint8_t> ip = b.span();
  auto l = locate_l4(ip);
  if (!mss || !l) return false;
  const bool is_tcp = l->proto == ipproto::kTcp;
  const uint8_t* th = ip.data() + l->l4_off;
  const size_t thl = is_tcp ? size_t(th[tcp::kDataOff] >> 4) * 4 : 8;
  if (thl < (is_tcp ? tcp::kMinHeader : 8) || thl > l->l4_len) return false;
  const size_t hlen = l->l4_off + thl;  // IP + TCP headers, copied into every segment
  const size_t payload = l->l4_len - thl;
  const uint8_t* data = th + thl;
  const uint32_t seq0 = is_tcp ? load32(th + tcp::kSeq) : 0;
  const uint8_t flags = is_tcp ? th[tcp::kFlags] : 0;
  // The pieces' checksums are computed here: as good as the original's if
  // the kernel checked that (GRO does) or it never left this host.
  const uint32_t keep =
      (b.flags & ~Block::kCsumPartial) | (checksum_known(b) ? Block::kCsumValid : 0);
  const uint16_t id0 = l->v6 ? 0 : load16(&ip[ip4::kId]);
  size_t off = 0;
  for (uint32_t i = 0; off < payload || (payload == 0 && i == 0); i++) {
    const size_t n = std::min<size_t>(mss, payload - off);
    const bool last = off + n == payload;
    BlockPtr s = pool.alloc(uint32_t(hlen + n));
    uint8_t* p = s->put(uint32_t(hlen + n));
    std::memcpy(p, ip.data(), hlen);
    std::memcpy(p + hlen, data + off, n);
    if (l->v6) {
      store16(p + ip6::kPayloadLen, uint16_t(hlen + n - Ip6Repr::kLen));
    } else {
      const size_t ihl = l->l4_off;
      store16(p + ip4::kLen, uint16_t(hlen + n));
      store16(p + ip4::kId, uint16_t(id0 + i));
      store16(p + ip4::kCksum, 0);
      store16(p + ip4::kCksum, csum_fold(csum_partial(p, ihl, 0)));
    }
    uint8_t* t = p + l->l4_off;
    if (is_tcp) {
      store32(t + tcp::kSeq, seq0 + uint32_t(off));
      uint8_t f = flags;
      if (!last) f &= uint8_t(~(tcp::kFin | tcp::kPsh));
      if (i > 0) f &= uint8_t(~tcp::kCwr);
      t[tcp::kFlags] = f;
    } else {
      store16(t + 4, uint16_t(8 + n));  // each piece its own datagram (UDP GSO)
    }
    L4Loc sl = *l;
    sl.l4_len = thl + n;
    write_checksum(t, sl);
    s->ifc = b.ifc;
    s->stamp = b.stamp;
    s->flags = keep;
    out.push_back(std::move(s));
    off += n;
    if (payload == 0) break;
  }
  return true;
}

}  // namespace ninet
