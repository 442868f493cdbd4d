// neighbor.cc — neighbours: ARP (RFC 826), IPv6 Neighbor Discovery (RFC
// 4861), Duplicate Address Detection and SLAAC (RFC 4862), and router
// advertisements sent per ip(3)'s `ra6` parameters.
#include <algorithm>
#include <random>

#include "base/checksum.h"
#include "base/endian.h"
#include "ip/ip.h"
#include "wire/arp.h"
#include "wire/ether.h"
#include "wire/icmp6.h"
#include "wire/ip6.h"

namespace ninet {

namespace {

const Ipaddr kAllNodes = *Ipaddr::parse("ff02::1");
const Ipaddr kAllRouters = *Ipaddr::parse("ff02::2");

// Builds an ND message (ICMPv6 + IPv6 header, hop limit 255) in a block.
BlockPtr nd_packet(Pool& pool, const Ipaddr& src, const Ipaddr& dst, uint8_t type, uint32_t rest,
                   const wire::NdRepr& nd) {
  BlockPtr b = pool.alloc();
  uint8_t body[1024];
  size_t n = nd.emit_body(type, body);
  uint8_t* p = b->put(uint32_t(8 + n));
  wire::Icmp6Repr m{type, 0, rest, {}};
  m.emit(src, dst, std::span<uint8_t>(p, 8 + n), std::span<const uint8_t>(body, n));
  wire::Ip6Repr h;
  h.src = src;
  h.dst = dst;
  h.next_header = wire::ipproto::kIcmp6;
  h.hop_limit = 255;
  h.payload_len = uint16_t(8 + n);
  h.emit(b->push(wire::Ip6Repr::kLen));
  return b;
}

uint32_t rand32() {
  static std::mt19937 rng{std::random_device{}()};
  return rng();
}

}  // namespace

void Ip::join_group(Ifc& f, const Ipaddr& g) {
  if (f.has_group(g)) return;
  f.groups.push_back(g);
  if (f.ether()) (void)f.medium->add_multi(g.is_v4() ? Mac::multicast_v4(g) : Mac::multicast_v6(g));
}

// ---- ARP ----

void Ip::send_arp_request(Ifc& f, const Ipaddr& target, const Ipaddr& src) {
  if (!f.ether()) return;
  BlockPtr b = pool.alloc();
  wire::ArpRepr a;
  a.op = wire::arp::kRequest;
  a.sha = f.mac;
  a.spa = src;
  a.tpa = target;
  a.emit(b->put(wire::ArpRepr::kLen));
  ether_push(f, *b, Mac::broadcast(), wire::ethertype::kArp);
  queue_frame(f, std::move(b));
}

void Ip::arp_input(Ifc& f, BlockPtr b) {
  auto a = wire::ArpRepr::parse(b->span());
  if (!a) {
    f.stats.in_errors++;
    log.print("arp: " + a.error().text());
    return;
  }
  if (a->sha.is_multicast() || a->sha == f.mac) return;  // bogus or our own echo
  Time now = clock.now();
  // Is the target one of ours (or one we answer for by proxy)?
  bool mine = false;
  for (const Lifc& l : f.lifcs) {
    if (!l.local.is_v4()) continue;
    if (l.local == a->tpa || (l.proxy && l.remote == a->tpa)) mine = true;
  }
  // ip(3): if the requester is in the table its entry is updated; an entry
  // is made when the message is for us (RFC 826's merge rule).
  if (!a->spa.is_zero()) {
    Batch ready = arp.update(a->spa, a->sha, f.index, mine, now);
    for (BlockPtr& p : ready) {
      ether_push(f, *p, a->sha, wire::ethertype::kIp4);
      queue_frame(f, std::move(p));
    }
  }
  if (a->op != wire::arp::kRequest || !mine) return;
  BlockPtr r = pool.alloc();
  wire::ArpRepr rep;
  rep.op = wire::arp::kReply;
  rep.sha = f.mac;
  rep.spa = a->tpa;
  rep.tha = a->sha;
  rep.tpa = a->spa;
  rep.emit(r->put(wire::ArpRepr::kLen));
  ether_push(f, *r, a->sha, wire::ethertype::kArp);
  queue_frame(f, std::move(r));
}

// ---- Neighbor Discovery ----

void Ip::send_ns(Ifc& f, const Ipaddr& target, const Ipaddr& src, bool dad) {
  if (!f.ether()) return;
  wire::NdRepr nd;
  nd.target = target;
  Ipaddr from = dad ? Ipaddr() : src;
  if (!dad) nd.src_lladdr = f.mac;  // RFC 4861 4.3: not with the unspecified source
  Ipaddr dst = solicited_node(target);
  BlockPtr b = nd_packet(pool, from, dst, wire::icmp6::kNeighborSolicit, 0, nd);
  ether_push(f, *b, Mac::multicast_v6(dst), wire::ethertype::kIp6);
  icmp6.out[wire::icmp6::kNeighborSolicit]++;
  icmp6.out_msgs++;
  queue_frame(f, std::move(b));
}

void Ip::send_na(Ifc& f, const Ipaddr& dst, const Ipaddr& target, const Mac& dst_mac,
                 bool solicited, bool override_flag) {
  if (!f.ether()) return;
  wire::NdRepr nd;
  nd.target = target;
  nd.tgt_lladdr = f.mac;
  uint32_t rest = (solicited ? wire::icmp6::kNaSolicited : 0) |
                  (override_flag ? wire::icmp6::kNaOverride : 0) |
                  (f.ra6.sendra ? wire::icmp6::kNaRouter : 0);
  BlockPtr b = nd_packet(pool, target, dst, wire::icmp6::kNeighborAdvert, rest, nd);
  ether_push(f, *b, dst_mac, wire::ethertype::kIp6);
  icmp6.out[wire::icmp6::kNeighborAdvert]++;
  icmp6.out_msgs++;
  queue_frame(f, std::move(b));
}

void Ip::send_rs(Ifc& f) {
  if (!f.ether()) return;
  const Lifc* ll = nullptr;
  for (const Lifc& l : f.lifcs)
    if (l.local.is_v6_linklocal() && !l.tentative) ll = &l;
  wire::NdRepr nd;
  Ipaddr src;
  if (ll) {
    src = ll->local;
    nd.src_lladdr = f.mac;
  }
  BlockPtr b = nd_packet(pool, src, kAllRouters, wire::icmp6::kRouterSolicit, 0, nd);
  ether_push(f, *b, Mac::multicast_v6(kAllRouters), wire::ethertype::kIp6);
  icmp6.out[wire::icmp6::kRouterSolicit]++;
  icmp6.out_msgs++;
  queue_frame(f, std::move(b));
}

void Ip::send_ra(Ifc& f, const Ipaddr& dst) {
  if (!f.ether()) return;
  const Lifc* ll = nullptr;
  for (const Lifc& l : f.lifcs)
    if (l.local.is_v6_linklocal() && !l.tentative) ll = &l;
  if (!ll) return;  // RFC 4861 6.2.2: RAs come from a link-local address
  const Ra6Params& p = f.ra6;
  wire::NdRepr nd;
  nd.cur_hop_limit = p.ttl;
  nd.managed = p.mflag;
  nd.other = p.oflag;
  nd.router_lifetime = uint16_t(std::min<uint32_t>(p.routerlt / 1000, 9000));
  nd.reachable_time = p.reachtime;
  nd.retrans_timer = p.rxmitra;
  nd.src_lladdr = f.mac;
  if (p.linkmtu) nd.mtu = p.linkmtu;
  Time now = clock.now();
  for (const Lifc& l : f.lifcs) {
    if (l.local.is_v4() || l.local.is_v6_linklocal()) continue;
    wire::NdPrefix px;
    px.len = uint8_t(l.mask.prefix_len(false));
    px.onlink = l.onlink;
    px.autonomous = l.autoflag;
    auto left = [&](uint32_t lt) -> uint32_t {
      if (lt == 0xffffffff) return lt;
      int64_t gone = (now - l.origin) / sec(1);
      return lt > gone ? uint32_t(lt - gone) : 0;
    };
    px.valid_lt = left(l.validlt);
    px.preferred_lt = left(l.preflt);
    px.prefix = l.net;
    nd.prefixes.push_back(px);
  }
  BlockPtr b = nd_packet(pool, ll->local, dst, wire::icmp6::kRouterAdvert, nd.ra_rest(), nd);
  Mac dmac = Mac::multicast_v6(dst);
  if (!dst.is_multicast()) {
    // A solicited RA to a unicast address uses the cache; RFC 4861 6.2.6
    // allows multicast as well, which is what an unknown neighbour gets.
    for (const ArpEntryInfo& e : arp.entries())
      if (e.ip == dst && e.ok) dmac = e.mac;
  }
  ether_push(f, *b, dmac, wire::ethertype::kIp6);
  icmp6.out[wire::icmp6::kRouterAdvert]++;
  icmp6.out_msgs++;
  queue_frame(f, std::move(b));
}

void Ip::nd_input(Ifc& f, const Ipaddr& src, const Ipaddr& dst, uint8_t hop_limit, BlockPtr b) {
  icmp6.in_msgs++;
  auto m = wire::Icmp6Repr::parse(src, dst, b->span());
  auto bad = [&](const std::string& why) {
    icmp6.in_errors++;
    log.print(LogItem::kIcmp, src, dst, "nd: " + why);
  };
  if (!m) return bad(m.error().text());
  icmp6.in[m->type]++;
  // RFC 4861 7.1.1/7.1.2, 6.1.1/6.1.2: only from the link itself.
  if (hop_limit != 255 || m->code != 0) return bad("hop limit or code");
  auto nd = wire::NdRepr::parse(*m);
  if (!nd) return bad(nd.error().text());
  Time now = clock.now();
  auto learn = [&](const Ipaddr& ip, const Mac& mac, bool create) {
    Batch ready = arp.update(ip, mac, f.index, create, now);
    for (BlockPtr& p : ready) {
      ether_push(f, *p, mac, wire::ethertype::kIp6);
      queue_frame(f, std::move(p));
    }
  };
  switch (m->type) {
    case wire::icmp6::kNeighborSolicit: {
      if (nd->target.is_multicast()) return bad("multicast target");
      if (src.is_zero() && (dst.data()[0] != 0xff || nd->src_lladdr))
        return bad("DAD solicitation not to solicited-node or with lladdr");
      Lifc* l = f.find(nd->target);
      if (!l) return;
      if (l->tentative) {
        // RFC 4862 5.4.3: someone else is probing (or using) our tentative
        // address: it is a duplicate.
        if (src.is_zero()) {
          log.print("nd: duplicate address " + l->local.str() + " (DAD), removed");
          (void)remove_lifc(f, nd->target);
        }
        return;
      }
      if (src.is_zero()) {
        // DAD of an address we hold: defend it (RFC 4862 5.4.3).
        send_na(f, kAllNodes, nd->target, Mac::multicast_v6(kAllNodes), false, true);
        return;
      }
      if (nd->src_lladdr) learn(src, *nd->src_lladdr, true);
      Mac to = nd->src_lladdr ? *nd->src_lladdr : Mac::multicast_v6(kAllNodes);
      send_na(f, nd->src_lladdr ? src : kAllNodes, nd->target, to, nd->src_lladdr.has_value(),
              true);
      return;
    }
    case wire::icmp6::kNeighborAdvert: {
      if (nd->target.is_multicast()) return bad("multicast target");
      bool solicited = m->rest & wire::icmp6::kNaSolicited;
      if (solicited && dst.is_multicast()) return bad("solicited NA to multicast");
      if (Lifc* l = f.find(nd->target)) {
        if (l->tentative) {
          log.print("nd: duplicate address " + l->local.str() + " (NA), removed");
          (void)remove_lifc(f, nd->target);
        } else {
          log.print("nd: another node claims " + l->local.str());
        }
        return;
      }
      if (nd->tgt_lladdr) learn(nd->target, *nd->tgt_lladdr, false);
      return;
    }
    case wire::icmp6::kRouterSolicit: {
      if (!src.is_zero() && nd->src_lladdr) learn(src, *nd->src_lladdr, false);
      if (f.ra6.sendra) send_ra(f, src.is_zero() ? kAllNodes : src);
      return;
    }
    case wire::icmp6::kRouterAdvert: {
      if (!src.is_v6_linklocal()) return bad("router advertisement not from link-local");
      if (nd->src_lladdr) learn(src, *nd->src_lladdr, true);
      if (!f.ra6.recvra) return;
      // Default router (RFC 4861 6.3.4): ::/0 via the router, or removed
      // when its lifetime is 0.
      if (nd->router_lifetime)
        (void)routes.add({Ipaddr(), Ipaddr::mask_v6(0), src, route::kV6, "ra6", f.index});
      else if (const Route* r = routes.lookup(*Ipaddr::parse("2000::")); r && r->gate == src)
        (void)routes.remove(Ipaddr(), Ipaddr::mask_v6(0));
      for (const wire::NdPrefix& p : nd->prefixes) {
        if (p.prefix.is_v6_linklocal() || p.len > 128) continue;
        if (p.preferred_lt > p.valid_lt) continue;
        Ipaddr mask = Ipaddr::mask_v6(p.len);
        Ipaddr net = p.prefix & mask;
        if (p.onlink && p.valid_lt)
          (void)routes.add({net, mask, net, route::kV6 | route::kIfc, "ra6", f.index});
        if (!p.autonomous || p.len != 64 || !f.ether()) continue;
        // RFC 4862 5.5.3: prefix + EUI-64 interface identifier.
        Ipaddr a = net;
        Ipaddr ll = linklocal_from_mac(f.mac);
        for (size_t i = 8; i < 16; i++)
          a[i] = ll[i];
        if (Lifc* l = f.find(a)) {
          // 5.5.3 (e): believe a longer valid lifetime, or one over 2 hours.
          uint32_t remaining = l->validlt;
          if (l->validlt != 0xffffffff) {
            int64_t gone = (now - l->origin) / sec(1);
            remaining = l->validlt > gone ? uint32_t(l->validlt - gone) : 0;
          }
          uint32_t v = p.valid_lt;
          if (!(v > 7200 || v > remaining))
            v = std::max<uint32_t>(7200, 0) < remaining ? 7200 : remaining;
          l->origin = now;
          l->validlt = v;
          l->preflt = std::min(p.preferred_lt, v);
          continue;
        }
        if (p.valid_lt == 0) continue;
        Lifc l;
        l.local = a;
        l.mask = mask;
        l.onlink = p.onlink;
        l.autoflag = true;
        l.validlt = p.valid_lt;
        l.preflt = p.preferred_lt;
        l.from_ra = true;
        l.tentative = true;
        (void)add_lifc(f, l);
      }
      return;
    }
    default:
      return;  // Redirects are not followed (hosts may ignore them).
  }
}

void Ip::nd_tick(Time now) {
  for (auto& fp : ifcs_) {
    Ifc& f = *fp;
    if (!f.bound()) continue;
    // DAD: one probe, then the address is ours after RetransTimer (1 s).
    for (size_t i = 0; i < f.lifcs.size(); i++) {
      Lifc& l = f.lifcs[i];
      if (!l.tentative) continue;
      if (l.dad_probes_left > 0) {
        l.dad_probes_left--;
        l.origin = now;
        if (f.ether()) send_ns(f, l.local, Ipaddr(), true);
      } else if (now - l.origin >= sec(1) || !f.ether()) {
        l.tentative = false;
        if (f.ether()) send_na(f, kAllNodes, l.local, Mac::multicast_v6(kAllNodes), false, true);
        if (l.local.is_v6_linklocal() && f.ra6.recvra) send_rs(f);
      }
    }
    // Lifetimes of addresses learned from RAs.
    for (size_t i = 0; i < f.lifcs.size();) {
      Lifc& l = f.lifcs[i];
      if (l.from_ra && l.validlt != 0xffffffff && now - l.origin >= sec(l.validlt)) {
        log.print("nd: address " + l.local.str() + " expired");
        (void)remove_lifc(f, l.local);
        continue;
      }
      i++;
    }
    // Unsolicited RAs: RFC 4861 6.2.4, a random interval in [min, max], the
    // first few at most 16 s apart.
    if (f.ra6.sendra && now >= f.next_ra) {
      send_ra(f, kAllNodes);
      int lo = f.ra6.minraint, hi = f.ra6.maxraint;
      Time next = ms(lo + int(rand32() % uint32_t(std::max(1, hi - lo))));
      if (f.initial_ras > 0) {
        f.initial_ras--;
        next = std::min(next, sec(16));
      }
      f.next_ra = now + next;
    }
  }
  arp.tick(
      now,
      [&](const Ipaddr& ip, int n) {
        Ifc* f = ifc(n);
        if (!f) return;
        auto src = source_for(ip, n);
        if (!src) return;
        if (ip.is_v4())
          send_arp_request(*f, ip, *src);
        else
          send_ns(*f, ip, *src, false);
      },
      [&](BlockPtr b) { icmp_error(*b, IcmpErr::kHostUnreach); });
}

}  // namespace ninet
