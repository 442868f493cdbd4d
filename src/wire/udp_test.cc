// Tests for UDP (RFC 768): literal datagrams over IPv4 and IPv6 with the
// pseudo-header checksums worked out by hand, the zero-checksum rules of
// each family, and every malformed length.
#include "wire/udp.h"

#include <gtest/gtest.h>

#include <vector>

#include "base/endian.h"

namespace ninet::wire {
namespace {

using Bytes = std::vector<uint8_t>;

const Ipaddr kA4 = Ipaddr::v4(10, 0, 0, 1), kB4 = Ipaddr::v4(10, 0, 0, 2);
const Ipaddr kA6 = *Ipaddr::parse("2001:db8::1"), kB6 = *Ipaddr::parse("2001:db8::2");

// 10.0.0.1:5000 -> 10.0.0.2:53, "hi". The sum of the pseudo header
// 0a00+0001+0a00+0002+0011+000a, the header 1388+0035+000a+0000 and the
// data 6869 is 0x904e; the checksum is its complement 0x6fb1.
const Bytes kV4 = {0x13, 0x88, 0x00, 0x35, 0x00, 0x0a, 0x6f, 0xb1, 'h', 'i'};
// The same over IPv6 from 2001:db8::1 to 2001:db8::2: the pseudo header
// (RFC 8200 8.1) adds 2001+0db8+0001 twice but 0002 for the destination,
// the 32-bit length 0000+000a and the next header 0000+0011; the sum is
// 0xd7c0, the checksum 0x283f.
const Bytes kV6 = {0x13, 0x88, 0x00, 0x35, 0x00, 0x0a, 0x28, 0x3f, 'h', 'i'};

TEST(UdpTest, ParsesV4) {
  auto u = UdpRepr::parse(kA4, kB4, kV4);
  ASSERT_TRUE(u.ok()) << u.error().text();
  EXPECT_EQ(u->src_port, 5000);
  EXPECT_EQ(u->dst_port, 53);
  EXPECT_TRUE(u->checksummed);
  EXPECT_EQ(Bytes(u->data.begin(), u->data.end()), Bytes({'h', 'i'}));
}

TEST(UdpTest, ParsesV6) {
  auto u = UdpRepr::parse(kA6, kB6, kV6);
  ASSERT_TRUE(u.ok()) << u.error().text();
  EXPECT_EQ(u->src_port, 5000);
  EXPECT_EQ(u->data.size(), 2u);
}

TEST(UdpTest, EmitsTheLiteralBytes) {
  Bytes out(10);
  Bytes body = {'h', 'i'};
  UdpRepr{5000, 53, {}, true}.emit(kA4, kB4, out, body);
  EXPECT_EQ(out, kV4);
  UdpRepr{5000, 53, {}, true}.emit(kA6, kB6, out, body);
  EXPECT_EQ(out, kV6);
}

TEST(UdpTest, EmitsInPlace) {
  Bytes out = {0, 0, 0, 0, 0, 0, 0, 0, 'h', 'i'};
  UdpRepr{5000, 53, {}, true}.emit(kA4, kB4, out, std::span(out).subspan(8));
  EXPECT_EQ(out, kV4);
}

TEST(UdpTest, AComputedZeroIsSentAsAllOnes) {
  // Without data the sum is 0x904e - 0x6869 = 0x27e5; data 0xd81a makes it
  // 0xffff, whose complement 0 would mean "no checksum" (RFC 768).
  Bytes out(10);
  UdpRepr{5000, 53, {}, true}.emit(kA4, kB4, out, Bytes{0xd8, 0x1a});
  EXPECT_EQ(load16(out.data() + 6), 0xffff);
  auto u = UdpRepr::parse(kA4, kB4, out);
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->checksummed);
}

TEST(UdpTest, ZeroChecksumIsNoneOverV4AndAnErrorOverV6) {
  Bytes b = kV4;
  b[6] = b[7] = 0;
  b[8] = 'x';  // not checked
  auto u = UdpRepr::parse(kA4, kB4, b);
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->checksummed);
  EXPECT_EQ(u->data[0], 'x');
  Bytes c = kV6;
  c[6] = c[7] = 0;
  auto v = UdpRepr::parse(kA6, kB6, c);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().text(), "bad arg in system call: udp zero checksum over ipv6");
}

TEST(UdpTest, BadChecksumsAreRefused) {
  Bytes b = kV4;
  b[9] ^= 1;
  EXPECT_FALSE(UdpRepr::parse(kA4, kB4, b).ok());
  EXPECT_FALSE(UdpRepr::parse(kA4, Ipaddr::v4(10, 0, 0, 3), kV4).ok()) << "pseudo header";
  EXPECT_FALSE(UdpRepr::parse(kA6, kB6, kV4).ok()) << "the v4 sum over v6";
}

TEST(UdpTest, LengthField) {
  EXPECT_FALSE(UdpRepr::parse(kA4, kB4, Bytes(kV4.begin(), kV4.begin() + 7)).ok());
  Bytes short_len = kV4;
  short_len[5] = 7;
  EXPECT_FALSE(UdpRepr::parse(kA4, kB4, short_len).ok()) << "below the header";
  Bytes long_len = kV4;
  long_len[5] = 11;
  EXPECT_FALSE(UdpRepr::parse(kA4, kB4, long_len).ok()) << "past the data";
  // Trailing bytes after the length (link padding) are not part of it.
  Bytes padded = kV4;
  padded.insert(padded.end(), {0, 0, 0, 0});
  auto u = UdpRepr::parse(kA4, kB4, padded);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->data.size(), 2u);
}

TEST(UdpTest, EmptyPayload) {
  Bytes out(8);
  UdpRepr{1, 2, {}, true}.emit(kA6, kB6, out, {});
  EXPECT_EQ(load16(out.data() + 4), 8);
  auto u = UdpRepr::parse(kA6, kB6, out);
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->data.empty());
}

}  // namespace
}  // namespace ninet::wire
