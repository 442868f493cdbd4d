// Tests for ARP over Ethernet/IPv4 (RFC 826): literal requests and replies,
// emit/parse round trips, and rejection of every other hardware/protocol pair.
#include "wire/arp.h"

#include <gtest/gtest.h>

#include <vector>

namespace ninet::wire {
namespace {

using Bytes = std::vector<uint8_t>;

// who-has 10.0.0.2 tell 10.0.0.1 (52:54:00:12:34:56).
const Bytes kRequest = {
    0x00, 0x01,                          // htype Ethernet
    0x08, 0x00,                          // ptype IPv4
    0x06, 0x04,                          // hlen, plen
    0x00, 0x01,                          // op request
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56,  // sha
    0x0a, 0x00, 0x00, 0x01,              // spa
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // tha (unknown)
    0x0a, 0x00, 0x00, 0x02,              // tpa
};
// 10.0.0.2 is-at 02:00:00:00:00:02, to the requester.
const Bytes kReply = {
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,  // Ethernet/IPv4, op reply
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02,              // sha
    0x0a, 0x00, 0x00, 0x02,                          // spa
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56,              // tha
    0x0a, 0x00, 0x00, 0x01,                          // tpa
};

TEST(ArpTest, ParsesRequest) {
  auto a = ArpRepr::parse(kRequest);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->op, arp::kRequest);
  EXPECT_EQ(a->sha.str(), "525400123456");
  EXPECT_EQ(a->spa, Ipaddr::v4(10, 0, 0, 1));
  EXPECT_TRUE(a->spa.is_v4());
  EXPECT_TRUE(a->tha.is_zero());
  EXPECT_EQ(a->tpa, Ipaddr::v4(10, 0, 0, 2));
}

TEST(ArpTest, ParsesReplyWithEthernetPadding) {
  Bytes p = kReply;
  p.resize(46, 0);  // a minimum-size frame's payload
  auto a = ArpRepr::parse(p);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->op, arp::kReply);
  EXPECT_EQ(a->sha.str(), "020000000002");
  EXPECT_EQ(a->spa.str(), "10.0.0.2");
  EXPECT_EQ(a->tha.str(), "525400123456");
  EXPECT_EQ(a->tpa.str(), "10.0.0.1");
}

TEST(ArpTest, EmitWritesTheLiteralBytes) {
  ArpRepr req{arp::kRequest, *Mac::parse("525400123456"), Ipaddr::v4(10, 0, 0, 1), Mac(),
              Ipaddr::v4(10, 0, 0, 2)};
  Bytes out(ArpRepr::kLen, 0xee);
  req.emit(out.data());
  EXPECT_EQ(out, kRequest);

  ArpRepr rep{arp::kReply, *Mac::parse("020000000002"), Ipaddr::v4(10, 0, 0, 2),
              *Mac::parse("525400123456"), Ipaddr::v4(10, 0, 0, 1)};
  rep.emit(out.data());
  EXPECT_EQ(out, kReply);
}

TEST(ArpTest, RoundTrip) {
  ArpRepr r{arp::kReply, *Mac::parse("0a0b0c0d0e0f"), Ipaddr::v4(192, 168, 255, 254),
            *Mac::parse("ffffffffffff"), Ipaddr::v4(0, 0, 0, 0)};
  Bytes out(ArpRepr::kLen);
  r.emit(out.data());
  auto a = ArpRepr::parse(out);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->op, r.op);
  EXPECT_EQ(a->sha, r.sha);
  EXPECT_EQ(a->spa, r.spa);
  EXPECT_EQ(a->tha, r.tha);
  EXPECT_EQ(a->tpa, r.tpa);
}

TEST(ArpTest, RejectsTruncated) {
  for (size_t n = 0; n < ArpRepr::kLen; n++) {
    auto a = ArpRepr::parse(std::span(kRequest).first(n));
    ASSERT_FALSE(a.ok()) << n;
    EXPECT_EQ(a.error().code(), Err::TooShort);
  }
}

TEST(ArpTest, RejectsOtherHardwareOrProtocol) {
  struct Case {
    size_t at;
    uint8_t value;
  };
  const Case cases[] = {
      {1, 6},     // htype 6 (IEEE 802)
      {0, 1},     // htype 0x0101
      {2, 0x86},  // ptype 0x86dd
      {3, 0x06},  // ptype 0x0806
      {4, 8},     // hlen 8
      {5, 16},    // plen 16
  };
  for (const Case& c : cases) {
    Bytes p = kRequest;
    p[c.at] = c.value;
    auto a = ArpRepr::parse(p);
    ASSERT_FALSE(a.ok()) << c.at;
    EXPECT_EQ(a.error().code(), Err::BadArg);
  }
}

TEST(ArpTest, RejectsOpsOtherThanRequestAndReply) {
  for (uint16_t op : {0, 3, 4, 8, 0x0101, 0xffff}) {  // 3/4: RARP (RFC 903), 8: InARP
    Bytes p = kRequest;
    p[6] = uint8_t(op >> 8);
    p[7] = uint8_t(op);
    EXPECT_FALSE(ArpRepr::parse(p).ok()) << op;
  }
}

}  // namespace
}  // namespace ninet::wire
