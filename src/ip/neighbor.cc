// neighbor.cc — neighbours on Ethernet: ARP (RFC 826, ip(3) "Address
// resolution"), IPv6 Neighbor Discovery (RFC 4861), Duplicate Address
// Detection and stateless address autoconfiguration (RFC 4862), and router
// advertisements sent per ip(3)'s `ra6` parameters.
//
// IPv4 and IPv6 neighbours share the one ArpCache, keyed by address. Packets
// waiting in it start at their IP header: link_send() queues them before it
// pushes the Ethernet header, and whoever releases them pushes it here.
// Each interface has one neighbour-discovery timer (Ifc::nd_timer), armed by
// nd_schedule() for the earliest of its pending DAD steps, address, router
// and prefix lifetimes, router solicitations and advertisements, and
// disarmed when there are none: an idle interface makes no wakeups, and
// only interfaces with work are visited. ARP/ND retransmits run on the
// ArpCache's own timer (arp.cc); randomness comes from the stack's Ip::rng.
#include <algorithm>
#include <optional>
#include <random>

#include "ip/ip.h"
#include "wire/arp.h"
#include "wire/ether.h"
#include "wire/icmp6.h"
#include "wire/ip6.h"

namespace ninet {

namespace {

// RFC 4861 section 10 and RFC 4862 section 5.1.
// DupAddrDetectTransmits is 1: add_lifc sets dad_probes_left to it.
constexpr Time kRetransTimer = sec(1);                  // RetransTimer: DAD waits this long
constexpr Time kMaxDadDelay = sec(1);                   // MAX_RTR_SOLICITATION_DELAY (5.4.2)
constexpr int kMaxRtrSolicitations = 3;                 // MAX_RTR_SOLICITATIONS
constexpr Time kRtrSolicitationInterval = sec(4);       // RTR_SOLICITATION_INTERVAL
constexpr Time kMaxInitialRtrAdvertInterval = sec(16);  // MAX_INITIAL_RTR_ADVERT_INTERVAL
constexpr Time kMinDelayBetweenRas = sec(3);            // MIN_DELAY_BETWEEN_RAS
constexpr Time kMaxRaDelay = ms(500);                   // MAX_RA_DELAY_TIME
constexpr uint32_t kMaxRouterLifetime = 9000;           // seconds (6.2.1 AdvDefaultLifetime)
constexpr uint32_t kTwoHours = 7200;                    // RFC 4862 5.5.3 (e)
constexpr uint32_t kInfinite = 0xffffffff;              // lifetime "infinity"
// An RA with every option must fit the IPv6 minimum MTU: 1280 - 40 (IPv6) -
// 16 (RA) - 8 (source link-layer) - 8 (MTU), 32 bytes per prefix.
constexpr size_t kMaxRaPrefixes = (1280 - 40 - 16 - 8 - 8) / 32;
constexpr size_t kMaxNdBody = 1280 - 40 - 8;

const Ipaddr kAllNodes = *Ipaddr::parse("ff02::1");
const Ipaddr kAllRouters = *Ipaddr::parse("ff02::2");

// A uniformly random time in [0, max], from the stack's generator.
Time random_upto(std::mt19937_64& rng, Time max) {
  return max <= 0 ? 0 : Time(std::uniform_int_distribution<uint64_t>(0, uint64_t(max))(rng));
}

// ff02::1:ffXX:XXXX (RFC 4291 2.7.1).
bool is_solicited_node(const Ipaddr& a) {
  static const uint8_t kPrefix[13] = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
  return std::equal(kPrefix, kPrefix + 13, a.data());
}

std::optional<ArpEntryInfo> cached(const ArpCache& c, const Ipaddr& ip) {
  for (const ArpEntryInfo& e : c.entries())
    if (e.ip == ip) return e;
  return std::nullopt;
}

// The link-local address ND messages are sent from (RFC 4861 4.1, 4.2), or
// nullptr while there is none that has passed DAD.
const Lifc* usable_linklocal(const Ifc& f) {
  for (const Lifc& l : f.lifcs)
    if (l.local.is_v6_linklocal() && !l.tentative) return &l;
  return nullptr;
}

Time expiry(Time now, uint32_t lifetime) {
  return lifetime == kInfinite ? kNever : now + sec(lifetime);
}

// Seconds left of a lifetime that started at l.origin.
uint32_t remaining(const Lifc& l, uint32_t lifetime, Time now) {
  if (lifetime == kInfinite) return kInfinite;
  int64_t gone = (now - l.origin) / sec(1);
  return int64_t(lifetime) > gone ? uint32_t(lifetime - gone) : 0;
}

// An ND message: IPv6 header (hop limit 255, RFC 4861 section 4) + ICMPv6.
BlockPtr nd_packet(Pool& pool, const Ipaddr& src, const Ipaddr& dst, uint8_t type, uint32_t rest,
                   const wire::NdRepr& nd) {
  uint8_t body[kMaxNdBody];
  size_t n = nd.emit_body(type, body);
  BlockPtr b = pool.alloc();
  uint8_t* p = b->put(uint32_t(wire::icmp6::kHeaderLen + n));
  wire::Icmp6Repr m{type, 0, rest, {}};
  m.emit(src, dst, std::span<uint8_t>(p, wire::icmp6::kHeaderLen + n),
         std::span<const uint8_t>(body, n));
  wire::Ip6Repr h;
  h.src = src;
  h.dst = dst;
  h.next_header = wire::ipproto::kIcmp6;
  h.hop_limit = 255;
  h.payload_len = uint16_t(wire::icmp6::kHeaderLen + n);
  h.emit(b->push(wire::Ip6Repr::kLen));
  return b;
}

// Counts an ND message and queues it on f: to dst_mac if known (multicast
// or learned), else through link_send, which resolves the unicast dst.
void nd_send(Ip& ip, Ifc& f, BlockPtr b, uint8_t type, const Ipaddr& dst, const Mac& dst_mac) {
  ip.icmp6.out[type]++;
  ip.icmp6.out_msgs++;
  if (dst.is_multicast() || !dst_mac.is_zero()) {
    ip.ether_push(f, *b, dst.is_multicast() ? Mac::multicast_v6(dst) : dst_mac,
                  wire::ethertype::kIp6);
    ip.queue_frame(f, std::move(b));
  } else {
    ip.link_send(f, dst, std::move(b));
  }
}

void emit_rs(Ip& ip, Ifc& f, const Ipaddr& src) {
  wire::NdRepr nd;
  nd.src_lladdr = f.mac;  // RFC 4861 4.1: included since the source is not ::
  nd_send(ip, f, nd_packet(ip.pool, src, kAllRouters, wire::icmp6::kRouterSolicit, 0, nd),
          wire::icmp6::kRouterSolicit, kAllRouters, Mac());
}

// Packets released by a cache update: they start at the IP header.
void release(Ip& ip, Ifc& f, Batch ready, const Mac& mac, uint16_t ethertype) {
  for (BlockPtr& p : ready) {
    ip.ether_push(f, *p, mac, ethertype);
    ip.queue_frame(f, std::move(p));
  }
}

// ip(3) `add ... proxy`: answer ARP for a Lifc's remote. As in Plan 9's
// ipproxyifc, the proxied address may sit on another interface (ppp) as long
// as it belongs to a network of the interface the request came in on.
bool proxies_for(const Ip& ip, const Ifc& f, const Ipaddr& tpa) {
  for (const auto& g : ip.ifcs()) {
    if (!g->inuse) continue;
    for (const Lifc& l : g->lifcs)
      if (l.proxy && l.local.is_v4() && l.remote == tpa && (g.get() == &f || f.on_net(tpa)))
        return true;
  }
  return false;
}

// A router advertisement with the interface's ra6 parameters (RFC 4861 4.2,
// 6.2.3) and the given Router Lifetime in seconds.
void emit_ra(Ip& ip, Ifc& f, const Ipaddr& dst, uint16_t router_lifetime) {
  if (!f.ether()) return;
  const Lifc* ll = usable_linklocal(f);
  if (!ll) return;  // 6.2.2: RAs come from a link-local address
  const Ra6Params& p = f.ra6;
  wire::NdRepr nd;
  nd.cur_hop_limit = p.ttl;
  nd.managed = p.mflag;
  nd.other = p.oflag;
  nd.router_lifetime = router_lifetime;
  nd.reachable_time = p.reachtime;  // ms, as in ip(3)
  nd.retrans_timer = p.rxmitra;     // ms, as in ip(3)
  nd.src_lladdr = f.mac;
  if (p.linkmtu) nd.mtu = p.linkmtu;
  // A Prefix Information option per configured prefix (6.2.1 AdvPrefixList)
  // with the flags and lifetimes given in add6; addresses made by SLAAC are
  // not advertised again.
  for (const Lifc& l : f.lifcs) {
    if (l.local.is_v4() || l.local.is_v6_linklocal() || l.from_ra) continue;
    uint8_t len = uint8_t(l.mask.prefix_len(false));
    bool dup = std::any_of(nd.prefixes.begin(), nd.prefixes.end(), [&](const wire::NdPrefix& x) {
      return x.prefix == l.net && x.len == len;
    });
    if (dup || nd.prefixes.size() == kMaxRaPrefixes) continue;
    wire::NdPrefix px;
    px.len = len;
    px.onlink = l.onlink;
    px.autonomous = l.autoflag;
    px.valid_lt = l.validlt;
    px.preferred_lt = l.preflt;
    px.prefix = l.net;
    nd.prefixes.push_back(px);
  }
  if (dst.is_multicast()) f.last_mcast_ra = ip.clock.now();
  Mac dmac;
  if (!dst.is_multicast())
    if (auto e = cached(ip.arp, dst); e && e->ok) dmac = e->mac;
  nd_send(ip, f, nd_packet(ip.pool, ll->local, dst, wire::icmp6::kRouterAdvert, nd.ra_rest(), nd),
          wire::icmp6::kRouterAdvert, dst, dmac);
}

// ---- Router and prefix lists (RFC 4861 6.3.4) ----

const Route* default_route(const RouteTable& t) {
  const Route* r = t.lookup(kIpv6Any);
  return r && r->mask == Ipaddr::mask_v6(0) ? r : nullptr;
}

// Installs ::/0 via router unless another default route is in place (a
// configured one, or another live router's).
void install_default(Ip& ip, const Ifc& f, const Ipaddr& router) {
  if (default_route(ip.routes)) return;
  (void)ip.routes.add({kIpv6Any, Ipaddr::mask_v6(0), router, route::kV6, "ra6", f.index});
}

// A router went away: its default route goes, and another live router's
// (on any interface) takes its place.
void drop_default(Ip& ip, const Ifc& f, const Ipaddr& router) {
  const Route* r = default_route(ip.routes);
  if (!r || r->gate != router || r->ifc != f.index || r->tag != "ra6") return;
  (void)ip.routes.remove(kIpv6Any, Ipaddr::mask_v6(0));
  for (const auto& g : ip.ifcs())
    if (g->bound() && !g->routers.empty()) {
      install_default(ip, *g, g->routers.front().addr);
      return;
    }
}

// An address's own interface route (lifc_attach) covers the prefix.
bool lifc_covers(const Ifc& f, const Ipaddr& net, const Ipaddr& mask) {
  for (const Lifc& l : f.lifcs)
    if (l.onlink && !l.local.is_v4() && l.net == net && l.mask == mask) return true;
  return false;
}

void add_onlink_route(Ip& ip, const Ifc& f, const Ipaddr& net, const Ipaddr& mask) {
  if (lifc_covers(f, net, mask)) return;
  const Lifc* ll = usable_linklocal(f);
  (void)ip.routes.add({net, mask, ll ? ll->local : net, route::kV6 | route::kIfc, "ra6", f.index});
  ip.resolve_gateways();
}

// Re-adds the on-link routes of f's prefix list; removing an address also
// removes the route of its network (lifc_detach), which may be one of ours.
void restore_onlink(Ip& ip, const Ifc& f) {
  for (const Ifc::RaPrefix& p : f.onlink)
    add_onlink_route(ip, f, p.net, p.mask);
}

void set_router(Ip& ip, Ifc& f, const Ipaddr& router, uint16_t lifetime, Time now) {
  auto it = std::find_if(f.routers.begin(), f.routers.end(),
                         [&](const Ifc::RaRouter& r) { return r.addr == router; });
  if (lifetime == 0) {  // 6.3.4: a lifetime of 0 times the router out at once
    if (it != f.routers.end()) {
      f.routers.erase(it);
      drop_default(ip, f, router);
    }
    return;
  }
  if (it != f.routers.end())
    it->expires = now + sec(lifetime);
  else
    f.routers.push_back({router, now + sec(lifetime)});
  install_default(ip, f, router);
}

void set_onlink(Ip& ip, Ifc& f, const Ipaddr& net, const Ipaddr& mask, uint32_t valid, Time now) {
  auto it = std::find_if(f.onlink.begin(), f.onlink.end(),
                         [&](const Ifc::RaPrefix& p) { return p.net == net && p.mask == mask; });
  if (valid == 0) {
    if (it != f.onlink.end()) {
      f.onlink.erase(it);
      if (!lifc_covers(f, net, mask)) (void)ip.routes.remove(net, mask);
      ip.resolve_gateways();
    }
    return;
  }
  if (it != f.onlink.end())
    it->expires = expiry(now, valid);
  else
    f.onlink.push_back({net, mask, expiry(now, valid)});
  add_onlink_route(ip, f, net, mask);
}

// RFC 4862 5.5.3: a Prefix Information option with the A flag.
void autoconf(Ip& ip, Ifc& f, const wire::NdPrefix& p, const Ipaddr& net, Time now) {
  if (!f.ether()) return;  // the interface identifier comes from the MAC
  if (p.len != 64) {
    // (d): prefix + 64-bit interface identifier must make 128 bits.
    ip.log.print("nd: ipifc " + std::to_string(f.index) + ": autoconf prefix " + net.str() + "/" +
                 std::to_string(p.len) + " ignored: not /64");
    return;
  }
  Ipaddr a = net;
  Ipaddr iid = linklocal_from_mac(f.mac);  // fe80:: + the modified EUI-64
  for (size_t i = 8; i < 16; i++)
    a[i] = iid[i];
  if (Lifc* l = f.find(a)) {
    if (!l->from_ra) return;  // configured by hand: not ours to change
    // (e): a valid lifetime over two hours or beyond what is left is
    // believed; otherwise what is left is cut to two hours at most, so
    // that a forged RA cannot expire the address at once.
    uint32_t left = remaining(*l, l->validlt, now);
    uint32_t v = p.valid_lt;
    if (!(v > kTwoHours || v > left)) v = left <= kTwoHours ? left : kTwoHours;
    l->origin = now;
    l->validlt = v;
    l->preflt = std::min(p.preferred_lt, v);
    return;
  }
  if (p.valid_lt == 0) return;
  Lifc l;
  l.local = a;
  l.mask = Ipaddr::mask_v6(64);
  l.onlink = p.onlink;
  l.autoflag = true;
  l.validlt = p.valid_lt;
  l.preflt = p.preferred_lt;
  l.from_ra = true;
  l.tentative = true;  // RFC 4862 5.4: DAD before use
  if (auto st = ip.add_lifc(f, l); !st)
    ip.log.print("nd: autoconf " + a.str() + ": " + st.error().text());
}

// RFC 4861 6.3.4 (host side) with RFC 4862 5.5.3.
void process_ra(Ip& ip, Ifc& f, const Ipaddr& src, const wire::NdRepr& nd, Time now) {
  if (nd.router_lifetime) f.rs_left = 0;  // 6.3.7: found a router, stop soliciting
  set_router(ip, f, src, nd.router_lifetime, now);
  if (nd.mtu && *nd.mtu >= 1280) {
    // Only what the medium can carry; the link MTU counts the medium header.
    int want = int(std::min<uint32_t>(*nd.mtu, 65535)) + (f.ether() ? 14 : 0);
    if (want <= f.medium->max_mtu()) f.mtu = want;
  }
  for (const wire::NdPrefix& p : nd.prefixes) {
    if (p.prefix.is_v6_linklocal()) continue;  // 6.3.4 and 4862 5.5.3 (b)
    Ipaddr mask = Ipaddr::mask_v6(p.len);
    Ipaddr net = p.prefix & mask;
    if (p.onlink) set_onlink(ip, f, net, mask, p.valid_lt, now);
    if (p.autonomous && p.preferred_lt <= p.valid_lt)  // 4862 5.5.3 (c)
      autoconf(ip, f, p, net, now);
  }
}

// ---- What the interface's timer does (nd_expire) ----

// RFC 4862 5.4: one probe from :: after a random delay, then RetransTimer
// without an answer makes the address preferred.
void dad_tick(Ip& ip, Ifc& f, Time now) {
  for (size_t i = 0; i < f.lifcs.size(); i++) {
    Lifc& l = f.lifcs[i];
    if (!l.tentative) continue;
    if (!f.ether()) {  // no neighbours to ask on this medium
      l.tentative = false;
      continue;
    }
    if (l.dad_at == 0) l.dad_at = l.origin + random_upto(ip.rng, kMaxDadDelay);
    if (now < l.dad_at) continue;
    if (l.dad_probes_left > 0) {
      l.dad_probes_left--;
      l.dad_at = now + kRetransTimer;
      ip.send_ns(f, l.local, kIpv6Any, true);
      continue;
    }
    l.tentative = false;
    Ipaddr a = l.local;
    // RFC 4861 7.2.6: tell the link at once, as for an address added directly.
    ip.send_na(f, kAllNodes, a, Mac(), false, true);
    if (a.is_v6_linklocal()) ip.send_rs(f);
  }
}

// Addresses, routers and prefixes learned from RAs that have run out.
void lifetime_tick(Ip& ip, Ifc& f, Time now) {
  std::vector<Ipaddr> gone;
  bool expired = false;
  for (const Lifc& l : f.lifcs)
    if (l.from_ra && remaining(l, l.validlt, now) == 0) gone.push_back(l.local);
  for (const Ipaddr& a : gone) {
    ip.log.print("nd: ipifc " + std::to_string(f.index) + ": address " + a.str() + " expired");
    (void)ip.remove_lifc(f, a);
  }
  for (size_t i = 0; i < f.routers.size();) {
    if (now < f.routers[i].expires) {
      i++;
      continue;
    }
    Ipaddr r = f.routers[i].addr;
    f.routers.erase(f.routers.begin() + long(i));
    drop_default(ip, f, r);
  }
  for (size_t i = 0; i < f.onlink.size();) {
    if (now < f.onlink[i].expires) {
      i++;
      continue;
    }
    Ifc::RaPrefix p = f.onlink[i];
    f.onlink.erase(f.onlink.begin() + long(i));
    if (!lifc_covers(f, p.net, p.mask)) (void)ip.routes.remove(p.net, p.mask);
    expired = true;
  }
  if (!gone.empty()) restore_onlink(ip, f);
  if (expired) ip.resolve_gateways();
}

// RFC 4861 6.3.7: up to 3 solicitations 4 s apart until a router answers.
void rs_tick(Ip& ip, Ifc& f, Time now) {
  if (!f.ra6.recvra || f.rs_left <= 0 || now < f.next_rs) return;
  const Lifc* ll = usable_linklocal(f);
  if (!ll) return;
  emit_rs(ip, f, ll->local);
  f.rs_left--;
  f.next_rs = now + kRtrSolicitationInterval;
}

// RFC 4861 6.2.4: unsolicited RAs at random intervals in [minraint,
// maxraint], the first few at most 16 s apart. 6.2.5: an interface that
// stops advertising says so with a final RA of Router Lifetime 0 (next_ra is
// set only while advertising).
void ra_tick(Ip& ip, Ifc& f, Time now) {
  if (!f.ra6.sendra) {
    if (f.next_ra != 0) emit_ra(ip, f, kAllNodes, 0);
    f.next_ra = 0;
    return;
  }
  if (now < f.next_ra) return;
  ip.send_ra(f, kAllNodes);
  int lo = std::min(f.ra6.minraint, f.ra6.maxraint);
  Time next = ms(lo) + random_upto(ip.rng, ms(f.ra6.maxraint - lo));
  if (f.initial_ras > 0) {
    f.initial_ras--;
    next = std::min(next, kMaxInitialRtrAdvertInterval);
  }
  f.next_ra = now + next;
}

// An interface that lost its medium keeps no routers or prefixes.
void forget_links(Ip& ip, Ifc& f) {
  for (const Ifc::RaRouter& r : f.routers)
    drop_default(ip, f, r.addr);
  for (const Ifc::RaPrefix& p : f.onlink) {
    const Route* r = ip.routes.lookup(p.net);
    if (r && r->target == p.net && r->mask == p.mask && r->ifc == f.index)
      (void)ip.routes.remove(p.net, p.mask);
  }
  f.routers.clear();
  f.onlink.clear();
  ip.resolve_gateways();
  f.rs_left = 0;
}

// When f's timer is next needed: its earliest DAD step, lifetime end,
// solicitation or advertisement (the conditions the pieces above test);
// kNever when there is nothing. A DAD delay not yet drawn is drawn here.
Time nd_deadline(Ip& ip, Ifc& f) {
  Time t = kNever;
  for (Lifc& l : f.lifcs) {
    if (l.tentative) {
      if (!f.ether()) return 0;  // nobody to ask: dad_tick ends it at once
      if (l.dad_at == 0) l.dad_at = l.origin + random_upto(ip.rng, kMaxDadDelay);
      t = std::min(t, l.dad_at);
    }
    if (l.from_ra && l.validlt != kInfinite) t = std::min(t, l.origin + sec(l.validlt));
  }
  for (const Ifc::RaRouter& r : f.routers)
    t = std::min(t, r.expires);
  for (const Ifc::RaPrefix& p : f.onlink)
    t = std::min(t, p.expires);
  if (f.ra6.recvra && f.rs_left > 0 && usable_linklocal(f)) t = std::min(t, f.next_rs);
  if (f.ra6.sendra)
    t = std::min(t, f.next_ra);
  else if (f.next_ra != 0)
    t = 0;  // the final RA (6.2.5), at once
  return t;
}

}  // namespace

void Ip::join_group(Ifc& f, const Ipaddr& g) {
  if (f.has_group(g)) return;
  f.groups.push_back(g);
  // Media without multicast filters see every group anyway.
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
  a.tpa = target;  // == src: a gratuitous request announcing src
  a.emit(b->put(wire::ArpRepr::kLen));
  ether_push(f, *b, Mac::broadcast(), wire::ethertype::kArp);
  queue_frame(f, std::move(b));
}

void Ip::arp_input(Ifc& f, BlockPtr b) {
  auto bad = [&](const std::string& why) {
    f.stats.in_errors++;
    log.print("arp: ipifc " + std::to_string(f.index) + ": " + why);
  };
  auto a = wire::ArpRepr::parse(b->span());
  if (!a) return bad(a.error().text());
  if (a->sha == f.mac) return;  // our own frame
  if (a->sha.is_multicast() || a->sha.is_zero())
    return bad("bad sender hardware address " + a->sha.str());
  if (a->spa.is_multicast() || a->spa.is_v4_broadcast())
    return bad("bad sender address " + a->spa.str());
  if (!a->spa.is_zero() && f.find(a->spa)) {
    // Another machine uses one of our addresses: say so, learn nothing.
    log.print("arp: " + a->spa.str() + " also has ether addr " + a->sha.str());
    return;
  }
  bool ours = false;
  for (const Lifc& l : f.lifcs)
    if (l.local.is_v4() && l.local == a->tpa) ours = true;
  bool proxied = !ours && proxies_for(*this, f, a->tpa);
  // ip(3): "if the requester is in the table, the entry is updated"; RFC 826
  // also makes an entry when the message is for us. A sender of 0.0.0.0 is
  // probing (RFC 5227) and has nothing to learn.
  if (!a->spa.is_zero())
    release(*this, f, arp.update(a->spa, a->sha, f.index, ours, clock.now()), a->sha,
            wire::ethertype::kIp4);
  if (a->op != wire::arp::kRequest || !(ours || proxied)) return;
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
  // RFC 4861 4.3: no source link-layer option with the unspecified source.
  if (!dad) nd.src_lladdr = f.mac;
  // 7.2.2: resolution asks the solicited-node group; a neighbour whose
  // address is known is asked directly (a reachability probe, 7.3.3).
  std::optional<ArpEntryInfo> e;
  if (!dad) e = cached(arp, target);
  bool unicast = e && e->ok;
  Ipaddr dst = unicast ? target : solicited_node(target);
  nd_send(*this, f,
          nd_packet(pool, dad ? kIpv6Any : src, dst, wire::icmp6::kNeighborSolicit, 0, nd),
          wire::icmp6::kNeighborSolicit, dst, unicast ? e->mac : Mac());
}

void Ip::send_na(Ifc& f, const Ipaddr& dst, const Ipaddr& target, const Mac& dst_mac,
                 bool solicited, bool override_flag) {
  if (!f.ether()) return;
  wire::NdRepr nd;
  nd.target = target;
  nd.tgt_lladdr = f.mac;  // 7.2.4: required in answers to multicast NS; always sent
  uint32_t rest = (solicited ? wire::icmp6::kNaSolicited : 0) |
                  (override_flag ? wire::icmp6::kNaOverride : 0) |
                  (f.iprouting || f.ra6.sendra ? wire::icmp6::kNaRouter : 0);
  nd_send(*this, f, nd_packet(pool, target, dst, wire::icmp6::kNeighborAdvert, rest, nd),
          wire::icmp6::kNeighborAdvert, dst, dst_mac);
}

void Ip::send_rs(Ifc& f) {
  if (!f.ether() || !f.ra6.recvra) return;
  // Sent from a preferred link-local address only; dad_tick calls again once
  // the link-local address has passed DAD.
  const Lifc* ll = usable_linklocal(f);
  if (!ll) return;
  emit_rs(*this, f, ll->local);
  f.rs_left = kMaxRtrSolicitations - 1;
  f.next_rs = clock.now() + kRtrSolicitationInterval;
  nd_schedule(f);
}

void Ip::send_ra(Ifc& f, const Ipaddr& dst) {
  // ip(3) gives routerlt in ms; the Router Lifetime field is in seconds, at
  // most 9000 (RFC 4861 4.2, 6.2.1).
  emit_ra(*this, f, dst, uint16_t(std::min<uint32_t>(f.ra6.routerlt / 1000, kMaxRouterLifetime)));
}

void Ip::nd_input(Ifc& f, const Ipaddr& src, const Ipaddr& dst, uint8_t hop_limit, BlockPtr b) {
  icmp6.in_msgs++;
  auto bad = [&](const std::string& why) {
    icmp6.in_errors++;
    log.print(LogItem::kIcmp, src, dst, "nd: " + why);
  };
  auto m = wire::Icmp6Repr::parse(src, dst, b->span());
  if (!m) return bad(m.error().text());
  icmp6.in[m->type]++;
  if (m->type == wire::icmp6::kRedirect) return;  // not followed (RFC 4861 8.3 allows)
  // RFC 4861 6.1.1, 6.1.2, 7.1.1, 7.1.2: from the link itself, code 0; the
  // lengths and option lengths are NdRepr::parse's.
  if (hop_limit != 255) return bad("hop limit " + std::to_string(hop_limit));
  if (m->code != 0) return bad("code " + std::to_string(m->code));
  auto nd = wire::NdRepr::parse(*m);
  if (!nd) return bad(nd.error().text());
  Time now = clock.now();
  auto learn = [&](const Ipaddr& ip, const Mac& mac, bool create) {
    release(*this, f, arp.update(ip, mac, f.index, create, now), mac, wire::ethertype::kIp6);
  };
  switch (m->type) {
    case wire::icmp6::kNeighborSolicit: {
      if (nd->target.is_multicast()) return bad("solicitation for a multicast target");
      if (src.is_zero() && !is_solicited_node(dst))
        return bad("solicitation from :: not to a solicited-node group");
      if (src.is_zero() && nd->src_lladdr)
        return bad("solicitation from :: with a link-layer address");
      Lifc* l = f.find(nd->target);
      if (!l) return;  // not ours (7.2.3)
      if (l->tentative) {
        // RFC 4862 5.4.3: a probe from :: is another node's DAD for the same
        // address: it is a duplicate. Resolution of a tentative address is
        // ignored.
        if (!src.is_zero()) return;
        log.print("nd: ipifc " + std::to_string(f.index) + ": duplicate address " +
                  nd->target.str() + " (another node probes it), removed");
        (void)remove_lifc(f, nd->target);
        restore_onlink(*this, f);
        nd_schedule(f);
        return;
      }
      if (src.is_zero()) {
        // DAD of an address we hold: defend it (7.2.4: S=0, to all-nodes).
        send_na(f, kAllNodes, nd->target, Mac(), false, true);
        return;
      }
      // 7.2.3: learn the sender, 7.2.4: answer it directly with S=1.
      if (nd->src_lladdr) learn(src, *nd->src_lladdr, true);
      send_na(f, src, nd->target, nd->src_lladdr.value_or(Mac()), true, true);
      return;
    }
    case wire::icmp6::kNeighborAdvert: {
      if (nd->target.is_multicast()) return bad("advertisement for a multicast target");
      bool solicited = m->rest & wire::icmp6::kNaSolicited;
      if (solicited && dst.is_multicast()) return bad("solicited advertisement to multicast");
      if (Lifc* l = f.find(nd->target)) {
        if (l->tentative) {
          // RFC 4862 5.4.4: someone holds our tentative address.
          log.print("nd: ipifc " + std::to_string(f.index) + ": duplicate address " +
                    nd->target.str() + " (advertised by " +
                    (nd->tgt_lladdr ? nd->tgt_lladdr->str() : src.str()) + "), removed");
          (void)remove_lifc(f, nd->target);
          restore_onlink(*this, f);
          nd_schedule(f);
        } else {
          log.print("nd: ipifc " + std::to_string(f.index) + ": " + nd->target.str() +
                    " also has ether addr " +
                    (nd->tgt_lladdr ? nd->tgt_lladdr->str() : std::string("?")));
        }
        return;
      }
      // 7.2.5: only existing entries learn, and only from a target
      // link-layer option; without the Override flag a known address stays.
      if (!nd->tgt_lladdr) return;
      auto e = cached(arp, nd->target);
      if (!e) return;
      if (e->ok && !(m->rest & wire::icmp6::kNaOverride) && e->mac != *nd->tgt_lladdr) return;
      learn(nd->target, *nd->tgt_lladdr, false);
      return;
    }
    case wire::icmp6::kRouterSolicit: {
      if (src.is_zero() && nd->src_lladdr)
        return bad("router solicitation from :: with a link-layer address");
      if (!f.ra6.sendra) return;  // 6.2.6: only advertising interfaces answer
      if (!src.is_zero() && nd->src_lladdr) learn(src, *nd->src_lladdr, true);
      // 6.2.6: the answer is the next multicast RA, brought forward to within
      // MAX_RA_DELAY_TIME but no sooner than MIN_DELAY_BETWEEN_RAS after the
      // last one.
      Time at =
          std::max(now + random_upto(rng, kMaxRaDelay), f.last_mcast_ra + kMinDelayBetweenRas);
      if (at < f.next_ra) f.next_ra = at;
      nd_schedule(f);
      return;
    }
    case wire::icmp6::kRouterAdvert: {
      if (!src.is_v6_linklocal()) return bad("router advertisement not from a link-local address");
      if (f.find(src)) return;  // one of ours
      if (nd->src_lladdr) learn(src, *nd->src_lladdr, f.ra6.recvra);
      if (f.ra6.recvra) {
        process_ra(*this, f, src, *nd, now);
        nd_schedule(f);
      }
      return;
    }
    default:
      return;
  }
}

void Ip::nd_schedule(Ifc& f) {
  if (!f.bound()) {
    // An interface that lost its medium keeps no routers or prefixes.
    if (!f.routers.empty() || !f.onlink.empty() || f.rs_left) forget_links(*this, f);
    f.nd_timer.cancel();
    return;
  }
  Time t = nd_deadline(*this, f);
  if (t == kNever) {
    f.nd_timer.cancel();
    return;
  }
  if (!f.nd_timer.wheel()) f.nd_timer.set(timers, [this, &f](Time now) { nd_expire(f, now); });
  if (!f.nd_timer.armed() || f.nd_timer.when() != t) f.nd_timer.arm(t);
}

void Ip::nd_expire(Ifc& f, Time now) {
  if (f.bound()) {
    dad_tick(*this, f, now);
    lifetime_tick(*this, f, now);
    rs_tick(*this, f, now);
    ra_tick(*this, f, now);
  }
  nd_schedule(f);
}

}  // namespace ninet
