// route.h — the route table of one stack: IPv4 and IPv6 longest-prefix match,
// with entries as ip(3)'s iproute shows them.
//
//   RouteTable t;
//   t.add({.target = net, .mask = Ipaddr::mask_v4(24), .gate = gw, .flags = route::kV4,
//          .tag = "none", .ifc = -1});
//   const Route* r = t.lookup(dst);     // nullptr: no route
//   r = t.lookup_v4(0x0a010203);         // the same for 10.1.2.3, inline
//   t.remove(net, mask);
//
// Lookup is the per-packet operation and must stay fast with a million IPv4
// and 200k IPv6 prefixes; add/remove happen under the stack lock from ctl
// writes, and update the lookup structures in place, with work bounded by
// the prefix changed rather than by the table (route.cc says how much). A
// target is stored masked (target & mask). Adding an existing target/mask
// replaces the entry (ip(3)).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/ipaddr.h"

namespace ninet {

namespace route {
// ip(3) flags, printed in this order: "4" or "6", then i b u m p.
constexpr uint32_t kV4 = 1, kV6 = 2, kIfc = 4, kBcast = 8, kUnicast = 16, kMcast = 32, kP2p = 64;
// "4i", "6u", ...
std::string flags_str(uint32_t flags);
}  // namespace route

struct Route {
  Ipaddr target;  // stored as target & mask
  Ipaddr mask;    // v4 masks are v4-mapped (see ipaddr.h)
  Ipaddr gate;    // next hop; for interface routes the interface's address
  uint32_t flags = 0;
  std::string tag = "none";  // up to 4 characters
  int ifc = -1;              // interface number, -1 if not known yet
  // The interface is the one whose network holds gate, found again whenever
  // addresses change (Ip::resolve_gateways), rather than one named at add.
  bool via_gate = false;
};

namespace route::dir16 {
// The IPv4 DIR-16-8-8 table (route.cc) as RouteTable::lookup_v4 reads it. A
// slot holds a route's index, kNone, or kChild | the number of a 256-slot node.
constexpr uint32_t kChild = 0x80000000u;
constexpr uint32_t kNone = 0x7fffffffu;  // no route longer than /0: the default answers
struct View {
  const uint32_t* l1 = nullptr;  // 65536 slots, never null
  const uint32_t* nodes = nullptr;
  const Route* routes = nullptr;  // by index; they do not move (route.cc)
  const Route* dflt = nullptr;    // the 0.0.0.0/0 route, if any
  uint32_t find(uint32_t a) const {
    uint32_t v = l1[a >> 16];
    if (!(v & kChild)) return v;
    v = nodes[(v & ~kChild) * 256 + ((a >> 8) & 0xff)];
    if (!(v & kChild)) return v;
    return nodes[(v & ~kChild) * 256 + (a & 0xff)];
  }
  const Route* route(uint32_t r) const { return r == kNone ? dflt : routes + r; }
};
}  // namespace route::dir16

class RouteTable {
 public:
  RouteTable();
  ~RouteTable();
  RouteTable(const RouteTable&) = delete;
  RouteTable& operator=(const RouteTable&) = delete;

  // Adds or replaces (same target & mask). Fails with BadMask for a
  // non-contiguous mask or one whose family differs from the target's.
  Status add(const Route& r);
  // Removes the entry with this target (masked) and mask; NoSuchEntry if none.
  Status remove(const Ipaddr& target, const Ipaddr& mask);
  // Removes every entry for which pred is true (all if pred is empty).
  void flush(const std::function<bool(const Route&)>& pred = {});

  // Longest-prefix match; v4-mapped destinations search the IPv4 table.
  // The pointer is valid until the next add/remove/flush. Inline for IPv4.
  const Route* lookup(const Ipaddr& dst) const {
    return dst.is_v4() ? lookup_v4(dst.v4()) : lookup_v6(dst);
  }

  // The IPv4 fast path: lookup(Ipaddr::v4(dst)) for a host-order address,
  // inline so that a caller's independent lookups overlap their cache misses
  // (BENCHMARKS.md, section 1). Two or three dependent loads; the structure
  // is kept up to date by every change, so a lookup never builds anything.
  const Route* lookup_v4(uint32_t dst) const { return v4_.route(v4_.find(dst)); }
  // out[i] = lookup_v4(dst[i]) for i < n, each level's loads issued for the
  // whole batch before the next level's (as rte_lpm_lookup_bulk does).
  void lookup_v4_bulk(const uint32_t* dst, const Route** out, size_t n) const;
  const Route* lookup_v6(const Ipaddr& dst) const;  // dst not v4-mapped

  // Sets each entry's interface number to fn(entry); the lookup structures
  // stay valid (they do not depend on ifc). fn may call lookup.
  void update_ifcs(const std::function<int(const Route&)>& fn);

  // Every entry, IPv4 first, each family ordered by target then prefix length.
  std::vector<Route> list() const;
  size_t size() const;
  // Bytes held by the lookup structures and the entries, with the pages
  // the structures have not given back yet.
  size_t memory_bytes() const;
  // Bytes the lookup structures use: the IPv4 first level and nodes in use,
  // and the IPv6 hash tables; not the entries and their indexes.
  size_t lookup_bytes() const;

 private:
  // After a change: the arrays the fast path reads may have moved.
  void sync_v4_view();

  struct Impl;
  std::unique_ptr<Impl> impl_;
  route::dir16::View v4_;
};

}  // namespace ninet
