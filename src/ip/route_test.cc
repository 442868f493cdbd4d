#include "ip/route.h"

#include <gtest/gtest.h>

#include <random>

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

}  // namespace
}  // namespace ninet
