// Tests for RUDP's header (wire/rudp.h): a literal packet with its
// pseudo-header checksum worked out by hand, the four sequence fields at
// their offsets, the zero-checksum rules and every malformed length.
#include "wire/rudp.h"

#include <gtest/gtest.h>

#include <vector>

#include "base/endian.h"

namespace ninet::wire {
namespace {

using Bytes = std::vector<uint8_t>;

const Ipaddr kA4 = Ipaddr::v4(10, 0, 0, 1), kB4 = Ipaddr::v4(10, 0, 0, 2);
const Ipaddr kA6 = *Ipaddr::parse("2001:db8::1"), kB6 = *Ipaddr::parse("2001:db8::2");

// 10.0.0.1!5000 -> 10.0.0.2!7, seq 1 of generation 0x01020304, no ack,
// "hi". The pseudo header 0a00+0001+0a00+0002+00fe+001a (protocol 254,
// length 26), the header 1388+0007+001a+0000 + 0000+0001 + 0102+0304 and
// the data 6869 sum to 0x9534; the checksum is its complement 0x6acb.
const Bytes kV4 = {0x13, 0x88, 0x00, 0x07, 0x00, 0x1a, 0x6a, 0xcb, 0, 0, 0, 1,   1,
                   2,    3,    4,    0,    0,    0,    0,    0,    0, 0, 0, 'h', 'i'};

TEST(RudpTest, ParsesV4) {
  auto r = RudpRepr::parse(kA4, kB4, kV4);
  ASSERT_TRUE(r.ok()) << r.error().text();
  EXPECT_EQ(r->src_port, 5000);
  EXPECT_EQ(r->dst_port, 7);
  EXPECT_EQ(r->seq, 1u);
  EXPECT_EQ(r->sgen, 0x01020304u);
  EXPECT_EQ(r->ack, 0u);
  EXPECT_EQ(r->agen, 0u);
  EXPECT_TRUE(r->checksummed);
  EXPECT_EQ(Bytes(r->data.begin(), r->data.end()), Bytes({'h', 'i'}));
}

TEST(RudpTest, EmitsTheLiteralBytes) {
  Bytes out(26);
  RudpRepr{5000, 7, 1, 0x01020304, 0, 0, {}, true}.emit(kA4, kB4, out, Bytes{'h', 'i'});
  EXPECT_EQ(out, kV4);
  Bytes in_place = out;
  RudpRepr{5000, 7, 1, 0x01020304, 0, 0, {}, true}.emit(kA4, kB4, in_place,
                                                        std::span(in_place).subspan(24));
  EXPECT_EQ(in_place, kV4);
}

TEST(RudpTest, FieldsAtTheirOffsets) {
  Bytes out(24);
  RudpRepr{1, 2, 0x11121314, 0x21222324, 0x31323334, 0x41424344, {}, true}.emit(kA6, kB6, out, {});
  EXPECT_EQ(load32(out.data() + rudp::kSeq), 0x11121314u);
  EXPECT_EQ(load32(out.data() + rudp::kSgen), 0x21222324u);
  EXPECT_EQ(load32(out.data() + rudp::kAck), 0x31323334u);
  EXPECT_EQ(load32(out.data() + rudp::kAgen), 0x41424344u);
  EXPECT_EQ(load16(out.data() + rudp::kLength), 24);
  auto r = RudpRepr::parse(kA6, kB6, out);
  ASSERT_TRUE(r.ok()) << r.error().text();
  EXPECT_EQ(r->ack, 0x31323334u);
  EXPECT_TRUE(r->data.empty());
  EXPECT_FALSE(RudpRepr::parse(kA4, kB4, out).ok()) << "the v6 sum over v4";
}

TEST(RudpTest, TheChecksumIsNotUdps) {
  // The same bytes with UDP's protocol number in the pseudo header would
  // sum 0x00fe - 0x0011 less: the protocol is part of the sum.
  Bytes b = kV4;
  store16(b.data() + rudp::kCksum, uint16_t(0x6acb + 0xed));
  EXPECT_FALSE(RudpRepr::parse(kA4, kB4, b).ok());
}

TEST(RudpTest, ZeroChecksumIsNoneOverV4AndAnErrorOverV6) {
  Bytes b = kV4;
  b[6] = b[7] = 0;
  b[24] = 'x';  // not checked
  auto r = RudpRepr::parse(kA4, kB4, b);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->checksummed);
  auto v = RudpRepr::parse(kA6, kB6, b);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().text(), "bad arg in system call: rudp zero checksum over ipv6");
}

TEST(RudpTest, BadChecksumsAreRefused) {
  Bytes b = kV4;
  b[13] ^= 1;  // sgen
  EXPECT_FALSE(RudpRepr::parse(kA4, kB4, b).ok());
  EXPECT_FALSE(RudpRepr::parse(kA4, Ipaddr::v4(10, 0, 0, 3), kV4).ok()) << "pseudo header";
  EXPECT_TRUE(RudpRepr::parse(kA4, Ipaddr::v4(10, 0, 0, 3), kV4, false).ok()) << "unverified";
}

TEST(RudpTest, LengthField) {
  EXPECT_FALSE(RudpRepr::parse(kA4, kB4, Bytes(kV4.begin(), kV4.begin() + 23)).ok());
  Bytes short_len = kV4;
  short_len[5] = 23;
  EXPECT_FALSE(RudpRepr::parse(kA4, kB4, short_len).ok()) << "below the header";
  Bytes long_len = kV4;
  long_len[5] = 27;
  EXPECT_FALSE(RudpRepr::parse(kA4, kB4, long_len).ok()) << "past the data";
  Bytes padded = kV4;
  padded.insert(padded.end(), {0, 0, 0, 0});
  auto r = RudpRepr::parse(kA4, kB4, padded);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->data.size(), 2u);
}

}  // namespace
}  // namespace ninet::wire
