// route.cc — the route table's lookup structures.
//
// Both families keep the authoritative entries in one vector (plus a map from
// (target, mask) to position) and build their lookup structure from it
// lazily: a modification marks the family dirty and the next lookup rebuilds.
// A burst of ctl writes (a routing daemon loading a million prefixes) costs
// one build, and lookups between builds touch only immutable arrays. The cost
// is a rebuild per modification when modifications and lookups interleave:
// a few milliseconds for small tables, about a second at a million prefixes
// (see BENCHMARKS.md); incremental updates are future work.
//
// IPv4: DIR-16-8-8, a multibit trie with a 65536-entry first level and
// 256-entry nodes below it, leaf-pushed (every slot holds the answer), built
// by painting prefixes in order of increasing length, into exactly the nodes
// the prefixes need (counted first). A lookup is two or three dependent loads,
// inline in route.h (RouteTable::lookup_v4) over a view of the arrays that is
// cleared when the table goes stale.
//
// IPv6: binary search on prefix lengths (Waldvogel et al., SIGCOMM 1997): one
// hash table per distinct length, holding the prefixes of that length and
// "markers" that guide the search to longer lengths, each entry carrying its
// best matching prefix. A lookup is about log2(distinct lengths) probes, and
// memory stays proportional to the number of prefixes, unlike multibit tries
// whose nodes a sparse 128-bit space leaves mostly empty.
#include "ip/route.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <tuple>
#include <unordered_map>

#include "base/endian.h"

namespace ninet {

std::string route::flags_str(uint32_t f) {
  std::string s;
  if (f & kV4) s += '4';
  if (f & kV6) s += '6';
  if (f & kIfc) s += 'i';
  if (f & kBcast) s += 'b';
  if (f & kUnicast) s += 'u';
  if (f & kMcast) s += 'm';
  if (f & kP2p) s += 'p';
  return s;
}

namespace {

constexpr uint32_t kNone = 0xffffffffu;  // IPv6 tables: no route

// ---- IPv4 DIR-16-8-8 ----
// Slots as route.h's dir16::View reads them: kChild set means a node number,
// so a lookup tests one bit per level.
using route::dir16::kChild;
constexpr uint32_t kNone4 = route::dir16::kNone;

class V4Table {
 public:
  void build(const std::vector<Route>& routes) {
    std::vector<std::pair<int, uint32_t>> order;  // (len, index)
    for (uint32_t i = 0; i < routes.size(); i++)
      if (routes[i].target.is_v4()) order.push_back({routes[i].mask.prefix_len(true), i});
    std::stable_sort(order.begin(), order.end());
    if (order.empty()) {  // no IPv4 routes: the shared empty level, no memory of our own
      l1_ = {};
      nodes_ = {};
      return;
    }
    l1_.assign(1u << 16, kNone4);
    // Exactly the nodes the prefixes need, allocated once: growing by
    // doubling left up to half of nodes_ unused (BENCHMARKS.md, section 1).
    nodes_ = {};
    nodes_.reserve(count_nodes(routes, order) * 256);
    for (auto [len, i] : order)
      paint(routes[i].target.v4(), len, i);
  }

  route::dir16::View view() const {
    static const std::vector<uint32_t> no_routes(1u << 16, kNone4);
    return {l1_.empty() ? no_routes.data() : l1_.data(), nodes_.data(), nullptr};
  }

  size_t bytes() const { return (l1_.capacity() + nodes_.capacity()) * sizeof(uint32_t); }

 private:
  // One node under each /16 that holds a longer prefix, one under each such
  // /24: a bit per /16 and per /24 (2 MiB while building).
  static size_t count_nodes(const std::vector<Route>& routes,
                            const std::vector<std::pair<int, uint32_t>>& order) {
    std::vector<uint64_t> l2(1u << 10), l3(1u << 18);
    size_t n = 0;
    auto set = [&n](std::vector<uint64_t>& bits, uint32_t i) {
      uint64_t b = 1ull << (i & 63);
      if (!(bits[i >> 6] & b)) n++;
      bits[i >> 6] |= b;
    };
    for (auto [len, i] : order) {
      uint32_t a = routes[i].target.v4();
      if (len > 16) set(l2, a >> 16);
      if (len > 24) set(l3, a >> 8);
    }
    return n;
  }

  uint32_t new_node(uint32_t fill) {
    assert(nodes_.size() + 256 <= nodes_.capacity());
    uint32_t n = uint32_t(nodes_.size() / 256);
    nodes_.resize(nodes_.size() + 256, fill);
    return n;
  }

  // Paints route r over every slot its prefix covers. Prefixes come in order
  // of increasing length, so a later (longer) one always wins.
  void paint(uint32_t a, int len, uint32_t r) {
    if (len <= 16) {
      uint32_t first = a >> 16, n = 1u << (16 - len);
      for (uint32_t i = first; i < first + n; i++)
        set_all(l1_[i], r);
      return;
    }
    uint32_t n2 = descend(l1_[a >> 16]);
    if (len <= 24) {
      uint32_t first = (a >> 8) & 0xff, n = 1u << (24 - len);
      for (uint32_t i = first; i < first + n; i++)
        set_all(nodes_[n2 * 256 + i], r);
      return;
    }
    uint32_t n3 = descend(nodes_[n2 * 256 + ((a >> 8) & 0xff)]);
    uint32_t first = a & 0xff, n = 1u << (32 - len);
    for (uint32_t i = first; i < first + n; i++)
      nodes_[n3 * 256 + i] = r;
  }

  // The node under slot s, made (filled with the slot's route) if needed.
  // nodes_ never reallocates (build reserves all nodes), so s stays valid.
  uint32_t descend(uint32_t& s) {
    if (s & kChild) return s & ~kChild;
    uint32_t n = new_node(s);
    s = n | kChild;
    return n;
  }

  // Sets a slot (or, if it holds a node, every slot below it) to r.
  void set_all(uint32_t& s, uint32_t r) {
    if (!(s & kChild)) {
      s = r;
      return;
    }
    uint32_t n = s & ~kChild;
    for (uint32_t i = 0; i < 256; i++)
      set_all(nodes_[n * 256 + i], r);
  }

  std::vector<uint32_t> l1_;
  std::vector<uint32_t> nodes_;
};

// ---- IPv6 binary search on prefix lengths ----
struct Key {
  uint64_t hi = 0, lo = 0;
  bool operator==(const Key& o) const { return hi == o.hi && lo == o.lo; }
};

Key key_of(const Ipaddr& a) {
  Key k;
  for (int i = 0; i < 8; i++)
    k.hi = k.hi << 8 | a[size_t(i)];
  for (int i = 8; i < 16; i++)
    k.lo = k.lo << 8 | a[size_t(i)];
  return k;
}

Key masked(Key k, int len) {
  if (len <= 0) return {};
  if (len < 64) return {k.hi & (~0ull << (64 - len)), 0};
  if (len == 64) return {k.hi, 0};
  if (len < 128) return {k.hi, k.lo & (~0ull << (128 - len))};
  return k;
}

// Open addressing, linear probing; keys are unique per table.
class FlatTable {
 public:
  void reset(size_t n) {
    size_t cap = 16;
    while (cap < n * 2)
      cap <<= 1;
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
  }
  // Returns the slot for k (existing or new).
  uint32_t* insert(const Key& k) {
    size_t i = hash(k) & mask_;
    while (slots_[i].used) {
      if (slots_[i].k == k) return &slots_[i].bmp;
      i = (i + 1) & mask_;
    }
    slots_[i].used = true;
    slots_[i].k = k;
    slots_[i].bmp = kNone;
    return &slots_[i].bmp;
  }
  const uint32_t* find(const Key& k) const {
    size_t i = hash(k) & mask_;
    while (slots_[i].used) {
      if (slots_[i].k == k) return &slots_[i].bmp;
      i = (i + 1) & mask_;
    }
    return nullptr;
  }
  size_t bytes() const { return slots_.capacity() * sizeof(Slot); }
  template <typename F>
  void each(F f) {
    for (Slot& s : slots_)
      if (s.used) f(s.k, s.bmp);
  }

 private:
  static size_t hash(const Key& k) {
    uint64_t h =
        k.hi * 0x9e3779b97f4a7c15ull ^ (k.lo + 0x632be59bd9b4e019ull) * 0xc2b2ae3d27d4eb4full;
    return size_t(h ^ (h >> 29));
  }
  struct Slot {
    Key k;
    uint32_t bmp = kNone;
    bool used = false;
  };
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

class V6Table {
 public:
  void build(const std::vector<Route>& routes) {
    lens_.clear();
    tables_.clear();
    std::vector<uint32_t> idx;
    std::vector<int> count(129, 0);
    for (uint32_t i = 0; i < routes.size(); i++) {
      if (routes[i].target.is_v4()) continue;
      idx.push_back(i);
      count[size_t(routes[i].mask.prefix_len(false))]++;
    }
    if (idx.empty()) return;
    for (int l = 0; l <= 128; l++)
      if (count[size_t(l)]) lens_.push_back(l);
    // Real prefixes per length, for computing best matching prefixes.
    std::vector<std::unordered_map<uint64_t, std::vector<std::pair<Key, uint32_t>>>> real(129);
    auto bucket = [](const Key& k) { return k.hi ^ (k.lo * 31); };
    for (uint32_t i : idx) {
      int l = routes[i].mask.prefix_len(false);
      Key k = masked(key_of(routes[i].target), l);
      real[size_t(l)][bucket(k)].push_back({k, i});
    }
    auto real_find = [&](const Key& k, int l) -> uint32_t {
      auto& m = real[size_t(l)];
      auto it = m.find(bucket(k));
      if (it == m.end()) return kNone;
      for (auto& [kk, r] : it->second)
        if (kk == k) return r;
      return kNone;
    };
    // Markers: on the binary search path to each prefix's length, every
    // length passed on the way "longer" gets the prefix cut to that length.
    std::vector<std::vector<Key>> entries(lens_.size());
    for (uint32_t i : idx) {
      int l = routes[i].mask.prefix_len(false);
      Key k = key_of(routes[i].target);
      int lo = 0, hi = int(lens_.size()) - 1;
      while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int ml = lens_[size_t(mid)];
        if (ml == l) {
          entries[size_t(mid)].push_back(masked(k, l));
          break;
        }
        if (ml < l) {
          entries[size_t(mid)].push_back(masked(k, ml));
          lo = mid + 1;
        } else {
          hi = mid - 1;
        }
      }
    }
    tables_.resize(lens_.size());
    for (size_t t = 0; t < lens_.size(); t++) {
      tables_[t].reset(entries[t].size());
      for (const Key& k : entries[t]) {
        uint32_t* bmp = tables_[t].insert(k);
        if (*bmp != kNone) continue;
        // Best matching prefix: the longest real prefix of length <= this
        // table's that matches k.
        for (size_t j = t + 1; j-- > 0;) {
          uint32_t r = real_find(masked(k, lens_[j]), lens_[j]);
          if (r != kNone) {
            *bmp = r;
            break;
          }
        }
        if (*bmp == kNone) *bmp = kNone - 1;  // a marker with no match below it
      }
    }
  }

  uint32_t lookup(const Ipaddr& a) const {
    if (lens_.empty()) return kNone;
    Key k = key_of(a);
    uint32_t best = kNone;
    int lo = 0, hi = int(lens_.size()) - 1;
    while (lo <= hi) {
      int mid = (lo + hi) / 2;
      const uint32_t* e = tables_[size_t(mid)].find(masked(k, lens_[size_t(mid)]));
      if (e) {
        if (*e != kNone - 1) best = *e;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return best;
  }

  size_t bytes() const {
    size_t b = lens_.capacity() * sizeof(int);
    for (auto& t : tables_)
      b += t.bytes();
    return b;
  }

 private:
  std::vector<int> lens_;
  std::vector<FlatTable> tables_;
};

using EntryKey = std::pair<Ipaddr, Ipaddr>;

}  // namespace

struct RouteTable::Impl {
  std::vector<Route> routes;
  std::map<EntryKey, uint32_t> index;
  V4Table v4;
  V6Table v6;
  bool dirty4 = true, dirty6 = false;

  void mark(const Ipaddr& t) { (t.is_v4() ? dirty4 : dirty6) = true; }
  // The last entry moves into the hole, so its family's table is stale too.
  void erase_at(uint32_t i) {
    uint32_t last = uint32_t(routes.size() - 1);
    mark(routes[i].target);
    index.erase({routes[i].target, routes[i].mask});
    if (i != last) {
      mark(routes[last].target);
      routes[i] = std::move(routes[last]);
      index[{routes[i].target, routes[i].mask}] = i;
    }
    routes.pop_back();
  }
};

RouteTable::RouteTable() : impl_(std::make_unique<Impl>()) {}
RouteTable::~RouteTable() = default;

Status RouteTable::add(const Route& r) {
  if (r.mask.prefix_len(r.target.is_v4()) < 0)
    return Error(Err::BadMask, r.mask.mask_str(r.target.is_v4()));
  Route e = r;
  e.target = r.target & r.mask;
  if (e.tag.size() > 4) e.tag.resize(4);
  auto [it, fresh] = impl_->index.insert({{e.target, e.mask}, uint32_t(impl_->routes.size())});
  if (fresh)
    impl_->routes.push_back(std::move(e));
  else
    impl_->routes[it->second] = std::move(e);
  impl_->mark(r.target);
  sync_v4_view();
  return {};
}

Status RouteTable::remove(const Ipaddr& target, const Ipaddr& mask) {
  auto it = impl_->index.find({target & mask, mask});
  if (it == impl_->index.end())
    return Error(Err::NoSuchEntry, target.str() + " " + mask.mask_str(target.is_v4()));
  impl_->erase_at(it->second);
  sync_v4_view();
  return {};
}

void RouteTable::flush(const std::function<bool(const Route&)>& pred) {
  for (size_t i = impl_->routes.size(); i-- > 0;) {
    if (pred && !pred(impl_->routes[i])) continue;
    impl_->erase_at(uint32_t(i));
  }
  sync_v4_view();
}

void RouteTable::sync_v4_view() {
  v4_.routes = impl_->routes.data();
  if (impl_->dirty4) v4_.l1 = nullptr;
}

void RouteTable::rebuild_v4() const {
  Impl& m = *impl_;
  m.v4.build(m.routes);
  m.dirty4 = false;
  v4_ = m.v4.view();
  v4_.routes = m.routes.data();
}

void RouteTable::lookup_v4_bulk(const uint32_t* dst, const Route** out, size_t n) const {
  using route::dir16::kChild;
  if (!v4_.l1) [[unlikely]]
    rebuild_v4();
  const route::dir16::View v = v4_;
  constexpr size_t kStep = 64;
  uint32_t slot[kStep];
  for (size_t base = 0; base < n; base += kStep) {
    size_t k = std::min(kStep, n - base);
    const uint32_t* a = dst + base;
    for (size_t i = 0; i < k; i++)
      slot[i] = v.l1[a[i] >> 16];
    for (size_t i = 0; i < k; i++)
      if (slot[i] & kChild) slot[i] = v.nodes[(slot[i] & ~kChild) * 256 + ((a[i] >> 8) & 0xff)];
    for (size_t i = 0; i < k; i++)
      if (slot[i] & kChild) slot[i] = v.nodes[(slot[i] & ~kChild) * 256 + (a[i] & 0xff)];
    for (size_t i = 0; i < k; i++)
      out[base + i] = slot[i] == route::dir16::kNone ? nullptr : v.routes + slot[i];
  }
}

const Route* RouteTable::lookup_v6(const Ipaddr& dst) const {
  Impl& m = *impl_;
  if (m.dirty6) {
    m.v6.build(m.routes);
    m.dirty6 = false;
  }
  uint32_t r = m.v6.lookup(dst);
  return r == kNone ? nullptr : &m.routes[r];
}

void RouteTable::update_ifcs(const std::function<int(const Route&)>& fn) {
  for (size_t i = 0; i < impl_->routes.size(); i++) {
    int n = fn(impl_->routes[i]);
    impl_->routes[i].ifc = n;
  }
}

std::vector<Route> RouteTable::list() const {
  std::vector<Route> v = impl_->routes;
  std::sort(v.begin(), v.end(), [](const Route& a, const Route& b) {
    bool a4 = a.target.is_v4(), b4 = b.target.is_v4();
    if (a4 != b4) return a4;
    if (a.target != b.target) return a.target < b.target;
    return a.mask.prefix_len(a4) < b.mask.prefix_len(b4);
  });
  return v;
}

size_t RouteTable::size() const {
  return impl_->routes.size();
}

size_t RouteTable::memory_bytes() const {
  // Build first so the figure is what lookups use.
  (void)lookup(Ipaddr::v4(0));
  (void)lookup(Ipaddr());
  size_t b = impl_->v4.bytes() + impl_->v6.bytes();
  b += impl_->routes.capacity() * sizeof(Route);
  for (const Route& r : impl_->routes)
    b += r.tag.capacity() > 15 ? r.tag.capacity() : 0;
  b += impl_->index.size() * (sizeof(EntryKey) + sizeof(uint32_t) + 32);  // map nodes
  return b;
}

}  // namespace ninet
