// complete_l4_checksum: a TCP/UDP checksum holding only the pseudo-header sum
// (Linux CHECKSUM_PARTIAL) becomes the full one; anything else is untouched.
#include "media/linux/l4csum.h"

#include <gtest/gtest.h>

#include <vector>

#include "base/checksum.h"
#include "base/endian.h"
#include "base/ipaddr.h"

namespace ninet {
namespace {

using Bytes = std::vector<uint8_t>;

// Ethernet + IPv4 + UDP (8 + n bytes of payload), with a correct checksum.
Bytes udp4_frame(const Bytes& payload, uint16_t frag = 0) {
  Bytes f(14 + 20 + 8 + payload.size());
  store16(&f[12], 0x0800);
  uint8_t* ip = &f[14];
  ip[0] = 0x45;
  store16(ip + 2, uint16_t(20 + 8 + payload.size()));
  store16(ip + 6, frag);
  ip[8] = 64;
  ip[9] = 17;
  store32(ip + 12, 0x0a000001);
  store32(ip + 16, 0x0a000002);
  store16(ip + 10, csum_fold(csum_partial(ip, 20, 0)));
  uint8_t* udp = ip + 20;
  store16(udp, 1234);
  store16(udp + 2, 5678);
  store16(udp + 4, uint16_t(8 + payload.size()));
  std::copy(payload.begin(), payload.end(), udp + 8);
  uint32_t s =
      csum_pseudo(Ipaddr::v4(0x0a000001), Ipaddr::v4(0x0a000002), 17, uint32_t(8 + payload.size()));
  uint16_t c = csum_fold(csum_partial(udp, 8 + payload.size(), s));
  store16(udp + 6, c == 0 ? 0xffff : c);
  return f;
}

// What Linux leaves in the field for offload: the folded, uncomplemented
// pseudo-header sum.
void make_partial(Bytes& f, size_t l4, size_t field, const Ipaddr& src, const Ipaddr& dst,
                  uint8_t proto) {
  uint32_t len = uint32_t(f.size() - l4);
  store16(&f[l4 + field], uint16_t(~csum_fold(csum_pseudo(src, dst, proto, len))));
}

TEST(L4Csum, CompletesUdpOverIpv4) {
  Bytes good = udp4_frame({1, 2, 3, 4, 5});  // odd length too
  Bytes f = good;
  make_partial(f, 34, 6, Ipaddr::v4(0x0a000001), Ipaddr::v4(0x0a000002), 17);
  ASSERT_NE(f, good);
  EXPECT_TRUE(complete_l4_checksum(f));
  EXPECT_EQ(f, good);
}

TEST(L4Csum, UdpZeroIsSentAsAllOnes) {
  // Find a payload word for which the checksum computes to zero (RFC 768
  // says send 0xffff then).
  for (uint32_t w = 0; w < 0x10000; w++) {
    Bytes f = udp4_frame({uint8_t(w >> 8), uint8_t(w)});
    if (load16(&f[34 + 6]) != 0xffff) continue;
    store16(&f[34 + 6], 0);
    EXPECT_TRUE(complete_l4_checksum(f));
    EXPECT_EQ(load16(&f[34 + 6]), 0xffff);
    return;
  }
  FAIL() << "no payload gives a zero checksum";
}

TEST(L4Csum, CompletesTcpOverIpv6AfterHopByHop) {
  auto src = *Ipaddr::parse("2001:db8::1"), dst = *Ipaddr::parse("2001:db8::2");
  const size_t hbh = 8, tcp_len = 20 + 6;
  Bytes f(14 + 40 + hbh + tcp_len);
  store16(&f[12], 0x86dd);
  uint8_t* ip = &f[14];
  ip[0] = 0x60;
  store16(ip + 4, uint16_t(hbh + tcp_len));
  ip[6] = 0;  // Hop-by-Hop
  ip[7] = 64;
  std::copy(src.data(), src.data() + 16, ip + 8);
  std::copy(dst.data(), dst.data() + 16, ip + 24);
  uint8_t* h = ip + 40;
  h[0] = 6;  // next: TCP
  h[1] = 0;  // 8 bytes
  h[2] = 1;  // PadN option filling the rest
  h[3] = 4;
  uint8_t* tcp = h + hbh;
  store16(tcp, 80);
  store16(tcp + 2, 40000);
  store32(tcp + 4, 12345);
  tcp[12] = 5 << 4;
  tcp[13] = 0x18;
  for (size_t i = 20; i < tcp_len; i++)
    tcp[i] = uint8_t('a' + i);
  Bytes want = f;
  store16(&want[14 + 40 + hbh + 16], csum_fold(csum_partial(&want[14 + 40 + hbh], tcp_len,
                                                            csum_pseudo(src, dst, 6, tcp_len))));
  make_partial(f, 14 + 40 + hbh, 16, src, dst, 6);
  ASSERT_NE(f, want);
  EXPECT_TRUE(complete_l4_checksum(f));
  EXPECT_EQ(f, want);
}

TEST(L4Csum, LeavesEverythingElseAlone) {
  Bytes frag = udp4_frame({1, 2, 3}, 0x2000);  // MF: a first fragment
  store16(&frag[34 + 6], 0x1234);
  Bytes before = frag;
  EXPECT_FALSE(complete_l4_checksum(frag));
  EXPECT_EQ(frag, before);

  Bytes arp(60, 0);
  store16(&arp[12], 0x0806);
  EXPECT_FALSE(complete_l4_checksum(arp));

  Bytes icmp = udp4_frame({9});
  icmp[14 + 9] = 1;
  before = icmp;
  EXPECT_FALSE(complete_l4_checksum(icmp));
  EXPECT_EQ(icmp, before);

  Bytes truncated = udp4_frame({1, 2, 3, 4});
  truncated.resize(truncated.size() - 2);  // total length says more than is there
  EXPECT_FALSE(complete_l4_checksum(truncated));
  Bytes tiny(10, 0);
  EXPECT_FALSE(complete_l4_checksum(tiny));
}

TEST(L4Csum, HoldsPartialChecksumSeesOnlyThePseudoHeaderSum) {
  Bytes good = udp4_frame({9, 8, 7, 6, 5, 4});
  EXPECT_FALSE(holds_partial_checksum(good)) << "a whole checksum";
  Bytes f = good;
  make_partial(f, 34, 6, Ipaddr::v4(0x0a000001), Ipaddr::v4(0x0a000002), 17);
  EXPECT_TRUE(holds_partial_checksum(f));
  EXPECT_TRUE(complete_l4_checksum(f));
  EXPECT_EQ(f, good);
  // A wrong checksum that is not the pseudo-header sum is left for the
  // stack to count and drop.
  Bytes bad = good;
  store16(&bad[34 + 6], uint16_t(load16(&good[34 + 6]) ^ 0x0101));
  EXPECT_FALSE(holds_partial_checksum(bad));
  Bytes tiny(10, 0);
  EXPECT_FALSE(holds_partial_checksum(tiny));
}

}  // namespace
}  // namespace ninet
