// ifcctl.cc — the ctl messages of an ipifc directory (ip(3) "Configuring
// interfaces"): bind unbind add try remove mtu reassemble iprouting
// promiscuous connect addmulti remmulti headersonly bridge scanbs add6 ra6.
#include <charconv>

#include "base/fields.h"
#include "ip/ip.h"

namespace ninet {

namespace {

// parse_int with an out parameter, as the option parsers below use it.
bool parse_num(std::string_view s, long long lo, long long hi, long long* out) {
  auto v = parse_int(s, lo, hi);
  if (v) *out = *v;
  return v.has_value();
}

bool is_ifc_verb(std::string_view v) {
  for (std::string_view k : {"mtu", "reassemble", "iprouting", "promiscuous", "connect", "addmulti",
                             "remmulti", "headersonly", "bridge", "scanbs"})
    if (v == k) return true;
  return false;
}

Error bad(std::string_view what, std::string_view arg) {
  return Error(Err::BadArg, std::string(what) + " " + std::string(arg));
}

}  // namespace

Status Ip::ifc_ctl(Ifc& f, std::string_view msg) {
  auto a = ctl_fields(msg);
  Status st;
  if (a.empty()) {
    st = Error(Err::BadCtl, "empty control message");
  } else if (a[0] == "bind") {
    st = ifc_bind(f, a);
  } else if (a[0] == "unbind") {
    st = ifc_unbind(f);
  } else if (a[0] == "add" || a[0] == "try") {
    st = ifc_add(f, a, a[0] == "try", false);
  } else if (a[0] == "add6") {
    st = ifc_add(f, a, false, true);
  } else if (a[0] == "remove") {
    st = ifc_remove(f, a);
  } else if (a[0] == "ra6") {
    st = ifc_ra6(f, a);
  } else if (!is_ifc_verb(a[0])) {
    st = Error(Err::BadCtl, std::string(a[0]));
  } else if (!f.bound()) {
    st = Err::NoMedium;
  } else if (a[0] == "mtu") {
    long long n;
    if (a.size() != 2 || !parse_num(a[1], f.medium->min_mtu(), f.medium->max_mtu(), &n))
      st = Error(Err::BadMtu, a.size() > 1 ? std::string(a[1]) : "");
    else
      f.mtu = int(n);
  } else if (a[0] == "reassemble") {
    f.reassemble = true;
  } else if (a[0] == "iprouting") {
    long long n = 1;
    if (a.size() > 1 && !parse_num(a[1], INT32_MIN, INT32_MAX, &n))
      st = bad("iprouting", a[1]);
    else
      f.iprouting = n != 0;
    update_forwarding();
  } else if (a[0] == "promiscuous") {
    st = f.medium->set_promiscuous(true);
    if (st) f.promiscuous = true;
  } else if (a[0] == "connect") {
    long long t;
    if (a.size() != 2 || !parse_num(a[1], -1, 0xffff, &t))
      st = bad("connect", a.size() > 1 ? a[1] : "");
    else if (t != -1)  // ip(3): -1 means all, a no-op
      st = f.medium->connect_type(int(t));
    if (!st && st.error().code() == Err::NotSupported) st = {};  // ether types are demuxed here
  } else if (a[0] == "addmulti" || a[0] == "remmulti") {
    if (a.size() != 2) {
      st = bad(a[0], "");
    } else {
      auto m = Mac::parse(a[1]);
      if (!m) {
        st = m.error();
      } else if (a[0] == "addmulti") {
        st = f.medium->add_multi(*m);
        if (st) f.multi.push_back(*m);
      } else {
        st = f.medium->rem_multi(*m);
        if (st) std::erase(f.multi, *m);
      }
    }
  } else if (a[0] == "headersonly") {
    st = f.medium->headers_only();
    if (st) f.headersonly = true;
  } else if (a[0] == "bridge") {
    st = f.medium->bridge();
  } else if (a[0] == "scanbs") {
    st = f.medium->scanbs();
  } else {
    st = Error(Err::BadCtl, std::string(a[0]));
  }
  // Addresses, ra6 or unbind: the interface's ND timer follows (neighbor.cc).
  nd_schedule(f);
  if (!st) {
    f.err = st.error().text();
    log.print("ipifc " + std::to_string(f.index) + ": " + std::string(msg) + ": " + f.err);
  }
  return st;
}

Status Ip::ifc_bind(Ifc& f, const std::vector<std::string_view>& a) {
  if (f.bound()) return Err::Bound;
  if (a.size() < 2) return Error(Err::BadArg, "bind medium [path]");
  std::string_view kind = a[1];
  std::string dev;
  if (kind == "loopback" || kind == "pkt" || kind == "pipex" || kind == "pppx") {
    if (a.size() > 2) return Error(Err::BadArg, "bind " + std::string(kind) + " takes no path");
    dev = std::string(kind);
  } else if (kind == "ether" || kind == "netdev") {
    if (a.size() != 3) return Error(Err::BadArg, "bind " + std::string(kind) + " path");
    dev = std::string(a[2]);
  } else {
    return Error(Err::BadMedium, std::string(kind));
  }
  if (!factory_) return Error(Err::NotSupported, std::string(kind));
  auto r = factory_(kind, a.size() > 2 ? a[2] : std::string_view());
  if (!r) return r.error();
  std::unique_ptr<Medium> m = std::move(*r);
  f.medium = std::move(m);
  f.medium->attached(f.index);
  f.dev = dev;
  f.mtu = f.medium->default_mtu();
  f.mac = f.medium->hwaddr();
  f.medium->set_notify([this] {
    if (on_wake) on_wake();
  });
  if (f.medium->caps.receives) polled_.push_back(f.index);
  if (f.ether()) {
    // As Linux does, an Ethernet interface gets its EUI-64 link-local
    // address at bind, so that Neighbour Discovery and router advertisements
    // work; like every unicast address it is tentative until DAD passes
    // (RFC 4862 5.4), and router solicitation waits for it (dad_tick).
    Lifc ll;
    ll.local = linklocal_from_mac(f.mac);
    ll.mask = Ipaddr::mask_v6(64);
    ll.tentative = true;
    (void)add_lifc(f, ll);
  }
  if (on_wake) on_wake();
  return {};
}

Status Ip::ifc_unbind(Ifc& f) {
  if (!f.bound()) return Err::NoMedium;
  if (on_unbind) on_unbind(f);
  while (!f.lifcs.empty()) {
    Lifc l = f.lifcs.back();
    f.lifcs.pop_back();
    lifc_detach(f, l);
  }
  arp.flush_ifc(f.index);
  f.outq.clear();
  std::erase(polled_, f.index);
  f.medium->close();
  f.medium.reset();
  f.dev.clear();
  f.groups.clear();
  f.multi.clear();
  f.iprouting = f.promiscuous = f.reassemble = f.headersonly = false;
  update_forwarding();
  return {};
}

// add local [mask remote mtu proxy] / try ... / add6 v6addr pfx-len [onlink auto validlt preflt]
Status Ip::ifc_add(Ifc& f, const std::vector<std::string_view>& a, bool tentative, bool v6form) {
  if (!f.bound()) return Err::NoMedium;
  if (a.size() < 2) return Error(Err::BadArg, std::string(a[0]) + " needs an address");
  auto local = Ipaddr::parse(a[1]);
  if (!local) return local.error();
  Lifc l;
  l.local = *local;
  bool v4 = local->is_v4();
  int mtu = 0;  // set only once the whole message is good
  if (v6form) {
    long long n;
    if (v4) return Error(Err::BadIp, "add6 needs an IPv6 address");
    if (a.size() < 3 || !parse_num(a[2], 1, 128, &n)) return Error(Err::BadMask, "pfx-len");
    l.mask = Ipaddr::mask_v6(int(n));
    long long flag;
    if (a.size() > 3) {
      if (!parse_num(a[3], 0, 1, &flag)) return bad("onlink", a[3]);
      l.onlink = flag;
    }
    if (a.size() > 4) {
      if (!parse_num(a[4], 0, 1, &flag)) return bad("auto", a[4]);
      l.autoflag = flag;
    }
    long long lt;
    if (a.size() > 5) {
      if (!parse_num(a[5], 0, 0xffffffffLL, &lt)) return bad("validlt", a[5]);
      l.validlt = uint32_t(lt);
    }
    if (a.size() > 6) {
      if (!parse_num(a[6], 0, 0xffffffffLL, &lt)) return bad("preflt", a[6]);
      l.preflt = uint32_t(lt);
    }
    if (a.size() > 7) return Error(Err::BadArg, "too many arguments");
    if (l.preflt > l.validlt) return Error(Err::BadArg, "preflt > validlt");
  } else {
    size_t i = 2;
    l.mask = Ipaddr::class_mask(*local);
    if (i < a.size() && a[i] != "proxy") {
      auto m = Ipaddr::parse_mask(a[i], v4);
      if (!m) return m.error();
      l.mask = *m;
      i++;
    }
    l.remote = l.local & l.mask;
    if (i < a.size() && a[i] != "proxy") {
      auto r = Ipaddr::parse(a[i]);
      if (!r) return r.error();
      if (r->is_v4() != v4) return Error(Err::BadIp, "remote of another family");
      l.remote = *r;
      i++;
    }
    if (i < a.size() && a[i] != "proxy") {
      long long n;
      if (!parse_num(a[i], f.medium->min_mtu(), f.medium->max_mtu(), &n))
        return Error(Err::BadMtu, std::string(a[i]));
      mtu = int(n);
      i++;
    }
    if (i < a.size() && a[i] == "proxy") {
      l.proxy = true;
      i++;
    }
    if (i != a.size()) return Error(Err::BadArg, "unexpected " + std::string(a[i]));
    l.tentative = tentative && !v4;
  }
  l.net = l.local & l.mask;
  if (l.remote.is_zero() || v6form) l.remote = l.net;
  // A remote outside the local network makes a point-to-point address
  // (ip(3): ppp(8) gives the peer as remote).
  l.p2p = (l.remote & l.mask) != l.net;
  if (mtu) f.mtu = mtu;
  return add_lifc(f, l);
}

Status Ip::add_lifc(Ifc& f, Lifc l) {
  if (!f.bound()) return Err::NoMedium;
  l.net = l.local & l.mask;
  if (l.remote.is_zero()) l.remote = l.net;
  l.origin = clock.now();
  if (l.tentative) l.dad_probes_left = 1;
  if (Lifc* old = f.find(l.local)) {
    Lifc prev = *old;
    lifc_detach(f, prev);
    *old = l;
  } else {
    f.lifcs.push_back(l);
  }
  lifc_attach(f, l);
  nd_schedule(f);  // DAD
  return {};
}

Status Ip::remove_lifc(Ifc& f, const Ipaddr& local) {
  for (size_t i = 0; i < f.lifcs.size(); i++) {
    if (f.lifcs[i].local != local) continue;
    Lifc l = f.lifcs[i];
    f.lifcs.erase(f.lifcs.begin() + long(i));
    lifc_detach(f, l);
    return {};
  }
  return Error(Err::NoAddr, local.str());
}

Status Ip::ifc_remove(Ifc& f, const std::vector<std::string_view>& a) {
  if (a.size() < 2) return Error(Err::BadArg, "remove local mask");
  auto local = Ipaddr::parse(a[1]);
  if (!local) return local.error();
  if (a.size() >= 3) {
    auto m = Ipaddr::parse_mask(a[2], local->is_v4());
    if (!m) return m.error();
    Lifc* l = f.find(*local);
    if (l && l->mask != *m) return Error(Err::NoAddr, std::string(a[1]) + " " + std::string(a[2]));
  }
  return remove_lifc(f, *local);
}

Status Ip::ifc_ra6(Ifc& f, const std::vector<std::string_view>& a) {
  if (a.size() < 3 || a.size() % 2 == 0) return Error(Err::BadArg, "ra6 keyword value ...");
  Ra6Params p = f.ra6;
  for (size_t i = 1; i + 1 < a.size(); i += 2) {
    long long v;
    if (!parse_num(a[i + 1], 0, 0xffffffffLL, &v)) return bad(a[i], a[i + 1]);
    std::string_view k = a[i];
    if (k == "recvra")
      p.recvra = v != 0;
    else if (k == "sendra")
      p.sendra = v != 0;
    else if (k == "mflag")
      p.mflag = v != 0;
    else if (k == "oflag")
      p.oflag = v != 0;
    else if (k == "maxraint")
      p.maxraint = int(v);
    else if (k == "minraint")
      p.minraint = int(v);
    else if (k == "linkmtu")
      p.linkmtu = uint32_t(v);
    else if (k == "reachtime")
      p.reachtime = uint32_t(v);
    else if (k == "rxmitra")
      p.rxmitra = uint32_t(v);
    else if (k == "ttl") {
      if (v > 255) return bad("ttl", a[i + 1]);
      p.ttl = uint8_t(v);
    } else if (k == "routerlt")
      p.routerlt = uint32_t(v);
    else
      return Error(Err::BadCtl, "ra6 " + std::string(k));
  }
  // RFC 4861 section 6.2.1: 4 s <= MaxRtrAdvInterval <= 1800 s and
  // 3 s <= MinRtrAdvInterval <= 0.75 * MaxRtrAdvInterval.
  if (p.maxraint < 4000 || p.maxraint > 1800000) return bad("maxraint", "out of range");
  if (p.minraint < 3000 || p.minraint > p.maxraint * 3 / 4) return bad("minraint", "out of range");
  bool start_send = p.sendra && !f.ra6.sendra;
  bool start_recv = p.recvra && !f.ra6.recvra;
  f.ra6 = p;
  if (start_send) {
    f.initial_ras = 3;
    f.next_ra = clock.now();
    join_group(f, *Ipaddr::parse("ff02::2"));  // all-routers
  }
  if (start_recv && f.bound()) send_rs(f);
  return {};
}

void Ip::update_forwarding() {
  bool any = false;
  for (auto& f : ifcs_)
    if (f->inuse && f->iprouting) any = true;
  stats.Forwarding = any ? 1 : 2;
}

}  // namespace ninet

namespace ninet {

namespace {

// The routes an address brings, in the order lifc_attach adds them (as Plan
// 9 does, the self addresses appear in iproute too, with the u and b flags):
//   v4: net/mask 4i, local/32 4u, directed broadcast/32 4b, the old-style
//       all-zeros broadcast (net)/32 4b, 255.255.255.255/32 4b
//   v6: net/len 6i (if on-link), local/128 6u
//   p2p: remote/32 4p instead of the net route.
std::vector<Route> lifc_routes(int ifc, const Lifc& l) {
  bool v4 = l.local.is_v4();
  uint32_t fam = v4 ? route::kV4 : route::kV6;
  Ipaddr host = v4 ? Ipaddr::mask_v4(32) : Ipaddr::mask_v6(128);
  std::vector<Route> rs;
  if (l.p2p) {
    rs.push_back({l.remote, host, l.local, fam | route::kIfc | route::kP2p, "ifc", ifc});
  } else if (l.mask.prefix_len(v4) != (v4 ? 32 : 128)) {
    if (v4 || l.onlink) rs.push_back({l.net, l.mask, l.local, fam | route::kIfc, "ifc", ifc});
  }
  rs.push_back({l.local, host, l.local, fam | route::kUnicast, "ifc", ifc});
  if (v4) {
    if (!l.p2p && l.mask.prefix_len(true) < 31) {
      rs.push_back({l.net | ~l.mask, host, l.local, fam | route::kBcast, "ifc", ifc});
      rs.push_back({l.net, host, l.local, fam | route::kBcast, "ifc", ifc});
    }
    rs.push_back({kIpv4Bcast, host, l.local, fam | route::kBcast, "ifc", ifc});
  }
  return rs;
}

}  // namespace

int Ip::gate_ifc(const Ipaddr& gate) const {
  const Route* via = routes.lookup(gate);
  return via && (via->flags & route::kIfc) ? via->ifc : -1;
}

// A gateway route added without an interface keeps the number of the
// interface that reached its gateway when it was added; that interface may
// since have lost the network, or been unbound and its number given to
// another. Plan 9 checks a route's cached interface against the interface's
// id on use; here the numbers are recomputed when addresses change, which
// keeps the per-packet path to one lookup.
void Ip::resolve_gateways() {
  routes.update_ifcs([&](const Route& r) { return r.via_gate ? gate_ifc(r.gate) : r.ifc; });
}

// An address's routes (lifc_routes) and self entries; for IPv6 the
// multicast groups ff02::1 and the solicited-node group of local are joined
// (self entries with m).
void Ip::lifc_attach(Ifc& f, const Lifc& l) {
  bool v4 = l.local.is_v4();
  uint32_t fam = v4 ? route::kV4 : route::kV6;
  for (const Route& r : lifc_routes(f.index, l))
    (void)routes.add(r);
  resolve_gateways();
  self_add(l.local, fam | route::kUnicast);
  if (v4) {
    if (!l.p2p && l.mask.prefix_len(true) < 31) {
      self_add(l.net | ~l.mask, fam | route::kBcast);
      self_add(l.net, fam | route::kBcast);
    }
    self_add(kIpv4Bcast, fam | route::kBcast);
    if (f.ether() && !l.p2p) {
      // ip(3): when an address is configured onto an Ethernet, an ARP
      // request is sent to help update the table on other systems.
      send_arp_request(f, l.local, l.local);
    }
  } else {
    Ipaddr all = *Ipaddr::parse("ff02::1");
    join_group(f, all);
    join_group(f, solicited_node(l.local));
    if (f.ether() && !l.tentative) {
      // RFC 4861 section 7.2.6: announce the new address (unsolicited NA).
      send_na(f, all, l.local, Mac::multicast_v6(all), false, true);
    }
    if (l.local.is_v6_linklocal() && f.ra6.recvra) send_rs(f);
  }
}

// l is no longer in f.lifcs (or is about to be replaced there).
void Ip::lifc_detach(Ifc& f, const Lifc& l) {
  bool v4 = l.local.is_v4();
  // Several addresses can bring a route with the same target and mask (two
  // addresses in one network, every IPv4 address's 255.255.255.255): as
  // Plan 9 counts references to interface routes, the route stays while
  // another address brings it, now as that address's.
  std::vector<Route> mine = lifc_routes(f.index, l);
  for (const Route& r : mine)
    (void)routes.remove(r.target, r.mask);
  for (auto& g : ifcs_) {
    if (!g->bound()) continue;
    for (const Lifc& o : g->lifcs) {
      if (g.get() == &f && o.local == l.local) continue;
      for (const Route& r : lifc_routes(g->index, o))
        for (const Route& m : mine)
          if (r.target == m.target && r.mask == m.mask) (void)routes.add(r);
    }
  }
  self_remove(l.local);
  if (v4) {
    if (!l.p2p && l.mask.prefix_len(true) < 31) {
      self_remove(l.net | ~l.mask);
      self_remove(l.net);
    }
    self_remove(kIpv4Bcast);
  } else {
    Ipaddr sn = solicited_node(l.local);
    bool still = false;
    for (const Lifc& o : f.lifcs)
      if (!o.local.is_v4() && solicited_node(o.local) == sn) still = true;
    if (!still) {
      std::erase(f.groups, sn);
      if (f.ether()) (void)f.medium->rem_multi(Mac::multicast_v6(sn));
    }
  }
  resolve_gateways();
}

}  // namespace ninet
