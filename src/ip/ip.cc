// ip.cc — Ip: construction, interfaces, the self table, protocols, and the
// tables rendered as ip(3) text (iproute, arp, ipselftab, ipifc status/stats).
#include "ip/ip.h"

#include <cstdio>

#include "base/checksum.h"

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
    : clock(clock), pool(pool), reasm(pool), factory_(std::move(factory)) {
  stats.Forwarding = 2;  // ip(3): 0 and 2 mean forwarding off; 1 on
  stats.DefaultTTL = kDefaultTtl;
}

Ip::~Ip() {
  for (auto& f : ifcs_)
    if (f->medium) f->medium->close();
}

Result<Ifc*> Ip::ifc_clone() {
  for (auto& f : ifcs_) {
    if (!f->inuse && !f->bound() && f->refs == 0) {
      int idx = f->index;
      f = std::make_unique<Ifc>(idx);
      f->inuse = true;
      return f.get();
    }
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
  if (f.refs == 0 && !f.bound()) f.inuse = false;
}

void Ip::add_proto(std::unique_ptr<Proto> p) {
  by_number_[p->ipproto] = p.get();
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
  for (auto& [a, e] : self_) {
    // ip(3): "the IPv4 route flag will never be set".
    std::string fl = route::flags_str(e.flags & ~route::kV4);
    std::snprintf(buf, sizeof buf, "%-40s %2d %-4s\n", a.str().c_str(), e.count, fl.c_str());
    s += buf;
  }
  return s;
}

// ---- Text of the tables ----

std::string Ip::route_text() const {
  std::string s;
  char buf[256];
  for (const Route& r : routes.list()) {
    std::string ifc = r.ifc >= 0 ? std::to_string(r.ifc) : "-";
    std::snprintf(buf, sizeof buf, "%-15s %-15s %-15s %-4s %-4s %s\n", r.target.str().c_str(),
                  r.mask.mask_str().c_str(), r.gate.str().c_str(),
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
  auto counters = [&](std::string& out) {
    std::snprintf(buf, sizeof buf, " %llu %llu %llu %llu\n", (unsigned long long)f.stats.in,
                  (unsigned long long)f.stats.out, (unsigned long long)f.stats.in_errors,
                  (unsigned long long)f.stats.out_errors);
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
    std::snprintf(buf, sizeof buf, " %s %s %s", l.local.str().c_str(), l.mask.mask_str().c_str(),
                  l.remote.str().c_str());
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
                  l.mask.mask_str().c_str(), l.remote.str().c_str(), flags.c_str(), left(l.validlt),
                  left(l.preflt));
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
