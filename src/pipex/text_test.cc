// text_test — session requests as key=value text (text.h): every key into
// the structure's field, and back to the same words; each kind of bad word.
#include "pipex/text.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>

namespace ninet::pipex {
namespace {

TEST(PipexText, AnL2tpRequestParsesIntoItsFieldsAndPrintsBack) {
  const std::string text =
      "proto=l2tp id=7 peer-id=9 ppp-id=507 ccp-id=3 mru=1400 timeout=300 "
      "flags=pfc-accepted,mppe-accepted,mppe-enabled,has-acf,adjust-tcpmss,ingress-filter "
      "src=192.0.2.2 framed=10.0.0.7 netmask=255.255.255.255 framed6=fd00:1::/64 "
      "peer=192.0.2.1!1701 local=192.0.2.2!1701 tunnel-id=1 peer-tunnel-id=2 sequencing=on "
      "ns=10 nr=20 ns-una=9 nr-acked=19 "
      "mppe-recv=stateless,128,000102030405060708090a0b0c0d0e0f "
      "mppe-send=stateful,40,f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
  auto r = parse_session_req(text);
  ASSERT_TRUE(r) << r.error().text();
  EXPECT_EQ(r->pr_protocol, PIPEX_PROTO_L2TP);
  EXPECT_EQ(r->pr_session_id, 7);
  EXPECT_EQ(r->pr_peer_session_id, 9);
  EXPECT_EQ(r->pr_ppp_id, 507);
  EXPECT_EQ(r->pr_ccp_id, 3);
  EXPECT_EQ(r->pr_peer_mru, 1400);
  EXPECT_EQ(r->pr_timeout_sec, 300);
  EXPECT_EQ(r->pr_ppp_flags,
            uint32_t(PIPEX_PPP_PFC_ACCEPTED | PIPEX_PPP_MPPE_ACCEPTED | PIPEX_PPP_MPPE_ENABLED |
                     PIPEX_PPP_HAS_ACF | PIPEX_PPP_ADJUST_TCPMSS | PIPEX_PPP_INGRESS_FILTER));
  in_addr want;
  inet_pton(AF_INET, "10.0.0.7", &want);
  EXPECT_EQ(r->pr_ip_address.s_addr, want.s_addr);
  EXPECT_EQ(r->pr_ip_netmask.s_addr, 0xffffffffu);
  EXPECT_EQ(r->pr_ip6_address.sin6_family, AF_INET6);
  EXPECT_EQ(r->pr_ip6_prefixlen, 64);
  const auto& peer = reinterpret_cast<const sockaddr_in&>(r->pr_peer_address);
  EXPECT_EQ(peer.sin_family, AF_INET);
  EXPECT_EQ(ntohs(peer.sin_port), 1701);
  inet_pton(AF_INET, "192.0.2.1", &want);
  EXPECT_EQ(peer.sin_addr.s_addr, want.s_addr);
  EXPECT_EQ(r->pr_proto.l2tp.tunnel_id, 1);
  EXPECT_EQ(r->pr_proto.l2tp.peer_tunnel_id, 2);
  EXPECT_EQ(r->pr_proto.l2tp.option_flags, uint32_t(PIPEX_L2TP_USE_SEQUENCING));
  EXPECT_EQ(r->pr_proto.l2tp.ns_nxt, 10u);
  EXPECT_EQ(r->pr_proto.l2tp.nr_acked, 19u);
  EXPECT_EQ(r->pr_mppe_recv.stateless, 1);
  EXPECT_EQ(r->pr_mppe_recv.keylenbits, 128);
  EXPECT_EQ(r->pr_mppe_recv.master_key[15], 0x0f);
  EXPECT_EQ(r->pr_mppe_send.stateless, 0);
  EXPECT_EQ(r->pr_mppe_send.keylenbits, 40);
  EXPECT_EQ(r->pr_mppe_send.master_key[0], 0xf0);
  // Printed and parsed again: the same structure, the same words.
  const std::string back = session_req_text(*r);
  auto again = parse_session_req(back);
  ASSERT_TRUE(again) << back;
  EXPECT_EQ(std::memcmp(&*again, &*r, sizeof *r), 0) << back;
  EXPECT_EQ(session_req_text(*again), back);
}

TEST(PipexText, PptpOverIpv6AndPppoe) {
  auto p = parse_session_req(
      "proto=pptp id=3 peer=2001:db8::1!0 local=2001:db8::2!0 snd-nxt=5 rcv-nxt=6 winsz=64 "
      "maxwinsz=64 peer-maxwinsz=32");
  ASSERT_TRUE(p) << p.error().text();
  EXPECT_EQ(p->pr_peer_address.ss_family, AF_INET6);
  EXPECT_EQ(p->pr_proto.pptp.rcv_nxt, 6u);
  EXPECT_EQ(p->pr_proto.pptp.peer_maxwinsz, 32);
  auto p2 = parse_session_req(session_req_text(*p));
  ASSERT_TRUE(p2);
  EXPECT_EQ(std::memcmp(&*p2, &*p, sizeof *p), 0);

  auto e = parse_session_req("proto=pppoe id=4660 over=veth0 peer-mac=52:54:00:aa:bb:cc");
  ASSERT_TRUE(e) << e.error().text();
  EXPECT_EQ(e->pr_peer_address.ss_family, AF_UNSPEC);
  EXPECT_STREQ(e->pr_proto.pppoe.over_ifname, "veth0");
  const uint8_t mac[6] = {0x52, 0x54, 0, 0xaa, 0xbb, 0xcc};
  EXPECT_EQ(std::memcmp(reinterpret_cast<const sockaddr&>(e->pr_peer_address).sa_data, mac, 6), 0);
  auto e2 = parse_session_req(session_req_text(*e));
  ASSERT_TRUE(e2) << session_req_text(*e);
  EXPECT_EQ(std::memcmp(&*e2, &*e, sizeof *e), 0);
}

TEST(PipexText, BadWordsAreNamed) {
  const char* bad[] = {"id=1",                                  // no proto
                       "proto=l2tp",                            // no id
                       "proto=gre id=1",                        // unknown protocol
                       "proto=l2tp id=65536",                   // out of range
                       "proto=l2tp id=1 id=2",                  // repeated
                       "proto=l2tp id=1 colour=red",            // unknown key
                       "proto=l2tp id=1 flags=has-acf,nope",    // unknown flag
                       "proto=l2tp id=1 framed=fd00::1",        // IPv6 for an IPv4 field
                       "proto=l2tp id=1 framed6=fd00::/0",      // prefix length 0
                       "proto=l2tp id=1 peer=192.0.2.1",        // no port
                       "proto=l2tp id=1 peer=192.0.2.1!70000",  // port out of range
                       "proto=l2tp id=1 sequencing=maybe",
                       "proto=l2tp id=1 mppe-recv=stateless,128,00",  // short key
                       "proto=l2tp id=1 mppe-recv=sometimes,128,000102030405060708090a0b0c0d0e0f",
                       "proto=pppoe id=1 over=averyveryverylongname",
                       "proto=pppoe id=1 over=eth\x01",
                       "proto=l2tp id=1 =3",
                       "proto=pppoe id=1 over=h0 snd-nxt=603",   // a PPTP key
                       "proto=pppoe id=1 peer=192.0.2.1!1",      // a tunnel address
                       "proto=pptp id=1 tunnel-id=4",            // an L2TP key
                       "proto=l2tp id=1 peer-mac=525400aabbcc",  // a PPPoE key
                       "proto=l2tp id=1 novalue"};
  for (const char* b : bad) {
    auto r = parse_session_req(b);
    EXPECT_FALSE(r) << b;
    if (!r) EXPECT_NE(r.error().text().find("bad pipex request"), std::string::npos) << b;
  }
  EXPECT_EQ(parse_proto("pptp"), PIPEX_PROTO_PPTP);
  EXPECT_EQ(parse_proto("3"), PIPEX_PROTO_PPPOE);
  EXPECT_EQ(parse_proto("esp"), 0);
  EXPECT_STREQ(proto_name(9), "?");
}

}  // namespace
}  // namespace ninet::pipex
