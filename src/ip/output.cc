// output.cc — the send path: build the IP header, choose the route and the
// source address, fragment to the interface MTU, resolve the link address
// (ARP/ND) and queue frames per interface; flush() hands each interface's
// batch to its medium. Packets to our own addresses loop back through
// selfq_ without touching a medium.
#include "ip/ip.h"
#include "media/offload.h"
#include "wire/ether.h"
#include "wire/ip4.h"
#include "wire/ip6.h"
#include "wire/tcp.h"

namespace ninet {

namespace {
bool is_v6_packet(const Block& b) {
  return b.size() > 0 && (b.data()[0] >> 4) == 6;
}
}  // namespace

Result<Ipaddr> Ip::source_for(const Ipaddr& dst, int ifcn) const {
  bool v4 = dst.is_v4();
  auto pick = [&](const Ifc& f) -> const Lifc* {
    if (const Lifc* l = f.on_net(dst)) return l;
    const Lifc* best = nullptr;
    for (const Lifc& l : f.lifcs) {
      if (l.tentative || l.local.is_v4() != v4) continue;
      if (!v4) {
        // RFC 6724 rule 2 in short: the same scope as the destination.
        bool ll = l.local.is_v6_linklocal();
        if (ll != dst.is_v6_linklocal()) {
          if (!best) best = &l;
          continue;
        }
      }
      return &l;
    }
    return best;
  };
  if (ifcn >= 0) {
    if (ifcn < int(ifcs_.size()) && ifcs_[size_t(ifcn)]->inuse)
      if (const Lifc* l = pick(*ifcs_[size_t(ifcn)])) return l->local;
    return Error(Err::NoAddr, "no source address on interface " + std::to_string(ifcn));
  }
  const Route* r = routes.lookup(dst);
  if (!r) return Error(Err::NoRoute, dst.str());
  if (r->flags & route::kUnicast) return dst;  // talking to ourselves
  Ifc* out = hop(*r, dst).ifc;
  if (!out) return Error(Err::NoRoute, dst.str());
  const Ifc& f = *out;
  if (!(r->flags & route::kIfc)) {
    // Through a gateway: the address on the gateway's network — unless the
    // gateway is a link-local router (every RA default route) and the
    // destination is not: then a global address of the interface (RFC 6724
    // rule 2, same scope as the destination).
    bool ll_gate = !v4 && r->gate.is_v6_linklocal() && !dst.is_v6_linklocal();
    if (!ll_gate)
      if (const Lifc* l = f.on_net(r->gate)) return l->local;
  }
  if (const Lifc* l = pick(f)) return l->local;
  return Error(Err::NoAddr, dst.str());
}

Ip::Hop Ip::hop(const Route& r, const Ipaddr& dst) const {
  Hop h;
  bool direct = r.flags & (route::kIfc | route::kP2p | route::kBcast | route::kUnicast);
  h.nh = direct ? dst : r.gate;
  int n = r.ifc;
  if (n < 0 && !direct) {
    // A gateway route whose interface is not known yet: the gateway's.
    if (const Route* g = routes.lookup(r.gate)) n = g->ifc;
  }
  Ifc* f = n >= 0 && size_t(n) < ifcs_.size() ? ifcs_[size_t(n)].get() : nullptr;
  if (f && f->inuse && f->bound()) h.ifc = f;
  return h;
}

Status Ip::send(const SendParams& p, BlockPtr b) {
  Ipaddr src = p.src;
  if (src.is_zero()) {
    auto s = source_for(p.dst, p.ifc);
    if (!s) {
      stats.OutRequests++;
      stats.OutNoRoutes++;
      return s.error();
    }
    src = *s;
  }
  if (src.is_v4() != p.dst.is_v4()) return Error(Err::BadIp, "source and destination families");
  if (p.dst.is_v4()) {
    if (b->size() + 20 > 65535) return Err::TooBig;
    wire::Ip4Repr h;
    h.src = src;
    h.dst = p.dst;
    h.proto = p.proto;
    h.ttl = p.ttl;
    h.tos = p.tos;
    h.id = next_ip_id();
    h.df = p.df;
    h.total_len = uint16_t(b->size() + 20);
    h.emit(b->push(20));
  } else {
    if (b->size() > 65535) return Err::TooBig;
    wire::Ip6Repr h;
    h.src = src;
    h.dst = p.dst;
    h.next_header = p.proto;
    h.hop_limit = p.ttl;
    h.traffic_class = p.tos;
    h.payload_len = uint16_t(b->size());
    h.emit(b->push(wire::Ip6Repr::kLen));
  }
  return output(std::move(b), p.ifc);
}

Status Ip::output(BlockPtr b, int force_ifc) {
  stats.OutRequests++;
  bool v6 = is_v6_packet(*b);
  if (b->size() < (v6 ? 40u : 20u)) {
    stats.OutDiscards++;
    return Err::TooShort;
  }
  const uint8_t* p = b->data();
  Ipaddr dst = v6 ? Ipaddr(p + wire::ip6::kDst) : Ipaddr::from_v4_bytes(p + wire::ip4::kDst);
  Ifc* out = nullptr;
  Ipaddr nh = dst;
  if (force_ifc >= 0) {
    out = ifc(force_ifc);
  } else if (self(dst) && (self(dst)->flags & route::kUnicast)) {
    // To one of our own addresses: loop back without a medium.
    selfq_.push_back(std::move(b));
    return {};
  } else {
    const Route* r = routes.lookup(dst);
    if (!r) {
      stats.OutNoRoutes++;
      return Error(Err::NoRoute, dst.str());
    }
    Hop h = hop(*r, dst);
    out = h.ifc;
    nh = h.nh;
  }
  if (!out || !out->bound()) {
    stats.OutNoRoutes++;
    return Error(Err::NoRoute, dst.str());
  }
  if ((dst.is_v4_broadcast() || (self(dst) && (self(dst)->flags & route::kBcast))) ||
      (dst.is_multicast() && out->has_group(dst))) {
    // Our own broadcasts and multicasts are also delivered to us (as BSD and
    // Linux do for joined groups and subnet broadcasts).
    BlockPtr copy = pool.copy(b->data(), b->size());
    copy->ifc = out->index;
    selfq_.push_back(std::move(copy));
  }
  return fragment_and_send(*out, nh, std::move(b), v6);
}

Status Ip::send_large(Ifc& f, const Ipaddr& nh, BlockPtr b, bool v6) {
  const int mtu = f.ip_mtu();
  auto l = locate_l4(b->span());
  if (!l) {
    stats.OutDiscards++;
    return Error(Err::BadIp, "large segment that is not TCP or UDP");
  }
  const size_t th = l->proto == wire::ipproto::kTcp
                        ? size_t(b->data()[l->l4_off + wire::tcp::kDataOff] >> 4) * 4
                        : 8;
  const size_t hlen = l->l4_off + th;
  if (int(hlen + b->gso_size) > mtu) {
    if (!(b->flags & Block::kForwarded) || int(hlen) + 8 > mtu) {
      // Ours, and the MTU shrank since TCP chose the size: cut smaller.
      b->gso_size = uint16_t(std::max<int>(mtu - int(hlen), 8));
    } else if (v6 || (b->data()[wire::ip4::kFrag] & 0x40)) {
      // Forwarded (GRO'd on input) with segments too big for this link: as
      // for one such packet, tell the source (RFC 1191, RFC 8201).
      stats.FragFails++;
      icmp_error(*b, IcmpErr::kFragNeeded, uint32_t(mtu));
      return Err::TooBig;
    }  // else an IPv4 packet that may be fragmented: each segment is, below
  }
  if (b->size() <= f.medium->caps.gso_max && int(hlen + b->gso_size) <= mtu) {
    link_send(f, nh, std::move(b));
    return {};
  }
  Batch segs;
  if (!gso_segment(*b, pool, segs)) {
    stats.OutDiscards++;
    return Error(Err::BadIp, "malformed large segment");
  }
  Status st;
  for (BlockPtr& s : segs)
    if (auto r = fragment_and_send(f, nh, std::move(s), v6); !r) st = r;
  return st;
}

Status Ip::fragment_and_send(Ifc& f, const Ipaddr& nh, BlockPtr b, bool v6) {
  if (b->gso_size) return send_large(f, nh, std::move(b), v6);
  int mtu = f.ip_mtu();
  if (int(b->size()) <= mtu) {
    link_send(f, nh, std::move(b));
    return {};
  }
  if (b->flags & Block::kCsumPartial) {
    // Fragments cannot be finished one by one: the checksum covers them all.
    (void)finish_l4_checksum(b->span());
    b->flags &= ~Block::kCsumPartial;
  }
  Batch frags;
  Status st;
  if (v6) {
    if (b->flags & Block::kForwarded) {
      // IPv6 routers never fragment (RFC 8200 section 5); tell the source.
      stats.FragFails++;
      icmp_error(*b, IcmpErr::kFragNeeded, uint32_t(mtu));
      return Err::TooBig;
    }
    st = fragment_v6(std::move(b), mtu, next_frag_ident(), pool, frags);
  } else {
    bool df = (b->data()[wire::ip4::kFrag] & 0x40) != 0;
    if (df) {
      stats.FragFails++;
      icmp_error(*b, IcmpErr::kFragNeeded, uint32_t(mtu));
      return Err::TooBig;
    }
    st = fragment_v4(std::move(b), mtu, pool, frags);
  }
  if (!st) {
    stats.FragFails++;
    return st;
  }
  stats.FragOKs++;
  stats.FragCreates += frags.size();
  for (BlockPtr& x : frags)
    link_send(f, nh, std::move(x));
  return {};
}

void Ip::ether_push(Ifc& f, Block& b, const Mac& dst, uint16_t type) {
  wire::EtherRepr e{dst, f.mac, type};
  e.emit(b.push(wire::EtherRepr::kLen));
}

void Ip::link_send(Ifc& f, const Ipaddr& nh, BlockPtr b) {
  if ((b->flags & Block::kCsumPartial) && !f.medium->caps.csum_offload) {
    (void)finish_l4_checksum(b->span());
    b->flags &= ~Block::kCsumPartial;
  }
  if (!f.ether()) {
    queue_frame(f, std::move(b));
    return;
  }
  bool v6 = is_v6_packet(*b);
  uint16_t type = v6 ? wire::ethertype::kIp6 : wire::ethertype::kIp4;
  Mac dst;
  if (nh.is_multicast()) {
    dst = v6 ? Mac::multicast_v6(nh) : Mac::multicast_v4(nh);
  } else if (!v6 && (nh.is_v4_broadcast() || (self(nh) && (self(nh)->flags & route::kBcast)))) {
    dst = Mac::broadcast();
  } else {
    Mac m;
    Resolve r = arp.resolve(nh, f.index, clock.now(), b, &m);
    if (r != Resolve::kOk) {
      if (r == Resolve::kQueuedSendRequest) {
        auto src = source_for(nh, f.index);
        if (src) {
          if (v6)
            send_ns(f, nh, *src, false);
          else
            send_arp_request(f, nh, *src);
        }
      }
      return;
    }
    dst = m;
  }
  ether_push(f, *b, dst, type);
  queue_frame(f, std::move(b));
}

void Ip::queue_frame(Ifc& f, BlockPtr b) {
  if (f.outq.empty() && !f.out_pending) {
    f.out_pending = true;
    out_pending_.push_back(f.index);
  }
  f.outq.push_back(std::move(b));
  if (f.outq.size() >= 64) {
    f.stats.out += f.outq.size();
    f.medium->send(f.outq);
    f.outq.clear();
  }
}

void Ip::flush() {
  // Our own packets first: their input may queue more output.
  for (int round = 0; round < 8 && !selfq_.empty(); round++) {
    // selfq_ gets the spare's capacity, so injecting a batch allocates nothing.
    Batch q;
    q.swap(self_spare_);
    q.swap(selfq_);
    for (BlockPtr& b : q) {
      int n = b->ifc;
      Ifc* f = ifc(n);
      if (!f) {
        // Pick the interface holding the address.
        const uint8_t* p = b->data();
        bool v6 = is_v6_packet(*b);
        Ipaddr dst = v6 ? Ipaddr(p + wire::ip6::kDst) : Ipaddr::from_v4_bytes(p + wire::ip4::kDst);
        if (const Route* r = routes.lookup(dst)) f = ifc(r->ifc);
      }
      if (!f) {
        stats.OutDiscards++;
        continue;
      }
      if (is_v6_packet(*b))
        ip6_input(*f, std::move(b));
      else
        ip4_input(*f, std::move(b));
    }
    q.clear();
    self_spare_.swap(q);
  }
  // Only the interfaces that queued something since the last flush.
  for (size_t i = 0; i < out_pending_.size(); i++) {
    Ifc& f = *ifcs_[size_t(out_pending_[i])];
    f.out_pending = false;
    if (f.outq.empty()) continue;
    if (!f.bound()) {
      f.outq.clear();
      continue;
    }
    f.stats.out += f.outq.size();
    f.medium->send(f.outq);
    f.outq.clear();
  }
  out_pending_.clear();
}

}  // namespace ninet
