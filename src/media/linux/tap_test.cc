// TAP medium against the Linux kernel, inside a namespace the test makes: the
// kernel ARPs for an address only the test handles, the test answers with a
// hand-built ARP reply through send(), the kernel's datagram then arrives for
// the medium's MAC; an echo request frame gets the kernel's echo reply.
#include "media/linux/tap.h"

#include "media/linux/l4csum.h"
#include "media/linux/netif.h"
#include "media/linux/testnet.h"

namespace ninet {
namespace {

using namespace testnet;

class TapTest : public NetnsTest {};

TEST_F(TapTest, OwnMacIsLocalUnicastAndNotTheKernels) {
  auto m = TapMedium::open("ntap0");
  ASSERT_TRUE(m.ok()) << m.error().text();
  TapMedium& t = **m;
  EXPECT_EQ(t.name(), "ether");
  EXPECT_TRUE(t.link_header());
  EXPECT_EQ(t.default_mtu(), 1514);
  EXPECT_TRUE(t.created());
  auto kernel = netif_hwaddr("ntap0");
  ASSERT_TRUE(kernel.ok());
  EXPECT_EQ(t.kernel_hwaddr(), kernel->mac);
  Mac mine = t.hwaddr();
  EXPECT_NE(mine, kernel->mac);
  EXPECT_FALSE(mine.is_zero());
  EXPECT_EQ(mine[0] & 0x01, 0);  // unicast
  EXPECT_EQ(mine[0] & 0x02, 2);  // locally administered
  // Promiscuous and multicast need nothing on a TAP, but arguments are checked.
  EXPECT_TRUE(t.set_promiscuous(true).ok());
  EXPECT_TRUE(t.add_multi(*Mac::parse("01005e010203")).ok());
  EXPECT_FALSE(t.add_multi(mine).ok());
}

TEST_F(TapTest, ArpThenDatagramThenEcho) {
  auto m = TapMedium::open("ntap0");
  ASSERT_TRUE(m.ok()) << m.error().text();
  TapMedium& t = **m;
  ASSERT_EQ(sh("ip addr add 10.78.0.1/24 dev ntap0"), 0);
  Pool pool;
  const Ipaddr kernel = ip("10.78.0.1"), us = ip("10.78.0.2");
  const Mac kmac = t.kernel_hwaddr(), mine = t.hwaddr();

  // The kernel wants to send to 10.78.0.2 and asks who has it.
  Bytes msg = {'v', 'i', 'a', ' ', 't', 'a', 'p'};
  ASSERT_TRUE(kernel_udp_send(us, 5000, msg));
  BlockPtr req = await(t, pool, [&](const Block& b) {
    auto a = parse_arp(b.span());
    return a && a->op == wire::arp::kRequest && a->tpa == us;
  });
  ASSERT_NE(req, nullptr) << "no ARP request from the kernel";
  auto a = parse_arp(req->span());
  EXPECT_EQ(a->sha, kmac);
  EXPECT_EQ(a->spa, kernel);
  EXPECT_TRUE(Mac(req->data()).is_broadcast());

  // Our reply: 42 bytes, padded to 60 on the way out.
  Batch out;
  out.push_back(block(pool, ether(kmac, mine, wire::ethertype::kArp,
                                  arp(wire::arp::kReply, mine, us, kmac, kernel))));
  t.send(out);
  EXPECT_EQ(t.stats().out_packets, 1u);
  EXPECT_EQ(t.stats().out_bytes, 60u);

  // Now the datagram comes, to our MAC.
  BlockPtr dgram = await(t, pool, [&](const Block& b) {
    auto p = parse_ip4(b.span(), true);
    return p && udp_payload(*p, us, 5000);
  });
  ASSERT_NE(dgram, nullptr) << "the datagram did not follow the ARP reply";
  EXPECT_EQ(Mac(dgram->data()), mine);
  EXPECT_EQ(Mac(dgram->data() + 6), kmac);
  auto p = parse_ip4(dgram->span(), true);
  EXPECT_EQ(*udp_payload(*p, us, 5000), msg);
  // With TUNSETOFFLOAD the kernel leaves the checksum to us, and says so.
  EXPECT_TRUE(dgram->flags & Block::kCsumPartial);
  ASSERT_TRUE(complete_l4_checksum(dgram->span()));
  EXPECT_TRUE(udp_checksum_ok(*parse_ip4(dgram->span(), true)));

  // Echo request frame -> the kernel's echo reply frame.
  Bytes data(32, 0x5a);
  out.push_back(
      block(pool, ether(kmac, mine, wire::ethertype::kIp4,
                        ip4(us, kernel, wire::ipproto::kIcmp, echo_request(9, 1, data)))));
  t.send(out);
  BlockPtr reply = await(t, pool, [&](const Block& b) {
    auto q = parse_ip4(b.span(), true);
    return q && echo_reply(*q, us, 9);
  });
  ASSERT_NE(reply, nullptr) << "no echo reply";
  EXPECT_EQ(Mac(reply->data()), mine);
  auto q = parse_ip4(reply->span(), true);
  EXPECT_EQ(q->h.src, kernel);
  EXPECT_EQ(echo_reply(*q, us, 9)->seq(), 1);
  EXPECT_EQ(t.stats().out_errors, 0u);
}

TEST_F(TapTest, TunAndTapNamesDoNotMix) {
  ASSERT_EQ(sh("ip tuntap add dev ntunx mode tun"), 0);
  auto m = TapMedium::open("ntunx");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code(), Err::NoDevice);
  EXPECT_NE(m.error().detail().find("not a TAP"), std::string::npos) << m.error().detail();
}

}  // namespace
}  // namespace ninet
