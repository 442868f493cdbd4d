// ip.cc — Ip: construction, interfaces, the self table, protocols, and the
// tables rendered as ip(3) text (iproute, arp, ipselftab, ipifc status/stats).
#include "ip/ip.h"

#include <algorithm>

#include <cstdio>

#include "base/checksum.h"
#include "base/fields.h"

namespace ninet {

// ---- Ifc helpers ----

const Lifc* Ifc::first(bool v4) const {
  for (const Lifc& l : lifcs)
    if (l.local.is_v4() == v4 && !l.tentative) return &l;
  return nullptr;
}

const Lifc* Ifc::on_net(const Ipaddr& a) const {
  for (const Lifc& l : lifcs) {
    if (l.tentative || l.local.is_v4() != a.is_v4()) continue;
    if ((a & l.mask) == l.net) return &l;
    if (l.p2p && a == l.remote) return &l;
  }
  return nullptr;
}

Lifc* Ifc::find(const Ipaddr& local) {
  for (Lifc& l : lifcs)
    if (l.local == local) return &l;
  return nullptr;
}

bool Ifc::has_group(const Ipaddr& g) const {
  for (const Ipaddr& x : groups)
    if (x == g) return true;
  return false;
}

// ---- Ip ----

Ip::Ip(Clock& clock, Pool& pool, MediumFactory factory)
    : clock(clock), pool(pool), arp(timers), reasm(pool, timers), factory_(std::move(factory)) {
  stats.Forwarding = 2;  // ip(3): 0 and 2 mean forwarding off; 1 on
  stats.DefaultTTL = kDefaultTtl;
  start_timers();
}

Ip::~Ip() {
  for (auto& f : ifcs_)
    if (f->medium) f->medium->close();
}

Result<Ifc*> Ip::ifc_clone() {
  // The lowest free number, as Plan 9's ipifc clone.
  while (!free_ifcs_.empty()) {
    int idx = *free_ifcs_.begin();
    free_ifcs_.erase(free_ifcs_.begin());
    auto& f = ifcs_[size_t(idx)];
    if (f->inuse || f->bound() || f->refs != 0) continue;  // taken again since
    f = std::make_unique<Ifc>(idx);
    f->inuse = true;
    return f.get();
  }
  if (ifcs_.size() >= size_t(kMaxIfcs)) return Err::NoFree;
  ifcs_.push_back(std::make_unique<Ifc>(int(ifcs_.size())));
  ifcs_.back()->inuse = true;
  return ifcs_.back().get();
}

Ifc* Ip::ifc(int index) {
  if (index < 0 || size_t(index) >= ifcs_.size()) return nullptr;
  Ifc* f = ifcs_[size_t(index)].get();
  return f->inuse ? f : nullptr;
}

void Ip::ifc_release(Ifc& f) {
  if (f.refs == 0 && !f.bound() && f.inuse) {
    f.inuse = false;
    free_ifcs_.insert(f.index);
  }
}

void Ip::hangup_all() {
  for (auto& p : protos_)
    for (auto& c : p->convs) {
      c->hungup = true;
      c->state = c->state == ConvState::kAnnounced ? ConvState::kIdle : c->state;
      c->cv.notify_all();
    }
  for (auto& f : ifcs_)
    if (f->medium && f->medium->caps.user_data) f->medium->close();
  log.shutdown();
}

void Ip::add_proto(std::unique_ptr<Proto> p) {
  if (!p->raw()) by_number_[p->ipproto] = p.get();
  protos_.push_back(std::move(p));
}

Proto* Ip::proto(std::string_view name) const {
  for (auto& p : protos_)
    if (p->name == name) return p.get();
  return nullptr;
}

// ---- Self table ----

void Ip::self_add(const Ipaddr& a, uint32_t flags) {
  SelfEntry& e = self_[a];
  e.count++;
  e.flags |= flags;
}

void Ip::self_remove(const Ipaddr& a) {
  auto it = self_.find(a);
  if (it == self_.end()) return;
  if (--it->second.count <= 0) self_.erase(it);
}

const SelfEntry* Ip::self(const Ipaddr& a) const {
  auto it = self_.find(a);
  return it == self_.end() ? nullptr : &it->second;
}

bool Ip::is_self(const Ipaddr& a) const {
  return self_.count(a) != 0;
}

std::string Ip::selftab_text() const {
  std::string s;
  char buf[128];
  // In address order, as a read of the file always lists them.
  std::vector<std::pair<Ipaddr, const SelfEntry*>> all;
  all.reserve(self_.size());
  for (auto& [a, e] : self_)
    all.emplace_back(a, &e);
  std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  for (auto& [a, ep] : all) {
    const SelfEntry& e = *ep;
    // ip(3): "the IPv4 route flag will never be set".
    std::string fl = route::flags_str(e.flags & ~route::kV4);
    std::snprintf(buf, sizeof buf, "%-40s %2d %-4s\n", a.str().c_str(), e.count, fl.c_str());
    s += buf;
  }
  return s;
}

// ---- Writes of iproute and arp ----

// ip(3) iproute: flush, tag string, add target mask nexthop [ifc],
// remove target mask, route target.
Status Ip::route_ctl(std::string_view msg, std::string& tag) {
  auto a = ctl_fields(msg);
  if (a.empty()) return Error(Err::BadCtl, "empty route message");
  if (a[0] == "flush") {
    // Every route but the interfaces' own (those go with `remove` on the
    // interface); `flush tag` only the routes with that tag.
    if (a.size() > 2) return Error(Err::BadArg, "flush [tag]");
    std::string only = a.size() == 2 ? std::string(a[1]) : "";
    routes.flush([&](const Route& r) {
      if (r.tag == "ifc" && (r.flags & (route::kIfc | route::kUnicast | route::kBcast)))
        return false;
      return only.empty() || r.tag == only;
    });
    return {};
  }
  if (a[0] == "tag") {
    if (a.size() != 2 || a[1].size() > 4) return Error(Err::BadArg, "tag: up to 4 characters");
    tag = std::string(a[1]);
    return {};
  }
  if (a[0] == "add") {
    if (a.size() < 4 || a.size() > 5) return Error(Err::BadArg, "add target mask nexthop [ifc]");
    auto t = Ipaddr::parse(a[1]);
    if (!t) return t.error();
    auto m = Ipaddr::parse_mask(a[2], t->is_v4());
    if (!m) return m.error();
    auto g = Ipaddr::parse(a[3]);
    if (!g) return g.error();
    if (g->is_v4() != t->is_v4()) return Error(Err::BadIp, "nexthop of another family");
    Route r;
    r.target = *t & *m;
    r.mask = *m;
    r.gate = *g;
    r.flags = t->is_v4() ? route::kV4 : route::kV6;
    if (t->is_multicast()) r.flags |= route::kMcast;
    r.tag = tag.empty() ? "none" : tag;
    r.ifc = -1;
    if (a.size() == 5) {
      auto n = parse_int(a[4], 0, INT32_MAX);
      if (!n) return Error(Err::BadArg, "ifc " + std::string(a[4]));
      if (!ifc(int(*n))) return Error(Err::NoDevice, "ifc " + std::string(a[4]));
      r.ifc = int(*n);
    } else {
      r.via_gate = true;
      r.ifc = gate_ifc(*g);
    }
    return routes.add(r);
  }
  if (a[0] == "remove" || a[0] == "delete") {
    if (a.size() != 3) return Error(Err::BadArg, "remove target mask");
    auto t = Ipaddr::parse(a[1]);
    if (!t) return t.error();
    auto m = Ipaddr::parse_mask(a[2], t->is_v4());
    if (!m) return m.error();
    return routes.remove(*t & *m, *m);
  }
  if (a[0] == "route") {
    // ip(3) prints on the console; ninet's console is the log.
    if (a.size() != 2) return Error(Err::BadArg, "route target");
    auto t = Ipaddr::parse(a[1]);
    if (!t) return t.error();
    const Route* r = routes.lookup(*t);
    if (!r) {
      log.print("route " + t->str() + ": no route");
      return Error(Err::NoRoute, t->str());
    }
    log.print("route " + t->str() + ": " + r->target.str() + " " +
              r->mask.mask_str(r->target.is_v4()) + " " + r->gate.str() + " " +
              route::flags_str(r->flags) + " " + r->tag + " " +
              (r->ifc >= 0 ? std::to_string(r->ifc) : "-"));
    return {};
  }
  return Error(Err::BadCtl, std::string(a[0]));
}

// ip(3) arp: flush, add [type] ip mac, del ip.
Status Ip::arp_ctl(std::string_view msg) {
  auto a = ctl_fields(msg);
  if (a.empty()) return Error(Err::BadCtl, "empty arp message");
  if (a[0] == "flush") {
    arp.flush();
    return {};
  }
  if (a[0] == "add") {
    size_t i = 1;
    if (a.size() == 4) {
      if (a[1] != "ether") return Error(Err::BadMedium, std::string(a[1]));
      i = 2;
    }
    if (a.size() - i != 2) return Error(Err::BadArg, "add [type] ip mac");
    auto ipa = Ipaddr::parse(a[i]);
    if (!ipa) return ipa.error();
    auto mac = Mac::parse(a[i + 1]);
    if (!mac) return mac.error();
    const Route* r = routes.lookup(*ipa);
    int n = r ? r->ifc : -1;
    Batch ready = arp.add(*ipa, *mac, n, clock.now());
    if (Ifc* f = ifc(n); f && f->ether()) {
      bool v6 = !ipa->is_v4();
      for (BlockPtr& b : ready) {
        ether_push(*f, *b, *mac, v6 ? 0x86dd : 0x0800);
        queue_frame(*f, std::move(b));
      }
      flush();
    }
    return {};
  }
  if (a[0] == "del" || a[0] == "delete") {
    if (a.size() != 2) return Error(Err::BadArg, "del ip");
    auto ipa = Ipaddr::parse(a[1]);
    if (!ipa) return ipa.error();
    return arp.del(*ipa);
  }
  return Error(Err::BadCtl, std::string(a[0]));
}

// ---- Text of the tables ----

std::string Ip::route_text() const {
  std::string s;
  char buf[256];
  for (const Route& r : routes.list()) {
    std::string ifc = r.ifc >= 0 ? std::to_string(r.ifc) : "-";
    std::snprintf(buf, sizeof buf, "%-15s %-15s %-15s %-4s %-4s %s\n", r.target.str().c_str(),
                  r.mask.mask_str(r.target.is_v4()).c_str(), r.gate.str().c_str(),
                  route::flags_str(r.flags).c_str(), r.tag.c_str(), ifc.c_str());
    s += buf;
  }
  return s;
}

std::string Ip::arp_text() const {
  std::string s;
  char buf[160];
  for (const ArpEntryInfo& e : arp.entries()) {
    std::snprintf(buf, sizeof buf, "ether %-4s %-40s %s\n", e.ok ? "OK" : "WAIT",
                  e.ip.str().c_str(), e.ok ? e.mac.str().c_str() : "000000000000");
    s += buf;
  }
  return s;
}

std::string Ip::ifc_status(const Ifc& f) const {
  // ip(3): first line "device mtu local mask remote pktin pktout errin errout",
  // each further address on its own line without device and mtu.
  std::string s;
  char buf[256];
  std::string dev = f.bound() ? f.dev : "unbound";
  std::snprintf(buf, sizeof buf, "%-10s %5d", dev.c_str(), f.mtu);
  s += buf;
  // Errors count the IP layer's and the medium's (frames its ring or device
  // lost: MediumStats), so a loss anywhere on the interface shows here.
  uint64_t errin = f.stats.in_errors, errout = f.stats.out_errors;
  if (f.medium) {
    errin += f.medium->stats().in_errors;
    errout += f.medium->stats().out_errors;
  }
  auto counters = [&](std::string& out) {
    std::snprintf(buf, sizeof buf, " %llu %llu %llu %llu\n", (unsigned long long)f.stats.in,
                  (unsigned long long)f.stats.out, (unsigned long long)errin,
                  (unsigned long long)errout);
    out += buf;
  };
  if (f.lifcs.empty()) {
    s += " - - -";
    counters(s);
    return s;
  }
  bool firstline = true;
  for (const Lifc& l : f.lifcs) {
    if (!firstline) s += "\t";
    std::snprintf(buf, sizeof buf, " %s %s %s", l.local.str().c_str(),
                  l.mask.mask_str(l.local.is_v4()).c_str(), l.remote.str().c_str());
    s += buf;
    counters(s);
    firstline = false;
  }
  return s;
}

std::string Ip::ifc_local(const Ifc& f) const {
  // One line per address: local, mask, remote, flags (tentative, proxy,
  // onlink/auto for v6) and the lifetimes left, in seconds (~0: infinite).
  std::string s;
  char buf[256];
  Time now = clock.now();
  for (const Lifc& l : f.lifcs) {
    auto left = [&](uint32_t lt) -> long long {
      if (lt == 0xffffffff) return -1;
      long long gone = (now - l.origin) / sec(1);
      return lt > gone ? lt - gone : 0;
    };
    std::string flags;
    if (l.tentative) flags += "tentative ";
    if (l.proxy) flags += "proxy ";
    if (!l.local.is_v4()) {
      if (l.onlink) flags += "onlink ";
      if (l.autoflag) flags += "auto ";
    }
    if (flags.empty()) flags = "- ";
    flags.pop_back();
    std::snprintf(buf, sizeof buf, "%s %s %s %s %lld %lld\n", l.local.str().c_str(),
                  l.mask.mask_str(l.local.is_v4()).c_str(), l.remote.str().c_str(), flags.c_str(),
                  left(l.validlt), left(l.preflt));
    s += buf;
  }
  return s;
}

std::string Ip::ipifc_stats() const {
  std::string s;
  IpStats st = stats;
  st.ReasmTimeout = reasm.stats().timeouts;
  st.ReasmReqds = reasm.stats().reqds;
  st.ReasmOKs = reasm.stats().oks;
  st.ReasmFails = reasm.stats().fails;
#define X(name) s += #name ": " + std::to_string(st.name) + "\n";
  NINET_IP_STATS(X)
#undef X
  return s;
}

}  // namespace ninet
