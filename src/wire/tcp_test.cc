// TcpRepr: header, options and checksum against segments built by an
// implementation that is not ninet's (scapy 2.5, python3-scapy), and the
// parser's rules for malformed options.
#include "wire/tcp.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/checksum.h"
#include "base/endian.h"

namespace ninet::wire {
namespace {

std::vector<uint8_t> hex(const std::string& s) {
  std::vector<uint8_t> v;
  for (size_t i = 0; i + 1 < s.size(); i += 2)
    v.push_back(uint8_t(std::stoi(s.substr(i, 2), nullptr, 16)));
  return v;
}

const Ipaddr kSrc4 = *Ipaddr::parse("10.0.0.1"), kDst4 = *Ipaddr::parse("10.0.0.2");
const Ipaddr kSrc6 = *Ipaddr::parse("2001:db8::1"), kDst6 = *Ipaddr::parse("2001:db8::2");

// IP(src="10.0.0.1", dst="10.0.0.2")/TCP(sport=40000, dport=80, seq=1000,
// flags="S", window=64240, options=[('MSS',1460), ('SAckOK',b''),
// ('Timestamp',(123456,0)), ('NOP',None), ('WScale',7)]): Linux's SYN layout.
const std::vector<uint8_t> kSyn4 =
    hex("9c400050000003e800000000a002faf0b6520000020405b40402080a0001e2400000000001030307");
// IPv6(src="2001:db8::1", dst="2001:db8::2")/TCP(sport=80, dport=40000,
// seq=5000, ack=1001, flags="PA", window=501, options=[NOP, NOP,
// ('Timestamp',(777,123456)), NOP, NOP, ('SAck',(2000,3000,4000,5000))])/"hello"
const std::vector<uint8_t> kData6 = hex(
    "00509c4000001388000003e9d01801f5af5000000101080a000003090001e24001010512000007d000000bb800000f"
    "a00000138868656c6c6f");

TEST(Tcp, ParsesASynWithLinuxsOptions) {
  auto s = TcpRepr::parse(kSrc4, kDst4, kSyn4);
  ASSERT_TRUE(s) << s.error().text();
  EXPECT_EQ(s->src_port, 40000);
  EXPECT_EQ(s->dst_port, 80);
  EXPECT_EQ(s->seq, 1000u);
  EXPECT_EQ(s->flags, tcp::kSyn);
  EXPECT_TRUE(s->syn());
  EXPECT_FALSE(s->ack_set());
  EXPECT_EQ(s->window, 64240);
  EXPECT_EQ(s->header_bytes, 40);
  EXPECT_EQ(s->mss, 1460);
  EXPECT_TRUE(s->sack_permitted);
  ASSERT_TRUE(s->ts);
  EXPECT_EQ(s->ts->val, 123456u);
  EXPECT_EQ(s->ts->ecr, 0u);
  EXPECT_EQ(s->wscale, 7);
  EXPECT_EQ(s->nsack, 0);
  EXPECT_TRUE(s->payload.empty());
  EXPECT_EQ(s->seg_len(), 1u);  // the SYN takes one sequence number
}

TEST(Tcp, EmitsTheSameBytesAsAnotherImplementation) {
  TcpRepr h;
  h.src_port = 40000;
  h.dst_port = 80;
  h.seq = 1000;
  h.flags = tcp::kSyn;
  h.window = 64240;
  h.mss = 1460;
  h.sack_permitted = true;
  h.ts = TcpRepr::Timestamps{123456, 0};
  h.wscale = 7;
  ASSERT_EQ(h.header_len(), 40u);
  std::vector<uint8_t> seg(h.header_len());
  h.emit(kSrc4, kDst4, seg);
  EXPECT_EQ(seg, kSyn4);

  TcpRepr d;
  d.src_port = 80;
  d.dst_port = 40000;
  d.seq = 5000;
  d.ack = 1001;
  d.flags = tcp::kPsh | tcp::kAck;
  d.window = 501;
  d.ts = TcpRepr::Timestamps{777, 123456};
  d.nsack = 2;
  d.sack[0] = {2000, 3000};
  d.sack[1] = {4000, 5000};
  ASSERT_EQ(d.header_len(), 52u);
  std::vector<uint8_t> seg6(d.header_len());
  seg6.insert(seg6.end(), {'h', 'e', 'l', 'l', 'o'});
  d.emit(kSrc6, kDst6, seg6);
  EXPECT_EQ(seg6, kData6);
}

TEST(Tcp, ParsesSackBlocksAndPayloadOverIpv6) {
  auto s = TcpRepr::parse(kSrc6, kDst6, kData6);
  ASSERT_TRUE(s) << s.error().text();
  EXPECT_EQ(s->ack, 1001u);
  EXPECT_EQ(s->flags, tcp::kPsh | tcp::kAck);
  ASSERT_EQ(s->nsack, 2);
  EXPECT_EQ(s->sack[0].left, 2000u);
  EXPECT_EQ(s->sack[0].right, 3000u);
  EXPECT_EQ(s->sack[1].left, 4000u);
  EXPECT_EQ(s->sack[1].right, 5000u);
  EXPECT_FALSE(s->mss);
  EXPECT_FALSE(s->wscale);
  EXPECT_EQ(std::string(s->payload.begin(), s->payload.end()), "hello");
  EXPECT_EQ(s->seg_len(), 5u);
  // The same bytes with the other family's pseudo header do not verify.
  EXPECT_FALSE(TcpRepr::parse(kSrc4, kDst4, kData6));
}

TEST(Tcp, BadChecksumIsAnErrorUnlessUnchecked) {
  auto seg = kSyn4;
  seg[tcp::kWindow] ^= 1;
  EXPECT_FALSE(TcpRepr::parse(kSrc4, kDst4, seg));
  EXPECT_TRUE(TcpRepr::parse_unchecked(seg));
}

// Recomputes the checksum of an edited segment.
void fix_checksum(std::vector<uint8_t>& seg, const Ipaddr& s, const Ipaddr& d) {
  store16(seg.data() + tcp::kCksum, 0);
  uint32_t sum = csum_pseudo(s, d, 6, uint32_t(seg.size()));
  store16(seg.data() + tcp::kCksum, csum_fold(csum_partial(seg.data(), seg.size(), sum)));
}

TEST(Tcp, MalformedHeadersAndOptions) {
  EXPECT_FALSE(TcpRepr::parse_unchecked(std::vector<uint8_t>(19)));  // shorter than a header
  auto seg = kSyn4;
  seg[tcp::kDataOff] = 4 << 4;  // data offset below 5
  EXPECT_FALSE(TcpRepr::parse_unchecked(seg));
  seg[tcp::kDataOff] = 11 << 4;  // 44 bytes: past the 40-byte segment
  EXPECT_FALSE(TcpRepr::parse_unchecked(seg));

  // RFC 9293 MUST-7: an illegal option length (0, 1, or past the header).
  for (uint8_t bad : {0, 1, 30}) {
    seg = kSyn4;
    seg[21] = bad;  // the MSS option's length
    fix_checksum(seg, kSrc4, kDst4);
    EXPECT_FALSE(TcpRepr::parse(kSrc4, kDst4, seg)) << int(bad);
  }
  // A kind in the last byte, with no room for its length.
  seg = kSyn4;
  seg[36] = seg[37] = seg[38] = tcp::kOptNop;
  seg[39] = 99;
  fix_checksum(seg, kSrc4, kDst4);
  EXPECT_FALSE(TcpRepr::parse(kSrc4, kDst4, seg));
  // After End of Option List nothing is read: the same bytes are no error.
  seg[36] = tcp::kOptEnd;
  fix_checksum(seg, kSrc4, kDst4);
  auto s = TcpRepr::parse(kSrc4, kDst4, seg);
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->wscale);
  EXPECT_EQ(s->mss, 1460);
}

TEST(Tcp, UnknownOptionsAreSkippedAndKnownOnesOfWrongLengthIgnored) {
  // MSS, an unknown kind 99 of length 4 and a window scale of length 4
  // (wrong: ignored), then 4 bytes of payload.
  std::vector<uint8_t> seg = {0x9c, 0x40,      0,    80,   0, 0, 0, 1, 0, 0, 0,    0,
                              0x80, tcp::kSyn, 0xff, 0xff, 0, 0, 0, 0, 2, 4, 0x05, 0xb4,
                              99,   4,         0xaa, 0xbb, 3, 4, 9, 0, 0, 0, 2,    4};
  ASSERT_EQ(seg.size(), 36u);  // data offset 8 = 32 bytes, then 4 bytes of payload
  auto s = TcpRepr::parse_unchecked(seg);
  ASSERT_TRUE(s) << s.error().text();
  EXPECT_EQ(s->mss, 1460);
  EXPECT_EQ(s->unknown_options, 1);
  EXPECT_FALSE(s->wscale);
  EXPECT_EQ(s->payload.size(), 4u);
}

TEST(Tcp, ReservedBitsAreReadAndNotSent) {
  auto seg = kSyn4;
  seg[tcp::kDataOff] |= 0x0e;
  fix_checksum(seg, kSrc4, kDst4);
  auto s = TcpRepr::parse(kSrc4, kDst4, seg);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->reserved, 0x0e);
  std::vector<uint8_t> out(s->header_len());
  s->emit(kSrc4, kDst4, out);
  EXPECT_EQ(out, kSyn4);
}

TEST(Tcp, SackBlocksAreCutToWhatFitsBesideTheOtherOptions) {
  TcpRepr h;
  h.flags = tcp::kAck;
  h.nsack = 4;
  for (uint32_t i = 0; i < 4; i++)
    h.sack[i] = {i * 100, i * 100 + 50};
  EXPECT_EQ(h.sack_blocks_written(), 4u);  // 4 + 32 = 36 bytes
  EXPECT_EQ(h.header_len(), 56u);
  h.ts = TcpRepr::Timestamps{1, 2};
  EXPECT_EQ(h.sack_blocks_written(), 3u);  // 12 + 28 = 40 bytes
  EXPECT_EQ(h.header_len(), 60u);
  std::vector<uint8_t> seg(h.header_len());
  h.emit(kSrc4, kDst4, seg);
  auto s = TcpRepr::parse(kSrc4, kDst4, seg);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->nsack, 3);
  EXPECT_EQ(s->sack[2].left, 200u);
  EXPECT_EQ(s->sack[2].right, 250u);
  ASSERT_TRUE(s->ts);
  EXPECT_EQ(s->ts->ecr, 2u);
}

TEST(Tcp, SequenceComparisonsWrap) {
  EXPECT_TRUE(seq_lt(0xfffffff0u, 0x10u));
  EXPECT_TRUE(seq_gt(0x10u, 0xfffffff0u));
  EXPECT_TRUE(seq_le(5, 5));
  EXPECT_TRUE(seq_ge(5, 5));
  EXPECT_FALSE(seq_lt(5, 5));
}

}  // namespace
}  // namespace ninet::wire
