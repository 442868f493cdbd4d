// Tests for the IPv6 header, the Fragment header and the extension header
// walk (RFC 8200 sections 3, 4 and 4.5), with packets built byte by byte.
#include "wire/ip6.h"

#include <gtest/gtest.h>

#include <vector>

#include "base/endian.h"
#include "wire/ip4.h"

namespace ninet::wire {
namespace {

using Bytes = std::vector<uint8_t>;

// 2001:db8::1 -> 2001:db8::2, traffic class 0xb8, flow label 0x12345, hop
// limit 64, next header Hop-by-Hop, payload 56 bytes:
const Bytes kFixed = {
    0x6b, 0x81, 0x23, 0x45,  // version 6, TC 0xb8, flow 0x12345
    0x00, 0x38, 0x00, 0x40,  // payload length 56, next 0 (Hop-by-Hop), hop limit 64
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,  // src
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,  // dst
};
// Hop-by-Hop (8 bytes) -> Routing (24 bytes) -> Fragment (8) -> UDP (8 + 8).
const Bytes kHopByHop = {ipproto::kRouting,
                         0,  // next, length 0 (8 bytes)
                         0x01,
                         0x04,
                         0,
                         0,
                         0,
                         0};  // PadN of 4
const Bytes kRouting = {ipproto::kFragment,
                        2,  // next, length 2 (24 bytes)
                        0,
                        1,  // type 0, segments left 1
                        0,
                        0,
                        0,
                        0,  // reserved
                        0x20,
                        0x01,
                        0x0d,
                        0xb8,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0x03};
const Bytes kFragment = {ipproto::kUdp, 0,                  // next, reserved
                         0x00,          0x01,               // offset 0, M
                         0x12,          0x34, 0x56, 0x78};  // identification
const Bytes kUdp = {0x04, 0xd2, 0x16, 0x2e, 0x00, 0x10, 0x00, 0x00,
                    'p',  'a',  'y',  'l',  'o',  'a',  'd',  '!'};

Bytes cat(std::initializer_list<const Bytes*> parts) {
  Bytes out;
  for (const Bytes* p : parts)
    out.insert(out.end(), p->begin(), p->end());
  return out;
}

// An extension header of type-independent format: next, length, padding.
Bytes ext(uint8_t next, uint8_t len8 = 0) {
  Bytes h((size_t(len8) + 1) * 8, 0);
  h[0] = next;
  h[1] = len8;
  h[2] = 1;  // PadN
  h[3] = uint8_t(h.size() - 4);
  return h;
}

TEST(Ip6Test, ParsesFixedHeader) {
  Bytes p = cat({&kFixed, &kHopByHop, &kRouting, &kFragment, &kUdp});
  ASSERT_EQ(p.size(), 40u + 56u);
  auto h = Ip6Repr::parse(p);
  ASSERT_TRUE(h.ok()) << h.error().text();
  EXPECT_EQ(h->traffic_class, 0xb8);
  EXPECT_EQ(h->flow_label, 0x12345u);
  EXPECT_EQ(h->payload_len, 56);
  EXPECT_EQ(h->next_header, ipproto::kHopOpts);
  EXPECT_EQ(h->hop_limit, 64);
  EXPECT_EQ(h->src.str(), "2001:db8::1");
  EXPECT_EQ(h->dst.str(), "2001:db8::2");
}

TEST(Ip6Test, WalksHopByHopRoutingFragment) {
  Bytes p = cat({&kFixed, &kHopByHop, &kRouting, &kFragment, &kUdp});
  auto h = Ip6Repr::parse(p);
  ASSERT_TRUE(h.ok());
  auto w = ip6_walk(std::span(p).subspan(Ip6Repr::kLen, h->payload_len), h->next_header);
  ASSERT_TRUE(w.ok()) << w.error().text();
  EXPECT_EQ(w->proto, ipproto::kUdp);
  EXPECT_EQ(w->offset, 40u);  // 8 + 24 + 8
  EXPECT_TRUE(w->hop_by_hop);
  ASSERT_TRUE(w->frag.has_value());
  EXPECT_EQ(w->frag_offset, 32u);
  EXPECT_EQ(w->unfrag_len, 32u);
  EXPECT_EQ(w->frag->next_header, ipproto::kUdp);
  EXPECT_EQ(w->frag->offset, 0);
  EXPECT_TRUE(w->frag->more);
  EXPECT_EQ(w->frag->ident, 0x12345678u);
  EXPECT_EQ(load16(p.data() + 40 + w->offset), 1234);  // the UDP source port
}

TEST(Ip6Test, WalkWithoutExtensionHeaders) {
  auto w = ip6_walk(kUdp, ipproto::kUdp);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->proto, ipproto::kUdp);
  EXPECT_EQ(w->offset, 0u);
  EXPECT_EQ(w->unfrag_len, 0u);
  EXPECT_FALSE(w->frag);
  EXPECT_FALSE(w->hop_by_hop);
  // No Next Header: the walk ends there too, even with nothing after it.
  w = ip6_walk({}, ipproto::kNoNext);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->proto, ipproto::kNoNext);
}

TEST(Ip6Test, WalkStopsAtALaterFragment) {
  // Offset 1232, not the last: the headers after it belong to the first fragment.
  Bytes frag = {ipproto::kDstOpts, 0, 0x04, 0xd0, 0xca, 0xfe, 0xba, 0xbe};
  Bytes rest(64, 0x77);
  Bytes p = cat({&kRouting, &frag, &rest});
  p[0] = ipproto::kFragment;
  auto w = ip6_walk(p, ipproto::kRouting);
  ASSERT_TRUE(w.ok()) << w.error().text();
  ASSERT_TRUE(w->frag);
  EXPECT_EQ(w->frag->offset, 1232);
  EXPECT_FALSE(w->frag->more);
  EXPECT_EQ(w->frag->ident, 0xcafebabeu);
  EXPECT_EQ(w->proto, ipproto::kDstOpts);
  EXPECT_EQ(w->offset, 32u);
  EXPECT_EQ(w->frag_offset, 24u);
  EXPECT_EQ(w->unfrag_len, 24u);
  EXPECT_FALSE(w->hop_by_hop);
}

TEST(Ip6Test, DestinationOptionsAfterTheFragmentAreNotUnfragmentable) {
  Bytes frag = {ipproto::kDstOpts, 0, 0, 0, 0, 0, 0, 1};  // atomic fragment
  Bytes dst = ext(ipproto::kTcp, 1);                      // 16 bytes
  Bytes tcp(20, 0);
  Bytes p = cat({&frag, &dst, &tcp});
  auto w = ip6_walk(p, ipproto::kFragment);
  ASSERT_TRUE(w.ok()) << w.error().text();
  EXPECT_EQ(w->proto, ipproto::kTcp);
  EXPECT_EQ(w->offset, 24u);
  EXPECT_EQ(w->unfrag_len, 0u);
  EXPECT_EQ(w->frag_offset, 0u);
  EXPECT_FALSE(w->frag->more);
}

TEST(Ip6Test, WalkAcceptsEightHeadersAndRejectsNine) {
  Bytes p;
  for (int i = 0; i < 8; i++) {
    Bytes h = ext(i == 7 ? ipproto::kIcmp6 : ipproto::kDstOpts);
    p.insert(p.end(), h.begin(), h.end());
  }
  auto w = ip6_walk(p, ipproto::kDstOpts);
  ASSERT_TRUE(w.ok()) << w.error().text();
  EXPECT_EQ(w->proto, ipproto::kIcmp6);
  EXPECT_EQ(w->offset, 64u);
  EXPECT_EQ(w->unfrag_len, 64u);

  p[7 * 8] = ipproto::kDstOpts;
  Bytes last = ext(ipproto::kIcmp6);
  p.insert(p.end(), last.begin(), last.end());
  EXPECT_FALSE(ip6_walk(p, ipproto::kDstOpts).ok());
}

TEST(Ip6Test, WalkRejectsHopByHopNotFirst) {
  Bytes p = cat({&kRouting, &kHopByHop});
  p[0] = ipproto::kHopOpts;
  p[24] = ipproto::kNoNext;
  auto w = ip6_walk(p, ipproto::kRouting);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code(), Err::BadArg);
}

TEST(Ip6Test, WalkRejectsTwoFragmentHeaders) {
  Bytes f = {ipproto::kFragment, 0, 0, 1, 0, 0, 0, 1};
  Bytes p = cat({&f, &kFragment, &kUdp});
  auto w = ip6_walk(p, ipproto::kFragment);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code(), Err::BadArg);
}

TEST(Ip6Test, WalkRejectsTruncatedHeaders) {
  Bytes p = cat({&kHopByHop, &kRouting, &kFragment, &kUdp});
  // Cut inside each header: Hop-by-Hop (0..7), Routing (8..31), Fragment (32..39).
  for (size_t n = 0; n < 40; n++) {
    auto w = ip6_walk(std::span(p).first(n), ipproto::kHopOpts);
    ASSERT_FALSE(w.ok()) << n;
    EXPECT_EQ(w.error().code(), Err::TooShort) << n;
  }
  // At 40 the walk reaches UDP; the upper layer's length is not its business.
  EXPECT_TRUE(ip6_walk(std::span(p).first(40), ipproto::kHopOpts).ok());
}

TEST(Ip6Test, WalkRejectsALengthRunningPastThePayload) {
  for (uint8_t type : {ipproto::kHopOpts, ipproto::kRouting, ipproto::kDstOpts}) {
    Bytes h = ext(ipproto::kUdp, 0);
    h[1] = 255;  // claims 2048 bytes
    Bytes p = cat({&h, &kUdp});
    auto w = ip6_walk(p, type);
    ASSERT_FALSE(w.ok()) << int(type);
    EXPECT_EQ(w.error().code(), Err::TooShort);
  }
}

TEST(Ip6Test, RejectsTruncatedFixedHeader) {
  Bytes p = cat({&kFixed, &kHopByHop, &kRouting, &kFragment, &kUdp});
  for (size_t n = 0; n < 40; n++) {
    auto h = Ip6Repr::parse(std::span(p).first(n));
    ASSERT_FALSE(h.ok()) << n;
    EXPECT_EQ(h.error().code(), Err::TooShort);
  }
}

TEST(Ip6Test, RejectsBadVersion) {
  Bytes p = cat({&kFixed, &kHopByHop, &kRouting, &kFragment, &kUdp});
  for (uint8_t v : {0, 4, 5, 7, 15}) {
    p[0] = uint8_t(v << 4 | (p[0] & 0x0f));
    auto h = Ip6Repr::parse(p);
    ASSERT_FALSE(h.ok()) << int(v);
    EXPECT_EQ(h.error().code(), Err::BadArg);
  }
}

TEST(Ip6Test, RejectsPayloadLengthBeyondTheBuffer) {
  Bytes p = cat({&kFixed, &kHopByHop, &kRouting, &kFragment, &kUdp});
  p.pop_back();
  EXPECT_FALSE(Ip6Repr::parse(p).ok());
  store16(p.data() + ip6::kPayloadLen, 0xffff);
  EXPECT_FALSE(Ip6Repr::parse(p).ok());
  // Shorter is fine: the rest is link padding for the caller to trim.
  store16(p.data() + ip6::kPayloadLen, 0);
  auto h = Ip6Repr::parse(p);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->payload_len, 0);
}

TEST(Ip6Test, EmitWritesTheLiteralBytes) {
  Ip6Repr r;
  r.src = *Ipaddr::parse("2001:db8::1");
  r.dst = *Ipaddr::parse("2001:db8::2");
  r.traffic_class = 0xb8;
  r.flow_label = 0x12345;
  r.payload_len = 56;
  r.next_header = ipproto::kHopOpts;
  r.hop_limit = 64;
  Bytes out(40, 0xee);
  r.emit(out.data());
  EXPECT_EQ(out, kFixed);
  r.flow_label = 0xfff12345;  // only 20 bits go on the wire
  r.emit(out.data());
  EXPECT_EQ(out, kFixed);
}

TEST(Ip6Test, RoundTrip) {
  Ip6Repr r;
  r.src = *Ipaddr::parse("fe80::1:2:3:4");
  r.dst = *Ipaddr::parse("ff02::1:ff00:2");
  r.traffic_class = 0xff;
  r.flow_label = 0xfffff;
  r.payload_len = 8;
  r.next_header = ipproto::kIcmp6;
  r.hop_limit = 255;
  Bytes out(48, 0);
  r.emit(out.data());
  auto h = Ip6Repr::parse(out);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->src, r.src);
  EXPECT_EQ(h->dst, r.dst);
  EXPECT_EQ(h->traffic_class, r.traffic_class);
  EXPECT_EQ(h->flow_label, r.flow_label);
  EXPECT_EQ(h->payload_len, r.payload_len);
  EXPECT_EQ(h->next_header, r.next_header);
  EXPECT_EQ(h->hop_limit, r.hop_limit);
}

TEST(Ip6Test, FragmentHeaderParseAndEmit) {
  auto f = Ip6FragRepr::parse(kFragment);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->next_header, ipproto::kUdp);
  EXPECT_EQ(f->offset, 0);
  EXPECT_TRUE(f->more);
  Bytes out(8, 0xee);
  f->emit(out.data());
  EXPECT_EQ(out, kFragment);

  // The largest offset (8191 * 8); reserved bits are ignored and emitted as 0.
  Bytes g = {ipproto::kTcp, 0xff, 0xff, 0xfe, 0, 0, 0, 0};
  f = Ip6FragRepr::parse(g);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->offset, 65528);
  EXPECT_FALSE(f->more);
  f->emit(out.data());
  EXPECT_EQ(out, (Bytes{ipproto::kTcp, 0, 0xff, 0xf8, 0, 0, 0, 0}));

  for (size_t n = 0; n < 8; n++)
    EXPECT_FALSE(Ip6FragRepr::parse(std::span(kFragment).first(n)).ok()) << n;
}

}  // namespace
}  // namespace ninet::wire
