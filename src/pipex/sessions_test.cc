// sessions_test — pipex's request interface (pipex.h) on the session table:
// every error the real system gives (NOTES.md), statistics, the
// per-interface mode, the idle timer, close-wait and the closed list with
// PIPEX_LISTREQ_MORE, on a stack with a ManualClock.
#include "pipex/sessions.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "ip/ip.h"
#include "media/testing.h"

namespace ninet::pipex {
namespace {

struct PipexTest : ::testing::Test {
  PipexTest() : ip(clock, pool, TestMedium::factory(&media)), px(ip) {
    std::lock_guard<std::mutex> g(ip.mu);
    pppac = *ip.ifc_clone();
    EXPECT_TRUE(ip.ifc_ctl(*pppac, "bind pkt"));
    ether = *ip.ifc_clone();
    EXPECT_TRUE(ip.ifc_ctl(*ether, "bind ether veth7"));
    int one = 1;
    EXPECT_EQ(px.ioctl(*pppac, PIPEXSMODE, &one), 0);
  }

  // An L2TP session over IPv4 with framed address 10.0.0.ID.
  static pipex_session_req l2tp(uint16_t id, const char* framed = nullptr) {
    pipex_session_req r{};
    r.pr_protocol = PIPEX_PROTO_L2TP;
    r.pr_session_id = id;
    r.pr_peer_session_id = uint16_t(id + 1000);
    r.pr_ppp_id = 500 + id;
    r.pr_timeout_sec = 0;
    std::string a = framed ? framed : "10.0.0." + std::to_string(id);
    inet_pton(AF_INET, a.c_str(), &r.pr_ip_address);
    auto& peer = reinterpret_cast<sockaddr_in&>(r.pr_peer_address);
    peer.sin_family = AF_INET;
    peer.sin_port = htons(1701);
    inet_pton(AF_INET, "192.0.2.1", &peer.sin_addr);
    auto& local = reinterpret_cast<sockaddr_in&>(r.pr_local_address);
    local.sin_family = AF_INET;
    local.sin_port = htons(1701);
    inet_pton(AF_INET, "192.0.2.2", &local.sin_addr);
    return r;
  }

  int add(pipex_session_req r) { return px.ioctl(*pppac, PIPEXASESSION, &r); }
  // Runs timers up to `to` seconds from now, a second at a time.
  void run_for(int seconds) {
    for (int i = 0; i < seconds; i++) {
      clock.advance(sec(1));
      ip.timers.run(clock.now());
    }
  }

  ManualClock clock;
  Pool pool;
  std::vector<TestMedium*> media;
  Ip ip;
  Pipex px;
  Ifc* pppac = nullptr;
  Ifc* ether = nullptr;
};

TEST_F(PipexTest, TheModeGatesAddingAndItsEndRemovesTheSessions) {
  int mode = -1;
  EXPECT_EQ(px.ioctl(*ether, PIPEXGMODE, &mode), 0);
  EXPECT_EQ(mode, 0);
  EXPECT_EQ(px.ioctl(*pppac, PIPEXGMODE, &mode), 0);
  EXPECT_EQ(mode, 1);
  auto r = l2tp(1);
  EXPECT_EQ(px.ioctl(*ether, PIPEXASESSION, &r), ENXIO);
  EXPECT_EQ(add(l2tp(1)), 0);
  EXPECT_EQ(add(l2tp(2)), 0);
  EXPECT_EQ(px.size(), 2u);
  int zero = 0;
  EXPECT_EQ(px.ioctl(*pppac, PIPEXSMODE, &zero), 0);
  EXPECT_EQ(px.size(), 0u);
  EXPECT_EQ(px.find_v4(Ipaddr::v4(10, 0, 0, 1)), nullptr);
  EXPECT_EQ(add(l2tp(1)), ENXIO);
}

TEST_F(PipexTest, AddChecksItsRequestAsOpenBsdDoes) {
  EXPECT_EQ(add(l2tp(1)), 0);
  EXPECT_EQ(add(l2tp(1, "10.9.9.9")), EEXIST) << "same protocol and id";
  auto pptp = l2tp(1, "10.9.9.9");
  pptp.pr_protocol = PIPEX_PROTO_PPTP;
  EXPECT_EQ(add(pptp), 0) << "ids are unique per protocol";
  EXPECT_EQ(add(l2tp(2, "10.0.0.1")), EADDRINUSE);
  auto bad = l2tp(3);
  bad.pr_protocol = 9;
  EXPECT_EQ(add(bad), EPROTONOSUPPORT);
  bad = l2tp(3);
  bad.pr_peer_address.ss_family = AF_UNIX;
  EXPECT_EQ(add(bad), EINVAL);
  bad = l2tp(3);
  bad.pr_local_address.ss_family = AF_INET6;  // not the peer's family
  EXPECT_EQ(add(bad), EINVAL);
  bad = l2tp(3);
  bad.pr_ppp_flags = PIPEX_PPP_MPPE_REQUIRED | PIPEX_PPP_MPPE_ACCEPTED;
  bad.pr_mppe_recv.keylenbits = 128;
  EXPECT_EQ(add(bad), EINVAL) << "required without enabled";
  bad.pr_ppp_flags |= PIPEX_PPP_MPPE_ENABLED;
  bad.pr_mppe_send.keylenbits = 64;
  EXPECT_EQ(add(bad), EINVAL) << "a 64-bit key";
  bad.pr_mppe_send.keylenbits = 56;
  EXPECT_EQ(add(bad), 0);
  bad = l2tp(4);
  inet_pton(AF_INET, "255.0.255.0", &bad.pr_ip_netmask);
  EXPECT_EQ(add(bad), EINVAL) << "a netmask with holes";
  EXPECT_EQ(px.size(), 3u);
}

TEST_F(PipexTest, FramedNetworksAreFoundByAddress) {
  auto net = l2tp(1, "10.1.2.77");
  inet_pton(AF_INET, "255.255.255.0", &net.pr_ip_netmask);
  EXPECT_EQ(add(net), 0);
  EXPECT_EQ(add(l2tp(2, "10.1.3.5")), 0);  // netmask 0: /32
  Session* s = px.find_v4(Ipaddr::v4(10, 1, 2, 200));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->id, 1);
  EXPECT_EQ(s->addr4, Ipaddr::v4(10, 1, 2, 0)) << "masked";
  EXPECT_EQ(px.find_v4(Ipaddr::v4(10, 1, 3, 5))->id, 2);
  EXPECT_EQ(px.find_v4(Ipaddr::v4(10, 1, 3, 6)), nullptr);
  EXPECT_EQ(add(l2tp(3, "10.1.2.9")), EADDRINUSE) << "inside session 1's network";
  pipex_session_stat_req d{};
  d.psr_protocol = PIPEX_PROTO_L2TP;
  d.psr_session_id = 1;
  EXPECT_EQ(px.ioctl(*pppac, PIPEXDSESSION, &d), 0);
  EXPECT_EQ(px.find_v4(Ipaddr::v4(10, 1, 2, 200)), nullptr);
  EXPECT_EQ(add(l2tp(3, "10.1.2.9")), 0);
}

TEST_F(PipexTest, PppoeNeedsAnEthernetInterfaceAndAnUnspecifiedPeer) {
  pipex_session_req r{};
  r.pr_protocol = PIPEX_PROTO_PPPOE;
  r.pr_session_id = 0x1234;
  std::strcpy(r.pr_proto.pppoe.over_ifname, "veth8");
  r.pr_peer_address.ss_family = AF_UNSPEC;
  EXPECT_EQ(add(r), EINVAL) << "no such interface";
  std::strcpy(r.pr_proto.pppoe.over_ifname, "veth7");
  r.pr_peer_address.ss_family = AF_INET;
  EXPECT_EQ(add(r), EINVAL) << "the peer is a MAC, not an IP address";
  r.pr_peer_address.ss_family = AF_UNSPEC;
  const uint8_t mac[6] = {0x52, 0x54, 0, 0xaa, 0xbb, 0xcc};
  std::memcpy(reinterpret_cast<sockaddr&>(r.pr_peer_address).sa_data, mac, 6);
  EXPECT_EQ(add(r), 0);
  Session* s = px.find(PIPEX_PROTO_PPPOE, 0x1234);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->over_ifc, ether->index);
  EXPECT_EQ(std::memcmp(s->peer_mac, mac, 6), 0);
  std::strcpy(r.pr_proto.pppoe.over_ifname, std::to_string(pppac->index).c_str());
  r.pr_session_id = 0x1235;
  EXPECT_EQ(add(r), EINVAL) << "an interface that is not Ethernet";
}

TEST_F(PipexTest, PppoeNamesTheDeviceWithoutTheMediumsPrefix) {
  std::lock_guard<std::mutex> g(ip.mu);
  Ifc* pfx = *ip.ifc_clone();
  ASSERT_TRUE(ip.ifc_ctl(*pfx, "bind ether afpacket:veth9"));
  pipex_session_req r{};
  r.pr_protocol = PIPEX_PROTO_PPPOE;
  r.pr_session_id = 0x99;
  r.pr_peer_address.ss_family = AF_UNSPEC;
  std::strcpy(r.pr_proto.pppoe.over_ifname, "veth9");
  ASSERT_EQ(add(r), 0) << "bound as afpacket:veth9";
  EXPECT_EQ(px.find(PIPEX_PROTO_PPPOE, 0x99)->over_ifc, pfx->index);
  r.pr_session_id = 0x9a;
  std::strcpy(r.pr_proto.pppoe.over_ifname, "eth9");
  EXPECT_EQ(add(r), EINVAL) << "a suffix of the name is not the name";
}

TEST_F(PipexTest, UnknownSessionsAndRequests) {
  EXPECT_EQ(add(l2tp(1)), 0);
  pipex_session_stat_req st{};
  st.psr_protocol = PIPEX_PROTO_PPTP;  // id 1 exists for L2TP only
  st.psr_session_id = 1;
  EXPECT_EQ(px.ioctl(*pppac, PIPEXGSTAT, &st), EINVAL);
  EXPECT_EQ(px.ioctl(*pppac, PIPEXDSESSION, &st), EINVAL);
  pipex_session_config_req c{};
  c.pcr_protocol = PIPEX_PROTO_L2TP;
  c.pcr_session_id = 2;
  EXPECT_EQ(px.ioctl(*pppac, PIPEXCSESSION, &c), EINVAL);
  pipex_session_descr_req dr{};
  dr.pdr_protocol = PIPEX_PROTO_L2TP;
  dr.pdr_session_id = 9;
  EXPECT_EQ(px.ioctl(*pppac, PIPEXSIFDESCR, &dr), EINVAL);
  st.psr_protocol = PIPEX_PROTO_L2TP;
  EXPECT_EQ(px.ioctl(*ether, PIPEXGSTAT, &st), EINVAL) << "another interface's session";
  int x = 0;
  EXPECT_EQ(px.ioctl(*pppac, _IOW('p', 99, int), &x), ENOTTY);
  EXPECT_EQ(px.ioctl(*pppac, PIPEXGSTAT, nullptr), EFAULT);
}

TEST_F(PipexTest, StatisticsConfigAndDescription) {
  EXPECT_EQ(add(l2tp(1)), 0);
  Session* s = px.find(PIPEX_PROTO_L2TP, 1);
  ASSERT_NE(s, nullptr);
  s->stats.ipackets = 7;
  s->stats.ibytes = 7000;
  s->stats.opackets = 5;
  s->stats.obytes = 1ull << 33;  // 64-bit counters stay 64-bit
  s->stats.oerrors = 2;
  clock.advance(sec(12));
  pipex_session_stat_req st{};
  st.psr_protocol = PIPEX_PROTO_L2TP;
  st.psr_session_id = 1;
  EXPECT_EQ(px.ioctl(*pppac, PIPEXGSTAT, &st), 0);
  EXPECT_EQ(st.psr_stat.ipackets, 7u);
  EXPECT_EQ(st.psr_stat.ibytes, 7000u);
  EXPECT_EQ(st.psr_stat.opackets, 5u);
  EXPECT_EQ(st.psr_stat.obytes, 1ull << 33);
  EXPECT_EQ(st.psr_stat.oerrors, 2u);
  EXPECT_EQ(st.psr_stat.idle_time, 12u);
  static_assert(sizeof(pipex_statistics) == 40);
  pipex_session_config_req c{};
  c.pcr_protocol = PIPEX_PROTO_L2TP;
  c.pcr_session_id = 1;
  c.pcr_ip_forward = 0;
  EXPECT_EQ(px.ioctl(*pppac, PIPEXCSESSION, &c), 0);
  EXPECT_FALSE(s->ip_forward);
  pipex_session_descr_req dr{};
  dr.pdr_protocol = PIPEX_PROTO_L2TP;
  dr.pdr_session_id = 1;
  std::memset(dr.pdr_descr, 'x', sizeof dr.pdr_descr);  // no NUL: all 64 bytes
  EXPECT_EQ(px.ioctl(*pppac, PIPEXSIFDESCR, &dr), 0);
  EXPECT_EQ(s->descr, std::string(64, 'x'));
  // Delete returns the statistics, and the session is gone.
  EXPECT_EQ(px.ioctl(*pppac, PIPEXDSESSION, &st), 0);
  EXPECT_EQ(st.psr_stat.opackets, 5u);
  EXPECT_EQ(px.find(PIPEX_PROTO_L2TP, 1), nullptr);
}

TEST_F(PipexTest, IdleSessionsGoToCloseWaitThenAway) {
  auto r = l2tp(1);
  r.pr_timeout_sec = 10;
  EXPECT_EQ(add(r), 0);
  EXPECT_EQ(add(l2tp(2)), 0);  // no timeout: never idles out
  Session* s = px.find(PIPEX_PROTO_L2TP, 1);
  run_for(6);
  px.active(*s, clock.now());  // traffic at 6 s moves the timeout to 16 s
  run_for(9);
  EXPECT_EQ(s->state, State::kOpened);
  run_for(1);
  EXPECT_EQ(s->state, State::kCloseWait) << "idle 10 s since the traffic";
  EXPECT_EQ(px.closed_size(), 1u);
  pipex_session_stat_req st{};
  st.psr_protocol = PIPEX_PROTO_L2TP;
  st.psr_session_id = 1;
  run_for(5);
  EXPECT_EQ(px.ioctl(*pppac, PIPEXGSTAT, &st), 0);
  EXPECT_EQ(st.psr_stat.idle_time, 5u) << "counts close-wait's seconds, as OpenBSD";
  pipex_session_list_req l{};
  EXPECT_EQ(px.ioctl(*pppac, PIPEXGCLOSED, &l), 0);
  ASSERT_EQ(l.plr_ppp_id_count, 1);
  EXPECT_EQ(l.plr_ppp_id[0], 501);
  EXPECT_EQ(l.plr_flags, PIPEX_LISTREQ_NONE);
  EXPECT_EQ(px.ioctl(*pppac, PIPEXGCLOSED, &l), 0);
  EXPECT_EQ(l.plr_ppp_id_count, 0) << "each closed session is listed once";
  EXPECT_NE(px.find(PIPEX_PROTO_L2TP, 1), nullptr) << "still there for its statistics";
  run_for(25);
  EXPECT_EQ(px.find(PIPEX_PROTO_L2TP, 1), nullptr) << "freed 30 s after close-wait began";
  EXPECT_NE(px.find(PIPEX_PROTO_L2TP, 2), nullptr);
  EXPECT_EQ(add(l2tp(1)), 0) << "its id and address are free again";
}

TEST_F(PipexTest, TheClosedListComesIn128s) {
  for (int i = 0; i < 300; i++) {
    auto r = l2tp(uint16_t(100 + i),
                  ("10.2." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1)).c_str());
    r.pr_timeout_sec = 5;
    ASSERT_EQ(add(r), 0) << i;
  }
  run_for(5);
  EXPECT_EQ(px.closed_size(), 300u);
  std::set<int> ids;
  pipex_session_list_req l{};
  for (int round = 0; round < 3; round++) {
    EXPECT_EQ(px.ioctl(*pppac, PIPEXGCLOSED, &l), 0);
    EXPECT_EQ(l.plr_ppp_id_count, round < 2 ? 128 : 44);
    EXPECT_EQ(l.plr_flags, round < 2 ? PIPEX_LISTREQ_MORE : PIPEX_LISTREQ_NONE) << round;
    for (int i = 0; i < l.plr_ppp_id_count; i++)
      ids.insert(l.plr_ppp_id[i]);
  }
  EXPECT_EQ(ids.size(), 300u);
  EXPECT_EQ(*ids.begin(), 600);
  // A session deleted while in close-wait leaves the list.
  auto r = l2tp(1);
  r.pr_timeout_sec = 1;
  EXPECT_EQ(add(r), 0);
  run_for(1);
  EXPECT_EQ(px.closed_size(), 1u);
  pipex_session_stat_req d{};
  d.psr_protocol = PIPEX_PROTO_L2TP;
  d.psr_session_id = 1;
  EXPECT_EQ(px.ioctl(*pppac, PIPEXDSESSION, &d), 0);
  EXPECT_EQ(px.closed_size(), 0u);
}

}  // namespace
}  // namespace ninet::pipex

namespace ninet::pipex {
namespace {

TEST_F(PipexTest, AnInterfaceThatGoesTakesItsSessionsAndThoseOverIt) {
  EXPECT_EQ(add(l2tp(1)), 0);
  pipex_session_req r{};
  r.pr_protocol = PIPEX_PROTO_PPPOE;
  r.pr_session_id = 9;
  std::strcpy(r.pr_proto.pppoe.over_ifname, "veth7");
  r.pr_peer_address.ss_family = AF_UNSPEC;
  EXPECT_EQ(add(r), 0);
  px.remove_ifc(ether->index);  // the Ethernet interface under the PPPoE session
  EXPECT_EQ(px.find(PIPEX_PROTO_PPPOE, 9), nullptr);
  EXPECT_NE(px.find(PIPEX_PROTO_L2TP, 1), nullptr);
  EXPECT_TRUE(px.mode(pppac->index));
  px.remove_ifc(pppac->index);
  EXPECT_EQ(px.size(), 0u);
  EXPECT_FALSE(px.mode(pppac->index));
}

}  // namespace
}  // namespace ninet::pipex
