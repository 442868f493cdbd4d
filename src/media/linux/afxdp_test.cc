// AF_XDP medium on one end of a veth pair whose other end the kernel owns,
// inside a namespace the test makes: native XDP in copy mode on veth; ARP,
// UDP and ICMP echo both ways with the kernel; batches bigger than the
// transmit frames (UMEM frames recycled through the completion ring); more
// frames than the receive ring through it in order; a full receive ring's
// drops counted; memberships. And the choice in open_linux_medium: AF_XDP by
// default, AF_PACKET when asked (afpacket:) or when XDP cannot attach (the
// fallback), xdp: failing with the reason instead of falling back.
#include "media/linux/afxdp.h"

#include <set>

#include "media/linux/afpacket.h"
#include "media/linux/l4csum.h"
#include "media/linux/netif.h"
#include "media/linux/open.h"
#include "media/linux/testnet.h"

namespace ninet {
namespace {

using namespace testnet;

// nveth0 (kernel, 10.79.0.1/24) <-> nveth1 (the medium; no kernel addresses).
class AfXdpTest : public NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // tx off: the kernel fills in its UDP checksums (XDP carries no
    // "checksum left to the hardware" mark, unlike AF_PACKET's ring).
    ASSERT_EQ(sh("ip link add nveth0 type veth peer name nveth1 && "
                 "sysctl -qw net.ipv6.conf.nveth1.disable_ipv6=1 && "
                 "sysctl -qw net.ipv6.conf.nveth0.disable_ipv6=1 && "
                 "ethtool -K nveth0 tx off >/dev/null && "
                 "ip link set nveth0 up && ip link set nveth1 up && "
                 "ip addr add 10.79.0.1/24 dev nveth0"),
              0);
    auto m = AfXdpMedium::open("nveth1");
    if (!m.ok() && m.error().detail().find("built without") != std::string::npos)
      GTEST_SKIP() << m.error().text();
    ASSERT_TRUE(m.ok()) << m.error().text();
    m_ = std::move(*m);
    kmac_ = netif_hwaddr("nveth0")->mac;
    mine_ = m_->hwaddr();
  }
  void TearDown() override {
    m_.reset();
    NetnsTest::TearDown();
  }
  void static_neighbor() {
    char s[18];
    std::snprintf(s, sizeof s, "%02x:%02x:%02x:%02x:%02x:%02x", mine_[0], mine_[1], mine_[2],
                  mine_[3], mine_[4], mine_[5]);
    ASSERT_EQ(sh(std::string("ip neigh replace 10.79.0.2 lladdr ") + s + " dev nveth0"), 0);
  }
  BlockPtr echo_frame(uint16_t id, uint16_t seq, const Bytes& data) {
    return block(pool_,
                 ether(kmac_, mine_, wire::ethertype::kIp4,
                       ip4(us_, kernel_, wire::ipproto::kIcmp, echo_request(id, seq, data))));
  }
  std::vector<BlockPtr> replies(uint16_t id, size_t n) {
    return await_n(
        *m_, pool_,
        [&](const Block& b) {
          auto q = parse_ip4(b.span(), true);
          return q && echo_reply(*q, us_, id);
        },
        n);
  }

  std::unique_ptr<AfXdpMedium> m_;
  Pool pool_;
  Mac kmac_, mine_;
  const Ipaddr kernel_ = ip("10.79.0.1"), us_ = ip("10.79.0.2");
};

Bytes numbered(uint32_t k, size_t size = 64) {
  Bytes b(size, 0x5a);
  store32(b.data(), k);
  return b;
}

int64_t number_in(const Block& b, const Ipaddr& to, uint16_t port) {
  auto p = parse_ip4(b.span(), true);
  if (!p) return -1;
  auto d = udp_payload(*p, to, port);
  if (!d || d->size() < 4 || !udp_checksum_ok(*p)) return -1;
  return load32(d->data());
}

TEST_F(AfXdpTest, DescribesItsMode) {
  EXPECT_EQ(m_->name(), "ether");
  EXPECT_TRUE(m_->link_header());
  EXPECT_EQ(m_->hwaddr(), netif_hwaddr("nveth1")->mac);
  EXPECT_EQ(m_->default_mtu(), 1514);
  EXPECT_GE(m_->fd(), 0);
  // veth has native XDP but no zero copy.
  EXPECT_TRUE(m_->native());
  EXPECT_FALSE(m_->zero_copy());
  EXPECT_EQ(m_->mode_text(), "native copy");
  EXPECT_NE(sh_out("ip link show nveth1").find("xdp"), std::string::npos)
      << "an XDP program is attached";
}

TEST_F(AfXdpTest, ArpDatagramAndEchoWithKernel) {
  std::vector<BlockPtr> others;
  Bytes msg = {'x', 'd', 'p'};
  ASSERT_TRUE(kernel_udp_send(us_, 5000, msg));
  BlockPtr req = await(
      *m_, pool_,
      [&](const Block& b) {
        auto a = parse_arp(b.span());
        return a && a->op == wire::arp::kRequest && a->tpa == us_;
      },
      &others);
  ASSERT_NE(req, nullptr) << "no ARP request from the kernel";
  Batch out;
  out.push_back(block(pool_, ether(kmac_, mine_, wire::ethertype::kArp,
                                   arp(wire::arp::kReply, mine_, us_, kmac_, kernel_))));
  m_->send(out);
  EXPECT_EQ(m_->stats().out_bytes, 60u);  // padded
  BlockPtr dgram = await(
      *m_, pool_,
      [&](const Block& b) {
        auto p = parse_ip4(b.span(), true);
        return p && udp_payload(*p, us_, 5000);
      },
      &others);
  ASSERT_NE(dgram, nullptr) << "the datagram did not follow the ARP reply";
  auto p = parse_ip4(dgram->span(), true);
  EXPECT_EQ(*udp_payload(*p, us_, 5000), msg);
  EXPECT_TRUE(udp_checksum_ok(*p));

  out.push_back(echo_frame(31, 7, Bytes(40, 0x11)));
  m_->send(out);
  auto r = replies(31, 1);
  ASSERT_EQ(r.size(), 1u) << "no echo reply";
  EXPECT_EQ(echo_reply(*parse_ip4(r[0]->span(), true), us_, 31)->seq(), 7);
  EXPECT_EQ(m_->stats().out_errors, 0u);
}

TEST_F(AfXdpTest, ChecksumsTheKernelLeftPartialAreMarkedPartial) {
  // With the peer's checksum offload on (veth's default), the kernel's UDP
  // datagrams carry only the pseudo-header sum; XDP does not say so. The
  // medium marks them (the stack does not check them, and IP finishes them
  // if it forwards them), and finishing gives the right checksum.
  ASSERT_EQ(sh("ethtool -K nveth0 tx on >/dev/null"), 0);
  static_neighbor();
  for (size_t size : {4, 64, 1400}) {
    ASSERT_TRUE(kernel_udp_send(us_, 5100, numbered(uint32_t(size), size)));
    BlockPtr d = await(*m_, pool_, [&](const Block& b) {
      auto p = parse_ip4(b.span(), true);
      return p && udp_payload(*p, us_, 5100);
    });
    ASSERT_NE(d, nullptr) << size;
    EXPECT_TRUE(d->flags & Block::kCsumPartial) << size;
    EXPECT_FALSE(udp_checksum_ok(*parse_ip4(d->span(), true))) << size;
    ASSERT_TRUE(complete_l4_checksum(d->span())) << size;
    EXPECT_TRUE(udp_checksum_ok(*parse_ip4(d->span(), true))) << size;
  }
}

TEST_F(AfXdpTest, BatchesRecycleTheTransmitFrames) {
  static_neighbor();
  // Three rounds of 2000 echo requests: 6000 frames through 4096 transmit
  // frames, so frames must come back through the completion ring.
  std::set<uint16_t> seqs;
  for (int round = 0; round < 3; round++) {
    Batch out;
    for (uint16_t i = 0; i < 2000; i++)
      out.push_back(echo_frame(42, uint16_t(round * 2000 + i), Bytes(32, uint8_t(i))));
    m_->send(out);
    EXPECT_TRUE(out.empty());
    auto got = replies(42, 2000);
    ASSERT_EQ(got.size(), 2000u) << "round " << round;
    for (auto& b : got)
      seqs.insert(echo_reply(*parse_ip4(b->span(), true), us_, 42)->seq());
  }
  EXPECT_EQ(seqs.size(), 6000u);
  EXPECT_EQ(m_->stats().out_packets, 6000u);
  EXPECT_EQ(m_->stats().out_errors, 0u);
}

TEST_F(AfXdpTest, TrafficGoesRoundTheRingInOrder) {
  static_neighbor();
  constexpr uint32_t kPerRound = 500;
  const uint32_t rounds = AfXdpMedium::kRxFrames * 5 / 2 / kPerRound + 1;
  for (uint32_t round = 0; round < rounds; round++) {
    for (uint32_t i = 0; i < kPerRound; i++)
      ASSERT_TRUE(kernel_udp_send(us_, 7000, numbered(round * kPerRound + i, 1200)));
    auto got = await_n(
        *m_, pool_, [&](const Block& b) { return number_in(b, us_, 7000) >= 0; }, kPerRound);
    ASSERT_EQ(got.size(), size_t(kPerRound)) << "round " << round;
    for (uint32_t i = 0; i < kPerRound; i++)
      ASSERT_EQ(number_in(*got[i], us_, 7000), round * kPerRound + i);
  }
  EXPECT_EQ(m_->stats().in_ring_drops, 0u);
  EXPECT_EQ(m_->stats().in_errors, 0u);
}

TEST_F(AfXdpTest, FullRingDropsAreCounted) {
  static_neighbor();
  const uint32_t n = AfXdpMedium::kRxFrames + 300;
  for (uint32_t k = 0; k < n; k++)
    ASSERT_TRUE(kernel_udp_send(us_, 7300, numbered(k)));
  std::vector<BlockPtr> others;
  auto got = await_n(
      *m_, pool_, [&](const Block& b) { return number_in(b, us_, 7300) >= 0; }, n, &others, 1000);
  ASSERT_LT(got.size(), n);
  for (size_t i = 0; i < got.size(); i++)
    ASSERT_EQ(number_in(*got[i], us_, 7300), int64_t(i));
  m_->close();  // reads the kernel's counters
  EXPECT_GE(m_->stats().in_ring_drops, 300u);
  EXPECT_EQ(m_->stats().in_errors, m_->stats().in_ring_drops);
}

TEST_F(AfXdpTest, PromiscuousAndMulticastMemberships) {
  auto promiscuity = [] {
    std::string s = sh_out("ip -d link show nveth1");
    auto at = s.find("promiscuity ");
    return at == std::string::npos ? -1 : std::atoi(s.c_str() + at + 12);
  };
  ASSERT_TRUE(m_->set_promiscuous(true).ok());
  EXPECT_EQ(promiscuity(), 1);
  const Mac group = *Mac::parse("01005e0a0b0c");
  ASSERT_TRUE(m_->add_multi(group).ok());
  EXPECT_NE(sh_out("ip maddr show dev nveth1").find("01:00:5e:0a:0b:0c"), std::string::npos);
  m_->close();
  EXPECT_EQ(promiscuity(), 0);
  EXPECT_EQ(sh_out("ip link show nveth1").find("xdp"), std::string::npos)
      << "closing detaches the XDP program";
}

class XdpOpenTest : public NetnsTest {};

TEST_F(XdpOpenTest, DefaultIsXdpAndAfPacketOnRequest) {
  ASSERT_EQ(sh("ip link add nveth0 type veth peer name nveth1 && ip link set nveth1 up"), 0);
  {
    auto m = open_linux_medium("ether", "nveth1");
    ASSERT_TRUE(m.ok()) << m.error().text();
    if (!dynamic_cast<AfXdpMedium*>(m->get())) GTEST_SKIP() << "built without libxdp";
  }
  auto x = open_linux_medium("ether", "xdp:nveth1");
  ASSERT_TRUE(x.ok()) << x.error().text();
  EXPECT_NE(dynamic_cast<AfXdpMedium*>(x->get()), nullptr);
  x->reset();
  auto p = open_linux_medium("ether", "afpacket:nveth1");
  ASSERT_TRUE(p.ok()) << p.error().text();
  EXPECT_NE(dynamic_cast<AfPacketMedium*>(p->get()), nullptr);
  EXPECT_EQ(sh_out("ip link show nveth1").find("xdp"), std::string::npos);
}

TEST_F(XdpOpenTest, FallsBackToAfPacketWhereXdpCannotAttach) {
  // A jumbo MTU does not fit an AF_XDP frame; a bridge has no native XDP.
  ASSERT_EQ(sh("ip link add nveth0 type veth peer name nveth1 && ip link set nveth1 mtu 9000 && "
               "ip link set nveth1 up && ip link add nbr0 type bridge && ip link set nbr0 up"),
            0);
  for (const char* dev : {"nveth1", "nbr0"}) {
    auto m = open_linux_medium("ether", dev);
    ASSERT_TRUE(m.ok()) << dev << ": " << m.error().text();
    EXPECT_NE(dynamic_cast<AfPacketMedium*>(m->get()), nullptr) << dev;
  }
  auto x = open_linux_medium("ether", "xdp:nveth1");
  ASSERT_FALSE(x.ok()) << "xdp: does not fall back";
  EXPECT_EQ(x.error().code(), Err::NoDevice);
  EXPECT_NE(x.error().detail().find("nveth1: MTU 9000"), std::string::npos) << x.error().text();
  // Generic (skb) XDP attaches to a bridge when asked with xdp:.
  auto g = open_linux_medium("ether", "xdp:nbr0");
  ASSERT_TRUE(g.ok()) << g.error().text();
  auto* gx = dynamic_cast<AfXdpMedium*>(g->get());
  ASSERT_NE(gx, nullptr);
  EXPECT_EQ(gx->mode_text(), "generic copy");
}

}  // namespace
}  // namespace ninet
