// idle_test — which packets reset pipex's idle timer (idle.h, OpenBSD's
// ip_is_idle_packet): each class of the rule for IPv4 and IPv6, the six
// ports as source and as destination, fragments, extension headers, and
// malformed or truncated packets (idle; each in a vector of exactly its
// size, so ASan sees a read past it).
#include "pipex/idle.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ninet::pipex {
namespace {

using Bytes = std::vector<uint8_t>;

const uint8_t kIcmp = 1, kIgmp = 2, kTcp = 6, kUdp = 17, kGre = 47, kEsp = 50, kIcmp6 = 58,
              kNoNext = 59;
const uint16_t kIdlePorts[] = {53, 67, 68, 123, 137, 520};

// The IPv4 header checksum, RFC 1071 written out.
uint16_t ip_checksum(const uint8_t* p, size_t n) {
  uint32_t s = 0;
  for (size_t i = 0; i < n; i += 2)
    s += uint32_t(p[i]) << 8 | p[i + 1];
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return uint16_t(~s);
}

void set_ip_checksum(Bytes& p) {
  size_t hl = size_t(p[0] & 0x0f) * 4;
  p[10] = p[11] = 0;
  uint16_t c = ip_checksum(p.data(), hl);
  p[10] = uint8_t(c >> 8);
  p[11] = uint8_t(c);
}

// 10.0.0.1 -> 10.0.0.2 carrying l4 as proto; frag is the flags/offset word.
Bytes v4(uint8_t proto, const Bytes& l4, uint16_t frag = 0) {
  uint16_t total = uint16_t(20 + l4.size());
  uint8_t t0 = uint8_t(total >> 8), t1 = uint8_t(total), f0 = uint8_t(frag >> 8),
          f1 = uint8_t(frag);
  Bytes p = {0x45, 0,     t0, t1,  // version, IHL, total length
             0,    1,     f0, f1,  // id, flags/offset
             64,   proto, 0,  0,   // TTL, protocol, checksum
             10,   0,     0,  1,   // source
             10,   0,     0,  2};  // destination
  set_ip_checksum(p);
  p.insert(p.end(), l4.begin(), l4.end());
  return p;
}

// 2001:db8::1 -> 2001:db8::2; ext (extension headers) between the fixed
// header, whose next header is first, and l4.
Bytes v6(uint8_t first, const Bytes& l4, const Bytes& ext = {}) {
  uint16_t plen = uint16_t(ext.size() + l4.size());
  uint8_t l0 = uint8_t(plen >> 8), l1 = uint8_t(plen);
  Bytes p = {0x60, 0, 0,    0,    l0, l1, first, 64,  // payload length, next, hops
             0x20, 1, 0x0d, 0xb8, 0,  0,  0,     0,   // source
             0,    0, 0,    0,    0,  0,  0,     1,   //
             0x20, 1, 0x0d, 0xb8, 0,  0,  0,     0,   // destination
             0,    0, 0,    0,    0,  0,  0,     2};
  p.insert(p.end(), ext.begin(), ext.end());
  p.insert(p.end(), l4.begin(), l4.end());
  return p;
}

// 8 bytes of UDP header and 4 of data (the checksum is not looked at).
Bytes udp(uint16_t sport, uint16_t dport) {
  uint8_t s0 = uint8_t(sport >> 8), s1 = uint8_t(sport), d0 = uint8_t(dport >> 8),
          d1 = uint8_t(dport);
  return {s0,  s1,  d0,  d1,  // ports
          0,   12,  0,   0,   // length, checksum
          'p', 'i', 'n', 'g'};
}
// A 20-byte TCP header, ACK.
Bytes tcp(uint16_t sport, uint16_t dport) {
  uint8_t s0 = uint8_t(sport >> 8), s1 = uint8_t(sport), d0 = uint8_t(dport >> 8),
          d1 = uint8_t(dport);
  return {s0,   s1,   d0,   d1,    // ports
          0,    0,    0,    1,     // seq
          0,    0,    0,    1,     // ack
          0x50, 0x10, 0xff, 0xff,  // data offset, ACK, window
          0,    0,    0,    0};    // checksum, urgent
}
// An 8-byte ICMP or ICMPv6 header of the given type, and 4 bytes of data.
Bytes icmp(uint8_t type) {
  return {type, 0, 0, 0, 0x12, 0x34, 0, 1, 'd', 'a', 't', 'a'};
}

Bytes cut(const Bytes& p, size_t n) {
  return Bytes(p.begin(), p.begin() + long(n));
}

TEST(IdleTest, TcpAndUdpAreActive) {
  EXPECT_FALSE(is_idle_packet(v4(kTcp, tcp(40000, 443))));
  EXPECT_FALSE(is_idle_packet(v4(kTcp, tcp(22, 51000))));
  EXPECT_FALSE(is_idle_packet(v4(kUdp, udp(40000, 4500))));
  EXPECT_FALSE(is_idle_packet(v6(kTcp, tcp(40000, 443))));
  EXPECT_FALSE(is_idle_packet(v6(kUdp, udp(443, 40000))));  // QUIC
}

TEST(IdleTest, ServicePortsAreIdleInEitherDirection) {
  for (uint16_t port : kIdlePorts) {
    std::string p = "port " + std::to_string(port);
    EXPECT_TRUE(is_idle_packet(v4(kUdp, udp(40000, port)))) << p << " v4 udp dst";
    EXPECT_TRUE(is_idle_packet(v4(kUdp, udp(port, 40000)))) << p << " v4 udp src";
    EXPECT_TRUE(is_idle_packet(v4(kTcp, tcp(40000, port)))) << p << " v4 tcp dst";
    EXPECT_TRUE(is_idle_packet(v4(kTcp, tcp(port, 40000)))) << p << " v4 tcp src";
    EXPECT_TRUE(is_idle_packet(v6(kUdp, udp(40000, port)))) << p << " v6 udp dst";
    EXPECT_TRUE(is_idle_packet(v6(kUdp, udp(port, 40000)))) << p << " v6 udp src";
    EXPECT_TRUE(is_idle_packet(v6(kTcp, tcp(40000, port)))) << p << " v6 tcp dst";
    EXPECT_TRUE(is_idle_packet(v6(kTcp, tcp(port, 40000)))) << p << " v6 tcp src";
    // An idle port on one side wins over an active one on the other.
    EXPECT_TRUE(is_idle_packet(v4(kUdp, udp(443, port)))) << p;
    EXPECT_TRUE(is_idle_packet(v4(kUdp, udp(port, 443)))) << p;
  }
  EXPECT_TRUE(is_idle_packet(v4(kUdp, udp(68, 67))));  // DHCP
  EXPECT_TRUE(is_idle_packet(v4(kUdp, udp(123, 123))));
  for (uint16_t port : {52, 54, 66, 69, 122, 124, 136, 138, 519, 521, 5353, 546, 547})
    EXPECT_FALSE(is_idle_packet(v4(kUdp, udp(40000, port)))) << port;
}

TEST(IdleTest, IcmpEchoIsActiveOtherTypesIdle) {
  EXPECT_FALSE(is_idle_packet(v4(kIcmp, icmp(8))));  // echo request
  EXPECT_FALSE(is_idle_packet(v4(kIcmp, icmp(0))));  // echo reply
  for (uint8_t type : {3, 4, 5, 11, 12, 13, 14, 9, 10})
    EXPECT_TRUE(is_idle_packet(v4(kIcmp, icmp(type)))) << int(type);
  EXPECT_FALSE(is_idle_packet(v6(kIcmp6, icmp(128))));  // echo request
  EXPECT_FALSE(is_idle_packet(v6(kIcmp6, icmp(129))));  // echo reply
  // Errors, ND, MLD (unlike IGMP: idle.h).
  for (uint8_t type : {1, 2, 3, 4, 130, 131, 133, 134, 135, 136, 143})
    EXPECT_TRUE(is_idle_packet(v6(kIcmp6, icmp(type)))) << int(type);
  // ICMPv4 types mean nothing in ICMPv6 and the reverse.
  EXPECT_TRUE(is_idle_packet(v6(kIcmp6, icmp(8))));
  EXPECT_TRUE(is_idle_packet(v4(kIcmp, icmp(128))));
}

TEST(IdleTest, IgmpAndOtherProtocolsAreActive) {
  Bytes igmp = {0x16, 0, 0, 0, 224, 0, 0, 251};  // v2 membership report
  EXPECT_FALSE(is_idle_packet(v4(kIgmp, igmp)));
  EXPECT_FALSE(is_idle_packet(v4(kGre, {0, 0, 0x08, 0x00})));
  EXPECT_FALSE(is_idle_packet(v4(kEsp, {0, 0, 1, 0, 0, 0, 0, 1})));
  EXPECT_FALSE(is_idle_packet(v4(kIcmp6, icmp(1))));  // not ICMP in IPv4
  EXPECT_FALSE(is_idle_packet(v6(kIcmp, icmp(3))));   // not ICMPv6 in IPv6
  EXPECT_FALSE(is_idle_packet(v6(kEsp, {0, 0, 1, 0, 0, 0, 0, 1})));
  EXPECT_FALSE(is_idle_packet(v6(kNoNext, {})));
  // Other protocols carry no ports: any length is enough.
  EXPECT_FALSE(is_idle_packet(v4(kGre, {})));
}

TEST(IdleTest, FragmentsAreActive) {
  EXPECT_FALSE(is_idle_packet(v4(kUdp, udp(40000, 53), 0x2000)));  // MF
  EXPECT_FALSE(is_idle_packet(v4(kUdp, udp(40000, 53), 0x0003)));  // offset 24
  EXPECT_FALSE(is_idle_packet(v4(kIcmp, icmp(3), 0x2000)));        // MF
  EXPECT_FALSE(is_idle_packet(v4(kUdp, {0x12, 0x34}, 0x0010)));    // too short for ports
  EXPECT_TRUE(is_idle_packet(v4(kUdp, udp(40000, 53), 0x4000)));   // DF alone
  // IPv6 Fragment header: next UDP, offset/M, ident.
  const Bytes more = {17, 0, 0x00, 0x01, 0, 0, 0, 7};
  const Bytes later = {17, 0, 0x05, 0xa8, 0, 0, 0, 7};  // offset 1448
  const Bytes atomic = {17, 0, 0x00, 0x00, 0, 0, 0, 7};
  EXPECT_FALSE(is_idle_packet(v6(44, udp(40000, 53), more)));
  EXPECT_FALSE(is_idle_packet(v6(44, {1, 2, 3}, later)));
  EXPECT_TRUE(is_idle_packet(v6(44, udp(40000, 53), atomic)));  // a whole packet
  EXPECT_FALSE(is_idle_packet(v6(44, udp(40000, 443), atomic)));
}

TEST(IdleTest, WalksIpv6ExtensionHeaders) {
  // Hop-by-Hop (PadN) then Destination Options (PadN) then UDP or TCP.
  const Bytes to_udp = {60, 0, 1, 4, 0, 0, 0, 0, 17, 0, 1, 4, 0, 0, 0, 0};
  const Bytes to_tcp = {60, 0, 1, 4, 0, 0, 0, 0, 6, 0, 1, 4, 0, 0, 0, 0};
  EXPECT_TRUE(is_idle_packet(v6(0, udp(53, 40000), to_udp)));
  EXPECT_FALSE(is_idle_packet(v6(0, udp(443, 40000), to_udp)));
  EXPECT_FALSE(is_idle_packet(v6(0, tcp(40000, 443), to_tcp)));
  EXPECT_TRUE(is_idle_packet(v6(0, tcp(40000, 137), to_tcp)));
  // Hop-by-Hop, then MLD: idle.
  EXPECT_TRUE(is_idle_packet(v6(0, icmp(143), {58, 0, 5, 2, 0, 0, 1, 0})));
}

TEST(IdleTest, MalformedPacketsAreIdle) {
  EXPECT_TRUE(is_idle_packet({}));
  const Bytes good4 = v4(kUdp, udp(40000, 443));  // 32 bytes
  ASSERT_FALSE(is_idle_packet(good4));
  EXPECT_TRUE(is_idle_packet(cut(good4, 1)));
  EXPECT_TRUE(is_idle_packet(cut(good4, 19))) << "truncated IP header";
  EXPECT_TRUE(is_idle_packet(cut(good4, 31))) << "total length past the span";

  Bytes p = good4;
  p[0] = 0x44;
  set_ip_checksum(p);
  EXPECT_TRUE(is_idle_packet(p)) << "IHL 4";
  p = good4;
  p[0] = 0x46;  // 24-byte header: the ports become an option of length 0x40
  set_ip_checksum(p);
  EXPECT_TRUE(is_idle_packet(p)) << "IHL 6, malformed options";
  p = good4;
  p[11] ^= 0xff;
  EXPECT_TRUE(is_idle_packet(p)) << "bad header checksum";
  p = good4;
  p[0] = 0x55;
  EXPECT_TRUE(is_idle_packet(p)) << "version 5";
  p = good4;
  p[0] = 0x05;
  EXPECT_TRUE(is_idle_packet(p)) << "version 0";

  // Upper-layer headers cut by the IP length (the bytes after it are link
  // padding and not read).
  EXPECT_TRUE(is_idle_packet(v4(kUdp, cut(udp(40000, 443), 7))));
  EXPECT_TRUE(is_idle_packet(v4(kUdp, cut(udp(40000, 443), 4))));
  EXPECT_TRUE(is_idle_packet(v4(kTcp, cut(tcp(40000, 443), 19))));
  EXPECT_TRUE(is_idle_packet(v4(kIcmp, cut(icmp(8), 7))));
  p = good4;
  p[3] = 24;  // total length 24: 4 bytes of UDP
  set_ip_checksum(p);
  EXPECT_TRUE(is_idle_packet(p)) << "ports present only in the padding";

  const Bytes good6 = v6(kTcp, tcp(40000, 443));  // 60 bytes
  ASSERT_FALSE(is_idle_packet(good6));
  EXPECT_TRUE(is_idle_packet(cut(good6, 39))) << "truncated IPv6 header";
  EXPECT_TRUE(is_idle_packet(cut(good6, 59))) << "payload length past the span";
  EXPECT_TRUE(is_idle_packet(v6(kTcp, cut(tcp(40000, 443), 19))));
  EXPECT_TRUE(is_idle_packet(v6(kUdp, cut(udp(40000, 443), 7))));
  EXPECT_TRUE(is_idle_packet(v6(kIcmp6, cut(icmp(128), 7))));
  // Hop-by-Hop claiming 16 bytes where 8 remain; Hop-by-Hop not first; a
  // Fragment header cut short; two Fragment headers.
  EXPECT_TRUE(is_idle_packet(v6(0, {}, {17, 1, 1, 4, 0, 0, 0, 0})));
  EXPECT_TRUE(is_idle_packet(v6(60, udp(1, 2), {0, 0, 1, 4, 0, 0, 0, 0, 17, 0, 1, 4, 0, 0, 0, 0})));
  EXPECT_TRUE(is_idle_packet(v6(44, {}, {17, 0, 0, 1})));
  EXPECT_TRUE(
      is_idle_packet(v6(44, udp(1, 2), {44, 0, 0, 0, 0, 0, 0, 1, 17, 0, 0, 1, 0, 0, 0, 2})));
}

}  // namespace
}  // namespace ninet::pipex
