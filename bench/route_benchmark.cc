// route_benchmark — ninet's RouteTable (src/ip/route.h: IPv4 DIR-16-8-8,
// IPv6 binary search on prefix lengths) against DPDK's rte_lpm (DIR-24-8) and
// rte_lpm6 in the same binary, on the same tables and destinations.
//
//   ./build-bench/bench/route_benchmark --benchmark_repetitions=5 \
//       --benchmark_report_aggregates_only=true
//
// Tables: 1,000,000 distinct IPv4 prefixes (mostly /24, then /16-/23, a few
// /8-/15 and /25-/32) and 200,000 distinct IPv6 prefixes (mostly /32-/48,
// some /56 and /64) drawn with a fixed seed. Destinations: 16M IPv4 and 4M
// IPv6 addresses generated up front, half inside an inserted prefix and half
// random, walked in order so every lookup lands somewhere new in tables far
// larger than the caches.
//
// Each prefix's index is its next hop: rte_lpm is given it (24-bit next
// hops), ninet keeps it in Route::ifc. Before anything is timed, 100,000
// destinations and the edges of 100,000 prefixes are looked up in both and
// the program aborts if the answers differ.
//
// ninet's IPv4 fast path (RouteTable::lookup_v4, inline, and lookup_v4_bulk)
// must also give lookup()'s answer on the same probes, with or without DPDK.
//
// Benchmarks (counters: lookups_per_s, time_per_lookup, bytes; CPU time):
//   v4_lookup/{ninet,ninet_v4,rte_lpm}  independent lookups, one call each
//                                       (ninet: lookup(Ipaddr), ninet_v4: lookup_v4)
//   v4_lookup_nexthop/{ninet,ninet_v4}  the same, reading the Route returned
//   v4_lookup_bulk64/{ninet,rte_lpm}    lookup_v4_bulk / rte_lpm_lookup_bulk, 64 at a time
//   v4_latency/{ninet,ninet_v4,rte_lpm} each lookup depends on the one before
//   v4_build/{ninet,rte_lpm}            empty table -> all prefixes -> first lookup
//   v4_changes/{ninet,rte_lpm}          100,000 changes to the full table (a removal, an
//                                       add, ...), each after a batch of 64 lookups:
//                                       changes/s, and the longest lookups+change step
//                                       (the longest a packet waits); see "route changes"
//   v6_... the same with rte_lpm6 (bulk: rte_lpm6_lookup_bulk_func); ninet
//   has no IPv6 fast path or batch lookup.
//
// Route changes only (skips the lookups; the IPv4 table setup still builds
// rte_lpm, 1-3 min):
//   ./build-bench/bench/route_benchmark --benchmark_filter='_changes/'

#include <benchmark/benchmark.h>

#include <malloc.h>
#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ip/route.h"

#ifdef NINET_HAVE_DPDK
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_malloc.h>
#endif

namespace ninet {
namespace {

constexpr size_t kV4Prefixes = 1'000'000;
constexpr size_t kV6Prefixes = 200'000;
constexpr size_t kV4Dsts = size_t(16) << 20;
constexpr size_t kV6Dsts = size_t(4) << 20;           // 64 MiB, as for IPv4
[[maybe_unused]] constexpr size_t kVerify = 100'000;  // with DPDK only
constexpr size_t kChunk = 64;                         // lookups per benchmark iteration

using Addr6 = std::array<uint8_t, 16>;

struct Prefix4 {
  uint32_t addr;  // host order, masked
  int len;
};
struct Prefix6 {
  Addr6 addr;  // masked
  int len;
};

// splitmix64: fixed seed, same tables in every run.
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint32_t below(uint32_t n) { return uint32_t((next() >> 32) * n >> 32); }
};

struct LenShare {
  int len;
  int per_mille;
};

// Roughly the shape of a full BGP table: /24 dominates, /16-/23 follow.
constexpr LenShare kV4Mix[] = {
    {8, 1},   {10, 1},  {12, 1},  {14, 1},   {15, 1},   {16, 25},  {17, 15}, {18, 20},
    {19, 30}, {20, 45}, {21, 50}, {22, 110}, {23, 100}, {24, 580}, {25, 4},  {26, 4},
    {27, 3},  {28, 3},  {29, 2},  {30, 2},   {31, 1},   {32, 1},
};
// /48 dominates, then /32 and the nibble lengths between; some /56 and /64.
constexpr LenShare kV6Mix[] = {
    {32, 120}, {33, 10}, {34, 10}, {35, 10}, {36, 40}, {38, 20},  {40, 70}, {41, 10},
    {42, 20},  {44, 80}, {45, 20}, {46, 30}, {47, 30}, {48, 450}, {56, 50}, {64, 30},
};
// IPv6 prefixes come from a few /12 blocks (2001::/16 lies in 2000::/12), as
// RIR allocations do; a uniformly random 128-bit space would be unrealistic.
constexpr uint16_t kV6Blocks[] = {0x200, 0x240, 0x260, 0x280, 0x2a0, 0x2c0};

int pick_len(Rng& rng, std::span<const LenShare> mix) {
  int total = 0;
  for (auto& m : mix)
    total += m.per_mille;
  int x = int(rng.below(uint32_t(total)));
  for (auto& m : mix) {
    if (x < m.per_mille) return m.len;
    x -= m.per_mille;
  }
  return mix.back().len;
}

uint32_t mask4(int len) {
  return len == 0 ? 0 : ~0u << (32 - len);
}

Addr6 mask6(const Addr6& a, int len) {
  Addr6 m{};
  for (int i = 0; i < 16; i++) {
    int bits = std::clamp(len - 8 * i, 0, 8);
    m[size_t(i)] = uint8_t(a[size_t(i)] & uint8_t(0xff00 >> bits));
  }
  return m;
}

Addr6 random6(Rng& rng) {
  Addr6 a;
  uint64_t hi = rng.next(), lo = rng.next();
  uint16_t block = kV6Blocks[rng.below(std::size(kV6Blocks))];
  hi = (uint64_t(block) << 52) | (hi & ((1ull << 52) - 1));
  for (int i = 0; i < 8; i++) {
    a[size_t(i)] = uint8_t(hi >> (56 - 8 * i));
    a[size_t(8 + i)] = uint8_t(lo >> (56 - 8 * i));
  }
  return a;
}

uint64_t key4(const Prefix4& x) {
  return uint64_t(x.addr) << 8 | uint64_t(x.len);
}

std::string key6(const Prefix6& x) {
  std::string key(reinterpret_cast<const char*>(x.addr.data()), x.addr.size());
  return key + char(x.len);
}

// n distinct prefixes of the mix, none of them in avoid.
std::vector<Prefix4> make_v4_prefixes(Rng& rng, size_t n = kV4Prefixes,
                                      const std::vector<Prefix4>& avoid = {}) {
  std::vector<Prefix4> v;
  std::unordered_set<uint64_t> seen;
  for (const Prefix4& x : avoid)
    seen.insert(key4(x));
  while (v.size() < n) {
    int len = pick_len(rng, kV4Mix);
    uint32_t a = (1 + rng.below(223)) << 24 | (uint32_t(rng.next()) & 0xffffff);  // 1-223.x.x.x
    a &= mask4(len);
    if (seen.insert(uint64_t(a) << 8 | uint64_t(len)).second) v.push_back({a, len});
  }
  return v;
}

std::vector<Prefix6> make_v6_prefixes(Rng& rng, size_t n = kV6Prefixes,
                                      const std::vector<Prefix6>& avoid = {}) {
  std::vector<Prefix6> v;
  std::unordered_set<std::string> seen;
  for (const Prefix6& x : avoid)
    seen.insert(key6(x));
  while (v.size() < n) {
    int len = pick_len(rng, kV6Mix);
    Prefix6 x{mask6(random6(rng), len), len};
    if (seen.insert(key6(x)).second) v.push_back(x);
  }
  return v;
}

// Half inside a random inserted prefix (random host bits), half random.
std::vector<uint32_t> make_v4_dsts(Rng& rng, const std::vector<Prefix4>& p) {
  std::vector<uint32_t> d(kV4Dsts);
  for (auto& a : d) {
    uint32_t r = uint32_t(rng.next());
    if (rng.next() & 1) {
      const Prefix4& x = p[rng.below(uint32_t(p.size()))];
      a = x.addr | (r & ~mask4(x.len));
    } else {
      a = r;
    }
  }
  return d;
}

std::vector<Addr6> make_v6_dsts(Rng& rng, const std::vector<Prefix6>& p) {
  std::vector<Addr6> d(kV6Dsts);
  for (auto& a : d) {
    Addr6 r = random6(rng);
    if (rng.next() & 1) {
      const Prefix6& x = p[rng.below(uint32_t(p.size()))];
      Addr6 host = r;
      a = mask6(x.addr, x.len);
      Addr6 net = mask6(host, x.len);
      for (size_t i = 0; i < 16; i++)
        a[i] |= uint8_t(host[i] ^ net[i]);
    } else {
      a = r;
    }
  }
  return d;
}

// CPU time of this thread: on a shared machine, time spent descheduled is
// not the table's cost (Google Benchmark reports CPU time for the same reason).
double thread_cpu_s() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// ---- ninet ----

// The 256-slot nodes a DIR-16-8-8 table (route.cc) needs for these prefixes:
// one under each /16 holding a longer prefix, one under each such /24. With
// the 65536-slot first level, the least its lookup structure can take.
size_t dir16_min_bytes(const std::vector<Prefix4>& p) {
  std::unordered_set<uint32_t> l2, l3;
  for (auto& x : p) {
    if (x.len > 16) l2.insert(x.addr >> 16);
    if (x.len > 24) l3.insert(x.addr >> 8);
  }
  return (65536 + 256 * (l2.size() + l3.size())) * sizeof(uint32_t);
}

std::vector<Route> ninet_routes(const std::vector<Prefix4>& p) {
  std::vector<Route> v;
  v.reserve(p.size());
  for (size_t i = 0; i < p.size(); i++)
    v.push_back({Ipaddr::v4(p[i].addr), Ipaddr::mask_v4(p[i].len), Ipaddr::v4(0x0a000001),
                 route::kV4, "none", int(i)});
  return v;
}

std::vector<Route> ninet_routes(const std::vector<Prefix6>& p) {
  std::vector<Route> v;
  v.reserve(p.size());
  Ipaddr gate = *Ipaddr::parse("fe80::1");
  for (size_t i = 0; i < p.size(); i++)
    v.push_back(
        {Ipaddr(p[i].addr.data()), Ipaddr::mask_v6(p[i].len), gate, route::kV6, "none", int(i)});
  return v;
}

struct NinetBuild {
  std::unique_ptr<RouteTable> table;
  double add_s = 0;
  // RouteTable's own accounting: the lookup structures (IPv4 levels, IPv6
  // hash tables), and the entries with their indexes.
  size_t entry_bytes = 0, lookup_bytes = 0;
};

// Adds every route (each add updates the lookup structures, route.cc), then
// makes one lookup.
NinetBuild ninet_build(const std::vector<Route>& routes, const Ipaddr& probe) {
  NinetBuild b{std::make_unique<RouteTable>()};
  double t0 = thread_cpu_s();
  for (const Route& r : routes)
    if (!b.table->add(r)) {
      std::fprintf(stderr, "route_benchmark: ninet refused %s\n", r.target.str().c_str());
      std::abort();
    }
  benchmark::DoNotOptimize(b.table->lookup(probe));
  b.add_s = thread_cpu_s() - t0;
  b.lookup_bytes = b.table->lookup_bytes();
  b.entry_bytes = b.table->memory_bytes() - b.lookup_bytes;
  return b;
}

// The next hop ninet answers: the prefix index, or -1 for no route.
int64_t ninet_hop(const RouteTable& t, const Ipaddr& a) {
  const Route* r = t.lookup(a);
  return r ? r->ifc : -1;
}

// Sampled destinations and prefix edges: lookup_v4 and lookup_v4_bulk must
// return lookup()'s very pointer for each, or their figures would time a
// wrong answer.
void verify_v4_fast(const RouteTable& t, const std::vector<uint32_t>& dsts,
                    const std::vector<Prefix4>& p) {
  std::vector<uint32_t> probe;
  Rng rng{78};
  for (size_t i = 0; i < 100'000; i++) {
    probe.push_back(dsts[rng.below(uint32_t(dsts.size()))]);
    const Prefix4& x = p[rng.below(uint32_t(p.size()))];
    uint32_t last = x.addr | ~mask4(x.len);
    probe.insert(probe.end(), {x.addr, last, x.addr - 1, last + 1});
  }
  std::vector<const Route*> bulk(probe.size());
  t.lookup_v4_bulk(probe.data(), bulk.data(), probe.size());
  for (size_t i = 0; i < probe.size(); i++) {
    const Route* want = t.lookup(Ipaddr::v4(probe[i]));
    if (t.lookup_v4(probe[i]) != want || bulk[i] != want) {
      std::fprintf(stderr, "route_benchmark: ninet's IPv4 fast path differs from lookup() for %s\n",
                   Ipaddr::v4(probe[i]).str().c_str());
      std::abort();
    }
  }
  std::fprintf(stderr,
               "route_benchmark: IPv4: ninet lookup_v4 and lookup_v4_bulk agree with lookup() "
               "on %zu addresses\n",
               probe.size());
}

// ---- DPDK ----
#ifdef NINET_HAVE_DPDK

size_t heap_allocated() {
  rte_malloc_socket_stats s{};
  rte_malloc_get_socket_stats(int(rte_socket_id()), &s);
  return s.heap_allocsz_bytes;
}

std::string unique_name(const char* base) {
  static int n = 0;
  return std::string(base) + std::to_string(n++);
}

[[noreturn]] void dpdk_fail(const char* what) {
  std::fprintf(stderr, "route_benchmark: %s: %s\n", what, rte_strerror(rte_errno));
  std::abort();
}

// rte_lpm needs one tbl8 group per /24 holding a longer prefix; giving it
// exactly that (plus a little) keeps its memory figure honest.
uint32_t lpm_tbl8s(const std::vector<Prefix4>& p) {
  std::unordered_set<uint32_t> g;
  for (auto& x : p)
    if (x.len > 24) g.insert(x.addr >> 8);
  return uint32_t(g.size() + g.size() / 100 + 16);
}

// rte_lpm6: a tbl24 then one tbl8 group per further byte; a prefix of
// length d needs a group under each of its first 24, 32, 40, ... bits
// shorter than d.
uint32_t lpm6_tbl8s(const std::vector<Prefix6>& p) {
  std::unordered_set<std::string> g;
  for (auto& x : p)
    for (int l = 24; l < x.len; l += 8) {
      std::string key(reinterpret_cast<const char*>(x.addr.data()), size_t(l / 8));
      g.insert(key);  // the key's length says the level
    }
  return uint32_t(g.size() + g.size() / 100 + 16);
}

struct Lpm4 {
  rte_lpm* lpm = nullptr;
  size_t bytes = 0;
  rte_lpm_config cfg{};
};

Lpm4 lpm4_build(const std::vector<Prefix4>& p, uint32_t tbl8s) {
  Lpm4 l;
  l.cfg.max_rules = uint32_t(p.size());
  l.cfg.number_tbl8s = tbl8s;
  size_t before = heap_allocated();
  l.lpm = rte_lpm_create(unique_name("bench4_").c_str(), int(rte_socket_id()), &l.cfg);
  if (!l.lpm) dpdk_fail("rte_lpm_create");
  for (size_t i = 0; i < p.size(); i++)
    if (rte_lpm_add(l.lpm, p[i].addr, uint8_t(p[i].len), uint32_t(i)) < 0) dpdk_fail("rte_lpm_add");
  l.bytes = heap_allocated() - before;
  return l;
}

struct Lpm6 {
  rte_lpm6* lpm = nullptr;
  size_t bytes = 0;
  rte_lpm6_config cfg{};
};

Lpm6 lpm6_build(const std::vector<Prefix6>& p, uint32_t tbl8s) {
  Lpm6 l;
  l.cfg.max_rules = uint32_t(p.size());
  l.cfg.number_tbl8s = tbl8s;
  size_t before = heap_allocated();
  l.lpm = rte_lpm6_create(unique_name("bench6_").c_str(), int(rte_socket_id()), &l.cfg);
  if (!l.lpm) dpdk_fail("rte_lpm6_create");
  for (size_t i = 0; i < p.size(); i++)
    if (rte_lpm6_add(l.lpm, p[i].addr.data(), uint8_t(p[i].len), uint32_t(i)) < 0)
      dpdk_fail("rte_lpm6_add");
  l.bytes = heap_allocated() - before;
  return l;
}

int64_t lpm_hop(const rte_lpm* l, uint32_t a) {
  uint32_t nh = 0;
  return rte_lpm_lookup(l, a, &nh) == 0 ? int64_t(nh) : -1;
}

int64_t lpm6_hop(const rte_lpm6* l, const Addr6& a) {
  uint32_t nh = 0;
  return rte_lpm6_lookup(l, a.data(), &nh) == 0 ? int64_t(nh) : -1;
}

std::string prefix_str(const std::vector<Prefix4>& p, int64_t i) {
  if (i < 0) return "no route";
  return Ipaddr::v4(p[size_t(i)].addr).str() + "/" + std::to_string(p[size_t(i)].len);
}

std::string prefix_str(const std::vector<Prefix6>& p, int64_t i) {
  if (i < 0) return "no route";
  return Ipaddr(p[size_t(i)].addr.data()).str() + "/" + std::to_string(p[size_t(i)].len);
}

// Sampled destinations, and the first and last address of sampled prefixes
// (for IPv4 also their neighbours outside): every one must get the same
// answer, or the figures below would time a wrong answer. DPDK's bulk
// lookup, timed too, must agree with its single one.
template <typename Dst, typename Pfx, typename Ninet, typename Dpdk, typename Bulk, typename Edges,
          typename Show>
void verify(const char* family, const std::vector<Dst>& dsts, const std::vector<Pfx>& p,
            Ninet ninet, Dpdk dpdk, Bulk bulk, Edges edges, Show show) {
  std::vector<Dst> probe;
  Rng rng{77};
  for (size_t i = 0; i < kVerify; i++)
    probe.push_back(dsts[rng.below(uint32_t(dsts.size()))]);
  for (size_t i = 0; i < kVerify; i++)
    edges(p[rng.below(uint32_t(p.size()))], probe);
  size_t hits = 0;
  for (const Dst& a : probe) {
    int64_t n = ninet(a), d = dpdk(a);
    if (n != d) {
      std::fprintf(stderr, "route_benchmark: %s answers differ for %s: ninet %s, DPDK %s\n", family,
                   show(a).c_str(), prefix_str(p, n).c_str(), prefix_str(p, d).c_str());
      std::abort();
    }
    hits += n >= 0;
  }
  std::vector<int64_t> hops(probe.size());
  for (size_t i = 0; i < probe.size(); i += kChunk)
    bulk(&probe[i], &hops[i], std::min(kChunk, probe.size() - i));
  for (size_t i = 0; i < probe.size(); i++)
    if (hops[i] != dpdk(probe[i])) {
      std::fprintf(stderr, "route_benchmark: %s: DPDK's bulk and single lookups differ for %s\n",
                   family, show(probe[i]).c_str());
      std::abort();
    }
  std::fprintf(stderr, "route_benchmark: %s: ninet and DPDK agree on %zu addresses (%zu routed)\n",
               family, probe.size(), hits);
}

#endif  // NINET_HAVE_DPDK

// ---- route changes: the sequence, and a reference to check tables by ----

// kChanges changes to a full table, alternately the removal of a random
// prefix in it and the add of a random prefix not in it (one of kExtra new
// prefixes of the same mix, or one removed before): the table keeps its
// size and mix, and every add is new (a replacement would be cheaper).
constexpr size_t kChanges = 100'000;
constexpr size_t kExtra = 100'000;

struct Op {
  bool add;
  uint32_t id;  // index into Churn::pool, and the prefix's next hop
};

template <typename Pfx>
struct Churn {
  std::vector<Pfx> pool;     // the table's prefixes (ids 0..n-1), then kExtra more
  std::vector<Op> ops;       // remove, add, remove, ...
  std::vector<bool> before;  // in the table before ops
  std::vector<bool> after;   // and after them
};

template <typename Pfx>
Churn<Pfx> make_churn(const std::vector<Pfx>& table, const std::vector<Pfx>& extra, uint64_t seed) {
  Churn<Pfx> c;
  c.pool = table;
  c.pool.insert(c.pool.end(), extra.begin(), extra.end());
  std::vector<uint32_t> in(table.size()), out(extra.size());
  for (uint32_t i = 0; i < in.size(); i++)
    in[i] = i;
  for (uint32_t i = 0; i < out.size(); i++)
    out[i] = uint32_t(table.size()) + i;
  Rng rng{seed};
  for (size_t i = 0; i < kChanges; i++) {
    bool add = i % 2;
    std::vector<uint32_t>& from = add ? out : in;
    uint32_t k = rng.below(uint32_t(from.size())), id = from[k];
    from[k] = from.back();
    from.pop_back();
    (add ? in : out).push_back(id);
    c.ops.push_back({add, id});
  }
  c.before.assign(c.pool.size(), false);
  for (uint32_t i = 0; i < table.size(); i++)
    c.before[i] = true;
  c.after.assign(c.pool.size(), false);
  for (uint32_t id : in)
    c.after[id] = true;
  return c;
}

std::string show(const Prefix4& x) {
  return Ipaddr::v4(x.addr).str() + "/" + std::to_string(x.len);
}
std::string show(const Prefix6& x) {
  return Ipaddr(x.addr.data()).str() + "/" + std::to_string(x.len);
}
std::string show(uint32_t a) {
  return Ipaddr::v4(a).str();
}
std::string show(const Addr6& a) {
  return Ipaddr(a.data()).str();
}

// The longest prefix among those present, found by brute force over the
// lengths: what every table must answer after the changes.
struct Reference4 {
  std::unordered_map<uint64_t, uint32_t> ids;  // key4 -> id
  explicit Reference4(const Churn<Prefix4>& c, const std::vector<bool>& present) {
    for (uint32_t i = 0; i < c.pool.size(); i++)
      if (present[i]) ids[key4(c.pool[i])] = i;
  }
  int64_t lookup(uint32_t a) const {
    for (int len = 32; len > 0; len--)
      if (auto it = ids.find(key4({a & mask4(len), len})); it != ids.end()) return it->second;
    return -1;
  }
  static void edges(const Prefix4& x, std::vector<uint32_t>& out) {
    uint32_t last = x.addr | ~mask4(x.len);
    out.insert(out.end(), {x.addr, last, x.addr - 1, last + 1});
  }
};

struct Reference6 {
  std::unordered_map<std::string, uint32_t> ids;  // key6 -> id
  std::vector<int> lens;                          // longest first
  explicit Reference6(const Churn<Prefix6>& c, const std::vector<bool>& present) {
    for (uint32_t i = 0; i < c.pool.size(); i++)
      if (present[i]) ids[key6(c.pool[i])] = i;
    for (auto& m : kV6Mix)
      lens.push_back(m.len);
    std::sort(lens.rbegin(), lens.rend());
  }
  int64_t lookup(const Addr6& a) const {
    for (int len : lens)
      if (auto it = ids.find(key6({mask6(a, len), len})); it != ids.end()) return it->second;
    return -1;
  }
  static void edges(const Prefix6& x, std::vector<Addr6>& out) {
    Addr6 last = x.addr;
    for (int i = x.len; i < 128; i++)
      last[size_t(i / 8)] |= uint8_t(0x80 >> (i % 8));
    out.push_back(x.addr);
    out.push_back(last);
  }
};

// Aborts unless answer(a) (an id, or -1) is the reference's for sampled
// destinations and the edges of sampled prefixes present.
template <typename Ref, typename Pfx, typename Dst, typename Answer>
void check_churned(const char* who, const Churn<Pfx>& c, const std::vector<bool>& present,
                   const std::vector<Dst>& dsts, Answer answer) {
  Ref ref(c, present);
  std::vector<Dst> probe;
  Rng rng{79};
  for (size_t i = 0; i < 50'000; i++)
    probe.push_back(dsts[rng.below(uint32_t(dsts.size()))]);
  for (size_t n = 0; n < 25'000;)
    if (uint32_t id = rng.below(uint32_t(c.pool.size())); present[id]) {
      Ref::edges(c.pool[id], probe);
      n++;
    }
  for (const Dst& a : probe)
    if (int64_t want = ref.lookup(a), got = answer(a); want != got) {
      std::fprintf(stderr, "route_benchmark: %s after changes: %s answers %s, not %s\n", who,
                   show(a).c_str(), got < 0 ? "no route" : show(c.pool[size_t(got)]).c_str(),
                   want < 0 ? "no route" : show(c.pool[size_t(want)]).c_str());
      std::abort();
    }
}

// ---- the tables every lookup benchmark shares, built once ----

// Runs f, printing how long it took (setup progress on stderr).
template <typename F>
auto timed(const char* what, F f) {
  double t0 = thread_cpu_s();
  auto r = f();
  std::fprintf(stderr, "route_benchmark: %s: %.2f s CPU\n", what, thread_cpu_s() - t0);
  return r;
}

struct V4World {
  std::vector<Prefix4> prefixes;
  std::vector<uint32_t> dsts;
  std::vector<Route> routes;
  NinetBuild ninet;
  Churn<Prefix4> churn;
#ifdef NINET_HAVE_DPDK
  uint32_t tbl8s = 0;
  Lpm4 lpm;
#endif

  V4World() {
    Rng rng{1};
    prefixes = make_v4_prefixes(rng);
    dsts = make_v4_dsts(rng, prefixes);
    routes = ninet_routes(prefixes);
    Rng extra{11};
    churn = make_churn(prefixes, make_v4_prefixes(extra, kExtra, prefixes), 12);
    ninet = timed("ninet IPv4 build", [&] { return ninet_build(routes, Ipaddr::v4(0)); });
    std::fprintf(
        stderr,
        "route_benchmark: ninet IPv4 lookup structures %.1f MiB (DIR-16-8-8 needs %.1f MiB "
        "for these prefixes, plus 16 bytes per node to update them), entries and index %.1f "
        "MiB\n",
        double(ninet.lookup_bytes) / (1 << 20), double(dir16_min_bytes(prefixes)) / (1 << 20),
        double(ninet.entry_bytes) / (1 << 20));
    verify_v4_fast(*ninet.table, dsts, prefixes);
#ifdef NINET_HAVE_DPDK
    // Groups for every prefix the table holds during the route changes too
    // (about 2,000 more than the prefixes at the start need).
    tbl8s = lpm_tbl8s(churn.pool);
    lpm = timed("rte_lpm build", [&] { return lpm4_build(prefixes, tbl8s); });
    std::fprintf(stderr, "route_benchmark: rte_lpm %.1f MiB (max_rules %u, number_tbl8s %u)\n",
                 double(lpm.bytes) / (1 << 20), lpm.cfg.max_rules, lpm.cfg.number_tbl8s);
    const RouteTable& t = *ninet.table;
    const rte_lpm* l = lpm.lpm;
    verify(
        "IPv4", dsts, prefixes, [&](uint32_t a) { return ninet_hop(t, Ipaddr::v4(a)); },
        [&](uint32_t a) { return lpm_hop(l, a); },
        [&](const uint32_t* a, int64_t* out, size_t n) {
          uint32_t h[kChunk];
          rte_lpm_lookup_bulk(l, a, h, unsigned(n));
          for (size_t i = 0; i < n; i++)
            out[i] = h[i] & RTE_LPM_LOOKUP_SUCCESS ? int64_t(h[i] & 0xffffff) : -1;
        },
        [](const Prefix4& x, std::vector<uint32_t>& out) {
          uint32_t last = x.addr | ~mask4(x.len);
          out.insert(out.end(), {x.addr, last, x.addr - 1, last + 1});
        },
        [](uint32_t a) { return Ipaddr::v4(a).str(); });
#endif
  }
  static V4World& get() {
    static V4World w;
    return w;
  }
};

struct V6World {
  std::vector<Prefix6> prefixes;
  std::vector<Addr6> dsts;
  std::vector<Route> routes;
  NinetBuild ninet;
  Churn<Prefix6> churn;
#ifdef NINET_HAVE_DPDK
  uint32_t tbl8s = 0;
  Lpm6 lpm;
#endif

  V6World() {
    Rng rng{2};
    prefixes = make_v6_prefixes(rng);
    dsts = make_v6_dsts(rng, prefixes);
    routes = ninet_routes(prefixes);
    Rng extra{21};
    churn = make_churn(prefixes, make_v6_prefixes(extra, kExtra, prefixes), 22);
    ninet =
        timed("ninet IPv6 build", [&] { return ninet_build(routes, *Ipaddr::parse("2001::1")); });
    std::fprintf(stderr,
                 "route_benchmark: ninet IPv6 lookup structures %.1f MiB, entries and index %.1f "
                 "MiB\n",
                 double(ninet.lookup_bytes) / (1 << 20), double(ninet.entry_bytes) / (1 << 20));
#ifdef NINET_HAVE_DPDK
    tbl8s = lpm6_tbl8s(prefixes);
    lpm = timed("rte_lpm6 build", [&] { return lpm6_build(prefixes, tbl8s); });
    std::fprintf(stderr, "route_benchmark: rte_lpm6 %.1f MiB (max_rules %u, number_tbl8s %u)\n",
                 double(lpm.bytes) / (1 << 20), lpm.cfg.max_rules, lpm.cfg.number_tbl8s);
    const RouteTable& t = *ninet.table;
    const rte_lpm6* l = lpm.lpm;
    verify(
        "IPv6", dsts, prefixes, [&](const Addr6& a) { return ninet_hop(t, Ipaddr(a.data())); },
        [&](const Addr6& a) { return lpm6_hop(l, a); },
        [&](const Addr6* a, int64_t* out, size_t n) {
          int32_t h[kChunk];
          std::vector<Addr6> ips(a, a + n);  // the API takes a mutable array
          rte_lpm6_lookup_bulk_func(l, reinterpret_cast<uint8_t(*)[16]>(ips.data()), h,
                                    unsigned(n));
          for (size_t i = 0; i < n; i++)
            out[i] = h[i];
        },
        [&](const Prefix6& x, std::vector<Addr6>& out) {
          Addr6 last = x.addr;
          for (int i = x.len; i < 128; i++)
            last[size_t(i / 8)] |= uint8_t(0x80 >> (i % 8));
          out.push_back(x.addr);
          out.push_back(last);
        },
        [](const Addr6& a) { return Ipaddr(a.data()).str(); });
#endif
  }
  static V6World& get() {
    static V6World w;
    return w;
  }
};

// ---- benchmark bodies ----

benchmark::Counter bytes_counter(size_t b) {
  return benchmark::Counter(double(b), benchmark::Counter::kDefaults, benchmark::Counter::kIs1024);
}

void lookup_counters(benchmark::State& st, size_t bytes) {
  double n = double(st.iterations() * kChunk);
  st.counters["lookups_per_s"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
  // Seconds per lookup, shown with an SI prefix ("35.2ns").
  st.counters["time_per_lookup"] =
      benchmark::Counter(n, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  st.counters["bytes"] = bytes_counter(bytes);
}

// Runs body(pos) over consecutive chunks of kChunk destinations from pos;
// body returns something derived from every answer so none can be skipped.
template <typename Body>
void lookup_loop(benchmark::State& st, size_t n, size_t bytes, Body body) {
  size_t pos = 0;
  uint64_t sink = 0;
  for (auto _ : st) {
    sink += body(pos);
    pos += kChunk;
    if (pos + kChunk > n) pos = 0;
  }
  benchmark::DoNotOptimize(sink);
  lookup_counters(st, bytes);
}

// Independent lookups, one answer(dst) call each: misses can overlap.
template <typename Dst, typename Answer>
void independent(benchmark::State& st, const std::vector<Dst>& dsts, size_t bytes, Answer answer) {
  lookup_loop(st, dsts.size(), bytes, [&](size_t pos) {
    uint64_t s = 0;
    for (size_t i = 0; i < kChunk; i++)
      s += uint64_t(answer(dsts[pos + i]));
    return s;
  });
}

void perturb(uint32_t& a, uint64_t c) {
  a ^= uint32_t(c);
}
void perturb(Addr6& a, uint64_t c) {
  a[15] ^= uint8_t(c);
}

// Dependent lookups: each destination is xor-ed with (previous answer &
// zero), a zero the compiler cannot see through, so one lookup's misses
// cannot start before the last one's end. Destinations are unchanged.
template <typename Dst, typename Answer>
void dependent(benchmark::State& st, const std::vector<Dst>& dsts, size_t bytes, Answer answer) {
  uint64_t zero = 0;
  benchmark::DoNotOptimize(zero);
  lookup_loop(st, dsts.size(), bytes, [&](size_t pos) {
    uint64_t carry = 0;
    for (size_t i = 0; i < kChunk; i++) {
      Dst a = dsts[pos + i];
      perturb(a, carry);
      carry = uint64_t(answer(a)) & zero;
    }
    return carry;
  });
}

// ninet's answer is the Route pointer (what lookup() gives a caller).
auto ninet4(const RouteTable& t) {
  return [&t](uint32_t a) { return uintptr_t(t.lookup(Ipaddr::v4(a))); };
}
auto ninet4_fast(const RouteTable& t) {
  return [&t](uint32_t a) { return uintptr_t(t.lookup_v4(a)); };
}
auto ninet6(const RouteTable& t) {
  return [&t](const Addr6& a) { return uintptr_t(t.lookup(Ipaddr(a.data()))); };
}

void v4_lookup_ninet(benchmark::State& st) {
  V4World& w = V4World::get();
  independent(st, w.dsts, w.ninet.table->memory_bytes(), ninet4(*w.ninet.table));
}

void v4_lookup_nexthop_ninet(benchmark::State& st) {
  V4World& w = V4World::get();
  const RouteTable& t = *w.ninet.table;
  independent(st, w.dsts, t.memory_bytes(),
              [&](uint32_t a) { return ninet_hop(t, Ipaddr::v4(a)); });
}

void v4_latency_ninet(benchmark::State& st) {
  V4World& w = V4World::get();
  dependent(st, w.dsts, w.ninet.table->memory_bytes(), ninet4(*w.ninet.table));
}

void v4_lookup_ninet_fast(benchmark::State& st) {
  V4World& w = V4World::get();
  independent(st, w.dsts, w.ninet.table->memory_bytes(), ninet4_fast(*w.ninet.table));
}

void v4_lookup_nexthop_ninet_fast(benchmark::State& st) {
  V4World& w = V4World::get();
  const RouteTable& t = *w.ninet.table;
  independent(st, w.dsts, t.memory_bytes(), [&](uint32_t a) {
    const Route* r = t.lookup_v4(a);
    return r ? int64_t(r->ifc) : -1;
  });
}

void v4_latency_ninet_fast(benchmark::State& st) {
  V4World& w = V4World::get();
  dependent(st, w.dsts, w.ninet.table->memory_bytes(), ninet4_fast(*w.ninet.table));
}

void v4_lookup_bulk_ninet(benchmark::State& st) {
  V4World& w = V4World::get();
  const RouteTable& t = *w.ninet.table;
  lookup_loop(st, w.dsts.size(), t.memory_bytes(), [&](size_t pos) {
    const Route* out[kChunk];
    t.lookup_v4_bulk(&w.dsts[pos], out, kChunk);
    uint64_t s = 0;
    for (const Route* r : out)
      s += uintptr_t(r);
    return s;
  });
}

void v6_lookup_ninet(benchmark::State& st) {
  V6World& w = V6World::get();
  independent(st, w.dsts, w.ninet.table->memory_bytes(), ninet6(*w.ninet.table));
}

void v6_lookup_nexthop_ninet(benchmark::State& st) {
  V6World& w = V6World::get();
  const RouteTable& t = *w.ninet.table;
  independent(st, w.dsts, t.memory_bytes(),
              [&](const Addr6& a) { return ninet_hop(t, Ipaddr(a.data())); });
}

void v6_latency_ninet(benchmark::State& st) {
  V6World& w = V6World::get();
  dependent(st, w.dsts, w.ninet.table->memory_bytes(), ninet6(*w.ninet.table));
}

void build_ninet(benchmark::State& st, const std::vector<Route>& routes, const Ipaddr& probe) {
  double add_s = 0;
  size_t bytes = 0, entry_bytes = 0, lookup_bytes = 0;
  for (auto _ : st) {
    NinetBuild b = ninet_build(routes, probe);
    st.PauseTiming();
    add_s += b.add_s;
    bytes = b.table->memory_bytes();
    entry_bytes = b.entry_bytes;
    lookup_bytes = b.lookup_bytes;
    b.table.reset();
    st.ResumeTiming();
  }
  double n = double(st.iterations());
  st.counters["add_ms"] = add_s * 1e3 / n;
  st.counters["bytes"] = bytes_counter(bytes);
  st.counters["entry_bytes"] = bytes_counter(entry_bytes);
  st.counters["lookup_bytes"] = bytes_counter(lookup_bytes);
  st.counters["prefixes"] = double(routes.size());
}

void v4_build_ninet(benchmark::State& st) {
  build_ninet(st, V4World::get().routes, Ipaddr::v4(0));
}

void v6_build_ninet(benchmark::State& st) {
  build_ninet(st, V6World::get().routes, *Ipaddr::parse("2001::1"));
}

#ifdef NINET_HAVE_DPDK

// DPDK's answer: next hop and return code, as a caller would test them.
auto lpm4(const rte_lpm* l) {
  return [l](uint32_t a) {
    uint32_t nh = 0;
    int ret = rte_lpm_lookup(l, a, &nh);
    return nh ^ uint32_t(ret);
  };
}
auto lpm6(const rte_lpm6* l) {
  return [l](const Addr6& a) {
    uint32_t nh = 0;
    int ret = rte_lpm6_lookup(l, a.data(), &nh);
    return nh ^ uint32_t(ret);
  };
}

void v4_lookup_lpm(benchmark::State& st) {
  V4World& w = V4World::get();
  independent(st, w.dsts, w.lpm.bytes, lpm4(w.lpm.lpm));
}

void v4_latency_lpm(benchmark::State& st) {
  V4World& w = V4World::get();
  dependent(st, w.dsts, w.lpm.bytes, lpm4(w.lpm.lpm));
}

void v4_lookup_bulk_lpm(benchmark::State& st) {
  V4World& w = V4World::get();
  const rte_lpm* l = w.lpm.lpm;
  lookup_loop(st, w.dsts.size(), w.lpm.bytes, [&](size_t pos) {
    uint32_t hops[kChunk];
    rte_lpm_lookup_bulk(l, &w.dsts[pos], hops, kChunk);
    uint64_t s = 0;
    for (uint32_t h : hops)
      s += h;
    return s;
  });
}

void v6_lookup_lpm(benchmark::State& st) {
  V6World& w = V6World::get();
  independent(st, w.dsts, w.lpm.bytes, lpm6(w.lpm.lpm));
}

void v6_latency_lpm(benchmark::State& st) {
  V6World& w = V6World::get();
  dependent(st, w.dsts, w.lpm.bytes, lpm6(w.lpm.lpm));
}

void v6_lookup_bulk_lpm(benchmark::State& st) {
  V6World& w = V6World::get();
  const rte_lpm6* l = w.lpm.lpm;
  lookup_loop(st, w.dsts.size(), w.lpm.bytes, [&](size_t pos) {
    int32_t hops[kChunk];
    // The API takes a non-const array; it only reads it.
    auto* ips = reinterpret_cast<uint8_t(*)[16]>(w.dsts[pos].data());
    rte_lpm6_lookup_bulk_func(l, ips, hops, kChunk);
    uint64_t s = 0;
    for (int32_t h : hops)
      s += uint32_t(h);
    return s;
  });
}

template <typename Lpm, typename Build, typename Free>
void build_dpdk(benchmark::State& st, size_t prefixes, Build build, Free free_lpm) {
  size_t bytes = 0;
  for (auto _ : st) {
    Lpm l = build();
    st.PauseTiming();
    bytes = l.bytes;
    free_lpm(l.lpm);
    st.ResumeTiming();
  }
  st.counters["bytes"] = bytes_counter(bytes);
  st.counters["prefixes"] = double(prefixes);
}

void v4_build_lpm(benchmark::State& st) {
  V4World& w = V4World::get();
  build_dpdk<Lpm4>(
      st, w.prefixes.size(), [&] { return lpm4_build(w.prefixes, w.tbl8s); }, rte_lpm_free);
}

void v6_build_lpm(benchmark::State& st) {
  V6World& w = V6World::get();
  build_dpdk<Lpm6>(
      st, w.prefixes.size(), [&] { return lpm6_build(w.prefixes, w.tbl8s); }, rte_lpm6_free);
}

#endif  // NINET_HAVE_DPDK

// ---- route changes, under lookups ----
//
// A forwarder's loop under the stack lock: a batch of kChunk lookups, then
// one change of the sequence (Churn), timed together as one step: the
// longest step is the longest a packet could wait for a change. The
// sequence is replayed kReplays times, undone (untimed) after each, so
// every replay starts from the same table: a step's cost is taken as the
// least over the replays, so that a step slowed by another tenant taking
// the CPU in one replay does not count as a stall (wall time per step; the
// machine is shared). The table is checked against a brute-force reference
// after the first replay's changes and after the last undo.

using Clock = std::chrono::steady_clock;

struct Replays {
  std::vector<uint32_t> step, change;  // per op, ns: the least over replays
  std::vector<double> rate, longest;   // per replay: changes/s, the longest step (ns)
};

template <typename Apply, typename Batch, typename Check>
Replays replay(benchmark::State& st, const std::vector<Op>& ops, int replays, Apply apply,
               Batch batch, Check check) {
  Replays r;
  r.step.assign(ops.size(), UINT32_MAX);
  r.change.assign(ops.size(), UINT32_MAX);
  auto ns = [](Clock::time_point a, Clock::time_point b) {
    return uint32_t(std::min<int64_t>(std::chrono::nanoseconds(b - a).count(), UINT32_MAX));
  };
  uint64_t sink = 0;
  for (int k = 0; k < replays; k++) {
    uint64_t total = 0;
    uint32_t longest = 0;
    for (size_t i = 0; i < ops.size(); i++) {
      Clock::time_point t0 = Clock::now();
      sink += batch(i);
      Clock::time_point t1 = Clock::now();
      apply(ops[i].add, ops[i].id);
      Clock::time_point t2 = Clock::now();
      uint32_t c = ns(t1, t2), s = ns(t0, t2);
      total += c;
      longest = std::max(longest, s);
      r.step[i] = std::min(r.step[i], s);
      r.change[i] = std::min(r.change[i], c);
    }
    r.rate.push_back(double(ops.size()) / (double(total) * 1e-9));
    r.longest.push_back(double(longest));
    st.PauseTiming();
    if (k == 0) check(true);
    for (size_t i = ops.size(); i-- > 0;)
      apply(!ops[i].add, ops[i].id);
    st.ResumeTiming();
  }
  check(false);
  benchmark::DoNotOptimize(sink);
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Counters, and the five longest steps on stderr with what they changed.
template <typename Pfx>
void change_counters(benchmark::State& st, const char* who, const Churn<Pfx>& c, const Replays& r) {
  std::vector<uint32_t> sorted = r.step;
  std::sort(sorted.begin(), sorted.end());
  auto at = [&](double q) { return double(sorted[size_t(q * double(sorted.size() - 1))]) * 1e-3; };
  double least_total = 0;
  for (uint32_t x : r.change)
    least_total += x;
  st.counters["changes_per_s"] = median(r.rate);
  st.counters["changes_per_s_least"] = double(r.change.size()) / (least_total * 1e-9);
  st.counters["stall_us"] = median(r.longest) * 1e-3;  // the longest step of a replay
  st.counters["stall_least_us"] = at(1.0);             // the longest step, each at its least
  st.counters["stall_least_p9999_us"] = at(0.9999);
  st.counters["stall_least_p999_us"] = at(0.999);
  st.counters["step_least_median_us"] = at(0.5);
  st.counters["change_least_max_us"] = *std::max_element(r.change.begin(), r.change.end()) * 1e-3;
  st.counters["replays"] = double(r.rate.size());
  std::vector<size_t> worst(r.step.size());
  for (size_t i = 0; i < worst.size(); i++)
    worst[i] = i;
  std::partial_sort(worst.begin(), worst.begin() + 5, worst.end(),
                    [&](size_t a, size_t b) { return r.step[a] > r.step[b]; });
  std::fprintf(stderr, "route_benchmark: %s: longest steps (least of %zu replays):", who,
               r.rate.size());
  for (size_t i = 0; i < 5; i++) {
    const Op& op = c.ops[worst[i]];
    std::fprintf(stderr, " %.1f us (%s %s, change %.1f us)", r.step[worst[i]] * 1e-3,
                 op.add ? "add" : "remove", show(c.pool[op.id]).c_str(), r.change[worst[i]] * 1e-3);
  }
  std::fprintf(stderr, "\n");
}

constexpr int kReplays = 5;     // ninet
constexpr int kReplaysLpm = 3;  // rte_lpm: a replay and its undo take minutes

template <typename Dst>
size_t batch_pos(size_t i, const std::vector<Dst>& dsts) {
  return i * kChunk % (dsts.size() - kChunk);
}

void v4_changes_ninet(benchmark::State& st) {
  V4World& w = V4World::get();
  const Churn<Prefix4>& c = w.churn;
  RouteTable& t = *w.ninet.table;
  Ipaddr gate = Ipaddr::v4(0x0a000001);
  auto apply = [&](bool add, uint32_t id) {
    const Prefix4& x = c.pool[id];
    bool ok =
        add ? t.add({Ipaddr::v4(x.addr), Ipaddr::mask_v4(x.len), gate, route::kV4, "none", int(id)})
                  .ok()
            : t.remove(Ipaddr::v4(x.addr), Ipaddr::mask_v4(x.len)).ok();
    if (!ok) std::abort();
  };
  auto batch = [&](size_t i) {
    const Route* out[kChunk];
    t.lookup_v4_bulk(&w.dsts[batch_pos(i, w.dsts)], out, kChunk);
    uint64_t s = 0;
    for (const Route* r : out)
      s += uintptr_t(r);
    return s;
  };
  auto check = [&](bool changed) {
    check_churned<Reference4>("ninet IPv4", c, changed ? c.after : c.before, w.dsts,
                              [&](uint32_t a) { return ninet_hop(t, Ipaddr::v4(a)); });
  };
  for (auto _ : st) {
    Replays r = replay(st, c.ops, kReplays, apply, batch, check);
    change_counters(st, "ninet IPv4", c, r);
  }
  st.counters["bytes"] = bytes_counter(t.memory_bytes());
}

void v6_changes_ninet(benchmark::State& st) {
  V6World& w = V6World::get();
  const Churn<Prefix6>& c = w.churn;
  RouteTable& t = *w.ninet.table;
  Ipaddr gate = *Ipaddr::parse("fe80::1");
  auto apply = [&](bool add, uint32_t id) {
    const Prefix6& x = c.pool[id];
    Ipaddr a(x.addr.data());
    bool ok = add ? t.add({a, Ipaddr::mask_v6(x.len), gate, route::kV6, "none", int(id)}).ok()
                  : t.remove(a, Ipaddr::mask_v6(x.len)).ok();
    if (!ok) std::abort();
  };
  auto batch = [&](size_t i) {
    uint64_t s = 0;
    for (size_t k = batch_pos(i, w.dsts), e = k + kChunk; k < e; k++)
      s += uintptr_t(t.lookup_v6(Ipaddr(w.dsts[k].data())));
    return s;
  };
  auto check = [&](bool changed) {
    check_churned<Reference6>("ninet IPv6", c, changed ? c.after : c.before, w.dsts,
                              [&](const Addr6& a) { return ninet_hop(t, Ipaddr(a.data())); });
  };
  for (auto _ : st) {
    Replays r = replay(st, c.ops, kReplays, apply, batch, check);
    change_counters(st, "ninet IPv6", c, r);
  }
  st.counters["bytes"] = bytes_counter(t.memory_bytes());
}

#ifdef NINET_HAVE_DPDK

void v4_changes_lpm(benchmark::State& st) {
  V4World& w = V4World::get();
  const Churn<Prefix4>& c = w.churn;
  rte_lpm* l = w.lpm.lpm;
  auto apply = [&](bool add, uint32_t id) {
    const Prefix4& x = c.pool[id];
    int ret = add ? rte_lpm_add(l, x.addr, uint8_t(x.len), id)
                  : rte_lpm_delete(l, x.addr, uint8_t(x.len));
    if (ret < 0) dpdk_fail(add ? "rte_lpm_add" : "rte_lpm_delete");
  };
  auto batch = [&](size_t i) {
    uint32_t hops[kChunk];
    rte_lpm_lookup_bulk(l, &w.dsts[batch_pos(i, w.dsts)], hops, kChunk);
    uint64_t s = 0;
    for (uint32_t h : hops)
      s += h;
    return s;
  };
  auto check = [&](bool changed) {
    check_churned<Reference4>("rte_lpm", c, changed ? c.after : c.before, w.dsts,
                              [&](uint32_t a) { return lpm_hop(l, a); });
  };
  for (auto _ : st) {
    Replays r = replay(st, c.ops, kReplaysLpm, apply, batch, check);
    change_counters(st, "rte_lpm", c, r);
  }
  st.counters["bytes"] = bytes_counter(w.lpm.bytes);
}

void v6_changes_lpm(benchmark::State& st) {
  V6World& w = V6World::get();
  const Churn<Prefix6>& c = w.churn;
  // A table of its own (built in 2 s), with groups for every prefix it will hold.
  Lpm6 own = lpm6_build(w.prefixes, lpm6_tbl8s(c.pool));
  rte_lpm6* l = own.lpm;
  auto apply = [&](bool add, uint32_t id) {
    const Prefix6& x = c.pool[id];
    int ret = add ? rte_lpm6_add(l, x.addr.data(), uint8_t(x.len), id)
                  : rte_lpm6_delete(l, x.addr.data(), uint8_t(x.len));
    if (ret < 0) dpdk_fail(add ? "rte_lpm6_add" : "rte_lpm6_delete");
  };
  auto batch = [&](size_t i) {
    int32_t hops[kChunk];
    auto* ips = reinterpret_cast<uint8_t(*)[16]>(w.dsts[batch_pos(i, w.dsts)].data());
    rte_lpm6_lookup_bulk_func(l, ips, hops, kChunk);
    uint64_t s = 0;
    for (int32_t h : hops)
      s += uint32_t(h);
    return s;
  };
  auto check = [&](bool changed) {
    check_churned<Reference6>("rte_lpm6", c, changed ? c.after : c.before, w.dsts,
                              [&](const Addr6& a) { return lpm6_hop(l, a); });
  };
  for (auto _ : st) {
    Replays r = replay(st, c.ops, kReplaysLpm, apply, batch, check);
    change_counters(st, "rte_lpm6", c, r);
  }
  st.counters["bytes"] = bytes_counter(own.bytes);
  rte_lpm6_free(l);
}

#endif  // NINET_HAVE_DPDK

void register_all() {
  using Fn = void (*)(benchmark::State&);
  enum Kind { kLookup, kBuild, kChanging };
  struct Entry {
    const char* name;
    Fn fn;
    Kind kind;
  };
  const Entry entries[] = {
      {"v4_lookup/ninet", v4_lookup_ninet, kLookup},
      {"v4_lookup/ninet_v4", v4_lookup_ninet_fast, kLookup},
#ifdef NINET_HAVE_DPDK
      {"v4_lookup/rte_lpm", v4_lookup_lpm, kLookup},
#endif
      {"v4_lookup_bulk64/ninet", v4_lookup_bulk_ninet, kLookup},
#ifdef NINET_HAVE_DPDK
      {"v4_lookup_bulk64/rte_lpm", v4_lookup_bulk_lpm, kLookup},
#endif
      {"v4_lookup_nexthop/ninet", v4_lookup_nexthop_ninet, kLookup},
      {"v4_lookup_nexthop/ninet_v4", v4_lookup_nexthop_ninet_fast, kLookup},
      {"v4_latency/ninet", v4_latency_ninet, kLookup},
      {"v4_latency/ninet_v4", v4_latency_ninet_fast, kLookup},
#ifdef NINET_HAVE_DPDK
      {"v4_latency/rte_lpm", v4_latency_lpm, kLookup},
#endif
      {"v4_build/ninet", v4_build_ninet, kBuild},
#ifdef NINET_HAVE_DPDK
      {"v4_build/rte_lpm", v4_build_lpm, kBuild},
#endif
      {"v4_changes/ninet", v4_changes_ninet, kChanging},
#ifdef NINET_HAVE_DPDK
      {"v4_changes/rte_lpm", v4_changes_lpm, kChanging},
#endif
      {"v6_lookup/ninet", v6_lookup_ninet, kLookup},
#ifdef NINET_HAVE_DPDK
      {"v6_lookup/rte_lpm6", v6_lookup_lpm, kLookup},
      {"v6_lookup_bulk64/rte_lpm6", v6_lookup_bulk_lpm, kLookup},
#endif
      {"v6_lookup_nexthop/ninet", v6_lookup_nexthop_ninet, kLookup},
      {"v6_latency/ninet", v6_latency_ninet, kLookup},
#ifdef NINET_HAVE_DPDK
      {"v6_latency/rte_lpm6", v6_latency_lpm, kLookup},
#endif
      {"v6_build/ninet", v6_build_ninet, kBuild},
#ifdef NINET_HAVE_DPDK
      {"v6_build/rte_lpm6", v6_build_lpm, kBuild},
#endif
      {"v6_changes/ninet", v6_changes_ninet, kChanging},
#ifdef NINET_HAVE_DPDK
      {"v6_changes/rte_lpm6", v6_changes_lpm, kChanging},
#endif
  };
  for (const Entry& e : entries) {
    auto* b = benchmark::RegisterBenchmark(e.name, e.fn);
    // One build is a million adds, and rte_lpm's take minutes (its rule
    // table is searched linearly per depth): builds run 3 times, not 5.
    // Route changes replay their sequence themselves (kReplays), once.
    if (e.kind == kBuild)
      b->Iterations(1)->Repetitions(3)->Unit(benchmark::kMillisecond);
    else if (e.kind == kChanging)
      b->Iterations(1)->Repetitions(1)->Unit(benchmark::kMillisecond);
    else
      b->Unit(benchmark::kNanosecond);
  }
}

}  // namespace
}  // namespace ninet

int main(int argc, char** argv) {
  // Keep freed memory in the process, faulted in: DPDK's heap is one mapping
  // made at rte_eal_init and reused after rte_lpm_free, so without this every
  // ninet build would pay the page faults (costly in a VM) that only the
  // first DPDK build pays. Both first (cold) builds are printed at setup.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
#ifdef NINET_HAVE_DPDK
  // No hugepages, no devices, no telemetry socket, no shared runtime files
  // (so runs cannot collide), one lcore: only the LPM libraries are used.
  std::string args =
      "route_benchmark -l 0 --no-huge --no-pci -m 2048 --no-telemetry --no-shconf "
      "--log-level=error";
  std::vector<char*> eal_argv;
  for (char* t = std::strtok(args.data(), " "); t; t = std::strtok(nullptr, " "))
    eal_argv.push_back(t);
  if (rte_eal_init(int(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "route_benchmark: rte_eal_init: %s\n", rte_strerror(rte_errno));
    return 1;
  }
#else
  std::fprintf(stderr, "route_benchmark: built without DPDK: no rte_lpm baseline\n");
#endif
  ninet::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
#ifdef NINET_HAVE_DPDK
  rte_eal_cleanup();
#endif
  return 0;
}
