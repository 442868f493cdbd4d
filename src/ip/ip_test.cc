// Tests of the IP layer through in-memory media: ipifc ctl messages, the
// tables as text, forwarding, TTL expiry, fragmentation and reassembly.
#include "ip/ip.h"

#include <gtest/gtest.h>

#include <deque>

#include "media/testing.h"
#include "wire/icmp.h"
#include "wire/ip4.h"
#include "wire/ip6.h"

namespace ninet {
namespace {

struct Fixture : ::testing::Test {
  ManualClock clock;
  Pool pool;
  std::vector<TestMedium*> media;
  Ip ip{clock, pool, TestMedium::factory(&media)};

  Ifc* make_ifc(const std::string& addr_msg) {
    auto f = ip.ifc_clone();
    EXPECT_TRUE(f.ok());
    EXPECT_TRUE(ip.ifc_ctl(**f, "bind pkt").ok());
    EXPECT_TRUE(ip.ifc_ctl(**f, addr_msg).ok());
    return *f;
  }

  BlockPtr ip4_packet(const Ipaddr& src, const Ipaddr& dst, uint8_t ttl, size_t payload,
                      uint8_t proto = 253, bool df = false) {
    BlockPtr b = pool.alloc(uint32_t(payload + 20));
    uint8_t* p = b->put(uint32_t(payload));
    for (size_t i = 0; i < payload; i++)
      p[i] = uint8_t(i * 7);
    wire::Ip4Repr h;
    h.src = src;
    h.dst = dst;
    h.ttl = ttl;
    h.proto = proto;
    h.df = df;
    h.id = 77;
    h.total_len = uint16_t(payload + 20);
    h.emit(b->push(20));
    return b;
  }
};

TEST_F(Fixture, CloneBindAddShowsStatusRoutesAndSelf) {
  Ifc* f = make_ifc("add 10.1.0.1 255.255.255.0");
  EXPECT_EQ(f->index, 0);
  EXPECT_EQ(f->mtu, 1500);
  std::string st = ip.ifc_status(*f);
  EXPECT_EQ(st.substr(0, 3), "pkt");
  EXPECT_NE(st.find("10.1.0.1 255.255.255.0 10.1.0.0 0 0 0 0\n"), std::string::npos) << st;
  std::string routes = ip.route_text();
  EXPECT_NE(routes.find("10.1.0.0"), std::string::npos) << routes;
  EXPECT_NE(routes.find("4i"), std::string::npos) << routes;
  EXPECT_NE(routes.find("4u"), std::string::npos) << routes;
  std::string self = ip.selftab_text();
  EXPECT_NE(self.find("10.1.0.1"), std::string::npos);
  EXPECT_NE(self.find("10.1.0.255"), std::string::npos);
  EXPECT_EQ(self.find(" 4"), std::string::npos) << "ip(3): the IPv4 flag never shows";
  EXPECT_TRUE(ip.is_self(*Ipaddr::parse("10.1.0.1")));
  // remove takes the address, its routes and self entries away.
  ASSERT_TRUE(ip.ifc_ctl(*f, "remove 10.1.0.1 255.255.255.0").ok());
  EXPECT_FALSE(ip.is_self(*Ipaddr::parse("10.1.0.1")));
  EXPECT_EQ(ip.route_text(), "");
}

TEST_F(Fixture, StatusErrorsIncludeTheMediumsDrops) {
  Ifc* a = make_ifc("add 10.1.0.1 255.255.255.0");
  media[0]->counters().in_errors = 3;  // e.g. its receive ring overflowed
  media[0]->counters().out_errors = 2;
  a->stats.in_errors = 1;
  EXPECT_TRUE(ip.ifc_status(*a).ends_with(" 0 0 4 2\n")) << ip.ifc_status(*a);
}

TEST_F(Fixture, AddDefaultsToTheClassMask) {
  Ifc* f = make_ifc("add 172.16.5.1");
  ASSERT_EQ(f->lifcs.size(), 1u);
  EXPECT_EQ(f->lifcs[0].mask, Ipaddr::mask_v4(16));
  EXPECT_EQ(f->lifcs[0].remote, *Ipaddr::parse("172.16.0.0"));
  ASSERT_TRUE(ip.ifc_ctl(*f, "add 10.9.9.9").ok());
  EXPECT_EQ(f->lifcs[1].mask, Ipaddr::mask_v4(8));
  ASSERT_TRUE(ip.ifc_ctl(*f, "add 192.168.3.3 255.255.255.0 192.168.3.0 1400 proxy").ok());
  EXPECT_EQ(f->mtu, 1400);
  EXPECT_TRUE(f->lifcs[2].proxy);
}

TEST_F(Fixture, BadCtlMessagesFailWithPlan9Text) {
  auto f = *ip.ifc_clone();
  auto r = ip.ifc_ctl(*f, "add 10.0.0.1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Err::NoMedium);
  ASSERT_TRUE(ip.ifc_ctl(*f, "bind pkt").ok());
  r = ip.ifc_ctl(*f, "bind pkt");
  EXPECT_EQ(r.error().code(), Err::Bound);
  r = ip.ifc_ctl(*f, "frobnicate");
  EXPECT_EQ(r.error().code(), Err::BadCtl);
  EXPECT_EQ(f->err, "unknown control request: frobnicate");
  r = ip.ifc_ctl(*f, "add 10.0.0.300");
  EXPECT_EQ(r.error().code(), Err::BadIp);
  r = ip.ifc_ctl(*f, "add 10.0.0.1 255.0.255.0");
  EXPECT_EQ(r.error().code(), Err::BadMask);
  r = ip.ifc_ctl(*f, "mtu 10");
  EXPECT_EQ(r.error().code(), Err::BadMtu);
  r = ip.ifc_ctl(*f, "bridge");
  EXPECT_EQ(r.error().code(), Err::NotSupported);
  r = ip.ifc_ctl(*f, "bind token /dev/tr0");
  r = ip.ifc_ctl(*f, "remove 10.0.0.7 255.0.0.0");
  EXPECT_EQ(r.error().code(), Err::NoAddr);
  r = ip.ifc_ctl(*f, "ra6 maxraint");
  EXPECT_EQ(r.error().code(), Err::BadArg);
  r = ip.ifc_ctl(*f, "ra6 bogus 1");
  EXPECT_EQ(r.error().code(), Err::BadCtl);
  r = ip.ifc_ctl(*f, "add6 fe80::1 200");
  EXPECT_EQ(r.error().code(), Err::BadMask);
}

TEST_F(Fixture, Add6AndRa6KeepTheirParameters) {
  Ifc* f = make_ifc("add6 2001:db8:1::1 64 1 0 3600 1800");
  ASSERT_EQ(f->lifcs.size(), 1u);
  EXPECT_EQ(f->lifcs[0].mask, Ipaddr::mask_v6(64));
  EXPECT_TRUE(f->lifcs[0].onlink);
  EXPECT_FALSE(f->lifcs[0].autoflag);
  EXPECT_EQ(f->lifcs[0].validlt, 3600u);
  EXPECT_EQ(f->lifcs[0].preflt, 1800u);
  EXPECT_NE(ip.route_text().find("2001:db8:1::"), std::string::npos);
  EXPECT_NE(ip.route_text().find("/64"), std::string::npos);
  ASSERT_TRUE(ip.ifc_ctl(*f,
                         "ra6 mflag 1 oflag 1 maxraint 10000 minraint 5000 linkmtu 1400 "
                         "reachtime 30000 rxmitra 1000 ttl 64 routerlt 30000")
                  .ok());
  EXPECT_TRUE(f->ra6.mflag);
  EXPECT_TRUE(f->ra6.oflag);
  EXPECT_EQ(f->ra6.maxraint, 10000);
  EXPECT_EQ(f->ra6.linkmtu, 1400u);
  EXPECT_EQ(f->ra6.ttl, 64);
  EXPECT_FALSE(ip.ifc_ctl(*f, "ra6 maxraint 100").ok()) << "RFC 4861 6.2.1 range";
}

TEST_F(Fixture, RouteFileAddRemoveTagFlush) {
  make_ifc("add 10.1.0.1 255.255.255.0");
  std::string tag = "none";
  ASSERT_TRUE(ip.route_ctl("tag ospf", tag).ok());
  ASSERT_TRUE(ip.route_ctl("add 192.168.0.0 255.255.0.0 10.1.0.254", tag).ok());
  std::string t = ip.route_text();
  EXPECT_NE(t.find("192.168.0.0     255.255.0.0     10.1.0.254      4    ospf"), std::string::npos)
      << t;
  ASSERT_TRUE(ip.route_ctl("remove 192.168.0.0 255.255.0.0", tag).ok());
  EXPECT_EQ(ip.route_text().find("192.168.0.0"), std::string::npos);
  EXPECT_EQ(ip.route_ctl("remove 192.168.0.0 255.255.0.0", tag).error().code(), Err::NoSuchEntry);
  EXPECT_EQ(ip.route_ctl("add 1.2.3.4", tag).error().code(), Err::BadArg);
  EXPECT_EQ(ip.route_ctl("launch", tag).error().code(), Err::BadCtl);
  ASSERT_TRUE(ip.route_ctl("add 192.168.0.0 255.255.0.0 10.1.0.254", tag).ok());
  ASSERT_TRUE(ip.route_ctl("add 0.0.0.0 0.0.0.0 10.1.0.254", tag).ok());
  ASSERT_TRUE(ip.route_ctl("flush", tag).ok());
  t = ip.route_text();
  EXPECT_EQ(t.find("192.168.0.0"), std::string::npos) << t;
  EXPECT_NE(t.find("10.1.0.0"), std::string::npos) << "interface routes stay: " << t;
}

TEST_F(Fixture, ForwardsDecrementingTtlOnlyWithIprouting) {
  Ifc* a = make_ifc("add 10.1.0.1 255.255.255.0");
  Ifc* b = make_ifc("add 10.2.0.1 255.255.255.0");
  auto src = *Ipaddr::parse("10.1.0.9"), dst = *Ipaddr::parse("10.2.0.9");
  Batch in;
  in.push_back(ip4_packet(src, dst, 9, 100));
  ip.input(*a, in);
  EXPECT_TRUE(media[1]->sent.empty()) << "iprouting is off";
  EXPECT_EQ(ip.stats.InAddrErrors, 1u);
  ASSERT_TRUE(ip.ifc_ctl(*a, "iprouting 1").ok());
  EXPECT_EQ(ip.stats.Forwarding, 1u);
  in.clear();
  in.push_back(ip4_packet(src, dst, 9, 100));
  ip.input(*a, in);
  ASSERT_EQ(media[1]->sent.size(), 1u);
  auto h = wire::Ip4Repr::parse(media[1]->sent[0]->span());
  ASSERT_TRUE(h.ok()) << "checksum must still be right after the TTL decrement";
  EXPECT_EQ(h->ttl, 8);
  EXPECT_EQ(ip.stats.ForwDatagrams, 1u);
  (void)b;
}

// ip(3): iprouting allows "forwarding packets between this interface and
// others" -- one interface with it is a router in both directions.
TEST_F(Fixture, IproutingOnEitherInterfaceForwardsBothWays) {
  Ifc* a = make_ifc("add 10.1.0.1 255.255.255.0");
  Ifc* b = make_ifc("add 10.2.0.1 255.255.255.0");
  Ifc* c = make_ifc("add 10.3.0.1 255.255.255.0");
  ASSERT_TRUE(ip.ifc_ctl(*b, "iprouting 1").ok());
  auto x = *Ipaddr::parse("10.1.0.9"), y = *Ipaddr::parse("10.2.0.9"),
       z = *Ipaddr::parse("10.3.0.9");
  Batch in;
  in.push_back(ip4_packet(x, y, 9, 100));  // a -> b: leaves through b
  ip.input(*a, in);
  EXPECT_EQ(media[1]->sent.size(), 1u) << "out through the interface with iprouting";
  in.clear();
  in.push_back(ip4_packet(y, x, 9, 100));  // b -> a: arrives on b
  ip.input(*b, in);
  EXPECT_EQ(media[0]->sent.size(), 1u) << "in through the interface with iprouting";
  in.clear();
  in.push_back(ip4_packet(x, z, 9, 100));  // a -> c: neither end has it
  ip.input(*a, in);
  EXPECT_TRUE(media[2]->sent.empty());
  EXPECT_EQ(ip.stats.ForwDatagrams, 2u);
  EXPECT_EQ(ip.stats.InAddrErrors, 1u);
  in.clear();
  in.push_back(ip4_packet(x, *Ipaddr::parse("10.9.9.9"), 9, 100));  // no route, a has none
  ip.input(*a, in);
  EXPECT_EQ(ip.stats.OutNoRoutes, 0u) << "not a router here: no ICMP, no route count";
  EXPECT_EQ(ip.stats.InAddrErrors, 2u);
  (void)c;
}

TEST_F(Fixture, TtlExpiryAndNoRouteSendIcmpErrors) {
  Ifc* a = make_ifc("add 10.1.0.1 255.255.255.0");
  make_ifc("add 10.2.0.1 255.255.255.0");
  ASSERT_TRUE(ip.ifc_ctl(*a, "iprouting").ok());
  auto src = *Ipaddr::parse("10.1.0.9");
  Batch in;
  in.push_back(ip4_packet(src, *Ipaddr::parse("10.2.0.9"), 1, 40));
  in.push_back(ip4_packet(src, *Ipaddr::parse("10.77.0.9"), 5, 40));
  ip.input(*a, in);
  ASSERT_EQ(media[0]->sent.size(), 2u);
  auto h0 = wire::Ip4Repr::parse(media[0]->sent[0]->span());
  ASSERT_TRUE(h0.ok());
  EXPECT_EQ(h0->dst, src);
  EXPECT_EQ(h0->src, *Ipaddr::parse("10.1.0.1"));
  EXPECT_EQ(h0->proto, wire::ipproto::kIcmp);
  auto m0 = wire::IcmpRepr::parse(media[0]->sent[0]->span().subspan(20));
  ASSERT_TRUE(m0.ok());
  EXPECT_EQ(m0->type, wire::icmp::kTimeExceeded);
  auto m1 = wire::IcmpRepr::parse(media[0]->sent[1]->span().subspan(20));
  ASSERT_TRUE(m1.ok());
  EXPECT_EQ(m1->type, wire::icmp::kUnreach);
  EXPECT_EQ(m1->code, wire::icmp::kNetUnreach);
  EXPECT_EQ(ip.stats.OutNoRoutes, 1u);
  EXPECT_EQ(ip.icmp4.out[wire::icmp::kTimeExceeded], 1u);
}

TEST_F(Fixture, FragmentsToTheMtuAndHonoursDf) {
  Ifc* a = make_ifc("add 10.1.0.1 255.255.255.0");
  Ifc* b = make_ifc("add 10.2.0.1 255.255.255.0");
  ASSERT_TRUE(ip.ifc_ctl(*a, "iprouting").ok());
  ASSERT_TRUE(ip.ifc_ctl(*b, "mtu 576").ok());
  auto src = *Ipaddr::parse("10.1.0.9"), dst = *Ipaddr::parse("10.2.0.9");
  Batch in;
  in.push_back(ip4_packet(src, dst, 9, 1400));
  ip.input(*a, in);
  ASSERT_EQ(media[1]->sent.size(), 3u);
  size_t total = 0;
  for (auto& x : media[1]->sent) {
    auto h = wire::Ip4Repr::parse(x->span());
    ASSERT_TRUE(h.ok());
    EXPECT_LE(x->size(), 576u);
    total += h->payload_len();
  }
  EXPECT_EQ(total, 1400u);
  EXPECT_EQ(ip.stats.FragOKs, 1u);
  EXPECT_EQ(ip.stats.FragCreates, 3u);
  // DF set: not fragmented; the source hears "fragmentation needed" with the MTU.
  in.clear();
  in.push_back(ip4_packet(src, dst, 9, 1400, 253, true));
  ip.input(*a, in);
  EXPECT_EQ(media[1]->sent.size(), 3u);
  ASSERT_EQ(media[0]->sent.size(), 1u);
  auto m = wire::IcmpRepr::parse(media[0]->sent[0]->span().subspan(20));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, wire::icmp::kUnreach);
  EXPECT_EQ(m->code, wire::icmp::kFragNeeded);
  EXPECT_EQ(m->rest & 0xffff, 576u);
}

TEST_F(Fixture, ReassemblesFragmentsForUsAndRejectsUnknownProtocols) {
  Ifc* a = make_ifc("add 10.1.0.1 255.255.255.0");
  Ifc* b = make_ifc("add 10.2.0.1 255.255.255.0");
  ASSERT_TRUE(ip.ifc_ctl(*b, "mtu 576").ok());
  // Make fragments by sending to a neighbour through b, then feed them back to
  // ourselves as if addressed to us.
  Batch frags;
  ASSERT_TRUE(
      fragment_v4(ip4_packet(*Ipaddr::parse("10.2.0.9"), *Ipaddr::parse("10.1.0.1"), 9, 1400), 576,
                  pool, frags)
          .ok());
  ASSERT_EQ(frags.size(), 3u);
  std::swap(frags[0], frags[2]);  // out of order
  ip.input(*b, frags);
  EXPECT_EQ(ip.reasm.stats().oks, 1u);
  // Protocol 253 is not registered: protocol unreachable from the whole datagram.
  EXPECT_EQ(ip.stats.InUnknownProtos, 1u);
  ASSERT_EQ(media[1]->sent.size(), 1u);
  auto m = wire::IcmpRepr::parse(media[1]->sent[0]->span().subspan(20));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->code, wire::icmp::kProtoUnreach);
  (void)a;
}

TEST_F(Fixture, BadHeadersAreCountedDrops) {
  Ifc* a = make_ifc("add 10.1.0.1 255.255.255.0");
  Batch in;
  BlockPtr bad = ip4_packet(*Ipaddr::parse("10.1.0.9"), *Ipaddr::parse("10.1.0.1"), 9, 20);
  bad->data()[10] ^= 0xff;  // checksum
  in.push_back(std::move(bad));
  in.push_back(pool.copy(reinterpret_cast<const uint8_t*>("\x45\x00"), 2));
  in.push_back(pool.copy(reinterpret_cast<const uint8_t*>("\x75\x00\x00"), 3));
  ip.input(*a, in);
  EXPECT_EQ(ip.stats.InHdrErrors, 2u);
  EXPECT_EQ(a->stats.in_errors, 1u);
  EXPECT_TRUE(media[0]->sent.empty());
}

TEST_F(Fixture, StatsFileHasTheNineteenFields) {
  std::string s = ip.ipifc_stats();
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 19);
  EXPECT_EQ(s.substr(0, 14), "Forwarding: 2\n");
  EXPECT_NE(s.find("DefaultTTL: 64\n"), std::string::npos);
  EXPECT_NE(s.find("FragCreates: 0\n"), std::string::npos);
}

}  // namespace
}  // namespace ninet
