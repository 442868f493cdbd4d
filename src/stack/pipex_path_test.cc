// Tests of pipex's data path (src/pipex/datapath.cc) in a stack with the
// real UDP, ICMP and ICMPv6: a peer on an Ethernet interface sends its
// session's PPP in L2TP, PPTP or PPPoE, the stack answers (an ICMP echo to
// one of its addresses), and the answer must leave through the session's
// tunnel. Frames in are built byte by byte (pipex/testing.h); frames out
// are read back field by field. Also what the fast path must not take
// (another peer, an unknown session, LCP, the switch off), and its
// per-session rules: the ingress filter, ip_forward, MPPE both ways, CCP
// resets, MSS clamping, multicast copies, IPv6 prefixes and the statistics.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "base/checksum.h"
#include "base/endian.h"
#include "crypto/mppe.h"
#include "ip/ip.h"
#include "ip/sim_testing.h"
#include "media/testing.h"
#include "pipex/mss.h"
#include "pipex/sessions.h"
#include "pipex/testing.h"
#include "proto/gre.h"
#include "proto/icmp.h"
#include "proto/icmp6.h"
#include "proto/udp.h"
#include "wire/ether.h"
#include "wire/ip4.h"
#include "wire/ip6.h"
#include "wire/udp.h"

namespace ninet::pipex {
namespace {

using namespace pipextest;

Ipaddr A(std::string_view s) {
  return *Ipaddr::parse(s);
}

const Ipaddr kClient = A("10.0.0.7");

struct PathTest : ::testing::Test {
  ManualClock clock;
  Pool pool;
  std::vector<TestMedium*> media;
  std::unique_ptr<Pipex> px;
  Ip ip{clock, pool, [this](std::string_view kind, std::string_view path) {
          if (kind == "pipex") return Result<std::unique_ptr<Medium>>(px->make_medium());
          if (kind == "pppx") return Result<std::unique_ptr<Medium>>(px->make_pppx_medium());
          return TestMedium::factory(&media)(kind, path);
        }};
  std::unique_lock<std::mutex> l{ip.mu};
  Ifc* eth = nullptr;
  Ifc* pppac = nullptr;
  Conv* l2tp_conv = nullptr;

  void SetUp() override {
    px = std::make_unique<Pipex>(ip);
    px->enabled = true;
    ip.add_proto(make_icmp(ip));
    ip.add_proto(make_icmp6(ip));
    ip.add_proto(make_udp(ip));
    ip.add_proto(make_gre(ip));
    eth = *ip.ifc_clone();
    ASSERT_TRUE(ip.ifc_ctl(*eth, "bind ether veth7"));
    ASSERT_TRUE(ip.ifc_ctl(*eth, "add 192.0.2.2 255.255.255.0"));
    ASSERT_TRUE(ip.ifc_ctl(*eth, "add 2001:db8:1::2 /64"));
    ASSERT_TRUE(ip.arp_ctl("add 192.0.2.1 020000000001"));
    pppac = *ip.ifc_clone();
    ASSERT_TRUE(ip.ifc_ctl(*pppac, "bind pipex"));
    int one = 1;
    ASSERT_EQ(px->ioctl(*pppac, PIPEXSMODE, &one), 0);
    // The daemon's L2TP conversation.
    Proto* u = ip.proto("udp");
    l2tp_conv = *u->clone("daemon");
    ASSERT_TRUE(u->ctl_message(*l2tp_conv, "announce 1701", l, nullptr));
    pump();
    media[0]->sent.clear();
  }
  void TearDown() override {
    px.reset();  // before ip: its hooks and routes
  }

  void pump() { simtest::pump(ip); }
  void frame_in(const Bytes& f) { simtest::frame_in(ip, pool, *media[0], f); }
  std::vector<Bytes> sent() { return simtest::take_sent(*media[0]); }

  // Every datagram queued for the daemon on port 1701 (its announced
  // conversation and the calls made from it), oldest conversation first.
  std::vector<Bytes> daemon_queue() {
    std::vector<Bytes> v;
    for (auto& c : ip.proto("udp")->convs)
      if (c && c->inuse && c->lport == 1701)
        for (auto& b : c->rq)
          v.emplace_back(b->data(), b->data() + b->size());
    return v;
  }

  int add(pipex_session_req r) { return px->ioctl(*pppac, PIPEXASESSION, &r); }

  // L2TP session 7 with sequencing, where the daemon left it: its next Ns
  // is 40, the peer's next 9.
  static pipex_session_req sequenced_l2tp() {
    auto r = session_req(PIPEX_PROTO_L2TP, 7);
    r.pr_proto.l2tp.option_flags = PIPEX_L2TP_USE_SEQUENCING;
    r.pr_proto.l2tp.ns_nxt = 40;
    r.pr_proto.l2tp.nr_nxt = 9;
    return r;
  }
  // PPTP call 7 where the daemon left it: its next seq is 100, the peer's
  // next 5, acknowledged.
  static pipex_session_req sequenced_pptp() {
    auto r = session_req(PIPEX_PROTO_PPTP, 7);
    r.pr_proto.pptp.snd_nxt = 100;
    r.pr_proto.pptp.rcv_nxt = 5;
    r.pr_proto.pptp.rcv_acked = 5;
    return r;
  }

  // The peer's PPP frame of MPPE around an IPv4 packet, encrypted by tx.
  static Bytes encrypted(crypto::Mppe& tx, const Bytes& ip) {
    Bytes f = mppe_ppp(tx, ip);
    EXPECT_FALSE(f.empty()) << "encrypt";
    return f;
  }
};

// What an ICMP echo reply to kClient looks like: the inner packet of a
// session frame that has been decapsulated by the test.
void expect_echo_reply4(const Bytes& inner, const Ipaddr& from, const Ipaddr& to) {
  auto h = wire::Ip4Repr::parse(inner);
  ASSERT_TRUE(h) << "inner IPv4";
  EXPECT_EQ(h->src, from);
  EXPECT_EQ(h->dst, to);
  ASSERT_EQ(h->proto, 1);
  ASSERT_GE(inner.size(), 20u + 12);
  EXPECT_EQ(inner[20], 0) << "echo reply";
  EXPECT_EQ(std::string(inner.end() - 4, inner.end()), "ping");
  EXPECT_EQ(csum_fold(csum_partial(inner.data() + 20, inner.size() - 20, 0)), 0) << "ICMP checksum";
}

TEST_F(PathTest, L2tpEchoGoesInAndTheReplyComesBackThroughTheSession) {
  ASSERT_EQ(add(session_req(PIPEX_PROTO_L2TP, 7)), 0);
  frame_in(l2tp_frame(ppp_ip(echo4(kClient, kUs))));
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  const Bytes& f = out[0];
  auto e = wire::EtherRepr::parse(f);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->dst, Mac(kPeerMac));
  Bytes ipb(f.begin() + 14, f.end());
  auto h = wire::Ip4Repr::parse(ipb);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->src, kUs);
  EXPECT_EQ(h->dst, kPeer);
  EXPECT_EQ(h->proto, 17);
  EXPECT_EQ(h->ttl, 255) << "NOTES.md: outer TTL 255";
  auto u = wire::UdpRepr::parse(kUs, kPeer, std::span(ipb).subspan(20));
  ASSERT_TRUE(u) << "UDP checksum right";
  EXPECT_EQ(u->src_port, 1701);
  EXPECT_EQ(u->dst_port, 1701);
  Bytes l(u->data.begin(), u->data.end());
  ASSERT_GE(l.size(), 12u);
  EXPECT_EQ(load16(&l[0]), 0x4002) << "L set, no S (no sequencing), version 2";
  EXPECT_EQ(load16(&l[2]), l.size()) << "Length";
  EXPECT_EQ(load16(&l[4]), 2) << "the peer's tunnel id";
  EXPECT_EQ(load16(&l[6]), 107) << "the peer's session id";
  EXPECT_EQ(l[8], 0xff);
  EXPECT_EQ(l[9], 0x03);
  EXPECT_EQ(load16(&l[10]), 0x0021);
  expect_echo_reply4(Bytes(l.begin() + 12, l.end()), kUs, kClient);

  pipex_session_stat_req st{};
  st.psr_protocol = PIPEX_PROTO_L2TP;
  st.psr_session_id = 7;
  ASSERT_EQ(px->ioctl(*pppac, PIPEXGSTAT, &st), 0);
  EXPECT_EQ(st.psr_stat.ipackets, 1u);
  EXPECT_EQ(st.psr_stat.ibytes, 32u) << "the IP length of the echo";
  EXPECT_EQ(st.psr_stat.opackets, 1u);
  EXPECT_EQ(st.psr_stat.obytes, 4u + 32) << "PPP length: ff 03 00 21 and the reply";
  EXPECT_EQ(st.psr_stat.ierrors + st.psr_stat.oerrors, 0u);
  EXPECT_FALSE(l2tp_conv->rq.size()) << "nothing reached the daemon";
}

TEST_F(PathTest, ADaemonThatAnnouncesAgainIsHookedAgain) {
  ASSERT_EQ(add(session_req(PIPEX_PROTO_L2TP, 7)), 0);
  Proto* u = ip.proto("udp");
  u->release(*l2tp_conv);  // the daemon closes its conversation...
  Conv* again = *u->clone("daemon");
  ASSERT_TRUE(u->ctl_message(*again, "announce 1701", l, nullptr));  // ...and announces anew
  ASSERT_EQ(add(session_req(PIPEX_PROTO_L2TP, 8)), 0);
  frame_in(l2tp_frame(ppp_ip(echo4(A("10.0.0.8"), kUs)), 8));
  EXPECT_EQ(sent().size(), 1u) << "the new conversation carries the hook";
  EXPECT_EQ(px->find(PIPEX_PROTO_L2TP, 8)->stats.ipackets, 1u);
}

TEST_F(PathTest, L2tpOverAnIpv6Tunnel) {
  const Ipaddr peer6 = A("2001:db8:1::1"), us6 = A("2001:db8:1::2");
  ASSERT_TRUE(ip.arp_ctl("add 2001:db8:1::1 020000000001"));
  auto r = session_req(PIPEX_PROTO_L2TP, 7);
  set_sockaddr(r.pr_peer_address, peer6, 1701);
  set_sockaddr(r.pr_local_address, us6, 1701);
  ASSERT_EQ(add(r), 0);
  frame_in(l2tp_frame(ppp_ip(echo4(kClient, kUs)), 7, {.from = peer6, .to = us6}));
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  Bytes ipb(out[0].begin() + 14, out[0].end());
  auto h = wire::Ip6Repr::parse(ipb);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->src, us6);
  EXPECT_EQ(h->dst, peer6);
  EXPECT_EQ(h->next_header, 17);
  auto u = wire::UdpRepr::parse(us6, peer6, std::span(ipb).subspan(40));
  ASSERT_TRUE(u) << "the UDP checksum over the IPv6 pseudo header";
  Bytes m(u->data.begin(), u->data.end());
  EXPECT_EQ(load16(&m[6]), 107);
  expect_echo_reply4(Bytes(m.begin() + 12, m.end()), kUs, kClient);
  // The same session from the IPv4 address of the peer is another peer.
  frame_in(l2tp_frame(ppp_ip(echo4(kClient, kUs))));
  EXPECT_EQ(px->counters.InWrongPeer, 1u);
}

TEST_F(PathTest, L2tpSequencingContinuesTheDaemonsNumbers) {
  ASSERT_EQ(add(sequenced_l2tp()), 0);
  // Ns 9, Nr 40 from the peer, with S set.
  frame_in(l2tp_in_udp(l2tp_data_seq(1, 7, 9, 40, ppp_ip(echo4(kClient, kUs)))));
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  const uint8_t* m = out[0].data() + 14 + 20 + 8;
  EXPECT_EQ(load16(m), 0x4802) << "L and S";
  EXPECT_EQ(load16(m + 8), 40) << "Ns continues from the request's ns_nxt";
  EXPECT_EQ(load16(m + 10), 10) << "Nr: the peer's next";
  // A packet 65 behind the expected Ns is dropped and counted.
  frame_in(l2tp_in_udp(l2tp_data_seq(1, 7, uint16_t(10 - 65), 41, ppp_ip(echo4(kClient, kUs)))));
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(px->counters.InSeqDrops, 1u);
  EXPECT_EQ(px->find(PIPEX_PROTO_L2TP, 7)->stats.ierrors, 1u);
}

TEST_F(PathTest, L2tpSequenceIsSharedWithTheDaemon) {
  ASSERT_EQ(add(sequenced_l2tp()), 0);
  auto seq_frame = [&](uint16_t ns, uint16_t nr, const Bytes& ppp) {
    return l2tp_in_udp(l2tp_data_seq(1, 7, ns, nr, ppp));
  };
  // The fast path takes Ns 9 and sends Ns 40.
  frame_in(seq_frame(9, 40, ppp_ip(echo4(kClient, kUs))));
  ASSERT_EQ(sent().size(), 1u);
  // The peer's LCP Echo-Request, Ns 10 Nr 41, reaches the daemon as the
  // daemon's own 9th and an acknowledgement of its 40th... less the fast
  // path's one packet each way.
  const Bytes lcp = {0xff, 0x03, 0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 1, 2, 3, 4};
  frame_in(seq_frame(10, 41, lcp));
  auto q = daemon_queue();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(load16(&q[0][6]), 9) << "Ns less the one the fast path took";
  EXPECT_EQ(load16(&q[0][8]), 40) << "Nr less the one the fast path sent";
  // The daemon answers on its call for the peer with its own numbers (Ns 40,
  // Nr 10); the wire gets the shared ones: Ns 41, Nr 11.
  ASSERT_EQ(l2tp_conv->incall.size(), 1u);
  Proto* u = ip.proto("udp");
  Conv* call = u->conv(l2tp_conv->incall.front());
  ASSERT_TRUE(call);
  const Bytes reply =
      l2tp_data_seq(2, 107, 40, 10, {0xff, 0x03, 0xc0, 0x21, 0x0a, 0x01, 0x00, 0x08, 5, 6, 7, 8});
  ASSERT_TRUE(u->write(*call, reply));
  pump();
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  Bytes ipb(out[0].begin() + 14, out[0].end());
  auto ud = wire::UdpRepr::parse(kUs, kPeer, std::span(ipb).subspan(20));
  ASSERT_TRUE(ud) << "the UDP checksum covers the rewritten numbers";
  EXPECT_EQ(load16(ud->data.data() + 6), 41);
  EXPECT_EQ(load16(ud->data.data() + 8), 11);
  // And the fast path goes on from there.
  frame_in(seq_frame(11, 42, ppp_ip(echo4(kClient, kUs))));
  out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(load16(out[0].data() + 14 + 20 + 8 + 8), 42);
}

TEST_F(PathTest, WhatTheFastPathDoesNotTakeReachesTheDaemonUnchanged) {
  ASSERT_EQ(add(session_req(PIPEX_PROTO_L2TP, 7)), 0);
  // LCP Echo-Request on the session: the daemon's.
  const Bytes lcp = {0xff, 0x03, 0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 1, 2, 3, 4};
  frame_in(l2tp_frame(lcp));
  ASSERT_EQ(daemon_queue().size(), 1u);
  EXPECT_EQ(daemon_queue()[0], l2tp_data(1, 7, lcp));
  EXPECT_EQ(l2tp_conv->incall.size(), 1u) << "a call for the peer, as ip(3) makes";
  // Data after the call was made is still the fast path's.
  frame_in(l2tp_frame(ppp_ip(echo4(kClient, kUs))));
  EXPECT_EQ(sent().size(), 1u);
  EXPECT_EQ(daemon_queue().size(), 1u);
  // A session nobody registered, and another peer: also the daemon's, counted.
  frame_in(l2tp_frame(ppp_ip(echo4(kClient, kUs)), 8));
  frame_in(l2tp_frame(ppp_ip(echo4(kClient, kUs)), 7, {.from = A("192.0.2.9")}));
  EXPECT_EQ(px->counters.InNoSession, 1u);
  EXPECT_EQ(px->counters.InWrongPeer, 1u);
  EXPECT_EQ(daemon_queue().size(), 3u);
  // net.pipex.enable off: nothing is taken.
  px->enabled = false;
  frame_in(l2tp_frame(ppp_ip(echo4(kClient, kUs))));
  EXPECT_EQ(daemon_queue().size(), 4u);
  EXPECT_EQ(px->find(PIPEX_PROTO_L2TP, 7)->stats.ipackets, 1u) << "only the one before";
  EXPECT_TRUE(sent().empty()) << "no echo was answered";
}

TEST_F(PathTest, PptpEchoAndItsSequenceAndAcknowledgement) {
  ASSERT_EQ(add(sequenced_pptp()), 0);
  frame_in(pptp_frame(ppp_ip(echo4(kClient, kUs)), 7, 5));
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  Bytes ipb(out[0].begin() + 14, out[0].end());
  auto h = wire::Ip4Repr::parse(ipb);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->proto, 47);
  EXPECT_EQ(h->dst, kPeer);
  const uint8_t* g = ipb.data() + 20;
  EXPECT_EQ(load16(g), 0x3081) << "K, S, A, version 1";
  EXPECT_EQ(load16(g + 2), 0x880b);
  EXPECT_EQ(load16(g + 4), ipb.size() - 20 - 16) << "payload length";
  EXPECT_EQ(load16(g + 6), 107) << "the peer's call id";
  EXPECT_EQ(load32(g + 8), 100u) << "seq continues the daemon's";
  EXPECT_EQ(load32(g + 12), 5u) << "acknowledges the peer's 5";
  EXPECT_EQ(g[16], 0xff);
  EXPECT_EQ(load16(g + 18), 0x0021);
  expect_echo_reply4(Bytes(ipb.begin() + 20 + 16 + 4, ipb.end()), kUs, kClient);
  // GRE that is not the session's stays for the gre directory.
  frame_in(pptp_frame(ppp_ip(echo4(kClient, kUs)), 9, 6));
  EXPECT_EQ(px->counters.InNoSession, 1u);
  for (const Bytes& f : sent())
    EXPECT_NE(f[14 + 9], 47) << "no GRE answers it";
}

TEST_F(PathTest, PptpSequenceIsSharedWithTheDaemonsGreConversation) {
  Proto* gre = ip.proto("gre");
  Conv* daemon = *gre->clone("daemon");
  ASSERT_TRUE(gre->ctl_message(*daemon, "connect 192.0.2.1!34827", l, nullptr));
  ASSERT_EQ(add(sequenced_pptp()), 0);
  // The fast path takes seq 5 and answers with seq 100.
  frame_in(pptp_frame(ppp_ip(echo4(kClient, kUs)), 7, 5));
  ASSERT_EQ(sent().size(), 1u);
  // The peer's LCP Echo-Request, seq 6 acking 100, reaches the daemon as
  // its own 5th, acking its 99th.
  const Bytes lcp = {0xff, 0x03, 0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 1, 2, 3, 4};
  frame_in(gre_in_ip4(pptp_gre_ack(7, 6, 100, lcp)));
  ASSERT_EQ(daemon->rq.size(), 1u);
  const uint8_t* d = daemon->rq.front()->data();
  EXPECT_EQ(load32(d + 8), 5u) << "seq less the one the fast path took";
  EXPECT_EQ(load32(d + 12), 99u) << "ack less the one the fast path sent";
  // The daemon answers with its numbers (seq 100, ack 5); the wire gets
  // the shared ones (seq 101, ack 6).
  Bytes reply = pptp_gre_ack(107, 100, 5, lcp);
  ASSERT_TRUE(gre->write(*daemon, reply));
  pump();
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  const uint8_t* w = out[0].data() + 14 + 20;
  EXPECT_EQ(load32(w + 8), 101u);
  EXPECT_EQ(load32(w + 12), 6u);
  // The fast path goes on from there.
  frame_in(pptp_frame(ppp_ip(echo4(kClient, kUs)), 7, 7));
  out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(load32(out[0].data() + 14 + 20 + 8), 102u);
}

TEST_F(PathTest, PptpAcknowledgesAloneAtHalfTheWindow) {
  auto r = session_req(PIPEX_PROTO_PPTP, 7);
  r.pr_proto.pptp.maxwinsz = 4;
  ASSERT_EQ(add(r), 0);
  px->find(PIPEX_PROTO_PPTP, 7)->ip_forward = false;  // no replies: only acks go out
  for (uint32_t seq = 0; seq < 3; seq++)
    frame_in(pptp_frame(ppp_ip(echo4(kClient, kUs)), 7, seq));
  auto out = sent();
  ASSERT_EQ(out.size(), 1u) << "one ack-only packet after 3 of a window of 4";
  const uint8_t* g = out[0].data() + 14 + 20;
  EXPECT_EQ(load16(g), 0x2081) << "K and A, no S";
  EXPECT_EQ(load16(g + 4), 0) << "no payload";
  EXPECT_EQ(load32(g + 8), 2u) << "acknowledges up to seq 2";
  EXPECT_EQ(px->find(PIPEX_PROTO_PPTP, 7)->stats.ierrors, 3u) << "ip_forward off";
}

TEST_F(PathTest, PppoeEchoWithPaddingAndNoAcf) {
  ASSERT_EQ(add(session_req(PIPEX_PROTO_PPPOE, 7)), 0);
  frame_in(pppoe_frame(ppp_ip(echo4(kClient, kUs), false)));
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  const Bytes& f = out[0];
  ASSERT_EQ(f.size(), 60u) << "54 bytes, padded";
  EXPECT_EQ(Bytes(f.begin(), f.begin() + 6), Bytes(kPeerMac, kPeerMac + 6));
  EXPECT_EQ(Bytes(f.begin() + 6, f.begin() + 12), Bytes(kOurMac, kOurMac + 6));
  EXPECT_EQ(load16(&f[12]), 0x8864);
  EXPECT_EQ(f[14], 0x11);
  EXPECT_EQ(f[15], 0x00);
  EXPECT_EQ(load16(&f[16]), 7) << "PPPoE uses our (the one) session id";
  EXPECT_EQ(load16(&f[18]), 34) << "PPP length";
  EXPECT_EQ(load16(&f[20]), 0x0021) << "no ff 03";
  expect_echo_reply4(Bytes(f.begin() + 22, f.begin() + 22 + 32), kUs, kClient);
  // From another MAC: not the session's.
  Bytes other = pppoe_frame(ppp_ip(echo4(kClient, kUs), false));
  other[11] = 0x99;
  frame_in(other);
  EXPECT_EQ(px->counters.InWrongPeer, 1u);
  EXPECT_TRUE(sent().empty());
}

TEST_F(PathTest, ShortPppoeOutputIsPaddedToTheEthernetMinimum) {
  ASSERT_EQ(add(session_req(PIPEX_PROTO_PPPOE, 7)), 0);
  // A block that held other bytes goes back to the pool, to be reused.
  {
    BlockPtr junk = pool.alloc();
    std::memset(junk->put(300), 0xaa, 300);
  }
  // A 20-byte IP packet to the client (IP protocol 253, experimental).
  ASSERT_TRUE(ip.send({kUs, kClient, 253, 64, 0, false, -1}, pool.alloc()));
  pump();
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].size(), 60u);
  EXPECT_EQ(load16(&out[0][18]), 22) << "the length field counts PPP only, not the pad";
  EXPECT_EQ(Bytes(out[0].begin() + 42, out[0].end()), Bytes(18, 0)) << "the pad is zeros";
}

TEST_F(PathTest, IngressFilterAndIpForward) {
  auto r = session_req(PIPEX_PROTO_L2TP, 7);
  r.pr_ppp_flags |= PIPEX_PPP_INGRESS_FILTER;
  ASSERT_EQ(add(r), 0);
  frame_in(l2tp_frame(ppp_ip(echo4(A("10.0.0.99"), kUs))));  // a spoofed source
  EXPECT_TRUE(sent().empty());
  Session* s = px->find(PIPEX_PROTO_L2TP, 7);
  EXPECT_EQ(s->stats.ierrors, 1u);
  EXPECT_EQ(s->stats.ipackets, 0u);
  pipex_session_config_req c{};
  c.pcr_protocol = PIPEX_PROTO_L2TP;
  c.pcr_session_id = 7;
  c.pcr_ip_forward = 0;
  ASSERT_EQ(px->ioctl(*pppac, PIPEXCSESSION, &c), 0);
  frame_in(l2tp_frame(ppp_ip(echo4(kClient, kUs))));
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(s->stats.ierrors, 2u);
  ASSERT_TRUE(ip.send({kUs, kClient, 253, 64, 0, false, -1}, pool.alloc()));
  pump();
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(s->stats.oerrors, 1u);
}

TEST_F(PathTest, PfcOnlyWhenAccepted) {
  auto r = session_req(PIPEX_PROTO_L2TP, 7);
  r.pr_ppp_flags &= ~uint32_t(PIPEX_PPP_PFC_ACCEPTED);
  ASSERT_EQ(add(r), 0);
  frame_in(l2tp_frame(cat({{0xff, 0x03, 0x21}, echo4(kClient, kUs)})));
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(px->find(PIPEX_PROTO_L2TP, 7)->stats.ierrors, 1u);
  auto r2 = session_req(PIPEX_PROTO_L2TP, 8);
  ASSERT_EQ(add(r2), 0);
  frame_in(l2tp_frame(cat({{0x21}, echo4(A("10.0.0.8"), kUs)}), 8));  // no ACF, one-byte protocol
  EXPECT_EQ(sent().size(), 1u);
}

TEST_F(PathTest, MppeBothWaysAndCcpResets) {
  auto lib = crypto::Libcrypto::open();
  ASSERT_TRUE(lib);
  auto r = session_req(PIPEX_PROTO_L2TP, 7);
  set_mppe(r, true, true);
  set_master_keys(r);
  ASSERT_EQ(add(r), 0);
  auto tx = crypto::Mppe::create(*lib, mppe_config(r.pr_mppe_recv));
  auto rx = crypto::Mppe::create(*lib, mppe_config(r.pr_mppe_send));
  ASSERT_TRUE(tx && rx);

  // Plain IP on a session that requires MPPE: dropped.
  frame_in(l2tp_frame(ppp_ip(echo4(kClient, kUs))));
  EXPECT_TRUE(sent().empty());
  for (int round = 0; round < 3; round++) {
    frame_in(l2tp_frame(encrypted(*tx, echo4(kClient, kUs))));
    auto out = sent();
    ASSERT_EQ(out.size(), 1u) << round;
    Bytes p(out[0].begin() + 14 + 20 + 8 + 8, out[0].end());  // the PPP frame
    ASSERT_EQ(load16(&p[2]), 0x00fd) << "encrypted";
    Bytes m(p.begin() + 4, p.end());
    auto in = rx->decrypt(m);
    ASSERT_TRUE(in.ok()) << crypto::mppe_verdict_text(in.verdict);
    EXPECT_EQ(in.header.count, round);
    ASSERT_EQ(load16(in.data.data()), 0x0021);
    expect_echo_reply4(Bytes(in.data.begin() + 2, in.data.end()), kUs, kClient);
  }
  Session* s = px->find(PIPEX_PROTO_L2TP, 7);
  EXPECT_EQ(s->stats.ipackets, 3u);
  EXPECT_EQ(s->stats.ierrors, 1u);
  // The peer's CCP Reset-Request (id 5) is answered with a Reset-Ack (id 5).
  frame_in(l2tp_frame({0xff, 0x03, 0x80, 0xfd, 14, 5, 0, 4}));
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  Bytes p(out[0].begin() + 14 + 20 + 8 + 8, out[0].end());
  EXPECT_EQ(p, (Bytes{0xff, 0x03, 0x80, 0xfd, 15, 5, 0, 4}));
  EXPECT_EQ(px->counters.CcpResetRequests, 1u);
  // CCP's negotiation (Configure-Request) is the daemon's.
  frame_in(l2tp_frame({0xff, 0x03, 0x80, 0xfd, 1, 6, 0, 4}));
  ASSERT_EQ(daemon_queue().size(), 1u);
}

TEST_F(PathTest, StatefulMppeLossAsksForAReset) {
  auto lib = crypto::Libcrypto::open();
  ASSERT_TRUE(lib);
  auto r = session_req(PIPEX_PROTO_L2TP, 7);
  r.pr_ppp_flags |= PIPEX_PPP_MPPE_ACCEPTED;
  r.pr_mppe_recv.stateless = 0;
  r.pr_mppe_recv.keylenbits = 40;
  r.pr_ccp_id = 3;
  ASSERT_EQ(add(r), 0);
  crypto::MppeConfig c{40, false, {}};
  auto tx = crypto::Mppe::create(*lib, c);
  ASSERT_TRUE(tx);
  frame_in(l2tp_frame(encrypted(*tx, echo4(kClient, kUs))));
  EXPECT_EQ(sent().size(), 1u) << "the reply, in plain IP (no MPPE sending)";
  (void)encrypted(*tx, echo4(kClient, kUs));  // lost
  frame_in(l2tp_frame(encrypted(*tx, echo4(kClient, kUs))));
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  Bytes p(out[0].begin() + 14 + 20 + 8 + 8, out[0].end());
  EXPECT_EQ(p, (Bytes{0xff, 0x03, 0x80, 0xfd, 14, 4, 0, 4}))
      << "Reset-Request with the next CCP id";
  EXPECT_EQ(px->find(PIPEX_PROTO_L2TP, 7)->stats.ierrors, 1u);
}

TEST_F(PathTest, TcpMssIsClampedBothWays) {
  auto r = session_req(PIPEX_PROTO_L2TP, 7);
  r.pr_ppp_flags |= PIPEX_PPP_ADJUST_TCPMSS;
  r.pr_peer_mru = 1200;
  ASSERT_EQ(add(r), 0);
  // A SYN from the client to a host beyond the stack is forwarded; we only
  // look at what reaches the wire, so send it to a host on the Ethernet.
  ASSERT_TRUE(ip.ifc_ctl(*eth, "iprouting"));
  Bytes syn(24, 0);
  store16(&syn[0], 40000);
  store16(&syn[2], 80);
  syn[12] = 6 << 4;
  syn[13] = 0x02;
  store16(&syn[14], 65535);
  syn[20] = 2;
  syn[21] = 4;
  store16(&syn[22], 1460);
  uint16_t ck = csum_fold(csum_partial(syn.data(), syn.size(), csum_pseudo(kClient, kPeer, 6, 24)));
  store16(&syn[16], ck);
  frame_in(l2tp_frame(ppp_ip(ip4(kClient, kPeer, 6, syn))));
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  const uint8_t* t = out[0].data() + 14 + 20;
  EXPECT_EQ(load16(t + 22), pipex_max_mss(1200, false)) << "1200 - 20 - 20 - 12";
  EXPECT_EQ(csum_fold(csum_partial(t, 24, csum_pseudo(kClient, kPeer, 6, 24))), 0);
}

TEST_F(PathTest, MulticastIsCopiedToEverySessionOfTheInterface) {
  ASSERT_EQ(add(session_req(PIPEX_PROTO_L2TP, 7)), 0);
  ASSERT_EQ(add(session_req(PIPEX_PROTO_PPTP, 8)), 0);
  ASSERT_EQ(add(session_req(PIPEX_PROTO_PPPOE, 9)), 0);
  SendParams sp{kUs, A("224.0.0.9"), 17, 1, 0, false, pppac->index};
  ASSERT_TRUE(ip.send(sp, pool.alloc()));
  pump();
  auto out = sent();
  ASSERT_EQ(out.size(), 3u);
  int l2tp = 0, pptp = 0, pppoe = 0;
  for (const Bytes& f : out) {
    if (load16(&f[12]) == 0x8864)
      pppoe++;
    else if (f[14 + 9] == 47)
      pptp++;
    else if (f[14 + 9] == 17)
      l2tp++;
  }
  EXPECT_EQ(l2tp + pptp + pppoe, 3);
  EXPECT_EQ(l2tp * pptp * pppoe, 1);
  // IPv6 multicast too (OpenBSD drops it), as an RA to all-nodes goes: to
  // the sessions with IPv6 (a framed prefix) only.
  SendParams sp6{A("2001:db8:1::2"), A("ff02::1"), 58, 255, 0, false, pppac->index};
  ASSERT_TRUE(ip.send(sp6, pool.alloc()));
  pump();
  EXPECT_TRUE(sent().empty()) << "none negotiated IPv6";
  EXPECT_EQ(px->counters.OutNoSession, 1u);
  auto r6 = session_req(PIPEX_PROTO_L2TP, 11);
  set_ip6_prefix(r6, "2001:db8:11::", 64);
  ASSERT_EQ(add(r6), 0);
  ASSERT_TRUE(ip.send(sp6, pool.alloc()));
  pump();
  out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(load16(&out[0][14 + 20 + 8 + 6]), 111) << "session 11's peer id";
  // Sessions that go leave the copies; an interface with none counts a drop.
  for (auto [proto, id] :
       {std::pair{PIPEX_PROTO_PPTP, 8}, {PIPEX_PROTO_L2TP, 7}, {PIPEX_PROTO_L2TP, 11}}) {
    pipex_session_stat_req st{};
    st.psr_protocol = proto;
    st.psr_session_id = uint16_t(id);
    ASSERT_EQ(px->ioctl(*pppac, PIPEXDSESSION, &st), 0);
  }
  ASSERT_TRUE(ip.send(sp, pool.alloc()));
  pump();
  out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(load16(&out[0][12]), 0x8864) << "only the PPPoE session is left";
  pipex_session_stat_req st{};
  st.psr_protocol = PIPEX_PROTO_PPPOE;
  st.psr_session_id = 9;
  ASSERT_EQ(px->ioctl(*pppac, PIPEXDSESSION, &st), 0);
  ASSERT_TRUE(ip.send(sp, pool.alloc()));
  pump();
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(px->counters.OutNoSession, 2u);
}

// On a pppx device each session's interface is its own link: a multicast
// sent there (an RA to ff02::1, a 224/4 routing hello) goes to that session
// alone.
TEST_F(PathTest, MulticastOnAPppxSessionsInterfaceGoesToItAlone) {
  Ifc* dev = *ip.ifc_clone();
  ASSERT_TRUE(ip.ifc_ctl(*dev, "bind pppx"));
  for (uint16_t id : {9, 10}) {
    auto r = session_req(PIPEX_PROTO_L2TP, id);
    set_ip6_prefix(r, id == 9 ? "2001:db8:9::" : "2001:db8:10::", 64);
    ASSERT_EQ(px->ioctl(*dev, PIPEXASESSION, &r), 0);
  }
  const int own9 = px->find(PIPEX_PROTO_L2TP, 9)->ifc;
  for (const char* group : {"ff02::1", "224.0.0.5"}) {
    const Ipaddr g = A(group);
    SendParams sp{g.is_v4() ? kUs : A("2001:db8:1::2"), g, 17, 1, 0, false, own9};
    ASSERT_TRUE(ip.send(sp, pool.alloc()));
    pump();
    auto out = sent();
    ASSERT_EQ(out.size(), 1u) << group;
    // L2TP data header after Ethernet, IPv4 and UDP: flags, length, tunnel,
    // session.
    EXPECT_EQ(load16(&out[0][14 + 20 + 8 + 6]), 109) << group << ": session 9's peer id";
  }
}

TEST_F(PathTest, Ipv6PrefixInsideASession) {
  auto r = session_req(PIPEX_PROTO_L2TP, 7);
  set_ip6_prefix(r, "2001:db8:7::", 64);
  ASSERT_EQ(add(r), 0);
  const Ipaddr client6 = A("2001:db8:7::1234"), us6 = A("2001:db8:1::2");
  EXPECT_EQ(px->find_v6(client6), px->find(PIPEX_PROTO_L2TP, 7));
  frame_in(l2tp_frame(ppp_ip(echo6(client6, us6))));
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  Bytes p(out[0].begin() + 14 + 20 + 8 + 8, out[0].end());
  ASSERT_EQ(load16(&p[2]), 0x0057);
  Bytes inner(p.begin() + 4, p.end());
  auto h = wire::Ip6Repr::parse(inner);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->dst, client6);
  EXPECT_EQ(inner[40], 129) << "echo reply";
  // A second session may not take the same prefix.
  auto r2 = session_req(PIPEX_PROTO_L2TP, 8);
  r2.pr_ip6_address = r.pr_ip6_address;
  r2.pr_ip6_prefixlen = 64;
  EXPECT_EQ(add(r2), EADDRINUSE);
}

TEST_F(PathTest, SessionsAddAndRemoveTheirRoutes) {
  ASSERT_EQ(add(session_req(PIPEX_PROTO_L2TP, 7)), 0);
  const Route* rt = ip.routes.lookup(kClient);
  ASSERT_TRUE(rt);
  EXPECT_EQ(rt->ifc, pppac->index);
  EXPECT_EQ(rt->tag, "ppp");
  pipex_session_close_req c{};
  c.pcr_protocol = PIPEX_PROTO_L2TP;
  c.pcr_session_id = 7;
  ASSERT_EQ(px->ioctl(*pppac, PIPEXDSESSION, &c), 0);
  rt = ip.routes.lookup(kClient);
  EXPECT_TRUE(!rt || rt->ifc != pppac->index) << "the session's route went with it";
  // Under a pool route through the interface, no route of its own.
  std::string tag;
  ASSERT_TRUE(
      ip.route_ctl("add 10.0.0.0 255.255.255.0 10.0.0.0 " + std::to_string(pppac->index), tag));
  size_t before = ip.routes.size();
  ASSERT_EQ(add(session_req(PIPEX_PROTO_L2TP, 7)), 0);
  EXPECT_EQ(ip.routes.size(), before);
}

TEST_F(PathTest, PppxGivesEachSessionItsOwnInterface) {
  Ifc* dev = *ip.ifc_clone();
  ASSERT_TRUE(ip.ifc_ctl(*dev, "bind pppx"));
  auto r = session_req(PIPEX_PROTO_L2TP, 9);
  put_addr("10.0.0.254", &r.pr_ip_srcaddr);
  ASSERT_EQ(px->ioctl(*dev, PIPEXASESSION, &r), 0) << "a pppx device needs no mode";
  Session* s = px->find(PIPEX_PROTO_L2TP, 9);
  ASSERT_NE(s->ifc, dev->index);
  Ifc* own = ip.ifc(s->ifc);
  ASSERT_TRUE(own && own->bound());
  EXPECT_EQ(ip.ifc_status(*own).substr(0, 17), "pppx/l2tp.9  1500") << ip.ifc_status(*own);
  EXPECT_NE(ip.ifc_status(*own).find("10.0.0.254"), std::string::npos) << ip.ifc_status(*own);
  EXPECT_EQ(ip.routes.lookup(A("10.0.0.9"))->ifc, own->index);
  frame_in(l2tp_frame(ppp_ip(echo4(A("10.0.0.9"), kUs)), 9));
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  expect_echo_reply4(Bytes(out[0].begin() + 14 + 20 + 8 + 8 + 4, out[0].end()), kUs, A("10.0.0.9"));
  // Requests name the device, not the session's interface.
  pipex_session_stat_req st{};
  st.psr_protocol = PIPEX_PROTO_L2TP;
  st.psr_session_id = 9;
  EXPECT_EQ(px->ioctl(*own, PIPEXGSTAT, &st), EINVAL);
  ASSERT_EQ(px->ioctl(*dev, PIPEXGSTAT, &st), 0);
  EXPECT_EQ(st.psr_stat.ipackets, 1u);
  const int n = own->index;
  ASSERT_EQ(px->ioctl(*dev, PIPEXDSESSION, &st), 0);
  EXPECT_FALSE(ip.ifc(n) && ip.ifc(n)->bound()) << "the interface went with the session";
  EXPECT_TRUE(!ip.routes.lookup(A("10.0.0.9")) || ip.routes.lookup(A("10.0.0.9"))->ifc != n);
  // Unbinding the device ends its sessions and their interfaces.
  ASSERT_EQ(px->ioctl(*dev, PIPEXASESSION, &r), 0);
  const int m = px->find(PIPEX_PROTO_L2TP, 9)->ifc;
  px->remove_ifc(dev->index);  // what the stack's on_unbind does
  EXPECT_EQ(px->find(PIPEX_PROTO_L2TP, 9), nullptr);
  EXPECT_FALSE(ip.ifc(m) && ip.ifc(m)->bound());
}

TEST_F(PathTest, EchoTrafficIsActiveAndDnsIsNot) {
  auto r = session_req(PIPEX_PROTO_L2TP, 7);
  r.pr_timeout_sec = 60;
  ASSERT_EQ(add(r), 0);
  Session* s = px->find(PIPEX_PROTO_L2TP, 7);
  clock.advance(sec(10));
  frame_in(l2tp_frame(ppp_ip(ip4(kClient, kUs, 17, udp(kClient, kUs, 5353, 53, {1, 2, 3})))));
  EXPECT_EQ(s->idle_seconds(clock.now()), 10u) << "DNS is idle traffic";
  frame_in(l2tp_frame(ppp_ip(echo4(kClient, kUs))));
  EXPECT_EQ(s->idle_seconds(clock.now()), 0u) << "an echo is active";
}

}  // namespace
}  // namespace ninet::pipex
