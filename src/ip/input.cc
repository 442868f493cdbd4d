// input.cc — the receive path: a medium's batch -> Ethernet demux -> ARP/ND
// or IPv4/IPv6 input -> reassembly -> delivery to a protocol, or forwarding.
// Runs to completion on the engine thread with the stack lock held.
#include "base/checksum.h"
#include "ip/ip.h"
#include "media/offload.h"
#include "wire/ether.h"
#include "wire/icmp6.h"
#include "wire/ip4.h"
#include "wire/ip6.h"

namespace ninet {

namespace {
bool loopback_net(const Ifc& f, const Ipaddr& dst) {
  return f.medium && f.medium->caps.loopback && f.on_net(dst) != nullptr;
}
}  // namespace

size_t Ip::poll() {
  size_t n = 0;
  Batch batch;
  batch.reserve(64);
  // Only interfaces whose medium receives (not, say, a million session
  // interfaces fed by inject()).
  for (size_t i = 0; i < polled_.size(); i++) {
    Ifc& f = *ifcs_[size_t(polled_[i])];
    // A few rounds per medium per poll, so one busy medium cannot starve others.
    for (int round = 0; round < 4; round++) {
      size_t got = f.medium->recv(batch, pool, 64);
      if (got == 0) break;
      n += got;
      input(f, batch);
      batch.clear();
    }
  }
  flush();
  return n;
}

void Ip::input(Ifc& f, Batch& batch) {
  Time now = clock.now();
  for (BlockPtr& b : batch) {
    if (!b) continue;
    b->ifc = f.index;
    b->stamp = now;
    f.stats.in++;
    if (!f.ether()) {
      if (b->size() == 0) {
        f.stats.in_errors++;
        continue;
      }
      int version = b->data()[0] >> 4;
      if (version == 4)
        ip4_input(f, std::move(b));
      else if (version == 6)
        ip6_input(f, std::move(b));
      else
        f.stats.in_errors++;
      continue;
    }
    auto e = wire::EtherRepr::parse(b->span());
    if (!e) {
      f.stats.in_errors++;
      continue;
    }
    if (e->dst.is_broadcast()) {
      b->flags |= Block::kLinkBcast;
    } else if (e->dst.is_multicast()) {
      b->flags |= Block::kLinkMcast;
    } else if (e->dst != f.mac) {
      if (!f.promiscuous) continue;  // not for us: the medium saw it anyway
      b->flags |= Block::kLinkOther;
    }
    b->pull(wire::EtherRepr::kLen);
    switch (e->type) {
      case wire::ethertype::kIp4:
        ip4_input(f, std::move(b));
        break;
      case wire::ethertype::kIp6:
        ip6_input(f, std::move(b));
        break;
      case wire::ethertype::kArp:
        arp_input(f, std::move(b));
        break;
      default:
        if (hooks.has_ether()) {
          b->push(wire::EtherRepr::kLen);
          if (hooks.ether(f, e->type, b)) break;
        }
        break;  // an ethertype nobody wants: not an error
    }
  }
  flush();
}

void Ip::ip4_input(Ifc& f, BlockPtr b) {
  stats.InReceives++;
  auto h = wire::Ip4Repr::parse(b->span());
  if (!h) {
    stats.InHdrErrors++;
    if (log.enabled(LogItem::kIp) && b->size() >= 20)
      log.print(LogItem::kIp, Ipaddr::from_v4_bytes(b->data() + 12),
                Ipaddr::from_v4_bytes(b->data() + 16), h.error().text());
    return;
  }
  b->trim(h->total_len);  // link padding
  if (h->src.is_multicast() || (h->src.is_v4_broadcast())) {
    stats.InAddrErrors++;
    log.print(LogItem::kIp, h->src, h->dst, "multicast or broadcast source");
    return;
  }
  const SelfEntry* se = self(h->dst);
  // On a loopback interface its whole network is ours (127/8, as in Linux).
  bool for_us =
      se != nullptr || h->dst.is_v4_broadcast() || loopback_net(f, h->dst) ||
      (h->dst.is_multicast() && (h->dst == Ipaddr::v4(224, 0, 0, 1) || f.has_group(h->dst)));
  if (!for_us) {
    if (b->flags & (Block::kLinkOther | Block::kLinkBcast | Block::kLinkMcast) ||
        h->dst.is_multicast()) {
      return;  // not ours and not unicast to our link address: never forwarded
    }
    forward(f, std::move(b), false);
    return;
  }
  if (h->is_fragment()) {
    b = reasm.add_v4(std::move(b), *h, clock.now());
    if (!b) return;
    auto whole = wire::Ip4Repr::parse(b->span());
    if (!whole) {
      stats.InHdrErrors++;
      return;
    }
    h = whole;
  }
  deliver(f,
          IpRx{.src = h->src,
               .dst = h->dst,
               .ifc = f.index,
               .proto = h->proto,
               .ttl = h->ttl,
               .tos = h->tos,
               .v6 = false,
               .net_len = h->header_len,
               .link = b->flags & (Block::kLinkBcast | Block::kLinkMcast | Block::kLinkOther),
               .to_bcast = h->dst.is_v4_broadcast() || (se && (se->flags & route::kBcast)),
               .ip4 = &*h},
          std::move(b));
}

void Ip::ip6_input(Ifc& f, BlockPtr b) {
  stats.InReceives++;
  auto h = wire::Ip6Repr::parse(b->span());
  if (!h) {
    stats.InHdrErrors++;
    if (log.enabled(LogItem::kIp) && b->size() >= 40)
      log.print(LogItem::kIp, Ipaddr(b->data() + 8), Ipaddr(b->data() + 24), h.error().text());
    return;
  }
  b->trim(uint32_t(wire::Ip6Repr::kLen + h->payload_len));
  if (h->src.is_multicast()) {
    stats.InAddrErrors++;
    log.print(LogItem::kIp, h->src, h->dst, "multicast source");
    return;
  }
  bool for_us =
      is_self(h->dst) || loopback_net(f, h->dst) || (h->dst.is_multicast() && f.has_group(h->dst));
  if (!for_us) {
    if (h->dst.is_multicast() || (b->flags & Block::kLinkOther)) return;
    forward(f, std::move(b), true);
    return;
  }
  auto w = wire::ip6_walk(b->span().subspan(wire::Ip6Repr::kLen), h->next_header);
  if (!w) {
    stats.InHdrErrors++;
    log.print(LogItem::kIp, h->src, h->dst, w.error().text());
    return;
  }
  if (w->frag) {
    b = reasm.add_v6(std::move(b), *h, *w, clock.now());
    if (!b) return;
    h = wire::Ip6Repr::parse(b->span());
    if (!h) {
      stats.InHdrErrors++;
      return;
    }
    w = wire::ip6_walk(b->span().subspan(wire::Ip6Repr::kLen), h->next_header);
    if (!w || w->frag) {
      stats.InHdrErrors++;
      return;
    }
  }
  size_t off = wire::Ip6Repr::kLen + w->offset;
  if (w->proto == wire::ipproto::kIcmp6 && b->size() >= off + 1) {
    uint8_t type = b->data()[off];
    if (type >= wire::icmp6::kRouterSolicit && type <= wire::icmp6::kRedirect) {
      stats.InDelivers++;
      b->pull(uint32_t(off));
      b->net_off = uint16_t(off);
      nd_input(f, h->src, h->dst, h->hop_limit, std::move(b));
      return;
    }
  }
  deliver(f,
          IpRx{.src = h->src,
               .dst = h->dst,
               .ifc = f.index,
               .proto = w->proto,
               .ttl = h->hop_limit,
               .tos = h->traffic_class,
               .v6 = true,
               .net_len = uint16_t(off),
               .link = b->flags & (Block::kLinkBcast | Block::kLinkMcast | Block::kLinkOther),
               .ip6 = &*h},
          std::move(b));
}

void Ip::deliver(Ifc& f, const IpRx& rx, BlockPtr b) {
  if (b->gso_size && rx.proto == wire::ipproto::kUdp) {
    // Datagrams a local sender's UDP_SEGMENT (or the kernel's UDP GRO) put
    // in one frame: each goes to UDP on its own.
    Batch segs;
    if (!gso_segment(*b, pool, segs)) {
      stats.InHdrErrors++;
      return;
    }
    for (BlockPtr& s : segs)
      deliver(f, rx, std::move(s));
    return;
  }
  // Whole IP packets (ipmux's filters): one emptiness test when none.
  if (hooks.has_ip() && hooks.ip(f, rx, b)) {
    stats.InDelivers++;
    return;
  }
  b->pull(rx.net_len);
  b->net_off = rx.net_len;
  if (hooks.has_ipproto(rx.proto) && hooks.ipproto(f, rx, b)) {
    stats.InDelivers++;
    return;
  }
  Proto* p = by_number_[rx.proto];
  if (!p) {
    stats.InUnknownProtos++;
    log.print(LogItem::kIp, rx.src, rx.dst, "unknown protocol " + std::to_string(rx.proto));
    b->push(rx.net_len);
    if (!rx.dst.is_multicast() && !rx.to_bcast) icmp_error(*b, IcmpErr::kProtoUnreach, rx.net_len);
    return;
  }
  stats.InDelivers++;
  p->rcv(rx, std::move(b));
}

void Ip::inject(Ifc& f, BlockPtr b) {
  b->ifc = f.index;
  b->flags = 0;
  b->net_off = 0;
  selfq_.push_back(std::move(b));
}

void Ip::forward(Ifc& in, BlockPtr b, bool v6) {
  uint8_t* p = b->data();
  Ipaddr dst = v6 ? Ipaddr(p + wire::ip6::kDst) : Ipaddr::from_v4_bytes(p + wire::ip4::kDst);
  Ipaddr src = v6 ? Ipaddr(p + wire::ip6::kSrc) : Ipaddr::from_v4_bytes(p + wire::ip4::kSrc);
  const Route* r = routes.lookup(dst);
  Hop h = r ? hop(*r, dst) : Hop{};
  // ip(3) `iprouting`: "forwarding packets between this interface and
  // others" -- allowed when either end of the hop has it, so that one
  // switch (as Plan 9's stack-wide one) makes a router in both directions.
  if (!in.iprouting && !(h.ifc && h.ifc->iprouting)) {
    stats.InAddrErrors++;
    log.print(LogItem::kIp, src, dst, "not for us and forwarding is off");
    return;
  }
  if (v6 && (dst.is_v6_linklocal() || src.is_v6_linklocal())) {
    stats.InAddrErrors++;  // RFC 4291 2.5.6: never forwarded
    return;
  }
  uint8_t ttl = v6 ? p[wire::ip6::kHopLimit] : p[wire::ip4::kTtl];
  if (ttl <= 1) {
    stats.InHdrErrors++;
    icmp_error(*b, IcmpErr::kTtlExceeded);
    return;
  }
  if (!r) {
    stats.OutNoRoutes++;
    icmp_error(*b, IcmpErr::kNetUnreach);
    return;
  }
  if (!h.ifc) {
    stats.OutNoRoutes++;
    icmp_error(*b, IcmpErr::kHostUnreach);
    return;
  }
  if (r->flags & route::kUnicast) {
    // Packets for one of our addresses never reach here (for_us); a route to
    // self only appears when the address was just removed: drop.
    stats.InAddrErrors++;
    return;
  }
  if (v6) {
    p[wire::ip6::kHopLimit]--;
  } else {
    wire::Ip4View(p).dec_ttl();
  }
  stats.ForwDatagrams++;
  if (!v6 && h.ifc->reassemble) {
    auto h = wire::Ip4Repr::parse(b->span());
    if (h && h->is_fragment()) {
      b = reasm.add_v4(std::move(b), *h, clock.now());
      if (!b) return;
    }
  }
  b->flags |= Block::kForwarded;
  (void)fragment_and_send(*h.ifc, h.nh, std::move(b), v6);
}

}  // namespace ninet
