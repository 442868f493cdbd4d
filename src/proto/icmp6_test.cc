// Tests of the icmpv6 directory (icmp.cc with v6 = true): ping ::1, the
// stack's echo replies (unicast and multicast), the pseudo-header checksum,
// `headers` mode both ways, Neighbour Discovery left to the IP layer,
// errors and the stats names.
#include <gtest/gtest.h>

#include "proto/icmp_testing.h"

namespace ninet::icmptest {
namespace {

using v6 = IcmpFixture;
namespace t6 = wire::icmp6;

const Ipaddr kUs = A("2001:db8::1"), kPeer = A("2001:db8::9");

std::vector<uint8_t> echo6(const Ipaddr& src, const Ipaddr& dst, uint16_t id, uint16_t seq,
                           std::string_view data) {
  return IcmpFixture::icmp6_msg(src, dst, t6::kEchoRequest, 0, uint32_t(id) << 16 | seq,
                                bytes(data));
}

// Icmp6hdr (unused[8] laddr[16] raddr[16]) + msg.
std::vector<uint8_t> with_headers(const Ipaddr& laddr, const Ipaddr& raddr,
                                  const std::vector<uint8_t>& msg) {
  std::vector<uint8_t> v(40);
  std::copy(laddr.data(), laddr.data() + 16, v.begin() + 8);
  std::copy(raddr.data(), raddr.data() + 16, v.begin() + 24);
  v.insert(v.end(), msg.begin(), msg.end());
  return v;
}

TEST_F(v6, PingLoopbackThroughAConversation) {
  Conv* c = open(icmp6, "connect ::1");
  std::vector<uint8_t> req = {128, 0, 0, 0, 0, 0, 0, 42, 'v', '6'};
  ASSERT_TRUE(write(c, req).ok());
  auto r = read(c);
  ASSERT_TRUE(r);
  auto m = wire::Icmp6Repr::parse(A("::1"), A("::1"), *r);
  ASSERT_TRUE(m.ok()) << "checksum over the pseudo header";
  EXPECT_EQ(m->type, t6::kEchoReply);
  EXPECT_EQ(m->id(), c->lport);
  EXPECT_EQ(m->seq(), 42);
  EXPECT_EQ(std::string(m->data.begin(), m->data.end()), "v6");
  std::string st = icmp6->stats();
  EXPECT_EQ(stat(st, "InEchos"), 1);
  EXPECT_EQ(stat(st, "InEchoReplies"), 1);
  EXPECT_EQ(stat(st, "OutEchos"), 1);
  EXPECT_EQ(stat(st, "OutEchoReplies"), 1);
  EXPECT_EQ(stat(icmp->stats(), "InMsgs"), 0) << "the families count apart";
}

TEST_F(v6, TheStackAnswersWithAValidChecksum) {
  inject(ip6_packet(kPeer, kUs, wire::ipproto::kIcmp6, echo6(kPeer, kUs, 77, 3, "hi there")));
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  auto h = wire::Ip6Repr::parse(out[0]);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->src, kUs);
  EXPECT_EQ(h->dst, kPeer);
  EXPECT_EQ(h->hop_limit, Ip::kDefaultTtl);
  auto m = wire::Icmp6Repr::parse(kUs, kPeer, std::span(out[0]).subspan(40));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, t6::kEchoReply);
  EXPECT_EQ(m->id(), 77);
  EXPECT_EQ(m->seq(), 3);
  EXPECT_EQ(std::string(m->data.begin(), m->data.end()), "hi there");
}

TEST_F(v6, AMulticastPingIsAnsweredFromAUnicastAddress) {
  // RFC 4443 4.2: from a unicast address of the arrival interface.
  Ipaddr all = A("ff02::1");
  Ipaddr ll_peer = A("fe80::9");
  ASSERT_TRUE(ip.ifc_ctl(*wire, "add fe80::1 /64").ok());
  inject(ip6_packet(ll_peer, all, wire::ipproto::kIcmp6, echo6(ll_peer, all, 5, 6, "m")));
  std::vector<std::vector<uint8_t>> replies;
  for (auto& p : sent())
    if (p.size() > 40 && p[6] == wire::ipproto::kIcmp6 && p[40] == t6::kEchoReply)
      replies.push_back(p);
  ASSERT_EQ(replies.size(), 1u);
  auto h = wire::Ip6Repr::parse(replies[0]);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->dst, ll_peer);
  EXPECT_EQ(h->src, A("fe80::1")) << "link-local for a link-local peer";
  EXPECT_TRUE(wire::Icmp6Repr::parse(h->src, h->dst, std::span(replies[0]).subspan(40)).ok());
}

TEST_F(v6, LinkLocalTrafficLeavesByTheSourcesInterface) {
  // Two links with fe80::/64: the routing table holds one route for it (the
  // later replaced the earlier), which leads to the second link.
  ASSERT_TRUE(ip.ifc_ctl(*wire, "add fe80::1 /64").ok());
  TestMedium* first = pkt;
  Ifc* second = *ip.ifc_clone();
  ASSERT_TRUE(ip.ifc_ctl(*second, "bind pkt").ok());
  TestMedium* other = pkt;
  ASSERT_TRUE(ip.ifc_ctl(*second, "add fe80::2 /64").ok());
  pump();
  first->sent.clear();
  other->sent.clear();
  Ipaddr peer = A("fe80::9"), us = A("fe80::1");
  Conv* c = open(icmp6, "announce 5");
  ASSERT_TRUE(ctl(c, "headers").ok());
  ASSERT_TRUE(write(c, with_headers(us, peer, echo6({}, {}, 0, 1, "x"))).ok());
  EXPECT_TRUE(other->sent.empty());
  ASSERT_EQ(first->sent.size(), 1u);
  EXPECT_EQ(wire::Ip6Repr::parse(first->sent[0]->span())->src, us);
  first->sent.clear();
  // The stack's answer to a ping that came in on the first link.
  auto req = ip6_packet(peer, us, wire::ipproto::kIcmp6, echo6(peer, us, 1, 2, "y"));
  first->in.push_back(pool.copy(req.data(), uint32_t(req.size())));
  pump();
  EXPECT_TRUE(other->sent.empty());
  ASSERT_EQ(first->sent.size(), 1u);
  EXPECT_EQ(first->sent[0]->data()[40], t6::kEchoReply);
}

TEST_F(v6, ABadChecksumIsCountedAndLogged) {
  ASSERT_TRUE(ip.log.ctl("set icmp").ok());
  ip.log.open();
  // A checksum made for other addresses: the pseudo header matters.
  inject(ip6_packet(kPeer, kUs, wire::ipproto::kIcmp6, echo6(kPeer, A("2001:db8::2"), 1, 1, "x")));
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(stat(icmp6->stats(), "InErrors"), 1);
  EXPECT_EQ(stat(icmp6->stats(), "InEchos"), 0);
  uint8_t buf[512];
  std::atomic<bool> cancel{true};
  auto n = ip.log.read(buf, &cancel);
  ip.log.close();
  ASSERT_TRUE(n.ok());
  std::string text(reinterpret_cast<char*>(buf), *n);
  EXPECT_NE(text.find("icmpv6: "), std::string::npos) << text;
  EXPECT_NE(text.find("2001:db8::9"), std::string::npos) << text;
}

TEST_F(v6, HeadersModeRoundTripOnLoopback) {
  Conv* c = open(icmp6, "announce 77");
  ASSERT_TRUE(ctl(c, "headers").ok());
  Ipaddr lo6 = A("::1");
  ASSERT_TRUE(write(c, with_headers(lo6, lo6, {128, 0, 0, 0, 0, 0, 0, 3, 'h'})).ok());
  auto r = read(c);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 40u + 9);
  EXPECT_TRUE(std::all_of(r->begin(), r->begin() + 8, [](uint8_t b) { return b == 0; }));
  EXPECT_EQ(Ipaddr(r->data() + 8), lo6) << "laddr";
  EXPECT_EQ(Ipaddr(r->data() + 24), lo6) << "raddr";
  EXPECT_EQ((*r)[40], t6::kEchoReply);
  EXPECT_EQ(load16(r->data() + 44), 77) << "id is the local port";
  EXPECT_EQ(load16(r->data() + 46), 3);
}

TEST_F(v6, HeadersModeTalksToAnyone) {
  Conv* c = open(icmp6, "announce 9");
  ASSERT_TRUE(ctl(c, "headers").ok());
  // To the peer from our address; a reply comes back with both addresses.
  ASSERT_TRUE(write(c, with_headers(kUs, kPeer, echo6({}, {}, 0, 1, "q"))).ok());
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  auto h = wire::Ip6Repr::parse(out[0]);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->src, kUs);
  EXPECT_EQ(h->dst, kPeer);
  EXPECT_TRUE(wire::Icmp6Repr::parse(kUs, kPeer, std::span(out[0]).subspan(40)).ok());
  inject(ip6_packet(kPeer, kUs, wire::ipproto::kIcmp6,
                    icmp6_msg(kPeer, kUs, t6::kEchoReply, 0, 9u << 16 | 1, bytes("q"))));
  auto r = read(c);
  ASSERT_TRUE(r);
  EXPECT_EQ(Ipaddr(r->data() + 8), kUs);
  EXPECT_EQ(Ipaddr(r->data() + 24), kPeer);
  // A local address that is not ours is overridden by the route's source.
  ASSERT_TRUE(write(c, with_headers(A("2001:db8::77"), kPeer, echo6({}, {}, 0, 2, "q"))).ok());
  out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(wire::Ip6Repr::parse(out[0])->src, kUs);
  EXPECT_EQ(c->proto.write(*c, std::vector<uint8_t>(39)).error().code(), Err::TooShort);
  EXPECT_EQ(
      c->proto.write(*c, with_headers(kUs, A("10.0.0.9"), echo6({}, {}, 0, 0, ""))).error().code(),
      Err::BadIp);
}

TEST_F(v6, HeadersModeSeesOtherMessagesButNotNeighbourDiscovery) {
  Conv* raw = open(icmp6, "announce 0");
  ASSERT_TRUE(ctl(raw, "headers").ok());
  Conv* plain = open(icmp6, "announce 1");
  // An MLD query (130) to all nodes.
  Ipaddr all = A("ff02::1");
  Ipaddr ll = A("fe80::9");
  std::vector<uint8_t> query(16 + 4, 0);
  inject(ip6_packet(ll, all, wire::ipproto::kIcmp6,
                    icmp6_msg(ll, all, t6::kMldQuery, 0, 0, {query.begin(), query.begin() + 16}),
                    1));
  auto r = read(raw);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[40], t6::kMldQuery);
  EXPECT_EQ(Ipaddr(r->data() + 24), ll);
  EXPECT_FALSE(read(plain));
  // A neighbour solicitation is the IP layer's: no conversation sees it and
  // icmpv6 neither answers nor counts it twice.
  std::vector<uint8_t> ns(16);
  std::copy(kUs.data(), kUs.data() + 16, ns.begin());
  Ipaddr sn = solicited_node(kUs);
  uint64_t before = ip.icmp6.in[t6::kNeighborSolicit];
  inject(ip6_packet(kPeer, sn, wire::ipproto::kIcmp6,
                    icmp6_msg(kPeer, sn, t6::kNeighborSolicit, 0, 0, ns), 255));
  EXPECT_FALSE(read(raw));
  EXPECT_EQ(ip.icmp6.in[t6::kNeighborSolicit], before + 1);
  // Given one directly, icmpv6 ignores it.
  auto direct = icmp6_msg(kPeer, kUs, t6::kNeighborSolicit, 0, 0, ns);
  icmp6->rcv(IpRx{.src = kPeer, .dst = kUs, .ifc = wire->index, .proto = 58, .v6 = true},
             pool.copy(direct.data(), uint32_t(direct.size())));
  pump();
  EXPECT_FALSE(read(raw));
  EXPECT_EQ(ip.icmp6.in[t6::kNeighborSolicit], before + 1);
}

std::vector<uint8_t> udp6_packet() {
  std::vector<uint8_t> u = {0x15, 0xb3, 0, 53, 0, 12, 0, 0, 'q', 'u', 'e', 'y'};
  return IcmpFixture::ip6_packet(kUs, kPeer, wire::ipproto::kUdp, u);
}
std::vector<uint8_t> icmp6_error(uint8_t type, uint8_t code, uint32_t rest,
                                 const std::vector<uint8_t>& quoted) {
  Ipaddr router = A("2001:db8::fe");
  return IcmpFixture::ip6_packet(router, kUs, wire::ipproto::kIcmp6,
                                 IcmpFixture::icmp6_msg(router, kUs, type, code, rest, quoted));
}

TEST_F(v6, ErrorsAdviseTheQuotedProtocol) {
  inject(icmp6_error(t6::kPacketTooBig, 0, 1280, udp6_packet()));
  inject(icmp6_error(t6::kDstUnreach, t6::kPortUnreach, 0, udp6_packet()));
  inject(icmp6_error(t6::kTimeExceeded, t6::kHopLimitExceeded, 0, udp6_packet()));
  inject(icmp6_error(99, 0, 0, udp6_packet()));  // unknown errors too (RFC 4443 2.4(d))
  ASSERT_EQ(udp->advice.size(), 4u);
  EXPECT_EQ(udp->advice[0].msg, "packet too big: mtu 1280");
  EXPECT_EQ(udp->advice[0].kind, Advice::kPacketTooBig);
  EXPECT_EQ(udp->advice[0].mtu, 1280u);
  EXPECT_EQ(udp->advice[0].src, kUs);
  EXPECT_EQ(udp->advice[0].dst, kPeer);
  EXPECT_EQ(load16(udp->advice[0].inner.data() + 2), 53);
  EXPECT_EQ(udp->advice[1].msg, "port unreachable");
  EXPECT_EQ(udp->advice[1].kind, Advice::kPortUnreach);
  EXPECT_TRUE(udp->advice[1].hard);
  EXPECT_EQ(udp->advice[2].msg, "hop limit exceeded");
  EXPECT_EQ(udp->advice[3].msg, "icmpv6 type 99 code 0");
  EXPECT_EQ(udp->advice[3].kind, Advice::kOther);
  std::string st = icmp6->stats();
  EXPECT_EQ(stat(st, "InPktTooBigs"), 1);
  EXPECT_EQ(stat(st, "InDestUnreachs"), 1);
  EXPECT_EQ(stat(st, "InTimeExcds"), 1);
}

TEST_F(v6, ErrorsThroughExtensionHeadersAndAboutPings) {
  // The quoted packet has a Destination Options header before UDP.
  std::vector<uint8_t> inner = {wire::ipproto::kUdp, 0, 1, 4, 0, 0, 0, 0};
  std::vector<uint8_t> u = {0x15, 0xb3, 0, 53, 0, 8, 0, 0};
  inner.insert(inner.end(), u.begin(), u.end());
  inject(icmp6_error(t6::kDstUnreach, t6::kAddrUnreach, 0,
                     ip6_packet(kUs, kPeer, 60 /* DstOpts */, inner)));
  ASSERT_EQ(udp->advice.size(), 1u);
  EXPECT_EQ(udp->advice[0].msg, "address unreachable");
  EXPECT_EQ(load16(udp->advice[0].inner.data()), 5555);

  Conv* c = open(icmp6, "connect 2001:db8::9");
  inject(icmp6_error(
      t6::kDstUnreach, t6::kNoRoute, 0,
      ip6_packet(kUs, kPeer, wire::ipproto::kIcmp6, echo6(kUs, kPeer, c->lport, 1, "p"))));
  auto r = read(c);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0], t6::kDstUnreach);
  EXPECT_EQ(udp->advice.size(), 1u);
}

TEST_F(v6, WritesNeedIpv6AndAConnection) {
  EXPECT_EQ(ctl(open(icmp6), "connect 127.0.0.1").error().code(), Err::BadIp);
  Conv* idle = open(icmp6);
  EXPECT_EQ(idle->proto.write(*idle, echo6({}, {}, 0, 0, "")).error().code(), Err::NotConnected);
  Conv* c = open(icmp6, "connect 2001:db8::9");
  ASSERT_TRUE(ctl(c, "ttl 3").ok());
  ASSERT_TRUE(write(c, echo6({}, {}, 0, 0, "")).ok());
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(wire::Ip6Repr::parse(out[0])->hop_limit, 3);
}

TEST_F(v6, StatsNamesInOrder) {
  std::string st = icmp6->stats();
  std::string names;
  for (size_t i = 0; i < st.size(); i = st.find('\n', i) + 1)
    names += st.substr(i, st.find(':', i) - i) + " ";
  EXPECT_EQ(names,
            "InMsgs InErrors InDestUnreachs InPktTooBigs InTimeExcds InParmProblems InEchos "
            "InEchoReplies InRouterSolicits InRouterAdvertisements InNeighborSolicits "
            "InNeighborAdvertisements InRedirects InGroupMembQueries InGroupMembResponses "
            "InGroupMembReductions InMLDv2Reports OutMsgs OutErrors OutDestUnreachs "
            "OutPktTooBigs OutTimeExcds OutParmProblems OutEchos OutEchoReplies "
            "OutRouterSolicits OutRouterAdvertisements OutNeighborSolicits "
            "OutNeighborAdvertisements OutRedirects OutGroupMembQueries OutGroupMembResponses "
            "OutGroupMembReductions OutMLDv2Reports ");
}

}  // namespace
}  // namespace ninet::icmptest
