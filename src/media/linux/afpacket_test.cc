// AF_PACKET medium on one end of a veth pair whose other end the kernel owns,
// inside a namespace the test makes: ARP, UDP (with the kernel's offloaded
// checksum completed) and ICMP echo both ways; a batched send; the V2 ring
// sized from the MTU, drained in order up to the count asked for, wrapped
// round, overflowed (drops counted); frames bigger than a slot whole or
// counted and dropped; our own frames never come back; VLAN tags survive;
// promiscuous and multicast memberships show on the interface.
#include "media/linux/afpacket.h"

#include <linux/if_packet.h>
#include <netinet/udp.h>

#include <set>

#include "media/linux/l4csum.h"
#include "media/linux/netif.h"
#include "media/linux/testnet.h"
#include "media/offload.h"

namespace ninet {
namespace {

using namespace testnet;

// nveth0 (kernel, 10.79.0.1/24) <-> nveth1 (the medium; no kernel addresses).
// Sends a frame out of ifname through a raw socket of the test's own.
bool raw_send(const char* ifname, const Bytes& frame) {
  int raw = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (raw < 0) return false;
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = netif_index(ifname);
  to.sll_halen = 6;
  ssize_t r =
      sendto(raw, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  close(raw);
  return r == ssize_t(frame.size());
}

class AfPacketTest : public NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_EQ(sh("ip link add nveth0 type veth peer name nveth1 && "
                 "sysctl -qw net.ipv6.conf.nveth1.disable_ipv6=1 && "
                 "ip link set nveth0 up && ip link set nveth1 up && "
                 "ip addr add 10.79.0.1/24 dev nveth0"),
              0);
    auto m = AfPacketMedium::open("nveth1");
    ASSERT_TRUE(m.ok()) << m.error().text();
    m_ = std::move(*m);
    kmac_ = netif_hwaddr("nveth0")->mac;
    mine_ = m_->hwaddr();
  }
  void TearDown() override {
    m_.reset();
    NetnsTest::TearDown();
  }
  // Tells the kernel our MAC without an ARP exchange.
  void static_neighbor() {
    ASSERT_EQ(sh("ip neigh replace 10.79.0.2 lladdr " + mac_text(mine_) + " dev nveth0"), 0);
  }
  static std::string mac_text(const Mac& m) {
    char s[18];
    std::snprintf(s, sizeof s, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return s;
  }
  BlockPtr echo_frame(Pool& pool, uint16_t id, uint16_t seq, const Bytes& data) {
    return block(pool, ether(kmac_, mine_, wire::ethertype::kIp4,
                             ip4(us_, kernel_, wire::ipproto::kIcmp, echo_request(id, seq, data))));
  }

  std::unique_ptr<AfPacketMedium> m_;
  Pool pool_;
  Mac kmac_, mine_;
  const Ipaddr kernel_ = ip("10.79.0.1"), us_ = ip("10.79.0.2");
};

TEST_F(AfPacketTest, Describes) {
  EXPECT_EQ(m_->name(), "ether");
  EXPECT_TRUE(m_->link_header());
  EXPECT_EQ(m_->hwaddr(), netif_hwaddr("nveth1")->mac);
  EXPECT_EQ(m_->default_mtu(), 1514);
  EXPECT_EQ(m_->max_mtu(), 1514);
  EXPECT_EQ(m_->ifname(), "nveth1");
  EXPECT_GE(m_->fd(), 0);
}

TEST_F(AfPacketTest, ArpDatagramAndEchoWithKernel) {
  std::vector<BlockPtr> others;
  Bytes msg = {'v', 'e', 't', 'h'};
  ASSERT_TRUE(kernel_udp_send(us_, 5000, msg));
  BlockPtr req = await(
      *m_, pool_,
      [&](const Block& b) {
        auto a = parse_arp(b.span());
        return a && a->op == wire::arp::kRequest && a->tpa == us_;
      },
      &others);
  ASSERT_NE(req, nullptr) << "no ARP request from the kernel";
  EXPECT_EQ(parse_arp(req->span())->sha, kmac_);

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
  EXPECT_EQ(Mac(dgram->data()), mine_);
  auto p = parse_ip4(dgram->span(), true);
  EXPECT_EQ(*udp_payload(*p, us_, 5000), msg);
  // veth offloads the checksum (CHECKSUM_PARTIAL): the medium says so, and
  // the field holds the pseudo-header sum that finishing makes whole.
  EXPECT_TRUE(dgram->flags & Block::kCsumPartial);
  ASSERT_TRUE(complete_l4_checksum(dgram->span()));
  EXPECT_TRUE(udp_checksum_ok(*parse_ip4(dgram->span(), true)));

  Bytes data(40, 0x11);
  out.push_back(echo_frame(pool_, 31, 7, data));
  m_->send(out);
  BlockPtr reply = await(
      *m_, pool_,
      [&](const Block& b) {
        auto q = parse_ip4(b.span(), true);
        return q && echo_reply(*q, us_, 31);
      },
      &others);
  ASSERT_NE(reply, nullptr) << "no echo reply";
  EXPECT_EQ(echo_reply(*parse_ip4(reply->span(), true), us_, 31)->seq(), 7);

  EXPECT_EQ(m_->stats().out_errors, 0u);
}

TEST_F(AfPacketTest, BatchedSendGetsEveryReply) {
  static_neighbor();
  constexpr uint16_t kN = 150;  // more than one sendmmsg batch
  Batch out;
  for (uint16_t seq = 0; seq < kN; seq++)
    out.push_back(echo_frame(pool_, 42, seq, Bytes(64, uint8_t(seq))));
  m_->send(out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(m_->stats().out_packets, kN);
  EXPECT_EQ(m_->stats().out_errors, 0u);
  auto replies = await_n(
      *m_, pool_,
      [&](const Block& b) {
        auto q = parse_ip4(b.span(), true);
        return q && echo_reply(*q, us_, 42);
      },
      kN);
  ASSERT_EQ(replies.size(), kN);
  std::set<uint16_t> seqs;
  for (auto& r : replies) {
    auto e = echo_reply(*parse_ip4(r->span(), true), us_, 42);
    seqs.insert(e->seq());
    EXPECT_EQ(e->data[0], uint8_t(e->seq()));
  }
  EXPECT_EQ(seqs.size(), kN);
}

// The payload of a datagram sent by kernel_udp_send(us_, port, numbered(k)).
Bytes numbered(uint32_t k, size_t size = 64) {
  Bytes b(size, 0x5a);
  store32(b.data(), k);
  return b;
}

// The number in a datagram to port, or -1 for any other frame.
int64_t number_in(const Block& b, const Ipaddr& to, uint16_t port) {
  auto p = parse_ip4(b.span(), true);
  if (!p) return -1;
  auto d = udp_payload(*p, to, port);
  // A checksum the kernel left partial is the medium's to mark, not check.
  bool sum_ok = (b.flags & Block::kCsumPartial) || udp_checksum_ok(*p);
  if (!d || d->size() < 4 || !sum_ok) return -1;
  return load32(d->data());
}

TEST_F(AfPacketTest, RingIsSizedFromTheMtu) {
  // MTU 1500: 80 bytes of slot header (tpacket2_hdr, sockaddr_ll, MAC room),
  // 14 + 4 + 1500 of frame, less than the 2048 minimum.
  EXPECT_EQ(m_->slot_size(), 2048u);
  EXPECT_EQ(m_->ring_slots(), 4096u);
  EXPECT_EQ(AfPacketMedium::slot_size_for(9000), 9104u);        // 80 + 9018, rounded to 16
  EXPECT_EQ(AfPacketMedium::slot_size_for(9000, true), 9120u);  // + a virtio-net header
  m_.reset();
  ASSERT_EQ(sh("ip link set nveth1 mtu 9000"), 0);
  auto jumbo = AfPacketMedium::open("nveth1");
  ASSERT_TRUE(jumbo.ok()) << jumbo.error().text();
  ASSERT_TRUE((*jumbo)->vnet());
  EXPECT_EQ((*jumbo)->slot_size(), 9120u);
  // 8 MiB of 9120-byte slots, rounded up to whole blocks of 14.
  EXPECT_EQ((*jumbo)->ring_slots(), 924u);
}

TEST_F(AfPacketTest, OneCallTakesEveryReadySlotUpToTheCount) {
  static_neighbor();
  constexpr uint32_t kN = 200;
  for (uint32_t k = 0; k < kN; k++)
    ASSERT_TRUE(kernel_udp_send(us_, 7100, numbered(k)));
  std::vector<int64_t> got;
  size_t biggest = 0;
  Batch in;
  for (int idle = 0; got.size() < kN && idle < 100;) {
    in.clear();
    size_t n = m_->recv(in, pool_, 64);
    ASSERT_EQ(n, in.size());
    ASSERT_LE(n, 64u);
    biggest = std::max(biggest, n);
    for (auto& b : in)
      if (int64_t k = number_in(*b, us_, 7100); k >= 0) got.push_back(k);
    if (n == 0) {
      pollfd p{m_->fd(), POLLIN, 0};
      if (poll(&p, 1, 50) == 0) idle++;
    }
  }
  ASSERT_EQ(got.size(), kN);
  for (uint32_t k = 0; k < kN; k++)
    ASSERT_EQ(got[k], k);  // in order
  // The 200 frames were waiting: a call takes as many as it is asked for.
  EXPECT_EQ(biggest, 64u);
}

TEST_F(AfPacketTest, TrafficGoesRoundTheRing) {
  static_neighbor();
  // 500 frames wait in the ring at a time (more than one recv() takes), and
  // 2.5 times the ring's slots go through it in all, so it wraps twice, in
  // the middle of a batch too (500 does not divide the slot count).
  constexpr uint32_t kPerRound = 500;
  const uint32_t rounds = m_->ring_slots() * 5 / 2 / kPerRound + 1;
  ASSERT_GT(rounds * kPerRound, 2 * m_->ring_slots());
  for (uint32_t round = 0; round < rounds; round++) {
    for (uint32_t i = 0; i < kPerRound; i++)
      ASSERT_TRUE(kernel_udp_send(us_, 7000, numbered(round * kPerRound + i, 1200)));
    auto got = await_n(
        *m_, pool_, [&](const Block& b) { return number_in(b, us_, 7000) >= 0; }, kPerRound);
    ASSERT_EQ(got.size(), size_t(kPerRound)) << "round " << round;
    for (uint32_t i = 0; i < kPerRound; i++)  // none lost, none twice, in order
      ASSERT_EQ(number_in(*got[i], us_, 7000), round * kPerRound + i);
  }
  EXPECT_EQ(m_->ring_drops(), 0u);
  EXPECT_EQ(m_->stats().in_errors, 0u);
}

TEST_F(AfPacketTest, FullRingDropsAreCounted) {
  static_neighbor();
  // Nothing reads while more datagrams come than the ring has slots: the
  // first ones wait in the ring, the rest are dropped by the kernel.
  const uint32_t n = m_->ring_slots() + 300;
  for (uint32_t k = 0; k < n; k++)
    ASSERT_TRUE(kernel_udp_send(us_, 7300, numbered(k)));
  std::vector<BlockPtr> others;
  auto got = await_n(
      *m_, pool_, [&](const Block& b) { return number_in(b, us_, 7300) >= 0; }, n, &others, 1000);
  ASSERT_LT(got.size(), n);
  for (size_t i = 0; i < got.size(); i++)
    ASSERT_EQ(number_in(*got[i], us_, 7300), int64_t(i));
  // The ring was full (other frames from nveth0, IPv6 ones, may come later).
  EXPECT_GE(got.size() + others.size(), m_->ring_slots());
  EXPECT_GE(m_->ring_drops(), 300u);
  EXPECT_GE(got.size() + m_->ring_drops(), n);
  EXPECT_EQ(m_->stats().in_errors, m_->ring_drops());
}

TEST_F(AfPacketTest, GsoFrameBiggerThanASlotArrivesWhole) {
  // The kernel hands nveth0 one 4000-byte UDP datagram to segment (UDP GSO;
  // veth does that "in hardware"), so nveth1 gets it as one frame bigger
  // than a slot, as it gets TSO frames from kernel TCP.
  static_neighbor();
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s, 0);
  int seg = 1000;
  ASSERT_EQ(setsockopt(s, SOL_UDP, UDP_SEGMENT, &seg, sizeof seg), 0);
  Bytes data(4000);
  for (size_t i = 0; i < data.size(); i++)
    data[i] = uint8_t(i * 7);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(7200);
  std::memcpy(&to.sin_addr, us_.v4_bytes(), 4);
  ssize_t r = sendto(s, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  close(s);
  ASSERT_EQ(r, ssize_t(data.size()));

  BlockPtr got = await(*m_, pool_, [&](const Block& b) {
    auto p = parse_ip4(b.span(), true);
    return p && udp_payload(*p, us_, 7200);
  });
  ASSERT_NE(got, nullptr) << "no datagram";
  ASSERT_EQ(got->size(), 14u + 20 + 8 + data.size()) << "segmented before it reached the ring?";
  EXPECT_GT(got->size(), m_->slot_size());
  // The virtio-net header said: UDP GSO of 1000-byte datagrams, checksum
  // left partial. Cut as IP would, they are the four datagrams sent.
  EXPECT_EQ(got->gso_size, 1000u);
  EXPECT_TRUE(got->flags & Block::kCsumPartial);
  Bytes eh(got->data(), got->data() + 14);
  got->pull(14);
  Batch segs;
  ASSERT_TRUE(gso_segment(*got, pool_, segs));
  ASSERT_EQ(segs.size(), 4u);
  Bytes joined;
  for (BlockPtr& x : segs) {
    std::memcpy(x->push(14), eh.data(), 14);  // parse_ip4 takes an Ethernet frame
    auto p = parse_ip4(x->span(), true);
    ASSERT_TRUE(p);
    EXPECT_TRUE(udp_checksum_ok(*p));
    Bytes part = *udp_payload(*p, us_, 7200);
    EXPECT_EQ(part.size(), 1000u);
    joined.insert(joined.end(), part.begin(), part.end());
  }
  EXPECT_EQ(joined, data);
  EXPECT_EQ(m_->stats().in_errors, 0u);
}

TEST_F(AfPacketTest, FrameBiggerThanASlotWithoutACopyIsCountedAndDropped) {
  // The slot was sized at open for MTU 1500. Raise the MTU now (on both
  // ends: veth drops a frame bigger than the receiving end's MTU, so raising
  // it on the sending end alone does not get a big frame through).
  ASSERT_EQ(sh("ip link set nveth0 mtu 9000 && ip link set nveth1 mtu 9000"), 0);
  constexpr uint16_t kLocalExperimental = 0x88b5;
  auto frame = [&](char fill, size_t len) {
    return ether(mine_, kmac_, kLocalExperimental, Bytes(len, uint8_t(fill)));
  };
  auto ours = [&](const Block& b) {
    return b.size() > 14 && load16(b.data() + 12) == kLocalExperimental &&
           Mac(b.data() + 6) == kmac_;
  };
  // With room in the socket's receive buffer the kernel queues a whole copy.
  ASSERT_TRUE(raw_send("nveth0", frame('a', 4000)));
  BlockPtr a = await(*m_, pool_, ours);
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->size(), 4014u);
  EXPECT_EQ(a->data()[4013], 'a');
  EXPECT_EQ(m_->stats().in_errors, 0u);

  // Shrink the receive buffer to its least: it takes the copy of 'b' and is
  // then full, so 'c' only has its truncated slot. 'd' fits a slot.
  int least = 1;
  ASSERT_EQ(setsockopt(m_->fd(), SOL_SOCKET, SO_RCVBUF, &least, sizeof least), 0);
  ASSERT_TRUE(raw_send("nveth0", frame('b', 4000)));
  ASSERT_TRUE(raw_send("nveth0", frame('c', 4000)));
  ASSERT_TRUE(raw_send("nveth0", frame('d', 100)));
  auto got = await_n(*m_, pool_, ours, 3, nullptr, 1000);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]->size(), 4014u);
  EXPECT_EQ(got[0]->data()[14], 'b');
  EXPECT_EQ(got[0]->data()[4013], 'b');
  EXPECT_EQ(got[1]->size(), 114u);
  EXPECT_EQ(got[1]->data()[14], 'd');
  EXPECT_EQ(m_->stats().in_errors, 1u);  // 'c'
  EXPECT_EQ(m_->ring_drops(), 0u);
}

TEST_F(AfPacketTest, VlanTagIsPutBack) {
  // A tagged frame sent into nveth0 raw: on nveth1 the kernel moves the tag
  // into metadata before packet sockets see it; the medium must put it back.
  Bytes arp_req = arp(wire::arp::kRequest, kmac_, ip("10.79.5.1"), Mac(), ip("10.79.5.2"));
  Bytes frame = ether(Mac::broadcast(), kmac_, 0x8100, {});
  frame.insert(frame.end(), {0x20, 0x05, 0x08, 0x06});  // priority 1, VLAN 5, then ARP
  frame.insert(frame.end(), arp_req.begin(), arp_req.end());
  ASSERT_TRUE(raw_send("nveth0", frame));

  BlockPtr got = await(*m_, pool_, [&](const Block& b) {
    return b.size() >= 18 && Mac(b.data() + 6) == kmac_ &&
           load16(b.data() + 16) == wire::ethertype::kArp;
  });
  ASSERT_NE(got, nullptr) << "no tagged ARP request";
  ASSERT_EQ(got->size(), frame.size());
  EXPECT_TRUE(std::equal(frame.begin(), frame.end(), got->data()));  // as it was on the wire
}

TEST_F(AfPacketTest, OutgoingFramesAreNotInput) {
  // Something else on the host transmits out of nveth1 (PACKET_IGNORE_OUTGOING
  // keeps it from looking like input), then a marker arrives from nveth0.
  constexpr uint16_t kLocalExperimental = 0x88b5;
  ASSERT_TRUE(raw_send("nveth1", ether(kmac_, mine_, kLocalExperimental, Bytes(46, 'o'))));
  // Our own output never loops back either.
  Batch out;
  out.push_back(block(pool_, ether(kmac_, mine_, kLocalExperimental, Bytes(46, 'm'))));
  m_->send(out);
  ASSERT_TRUE(raw_send("nveth0", ether(mine_, kmac_, kLocalExperimental, Bytes(46, 'i'))));
  std::vector<BlockPtr> others;
  BlockPtr marker = await(
      *m_, pool_,
      [&](const Block& b) {
        return load16(b.data() + 12) == kLocalExperimental && Mac(b.data() + 6) == kmac_;
      },
      &others);
  ASSERT_NE(marker, nullptr) << "the frame from nveth0 did not arrive";
  EXPECT_EQ(marker->data()[14], 'i');
  for (auto& b : others)
    EXPECT_NE(Mac(b->data() + 6), mine_) << "a frame sent out of nveth1 came back as input";
}

TEST_F(AfPacketTest, PromiscuousAndMulticastMemberships) {
  auto promiscuity = [] {
    std::string s = sh_out("ip -d link show nveth1");
    auto at = s.find("promiscuity ");
    return at == std::string::npos ? -1 : std::atoi(s.c_str() + at + 12);
  };
  EXPECT_EQ(promiscuity(), 0);
  ASSERT_TRUE(m_->set_promiscuous(true).ok());
  EXPECT_EQ(promiscuity(), 1);
  ASSERT_TRUE(m_->set_promiscuous(true).ok());  // idempotent
  EXPECT_EQ(promiscuity(), 1);
  ASSERT_TRUE(m_->set_promiscuous(false).ok());
  EXPECT_EQ(promiscuity(), 0);

  const Mac group = *Mac::parse("01005e0a0b0c");
  auto listed = [] { return sh_out("ip maddr show dev nveth1").find("01:00:5e:0a:0b:0c"); };
  EXPECT_EQ(listed(), std::string::npos);
  ASSERT_TRUE(m_->add_multi(group).ok());
  EXPECT_NE(listed(), std::string::npos);
  ASSERT_TRUE(m_->rem_multi(group).ok());
  EXPECT_EQ(listed(), std::string::npos);
  auto st = m_->add_multi(mine_);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Err::BadArg);

  // Closing gives the memberships back.
  ASSERT_TRUE(m_->set_promiscuous(true).ok());
  ASSERT_TRUE(m_->add_multi(group).ok());
  m_->close();
  EXPECT_EQ(promiscuity(), 0);
  EXPECT_EQ(listed(), std::string::npos);
}

TEST_F(AfPacketTest, OversizedFrameIsCountedAndTheRestGoOut) {
  static_neighbor();
  Batch out;
  out.push_back(echo_frame(pool_, 5, 1, Bytes(16)));
  out.push_back(echo_frame(pool_, 5, 2, Bytes(3000)));  // over the 1500 MTU
  out.push_back(echo_frame(pool_, 5, 3, Bytes(16)));
  m_->send(out);
  EXPECT_EQ(m_->stats().out_packets, 2u);
  EXPECT_EQ(m_->stats().out_errors, 1u);
  auto replies = await_n(
      *m_, pool_,
      [&](const Block& b) {
        auto q = parse_ip4(b.span(), true);
        return q && echo_reply(*q, us_, 5);
      },
      2);
  ASSERT_EQ(replies.size(), 2u);
}

TEST_F(AfPacketTest, LinkDownDoesNotLeaveThePollerSpinning) {
  ASSERT_EQ(sh("ip link set nveth1 down"), 0);
  // The socket now holds ENETDOWN and poll() says POLLERR until it is read.
  pollfd p{m_->fd(), POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 1000), 1);
  EXPECT_TRUE(p.revents & POLLERR);
  // Frames already in the ring come first; the recv() that finds the ring
  // empty reads the error and counts it.
  Batch in;
  while (m_->recv(in, pool_, 64) > 0) {
  }
  EXPECT_EQ(m_->stats().in_errors, 1u);
  p.revents = 0;
  (void)poll(&p, 1, 0);
  EXPECT_FALSE(p.revents & POLLERR);
}

TEST(AfPacketOpen, ErrorsNameTheDevice) {
  if (auto why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  Netns ns;
  ASSERT_TRUE(ns.ok()) << ns.error();
  auto missing = AfPacketMedium::open("nosuch0");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), Err::NoDevice);
  EXPECT_EQ(missing.error().detail(), "nosuch0: no such interface");
  auto lo = AfPacketMedium::open("lo");
  ASSERT_FALSE(lo.ok());
  EXPECT_EQ(lo.error().code(), Err::NoDevice);
  EXPECT_EQ(lo.error().detail(), "lo: not an Ethernet interface");
}

}  // namespace
}  // namespace ninet
