// Tests for ICMPv4 (RFC 792): literal messages with hand-computed checksums,
// emit/parse round trips (in place and copied bodies), and rejection of short
// messages and bad checksums.
#include "wire/icmp.h"

#include <gtest/gtest.h>

#include <vector>

#include "base/endian.h"

namespace ninet::wire {
namespace {

using Bytes = std::vector<uint8_t>;

// Echo request id 0x1234 seq 1, data "abcdefgh"; checksum 0x5435.
const Bytes kEchoRequest = {0x08, 0x00, 0x54, 0x35, 0x12, 0x34, 0x00, 0x01,
                            'a',  'b',  'c',  'd',  'e',  'f',  'g',  'h'};
// Echo reply with an odd-length body "abc" (padded with a zero byte for the
// sum, RFC 1071); checksum 0x2968.
const Bytes kOddEchoReply = {0x00, 0x00, 0x29, 0x68, 0x12, 0x34, 0x00, 0x01, 'a', 'b', 'c'};
// Fragmentation needed (type 3 code 4), next-hop MTU 1400 (RFC 1191), quoting
// a 20-byte IPv4 header. The quoted header carries a valid checksum, so it adds
// nothing to the sum: the message checksum 0xf783 is that of the first 8 bytes.
const Bytes kFragNeeded = {0x03, 0x04, 0xf7, 0x83, 0x00, 0x00, 0x05, 0x78, 0x45, 0x00,
                           0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61,
                           0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};

TEST(IcmpTest, ParsesEchoRequest) {
  auto m = IcmpRepr::parse(kEchoRequest);
  ASSERT_TRUE(m.ok()) << m.error().text();
  EXPECT_EQ(m->type, icmp::kEchoRequest);
  EXPECT_EQ(m->code, 0);
  EXPECT_EQ(m->id(), 0x1234);
  EXPECT_EQ(m->seq(), 1);
  EXPECT_EQ(Bytes(m->data.begin(), m->data.end()), Bytes({'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'}));
  EXPECT_EQ(m->data.data(), kEchoRequest.data() + 8);  // a view, not a copy
}

TEST(IcmpTest, ParsesOddLengthAndErrorMessages) {
  auto m = IcmpRepr::parse(kOddEchoReply);
  ASSERT_TRUE(m.ok()) << m.error().text();
  EXPECT_EQ(m->type, icmp::kEchoReply);
  EXPECT_EQ(m->data.size(), 3u);

  m = IcmpRepr::parse(kFragNeeded);
  ASSERT_TRUE(m.ok()) << m.error().text();
  EXPECT_EQ(m->type, icmp::kUnreach);
  EXPECT_EQ(m->code, icmp::kFragNeeded);
  EXPECT_EQ(uint16_t(m->rest), 1400);
  EXPECT_EQ(m->data.size(), 20u);
  EXPECT_EQ(m->data[0], 0x45);
}

TEST(IcmpTest, HeaderOnlyMessage) {
  // Timestamp-less minimum: 8 bytes, checksum over them alone.
  IcmpRepr r{icmp::kEchoRequest, 0, 0x00010002, {}};
  Bytes out(8, 0xee);
  r.emit(out, {});
  EXPECT_EQ(out, (Bytes{0x08, 0, 0xf7, 0xfc, 0, 1, 0, 2}));  // ~(0x0800 + 1 + 2)
  auto m = IcmpRepr::parse(out);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->data.empty());
}

TEST(IcmpTest, EmitWritesTheLiteralBytes) {
  Bytes body = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'};
  IcmpRepr r{icmp::kEchoRequest, 0, 0x12340001, {}};
  Bytes out(16, 0xee);
  r.emit(out, body);
  EXPECT_EQ(out, kEchoRequest);

  Bytes odd(11, 0xee);
  IcmpRepr{icmp::kEchoReply, 0, 0x12340001, {}}.emit(odd, Bytes{'a', 'b', 'c'});
  EXPECT_EQ(odd, kOddEchoReply);
}

TEST(IcmpTest, EmitInPlaceReusesTheBody) {
  // An echo reply built in the request's buffer: the body is already at +8.
  Bytes buf = kEchoRequest;
  auto req = IcmpRepr::parse(buf);
  ASSERT_TRUE(req.ok());
  IcmpRepr reply{icmp::kEchoReply, 0, req->rest, {}};
  reply.emit(buf, std::span(buf).subspan(8));
  auto m = IcmpRepr::parse(buf);
  ASSERT_TRUE(m.ok()) << m.error().text();
  EXPECT_EQ(m->type, icmp::kEchoReply);
  EXPECT_EQ(m->rest, 0x12340001u);
  EXPECT_TRUE(std::equal(kEchoRequest.begin() + 8, kEchoRequest.end(), buf.begin() + 8));
  // RFC 1624: only the type changed, by 0x0800, so the checksum grew by 0x0800.
  EXPECT_EQ(load16(buf.data() + icmp::kCksum), 0x5435 + 0x0800);
}

TEST(IcmpTest, RoundTrip) {
  Bytes body(37);
  for (size_t i = 0; i < body.size(); i++)
    body[i] = uint8_t(i * 7 + 3);
  IcmpRepr r{icmp::kTimeExceeded, icmp::kReasmExceeded, 0, {}};
  Bytes out(8 + body.size());
  r.emit(out, body);
  auto m = IcmpRepr::parse(out);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, r.type);
  EXPECT_EQ(m->code, r.code);
  EXPECT_EQ(m->rest, r.rest);
  EXPECT_EQ(Bytes(m->data.begin(), m->data.end()), body);
}

TEST(IcmpTest, RejectsShortMessages) {
  for (size_t n = 0; n < 8; n++) {
    auto m = IcmpRepr::parse(std::span(kEchoRequest).first(n));
    ASSERT_FALSE(m.ok()) << n;
    EXPECT_EQ(m.error().code(), Err::TooShort);
  }
}

TEST(IcmpTest, RejectsBadChecksum) {
  for (size_t bit = 0; bit < kEchoRequest.size() * 8; bit++) {
    Bytes p = kEchoRequest;
    p[bit / 8] ^= uint8_t(0x80 >> (bit % 8));
    auto m = IcmpRepr::parse(p);
    ASSERT_FALSE(m.ok()) << bit;
    EXPECT_EQ(m.error().code(), Err::BadArg);
  }
  // A truncated body no longer sums right either.
  EXPECT_FALSE(IcmpRepr::parse(std::span(kEchoRequest).first(15)).ok());
}

}  // namespace
}  // namespace ninet::wire
