// Tests for the PPP header (RFC 1661 section 2, RFC 1662 section 3): the
// four combinations of address/control field and protocol compression,
// literal and round trip, the sending rules of for_link, every malformed
// header, and PPP frames from the recorded sessions in
// /work/shared/peers/samples with the fields tshark decodes for them.
#include "wire/ppp.h"

#include <gtest/gtest.h>

#include <vector>

namespace ninet::wire {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes bytes(std::span<const uint8_t> s) {
  return Bytes(s.begin(), s.end());
}

struct Case {
  Bytes frame;
  uint16_t protocol;
  bool acf, pfc;
  size_t header_len;
};

// IPv4 with the payload 45 00, in each of the four forms.
const Case kForms[] = {
    {{0xff, 0x03, 0x00, 0x21, 0x45, 0x00}, ppp::kIp4, true, false, 4},  // uncompressed
    {{0x00, 0x21, 0x45, 0x00}, ppp::kIp4, false, false, 2},             // ACFC
    {{0xff, 0x03, 0x21, 0x45, 0x00}, ppp::kIp4, true, true, 3},         // PFC
    {{0x21, 0x45, 0x00}, ppp::kIp4, false, true, 1},                    // both
};

TEST(PppTest, ParsesEachForm) {
  for (const Case& c : kForms) {
    auto f = PppRepr::parse(c.frame);
    ASSERT_TRUE(f.ok()) << f.error().text();
    EXPECT_EQ(f->protocol, c.protocol);
    EXPECT_EQ(f->acf, c.acf);
    EXPECT_EQ(f->pfc, c.pfc);
    EXPECT_EQ(f->header_len(), c.header_len);
    EXPECT_EQ(f->payload.data(), c.frame.data() + c.header_len);
    EXPECT_EQ(bytes(f->payload), Bytes({0x45, 0x00}));
  }
}

TEST(PppTest, EmitsEachForm) {
  for (const Case& c : kForms) {
    PppRepr r;
    r.protocol = c.protocol;
    r.acf = c.acf;
    r.pfc = c.pfc;
    ASSERT_EQ(r.header_len(), c.header_len);
    Bytes out(c.header_len, 0xee);
    r.emit(out.data());
    EXPECT_EQ(out, Bytes(c.frame.begin(), c.frame.begin() + c.header_len));
  }
}

TEST(PppTest, TwoByteProtocols) {
  auto lcp = PppRepr::parse(Bytes{0xff, 0x03, 0xc0, 0x21, 0x01});
  ASSERT_TRUE(lcp.ok());
  EXPECT_EQ(lcp->protocol, ppp::kLcp);
  EXPECT_FALSE(lcp->pfc);
  // 00 fd is the two-byte spelling of a protocol that could be one byte.
  auto mppe = PppRepr::parse(Bytes{0x00, 0xfd, 0x90, 0x00});
  ASSERT_TRUE(mppe.ok());
  EXPECT_EQ(mppe->protocol, ppp::kCompressed);
  EXPECT_FALSE(mppe->acf);
  EXPECT_FALSE(mppe->pfc);
  EXPECT_EQ(mppe->payload.size(), 2u);
  // No payload at all is a valid header.
  auto empty = PppRepr::parse(Bytes{0x80, 0xfd});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->protocol, ppp::kCcp);
  EXPECT_TRUE(empty->payload.empty());
}

TEST(PppTest, PfcIsIgnoredForProtocolsAbove255) {
  PppRepr r;
  r.protocol = ppp::kIpcp;
  r.acf = false;
  r.pfc = true;
  EXPECT_EQ(r.header_len(), 2u);
  Bytes out(2);
  r.emit(out.data());
  EXPECT_EQ(out, Bytes({0x80, 0x21}));
}

TEST(PppTest, ReservedFfIsNeverCompressed) {
  // 00 ff parses (two bytes are unambiguous), but its one-byte form would
  // be an address field without control, so emit keeps two bytes.
  auto f = PppRepr::parse(Bytes{0x00, 0xff, 0x01});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->protocol, ppp::kReservedFf);
  PppRepr r;
  r.protocol = ppp::kReservedFf;
  r.acf = false;
  r.pfc = true;
  EXPECT_EQ(r.header_len(), 2u);
  Bytes out(2);
  r.emit(out.data());
  EXPECT_EQ(out, Bytes({0x00, 0xff}));
  EXPECT_FALSE(PppRepr::for_link(ppp::kReservedFf, true, true).pfc);
}

TEST(PppTest, ForLinkFollowsTheSendingRules) {
  // Nothing negotiated: ff 03 and two bytes (RFC 1661 6.5, 6.6 defaults).
  PppRepr plain = PppRepr::for_link(ppp::kIp4, false, false);
  EXPECT_TRUE(plain.acf);
  EXPECT_FALSE(plain.pfc);
  EXPECT_EQ(plain.header_len(), 4u);
  // Both negotiated: a data protocol shrinks to one byte.
  PppRepr both = PppRepr::for_link(ppp::kCompressed, true, true);
  EXPECT_FALSE(both.acf);
  EXPECT_TRUE(both.pfc);
  Bytes one(1);
  both.emit(one.data());
  EXPECT_EQ(one, Bytes({0xfd}));
  // LCP keeps ff 03 and two bytes whatever was negotiated.
  PppRepr lcp = PppRepr::for_link(ppp::kLcp, true, true);
  EXPECT_TRUE(lcp.acf);
  EXPECT_FALSE(lcp.pfc);
  Bytes four(4);
  lcp.emit(four.data());
  EXPECT_EQ(four, Bytes({0xff, 0x03, 0xc0, 0x21}));
  // Other control protocols lose ff 03 but keep two bytes.
  PppRepr ccp = PppRepr::for_link(ppp::kCcp, true, true);
  EXPECT_FALSE(ccp.acf);
  EXPECT_FALSE(ccp.pfc);
  EXPECT_EQ(ccp.header_len(), 2u);
}

TEST(PppTest, RoundTripsEveryProtocolAndForm) {
  const uint16_t protocols[] = {ppp::kIp4, ppp::kIp6, ppp::kCompressed, ppp::kIpcp, ppp::kIp6cp,
                                ppp::kCcp, ppp::kLcp, ppp::kPap,        ppp::kChap, 0x0001,
                                0x4021,    0x00fb,    ppp::kReservedFf};
  for (uint16_t proto : protocols) {
    for (int form = 0; form < 4; form++) {
      PppRepr r;
      r.protocol = proto;
      r.acf = form & 1;
      r.pfc = form & 2;
      Bytes out(r.header_len() + 3, 0x5a);
      r.emit(out.data());
      auto back = PppRepr::parse(out);
      ASSERT_TRUE(back.ok()) << proto << " " << form << ": " << back.error().text();
      EXPECT_EQ(back->protocol, proto);
      EXPECT_EQ(back->acf, r.acf);
      EXPECT_EQ(back->pfc, r.pfc && proto < 0x100 && proto != ppp::kReservedFf);
      EXPECT_EQ(back->header_len(), r.header_len());
      EXPECT_EQ(back->payload.size(), 3u);
    }
  }
}

TEST(PppTest, Errors) {
  struct Bad {
    Bytes frame;
    Err code;
    const char* text;
  };
  const Bad bad[] = {
      {{}, Err::TooShort, "message too short: ppp header"},
      {{0xff, 0x03}, Err::TooShort, "message too short: ppp header"},
      {{0xff}, Err::BadArg, "bad arg in system call: ppp address without control"},
      {{0xff, 0x04, 0x00, 0x21},
       Err::BadArg,
       "bad arg in system call: ppp address without control"},
      {{0xff, 0x03, 0xff, 0x03},
       Err::BadArg,
       "bad arg in system call: ppp address without control"},
      {{0x00}, Err::TooShort, "message too short: ppp protocol"},
      {{0xff, 0x03, 0xc0}, Err::TooShort, "message too short: ppp protocol"},
      {{0x00, 0x20, 0x45}, Err::BadArg, "bad arg in system call: ppp protocol 32"},
      {{0xff, 0x03, 0xc0, 0x22}, Err::BadArg, "bad arg in system call: ppp protocol 49186"},
  };
  for (const Bad& b : bad) {
    auto f = PppRepr::parse(b.frame);
    ASSERT_FALSE(f.ok()) << testing::PrintToString(b.frame);
    EXPECT_EQ(f.error().code(), b.code);
    EXPECT_EQ(f.error().text(), b.text);
  }
}

// PPP frames from the recorded sessions (the tunnel's payload, from the
// byte after the GRE, L2TP or PPPoE header), with what `tshark -r FILE -V`
// decodes for them.

// pptp.pcap frame 46 (GRE payload, the start of its 53 bytes): tshark
// "Protocol: Compressed datagram (0x00fd)", no Address/Control lines: the
// PPTP peers negotiated ACFC and PFC and use both on MPPE data.
const Bytes kPptpMppe = {0xfd, 0x90, 0x00, 0x61, 0x58, 0xb1, 0x90, 0x3f};
// pptp.pcap frame 37: "Protocol: Internet Protocol Control Protocol
// (0x8021)", no Address/Control: ACFC on an NCP, two bytes.
const Bytes kPptpIpcp = {0x80, 0x21, 0x01, 0x01, 0x00, 0x0a, 0x03, 0x06, 0x00, 0x00, 0x00, 0x00};
// pptp.pcap frame 23: "Address: 0xff", "Control: 0x03", "Protocol: Link
// Control Protocol (0xc021)": LCP is never compressed.
const Bytes kPptpLcp = {0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x19};
// l2tp.pcap frame 37: "Address: 0xff", "Control: 0x03", "Protocol:
// Compressed datagram (0x00fd)": the L2TP peers compress nothing.
const Bytes kL2tpMppe = {0xff, 0x03, 0x00, 0xfd, 0x90, 0x00, 0x16, 0x28};
// pppoe.pcap frame 29: "Protocol: Compressed datagram (0x00fd)", no
// Address/Control (PPPoE has none, RFC 2516 section 7), two bytes.
const Bytes kPppoeMppe = {0x00, 0xfd, 0x90, 0x00, 0x92, 0x59, 0x9c, 0x4d};

TEST(PppTest, RecordedFrames) {
  struct Sample {
    const Bytes* frame;
    uint16_t protocol;
    bool acf, pfc;
  };
  const Sample samples[] = {
      {&kPptpMppe, ppp::kCompressed, false, true},   {&kPptpIpcp, ppp::kIpcp, false, false},
      {&kPptpLcp, ppp::kLcp, true, false},           {&kL2tpMppe, ppp::kCompressed, true, false},
      {&kPppoeMppe, ppp::kCompressed, false, false},
  };
  for (const Sample& s : samples) {
    auto f = PppRepr::parse(*s.frame);
    ASSERT_TRUE(f.ok()) << f.error().text();
    EXPECT_EQ(f->protocol, s.protocol);
    EXPECT_EQ(f->acf, s.acf);
    EXPECT_EQ(f->pfc, s.pfc);
    // Re-emitted with the same choices, the header is the recorded one.
    Bytes out(f->header_len());
    f->emit(out.data());
    EXPECT_EQ(out, Bytes(s.frame->begin(), s.frame->begin() + f->header_len()));
  }
  // MPPE's header follows the protocol: 0x9000 is flushed + encrypted,
  // coherency count 0 (RFC 3078 section 3).
  EXPECT_EQ(PppRepr::parse(kPptpMppe)->payload[0], 0x90);
}

}  // namespace
}  // namespace ninet::wire
