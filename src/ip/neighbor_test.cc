// Tests of neighbor.cc through an in-memory Ethernet medium: ARP (answers,
// proxy, gratuitous, resolution with queued packets, give-up), Neighbor
// Discovery (NS/NA, validity checks), DAD, router solicitations and
// advertisements, and SLAAC. Frames are compared byte for byte with frames
// built from the wire Reprs, and a few fields against literal bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>

#include "ip/ip.h"
#include "media/testing.h"
#include "wire/arp.h"
#include "wire/ether.h"
#include "wire/icmp.h"
#include "wire/icmp6.h"
#include "wire/ip4.h"
#include "wire/ip6.h"

namespace ninet {
namespace {

using Bytes = std::vector<uint8_t>;

Ipaddr ipa(std::string_view s) {
  return *Ipaddr::parse(s);
}
Mac mac(std::string_view s) {
  return *Mac::parse(s);
}

Bytes ether_frame(const Mac& dst, const Mac& src, uint16_t type, const Bytes& payload) {
  Bytes f(wire::EtherRepr::kLen);
  wire::EtherRepr{dst, src, type}.emit(f.data());
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

Bytes arp_frame(const Mac& edst, uint16_t op, const Mac& sha, const Ipaddr& spa, const Mac& tha,
                const Ipaddr& tpa) {
  Bytes a(wire::ArpRepr::kLen);
  wire::ArpRepr{op, sha, spa, tha, tpa}.emit(a.data());
  return ether_frame(edst, sha, wire::ethertype::kArp, a);
}

// An ND message in an Ethernet frame; the hop limit and code can be made bad.
Bytes nd_frame(const Mac& edst, const Mac& esrc, const Ipaddr& src, const Ipaddr& dst, uint8_t type,
               uint32_t rest, const wire::NdRepr& nd, uint8_t hop = 255, uint8_t code = 0) {
  uint8_t body[1500];
  size_t n = nd.emit_body(type, body);
  Bytes p(wire::Ip6Repr::kLen + 8 + n);
  wire::Ip6Repr h;
  h.src = src;
  h.dst = dst;
  h.next_header = wire::ipproto::kIcmp6;
  h.hop_limit = hop;
  h.payload_len = uint16_t(8 + n);
  h.emit(p.data());
  wire::Icmp6Repr{type, code, rest, {}}.emit(src, dst, std::span<uint8_t>(p.data() + 40, 8 + n),
                                             std::span<const uint8_t>(body, n));
  return ether_frame(edst, esrc, wire::ethertype::kIp6, p);
}

constexpr size_t kIcmp6Off = 14 + 40;  // ICMPv6 header in an ND frame

struct Neighbor : ::testing::Test {
  ManualClock clock;
  Pool pool;
  std::vector<TestMedium*> media;
  Ip ip{clock, pool, TestMedium::factory(&media)};

  // Our side: 52:54:00:00:00:01 on the first interface. The peer: 02:...:aa.
  const Mac peer_mac = mac("02:00:00:00:00:aa");
  const Mac router_mac = mac("02:00:00:00:00:bb");
  const Ipaddr peer_ll = ipa("fe80::aa");
  const Ipaddr router_ll = ipa("fe80::1");

  // Binds an Ethernet interface and lets DAD of its link-local address
  // finish (RFC 4862 5.4: up to 1 s delay, one probe, 1 s wait); the frames
  // of that are dropped.
  Ifc* bind_ether() {
    auto f = ip.ifc_clone();
    EXPECT_TRUE(f.ok());
    EXPECT_TRUE(ip.ifc_ctl(**f, "bind ether nd0").ok());
    tick_for(sec(3));
    for (const Lifc& l : (*f)->lifcs)
      EXPECT_FALSE(l.tentative) << l.local.str();
    sent(*f);
    return *f;
  }
  void ctl(Ifc* f, const std::string& msg) {
    auto st = ip.ifc_ctl(*f, msg);
    ASSERT_TRUE(st.ok()) << msg << ": " << st.error().text();
  }
  TestMedium& medium(const Ifc* f) { return *static_cast<TestMedium*>(f->medium.get()); }
  // Frames sent since the last call.
  std::vector<Bytes> sent(Ifc* f) {
    ip.flush();
    std::vector<Bytes> v;
    for (auto& b : medium(f).sent)
      v.emplace_back(b->data(), b->data() + b->size());
    medium(f).sent.clear();
    return v;
  }
  void inject(Ifc* f, const Bytes& frame) {
    medium(f).in.push_back(pool.copy(frame.data(), uint32_t(frame.size())));
    ip.poll();
  }
  void tick_for(Time d) {
    Time end = clock.now() + d;
    while (clock.now() < end) {
      clock.advance(ms(100));
      ip.tick();
    }
  }
  // The engine without its thread: sleep until the wheel's next deadline
  // (while it is before end), run what is due, and show `each` the frames f
  // sent; then the clock stands at end.
  void follow_timers(Ifc* f, Time end, const std::function<void(const std::vector<Bytes>&)>& each) {
    for (Time next; (next = ip.timers.next()) <= end;) {
      clock.set(std::max(clock.now(), next));
      ip.tick();
      each(sent(f));
    }
    if (clock.now() < end) clock.set(end);
  }
  void send_udp_like(const Ipaddr& src, const Ipaddr& dst, const Bytes& payload) {
    BlockPtr b = pool.alloc();
    b->append(payload.data(), uint32_t(payload.size()));
    SendParams p;
    p.src = src;
    p.dst = dst;
    p.proto = 253;
    ASSERT_TRUE(ip.send(p, std::move(b)).ok());
  }
  const Route* find_route(const Ipaddr& target, const Ipaddr& mask) {
    static std::vector<Route> list;
    list = ip.routes.list();
    for (const Route& r : list)
      if (r.target == target && r.mask == mask) return &r;
    return nullptr;
  }
  std::string read_log() {
    std::atomic<bool> stop{true};
    uint8_t buf[4096];
    auto n = ip.log.read(buf, &stop);
    return n ? std::string(reinterpret_cast<char*>(buf), *n) : "";
  }
};

// ---- ARP ----

TEST_F(Neighbor, GratuitousArpWhenAnAddressIsAdded) {
  Ifc* f = bind_ether();
  sent(f);
  ctl(f, "add 10.0.0.1 255.255.255.0");
  auto out = sent(f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], arp_frame(Mac::broadcast(), wire::arp::kRequest, f->mac, ipa("10.0.0.1"), Mac(),
                              ipa("10.0.0.1")));
  // Literal: broadcast, ethertype 0806, op 1, spa == tpa.
  EXPECT_EQ(Bytes(out[0].begin(), out[0].begin() + 6), Bytes(6, 0xff));
  EXPECT_EQ(out[0][12], 0x08);
  EXPECT_EQ(out[0][13], 0x06);
  EXPECT_EQ(out[0][21], 1);
  EXPECT_EQ(Bytes(out[0].begin() + 28, out[0].begin() + 32), (Bytes{10, 0, 0, 1}));
  EXPECT_EQ(Bytes(out[0].begin() + 38, out[0].begin() + 42), (Bytes{10, 0, 0, 1}));
}

TEST_F(Neighbor, ArpRequestForOurAddressIsAnsweredAndTheRequesterLearned) {
  Ifc* f = bind_ether();
  ctl(f, "add 10.0.0.1 255.255.255.0");
  sent(f);
  Bytes req = arp_frame(Mac::broadcast(), wire::arp::kRequest, peer_mac, ipa("10.0.0.2"), Mac(),
                        ipa("10.0.0.1"));
  req.resize(60);  // Ethernet padding
  inject(f, req);
  auto out = sent(f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], arp_frame(peer_mac, wire::arp::kReply, f->mac, ipa("10.0.0.1"), peer_mac,
                              ipa("10.0.0.2")));
  EXPECT_EQ(out[0][21], 2);  // op reply
  auto e = ip.arp.entries();
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].ip, ipa("10.0.0.2"));
  EXPECT_EQ(e[0].mac, peer_mac);
  EXPECT_TRUE(e[0].ok);
  EXPECT_EQ(f->stats.in_errors, 0u);
}

TEST_F(Neighbor, ArpUpdatesKnownRequestersOnlyWhenNotAskingUs) {
  Ifc* f = bind_ether();
  ctl(f, "add 10.0.0.1 255.255.255.0");
  sent(f);
  // A stranger asking for someone else: no answer, nothing learned (ip(3)).
  inject(f, arp_frame(Mac::broadcast(), wire::arp::kRequest, peer_mac, ipa("10.0.0.2"), Mac(),
                      ipa("10.0.0.3")));
  EXPECT_TRUE(sent(f).empty());
  EXPECT_EQ(ip.arp.size(), 0u);
  // A requester in the table is updated even when it asks for someone else.
  ASSERT_TRUE(ip.arp_ctl("add ether 10.0.0.2 020000000099").ok());
  inject(f, arp_frame(Mac::broadcast(), wire::arp::kRequest, peer_mac, ipa("10.0.0.2"), Mac(),
                      ipa("10.0.0.3")));
  EXPECT_TRUE(sent(f).empty());
  ASSERT_EQ(ip.arp.size(), 1u);
  EXPECT_EQ(ip.arp.entries()[0].mac, peer_mac);
}

TEST_F(Neighbor, ProxyArpAnswersForAPppRemoteOnTheEthernetsNetwork) {
  Ifc* f = bind_ether();
  ctl(f, "add 10.0.0.1 255.255.255.0");
  auto g = *ip.ifc_clone();
  ctl(g, "bind pkt");
  // ppp(8): the peer 10.0.0.77 appears to be on the Ethernet.
  ctl(g, "add 172.16.0.1 255.255.255.255 10.0.0.77 proxy");
  sent(f);
  inject(f, arp_frame(Mac::broadcast(), wire::arp::kRequest, peer_mac, ipa("10.0.0.2"), Mac(),
                      ipa("10.0.0.77")));
  auto out = sent(f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], arp_frame(peer_mac, wire::arp::kReply, f->mac, ipa("10.0.0.77"), peer_mac,
                              ipa("10.0.0.2")));
  // Not for a neighbour of the proxied one, nor for ppp's own local address.
  inject(f, arp_frame(Mac::broadcast(), wire::arp::kRequest, peer_mac, ipa("10.0.0.2"), Mac(),
                      ipa("10.0.0.78")));
  inject(f, arp_frame(Mac::broadcast(), wire::arp::kRequest, peer_mac, ipa("10.0.0.2"), Mac(),
                      ipa("172.16.0.1")));
  EXPECT_TRUE(sent(f).empty());
}

TEST_F(Neighbor, ProxyArpForARemoteOfTheSameInterface) {
  Ifc* f = bind_ether();
  ctl(f, "add 10.0.0.1 255.255.255.0");
  ctl(f, "add 192.168.7.1 255.255.255.255 192.168.9.9 proxy");
  sent(f);
  inject(f, arp_frame(Mac::broadcast(), wire::arp::kRequest, peer_mac, ipa("10.0.0.2"), Mac(),
                      ipa("192.168.9.9")));
  auto out = sent(f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], arp_frame(peer_mac, wire::arp::kReply, f->mac, ipa("192.168.9.9"), peer_mac,
                              ipa("10.0.0.2")));
}

TEST_F(Neighbor, ArpResolvesThenReleasesTheQueuedPacket) {
  Ifc* f = bind_ether();
  ctl(f, "add 10.0.0.1 255.255.255.0");
  sent(f);
  Bytes payload = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  send_udp_like(ipa("10.0.0.1"), ipa("10.0.0.2"), payload);
  auto out = sent(f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], arp_frame(Mac::broadcast(), wire::arp::kRequest, f->mac, ipa("10.0.0.1"), Mac(),
                              ipa("10.0.0.2")));
  ASSERT_EQ(ip.arp.entries().size(), 1u);
  EXPECT_FALSE(ip.arp.entries()[0].ok);
  inject(f,
         arp_frame(f->mac, wire::arp::kReply, peer_mac, ipa("10.0.0.2"), f->mac, ipa("10.0.0.1")));
  out = sent(f);
  ASSERT_EQ(out.size(), 1u);
  auto e = wire::EtherRepr::parse(out[0]);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->dst, peer_mac);
  EXPECT_EQ(e->src, f->mac);
  EXPECT_EQ(e->type, wire::ethertype::kIp4);
  auto h = wire::Ip4Repr::parse(std::span<const uint8_t>(out[0]).subspan(14));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->src, ipa("10.0.0.1"));
  EXPECT_EQ(h->dst, ipa("10.0.0.2"));
  EXPECT_EQ(h->proto, 253);
  EXPECT_EQ(Bytes(out[0].begin() + 34, out[0].end()), payload);
  EXPECT_TRUE(ip.arp.entries()[0].ok);
}

TEST_F(Neighbor, ArpRetransmitsThenGivesUpWithHostUnreachable) {
  Ifc* f = bind_ether();
  ctl(f, "add 10.0.0.1 255.255.255.0");
  sent(f);
  send_udp_like(ipa("10.0.0.1"), ipa("10.0.0.9"), {1, 2, 3});
  EXPECT_EQ(sent(f).size(), 1u);  // first request
  int requests = 0;
  for (int i = 0; i < 60; i++) {
    clock.advance(ms(100));
    ip.tick();
    for (const Bytes& b : sent(f)) {
      auto a = wire::ArpRepr::parse(std::span<const uint8_t>(b).subspan(14));
      ASSERT_TRUE(a.ok());
      EXPECT_EQ(a->tpa, ipa("10.0.0.9"));
      requests++;
    }
  }
  EXPECT_EQ(requests, ArpCache::kMaxTries - 1);
  EXPECT_EQ(ip.arp.size(), 0u);
  // The queued packet came from us: the host unreachable is for us.
  EXPECT_EQ(ip.icmp4.out[3], 1u);
}

TEST_F(Neighbor, UnansweredSolicitationsEndWithAddressUnreachable) {
  Ifc* f = bind_ether();
  ctl(f, "add6 2001:db8::1 64");
  sent(f);
  send_udp_like(ipa("2001:db8::1"), ipa("2001:db8::9"), {1, 2, 3});
  int ns = 0;
  for (int i = 0; i < 60; i++) {
    clock.advance(ms(100));
    ip.tick();
    for (const Bytes& b : sent(f))
      if (b[kIcmp6Off] == wire::icmp6::kNeighborSolicit) ns++;
  }
  EXPECT_EQ(ns, 1 + ArpCache::kMaxTries - 1);
  EXPECT_EQ(ip.icmp6.out[wire::icmp6::kDstUnreach], 1u);
}

TEST_F(Neighbor, BadArpIsCountedAndConflictsAreLogged) {
  Ifc* f = bind_ether();
  ctl(f, "add 10.0.0.1 255.255.255.0");
  sent(f);
  ip.log.open();
  Bytes req = arp_frame(Mac::broadcast(), wire::arp::kRequest, peer_mac, ipa("10.0.0.2"), Mac(),
                        ipa("10.0.0.1"));
  Bytes shorter(req.begin(), req.begin() + 14 + 20);
  inject(f, shorter);
  Bytes htype = req;
  htype[15] = 6;  // hardware type 6 (IEEE 802)
  inject(f, htype);
  Bytes mcast_sender = arp_frame(Mac::broadcast(), wire::arp::kRequest, mac("01:00:5e:00:00:01"),
                                 ipa("10.0.0.2"), Mac(), ipa("10.0.0.1"));
  inject(f, mcast_sender);
  EXPECT_EQ(f->stats.in_errors, 3u);
  EXPECT_TRUE(sent(f).empty());
  EXPECT_EQ(ip.arp.size(), 0u);
  // Someone else claiming 10.0.0.1 is logged and not believed.
  read_log();
  inject(f, arp_frame(Mac::broadcast(), wire::arp::kRequest, peer_mac, ipa("10.0.0.1"), Mac(),
                      ipa("10.0.0.1")));
  EXPECT_EQ(ip.arp.size(), 0u);
  EXPECT_NE(read_log().find("10.0.0.1 also has ether addr 0200000000aa"), std::string::npos);
  ip.log.close();
}

// ---- Neighbor Discovery ----

TEST_F(Neighbor, JoinsAllNodesAndSolicitedNodeGroups) {
  Ifc* f = bind_ether();
  ctl(f, "add6 2001:db8::1234:5678 64");
  auto& m = medium(f).multi;
  auto has = [&](const char* s) { return std::find(m.begin(), m.end(), mac(s)) != m.end(); };
  EXPECT_TRUE(has("33:33:00:00:00:01"));  // ff02::1
  EXPECT_TRUE(has("33:33:ff:00:00:01"));  // ff02::1:ff00:1 (fe80::ff:fe00:1)
  EXPECT_TRUE(has("33:33:ff:34:56:78"));  // ff02::1:ff34:5678
  EXPECT_TRUE(f->has_group(ipa("ff02::1:ff34:5678")));
}

TEST_F(Neighbor, SolicitationForOurAddressGetsASolicitedAdvertisement) {
  Ifc* f = bind_ether();
  Ipaddr ll = linklocal_from_mac(f->mac);
  EXPECT_EQ(ll, ipa("fe80::5054:ff:fe00:1"));
  sent(f);
  wire::NdRepr ns;
  ns.target = ll;
  ns.src_lladdr = peer_mac;
  inject(f, nd_frame(Mac::multicast_v6(solicited_node(ll)), peer_mac, peer_ll, solicited_node(ll),
                     wire::icmp6::kNeighborSolicit, 0, ns));
  auto out = sent(f);
  ASSERT_EQ(out.size(), 1u);
  wire::NdRepr na;
  na.target = ll;
  na.tgt_lladdr = f->mac;
  EXPECT_EQ(out[0], nd_frame(peer_mac, f->mac, ll, peer_ll, wire::icmp6::kNeighborAdvert,
                             wire::icmp6::kNaSolicited | wire::icmp6::kNaOverride, na));
  EXPECT_EQ(out[0][14 + 7], 255);          // hop limit
  EXPECT_EQ(out[0][kIcmp6Off], 136);       // NA
  EXPECT_EQ(out[0][kIcmp6Off + 4], 0x60);  // R=0 S=1 O=1
  EXPECT_EQ(out[0][kIcmp6Off + 24], 2);    // target link-layer option
  auto e = ip.arp.entries();
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].ip, peer_ll);
  EXPECT_EQ(e[0].mac, peer_mac);
  EXPECT_EQ(ip.icmp6.in[wire::icmp6::kNeighborSolicit], 1u);
  EXPECT_EQ(ip.icmp6.out[wire::icmp6::kNeighborAdvert], 1u + 1u);  // + the one at bind
}

TEST_F(Neighbor, SolicitationThenAdvertisementReleasesTheQueuedPacket) {
  Ifc* f = bind_ether();
  ctl(f, "add6 2001:db8::1 64");
  sent(f);
  Bytes payload = {9, 8, 7, 6};
  send_udp_like(ipa("2001:db8::1"), ipa("2001:db8::2"), payload);
  auto out = sent(f);
  ASSERT_EQ(out.size(), 1u);
  wire::NdRepr ns;
  ns.target = ipa("2001:db8::2");
  ns.src_lladdr = f->mac;
  EXPECT_EQ(out[0], nd_frame(mac("33:33:ff:00:00:02"), f->mac, ipa("2001:db8::1"),
                             ipa("ff02::1:ff00:2"), wire::icmp6::kNeighborSolicit, 0, ns));
  wire::NdRepr na;
  na.target = ipa("2001:db8::2");
  na.tgt_lladdr = peer_mac;
  inject(f, nd_frame(f->mac, peer_mac, ipa("2001:db8::2"), ipa("2001:db8::1"),
                     wire::icmp6::kNeighborAdvert,
                     wire::icmp6::kNaSolicited | wire::icmp6::kNaOverride, na));
  out = sent(f);
  ASSERT_EQ(out.size(), 1u);
  auto e = wire::EtherRepr::parse(out[0]);
  EXPECT_EQ(e->dst, peer_mac);
  EXPECT_EQ(e->type, wire::ethertype::kIp6);
  auto h = wire::Ip6Repr::parse(std::span<const uint8_t>(out[0]).subspan(14));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->src, ipa("2001:db8::1"));
  EXPECT_EQ(h->dst, ipa("2001:db8::2"));
  EXPECT_EQ(h->next_header, 253);
  EXPECT_EQ(Bytes(out[0].begin() + 54, out[0].end()), payload);
}

TEST_F(Neighbor, AdvertisementWithoutOverrideKeepsAKnownAddress) {
  Ifc* f = bind_ether();
  ASSERT_TRUE(ip.arp_ctl("add ether fe80::aa 0200000000aa").ok());
  sent(f);
  Ipaddr ll = linklocal_from_mac(f->mac);
  wire::NdRepr na;
  na.target = peer_ll;
  na.tgt_lladdr = mac("02:00:00:00:00:cc");
  inject(f, nd_frame(Mac::multicast_v6(ipa("ff02::1")), mac("02:00:00:00:00:cc"), peer_ll,
                     ipa("ff02::1"), wire::icmp6::kNeighborAdvert, 0, na));
  EXPECT_EQ(ip.arp.entries()[0].mac, peer_mac);
  inject(f, nd_frame(Mac::multicast_v6(ipa("ff02::1")), mac("02:00:00:00:00:cc"), peer_ll,
                     ipa("ff02::1"), wire::icmp6::kNeighborAdvert, wire::icmp6::kNaOverride, na));
  EXPECT_EQ(ip.arp.entries()[0].mac, mac("02:00:00:00:00:cc"));
  // An unsolicited advertisement for a stranger makes no entry (7.2.5).
  na.target = ipa("fe80::77");
  inject(f, nd_frame(Mac::multicast_v6(ipa("ff02::1")), peer_mac, ipa("fe80::77"), ipa("ff02::1"),
                     wire::icmp6::kNeighborAdvert, wire::icmp6::kNaOverride, na));
  EXPECT_EQ(ip.arp.size(), 1u);
  EXPECT_TRUE(sent(f).empty());
  (void)ll;
}

TEST_F(Neighbor, KnownNeighbourIsSolicitedByUnicast) {
  Ifc* f = bind_ether();
  ctl(f, "add6 2001:db8::1 64");
  ASSERT_TRUE(ip.arp_ctl("add ether 2001:db8::2 0200000000aa").ok());
  sent(f);
  ip.send_ns(*f, ipa("2001:db8::2"), ipa("2001:db8::1"), false);
  auto out = sent(f);
  ASSERT_EQ(out.size(), 1u);
  wire::NdRepr ns;
  ns.target = ipa("2001:db8::2");
  ns.src_lladdr = f->mac;
  EXPECT_EQ(out[0], nd_frame(peer_mac, f->mac, ipa("2001:db8::1"), ipa("2001:db8::2"),
                             wire::icmp6::kNeighborSolicit, 0, ns));
}

TEST_F(Neighbor, InvalidNeighborDiscoveryIsDroppedAndCounted) {
  Ifc* f = bind_ether();
  Ipaddr ll = linklocal_from_mac(f->mac);
  Ipaddr sn = solicited_node(ll);
  Mac snmac = Mac::multicast_v6(sn);
  sent(f);
  wire::NdRepr ns;
  ns.target = ll;
  ns.src_lladdr = peer_mac;
  uint8_t kNs = wire::icmp6::kNeighborSolicit;
  std::vector<Bytes> bad;
  bad.push_back(nd_frame(snmac, peer_mac, peer_ll, sn, kNs, 0, ns, 254));     // hop limit
  bad.push_back(nd_frame(snmac, peer_mac, peer_ll, sn, kNs, 0, ns, 255, 1));  // code
  // From :: with a source link-layer option.
  bad.push_back(nd_frame(snmac, peer_mac, Ipaddr(), sn, kNs, 0, ns));
  // From :: to a group that is not solicited-node.
  wire::NdRepr dad;
  dad.target = ll;
  bad.push_back(
      nd_frame(Mac::multicast_v6(ipa("ff02::1")), peer_mac, Ipaddr(), ipa("ff02::1"), kNs, 0, dad));
  // Multicast target.
  wire::NdRepr mt;
  mt.target = ipa("ff02::1");
  bad.push_back(nd_frame(snmac, peer_mac, peer_ll, sn, kNs, 0, mt));
  // Solicited advertisement to a multicast address.
  wire::NdRepr na;
  na.target = peer_ll;
  na.tgt_lladdr = peer_mac;
  bad.push_back(nd_frame(Mac::multicast_v6(ipa("ff02::1")), peer_mac, peer_ll, ipa("ff02::1"),
                         wire::icmp6::kNeighborAdvert, wire::icmp6::kNaSolicited, na));
  // An option of length 0 (checksum fixed after the edit).
  auto zero_opt = [&] {
    Bytes b = nd_frame(snmac, peer_mac, peer_ll, sn, kNs, 0, ns);
    b[kIcmp6Off + 24 + 1] = 0;
    b[kIcmp6Off + 2] = b[kIcmp6Off + 3] = 0;
    wire::Icmp6Repr m{kNs, 0, 0, {}};
    Bytes body(b.begin() + kIcmp6Off + 8, b.end());
    m.emit(peer_ll, sn, std::span<uint8_t>(b.data() + kIcmp6Off, b.size() - kIcmp6Off), body);
    return b;
  };
  bad.push_back(zero_opt());
  // Truncated: an NS without its target (IPv6 and ICMPv6 lengths agree).
  {
    wire::NdRepr none;
    Bytes b = nd_frame(snmac, peer_mac, peer_ll, sn, wire::icmp6::kRouterSolicit, 0, none);
    b[kIcmp6Off] = kNs;
    wire::Icmp6Repr m{kNs, 0, 0, {}};
    m.emit(peer_ll, sn, std::span<uint8_t>(b.data() + kIcmp6Off, 8), {});
    bad.push_back(b);
  }
  // Bad checksum.
  {
    Bytes b = nd_frame(snmac, peer_mac, peer_ll, sn, kNs, 0, ns);
    b[kIcmp6Off + 2] ^= 0xff;
    bad.push_back(b);
  }
  // Router advertisement not from a link-local address.
  {
    wire::NdRepr ra;
    ra.router_lifetime = 1800;
    bad.push_back(nd_frame(Mac::multicast_v6(ipa("ff02::1")), router_mac, ipa("2001:db8::1"),
                           ipa("ff02::1"), wire::icmp6::kRouterAdvert, ra.ra_rest(), ra));
  }
  for (size_t i = 0; i < bad.size(); i++) {
    uint64_t before = ip.icmp6.in_errors;
    inject(f, bad[i]);
    EXPECT_EQ(ip.icmp6.in_errors, before + 1) << "case " << i;
  }
  EXPECT_TRUE(sent(f).empty());
  EXPECT_EQ(ip.arp.size(), 0u);
  EXPECT_EQ(f->lifcs.size(), 1u);
  // The same solicitation, valid, is answered.
  inject(f, nd_frame(snmac, peer_mac, peer_ll, sn, kNs, 0, ns));
  EXPECT_EQ(sent(f).size(), 1u);
}

// ---- Duplicate Address Detection ----

TEST_F(Neighbor, DadProbesFromUnspecifiedThenThePreferredAddressIsUsable) {
  Ifc* f = bind_ether();
  sent(f);
  ctl(f, "try 2001:db8::1 /64");
  ASSERT_NE(f->find(ipa("2001:db8::1")), nullptr);
  EXPECT_TRUE(f->find(ipa("2001:db8::1"))->tentative);
  auto src = ip.source_for(ipa("2001:db8::2"), f->index);
  EXPECT_TRUE(!src.ok() || *src != ipa("2001:db8::1")) << "tentative is not a source";
  EXPECT_TRUE(sent(f).empty()) << "no announcement of a tentative address";
  // Within MAX_RTR_SOLICITATION_DELAY: one probe, from ::, no link-layer option.
  tick_for(sec(1));
  auto out = sent(f);
  ASSERT_EQ(out.size(), 1u);
  wire::NdRepr ns;
  ns.target = ipa("2001:db8::1");
  EXPECT_EQ(out[0], nd_frame(mac("33:33:ff:00:00:01"), f->mac, Ipaddr(), ipa("ff02::1:ff00:1"),
                             wire::icmp6::kNeighborSolicit, 0, ns));
  EXPECT_EQ(out[0].size(), 14u + 40 + 24) << "no options";
  EXPECT_TRUE(f->find(ipa("2001:db8::1"))->tentative);
  // RetransTimer (1 s) later without an answer: preferred, announced once.
  tick_for(sec(1));
  EXPECT_FALSE(f->find(ipa("2001:db8::1"))->tentative);
  out = sent(f);
  ASSERT_EQ(out.size(), 1u);
  wire::NdRepr na;
  na.target = ipa("2001:db8::1");
  na.tgt_lladdr = f->mac;
  EXPECT_EQ(out[0], nd_frame(mac("33:33:00:00:00:01"), f->mac, ipa("2001:db8::1"), ipa("ff02::1"),
                             wire::icmp6::kNeighborAdvert, wire::icmp6::kNaOverride, na));
  EXPECT_EQ(*ip.source_for(ipa("2001:db8::2"), f->index), ipa("2001:db8::1"));
  tick_for(sec(5));
  EXPECT_TRUE(sent(f).empty()) << "DupAddrDetectTransmits is 1";
}

// The EUI-64 link-local address a bind gives is tentative like any other
// (RFC 4862 5.4): not a source, probed from ::, announced when DAD passes.
TEST_F(Neighbor, LinkLocalAddressOfABindIsTentativeUntilDad) {
  auto fr = ip.ifc_clone();
  ASSERT_TRUE(fr.ok());
  Ifc* f = *fr;
  ctl(f, "bind ether nd0");
  ASSERT_EQ(f->lifcs.size(), 1u);
  const Ipaddr ll = f->lifcs[0].local;
  EXPECT_EQ(ll, ipa("fe80::5054:ff:fe00:1"));  // 52:54:00:00:00:01, U/L bit flipped
  EXPECT_TRUE(f->lifcs[0].tentative);
  auto src = ip.source_for(ipa("fe80::aa"), f->index);
  EXPECT_TRUE(!src.ok() || *src != ll) << "tentative is not a source";
  EXPECT_TRUE(sent(f).empty()) << "no announcement before DAD";
  tick_for(sec(1));
  auto out = sent(f);
  ASSERT_EQ(out.size(), 1u);
  wire::NdRepr ns;
  ns.target = ll;
  EXPECT_EQ(out[0], nd_frame(mac("33:33:ff:00:00:01"), f->mac, Ipaddr(), ipa("ff02::1:ff00:1"),
                             wire::icmp6::kNeighborSolicit, 0, ns));
  tick_for(sec(1));
  EXPECT_FALSE(f->lifcs[0].tentative);
  out = sent(f);
  ASSERT_EQ(out.size(), 1u);
  wire::NdRepr na;
  na.target = ll;
  na.tgt_lladdr = f->mac;
  EXPECT_EQ(out[0], nd_frame(mac("33:33:00:00:00:01"), f->mac, ll, ipa("ff02::1"),
                             wire::icmp6::kNeighborAdvert, wire::icmp6::kNaOverride, na));
  EXPECT_EQ(*ip.source_for(ipa("fe80::aa"), f->index), ll);
}

TEST_F(Neighbor, DadConflictFromAnotherProbeRemovesTheAddress) {
  Ifc* f = bind_ether();
  ctl(f, "try 2001:db8::1 /64");
  sent(f);
  ip.log.open();
  wire::NdRepr ns;
  ns.target = ipa("2001:db8::1");
  inject(f, nd_frame(mac("33:33:ff:00:00:01"), peer_mac, Ipaddr(), ipa("ff02::1:ff00:1"),
                     wire::icmp6::kNeighborSolicit, 0, ns));
  EXPECT_EQ(f->find(ipa("2001:db8::1")), nullptr);
  EXPECT_FALSE(ip.is_self(ipa("2001:db8::1")));
  EXPECT_NE(read_log().find("duplicate address 2001:db8::1"), std::string::npos);
  ip.log.close();
  tick_for(sec(3));
  EXPECT_TRUE(sent(f).empty()) << "no probe or announcement for a removed address";
}

TEST_F(Neighbor, DadConflictFromAnAdvertisementRemovesTheAddress) {
  Ifc* f = bind_ether();
  sent(f);
  ctl(f, "try 2001:db8::1 /64");
  tick_for(sec(1));
  ASSERT_EQ(sent(f).size(), 1u);  // the probe
  wire::NdRepr na;
  na.target = ipa("2001:db8::1");
  na.tgt_lladdr = peer_mac;
  inject(f, nd_frame(mac("33:33:00:00:00:01"), peer_mac, ipa("2001:db8::1"), ipa("ff02::1"),
                     wire::icmp6::kNeighborAdvert, wire::icmp6::kNaOverride, na));
  EXPECT_EQ(f->find(ipa("2001:db8::1")), nullptr);
  EXPECT_EQ(find_route(ipa("2001:db8::"), Ipaddr::mask_v6(64)), nullptr);
  tick_for(sec(2));
  EXPECT_TRUE(sent(f).empty());
}

TEST_F(Neighbor, ResolutionOfATentativeAddressIsIgnored) {
  Ifc* f = bind_ether();
  ctl(f, "try 2001:db8::1 /64");
  sent(f);
  wire::NdRepr ns;
  ns.target = ipa("2001:db8::1");
  ns.src_lladdr = peer_mac;
  inject(f, nd_frame(mac("33:33:ff:00:00:01"), peer_mac, ipa("2001:db8::2"), ipa("ff02::1:ff00:1"),
                     wire::icmp6::kNeighborSolicit, 0, ns));
  EXPECT_TRUE(sent(f).empty());
  ASSERT_NE(f->find(ipa("2001:db8::1")), nullptr);
  EXPECT_TRUE(f->find(ipa("2001:db8::1"))->tentative);
}

TEST_F(Neighbor, APreferredAddressIsDefendedAgainstDad) {
  Ifc* f = bind_ether();
  ctl(f, "add6 2001:db8::1 64");
  sent(f);
  wire::NdRepr ns;
  ns.target = ipa("2001:db8::1");
  inject(f, nd_frame(mac("33:33:ff:00:00:01"), peer_mac, Ipaddr(), ipa("ff02::1:ff00:1"),
                     wire::icmp6::kNeighborSolicit, 0, ns));
  auto out = sent(f);
  ASSERT_EQ(out.size(), 1u);
  wire::NdRepr na;
  na.target = ipa("2001:db8::1");
  na.tgt_lladdr = f->mac;
  EXPECT_EQ(out[0], nd_frame(mac("33:33:00:00:00:01"), f->mac, ipa("2001:db8::1"), ipa("ff02::1"),
                             wire::icmp6::kNeighborAdvert, wire::icmp6::kNaOverride, na));
  EXPECT_NE(f->find(ipa("2001:db8::1")), nullptr);
  EXPECT_EQ(ip.arp.size(), 0u);
}

// ---- Router solicitations and advertisements ----

TEST_F(Neighbor, RouterSolicitationsWhenReceivingRas) {
  Ifc* f = bind_ether();
  Ipaddr ll = linklocal_from_mac(f->mac);
  sent(f);
  ctl(f, "ra6 recvra 1");
  auto out = sent(f);
  ASSERT_EQ(out.size(), 1u);
  wire::NdRepr rs;
  rs.src_lladdr = f->mac;
  Bytes want = nd_frame(mac("33:33:00:00:00:02"), f->mac, ll, ipa("ff02::2"),
                        wire::icmp6::kRouterSolicit, 0, rs);
  EXPECT_EQ(out[0], want);
  EXPECT_EQ(out[0][kIcmp6Off], 133);
  EXPECT_EQ(out[0][kIcmp6Off + 8], 1);  // source link-layer option
  // RFC 4861 6.3.7: 3 in all, 4 s apart.
  tick_for(sec(3) + ms(900));
  EXPECT_TRUE(sent(f).empty());
  tick_for(ms(100));
  EXPECT_EQ(sent(f).size(), 1u);
  tick_for(sec(4));
  EXPECT_EQ(sent(f).size(), 1u);
  tick_for(sec(20));
  EXPECT_TRUE(sent(f).empty());
}

TEST_F(Neighbor, AnAdvertisementStopsSolicitations) {
  Ifc* f = bind_ether();
  ctl(f, "ra6 recvra 1");
  sent(f);
  wire::NdRepr ra;
  ra.router_lifetime = 600;
  inject(f, nd_frame(mac("33:33:00:00:00:01"), router_mac, router_ll, ipa("ff02::1"),
                     wire::icmp6::kRouterAdvert, ra.ra_rest(), ra));
  tick_for(sec(20));
  EXPECT_TRUE(sent(f).empty());
}

TEST_F(Neighbor, NoSolicitationWithoutAPreferredLinkLocal) {
  auto g = *ip.ifc_clone();
  ctl(g, "bind pkt");
  ctl(g, "ra6 recvra 1");  // no ether, no link-local: nothing to send
  tick_for(sec(10));
  EXPECT_EQ(ip.icmp6.out[wire::icmp6::kRouterSolicit], 0u);
}

TEST_F(Neighbor, RouterAdvertisementCarriesTheConfiguredFieldsAndPrefixes) {
  Ifc* f = bind_ether();
  Ipaddr ll = linklocal_from_mac(f->mac);
  ctl(f, "add6 2001:db8:1::1 64 1 1 86400 14400");
  ctl(f, "add6 2001:db8:2::5 64 0 1");
  ctl(f, "add6 2001:db8:1::9 64 1 0 100 50");  // same prefix: advertised once
  ctl(f, "add 10.0.0.1 255.255.255.0");        // no v4 in RAs
  sent(f);
  ctl(f,
      "ra6 sendra 1 mflag 1 oflag 1 linkmtu 1400 reachtime 30000 rxmitra 1000 ttl 64 routerlt "
      "600000 maxraint 10000 minraint 5000");
  ip.tick();
  auto out = sent(f);
  ASSERT_EQ(out.size(), 1u);
  wire::NdRepr ra;
  ra.cur_hop_limit = 64;
  ra.managed = ra.other = true;
  ra.router_lifetime = 600;
  ra.reachable_time = 30000;
  ra.retrans_timer = 1000;
  ra.src_lladdr = f->mac;
  ra.mtu = 1400;
  ra.prefixes.push_back({64, true, true, 86400, 14400, ipa("2001:db8:1::")});
  ra.prefixes.push_back({64, false, true, 0xffffffff, 0xffffffff, ipa("2001:db8:2::")});
  EXPECT_EQ(out[0], nd_frame(mac("33:33:00:00:00:01"), f->mac, ll, ipa("ff02::1"),
                             wire::icmp6::kRouterAdvert, ra.ra_rest(), ra));
  // Literal fields: type, hop limit 64, M and O, lifetime 600 s, reachable
  // 30000 ms, retrans 1000 ms, then options 1 (lladdr), 5 (mtu), 3, 3.
  const uint8_t* m = out[0].data() + kIcmp6Off;
  EXPECT_EQ(m[0], 134);
  EXPECT_EQ(m[4], 64);
  EXPECT_EQ(m[5], 0xc0);
  EXPECT_EQ(Bytes(m + 6, m + 16), (Bytes{0x02, 0x58, 0, 0, 0x75, 0x30, 0, 0, 0x03, 0xe8}));
  EXPECT_EQ(m[16], 1);
  EXPECT_EQ(m[24], 5);
  EXPECT_EQ(Bytes(m + 28, m + 32), (Bytes{0, 0, 0x05, 0x78}));
  EXPECT_EQ(Bytes(m + 32, m + 44), (Bytes{3, 4, 64, 0xc0, 0, 0x01, 0x51, 0x80, 0, 0, 0x38, 0x40}));
  EXPECT_EQ(m[64 + 3], 0x40);  // second prefix: A only
  EXPECT_EQ(out[0].size(), kIcmp6Off + 16 + 8 + 8 + 32 * 2);
  EXPECT_TRUE(f->has_group(ipa("ff02::2")));
  // Advertisements acting as a router carry R in NAs.
  wire::NdRepr ns;
  ns.target = ll;
  ns.src_lladdr = peer_mac;
  inject(f, nd_frame(Mac::multicast_v6(solicited_node(ll)), peer_mac, peer_ll, solicited_node(ll),
                     wire::icmp6::kNeighborSolicit, 0, ns));
  out = sent(f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0][kIcmp6Off + 4], 0xe0);  // R S O
}

TEST_F(Neighbor, UnsolicitedAdvertisementsComeAtRandomIntervalsInRange) {
  Ifc* f = bind_ether();
  ctl(f, "ra6 sendra 1 maxraint 10000 minraint 5000");
  sent(f);
  std::vector<Time> at;
  for (int i = 0; i < 1200; i++) {  // 120 s
    clock.advance(ms(100));
    ip.tick();
    for (const Bytes& b : sent(f))
      if (b.size() > kIcmp6Off && b[kIcmp6Off] == wire::icmp6::kRouterAdvert)
        at.push_back(clock.now());
  }
  ASSERT_GE(at.size(), 11u);
  for (size_t i = 1; i < at.size(); i++) {
    EXPECT_GE(at[i] - at[i - 1], sec(5)) << i;
    EXPECT_LE(at[i] - at[i - 1], sec(10) + ms(100)) << i;
  }
}

TEST_F(Neighbor, FirstAdvertisementsAreAtMost16SecondsApart) {
  Ifc* f = bind_ether();
  ctl(f, "ra6 sendra 1 maxraint 600000 minraint 400000");
  sent(f);
  std::vector<Time> at;
  for (int i = 0; i < 600; i++) {  // 60 s
    clock.advance(ms(100));
    ip.tick();
    if (!sent(f).empty()) at.push_back(clock.now());
  }
  ASSERT_EQ(at.size(), 4u);  // the first, then 3 more at 16 s, then 400 s or more
  for (size_t i = 1; i < at.size(); i++)
    EXPECT_LE(at[i] - at[i - 1], sec(16) + ms(100));
}

TEST_F(Neighbor, SolicitationBringsTheNextAdvertisementForward) {
  Ifc* f = bind_ether();
  sent(f);
  ctl(f, "ra6 sendra 1 maxraint 600000 minraint 400000");
  tick_for(ms(100));
  ASSERT_EQ(sent(f).size(), 1u);
  tick_for(sec(4));  // beyond MIN_DELAY_BETWEEN_RAS, well before the next (16 s)
  ASSERT_TRUE(sent(f).empty());
  wire::NdRepr rs;
  rs.src_lladdr = peer_mac;
  inject(f, nd_frame(mac("33:33:00:00:00:02"), peer_mac, peer_ll, ipa("ff02::2"),
                     wire::icmp6::kRouterSolicit, 0, rs));
  // Within MAX_RA_DELAY_TIME (500 ms).
  std::vector<Bytes> out;
  Time start = clock.now();
  while (out.empty() && clock.now() - start < ms(600)) {
    clock.advance(ms(100));
    ip.tick();
    out = sent(f);
  }
  Time first = clock.now();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(wire::EtherRepr::parse(out[0])->dst, mac("33:33:00:00:00:01"));
  EXPECT_EQ(out[0][kIcmp6Off], 134);
  // The soliciting host was learned from its option.
  ASSERT_EQ(ip.arp.size(), 1u);
  EXPECT_EQ(ip.arp.entries()[0].ip, peer_ll);
  // Another solicitation right away waits for MIN_DELAY_BETWEEN_RAS (3 s).
  inject(f, nd_frame(mac("33:33:00:00:00:02"), peer_mac, peer_ll, ipa("ff02::2"),
                     wire::icmp6::kRouterSolicit, 0, rs));
  tick_for(sec(3) - (clock.now() - first) - ms(100));
  EXPECT_TRUE(sent(f).empty());
  tick_for(ms(600));
  EXPECT_EQ(sent(f).size(), 1u);
}

TEST_F(Neighbor, StoppingAdvertisingSendsAFinalZeroLifetime) {
  Ifc* f = bind_ether();
  ctl(f, "ra6 sendra 1 maxraint 4000 minraint 3000");
  tick_for(ms(100));
  sent(f);
  ctl(f, "ra6 sendra 0");
  tick_for(ms(100));
  auto out = sent(f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0][kIcmp6Off], wire::icmp6::kRouterAdvert);
  EXPECT_EQ(out[0][kIcmp6Off + 6], 0);  // Router Lifetime 0
  EXPECT_EQ(out[0][kIcmp6Off + 7], 0);
  tick_for(sec(20));
  EXPECT_TRUE(sent(f).empty());
}

TEST_F(Neighbor, HostsIgnoreSolicitations) {
  Ifc* f = bind_ether();
  sent(f);
  wire::NdRepr rs;
  inject(f, nd_frame(mac("33:33:00:00:00:01"), peer_mac, peer_ll, ipa("ff02::1"),
                     wire::icmp6::kRouterSolicit, 0, rs));
  tick_for(sec(2));
  EXPECT_TRUE(sent(f).empty());
}

// ---- Receiving advertisements, SLAAC ----

struct Slaac : Neighbor {
  Ifc* f = nullptr;
  Ipaddr addr = ipa("2001:db8:5::5054:ff:fe00:1");  // prefix + the EUI-64 of 52:54:00:00:00:01

  void SetUp() override {
    f = bind_ether();
    ctl(f, "ra6 recvra 1");
    sent(f);
  }
  void advertise(uint16_t router_lifetime, std::vector<wire::NdPrefix> prefixes,
                 std::optional<uint32_t> mtu = std::nullopt) {
    wire::NdRepr ra;
    ra.router_lifetime = router_lifetime;
    ra.src_lladdr = router_mac;
    ra.mtu = mtu;
    ra.prefixes = std::move(prefixes);
    inject(f, nd_frame(mac("33:33:00:00:00:01"), router_mac, router_ll, ipa("ff02::1"),
                       wire::icmp6::kRouterAdvert, ra.ra_rest(), ra));
  }
};

TEST_F(Slaac, AddressRoutesAndMtuFromAnAdvertisement) {
  advertise(1800,
            {{64, true, true, 3600, 1800, ipa("2001:db8:5::")},
             {64, true, false, 600, 600, ipa("2001:db8:6::")},    // on-link only
             {48, false, true, 3600, 3600, ipa("2001:db8:7::")},  // not /64: no address
             {64, true, true, 3600, 3600, ipa("fe80::")},         // link-local: ignored
             {64, false, true, 100, 200, ipa("2001:db8:8::")}},   // preferred > valid
            1400);
  Lifc* l = f->find(addr);
  ASSERT_NE(l, nullptr);
  EXPECT_TRUE(l->from_ra);
  EXPECT_TRUE(l->tentative);
  EXPECT_EQ(l->validlt, 3600u);
  EXPECT_EQ(l->preflt, 1800u);
  EXPECT_EQ(l->mask, Ipaddr::mask_v6(64));
  EXPECT_EQ(f->lifcs.size(), 2u) << "only the link-local and the /64 with A";
  const Route* d = find_route(Ipaddr(), Ipaddr::mask_v6(0));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->gate, router_ll);
  EXPECT_EQ(d->ifc, f->index);
  EXPECT_NE(find_route(ipa("2001:db8:5::"), Ipaddr::mask_v6(64)), nullptr);
  const Route* p6 = find_route(ipa("2001:db8:6::"), Ipaddr::mask_v6(64));
  ASSERT_NE(p6, nullptr);
  EXPECT_TRUE(p6->flags & route::kIfc);
  EXPECT_EQ(find_route(ipa("2001:db8:7::"), Ipaddr::mask_v6(48)), nullptr);
  EXPECT_EQ(f->mtu, 1400 + 14);
  auto e = ip.arp.entries();
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].ip, router_ll);
  EXPECT_EQ(e[0].mac, router_mac);
  // DAD, then the address is preferred.
  tick_for(sec(1));
  auto out = sent(f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0][14 + 8] == 0 && out[0][14 + 9] == 0) << "DAD from ::";
  tick_for(sec(1));
  EXPECT_FALSE(f->find(addr)->tentative);
  // Traffic to the world goes to the router.
  send_udp_like(addr, ipa("2001:db8:99::1"), {1});
  out = sent(f);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(wire::EtherRepr::parse(out.back())->dst, router_mac);
}

TEST_F(Slaac, AnMtuBeyondTheMediumIsIgnored) {
  advertise(0, {}, 9500);
  EXPECT_EQ(f->mtu, 1514);
  advertise(0, {}, 1000);  // below the IPv6 minimum
  EXPECT_EQ(f->mtu, 1514);
  advertise(0, {}, 9000);
  EXPECT_EQ(f->mtu, 9014);
}

TEST_F(Slaac, LifetimesFollowRfc4862Section553e) {
  advertise(1800, {{64, true, true, 3600, 1800, ipa("2001:db8:5::")}});
  ASSERT_NE(f->find(addr), nullptr);
  // A shorter valid lifetime while under two hours are left is ignored.
  advertise(1800, {{64, true, true, 60, 30, ipa("2001:db8:5::")}});
  EXPECT_EQ(f->find(addr)->validlt, 3600u);
  EXPECT_EQ(f->find(addr)->preflt, 30u);
  // A longer one is believed.
  advertise(1800, {{64, true, true, 10000, 5000, ipa("2001:db8:5::")}});
  EXPECT_EQ(f->find(addr)->validlt, 10000u);
  EXPECT_EQ(f->find(addr)->preflt, 5000u);
  // With more than two hours left, a short one cuts it to two hours.
  advertise(1800, {{64, true, true, 60, 30, ipa("2001:db8:5::")}});
  EXPECT_EQ(f->find(addr)->validlt, 7200u);
  // A manually configured address (the one the prefix would make) is not
  // touched.
  ctl(f, "add6 2001:db8:9::5054:ff:fe00:1 64");
  advertise(1800, {{64, true, true, 60, 30, ipa("2001:db8:9::")}});
  EXPECT_FALSE(f->find(ipa("2001:db8:9::5054:ff:fe00:1"))->from_ra);
  EXPECT_EQ(f->find(ipa("2001:db8:9::5054:ff:fe00:1"))->validlt, 0xffffffffu);
}

TEST_F(Slaac, EverythingLearnedExpires) {
  advertise(300, {{64, true, true, 900, 600, ipa("2001:db8:5::")},
                  {64, true, false, 600, 600, ipa("2001:db8:6::")}});
  tick_for(sec(2));  // DAD
  ASSERT_FALSE(f->find(addr)->tentative);
  tick_for(sec(297));
  EXPECT_NE(find_route(Ipaddr(), Ipaddr::mask_v6(0)), nullptr);
  tick_for(sec(2));
  EXPECT_EQ(find_route(Ipaddr(), Ipaddr::mask_v6(0)), nullptr) << "router lifetime";
  tick_for(sec(300));
  EXPECT_EQ(find_route(ipa("2001:db8:6::"), Ipaddr::mask_v6(64)), nullptr) << "prefix lifetime";
  EXPECT_NE(f->find(addr), nullptr);
  tick_for(sec(300));
  EXPECT_EQ(f->find(addr), nullptr) << "valid lifetime";
  EXPECT_FALSE(ip.is_self(addr));
  EXPECT_EQ(find_route(ipa("2001:db8:5::"), Ipaddr::mask_v6(64)), nullptr);
}

TEST_F(Slaac, ZeroLifetimesWithdrawRouterAndPrefix) {
  advertise(1800, {{64, true, false, 600, 600, ipa("2001:db8:6::")}});
  ASSERT_NE(find_route(Ipaddr(), Ipaddr::mask_v6(0)), nullptr);
  ASSERT_NE(find_route(ipa("2001:db8:6::"), Ipaddr::mask_v6(64)), nullptr);
  advertise(0, {{64, true, false, 0, 0, ipa("2001:db8:6::")}});
  EXPECT_EQ(find_route(Ipaddr(), Ipaddr::mask_v6(0)), nullptr);
  EXPECT_EQ(find_route(ipa("2001:db8:6::"), Ipaddr::mask_v6(64)), nullptr);
}

TEST_F(Slaac, AConfiguredDefaultRouteIsLeftAlone) {
  std::string tag = "none";
  ASSERT_TRUE(ip.route_ctl("add :: /0 fe80::99", tag).ok());
  advertise(1800, {});
  advertise(0, {});
  const Route* d = find_route(Ipaddr(), Ipaddr::mask_v6(0));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->gate, ipa("fe80::99"));
}

TEST_F(Slaac, UnbindForgetsRoutersAndPrefixes) {
  advertise(1800, {{64, true, false, 600, 600, ipa("2001:db8:6::")}});
  ASSERT_NE(find_route(Ipaddr(), Ipaddr::mask_v6(0)), nullptr);
  ctl(f, "unbind");
  ip.tick();
  EXPECT_EQ(find_route(Ipaddr(), Ipaddr::mask_v6(0)), nullptr);
  EXPECT_EQ(find_route(ipa("2001:db8:6::"), Ipaddr::mask_v6(64)), nullptr);
  EXPECT_TRUE(f->routers.empty());
}

TEST_F(Neighbor, AdvertisementsAreIgnoredWithoutRecvra) {
  Ifc* f = bind_ether();
  sent(f);
  wire::NdRepr ra;
  ra.router_lifetime = 1800;
  ra.src_lladdr = router_mac;
  ra.prefixes.push_back({64, true, true, 3600, 3600, ipa("2001:db8:5::")});
  inject(f, nd_frame(mac("33:33:00:00:00:01"), router_mac, router_ll, ipa("ff02::1"),
                     wire::icmp6::kRouterAdvert, ra.ra_rest(), ra));
  EXPECT_EQ(f->lifcs.size(), 1u);
  EXPECT_EQ(find_route(Ipaddr(), Ipaddr::mask_v6(0)), nullptr);
  EXPECT_EQ(ip.arp.size(), 0u);
}

// ---- Timers: armed only while there is work, firing at their deadlines ----

TEST_F(Neighbor, ArpAsksAtOneSecondIntervalsThenGivesUpExactly) {
  Ifc* f = bind_ether();
  ctl(f, "add 10.0.0.1 255.255.255.0");
  sent(f);
  EXPECT_EQ(ip.timers.armed(), 0u) << "settled: nothing armed";
  Time t0 = clock.now();
  send_udp_like(ipa("10.0.0.1"), ipa("10.0.0.9"), {1, 2, 3});
  EXPECT_EQ(ip.timers.armed(), 1u) << "the ARP cache's retransmit timer";
  std::vector<Time> requests, unreachable;
  auto see = [&](const std::vector<Bytes>& frames) {
    for (const Bytes& b : frames)
      if (wire::EtherRepr::parse(b)->type == wire::ethertype::kArp) requests.push_back(clock.now());
    if (ip.icmp4.out[wire::icmp::kUnreach] > unreachable.size()) unreachable.push_back(clock.now());
  };
  see(sent(f));
  follow_timers(f, t0 + sec(10), see);
  EXPECT_EQ(requests, (std::vector<Time>{t0, t0 + sec(1), t0 + sec(2)}));
  EXPECT_EQ(unreachable, (std::vector<Time>{t0 + sec(3)})) << "a second after the third request";
  EXPECT_EQ(ip.arp.size(), 0u);
  EXPECT_EQ(ip.timers.armed(), 0u);
}

TEST_F(Neighbor, ReassemblyTimesOutAtItsDeadline) {
  Ifc* f = bind_ether();
  ctl(f, "add 10.0.0.1 255.255.255.0");
  ASSERT_TRUE(ip.arp_ctl("add ether 10.0.0.2 0200000000aa").ok());
  sent(f);
  // The first of two fragments of a UDP datagram from 10.0.0.2.
  Bytes pkt(20 + 16, 0x5a);
  wire::Ip4Repr h;
  h.src = ipa("10.0.0.2");
  h.dst = ipa("10.0.0.1");
  h.proto = wire::ipproto::kUdp;
  h.id = 77;
  h.mf = true;
  h.total_len = uint16_t(pkt.size());
  h.emit(pkt.data());
  Time t0 = clock.now();
  inject(f, ether_frame(f->mac, peer_mac, wire::ethertype::kIp4, pkt));
  EXPECT_EQ(ip.reasm.queues(), 1u);
  EXPECT_EQ(ip.timers.armed(), 1u) << "the datagram's timer";
  clock.set(t0 + Reassembler::kTimeoutV4 - 1);
  ip.tick();
  EXPECT_EQ(ip.reasm.stats().timeouts, 0u);
  EXPECT_TRUE(sent(f).empty());
  clock.set(t0 + Reassembler::kTimeoutV4);
  ip.tick();
  EXPECT_EQ(ip.reasm.stats().timeouts, 1u);
  EXPECT_EQ(ip.reasm.queues(), 0u);
  auto out = sent(f);
  ASSERT_EQ(out.size(), 1u);
  auto e = wire::Ip4Repr::parse(std::span<const uint8_t>(out[0]).subspan(14));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->dst, ipa("10.0.0.2"));
  EXPECT_EQ(e->proto, wire::ipproto::kIcmp);
  EXPECT_EQ(out[0][14 + 20], wire::icmp::kTimeExceeded);
  EXPECT_EQ(out[0][14 + 21], wire::icmp::kReasmExceeded);
  EXPECT_EQ(ip.timers.armed(), 0u);
}

TEST_F(Neighbor, DadFollowsTheStacksSeededRandomness) {
  // RFC 4862 5.4.2: the probe waits a random delay of up to 1 s, drawn from
  // the stack's generator: seeded, the run is the same every time.
  ip.rng.seed(42);
  std::mt19937_64 same(42);
  Time delay = Time(std::uniform_int_distribution<uint64_t>(0, uint64_t(sec(1)))(same));
  auto fr = ip.ifc_clone();
  ASSERT_TRUE(fr.ok());
  Ifc* f = *fr;
  Time t0 = clock.now();
  ctl(f, "bind ether nd0");
  Time probe_at = -1, preferred_at = -1;
  follow_timers(f, t0 + sec(5), [&](const std::vector<Bytes>& frames) {
    for (const Bytes& b : frames)
      if (b.size() > kIcmp6Off && b[kIcmp6Off] == wire::icmp6::kNeighborSolicit)
        probe_at = clock.now();
    if (!f->lifcs[0].tentative && preferred_at < 0) preferred_at = clock.now();
  });
  EXPECT_EQ(probe_at, t0 + delay);
  EXPECT_EQ(preferred_at, t0 + delay + sec(1)) << "RetransTimer after the probe";
  EXPECT_EQ(ip.timers.armed(), 0u);
}

TEST_F(Neighbor, SettledInterfacesArmNoTimers) {
  Ifc* f = bind_ether();
  Ifc* g = bind_ether();
  EXPECT_EQ(ip.timers.armed(), 0u) << "both link-locals passed DAD";
  ctl(f, "add 10.0.0.1 255.255.255.0");
  ctl(g, "add6 2001:db8:1::1 64");
  ctl(f, "try 2001:db8::1 /64");
  EXPECT_EQ(ip.timers.armed(), 1u) << "f's, for the DAD of 2001:db8::1";
  EXPECT_TRUE(f->nd_timer.armed());
  EXPECT_FALSE(g->nd_timer.armed());
  tick_for(sec(3));
  EXPECT_EQ(ip.timers.armed(), 0u);
  EXPECT_EQ(ip.timers.next(), kNever) << "the engine sleeps until a packet comes";
  // Soliciting routers: three solicitations, then nothing.
  ctl(f, "ra6 recvra 1");
  EXPECT_EQ(ip.timers.armed(), 1u);
  tick_for(sec(12));
  EXPECT_EQ(ip.timers.armed(), 0u);
  // Advertising: the RA timer is periodic, and the only one armed.
  ctl(g, "ra6 sendra 1");
  tick_for(sec(60));
  EXPECT_EQ(ip.timers.armed(), 1u);
  EXPECT_TRUE(g->nd_timer.armed());
  ctl(g, "ra6 sendra 0");
  sent(g);
  ip.tick();  // the final advertisement, at once
  auto out = sent(g);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0][kIcmp6Off], wire::icmp6::kRouterAdvert);
  EXPECT_EQ(ip.timers.armed(), 0u);
}

TEST_F(Neighbor, UnbindDisarmsTheInterfaceTimer) {
  Ifc* f = bind_ether();
  ctl(f, "try 2001:db8::1 /64");
  ctl(f, "ra6 sendra 1");
  EXPECT_TRUE(f->nd_timer.armed());
  ctl(f, "unbind");
  EXPECT_FALSE(f->nd_timer.armed());
  EXPECT_EQ(ip.timers.armed(), 0u);
}

}  // namespace
}  // namespace ninet
