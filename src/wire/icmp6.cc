#include "wire/icmp6.h"

#include "base/checksum.h"
#include "base/endian.h"
#include "wire/ip4.h"

namespace ninet::wire {

Result<Icmp6Repr> Icmp6Repr::parse(const Ipaddr& src, const Ipaddr& dst,
                                   std::span<const uint8_t> p) {
  if (p.size() < icmp6::kHeaderLen) return Error(Err::TooShort, "icmpv6");
  uint32_t s = csum_pseudo(src, dst, ipproto::kIcmp6, uint32_t(p.size()));
  if (csum_fold(csum_partial(p.data(), p.size(), s)) != 0)
    return Error(Err::BadArg, "icmpv6 checksum");
  Icmp6Repr r;
  r.type = p[0];
  r.code = p[1];
  r.rest = load32(p.data() + 4);
  r.data = p.subspan(icmp6::kHeaderLen);
  return r;
}

void Icmp6Repr::emit(const Ipaddr& src, const Ipaddr& dst, std::span<uint8_t> out,
                     std::span<const uint8_t> body) const {
  uint8_t* d = out.data();
  d[0] = type;
  d[1] = code;
  store16(d + 2, 0);
  store32(d + 4, rest);
  if (!body.empty() && body.data() != d + icmp6::kHeaderLen)
    std::memmove(d + icmp6::kHeaderLen, body.data(), body.size());
  size_t len = icmp6::kHeaderLen + body.size();
  uint32_t s = csum_pseudo(src, dst, ipproto::kIcmp6, uint32_t(len));
  store16(d + 2, csum_fold(csum_partial(d, len, s)));
}

Result<NdRepr> NdRepr::parse(const Icmp6Repr& m) {
  NdRepr r;
  std::span<const uint8_t> b = m.data;
  size_t off = 0;
  switch (m.type) {
    case icmp6::kNeighborSolicit:
    case icmp6::kNeighborAdvert:
      if (b.size() < 16) return Error(Err::TooShort, "nd target");
      r.target = Ipaddr(b.data());
      off = 16;
      break;
    case icmp6::kRedirect:
      if (b.size() < 32) return Error(Err::TooShort, "redirect");
      r.target = Ipaddr(b.data());
      off = 32;
      break;
    case icmp6::kRouterSolicit:
      break;
    case icmp6::kRouterAdvert:
      if (b.size() < 8) return Error(Err::TooShort, "router advertisement");
      r.cur_hop_limit = uint8_t(m.rest >> 24);
      r.managed = m.rest >> 23 & 1;
      r.other = m.rest >> 22 & 1;
      r.router_lifetime = uint16_t(m.rest);
      r.reachable_time = load32(b.data());
      r.retrans_timer = load32(b.data() + 4);
      off = 8;
      break;
    default:
      return Error(Err::BadArg, "not a neighbor discovery message");
  }
  while (off < b.size()) {
    if (b.size() - off < 2) return Error(Err::TooShort, "nd option");
    uint8_t type = b[off];
    size_t len = size_t(b[off + 1]) * 8;
    if (len == 0) return Error(Err::BadArg, "nd option of length 0");
    if (off + len > b.size()) return Error(Err::TooShort, "nd option");
    const uint8_t* o = b.data() + off;
    switch (type) {
      case icmp6::kOptSrcLladdr:
        if (len >= 8) r.src_lladdr = Mac(o + 2);
        break;
      case icmp6::kOptTgtLladdr:
        if (len >= 8) r.tgt_lladdr = Mac(o + 2);
        break;
      case icmp6::kOptMtu:
        if (len >= 8) r.mtu = load32(o + 4);
        break;
      case icmp6::kOptPrefix: {
        if (len != 32) return Error(Err::BadArg, "prefix option length");
        NdPrefix p;
        p.len = o[2];
        p.onlink = o[3] & 0x80;
        p.autonomous = o[3] & 0x40;
        p.valid_lt = load32(o + 4);
        p.preferred_lt = load32(o + 8);
        p.prefix = Ipaddr(o + 16);
        if (p.len > 128) return Error(Err::BadArg, "prefix length");
        r.prefixes.push_back(p);
        break;
      }
      default:
        break;  // RFC 4861 4.6: unknown options are ignored
    }
    off += len;
  }
  return r;
}

uint32_t NdRepr::ra_rest() const {
  return uint32_t(cur_hop_limit) << 24 | (managed ? 1u << 23 : 0) | (other ? 1u << 22 : 0) |
         router_lifetime;
}

size_t NdRepr::emit_body(uint8_t type, std::span<uint8_t> out) const {
  size_t need = 0;
  if (type == icmp6::kNeighborSolicit || type == icmp6::kNeighborAdvert) need += 16;
  if (type == icmp6::kRouterAdvert) need += 8;
  if (src_lladdr) need += 8;
  if (tgt_lladdr) need += 8;
  if (mtu) need += 8;
  need += 32 * prefixes.size();
  if (out.size() < need) return 0;
  uint8_t* d = out.data();
  size_t off = 0;
  if (type == icmp6::kNeighborSolicit || type == icmp6::kNeighborAdvert) {
    std::memcpy(d, target.data(), 16);
    off = 16;
  } else if (type == icmp6::kRouterAdvert) {
    store32(d, reachable_time);
    store32(d + 4, retrans_timer);
    off = 8;
  }
  auto ll = [&](uint8_t t, const Mac& m) {
    d[off] = t;
    d[off + 1] = 1;
    std::memcpy(d + off + 2, m.data(), 6);
    off += 8;
  };
  if (src_lladdr) ll(icmp6::kOptSrcLladdr, *src_lladdr);
  if (tgt_lladdr) ll(icmp6::kOptTgtLladdr, *tgt_lladdr);
  if (mtu) {
    d[off] = icmp6::kOptMtu;
    d[off + 1] = 1;
    store16(d + off + 2, 0);
    store32(d + off + 4, *mtu);
    off += 8;
  }
  for (const NdPrefix& p : prefixes) {
    uint8_t* o = d + off;
    o[0] = icmp6::kOptPrefix;
    o[1] = 4;
    o[2] = p.len;
    o[3] = uint8_t((p.onlink ? 0x80 : 0) | (p.autonomous ? 0x40 : 0));
    store32(o + 4, p.valid_lt);
    store32(o + 8, p.preferred_lt);
    store32(o + 12, 0);
    std::memcpy(o + 16, p.prefix.data(), 16);
    off += 32;
  }
  return off;
}

}  // namespace ninet::wire
