#include "ip/route.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

namespace ninet {
namespace {

Ipaddr A(const char* s) {
  return *Ipaddr::parse(s);
}

Route R(const char* t, Ipaddr mask, const char* gate, int ifc = -1) {
  Route r;
  r.target = A(t);
  r.mask = mask;
  r.gate = A(gate);
  r.flags = r.target.is_v4() ? route::kV4 : route::kV6;
  r.ifc = ifc;
  return r;
}

TEST(Route, LongestPrefixWinsInBothFamilies) {
  RouteTable t;
  ASSERT_TRUE(t.add(R("0.0.0.0", Ipaddr::mask_v4(0), "10.0.0.1")).ok());
  ASSERT_TRUE(t.add(R("10.0.0.0", Ipaddr::mask_v4(8), "10.0.0.2")).ok());
  ASSERT_TRUE(t.add(R("10.1.0.0", Ipaddr::mask_v4(16), "10.0.0.3")).ok());
  ASSERT_TRUE(t.add(R("10.1.2.0", Ipaddr::mask_v4(24), "10.0.0.4")).ok());
  ASSERT_TRUE(t.add(R("10.1.2.3", Ipaddr::mask_v4(32), "10.0.0.5")).ok());
  EXPECT_EQ(t.lookup(A("10.1.2.3"))->gate, A("10.0.0.5"));
  EXPECT_EQ(t.lookup(A("10.1.2.4"))->gate, A("10.0.0.4"));
  EXPECT_EQ(t.lookup(A("10.1.3.4"))->gate, A("10.0.0.3"));
  EXPECT_EQ(t.lookup(A("10.2.3.4"))->gate, A("10.0.0.2"));
  EXPECT_EQ(t.lookup(A("11.2.3.4"))->gate, A("10.0.0.1"));
  EXPECT_EQ(t.lookup(A("fd00::1")), nullptr) << "v4 routes never answer v6";
  ASSERT_TRUE(t.add(R("::", Ipaddr::mask_v6(0), "fe80::1")).ok());
  ASSERT_TRUE(t.add(R("2001:db8::", Ipaddr::mask_v6(32), "fe80::2")).ok());
  ASSERT_TRUE(t.add(R("2001:db8:1::", Ipaddr::mask_v6(48), "fe80::3")).ok());
  ASSERT_TRUE(t.add(R("2001:db8:1::7", Ipaddr::mask_v6(128), "fe80::4")).ok());
  ASSERT_TRUE(t.add(R("2001:db8:1::100", Ipaddr::mask_v6(120), "fe80::5")).ok());
  EXPECT_EQ(t.lookup(A("2001:db8:1::7"))->gate, A("fe80::4"));
  EXPECT_EQ(t.lookup(A("2001:db8:1::1ff"))->gate, A("fe80::5"));
  EXPECT_EQ(t.lookup(A("2001:db8:1::8"))->gate, A("fe80::3"));
  EXPECT_EQ(t.lookup(A("2001:db8:2::8"))->gate, A("fe80::2"));
  EXPECT_EQ(t.lookup(A("2001:db9::"))->gate, A("fe80::1"));
  EXPECT_EQ(t.size(), 10u);
}

TEST(Route, ReplaceRemoveFlushAndErrors) {
  RouteTable t;
  ASSERT_TRUE(t.add(R("10.1.2.99", Ipaddr::mask_v4(24), "10.0.0.4")).ok());
  EXPECT_EQ(t.list()[0].target, A("10.1.2.0")) << "targets are stored masked";
  ASSERT_TRUE(t.add(R("10.1.2.0", Ipaddr::mask_v4(24), "10.0.0.9")).ok());
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.lookup(A("10.1.2.1"))->gate, A("10.0.0.9"));
  EXPECT_EQ(t.remove(A("10.1.3.0"), Ipaddr::mask_v4(24)).error().code(), Err::NoSuchEntry);
  ASSERT_TRUE(t.remove(A("10.1.2.0"), Ipaddr::mask_v4(24)).ok());
  EXPECT_EQ(t.lookup(A("10.1.2.1")), nullptr);
  Route bad = R("10.0.0.0", A("255.0.255.0"), "10.0.0.1");
  bad.mask[0] = bad.mask[1] = 0xff;
  EXPECT_EQ(t.add(bad).error().code(), Err::BadMask);
  EXPECT_EQ(t.add(R("10.0.0.0", Ipaddr::mask_v6(64), "10.0.0.1")).error().code(), Err::BadMask);
  Route tagged = R("192.168.0.0", Ipaddr::mask_v4(16), "10.0.0.1");
  tagged.tag = "ospf";
  ASSERT_TRUE(t.add(tagged).ok());
  ASSERT_TRUE(t.add(R("172.16.0.0", Ipaddr::mask_v4(12), "10.0.0.1")).ok());
  t.flush([](const Route& r) { return r.tag == "ospf"; });
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.lookup(A("192.168.1.1")), nullptr);
  t.flush();
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.lookup_v4(0xac100001), nullptr) << "no IPv4 routes left";
  const Route* out[1] = {&tagged};
  uint32_t dst[1] = {0xac100001};
  t.lookup_v4_bulk(dst, out, 1);
  EXPECT_EQ(out[0], nullptr);
}

TEST(Route, V6HostRouteIsNotMistakenForV4) {
  RouteTable t;
  ASSERT_TRUE(t.add(R("fd00::1", Ipaddr::mask_v6(128), "fd00::1")).ok());
  ASSERT_TRUE(t.add(R("fd00::", Ipaddr::mask_v6(120), "fd00::2")).ok());
  EXPECT_EQ(t.lookup(A("fd00::1"))->gate, A("fd00::1"));
  EXPECT_EQ(t.lookup(A("fd00::5"))->gate, A("fd00::2"));
  EXPECT_EQ(t.lookup(A("0.0.0.1")), nullptr);
}

TEST(Route, FlagsAndListOrder) {
  EXPECT_EQ(route::flags_str(route::kV4 | route::kIfc), "4i");
  EXPECT_EQ(route::flags_str(route::kV6 | route::kUnicast), "6u");
  EXPECT_EQ(route::flags_str(route::kV4 | route::kBcast | route::kP2p), "4bp");
  RouteTable t;
  ASSERT_TRUE(t.add(R("fd00::", Ipaddr::mask_v6(64), "fd00::1")).ok());
  ASSERT_TRUE(t.add(R("10.0.0.0", Ipaddr::mask_v4(24), "10.0.0.1")).ok());
  ASSERT_TRUE(t.add(R("10.0.0.0", Ipaddr::mask_v4(8), "10.0.0.1")).ok());
  auto l = t.list();
  ASSERT_EQ(l.size(), 3u);
  EXPECT_TRUE(l[0].target.is_v4());
  EXPECT_EQ(l[0].mask, Ipaddr::mask_v4(8));
  EXPECT_EQ(l[1].mask, Ipaddr::mask_v4(24));
  EXPECT_FALSE(l[2].target.is_v4());
}

// Random tables, random changes, compared with a brute-force reference.
template <bool kV4>
void fuzz_against_reference(uint32_t seed) {
  std::mt19937 rng(seed);
  RouteTable t;
  std::vector<Route> ref;
  auto rand_addr = [&] {
    Ipaddr a;
    if (kV4) return Ipaddr::v4(uint32_t(rng()) & 0x0f0f00ffu);  // a dense corner of the space
    a[0] = 0x20;
    a[1] = 0x01;
    for (int i = 2; i < 16; i++)
      a[size_t(i)] = uint8_t(i < 7 ? rng() & 0x3 : rng());
    return a;
  };
  auto lookup_ref = [&](const Ipaddr& d) -> const Route* {
    const Route* best = nullptr;
    int bl = -1;
    for (const Route& r : ref) {
      int l = r.mask.prefix_len(kV4);
      if ((d & r.mask) == r.target && l > bl) {
        best = &r;
        bl = l;
      }
    }
    return best;
  };
  for (int step = 0; step < 3000; step++) {
    int op = int(rng() % 10);
    if (op < 6 || ref.empty()) {
      int len = kV4 ? int(rng() % 33) : int(rng() % 129);
      Route r;
      r.mask = kV4 ? Ipaddr::mask_v4(len) : Ipaddr::mask_v6(len);
      r.target = rand_addr() & r.mask;
      r.gate = rand_addr();
      r.flags = kV4 ? route::kV4 : route::kV6;
      ASSERT_TRUE(t.add(r).ok());
      bool replaced = false;
      for (Route& x : ref)
        if (x.target == r.target && x.mask == r.mask) {
          x = r;
          replaced = true;
        }
      if (!replaced) ref.push_back(r);
    } else if (op < 9) {
      size_t i = rng() % ref.size();
      ASSERT_TRUE(t.remove(ref[i].target, ref[i].mask).ok());
      ref.erase(ref.begin() + long(i));
    } else {
      Ipaddr g = rand_addr();
      auto pred = [&](const Route& r) { return r.gate < g; };
      t.flush(pred);
      std::erase_if(ref, pred);
    }
    if (step % 50 == 0) {
      ASSERT_EQ(t.size(), ref.size());
      // IPv4: the fast path and the bulk one (checked first, so they are
      // what rebuilds the table) must give lookup()'s very pointer.
      std::vector<uint32_t> dsts;
      std::vector<const Route*> bulk;
      if (kV4) {
        for (int k = 0; k < 200; k++)
          dsts.push_back(rand_addr().v4());
        bulk.resize(dsts.size());
        if (step % 100 == 0)
          t.lookup_v4_bulk(dsts.data(), bulk.data(), dsts.size());
        else
          for (size_t k = 0; k < dsts.size(); k++)
            bulk[k] = t.lookup_v4(dsts[k]);
      }
      for (int k = 0; k < 200; k++) {
        Ipaddr d = kV4 ? Ipaddr::v4(dsts[size_t(k)]) : rand_addr();
        const Route* want = lookup_ref(d);
        const Route* got = t.lookup(d);
        ASSERT_EQ(got == nullptr, want == nullptr) << d.str();
        if (want) {
          EXPECT_EQ(got->target, want->target) << d.str();
          EXPECT_EQ(got->mask, want->mask) << d.str();
          EXPECT_EQ(got->gate, want->gate) << d.str();
        }
        if (kV4) {
          EXPECT_EQ(t.lookup_v4(dsts[size_t(k)]), got) << d.str();
          EXPECT_EQ(bulk[size_t(k)], got) << d.str();
        }
      }
    }
  }
}

TEST(Route, V4MatchesBruteForce) {
  for (uint32_t s = 1; s <= 3; s++)
    fuzz_against_reference<true>(s);
}
TEST(Route, V6MatchesBruteForce) {
  for (uint32_t s = 1; s <= 3; s++)
    fuzz_against_reference<false>(s);
}

// Entries of both families share one vector and a removal moves the last
// entry into the hole: removing an IPv6 route must not leave the IPv4 table
// pointing at where an IPv4 entry used to be, and the reverse.
TEST(Route, RemovalInOneFamilyKeepsTheOtherRight) {
  RouteTable t;
  ASSERT_TRUE(t.add(R("fd00::", Ipaddr::mask_v6(64), "fd00::1")).ok());
  ASSERT_TRUE(t.add(R("10.0.0.0", Ipaddr::mask_v4(8), "10.0.0.1")).ok());
  EXPECT_EQ(t.lookup_v4(0x0a010203)->gate, A("10.0.0.1"));
  EXPECT_EQ(t.lookup(A("fd00::5"))->gate, A("fd00::1"));
  ASSERT_TRUE(t.remove(A("fd00::"), Ipaddr::mask_v6(64)).ok());
  ASSERT_NE(t.lookup_v4(0x0a010203), nullptr);
  EXPECT_EQ(t.lookup_v4(0x0a010203)->gate, A("10.0.0.1"));
  EXPECT_EQ(t.lookup(A("10.1.2.3"))->gate, A("10.0.0.1"));
  ASSERT_TRUE(t.add(R("fd00::", Ipaddr::mask_v6(64), "fd00::1")).ok());
  ASSERT_TRUE(t.add(R("11.0.0.0", Ipaddr::mask_v4(8), "10.0.0.2")).ok());
  EXPECT_EQ(t.lookup(A("fd00::5"))->gate, A("fd00::1"));
  ASSERT_TRUE(t.remove(A("10.0.0.0"), Ipaddr::mask_v4(8)).ok());
  ASSERT_NE(t.lookup(A("fd00::5")), nullptr);
  EXPECT_EQ(t.lookup(A("fd00::5"))->gate, A("fd00::1"));
  EXPECT_EQ(t.lookup_v4(0x0b000001)->gate, A("10.0.0.2"));
  EXPECT_EQ(t.lookup_v4(0x0a000001), nullptr);
}

// Adding IPv6 entries may move every entry (the vector grows): IPv4 answers
// must follow without an IPv4 change.
TEST(Route, FastPathFollowsEntriesThatMoved) {
  RouteTable t;
  ASSERT_TRUE(t.add(R("10.0.0.0", Ipaddr::mask_v4(8), "10.0.0.1")).ok());
  const Route* before = t.lookup_v4(0x0a000001);
  ASSERT_NE(before, nullptr);
  for (int i = 0; i < 1000; i++) {
    Ipaddr a = A("fd00::");
    a[2] = uint8_t(i >> 8);
    a[3] = uint8_t(i);
    ASSERT_TRUE(t.add(R(a.str().c_str(), Ipaddr::mask_v6(32), "fd00::1")).ok());
  }
  const Route* r = t.lookup_v4(0x0a000001);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r, t.lookup(A("10.0.0.1")));
  EXPECT_EQ(r->gate, A("10.0.0.1"));
  const Route* out[3];
  uint32_t dsts[3] = {0x0a000001, 0x0b000001, 0x0aff0000};
  t.lookup_v4_bulk(dsts, out, 3);
  EXPECT_EQ(out[0], r);
  EXPECT_EQ(out[1], nullptr);
  EXPECT_EQ(out[2], r);
  EXPECT_EQ(t.lookup_v4(0x0b000001), nullptr);
}

TEST(Route, MemoryIsReported) {
  RouteTable t;
  EXPECT_EQ(t.lookup_v4(0x0a010203), nullptr);
  size_t empty = t.memory_bytes();
  EXPECT_LT(empty, size_t(1) << 18) << "no IPv4 routes, no 256 KiB first level";
  ASSERT_TRUE(t.add(R("10.1.2.0", Ipaddr::mask_v4(24), "10.0.0.4")).ok());
  EXPECT_GT(t.memory_bytes(), empty);
}

// Both families in one table, lengths 0 to 32 and 0 to 128 over a few hot
// spots of the address space (so prefixes nest and overlap, nodes and
// markers come and go), re-adds that replace, removals of entries that do
// not exist, and flushes; after every few changes the answers for the edges
// of present prefixes and for random addresses must be a brute-force
// longest-prefix match over the entries.
struct MixedRef {
  std::mt19937_64 rng;
  std::vector<Route> ref;

  explicit MixedRef(uint64_t seed) : rng(seed) {}

  Ipaddr addr(bool v4) {
    uint64_t x = rng();
    if (v4) {
      uint32_t a = x % 8 == 0 ? uint32_t(x >> 32)  // anywhere, now and then
                              : 0x0a000000u | (uint32_t(x >> 32) & 0x0103f3ffu);
      return Ipaddr::v4(a);
    }
    uint64_t hi = x % 8 == 0 ? rng() : 0x20010db800000000ull | (rng() & 0x0000000300f300ffull);
    uint64_t lo = x % 4 == 0 ? rng() : rng() & 0x30000000000000ffull;
    uint8_t b[16];
    for (int i = 0; i < 8; i++) {
      b[i] = uint8_t(hi >> (56 - 8 * i));
      b[8 + i] = uint8_t(lo >> (56 - 8 * i));
    }
    return Ipaddr(b);
  }
  int len(bool v4) {
    static const int v4_lens[] = {0, 1, 7, 8, 12, 15, 16, 17, 20, 23, 24, 25, 28, 31, 32, 32};
    static const int v6_lens[] = {0, 1, 16, 31, 32, 33, 40, 47, 48, 49, 56, 63, 64, 65, 96, 127};
    if (rng() % 4 == 0) return int(rng() % (v4 ? 33 : 129));
    return v4 ? v4_lens[rng() % 16] : (rng() % 8 == 0 ? 128 : v6_lens[rng() % 16]);
  }
  Route random_route() {
    bool v4 = rng() % 2;
    int l = len(v4);
    Route r;
    r.mask = v4 ? Ipaddr::mask_v4(l) : Ipaddr::mask_v6(l);
    r.target = addr(v4) & r.mask;
    r.gate = addr(v4);
    r.flags = v4 ? route::kV4 : route::kV6;
    r.ifc = int(rng() % 1000);
    return r;
  }
  const Route* lookup(const Ipaddr& d) const {
    const Route* best = nullptr;
    int bl = -1;
    for (const Route& r : ref) {
      bool v4 = r.target.is_v4();
      int l = r.mask.prefix_len(v4);
      if (v4 == d.is_v4() && (d & r.mask) == r.target && l > bl) {
        best = &r;
        bl = l;
      }
    }
    return best;
  }
  // Addresses where answers change: each sampled prefix's first and last
  // address and their neighbours outside; and some random ones.
  std::vector<Ipaddr> probes(size_t n) {
    std::vector<Ipaddr> v;
    for (size_t i = 0; i < n && !ref.empty(); i++) {
      const Route& r = ref[rng() % ref.size()];
      Ipaddr last = r.target | ~r.mask;
      v.push_back(r.target);
      v.push_back(last);
      if (r.target.is_v4()) {
        v.push_back(Ipaddr::v4(r.target.v4() - 1));
        v.push_back(Ipaddr::v4(last.v4() + 1));
      } else {
        Ipaddr before = r.target, after = last;
        for (size_t j = 16; j-- > 0 && before[j]-- == 0;) {
        }
        for (size_t j = 16; j-- > 0 && ++after[j] == 0;) {
        }
        if (!before.is_v4()) v.push_back(before);
        if (!after.is_v4()) v.push_back(after);
      }
    }
    for (size_t i = 0; i < n; i++)
      v.push_back(addr(rng() % 2));
    return v;
  }
};

void check_against(const RouteTable& t, MixedRef& m, size_t n) {
  ASSERT_EQ(t.size(), m.ref.size());
  std::vector<Ipaddr> probes = m.probes(n);
  std::vector<uint32_t> v4;
  for (const Ipaddr& d : probes)
    if (d.is_v4()) v4.push_back(d.v4());
  std::vector<const Route*> bulk(v4.size());
  t.lookup_v4_bulk(v4.data(), bulk.data(), v4.size());
  size_t k = 0;
  for (const Ipaddr& d : probes) {
    const Route* want = m.lookup(d);
    const Route* got = t.lookup(d);
    ASSERT_EQ(got == nullptr, want == nullptr) << d.str() << (want ? " wants a route" : "");
    if (want) {
      ASSERT_EQ(got->target, want->target) << d.str();
      ASSERT_EQ(got->mask, want->mask) << d.str();
      ASSERT_EQ(got->ifc, want->ifc) << d.str() << ": a replaced entry must answer";
    }
    if (d.is_v4()) {
      ASSERT_EQ(t.lookup_v4(d.v4()), got) << d.str();
      ASSERT_EQ(bulk[k++], got) << d.str();
    }
  }
}

TEST(Route, MixedChangesMatchBruteForceAfterEveryFew) {
  for (uint64_t seed = 1; seed <= 3; seed++) {
    SCOPED_TRACE(seed);
    MixedRef m(seed);
    RouteTable t;
    for (int step = 0; step < 3000; step++) {
      uint64_t op = m.rng() % 100;
      if (op < 55 || m.ref.empty()) {
        Route r = m.random_route();
        ASSERT_TRUE(t.add(r).ok());
        auto same = [&](const Route& x) { return x.target == r.target && x.mask == r.mask; };
        auto it = std::find_if(m.ref.begin(), m.ref.end(), same);
        if (it != m.ref.end())
          *it = r;  // ip(3): adding an existing target and mask replaces it
        else
          m.ref.push_back(r);
      } else if (op < 62) {
        // Re-add a present entry with a new interface: replaced in place.
        Route& r = m.ref[m.rng() % m.ref.size()];
        r.ifc = int(m.rng() % 1000);
        ASSERT_TRUE(t.add(r).ok());
      } else if (op < 70) {
        Route r = m.random_route();
        bool present = std::any_of(m.ref.begin(), m.ref.end(), [&](const Route& x) {
          return x.target == r.target && x.mask == r.mask;
        });
        if (!present) ASSERT_EQ(t.remove(r.target, r.mask).error().code(), Err::NoSuchEntry);
      } else if (op < 99) {
        size_t i = m.rng() % m.ref.size();
        ASSERT_TRUE(t.remove(m.ref[i].target, m.ref[i].mask).ok());
        m.ref.erase(m.ref.begin() + long(i));
      } else {
        int ifc = int(m.rng() % 1000);
        auto pred = [ifc](const Route& r) { return r.ifc < ifc / 4; };
        t.flush(pred);
        std::erase_if(m.ref, pred);
      }
      if (step % 4 == 0) {
        check_against(t, m, 16);
        if (HasFatalFailure()) return;
      }
    }
    check_against(t, m, 2000);
  }
}

// Nodes stay dense and their pages go back: after adding and removing the
// same routes, the IPv4 lookup structures take exactly what they took before,
// whichever node is freed first (the last one moves into its place, and its
// parent slot and, for a level-2 node, its children's parent records follow).
TEST(Route, V4NodeMemoryReturnsToItsBaseline) {
  RouteTable t;
  EXPECT_EQ(t.lookup_bytes(), 0u) << "an empty table holds nothing";
  MixedRef m(5);
  m.ref = {R("0.0.0.0", Ipaddr::mask_v4(0), "10.0.0.1")};
  ASSERT_TRUE(t.add(m.ref[0]).ok());
  EXPECT_EQ(t.lookup_bytes(), 0u) << "the default route needs no level";
  // A baseline with nodes at both levels.
  for (auto [a, len] : {std::pair{"10.1.0.0", 16}, {"10.1.2.0", 24}, {"10.1.2.128", 25}}) {
    m.ref.push_back(R(a, Ipaddr::mask_v4(len), "10.0.0.2"));
    ASSERT_TRUE(t.add(m.ref.back()).ok());
  }
  const size_t base = t.lookup_bytes();
  EXPECT_GT(base, size_t(1) << 18);
  std::set<std::pair<uint32_t, int>> seen = {
      {0, 0}, {0x0a010000, 16}, {0x0a010200, 24}, {0x0a010280, 25}};
  std::vector<Route> added;
  for (int i = 0; i < 3000; i++) {
    int len = 17 + int(m.rng() % 16);
    uint32_t a = (0x0a000000u | (uint32_t(m.rng()) & 0x003fffffu)) & (~0u << (32 - len));
    if (!seen.insert({a, len}).second) continue;
    Route r = R("0.0.0.0", Ipaddr::mask_v4(len), "10.0.0.9", i);
    r.target = Ipaddr::v4(a);
    ASSERT_TRUE(t.add(r).ok());
    added.push_back(r);
  }
  EXPECT_GT(t.lookup_bytes(), base + (size_t(256) << 10)) << "hundreds of nodes";
  // Remove them in random order, checking the answers at the edges of what
  // is left as nodes are freed and others move into their places.
  std::shuffle(added.begin(), added.end(), m.rng);
  m.ref.insert(m.ref.end(), added.begin(), added.end());
  for (size_t i = 0; i < added.size(); i++) {
    ASSERT_TRUE(t.remove(added[i].target, added[i].mask).ok());
    std::erase_if(m.ref, [&](const Route& x) {
      return x.target == added[i].target && x.mask == added[i].mask;
    });
    if (i % 50 == 0) {
      check_against(t, m, 40);
      if (HasFatalFailure()) return;
    }
  }
  EXPECT_EQ(t.lookup_bytes(), base);
  check_against(t, m, 100);
  t.flush();
  EXPECT_EQ(t.lookup_bytes(), 0u);
}

// The sequence that moves a level-2 node holding a level-3 node: freeing a
// node moves the last one into its place, and when that is a level-2 node,
// its children must learn their parent's new number, or freeing one of them
// later would leave its parent slot pointing past the arena.
TEST(Route, MovedNodesKeepTheirChildren) {
  RouteTable t;
  ASSERT_TRUE(t.add(R("10.5.1.0", Ipaddr::mask_v4(25), "10.0.0.1")).ok());  // nodes 0, 1
  ASSERT_TRUE(t.add(R("10.6.0.0", Ipaddr::mask_v4(24), "10.0.0.2")).ok());  // node 2
  ASSERT_TRUE(t.add(R("10.6.1.0", Ipaddr::mask_v4(25), "10.0.0.3")).ok());  // node 3, under 2
  // Frees node 1 (node 3 moves there), then node 0 (node 2 moves there).
  ASSERT_TRUE(t.remove(A("10.5.1.0"), Ipaddr::mask_v4(25)).ok());
  EXPECT_EQ(t.lookup(A("10.6.1.1"))->gate, A("10.0.0.3"));
  EXPECT_EQ(t.lookup(A("10.6.1.129")), nullptr);
  EXPECT_EQ(t.lookup(A("10.6.0.1"))->gate, A("10.0.0.2"));
  ASSERT_TRUE(t.remove(A("10.6.1.0"), Ipaddr::mask_v4(25)).ok());
  EXPECT_EQ(t.lookup(A("10.6.1.1")), nullptr);
  // New nodes take the numbers just freed: a slot left pointing at one
  // would now lead into 10.7's nodes.
  ASSERT_TRUE(t.add(R("10.7.1.0", Ipaddr::mask_v4(25), "10.0.0.4")).ok());
  EXPECT_EQ(t.lookup(A("10.6.1.1")), nullptr);
  EXPECT_EQ(t.lookup(A("10.6.0.1"))->gate, A("10.0.0.2"));
  EXPECT_EQ(t.lookup(A("10.7.1.1"))->gate, A("10.0.0.4"));
  ASSERT_TRUE(t.add(R("10.6.1.0", Ipaddr::mask_v4(26), "10.0.0.5")).ok());
  EXPECT_EQ(t.lookup(A("10.6.1.1"))->gate, A("10.0.0.5"));
  EXPECT_EQ(t.lookup(A("10.7.1.1"))->gate, A("10.0.0.4"));
}

// A churn of host routes (pipex adds a /32 or /128 per session and removes
// it when the session ends) must not grow memory from cycle to cycle.
TEST(Route, HostRouteChurnDoesNotGrowMemory) {
  RouteTable t;
  ASSERT_TRUE(t.add(R("10.0.0.0", Ipaddr::mask_v4(8), "10.0.0.1")).ok());
  ASSERT_TRUE(t.add(R("2001:db8::", Ipaddr::mask_v6(32), "fe80::1")).ok());
  std::mt19937 rng(11);
  size_t after_first = 0;
  for (int cycle = 0; cycle < 5; cycle++) {
    std::vector<Route> hosts;
    for (int i = 0; i < 2000; i++) {
      uint32_t a = 0x0a000000u | (rng() & 0x00ffffffu);
      Route r = R("0.0.0.0", Ipaddr::mask_v4(32), "10.0.0.2");
      r.target = Ipaddr::v4(a);
      hosts.push_back(r);
      Ipaddr b = A("2001:db8::");
      for (size_t j = 8; j < 16; j++)
        b[j] = uint8_t(rng());
      hosts.push_back(R(b.str().c_str(), Ipaddr::mask_v6(128), "fe80::2"));
    }
    for (const Route& r : hosts)
      ASSERT_TRUE(t.add(r).ok());
    for (const Route& r : hosts)
      (void)t.remove(r.target, r.mask);
    ASSERT_EQ(t.size(), 2u);
    if (cycle == 0) after_first = t.memory_bytes();
    EXPECT_EQ(t.memory_bytes(), after_first) << "cycle " << cycle;
  }
  EXPECT_EQ(t.lookup(A("10.9.9.9"))->gate, A("10.0.0.1"));
  EXPECT_EQ(t.lookup(A("2001:db8::5"))->gate, A("fe80::1"));
  ASSERT_TRUE(t.remove(A("10.0.0.0"), Ipaddr::mask_v4(8)).ok());
  ASSERT_TRUE(t.remove(A("2001:db8::"), Ipaddr::mask_v6(32)).ok());
  EXPECT_EQ(t.lookup_bytes(), 0u) << "no routes, no lookup structures";
}

// The hash tables (the IPv4 index, one table per IPv6 length) grow and
// shrink a step per change, lookups probing the old array and the new one
// meanwhile, and give the old array back a piece per change: tens of
// thousands of prefixes of one length, added then removed in random order,
// answering right at every step and holding nothing at the end.
TEST(Route, HashTablesResizeWhileAnswering) {
  RouteTable t;
  std::mt19937 rng(3);
  std::vector<Route> routes;
  for (uint32_t i = 0; i < 40000; i++) {
    routes.push_back(R("0.0.0.0", Ipaddr::mask_v4(24), "10.0.0.1", int(i)));
    routes.back().target = Ipaddr::v4(0x0a000000u | i << 8);
    Ipaddr b = A("2001:db8::");
    b[4] = uint8_t(i >> 8);
    b[5] = uint8_t(i);
    routes.push_back(R(b.str().c_str(), Ipaddr::mask_v6(48), "fe80::1", int(i) + 40000));
  }
  std::shuffle(routes.begin(), routes.end(), rng);
  std::vector<bool> present(routes.size());
  auto check = [&](size_t step) {
    for (int k = 0; k < 64; k++) {
      size_t i = rng() % routes.size();
      Ipaddr d = routes[i].target;
      d[15] |= 1;
      const Route* r = t.lookup(d);
      ASSERT_EQ(r != nullptr, bool(present[i])) << d.str() << " at step " << step;
      if (r) ASSERT_EQ(r->ifc, routes[i].ifc) << d.str();
    }
  };
  for (size_t i = 0; i < routes.size(); i++) {
    ASSERT_TRUE(t.add(routes[i]).ok());
    present[i] = true;
    if (i % 97 == 0) {
      check(i);
      if (HasFatalFailure()) return;
    }
  }
  EXPECT_EQ(t.size(), routes.size());
  std::shuffle(routes.begin(), routes.end(), rng);  // present[] is all true: order is free
  for (size_t i = 0; i < routes.size(); i++) {
    ASSERT_TRUE(t.remove(routes[i].target, routes[i].mask).ok());
    present[i] = false;
    if (i % 97 == 0) {
      check(i);
      if (HasFatalFailure()) return;
    }
  }
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.memory_bytes(), 0u) << "an emptied table holds nothing";
}

// The default routes are held apart from the levels and the tree: adding or
// removing them touches nothing else, and every miss falls back to them.
TEST(Route, DefaultRoutesAnswerEveryMiss) {
  RouteTable t;
  ASSERT_TRUE(t.add(R("10.1.0.0", Ipaddr::mask_v4(16), "10.0.0.2")).ok());
  ASSERT_TRUE(t.add(R("10.1.2.3", Ipaddr::mask_v4(32), "10.0.0.3")).ok());
  ASSERT_TRUE(t.add(R("2001:db8::", Ipaddr::mask_v6(48), "fe80::2")).ok());
  EXPECT_EQ(t.lookup(A("11.0.0.1")), nullptr);
  EXPECT_EQ(t.lookup(A("2001:db9::1")), nullptr);
  ASSERT_TRUE(t.add(R("0.0.0.0", Ipaddr::mask_v4(0), "10.0.0.1")).ok());
  ASSERT_TRUE(t.add(R("::", Ipaddr::mask_v6(0), "fe80::1")).ok());
  EXPECT_EQ(t.lookup(A("11.0.0.1"))->gate, A("10.0.0.1"));
  EXPECT_EQ(t.lookup(A("10.1.2.3"))->gate, A("10.0.0.3"));
  EXPECT_EQ(t.lookup(A("10.1.2.4"))->gate, A("10.0.0.2"));
  EXPECT_EQ(t.lookup(A("2001:db9::1"))->gate, A("fe80::1"));
  EXPECT_EQ(t.lookup(A("2001:db8::1"))->gate, A("fe80::2"));
  EXPECT_EQ(t.lookup(A("0.0.0.0"))->gate, A("10.0.0.1")) << "v4-mapped: the IPv4 default";
  ASSERT_TRUE(t.remove(A("10.1.0.0"), Ipaddr::mask_v4(16)).ok());
  EXPECT_EQ(t.lookup(A("10.1.2.4"))->gate, A("10.0.0.1"));
  ASSERT_TRUE(t.remove(A("0.0.0.0"), Ipaddr::mask_v4(0)).ok());
  ASSERT_TRUE(t.remove(A("::"), Ipaddr::mask_v6(0)).ok());
  EXPECT_EQ(t.lookup(A("10.1.2.4")), nullptr);
  EXPECT_EQ(t.lookup(A("2001:db9::1")), nullptr);
  EXPECT_EQ(t.lookup(A("10.1.2.3"))->gate, A("10.0.0.3"));
  EXPECT_EQ(t.remove(A("0.0.0.0"), Ipaddr::mask_v4(0)).error().code(), Err::NoSuchEntry);
  EXPECT_EQ(t.remove(A("10.1.2.3"), Ipaddr::mask_v6(32)).error().code(), Err::NoSuchEntry)
      << "a v6 mask on a v4 target names no entry";
}

// A short prefix added over many longer ones leaves them answering, and its
// removal gives their neighbourhood back to the prefix it covered.
TEST(Route, ShortPrefixOverLongerOnesAndBack) {
  RouteTable t;
  ASSERT_TRUE(t.add(R("10.0.0.0", Ipaddr::mask_v4(8), "10.0.0.1")).ok());
  ASSERT_TRUE(t.add(R("2001:db8::", Ipaddr::mask_v6(16), "fe80::1")).ok());
  for (int i = 0; i < 256; i++) {
    Route r = R("0.0.0.0", Ipaddr::mask_v4(24), "10.0.0.3");
    r.target = Ipaddr::v4(0x0a200000u | uint32_t(i) << 8);
    ASSERT_TRUE(t.add(r).ok());
    Ipaddr b = A("2001:db8::");
    b[4] = uint8_t(i);
    ASSERT_TRUE(t.add(R(b.str().c_str(), Ipaddr::mask_v6(48), "fe80::3")).ok());
  }
  ASSERT_TRUE(t.add(R("10.32.0.0", Ipaddr::mask_v4(12), "10.0.0.2")).ok());
  ASSERT_TRUE(t.add(R("2001:db8::", Ipaddr::mask_v6(32), "fe80::2")).ok());
  EXPECT_EQ(t.lookup(A("10.32.7.1"))->gate, A("10.0.0.3"));
  EXPECT_EQ(t.lookup(A("10.33.7.1"))->gate, A("10.0.0.2"));
  EXPECT_EQ(t.lookup(A("10.48.0.1"))->gate, A("10.0.0.1"));
  EXPECT_EQ(t.lookup(A("2001:db8:700::1"))->gate, A("fe80::3"));
  EXPECT_EQ(t.lookup(A("2001:db8:1::1"))->gate, A("fe80::2"));
  EXPECT_EQ(t.lookup(A("2001:db9::1"))->gate, A("fe80::1"));
  ASSERT_TRUE(t.remove(A("10.32.0.0"), Ipaddr::mask_v4(12)).ok());
  ASSERT_TRUE(t.remove(A("2001:db8::"), Ipaddr::mask_v6(32)).ok());
  EXPECT_EQ(t.lookup(A("10.32.7.1"))->gate, A("10.0.0.3"));
  EXPECT_EQ(t.lookup(A("10.33.7.1"))->gate, A("10.0.0.1"));
  EXPECT_EQ(t.lookup(A("2001:db8:700::1"))->gate, A("fe80::3"));
  EXPECT_EQ(t.lookup(A("2001:db8:1::1"))->gate, A("fe80::1"));
}

}  // namespace
}  // namespace ninet
