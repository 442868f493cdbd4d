#include "wire/ip6.h"

#include "base/endian.h"
#include "wire/ip4.h"

namespace ninet::wire {

Result<Ip6Repr> Ip6Repr::parse(std::span<const uint8_t> p) {
  if (p.size() < kLen) return Error(Err::TooShort, "ipv6 header");
  const uint8_t* d = p.data();
  if (d[0] >> 4 != 6) return Error(Err::BadArg, "ipv6 version");
  Ip6Repr r;
  uint32_t w = load32(d);
  r.traffic_class = uint8_t(w >> 20);
  r.flow_label = w & 0xfffff;
  r.payload_len = load16(d + ip6::kPayloadLen);
  if (kLen + r.payload_len > p.size()) return Error(Err::BadArg, "ipv6 payload length");
  r.next_header = d[ip6::kNext];
  r.hop_limit = d[ip6::kHopLimit];
  r.src = Ipaddr(d + ip6::kSrc);
  r.dst = Ipaddr(d + ip6::kDst);
  return r;
}

void Ip6Repr::emit(uint8_t* d) const {
  store32(d, 6u << 28 | uint32_t(traffic_class) << 20 | (flow_label & 0xfffff));
  store16(d + ip6::kPayloadLen, payload_len);
  d[ip6::kNext] = next_header;
  d[ip6::kHopLimit] = hop_limit;
  std::memcpy(d + ip6::kSrc, src.data(), 16);
  std::memcpy(d + ip6::kDst, dst.data(), 16);
}

Result<Ip6FragRepr> Ip6FragRepr::parse(std::span<const uint8_t> p) {
  if (p.size() < kLen) return Error(Err::TooShort, "ipv6 fragment header");
  Ip6FragRepr r;
  r.next_header = p[0];
  uint16_t off = load16(p.data() + 2);
  r.offset = uint16_t(off & 0xfff8);
  r.more = off & 1;
  r.ident = load32(p.data() + 4);
  return r;
}

void Ip6FragRepr::emit(uint8_t* d) const {
  d[0] = next_header;
  d[1] = 0;
  store16(d + 2, uint16_t((offset & 0xfff8) | (more ? 1 : 0)));
  store32(d + 4, ident);
}

Result<Ip6Walk> ip6_walk(std::span<const uint8_t> payload, uint8_t next) {
  Ip6Walk w;
  size_t off = 0;
  for (int n = 0;; n++) {
    if (n > 8) return Error(Err::BadArg, "too many ipv6 extension headers");
    switch (next) {
      case ipproto::kHopOpts:
        if (n != 0) return Error(Err::BadArg, "hop-by-hop header not first");
        w.hop_by_hop = true;
        [[fallthrough]];
      case ipproto::kRouting:
      case ipproto::kDstOpts: {
        if (payload.size() < off + 2) return Error(Err::TooShort, "ipv6 extension header");
        size_t len = (size_t(payload[off + 1]) + 1) * 8;
        if (payload.size() < off + len) return Error(Err::TooShort, "ipv6 extension header");
        next = payload[off];
        off += len;
        if (!w.frag) w.unfrag_len = off;
        break;
      }
      case ipproto::kFragment: {
        if (w.frag) return Error(Err::BadArg, "two ipv6 fragment headers");
        auto f = Ip6FragRepr::parse(payload.subspan(std::min(off, payload.size())));
        if (!f) return f.error();
        w.frag = *f;
        w.frag_offset = off;
        w.unfrag_len = off;
        next = f->next_header;
        off += Ip6FragRepr::kLen;
        if (f->offset != 0) {
          // The rest belongs to the first fragment's headers; stop here.
          w.proto = next;
          w.offset = off;
          return w;
        }
        break;
      }
      default:
        w.proto = next;
        w.offset = off;
        if (!w.frag) w.unfrag_len = off;
        return w;
    }
  }
}

}  // namespace ninet::wire
