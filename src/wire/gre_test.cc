// Tests for GRE: version 0 (RFC 2784, RFC 2890) with each of checksum, key
// and sequence number, the checksums worked out by hand; PPTP's version 1
// (RFC 2637 section 4.1) with and without sequence and acknowledgment;
// round trips; every malformed header; and packets from the recorded
// session /work/shared/peers/samples/pptp.pcap with the fields tshark
// decodes for them.
#include "wire/gre.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "base/endian.h"
#include "wire/ether.h"
#include "wire/ip4.h"
#include "wire/ppp.h"

namespace ninet::wire {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes bytes(std::span<const uint8_t> s) {
  return Bytes(s.begin(), s.end());
}

// Version 0, IPv4 payload 45 00 00 14 (the start of a header) in each.
const Bytes kPlain = {0x00, 0x00, 0x08, 0x00, 0x45, 0x00, 0x00, 0x14};
const Bytes kKey = {0x20, 0x00, 0x08, 0x00, 0x01, 0x02, 0x03, 0x04, 0x45, 0x00, 0x00, 0x14};
const Bytes kSeq = {0x10, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x2a, 0x45, 0x00, 0x00, 0x14};
// C: the words 8000 0800 0000 0000 4500 0014 sum to 0xcd14, whose
// complement is the checksum 0x32eb (RFC 2784 2.5).
const Bytes kCsum = {0x80, 0x00, 0x08, 0x00, 0x32, 0xeb, 0x00, 0x00, 0x45, 0x00, 0x00, 0x14};
// C, K (1) and S (2): b000 + 0800 + 0001 + 0002 + 4500 + 0014 = 0xfd17,
// checksum 0x02e8; the fields come in the order checksum, key, sequence.
const Bytes kAllV0 = {0xb0, 0x00, 0x08, 0x00, 0x02, 0xe8, 0x00, 0x00, 0x00, 0x00,
                      0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x45, 0x00, 0x00, 0x14};

// Version 1 for call id 0x1234 carrying PPP 21 45 (PFC IPv4, one byte of IP).
// S and A: payload length 2, seq 5, ack 4.
const Bytes kPptpData = {0x30, 0x81, 0x88, 0x0b, 0x00, 0x02, 0x12, 0x34, 0x00,
                         0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x04, 0x21, 0x45};
// S only: the first data packet, nothing yet to acknowledge.
const Bytes kPptpSeq = {0x30, 0x01, 0x88, 0x0b, 0x00, 0x02, 0x12,
                        0x34, 0x00, 0x00, 0x00, 0x05, 0x21, 0x45};
// A only, length 0: an acknowledgment without data (NOTES.md: K|A).
const Bytes kPptpAck = {0x20, 0x81, 0x88, 0x0b, 0x00, 0x00, 0x12, 0x34, 0x00, 0x00, 0x00, 0x04};

TEST(GreTest, ParsesVersion0) {
  struct Case {
    const Bytes* pkt;
    bool checksum;
    std::optional<uint32_t> key, seq;
    size_t header_len;
  };
  const Case cases[] = {
      {&kPlain, false, std::nullopt, std::nullopt, 4},
      {&kKey, false, 0x01020304, std::nullopt, 8},
      {&kSeq, false, std::nullopt, 42, 8},
      {&kCsum, true, std::nullopt, std::nullopt, 8},
      {&kAllV0, true, 1, 2, 16},
  };
  for (const Case& c : cases) {
    auto g = GreRepr::parse(*c.pkt);
    ASSERT_TRUE(g.ok()) << g.error().text();
    EXPECT_EQ(g->version, 0);
    EXPECT_EQ(g->protocol, 0x0800);
    EXPECT_EQ(g->checksum, c.checksum);
    EXPECT_EQ(g->key, c.key);
    EXPECT_EQ(g->seq, c.seq);
    EXPECT_FALSE(g->ack);
    EXPECT_EQ(g->header_len(), c.header_len);
    EXPECT_EQ(g->payload.data(), c.pkt->data() + c.header_len);
    EXPECT_EQ(bytes(g->payload), Bytes({0x45, 0x00, 0x00, 0x14}));
  }
}

TEST(GreTest, EmitsVersion0InPlace) {
  const Bytes* pkts[] = {&kPlain, &kKey, &kSeq, &kCsum, &kAllV0};
  for (const Bytes* p : pkts) {
    auto g = GreRepr::parse(*p);
    ASSERT_TRUE(g.ok());
    GreRepr r = *g;
    Bytes out = *p;
    std::fill(out.begin(), out.end() - 4, 0xee);  // the payload stays
    r.emit(out);
    EXPECT_EQ(out, *p);
  }
}

TEST(GreTest, Version0ReservedBitsAreIgnored) {
  // s, Recur, the A position and Flags (RFC 1701's bits; RFC 2784 2.3 says
  // bits 6-12 MUST be ignored; s and Recur are ignored as Linux does).
  Bytes p = kKey;
  p[0] |= 0x0f;
  p[1] |= 0xf8;
  auto g = GreRepr::parse(p);
  ASSERT_TRUE(g.ok()) << g.error().text();
  EXPECT_EQ(g->version, 0);
  EXPECT_EQ(g->key, 0x01020304u);
  EXPECT_FALSE(g->ack);  // A means nothing in version 0
  EXPECT_EQ(g->payload.size(), 4u);
  Bytes out(g->header_len() + 4);
  std::copy(g->payload.begin(), g->payload.end(), out.begin() + 8);
  g->emit(out);
  EXPECT_EQ(out, kKey);  // and they are sent as zero
}

TEST(GreTest, ParsesVersion1) {
  struct Case {
    const Bytes* pkt;
    std::optional<uint32_t> seq, ack;
    size_t header_len, payload;
  };
  const Case cases[] = {
      {&kPptpData, 5, 4, 16, 2},
      {&kPptpSeq, 5, std::nullopt, 12, 2},
      {&kPptpAck, std::nullopt, 4, 12, 0},
  };
  for (const Case& c : cases) {
    auto g = GreRepr::parse(*c.pkt);
    ASSERT_TRUE(g.ok()) << g.error().text();
    EXPECT_EQ(g->version, gre::kPptpVersion);
    EXPECT_EQ(g->protocol, gre::kPptpProtocol);
    EXPECT_FALSE(g->checksum);
    EXPECT_FALSE(g->key);
    EXPECT_EQ(g->call_id, 0x1234);
    EXPECT_EQ(g->seq, c.seq);
    EXPECT_EQ(g->ack, c.ack);
    EXPECT_EQ(g->header_len(), c.header_len);
    EXPECT_EQ(g->payload.size(), c.payload);
    EXPECT_EQ(g->payload.data(), c.pkt->data() + c.header_len);
  }
}

TEST(GreTest, EmitsVersion1) {
  Bytes data(16 + 2);
  data[16] = 0x21;
  data[17] = 0x45;
  GreRepr::pptp(0x1234, 5, 4).emit(data);
  EXPECT_EQ(data, kPptpData);
  Bytes seq(12 + 2);
  seq[12] = 0x21;
  seq[13] = 0x45;
  GreRepr::pptp(0x1234, 5).emit(seq);
  EXPECT_EQ(seq, kPptpSeq);
  GreRepr ack = GreRepr::pptp(0x1234, std::nullopt, 4);
  Bytes out(ack.header_len());
  ack.emit(out);
  EXPECT_EQ(out, kPptpAck);
  // Version 1 has no checksum or RFC 2890 key: emit leaves them out.
  GreRepr odd = GreRepr::pptp(0x1234, 5, 4);
  odd.checksum = true;
  odd.key = 99;
  EXPECT_EQ(odd.header_len(), 16u);
  Bytes same = kPptpData;
  odd.emit(same);
  EXPECT_EQ(same, kPptpData);
}

TEST(GreTest, Version1PayloadIsCutToItsLength) {
  Bytes p = kPptpData;
  p.insert(p.end(), {0xde, 0xad});
  auto g = GreRepr::parse(p);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(bytes(g->payload), Bytes({0x21, 0x45}));
}

TEST(GreTest, RoundTrips) {
  for (int bits = 0; bits < 16; bits++) {
    Bytes payload = {1, 2, 3, 4, 5};
    GreRepr r;
    r.protocol = 0x86dd;
    r.checksum = bits & 1;
    if (bits & 2) r.key = 0xdeadbeef;
    if (bits & 4) r.seq = 0xfffffffe;
    if (bits & 8) {
      r = GreRepr::pptp(0xabcd, r.seq, bits & 2 ? std::optional<uint32_t>(7) : std::nullopt);
    }
    Bytes out(r.header_len() + payload.size());
    std::copy(payload.begin(), payload.end(), out.begin() + long(r.header_len()));
    r.emit(out);
    auto back = GreRepr::parse(out);
    ASSERT_TRUE(back.ok()) << bits << ": " << back.error().text();
    EXPECT_EQ(back->version, r.version);
    EXPECT_EQ(back->protocol, r.protocol);
    EXPECT_EQ(back->checksum, r.checksum);
    EXPECT_EQ(back->key, r.key);
    EXPECT_EQ(back->seq, r.seq);
    EXPECT_EQ(back->ack, r.ack);
    EXPECT_EQ(back->call_id, r.call_id);
    EXPECT_EQ(bytes(back->payload), payload);
  }
}

TEST(GreTest, Errors) {
  struct Bad {
    Bytes pkt;
    const char* text;
  };
  Bytes bad_csum = kCsum;
  bad_csum[11] ^= 1;  // a payload bit
  Bytes bad_csum_field = kAllV0;
  bad_csum_field[5] ^= 0x10;
  const Bad bad[] = {
      {{}, "message too short: gre header"},
      {{0x00, 0x00, 0x08}, "message too short: gre header"},
      {{0x00, 0x02, 0x08, 0x00}, "bad arg in system call: gre version 2"},
      {{0x00, 0x07, 0x08, 0x00}, "bad arg in system call: gre version 7"},
      {{0x40, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00}, "bad arg in system call: gre routing"},
      {{0x60, 0x01, 0x88, 0x0b, 0x00, 0x00, 0x12, 0x34}, "bad arg in system call: gre routing"},
      // Version 1: C is not defined, K is required, the protocol is PPP.
      {{0xa0, 0x01, 0x88, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x34},
       "bad arg in system call: pptp gre flags"},
      {{0x10, 0x01, 0x88, 0x0b, 0x00, 0x00, 0x00, 0x01}, "bad arg in system call: pptp gre flags"},
      {{0x20, 0x01, 0x08, 0x00, 0x00, 0x00, 0x12, 0x34},
       "bad arg in system call: pptp gre protocol"},
      // Headers cut short, for each optional field.
      {{0x80, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00}, "message too short: gre header"},
      {{0x20, 0x00, 0x08, 0x00, 0x00, 0x00}, "message too short: gre header"},
      {{0x30, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00}, "message too short: gre header"},
      {{0x20, 0x01, 0x88, 0x0b, 0x00, 0x00, 0x12}, "message too short: gre header"},
      {{0x30, 0x81, 0x88, 0x0b, 0x00, 0x00, 0x12, 0x34, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00},
       "message too short: gre header"},
      // Checksums that do not verify.
      {bad_csum, "bad arg in system call: gre checksum"},
      {bad_csum_field, "bad arg in system call: gre checksum"},
      // A payload length past the data.
      {{0x30, 0x01, 0x88, 0x0b, 0x00, 0x03, 0x12, 0x34, 0x00, 0x00, 0x00, 0x05, 0x21, 0x45},
       "message too short: pptp gre length 3"},
      {{0x20, 0x81, 0x88, 0x0b, 0xff, 0xff, 0x12, 0x34, 0x00, 0x00, 0x00, 0x04},
       "message too short: pptp gre length 65535"},
  };
  for (const Bad& b : bad) {
    auto g = GreRepr::parse(b.pkt);
    ASSERT_FALSE(g.ok()) << b.text;
    EXPECT_EQ(g.error().text(), b.text);
  }
}

// Packets of /work/shared/peers/samples/pptp.pcap (Debian's pptp client and
// pptpd, the kernel's PPTP on the client), whole frames as captured, and
// what `tshark -r pptp.pcap -V` says of them.

// Frame 23, server to client, LCP Configure-Request: "Flags and Version:
// 0x3001" (K, S, Enhanced GRE 1), "Payload Length: 29", "Call ID: 58873",
// "Sequence Number: 0"; PPP "Address: 0xff", "Control: 0x03", "Protocol:
// Link Control Protocol (0xc021)".
const Bytes kFrame23 = {
    0xf6, 0xd9, 0x96, 0x98, 0x90, 0x50, 0xc6, 0x1e, 0xc1, 0x1c, 0x76, 0x79, 0x08, 0x00, 0x45,
    0x00, 0x00, 0x3d, 0xc5, 0x29, 0x40, 0x00, 0x40, 0x2f, 0x61, 0x54, 0x0a, 0x09, 0x00, 0x01,
    0x0a, 0x09, 0x00, 0x02, 0x30, 0x01, 0x88, 0x0b, 0x00, 0x1d, 0xe5, 0xf9, 0x00, 0x00, 0x00,
    0x00, 0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x19, 0x02, 0x06, 0x00, 0x00, 0x00, 0x00,
    0x03, 0x05, 0xc2, 0x23, 0x81, 0x05, 0x06, 0x49, 0xb0, 0x90, 0x43, 0x07, 0x02, 0x08, 0x02,
};
// Frame 28, client to server, an acknowledgment only: "Flags and Version:
// 0x2081" (K, A, version 1), "Call ID: 0", "Acknowledgment Number: 2" (and
// no Payload Length line: it is 0).
const Bytes kFrame28 = {
    0xc6, 0x1e, 0xc1, 0x1c, 0x76, 0x79, 0xf6, 0xd9, 0x96, 0x98, 0x90, 0x50, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x20, 0x0e, 0x62, 0x40, 0x00, 0x40, 0x2f, 0x18, 0x39, 0x0a, 0x09, 0x00, 0x02, 0x0a, 0x09,
    0x00, 0x01, 0x20, 0x81, 0x88, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
};
// Frame 37, client to server, IPCP Configure-Request: "Flags and Version:
// 0x3081", "Protocol Type: PPP (0x880b)", "Payload Length: 12", "Call ID:
// 0", "Sequence Number: 6", "Acknowledgment Number: 5"; PPP "Protocol:
// Internet Protocol Control Protocol (0x8021)" with no address/control.
const Bytes kFrame37 = {
    0xc6, 0x1e, 0xc1, 0x1c, 0x76, 0x79, 0xf6, 0xd9, 0x96, 0x98, 0x90, 0x50, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x30, 0x0e, 0x66, 0x40, 0x00, 0x40, 0x2f, 0x18, 0x25, 0x0a, 0x09, 0x00, 0x02, 0x0a, 0x09,
    0x00, 0x01, 0x30, 0x81, 0x88, 0x0b, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00,
    0x00, 0x05, 0x80, 0x21, 0x01, 0x01, 0x00, 0x0a, 0x03, 0x06, 0x00, 0x00, 0x00, 0x00,
};
// Frame 46, client to server, MPPE data: "Flags and Version: 0x3081",
// "Payload Length: 53", "Call ID: 0", "Sequence Number: 11",
// "Acknowledgment Number: 9"; PPP "Protocol: Compressed datagram (0x00fd)"
// in one byte with no address/control (ACFC and PFC).
const Bytes kFrame46 = {
    0xc6, 0x1e, 0xc1, 0x1c, 0x76, 0x79, 0xf6, 0xd9, 0x96, 0x98, 0x90, 0x50, 0x08, 0x00, 0x45,
    0x00, 0x00, 0x59, 0x0e, 0x6b, 0x40, 0x00, 0x40, 0x2f, 0x17, 0xf7, 0x0a, 0x09, 0x00, 0x02,
    0x0a, 0x09, 0x00, 0x01, 0x30, 0x81, 0x88, 0x0b, 0x00, 0x35, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x0b, 0x00, 0x00, 0x00, 0x09, 0xfd, 0x90, 0x00, 0x61, 0x58, 0xb1, 0x90, 0x3f, 0x83, 0x04,
    0xae, 0xa3, 0xa7, 0x41, 0xb1, 0x75, 0x6f, 0xdd, 0x54, 0xfe, 0x83, 0xbe, 0xd6, 0xda, 0x0a,
    0x6a, 0xf5, 0x9b, 0x1a, 0xc9, 0xbc, 0xf0, 0xe0, 0x53, 0xb0, 0x5f, 0xaf, 0x9e, 0x08, 0x7d,
    0xe1, 0x2f, 0xc4, 0x2a, 0x46, 0x91, 0xba, 0x32, 0x84, 0xbf, 0x5b, 0x16, 0x1e,
};

// The IP payload of a captured frame, through the Ethernet and IPv4 parsers.
std::span<const uint8_t> gre_of(const Bytes& frame) {
  auto e = EtherRepr::parse(frame);
  EXPECT_TRUE(e && e->type == ethertype::kIp4);
  auto ip_bytes = std::span(frame).subspan(EtherRepr::kLen);
  auto ip = Ip4Repr::parse(ip_bytes);
  EXPECT_TRUE(ip.ok() && ip->proto == ipproto::kGre);
  if (!ip) return {};
  return ip_bytes.subspan(ip->header_len, ip->payload_len());
}

struct Recorded {
  const Bytes* frame;
  uint16_t call_id;
  std::optional<uint32_t> seq, ack;
  size_t payload_len;
  uint16_t ppp_protocol;  // 0: no payload
  bool acf, pfc;
};
const Recorded kRecorded[] = {
    {&kFrame23, 58873, 0, std::nullopt, 29, ppp::kLcp, true, false},
    {&kFrame28, 0, std::nullopt, 2, 0, 0, false, false},
    {&kFrame37, 0, 6, 5, 12, ppp::kIpcp, false, false},
    {&kFrame46, 0, 11, 9, 53, ppp::kCompressed, false, true},
};

TEST(GreTest, RecordedPptpPackets) {
  for (const Recorded& r : kRecorded) {
    std::span<const uint8_t> pkt = gre_of(*r.frame);
    auto g = GreRepr::parse(pkt);
    ASSERT_TRUE(g.ok()) << g.error().text();
    EXPECT_EQ(g->version, 1);
    EXPECT_EQ(g->protocol, 0x880b);
    EXPECT_EQ(g->call_id, r.call_id);
    EXPECT_EQ(g->seq, r.seq);
    EXPECT_EQ(g->ack, r.ack);
    EXPECT_EQ(g->payload.size(), r.payload_len);
    if (r.ppp_protocol) {
      auto ppp = PppRepr::parse(g->payload);
      ASSERT_TRUE(ppp.ok());
      EXPECT_EQ(ppp->protocol, r.ppp_protocol);
      EXPECT_EQ(ppp->acf, r.acf);
      EXPECT_EQ(ppp->pfc, r.pfc);
    }
    // pptp() and emit in front of the recorded payload: the recorded bytes.
    Bytes out(pkt.begin(), pkt.end());
    GreRepr h = GreRepr::pptp(r.call_id, r.seq, r.ack);
    ASSERT_EQ(h.header_len(), pkt.size() - r.payload_len);
    std::fill(out.begin(), out.begin() + long(h.header_len()), 0);
    h.emit(out);
    EXPECT_EQ(out, bytes(pkt));
  }
}

}  // namespace
}  // namespace ninet::wire
