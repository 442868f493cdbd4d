// Tests for the IPv4 header (RFC 791): literal headers with and without
// options, the header checksum against hand-computed values, emit/parse round
// trips, in-place edits (Ip4View, RFC 1624) and every malformed header.
#include "wire/ip4.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "base/checksum.h"
#include "base/endian.h"

namespace ninet::wire {
namespace {

using Bytes = std::vector<uint8_t>;

// UDP 192.168.0.1 -> 192.168.0.199, DF, TTL 64, total length 115; checksum
// 0xb861 (the ones' complement sum of the other nine words is 0x479e).
const Bytes kUdpHeader = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                          0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};

// IGMPv3 report 192.168.1.10 -> 224.0.0.22 with the Router Alert option
// (RFC 2113: 94 04 00 00): IHL 6, TOS 0xc0, TTL 1, checksum 0x4247.
const Bytes kRouterAlertHeader = {0x46, 0xc0, 0x00, 0x28, 0x00, 0x00, 0x40, 0x00,
                                  0x01, 0x02, 0x42, 0x47, 0xc0, 0xa8, 0x01, 0x0a,
                                  0xe0, 0x00, 0x00, 0x16, 0x94, 0x04, 0x00, 0x00};

// RFC 791 options: NOP, then Record Route (type 7, length 11, pointer 4, room
// for two addresses); IHL 8, id 0xabcd, TTL 32, proto TCP, checksum 0xcbed.
const Bytes kRecordRouteHeader = {0x48, 0x00, 0x00, 0x30, 0xab, 0xcd, 0x00, 0x00, 0x20, 0x06, 0xcb,
                                  0xed, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x01, 0x07,
                                  0x0b, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

// header + payload bytes up to the header's total length.
Bytes packet(const Bytes& header) {
  Bytes p = header;
  p.resize(load16(header.data() + 2), 0x5a);
  return p;
}

bool checksum_ok(const uint8_t* h) {
  return csum_fold(csum_partial(h, size_t(h[0] & 0x0f) * 4, 0)) == 0;
}

TEST(Ip4Test, ParsesHeaderWithoutOptions) {
  Bytes p = packet(kUdpHeader);
  auto h = Ip4Repr::parse(p);
  ASSERT_TRUE(h.ok()) << h.error().text();
  EXPECT_EQ(h->src, Ipaddr::v4(192, 168, 0, 1));
  EXPECT_EQ(h->dst, Ipaddr::v4(192, 168, 0, 199));
  EXPECT_EQ(h->proto, ipproto::kUdp);
  EXPECT_EQ(h->ttl, 64);
  EXPECT_EQ(h->tos, 0);
  EXPECT_EQ(h->id, 0);
  EXPECT_TRUE(h->df);
  EXPECT_FALSE(h->mf);
  EXPECT_EQ(h->frag_offset, 0);
  EXPECT_FALSE(h->is_fragment());
  EXPECT_EQ(h->total_len, 115);
  EXPECT_EQ(h->header_len, 20);
  EXPECT_EQ(h->payload_len(), 95);
}

TEST(Ip4Test, ParsesRouterAlertOption) {
  Bytes p = packet(kRouterAlertHeader);
  auto h = Ip4Repr::parse(p);
  ASSERT_TRUE(h.ok()) << h.error().text();
  EXPECT_EQ(h->header_len, 24);  // options are skipped, header_len covers them
  EXPECT_EQ(h->total_len, 40);
  EXPECT_EQ(h->payload_len(), 16);
  EXPECT_EQ(h->tos, 0xc0);
  EXPECT_EQ(h->ttl, 1);
  EXPECT_EQ(h->proto, ipproto::kIgmp);
  EXPECT_TRUE(h->dst.is_multicast());
}

TEST(Ip4Test, ParsesRecordRouteOption) {
  Bytes p = packet(kRecordRouteHeader);
  auto h = Ip4Repr::parse(p);
  ASSERT_TRUE(h.ok()) << h.error().text();
  EXPECT_EQ(h->header_len, 32);
  EXPECT_EQ(h->payload_len(), 16);
  EXPECT_EQ(h->id, 0xabcd);
  EXPECT_FALSE(h->df);
  EXPECT_EQ(h->proto, ipproto::kTcp);
}

TEST(Ip4Test, ChecksumsMatchHandComputedValues) {
  for (const Bytes* h : {&kUdpHeader, &kRouterAlertHeader, &kRecordRouteHeader}) {
    EXPECT_TRUE(checksum_ok(h->data()));
    Bytes c = *h;
    uint16_t want = load16(c.data() + ip4::kCksum);
    Ip4View(c.data()).update_checksum();
    EXPECT_EQ(load16(c.data() + ip4::kCksum), want);
  }
}

TEST(Ip4Test, LinkPaddingAfterTotalLengthIsAccepted) {
  Bytes p = packet(kRouterAlertHeader);
  p.resize(46, 0);  // padded to the Ethernet minimum
  auto h = Ip4Repr::parse(p);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->total_len, 40);  // the caller trims to this
}

TEST(Ip4Test, EmitWritesTheLiteralBytes) {
  Ip4Repr r;
  r.src = Ipaddr::v4(192, 168, 0, 1);
  r.dst = Ipaddr::v4(192, 168, 0, 199);
  r.proto = ipproto::kUdp;
  r.ttl = 64;
  r.df = true;
  r.total_len = 115;
  Bytes out(20, 0xee);
  r.emit(out.data());
  EXPECT_EQ(out, kUdpHeader);
}

TEST(Ip4Test, RoundTripOfAFragment) {
  Ip4Repr r;
  r.src = Ipaddr::v4(10, 1, 2, 3);
  r.dst = Ipaddr::v4(255, 255, 255, 255);
  r.proto = ipproto::kIcmp;
  r.ttl = 255;
  r.tos = 0xb8;
  r.id = 0xfedc;
  r.mf = true;
  r.frag_offset = 8191 * 8;  // the largest offset
  r.total_len = 28;
  Bytes out(28, 0);
  r.emit(out.data());
  auto h = Ip4Repr::parse(out);
  ASSERT_TRUE(h.ok()) << h.error().text();
  EXPECT_EQ(h->src, r.src);
  EXPECT_EQ(h->dst, r.dst);
  EXPECT_EQ(h->proto, r.proto);
  EXPECT_EQ(h->ttl, r.ttl);
  EXPECT_EQ(h->tos, r.tos);
  EXPECT_EQ(h->id, r.id);
  EXPECT_EQ(h->df, r.df);
  EXPECT_EQ(h->mf, r.mf);
  EXPECT_EQ(h->frag_offset, r.frag_offset);
  EXPECT_EQ(h->total_len, r.total_len);
  EXPECT_EQ(h->header_len, 20);
  EXPECT_TRUE(h->is_fragment());
  EXPECT_EQ(load16(out.data() + ip4::kFrag), 0x3fff);  // MF + offset 8191
}

TEST(Ip4Test, RejectsTruncatedHeader) {
  Bytes p = packet(kUdpHeader);
  for (size_t n = 0; n < 20; n++) {
    auto h = Ip4Repr::parse(std::span(p).first(n));
    ASSERT_FALSE(h.ok()) << n;
    EXPECT_EQ(h.error().code(), Err::TooShort);
  }
}

TEST(Ip4Test, RejectsOptionsBeyondTheBuffer) {
  // IHL 8 but only 24 bytes: the options are cut off.
  auto h = Ip4Repr::parse(std::span(kRecordRouteHeader).first(24));
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().code(), Err::TooShort);
  Bytes p = kUdpHeader;
  p[0] = 0x4f;  // IHL 15: 60 bytes of header in a 20-byte buffer
  EXPECT_FALSE(Ip4Repr::parse(p).ok());
}

TEST(Ip4Test, RejectsMalformedOptionLengths) {
  // Record Route's length byte (offset 22) set to 0, 1, past the header,
  // and a type-7 option with no room for its length byte: each is refused,
  // with the checksum right so that only the option can be at fault.
  for (uint8_t len : {0, 1, 13, 255}) {
    Bytes p = packet(kRecordRouteHeader);
    p[22] = len;
    Ip4View(p.data()).update_checksum();
    auto h = Ip4Repr::parse(p);
    ASSERT_FALSE(h.ok()) << int(len);
    EXPECT_EQ(h.error().code(), Err::BadArg);
  }
  Bytes p = packet(kRecordRouteHeader);
  std::fill(p.begin() + 20, p.begin() + 31, uint8_t(1));  // NOPs, then type 7 in the last byte
  p[31] = 7;
  Ip4View(p.data()).update_checksum();
  EXPECT_FALSE(Ip4Repr::parse(p).ok());
  // A length that ends exactly at the header's end is fine (12 = 32 - 20),
  // and End of Option List ends the walk whatever follows it.
  p = packet(kRecordRouteHeader);
  p[20] = 0;     // End first: the rest is padding, not options
  p[21] = 0xff;  // would be an option with no length byte room otherwise
  Ip4View(p.data()).update_checksum();
  EXPECT_TRUE(Ip4Repr::parse(p).ok());
  p = packet(kRecordRouteHeader);
  p[20] = 7;
  p[21] = 12;
  Ip4View(p.data()).update_checksum();
  EXPECT_TRUE(Ip4Repr::parse(p).ok());
}

TEST(Ip4Test, RejectsBadVersion) {
  for (uint8_t v : {0, 1, 5, 6, 15}) {
    Bytes p = packet(kUdpHeader);
    p[0] = uint8_t(v << 4 | 5);
    Ip4View(p.data()).update_checksum();
    auto h = Ip4Repr::parse(p);
    ASSERT_FALSE(h.ok()) << int(v);
    EXPECT_EQ(h.error().code(), Err::BadArg);
  }
}

TEST(Ip4Test, RejectsIhlBelowFive) {
  for (uint8_t ihl = 0; ihl < 5; ihl++) {
    Bytes p = packet(kUdpHeader);
    p[0] = uint8_t(0x40 | ihl);
    auto h = Ip4Repr::parse(p);
    ASSERT_FALSE(h.ok()) << int(ihl);
    EXPECT_EQ(h.error().code(), Err::BadArg);
  }
}

TEST(Ip4Test, RejectsTotalLengthBeyondTheBuffer) {
  Bytes p = packet(kUdpHeader);
  p.pop_back();  // one byte short of 115
  EXPECT_FALSE(Ip4Repr::parse(p).ok());
  EXPECT_FALSE(Ip4Repr::parse(kUdpHeader).ok());  // the header alone
}

TEST(Ip4Test, RejectsTotalLengthShorterThanTheHeader) {
  Bytes p = packet(kRecordRouteHeader);
  for (uint16_t total : {0, 19, 20, 31}) {  // IHL*4 is 32
    store16(p.data() + ip4::kLen, total);
    Ip4View(p.data()).update_checksum();
    EXPECT_FALSE(Ip4Repr::parse(p).ok()) << total;
  }
  store16(p.data() + ip4::kLen, 32);  // header only, no payload: fine
  Ip4View(p.data()).update_checksum();
  auto h = Ip4Repr::parse(p);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->payload_len(), 0);
}

TEST(Ip4Test, RejectsBadChecksum) {
  // Any single bit flipped anywhere in the header (options included) is caught.
  for (const Bytes* hdr : {&kUdpHeader, &kRecordRouteHeader}) {
    for (size_t bit = 8; bit < hdr->size() * 8; bit++) {  // after version/IHL
      Bytes p = packet(*hdr);
      p[bit / 8] ^= uint8_t(0x80 >> (bit % 8));
      auto h = Ip4Repr::parse(p);
      EXPECT_FALSE(h.ok()) << bit;
    }
  }
}

TEST(Ip4Test, ViewDecTtlMatchesFullRecompute) {
  for (const Bytes* hdr : {&kUdpHeader, &kRouterAlertHeader, &kRecordRouteHeader}) {
    Bytes p = packet(*hdr);
    p[ip4::kTtl] = 255;
    Ip4View(p.data()).update_checksum();
    for (int ttl = 255; ttl > 0; ttl--) {
      Ip4View v(p.data());
      ASSERT_EQ(v.ttl(), ttl);
      v.dec_ttl();
      Bytes full = p;
      Ip4View(full.data()).update_checksum();
      ASSERT_EQ(load16(p.data() + ip4::kCksum), load16(full.data() + ip4::kCksum)) << ttl;
      ASSERT_TRUE(Ip4Repr::parse(p).ok()) << ttl;
    }
    EXPECT_EQ(Ip4Repr::parse(p)->ttl, 0);
  }
}

TEST(Ip4Test, ViewEditsKeepTheHeaderValid) {
  Bytes p = packet(kRecordRouteHeader);
  Ip4View v(p.data());
  EXPECT_EQ(v.header_len(), 32u);
  v.set_frag(true, 1480, false);
  v.set_id(0x1234);
  v.set_total_len(40);
  auto h = Ip4Repr::parse(p);
  ASSERT_TRUE(h.ok()) << h.error().text();
  EXPECT_TRUE(h->mf);
  EXPECT_FALSE(h->df);
  EXPECT_EQ(h->frag_offset, 1480);
  EXPECT_EQ(h->id, 0x1234);
  EXPECT_EQ(h->total_len, 40);
  EXPECT_EQ(h->header_len, 32);
  v.set_frag(false, 0, true);
  h = Ip4Repr::parse(p);
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->df);
  EXPECT_FALSE(h->is_fragment());
  // The options are untouched.
  EXPECT_TRUE(
      std::equal(kRecordRouteHeader.begin() + 20, kRecordRouteHeader.end(), p.begin() + 20));
}

}  // namespace
}  // namespace ninet::wire
