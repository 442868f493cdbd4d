// mss_test — pipex's MSS clamping on packets written out byte by byte: the
// MSS lowered (v4 and v6, SYN and SYN-ACK, after other options, at every
// offset), left alone when not larger, on non-SYN segments, fragments, SYNs
// without an MSS, malformed IP headers and malformed options; the TCP
// checksum after the change summed long-hand (RFC 1071), not with
// base/checksum.
#include "pipex/mss.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/endian.h"

namespace ninet::pipex {
namespace {

using Bytes = std::vector<uint8_t>;

// RFC 1071 section 4.1 written out: big-endian 16-bit words added in 32
// bits (an odd last byte is the high half of a word), carries folded back.
uint32_t add_words(uint32_t sum, const uint8_t* p, size_t n) {
  for (size_t i = 0; i + 1 < n; i += 2)
    sum += uint32_t(p[i]) << 8 | p[i + 1];
  if (n % 2) sum += uint32_t(p[n - 1]) << 8;
  return sum;
}
uint16_t fold(uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(sum);
}

// The ones' complement sum of the pseudo header (RFC 9293 3.1 for IPv4, RFC
// 8200 8.1 for IPv6) and the TCP segment at p[off, off + len): 0xffff when
// the checksum field is right.
uint16_t tcp_sum(const Bytes& p, size_t off, size_t len) {
  uint32_t s = 0;
  if (p[0] >> 4 == 4) {
    s = add_words(s, &p[12], 8);  // source and destination
    s += 6 + uint32_t(len);       // zero, protocol, TCP length
  } else {
    s = add_words(s, &p[8], 32);
    s += uint32_t(len >> 16) + uint32_t(len & 0xffff) + 6;  // 32-bit length, next header
  }
  return fold(add_words(s, &p[off], len));
}

// Sets the TCP checksum of the segment at p[off, off + len).
void set_tcp_checksum(Bytes& p, size_t off, size_t len) {
  store16(p.data() + off + 16, 0);
  store16(p.data() + off + 16, uint16_t(~tcp_sum(p, off, len)));
}

// A TCP header 40000 -> 80, seq 1000, ack 0 or 1 (with ACK), window 64240,
// checksum 0, with the options (padded with End of Option List to a
// multiple of 4), then the payload.
Bytes tcp(uint8_t flags, Bytes opts, const Bytes& payload = {}) {
  while (opts.size() % 4)
    opts.push_back(0);
  uint8_t doff = uint8_t((20 + opts.size()) / 4);
  uint8_t ack = flags & 0x10 ? 1 : 0, off = uint8_t(doff << 4);
  Bytes s = {0x9c, 0x40,  0x00, 0x50,   // ports 40000 -> 80
             0x00, 0x00,  0x03, 0xe8,   // seq
             0x00, 0x00,  0x00, ack,    // ack
             off,  flags, 0xfa, 0xf0,   // data offset, flags, window
             0x00, 0x00,  0x00, 0x00};  // checksum, urgent
  s.insert(s.end(), opts.begin(), opts.end());
  s.insert(s.end(), payload.begin(), payload.end());
  return s;
}

// 10.0.0.1 -> 10.0.0.2, protocol TCP, TTL 64, the 16-bit flags/offset word
// frag (DF by default), IP and TCP checksums computed (the latter if the
// segment has room for it).
Bytes v4(const Bytes& seg, uint16_t frag = 0x4000) {
  uint16_t total = uint16_t(20 + seg.size());
  uint8_t t0 = uint8_t(total >> 8), t1 = uint8_t(total), f0 = uint8_t(frag >> 8),
          f1 = uint8_t(frag);
  Bytes p = {0x45, 0x00, t0,   t1,    // version, IHL, total length
             0x12, 0x34, f0,   f1,    // id, flags/offset
             0x40, 0x06, 0x00, 0x00,  // TTL, protocol, checksum
             10,   0,    0,    1,     // source
             10,   0,    0,    2};    // destination
  store16(p.data() + 10, uint16_t(~fold(add_words(0, p.data(), 20))));
  p.insert(p.end(), seg.begin(), seg.end());
  if (seg.size() >= 18) set_tcp_checksum(p, 20, seg.size());
  return p;
}

// 2001:db8::1 -> 2001:db8::2, hop limit 64; ext (extension headers, the
// last one's next header TCP) follows the fixed header, whose next header
// is first. TCP checksum computed (if the segment has room for it).
Bytes v6(const Bytes& seg, const Bytes& ext = {}, uint8_t first = 6) {
  uint16_t plen = uint16_t(ext.size() + seg.size());
  uint8_t l0 = uint8_t(plen >> 8), l1 = uint8_t(plen);
  Bytes p = {0x60, 0x00, 0x00, 0x00, l0, l1, first, 64,  // payload length, next, hops
             0x20, 0x01, 0x0d, 0xb8, 0,  0,  0,     0,   // source
             0,    0,    0,    0,    0,  0,  0,     1,   //
             0x20, 0x01, 0x0d, 0xb8, 0,  0,  0,     0,   // destination
             0,    0,    0,    0,    0,  0,  0,     2};
  p.insert(p.end(), ext.begin(), ext.end());
  p.insert(p.end(), seg.begin(), seg.end());
  if (seg.size() >= 18) set_tcp_checksum(p, 40 + ext.size(), seg.size());
  return p;
}

const uint8_t kSyn = 0x02, kAck = 0x10, kRst = 0x04, kFin = 0x01;
const Bytes kMss1460 = {0x02, 0x04, 0x05, 0xb4};

// The SYN of tcp_test.cc (scapy's, Linux's option layout: MSS 1460,
// SACK-permitted, timestamps 123456/0, NOP, window scale 7; TCP checksum
// 0xb652) behind a literal IPv4 header (total length 60, DF, IP checksum
// 0x26ba).
const Bytes kLinuxSyn4 = {
    0x45, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0x26, 0xba,  //
    0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,                          // IP
    0x9c, 0x40, 0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00,  //
    0xa0, 0x02, 0xfa, 0xf0, 0xb6, 0x52, 0x00, 0x00,                          // TCP
    0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x01, 0xe2, 0x40,  //
    0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07};                         // options

// Clamps and expects the packet unchanged.
void expect_untouched(Bytes p, uint16_t max_mss, const std::string& what) {
  const Bytes before = p;
  EXPECT_FALSE(adjust_tcp_mss(p, max_mss)) << what;
  EXPECT_EQ(p, before) << what;
}

// Clamps p, whose segment is at off (to the IP length), to max_mss and
// expects exactly the MSS values at the segment offsets vals lowered to it
// and a checksum that verifies; nothing else changed.
void expect_lowered(Bytes p, size_t off, uint16_t max_mss, std::vector<size_t> vals,
                    const std::string& what) {
  size_t len = p[0] >> 4 == 4 ? load16(p.data() + 2) - off : 40 + load16(p.data() + 4) - off;
  ASSERT_EQ(tcp_sum(p, off, len), 0xffff) << what << ": the test built a bad checksum";
  Bytes want = p;
  for (size_t v : vals)
    store16(want.data() + off + v, max_mss);
  EXPECT_TRUE(adjust_tcp_mss(p, max_mss)) << what;
  EXPECT_EQ(tcp_sum(p, off, len), 0xffff) << what;
  store16(want.data() + off + 16, load16(p.data() + off + 16));  // the checksum, checked above
  EXPECT_EQ(p, want) << what;
  // Done once: nothing left to lower.
  expect_untouched(p, max_mss, what + " (again)");
}

TEST(MssTest, LowersTheMssOfLinuxsSyn) {
  Bytes p = kLinuxSyn4;
  ASSERT_EQ(tcp_sum(p, 20, 40), 0xffff);
  EXPECT_TRUE(adjust_tcp_mss(p, 1400));
  Bytes want = kLinuxSyn4;
  want[42] = 0x05;  // 1400 = 0x0578
  want[43] = 0x78;
  // RFC 1624 eqn. 3: ~(~0xb652 + ~0x05b4 + 0x0578) = ~(0x49ad + 0xfa4b + 0x0578)
  // = ~(0x143f8 -> 0x43f9, + 0x0578 = 0x4971) = 0xb68e.
  want[36] = 0xb6;
  want[37] = 0x8e;
  EXPECT_EQ(p, want);
  EXPECT_EQ(tcp_sum(p, 20, 40), 0xffff);
}

TEST(MssTest, LowersSynAndSynAckV4AndV6) {
  for (uint8_t flags : {kSyn, uint8_t(kSyn | kAck)}) {
    Bytes seg = tcp(flags, kMss1460);
    expect_lowered(v4(seg), 20, 1400, {22}, "v4 flags " + std::to_string(flags));
    expect_lowered(v6(seg), 40, 1220, {22}, "v6 flags " + std::to_string(flags));
  }
}

TEST(MssTest, KeepsAnMssThatIsNotLarger) {
  Bytes seg = tcp(kSyn, kMss1460);
  expect_untouched(v4(seg), 1460, "equal");
  expect_untouched(v4(seg), 1500, "smaller");
  expect_untouched(v6(seg), 1460, "v6 equal");
  expect_lowered(v4(seg), 20, 1459, {22}, "one larger");
}

TEST(MssTest, IgnoresSegmentsWithoutSyn) {
  for (uint8_t flags : {kAck, kRst, uint8_t(kFin | kAck), uint8_t(0)}) {
    Bytes seg = tcp(flags, kMss1460);
    expect_untouched(v4(seg), 1000, "v4 flags " + std::to_string(flags));
    expect_untouched(v6(seg), 1000, "v6 flags " + std::to_string(flags));
  }
}

TEST(MssTest, IgnoresFragments) {
  Bytes seg = tcp(kSyn, kMss1460);
  expect_untouched(v4(seg, 0x2000), 1000, "MF");
  expect_untouched(v4(seg, 0x0001), 1000, "offset 8");
  expect_untouched(v4(seg, 0x6000), 1000, "DF and MF");
  expect_lowered(v4(seg, 0x0000), 20, 1000, {22}, "no DF");
  // IPv6 Fragment header: next header TCP, reserved, offset/M, ident.
  expect_untouched(v6(seg, {6, 0, 0x00, 0x01, 0, 0, 0, 1}, 44), 1000, "v6 M");
  expect_untouched(v6(seg, {6, 0, 0x00, 0x08, 0, 0, 0, 1}, 44), 1000, "v6 offset 8");
  // An atomic fragment (offset 0, M clear) is a whole packet (RFC 6946).
  expect_lowered(v6(seg, {6, 0, 0, 0, 0, 0, 0, 1}, 44), 48, 1000, {22}, "v6 atomic");
}

TEST(MssTest, IgnoresSynWithoutMss) {
  expect_untouched(v4(tcp(kSyn, {})), 1000, "no options");
  expect_untouched(v4(tcp(kSyn, {1, 1, 4, 2, 1, 3, 3, 7})), 1000, "SACK-permitted, wscale");
  // An MSS after End of Option List is not an option.
  expect_untouched(v4(tcp(kSyn, {0, 0, 0, 0, 2, 4, 5, 0xb4})), 1000, "after End");
  // Nor is an MSS in the payload.
  expect_untouched(v4(tcp(kSyn, {}, kMss1460)), 1000, "payload");
}

TEST(MssTest, FindsTheMssAfterOtherOptions) {
  const Bytes ts = {1, 1, 8, 10, 0, 1, 0xe2, 0x40, 0, 0, 0, 0};
  const std::vector<std::pair<std::string, Bytes>> before = {
      {"NOP NOP SACK-permitted", {1, 1, 4, 2}},
      {"NOP window scale", {1, 3, 3, 7}},
      {"window scale (odd)", {3, 3, 7}},
      {"NOP NOP timestamps", ts},
      {"SACK-permitted timestamps window scale",
       {4, 2, 8, 10, 0, 1, 0xe2, 0x40, 0, 0, 0, 0, 1, 3, 3, 7}},
      {"NOP (odd)", {1}},
      {"3 NOPs (odd)", {1, 1, 1}},
      {"an unknown option (kind 30, length 5)", {30, 5, 0xaa, 0xbb, 0xcc}},
  };
  for (const auto& [what, opts] : before) {
    Bytes o = opts;
    o.insert(o.end(), kMss1460.begin(), kMss1460.end());
    Bytes seg = tcp(kSyn, o, {'d', 'a', 't', 'a', '!'});
    size_t at = 20 + opts.size() + 2;
    expect_lowered(v4(seg), 20, 1360, {at}, "v4 " + what);
    expect_lowered(v6(seg), 40, 1360, {at}, "v6 " + what);
  }
}

// The value at every offset the option area allows, even and odd, with
// values that make the sums carry.
TEST(MssTest, ChecksumAtEveryOffset) {
  for (size_t nops = 0; nops <= 36; nops++) {
    for (uint16_t mss : {uint16_t(0xffff), uint16_t(0x8001), uint16_t(1461)}) {
      for (uint16_t max : {uint16_t(0), uint16_t(1), uint16_t(1460), uint16_t(0xfffe)}) {
        if (mss <= max) continue;
        Bytes o(nops, 1);
        o.insert(o.end(), {2, 4, uint8_t(mss >> 8), uint8_t(mss)});
        Bytes seg = tcp(kSyn | kAck, o, {0xff, 0xfe, 0x01});
        std::string what =
            std::to_string(nops) + " NOPs, " + std::to_string(mss) + " -> " + std::to_string(max);
        expect_lowered(v4(seg), 20, max, {22 + nops}, "v4 " + what);
        expect_lowered(v6(seg), 40, max, {22 + nops}, "v6 " + what);
      }
    }
  }
}

TEST(MssTest, LowersEveryMssOption) {
  // A receiver takes the last one it reads (Linux's tcp_parse_options).
  Bytes seg = tcp(kSyn, {2, 4, 5, 0xb4, 1, 2, 4, 0x23, 0x28, 2, 4, 1, 0});
  expect_lowered(v4(seg), 20, 1400, {22, 27}, "1460, 9000, 256");
}

TEST(MssTest, SkipsAnMssOfTheWrongLength) {
  expect_untouched(v4(tcp(kSyn, {2, 3, 0xff, 1})), 1000, "length 3");
  expect_untouched(v4(tcp(kSyn, {2, 6, 0x05, 0xb4, 0, 0})), 1000, "length 6");
}

TEST(MssTest, LeavesMalformedOptionsAlone) {
  const std::vector<std::pair<std::string, Bytes>> cases = {
      {"no length byte after the MSS", {2, 4, 5, 0xb4, 1, 1, 1, 3}},
      {"length 0 after the MSS", {2, 4, 5, 0xb4, 8, 0, 0, 0}},
      {"length 1 before the MSS", {3, 1, 1, 1, 2, 4, 5, 0xb4}},
      {"past the data offset after the MSS", {2, 4, 5, 0xb4, 8, 10, 0, 0}},
      {"a truncated MSS", {1, 1, 2, 4}},
      {"an MSS without its length", {1, 1, 1, 2}},
  };
  for (const auto& [what, opts] : cases) {
    // The option area ends at the data offset even with bytes after it.
    Bytes seg = tcp(kSyn, opts, {5, 0xb4, 0, 0});
    expect_untouched(v4(seg), 1000, "v4 " + what);
    expect_untouched(v6(seg), 1000, "v6 " + what);
  }
}

TEST(MssTest, LeavesMalformedHeadersAlone) {
  const Bytes good = v4(tcp(kSyn, kMss1460));  // 44 bytes
  // Each case in a vector of exactly its size: ASan sees any read past it.
  auto cut = [&](size_t n) { return Bytes(good.begin(), good.begin() + long(n)); };
  expect_untouched({}, 1000, "empty");
  expect_untouched(cut(1), 1000, "1 byte");
  expect_untouched(cut(19), 1000, "19 bytes of IP header");
  expect_untouched(cut(43), 1000, "one byte short of the total length");

  Bytes p = good;
  p[0] = 0x44;  // IHL 4
  store16(p.data() + 10, 0);
  store16(p.data() + 10, uint16_t(~fold(add_words(0, p.data(), 16))));
  expect_untouched(p, 1000, "IHL 4");
  p = good;
  p[0] = 0x4f;  // IHL 15: 60 bytes, past the total length
  expect_untouched(p, 1000, "IHL 15");
  p = good;
  p[11] ^= 1;
  expect_untouched(p, 1000, "bad IP header checksum");
  p = good;
  p[0] = 0x55;
  expect_untouched(p, 1000, "version 5");
  p = good;
  p[9] = 17;  // UDP, the bytes unchanged
  store16(p.data() + 10, 0);
  store16(p.data() + 10, uint16_t(~fold(add_words(0, p.data(), 20))));
  expect_untouched(p, 1000, "not TCP");

  p = good;
  p[32] = 0x40;  // data offset 16 bytes
  expect_untouched(p, 1000, "data offset 4");
  p = good;
  p[32] = 0x70;  // 28 bytes, the segment has 24
  expect_untouched(p, 1000, "data offset past the segment");
  Bytes short_seg = tcp(kSyn, {});
  short_seg.pop_back();
  expect_untouched(v4(short_seg), 1000, "19-byte segment");
  // The SYN flag within the IP length, the rest of the header beyond it.
  p = good;
  store16(p.data() + 2, 34);
  store16(p.data() + 10, 0);
  store16(p.data() + 10, uint16_t(~fold(add_words(0, p.data(), 20))));
  expect_untouched(p, 1000, "segment cut by the IP length");

  const Bytes good6 = v6(tcp(kSyn, kMss1460));  // 64 bytes
  expect_untouched(Bytes(good6.begin(), good6.begin() + 39), 1000, "39 bytes of IPv6 header");
  expect_untouched(Bytes(good6.begin(), good6.begin() + 63), 1000, "v6 payload length past");
  // Hop-by-Hop claiming 16 bytes where 8 remain.
  p = v6({}, {6, 1, 1, 4, 0, 0, 0, 0}, 0);
  expect_untouched(p, 1000, "truncated Hop-by-Hop");
  // Two Fragment headers.
  p = v6(tcp(kSyn, kMss1460), {44, 0, 0, 0, 0, 0, 0, 1, 6, 0, 0, 0, 0, 0, 0, 2}, 44);
  expect_untouched(p, 1000, "two Fragment headers");
}

TEST(MssTest, IgnoresLinkPadding) {
  Bytes p = v4(tcp(kSyn, kMss1460));
  p.insert(p.end(), {0xee, 0xee, 0xee, 0xee, 0x02, 0x04});
  expect_lowered(p, 20, 1000, {22}, "6 bytes of padding");
}

TEST(MssTest, WalksIpv6ExtensionHeaders) {
  // Hop-by-Hop (next Destination Options, PadN of 4) and Destination
  // Options (next TCP, PadN of 4).
  const Bytes ext = {60, 0, 1, 4, 0, 0, 0, 0, 6, 0, 1, 4, 0, 0, 0, 0};
  expect_lowered(v6(tcp(kSyn, kMss1460), ext, 0), 56, 1220, {22}, "hop-by-hop, dst opts");
  // Routing header type 0 segments left 0 (next TCP).
  expect_lowered(v6(tcp(kSyn | kAck, kMss1460), {6, 0, 0, 0, 0, 0, 0, 0}, 43), 48, 1220, {22},
                 "routing");
}

TEST(MssTest, MaxMss) {
  EXPECT_EQ(pipex_max_mss(1500, false), 1448);  // 1500 - 20 - 20 - 12
  EXPECT_EQ(pipex_max_mss(1500, true), 1428);   // 1500 - 40 - 20 - 12
  EXPECT_EQ(pipex_max_mss(1492, false), 1440);  // PPPoE's usual MRU (RFC 2516 7)
  EXPECT_EQ(pipex_max_mss(53, false), 1);
  EXPECT_EQ(pipex_max_mss(52, false), 0);
  EXPECT_EQ(pipex_max_mss(73, true), 1);
  EXPECT_EQ(pipex_max_mss(72, true), 0);
  EXPECT_EQ(pipex_max_mss(60, true), 0);
  EXPECT_EQ(pipex_max_mss(0, false), 0);
  EXPECT_EQ(pipex_max_mss(65535, false), 65483);
}

}  // namespace
}  // namespace ninet::pipex
