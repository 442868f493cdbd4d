// TUN medium against the Linux kernel, inside a namespace the test makes:
// kernel traffic to an address only the test handles arrives through recv();
// echo requests built by hand and sent with send() come back as the kernel's
// echo replies. Also: attaching to an existing device, removal on close, and
// the errors for wrong names.
#include "media/linux/tun.h"

#include "media/linux/netif.h"
#include "media/linux/testnet.h"

namespace ninet {
namespace {

using namespace testnet;

class TunTest : public NetnsTest {};

TEST_F(TunTest, CreatesAndDescribes) {
  auto m = TunMedium::open("ntun0");
  ASSERT_TRUE(m.ok()) << m.error().text();
  TunMedium& t = **m;
  EXPECT_EQ(t.name(), "netdev");
  EXPECT_FALSE(t.link_header());
  EXPECT_TRUE(t.hwaddr().is_zero());
  EXPECT_EQ(t.ifname(), "ntun0");
  EXPECT_TRUE(t.created());
  EXPECT_EQ(t.default_mtu(), 1500);  // a new TUN device's MTU
  EXPECT_GE(t.fd(), 0);
  EXPECT_NE(netif_index("ntun0"), 0);
  // Brought up by the medium: the kernel shows it UP.
  EXPECT_NE(sh_out("ip link show ntun0").find(",UP"), std::string::npos);
}

TEST_F(TunTest, KernelNamesDeviceWhenNameIsEmpty) {
  auto m = TunMedium::open("");
  ASSERT_TRUE(m.ok()) << m.error().text();
  EXPECT_EQ((*m)->ifname().rfind("tun", 0), 0u);
  EXPECT_NE(netif_index((*m)->ifname()), 0);
}

TEST_F(TunTest, ExchangesPacketsWithKernel) {
  auto m = TunMedium::open("ntun0");
  ASSERT_TRUE(m.ok()) << m.error().text();
  TunMedium& t = **m;
  ASSERT_EQ(sh("ip addr add 10.77.0.1/24 dev ntun0"), 0);
  Pool pool;
  const Ipaddr kernel = ip("10.77.0.1"), us = ip("10.77.0.2");

  // Kernel -> stack: a datagram to an address only the test answers for.
  Bytes hello = {'h', 'e', 'l', 'l', 'o', ' ', 't', 'u', 'n'};
  ASSERT_TRUE(kernel_udp_send(us, 5000, hello));
  BlockPtr got = await(t, pool, [&](const Block& b) {
    auto p = parse_ip4(b.span(), false);
    return p && udp_payload(*p, us, 5000);
  });
  ASSERT_NE(got, nullptr) << "the kernel's UDP datagram did not arrive";
  auto p = parse_ip4(got->span(), false);
  EXPECT_EQ(p->h.src, kernel);
  EXPECT_EQ(*udp_payload(*p, us, 5000), hello);
  EXPECT_EQ(got->size(), 20u + 8 + hello.size());

  // Stack -> kernel: a batch of three echo requests; three replies come back.
  Batch out;
  Bytes data(56, 0xab);
  for (uint16_t seq = 1; seq <= 3; seq++)
    out.push_back(block(pool, ip4(us, kernel, wire::ipproto::kIcmp, echo_request(77, seq, data))));
  t.send(out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(t.stats().out_packets, 3u);
  EXPECT_EQ(t.stats().out_errors, 0u);
  auto replies = await_n(
      t, pool,
      [&](const Block& b) {
        auto q = parse_ip4(b.span(), false);
        return q && echo_reply(*q, us, 77);
      },
      3);
  ASSERT_EQ(replies.size(), 3u);
  std::vector<uint16_t> seqs;
  for (auto& r : replies) {
    auto q = parse_ip4(r->span(), false);
    auto e = echo_reply(*q, us, 77);
    EXPECT_EQ(q->h.src, kernel);
    EXPECT_TRUE(std::equal(data.begin(), data.end(), e->data.begin(), e->data.end()));
    seqs.push_back(e->seq());
  }
  std::sort(seqs.begin(), seqs.end());
  EXPECT_EQ(seqs, (std::vector<uint16_t>{1, 2, 3}));
  EXPECT_GE(t.stats().in_packets, 4u);
}

TEST_F(TunTest, BigPacketsAreNotTruncated) {
  // Bigger than a pooled block holds (~4 KiB): the kernel side's MTU allows it.
  auto m = TunMedium::open("ntun0");
  ASSERT_TRUE(m.ok()) << m.error().text();
  ASSERT_EQ(sh("ip link set ntun0 mtu 9000 && ip addr add 10.77.0.1/24 dev ntun0"), 0);
  Pool pool;
  const Ipaddr us = ip("10.77.0.2");
  Bytes big(8000);
  for (size_t i = 0; i < big.size(); i++)
    big[i] = uint8_t(i * 7);
  ASSERT_TRUE(kernel_udp_send(us, 5001, big));
  BlockPtr got = await(**m, pool, [&](const Block& b) {
    auto p = parse_ip4(b.span(), false);
    return p && udp_payload(*p, us, 5001);
  });
  ASSERT_NE(got, nullptr);
  auto p = parse_ip4(got->span(), false);
  EXPECT_EQ(*udp_payload(*p, us, 5001), big);
}

TEST_F(TunTest, AttachesToExistingDevice) {
  ASSERT_EQ(sh("ip tuntap add dev ntunp mode tun && ip link set ntunp up"), 0);
  const int index = netif_index("ntunp");
  ASSERT_NE(index, 0);
  {
    auto m = TunMedium::open("ntunp");
    ASSERT_TRUE(m.ok()) << m.error().text();
    EXPECT_FALSE((*m)->created());
    EXPECT_EQ(netif_index("ntunp"), index);  // the same device, not a new one
    ASSERT_EQ(sh("ip addr add 10.77.1.1/24 dev ntunp"), 0);
    Pool pool;
    ASSERT_TRUE(kernel_udp_send(ip("10.77.1.2"), 6000, {1, 2, 3}));
    BlockPtr got = await(**m, pool, [&](const Block& b) {
      auto p = parse_ip4(b.span(), false);
      return p && udp_payload(*p, ip("10.77.1.2"), 6000);
    });
    EXPECT_NE(got, nullptr);
  }
  // A persistent device outlives the medium.
  EXPECT_EQ(netif_index("ntunp"), index);
}

TEST_F(TunTest, CreatedDeviceGoesAwayOnClose) {
  auto m = TunMedium::open("ntunc");
  ASSERT_TRUE(m.ok()) << m.error().text();
  EXPECT_NE(netif_index("ntunc"), 0);
  (*m)->close();
  EXPECT_EQ((*m)->fd(), -1);
  EXPECT_EQ(netif_index("ntunc"), 0);
  // Closed: sends are counted as errors, receives find nothing.
  Pool pool;
  Batch out;
  out.push_back(block(pool, ip4(ip("10.0.0.1"), ip("10.0.0.2"), 17, Bytes(8))));
  (*m)->send(out);
  EXPECT_EQ((*m)->stats().out_errors, 1u);
  Batch in;
  EXPECT_EQ((*m)->recv(in, pool, 8), 0u);
}

TEST_F(TunTest, DeviceDeletedUnderTheMedium) {
  ASSERT_EQ(sh("ip tuntap add dev ntunp mode tun && ip link set ntunp up"), 0);
  auto m = TunMedium::open("ntunp");
  ASSERT_TRUE(m.ok()) << m.error().text();
  ASSERT_EQ(sh("ip link del ntunp"), 0);
  // The descriptor now polls POLLERR for ever; recv() notices and lets go of
  // it, so an engine polling fd() does not spin.
  pollfd p{(*m)->fd(), POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 1000), 1);
  EXPECT_TRUE(p.revents & POLLERR);
  Pool pool;
  Batch in;
  EXPECT_EQ((*m)->recv(in, pool, 8), 0u);
  EXPECT_EQ((*m)->fd(), -1);
  EXPECT_EQ((*m)->stats().in_errors, 1u);
}

TEST_F(TunTest, WrongNamesFailWithNoDevice) {
  auto lo = TunMedium::open("lo");  // exists, not a TUN device
  ASSERT_FALSE(lo.ok());
  EXPECT_EQ(lo.error().code(), Err::NoDevice);
  EXPECT_EQ(lo.error().detail().rfind("lo: ", 0), 0u) << lo.error().detail();
  EXPECT_NE(lo.error().detail().find("not a TUN"), std::string::npos) << lo.error().detail();

  auto bad = TunMedium::open("no/slash");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), Err::NoDevice);

  auto first = TunMedium::open("ntunb");
  ASSERT_TRUE(first.ok());
  auto second = TunMedium::open("ntunb");  // single-queue device already attached
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), Err::NoDevice);
  EXPECT_NE(second.error().detail().find("busy"), std::string::npos) << second.error().detail();
}

}  // namespace
}  // namespace ninet
