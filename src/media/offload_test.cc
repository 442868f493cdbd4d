// offload_test — the software offloads (offload.h) against packets built
// here byte by byte and a checksum summed here the long way (RFC 1071,
// one 16-bit word at a time), not with base/checksum.
#include "media/offload.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "base/endian.h"

namespace ninet {
namespace {

using Bytes = std::vector<uint8_t>;

// One's complement sum of words, folded (RFC 1071), long-hand.
uint32_t sum_words(const uint8_t* p, size_t n, uint32_t s = 0) {
  for (size_t i = 0; i + 1 < n; i += 2)
    s += load16(p + i);
  if (n & 1) s += uint32_t(p[n - 1]) << 8;
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return s;
}

// True if the TCP/UDP checksum of an IP packet verifies (sums to 0xffff).
bool l4_checksum_ok(const Bytes& ip) {
  const bool v6 = ip[0] >> 4 == 6;
  size_t l4 = v6 ? 40 : size_t(ip[0] & 15) * 4;
  size_t len = v6 ? load16(&ip[4]) : load16(&ip[2]) - l4;
  uint8_t proto = v6 ? ip[6] : ip[9];
  uint32_t s = v6 ? sum_words(&ip[8], 32) : sum_words(&ip[12], 8);
  s += proto + uint32_t(len);
  return sum_words(&ip[l4], len, s) == 0xffff;
}

bool ip4_header_ok(const Bytes& ip) {
  return sum_words(ip.data(), size_t(ip[0] & 15) * 4) == 0xffff;
}

// An IPv4 packet (20-byte header) around an L4 header + payload.
Bytes ip4(uint8_t proto, const Bytes& l4, uint16_t id = 0x1234) {
  Bytes p(20);
  p[0] = 0x45;
  store16(&p[2], uint16_t(20 + l4.size()));
  store16(&p[4], id);
  store16(&p[6], 0x4000);  // DF
  p[8] = 64;
  p[9] = proto;
  const uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {10, 0, 0, 2};
  std::memcpy(&p[12], src, 4);
  std::memcpy(&p[16], dst, 4);
  store16(&p[10], uint16_t(~sum_words(p.data(), 20)));
  p.insert(p.end(), l4.begin(), l4.end());
  return p;
}

// An IPv6 packet; with hbh, a hop-by-hop header (8 bytes, PadN) first.
Bytes ip6(uint8_t proto, const Bytes& l4, bool hbh = false) {
  Bytes p(40);
  p[0] = 0x60;
  store16(&p[4], uint16_t(l4.size() + (hbh ? 8 : 0)));
  p[6] = hbh ? 0 : proto;
  p[7] = 64;
  p[8] = 0xfd;
  p[23] = 1;
  p[24] = 0xfd;
  p[39] = 2;
  if (hbh) {
    const uint8_t h[8] = {proto, 0, 1, 4, 0, 0, 0, 0};
    p.insert(p.end(), h, h + 8);
  }
  p.insert(p.end(), l4.begin(), l4.end());
  return p;
}

Bytes payload(size_t n) {
  Bytes d(n);
  for (size_t i = 0; i < n; i++)
    d[i] = uint8_t(i * 7 + i / 251);
  return d;
}

// A TCP header (20 bytes, or 32 with a timestamp option) + payload.
Bytes tcp(const Bytes& data, uint8_t flags, bool ts = false) {
  Bytes t(ts ? 32 : 20);
  store16(&t[0], 40000);
  store16(&t[2], 80);
  store32(&t[4], 0xfffff000);  // wraps inside a large segment
  store32(&t[8], 77);
  t[12] = uint8_t((t.size() / 4) << 4);
  t[13] = flags;
  store16(&t[14], 65535);
  if (ts) {
    const uint8_t o[12] = {1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 9};
    std::memcpy(&t[20], o, 12);
  }
  t.insert(t.end(), data.begin(), data.end());
  return t;
}

Bytes udp(const Bytes& data) {
  Bytes u(8);
  store16(&u[0], 5353);
  store16(&u[2], 53);
  store16(&u[4], uint16_t(8 + data.size()));
  u.insert(u.end(), data.begin(), data.end());
  return u;
}

constexpr uint8_t kFin = 1, kPsh = 8, kAck = 16, kCwr = 128;

TEST(Offload, LocatesTcpAndUdpInIpv4AndIpv6) {
  auto l = locate_l4(ip4(6, tcp(payload(10), kAck)));
  ASSERT_TRUE(l);
  EXPECT_FALSE(l->v6);
  EXPECT_EQ(l->proto, 6);
  EXPECT_EQ(l->l4_off, 20u);
  EXPECT_EQ(l->l4_len, 30u);
  EXPECT_EQ(l->field, 16u);
  EXPECT_EQ(l->src, Ipaddr::v4(10, 0, 0, 1));
  l = locate_l4(ip6(17, udp(payload(3)), true));
  ASSERT_TRUE(l);
  EXPECT_TRUE(l->v6);
  EXPECT_EQ(l->l4_off, 48u);  // after the hop-by-hop header
  EXPECT_EQ(l->l4_len, 11u);
  EXPECT_EQ(l->field, 6u);
}

TEST(Offload, LocatesNothingInWhatIsNotAWholeTcpOrUdpPacket) {
  Bytes icmp = ip4(1, Bytes(8));
  EXPECT_FALSE(locate_l4(icmp));
  Bytes frag = ip4(6, tcp({}, kAck));
  store16(&frag[6], 0x2000);  // MF
  EXPECT_FALSE(locate_l4(frag));
  Bytes cut = ip4(6, tcp(payload(100), kAck));
  cut.resize(cut.size() - 1);  // shorter than its total length
  EXPECT_FALSE(locate_l4(cut));
  Bytes tiny = ip4(6, Bytes(10));  // a TCP header needs 20
  EXPECT_FALSE(locate_l4(tiny));
  Bytes v6cut = ip6(17, udp(payload(20)));
  v6cut.resize(50);
  EXPECT_FALSE(locate_l4(v6cut));
  EXPECT_FALSE(locate_l4(Bytes{0x45}));
  EXPECT_FALSE(locate_l4(Bytes{}));
}

TEST(Offload, FinishesAPartialChecksumAsTheLongSumDoes) {
  for (bool v6 : {false, true})
    for (uint8_t proto : {uint8_t(6), uint8_t(17)})
      for (size_t n : {size_t(0), size_t(1), size_t(999), size_t(1448)}) {
        const Bytes l4 = proto == 6 ? tcp(payload(n), kAck) : udp(payload(n));
        Bytes p = v6 ? ip6(proto, l4) : ip4(proto, l4);
        auto l = locate_l4(p);
        ASSERT_TRUE(l);
        // What a stack leaves for "hardware": the pseudo-header sum.
        store16(&p[l->l4_off + l->field], partial_checksum(*l));
        EXPECT_FALSE(l4_checksum_ok(p));
        ASSERT_TRUE(finish_l4_checksum(p));
        EXPECT_TRUE(l4_checksum_ok(p)) << "v6 " << v6 << " proto " << int(proto) << " n " << n;
      }
  Bytes icmp = ip4(1, Bytes(8, 0xab));
  const Bytes before = icmp;
  EXPECT_FALSE(finish_l4_checksum(icmp));
  EXPECT_EQ(icmp, before);
}

TEST(Offload, AUdpChecksumThatSumsToZeroIsSentAsAllOnes) {
  // Find a payload whose checksum comes out 0: RFC 768 sends 0xffff.
  for (uint16_t x = 0;; x++) {
    Bytes d = {uint8_t(x >> 8), uint8_t(x)};
    Bytes p = ip4(17, udp(d));
    ASSERT_TRUE(finish_l4_checksum(p));
    Bytes q = p;
    store16(&q[26], 0);
    if (uint16_t(~sum_words(&q[20], 10, sum_words(&q[12], 8) + 17 + 10)) != 0) continue;
    EXPECT_EQ(load16(&p[26]), 0xffff);
    EXPECT_TRUE(l4_checksum_ok(p));
    break;
  }
}

struct Seg {
  Bytes bytes;
  uint32_t flags;
};

std::vector<Seg> segment(const Bytes& p, uint16_t mss, uint32_t flags, Pool& pool, bool* ok) {
  auto b = pool.alloc(uint32_t(p.size()) + 64);
  b->append(p.data(), uint32_t(p.size()));
  b->gso_size = mss;
  b->flags = flags;
  b->ifc = 3;
  Batch out;
  *ok = gso_segment(*b, pool, out);
  std::vector<Seg> r;
  for (auto& s : out) {
    EXPECT_EQ(s->ifc, 3);
    EXPECT_EQ(s->gso_size, 0);
    r.push_back({Bytes(s->span().begin(), s->span().end()), s->flags});
  }
  return r;
}

TEST(Offload, CutsATcpLargeSegmentAsSoftwareGsoDoes) {
  Pool pool;
  for (bool v6 : {false, true}) {
    const Bytes data = payload(10000);
    Bytes p = v6 ? ip6(6, tcp(data, kAck | kPsh | kFin | kCwr, true))
                 : ip4(6, tcp(data, kAck | kPsh | kFin | kCwr, true), 0xfffe);
    bool ok = false;
    auto segs = segment(p, 1448, Block::kCsumPartial, pool, &ok);
    ASSERT_TRUE(ok);
    ASSERT_EQ(segs.size(), 7u);  // 6 x 1448 + 1312
    Bytes joined;
    const size_t ipl = v6 ? 40 : 20;
    for (size_t i = 0; i < segs.size(); i++) {
      const Bytes& s = segs[i].bytes;
      const uint8_t* th = &s[ipl];
      const size_t want = i + 1 < segs.size() ? 1448 : 10000 - 6 * 1448;
      ASSERT_EQ(s.size(), ipl + 32 + want);
      if (v6) {
        EXPECT_EQ(load16(&s[4]), 32 + want);
      } else {
        EXPECT_EQ(load16(&s[2]), s.size());
        EXPECT_EQ(load16(&s[4]), uint16_t(0xfffe + i));  // identification counts up (and wraps)
        EXPECT_TRUE(ip4_header_ok(s)) << i;
      }
      EXPECT_EQ(load32(th + 4), uint32_t(0xfffff000u + 1448 * i));  // sequence advances, wrapping
      EXPECT_EQ(load32(th + 8), 77u);
      const uint8_t f = th[13];
      EXPECT_EQ(bool(f & kCwr), i == 0) << i;
      EXPECT_EQ(bool(f & (kFin | kPsh)), i + 1 == segs.size()) << i;
      EXPECT_TRUE(f & kAck);
      EXPECT_EQ(std::memcmp(th + 20, p.data() + ipl + 20, 12), 0);  // options copied
      EXPECT_TRUE(l4_checksum_ok(s)) << "v6 " << v6 << " segment " << i;
      EXPECT_TRUE(segs[i].flags & Block::kCsumValid);
      EXPECT_FALSE(segs[i].flags & Block::kCsumPartial);
      joined.insert(joined.end(), th + 32, th + 32 + want);
    }
    EXPECT_EQ(joined, data);
  }
}

TEST(Offload, CutsAUdpLargeDatagramIntoDatagrams) {
  Pool pool;
  const Bytes data = payload(3000);
  bool ok = false;
  auto segs = segment(ip6(17, udp(data), true), 1200, Block::kCsumPartial, pool, &ok);
  ASSERT_TRUE(ok);
  ASSERT_EQ(segs.size(), 3u);
  Bytes joined;
  for (size_t i = 0; i < segs.size(); i++) {
    const Bytes& s = segs[i].bytes;
    const size_t want = i < 2 ? 1200 : 600;
    ASSERT_EQ(s.size(), 48 + 8 + want);
    EXPECT_EQ(load16(&s[4]), 8 + 8 + want);   // payload length keeps the hop-by-hop header
    EXPECT_EQ(load16(&s[48 + 4]), 8 + want);  // each a datagram of its own
    // Verify with the hop-by-hop header skipped (its next header is UDP).
    Bytes flat(s.begin(), s.begin() + 40);
    flat.insert(flat.end(), s.begin() + 48, s.end());
    flat[6] = 17;
    store16(&flat[4], uint16_t(8 + want));
    EXPECT_TRUE(l4_checksum_ok(flat)) << i;
    joined.insert(joined.end(), s.begin() + 56, s.end());
  }
  EXPECT_EQ(joined, data);
}

TEST(Offload, RefusesWhatItCannotCut) {
  Pool pool;
  bool ok = true;
  EXPECT_TRUE(segment(ip4(6, tcp(payload(3000), kAck)), 0, 0, pool, &ok).empty());
  EXPECT_FALSE(ok);  // gso_size 0
  ok = true;
  EXPECT_TRUE(segment(ip4(1, Bytes(3000)), 1000, 0, pool, &ok).empty());
  EXPECT_FALSE(ok);  // not TCP or UDP
  Bytes bad = ip4(6, tcp(payload(20), kAck));
  bad[20 + 12] = 0xf0;  // a 60-byte TCP header in 40 bytes
  ok = true;
  EXPECT_TRUE(segment(bad, 1000, 0, pool, &ok).empty());
  EXPECT_FALSE(ok);
}

}  // namespace
}  // namespace ninet
