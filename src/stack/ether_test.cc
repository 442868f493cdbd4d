// Tests of the ether directory (proto/ether.h): a PPPoE daemon's path
// through the stack. Conversations connected to an interface and a frame
// type read whole frames of that type that reached that interface, and
// write whole frames (the stack sets the source MAC and pads); pipex's
// PPPoE hook takes its sessions' IP first, and what it leaves (LCP) reaches
// the daemon's conversation unchanged. Also the refusals (types the stack
// owns, 802.3 lengths, a second conversation, a non-Ethernet interface,
// frames of another type or size), the counters, an unbind's hangup, and
// that a closed conversation takes no more frames.
#include "proto/ether.h"

#include <gtest/gtest.h>

#include <cstring>

#include "ip/sim_testing.h"
#include "media/testing.h"
#include "pipex/sessions.h"
#include "pipex/testing.h"
#include "proto/udp.h"

namespace ninet {
namespace {

using Bytes = std::vector<uint8_t>;

using pipextest::be16;
using pipextest::cat;
const Bytes kPeerMac(pipextest::kPeerMac, pipextest::kPeerMac + 6);
const Bytes kOurMac(pipextest::kOurMac, pipextest::kOurMac + 6);
const Bytes kBcast(6, 0xff);

// An Ethernet frame from the peer: dst, src, type, payload.
Bytes frame(const Bytes& dst, uint16_t type, const Bytes& payload) {
  return cat({dst, kPeerMac, be16(type), payload});
}
// A PADI (RFC 2516 5.1): code 0x09, session 0, an empty Service-Name tag.
const Bytes kPadi = {0x11, 0x09, 0x00, 0x00, 0x00, 0x04, 0x01, 0x01, 0x00, 0x00};
// An LCP Echo-Request (code 9, id 1, magic 0), as PPPoE carries it.
const Bytes kLcpEcho = {0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00};

struct EtherTest : ::testing::Test {
  ManualClock clock;
  Pool pool;
  std::vector<TestMedium*> media;
  std::unique_ptr<pipex::Pipex> px;
  Ip ip{clock, pool, [this](std::string_view kind, std::string_view path) {
          if (kind == "pipex") return Result<std::unique_ptr<Medium>>(px->make_medium());
          return TestMedium::factory(&media)(kind, path);
        }};
  std::unique_lock<std::mutex> l{ip.mu};
  Proto* ether = nullptr;
  Ifc* eth = nullptr;  // ifc 0, Ethernet
  Ifc* pkt = nullptr;  // ifc 1, bare IP

  void SetUp() override {
    px = std::make_unique<pipex::Pipex>(ip);
    ip.add_proto(make_udp(ip));
    ip.add_proto(make_ether(ip));
    ether = ip.proto("ether");
    ip.on_unbind = [this](Ifc& f) { ether_unbound(*ether, f.index); };
    eth = *ip.ifc_clone();
    ASSERT_TRUE(ip.ifc_ctl(*eth, "bind ether veth7"));
    ASSERT_TRUE(ip.ifc_ctl(*eth, "add 192.0.2.2 255.255.255.0"));
    pkt = *ip.ifc_clone();
    ASSERT_TRUE(ip.ifc_ctl(*pkt, "bind pkt"));
    pump();
    media[0]->sent.clear();
  }
  void TearDown() override { px.reset(); }

  void pump() { simtest::pump(ip); }
  void frame_in(const Bytes& f) { simtest::frame_in(ip, pool, *media[0], f); }
  std::vector<Bytes> sent() { return simtest::take_sent(*media[0]); }
  Conv* open(std::string_view connect) {
    Conv* c = *ether->clone("daemon");
    auto st = ether->ctl_message(*c, connect, l, nullptr);
    EXPECT_TRUE(st.ok()) << connect << ": " << (st ? "" : st.error().text());
    return c;
  }
  Status ctl(Conv& c, std::string_view msg) { return ether->ctl_message(c, msg, l, nullptr); }
  Result<size_t> write(Conv& c, const Bytes& f) {
    auto n = ether->write_data(c, f, l, nullptr);
    ip.flush();
    return n;
  }
  // Every frame queued for readers of c.
  std::vector<Bytes> queued(Conv& c) {
    std::vector<Bytes> v;
    for (auto& b : c.rq)
      v.emplace_back(b->data(), b->data() + b->size());
    return v;
  }
  long count(const std::string& name) {
    std::string s = ether->stats();
    size_t at = s.find(name + ": ");
    return at == std::string::npos ? -1 : std::stol(s.substr(at + name.size() + 2));
  }
};

TEST_F(EtherTest, TheConversationsTexts) {
  Conv* c = open("connect 0!0x8863");
  EXPECT_EQ(c->state, ConvState::kConnected);
  EXPECT_EQ(ether->remote(*c), "0!34915\n");
  EXPECT_EQ(ether->local(*c), "525400000001!34915\n") << "the interface's MAC";
  EXPECT_EQ(ether->status(*c), "Datagram Connected qin 0 qout 0\n");
  EXPECT_EQ(ether->stats(), "InFrames: 0\nInDrops: 0\nOutFrames: 0\n");
  EXPECT_TRUE(ether->link_level());
  EXPECT_NE(ip.proto_for(0), ether) << "IP delivers no protocol-0 packet to ether";
  Conv* d = open("connect 0!34916");  // decimal, as Plan 9's pppoe writes it
  EXPECT_EQ(ether->remote(*d), "0!34916\n");
}

TEST_F(EtherTest, ReadsWholeFramesOfItsTypeOnItsInterface) {
  Conv* disc = open("connect 0!0x8863");
  const Bytes padi = frame(kBcast, 0x8863, kPadi);
  frame_in(padi);
  frame_in(frame(kOurMac, 0x8865, kPadi));  // another type: nobody's
  auto q = queued(*disc);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0], padi) << "the whole frame from its Ethernet header";
  EXPECT_EQ(count("InFrames"), 1);

  // A data read returns one frame per read.
  uint8_t buf[2048];
  auto n = disc->read(l, buf, nullptr);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(Bytes(buf, buf + *n), padi);
  EXPECT_TRUE(disc->rq.empty());
}

TEST_F(EtherTest, FramesForAnotherMacAreNotReadUnlessPromiscuous) {
  Conv* disc = open("connect 0!0x8863");
  const Bytes other = {0x02, 0, 0, 0, 0, 0x99};
  frame_in(frame(other, 0x8863, kPadi));
  EXPECT_TRUE(disc->rq.empty());
  eth->promiscuous = true;  // what `promiscuous` sets (TestMedium has no such mode)
  frame_in(frame(other, 0x8863, kPadi));
  EXPECT_EQ(disc->rq.size(), 1u);
}

TEST_F(EtherTest, WritesAFrameWithOurSourceMacPaddedToTheMinimum) {
  Conv* disc = open("connect 0!0x8863");
  // A PADO-sized frame whose source the daemon left zero.
  Bytes f = kPeerMac;
  f.insert(f.end(), 6, 0);
  f.push_back(0x88);
  f.push_back(0x63);
  f.insert(f.end(), kPadi.begin(), kPadi.end());
  auto n = write(*disc, f);
  ASSERT_TRUE(n.ok()) << n.error().text();
  EXPECT_EQ(*n, f.size()) << "the count written is the daemon's, without the padding";
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].size(), 60u) << "padded to the Ethernet minimum";
  EXPECT_EQ(Bytes(out[0].begin(), out[0].begin() + 6), kPeerMac);
  EXPECT_EQ(Bytes(out[0].begin() + 6, out[0].begin() + 12), kOurMac);
  EXPECT_EQ(Bytes(out[0].begin() + 12, out[0].begin() + 24), Bytes(f.begin() + 12, f.end()));
  EXPECT_EQ(Bytes(out[0].begin() + 24, out[0].end()), Bytes(36, 0)) << "zero padding";
  EXPECT_EQ(count("OutFrames"), 1);

  // A full-size frame goes as it is; one byte more than the mtu does not.
  Bytes big = frame(kPeerMac, 0x8863, Bytes(1500, 0xab));
  ASSERT_TRUE(write(*disc, big).ok());
  EXPECT_EQ(sent()[0].size(), 1514u);
  big.push_back(0);
  auto e = write(*disc, big);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code(), Err::TooBig);
}

TEST_F(EtherTest, WritesOfAnotherTypeOrShorterThanAHeaderAreRefused) {
  Conv* disc = open("connect 0!0x8863");
  auto ip4 = write(*disc, frame(kPeerMac, 0x0800, Bytes(40, 0)));
  ASSERT_FALSE(ip4.ok());
  EXPECT_EQ(ip4.error().code(), Err::BadArg);
  auto shrt = write(*disc, Bytes(13, 0));
  ASSERT_FALSE(shrt.ok());
  EXPECT_EQ(shrt.error().code(), Err::TooShort);
  Conv* idle = *ether->clone("daemon");
  auto unconnected = write(*idle, frame(kPeerMac, 0x8863, kPadi));
  ASSERT_FALSE(unconnected.ok());
  EXPECT_EQ(unconnected.error().code(), Err::NotConnected);
  EXPECT_TRUE(sent().empty());
}

TEST_F(EtherTest, ConnectRefusals) {
  Conv* c = *ether->clone("daemon");
  struct Case {
    const char* msg;
    Err code;
  } cases[] = {
      {"connect 0!0x0800", Err::BadPort},   // IPv4: the stack's
      {"connect 0!2054", Err::BadPort},     // ARP
      {"connect 0!0x86dd", Err::BadPort},   // IPv6
      {"connect 0!1500", Err::BadPort},     // an 802.3 length
      {"connect 1!0x8863", Err::NoDevice},  // ifc 1 is not Ethernet
      {"connect 9!0x8863", Err::NoDevice},  // no ifc 9
      {"connect 0!0x18863", Err::BadArg},
      {"connect 0!0xzz", Err::BadArg},
      {"connect 0", Err::BadArg},
      {"connect", Err::BadArg},
      {"connect 0!34915 x", Err::BadArg},
      {"connect x!34915", Err::BadArg},
      {"announce 0!34915", Err::NotSupported},
      {"bind 0!34915", Err::NotSupported},
      {"promiscuous", Err::BadCtl},
  };
  for (const Case& k : cases) {
    auto st = ctl(*c, k.msg);
    ASSERT_FALSE(st.ok()) << k.msg;
    EXPECT_EQ(st.error().code(), k.code) << k.msg << ": " << st.error().text();
    EXPECT_EQ(c->state, ConvState::kIdle) << k.msg;
    EXPECT_EQ(c->err, st.error().text()) << "the err file says why";
  }
  ASSERT_TRUE(ctl(*c, "connect 0!0x8863").ok());
  auto again = ctl(*c, "connect 0!0x8864");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), Err::InUse);
}

TEST_F(EtherTest, OneConversationPerInterfaceAndType) {
  Conv* a = open("connect 0!0x8863");
  Conv* b = *ether->clone("daemon");
  auto st = ctl(*b, "connect 0!34915");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Err::AddrInUse);
  // Once the first is closed, the type is free, and frames go to the new one.
  ether->last_close(*a);
  frame_in(frame(kBcast, 0x8863, kPadi));
  EXPECT_TRUE(b->rq.empty());
  ASSERT_TRUE(ctl(*b, "connect 0!34915").ok());
  frame_in(frame(kBcast, 0x8863, kPadi));
  EXPECT_EQ(b->rq.size(), 1u);
}

TEST_F(EtherTest, AClosedConversationTakesNoMoreFrames) {
  Conv* disc = open("connect 0!0x8863");
  ether->last_close(*disc);
  EXPECT_FALSE(ip.hooks.has_ether()) << "the last conversation of a type unhooks it";
  frame_in(frame(kBcast, 0x8863, kPadi));
  EXPECT_EQ(count("InFrames"), 0);
}

TEST_F(EtherTest, AFullReadQueueDropsAndCounts) {
  Conv* disc = open("connect 0!0x8863");
  disc->rq_limit = 100;
  for (int i = 0; i < 5; i++)
    frame_in(frame(kBcast, 0x8863, Bytes(60, uint8_t(i))));
  EXPECT_EQ(disc->rq.size(), 1u);
  EXPECT_EQ(count("InFrames"), 1);
  EXPECT_EQ(count("InDrops"), 4);
}

TEST_F(EtherTest, UnbindHangsUp) {
  Conv* disc = open("connect 0!0x8863");
  ASSERT_TRUE(ip.ifc_ctl(*eth, "unbind"));
  EXPECT_TRUE(disc->hungup);
  uint8_t buf[64];
  auto n = disc->read(l, buf, nullptr);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u) << "end of file";
  auto w = write(*disc, frame(kPeerMac, 0x8863, kPadi));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code(), Err::Hangup);
}

// pipex's PPPoE hook runs first on 0x8864: its session's IP goes to the
// stack; LCP, which pipex leaves, reaches the daemon byte for byte; and a
// session nobody registered reaches the daemon too (a daemon answers it
// with PADT).
TEST_F(EtherTest, PipexTakesItsSessionsIpAndTheDaemonGetsTheRest) {
  Conv* ses = open("connect 0!0x8864");
  Ifc* pppac = *ip.ifc_clone();
  ASSERT_TRUE(ip.ifc_ctl(*pppac, "bind pipex"));
  int one = 1;
  ASSERT_EQ(px->ioctl(*pppac, PIPEXSMODE, &one), 0);
  px->enabled = true;
  pipex_session_req r = pipextest::session_req(PIPEX_PROTO_PPPOE, 7);
  ASSERT_EQ(px->ioctl(*pppac, PIPEXASESSION, &r), 0);

  // IPv4 in the session (a UDP datagram to 192.0.2.2): pipex's.
  const Ipaddr client = Ipaddr::v4(10, 0, 0, 7);
  const Bytes ip4 = pipextest::ip4(client, pipextest::kUs, 17,
                                   pipextest::udp(client, pipextest::kUs, 5000, 9, {}));
  frame_in(frame(kOurMac, 0x8864, pipextest::pppoe_session(7, pipextest::ppp_ip(ip4, false))));
  EXPECT_TRUE(ses->rq.empty()) << "the session's IP is the fast path's";
  pipex_session_stat_req st{};
  st.psr_protocol = PIPEX_PROTO_PPPOE;
  st.psr_session_id = 7;
  ASSERT_EQ(px->ioctl(*pppac, PIPEXGSTAT, &st), 0);
  EXPECT_EQ(st.psr_stat.ipackets, 1u);

  const Bytes lcp = frame(kOurMac, 0x8864, pipextest::pppoe_session(7, kLcpEcho));
  frame_in(lcp);
  const Bytes stranger = frame(kOurMac, 0x8864, pipextest::pppoe_session(99, kLcpEcho));
  frame_in(stranger);
  auto q = queued(*ses);
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0], lcp) << "unchanged and in order";
  EXPECT_EQ(q[1], stranger);
}

}  // namespace
}  // namespace ninet
