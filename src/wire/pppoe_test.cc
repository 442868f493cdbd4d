// Tests for PPPoE (RFC 2516): the header of each discovery code and of the
// session stage, emitted and parsed; Ethernet padding after LENGTH; the tag
// iterator and every malformed tag list; every malformed header; and frames
// from the recorded session /work/shared/peers/samples/pppoe.pcap with the
// fields tshark decodes for them.
#include "wire/pppoe.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wire/ether.h"
#include "wire/ppp.h"

namespace ninet::wire {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes bytes(std::span<const uint8_t> s) {
  return Bytes(s.begin(), s.end());
}
std::string text(std::span<const uint8_t> s) {
  return std::string(s.begin(), s.end());
}

// A PADI with an empty Service-Name (any service) and Host-Uniq 01 02.
const Bytes kPadi = {0x11, 0x09, 0x00, 0x00, 0x00, 0x0a, 0x01, 0x01,
                     0x00, 0x00, 0x01, 0x03, 0x00, 0x02, 0x01, 0x02};
// A session frame for session 0x0042 carrying PPP c0 21 (LCP, no ACF).
const Bytes kSession = {0x11, 0x00, 0x00, 0x42, 0x00, 0x04, 0xc0, 0x21, 0x09, 0x01};

TEST(PppoeTest, ParsesADiscoveryPacket) {
  auto d = PppoeRepr::parse(ethertype::kPppoeDiscovery, kPadi);
  ASSERT_TRUE(d.ok()) << d.error().text();
  EXPECT_EQ(d->code, pppoe::kPadi);
  EXPECT_FALSE(d->session());
  EXPECT_EQ(d->session_id, 0);
  EXPECT_EQ(d->payload.size(), 10u);
  std::vector<uint16_t> types;
  for (PppoeTag t : d->tags())
    types.push_back(t.type);
  EXPECT_EQ(types, std::vector<uint16_t>({pppoe::kServiceName, pppoe::kHostUniq}));
  auto uniq = d->tags().find(pppoe::kHostUniq);
  ASSERT_TRUE(uniq);
  EXPECT_EQ(bytes(uniq->value), Bytes({0x01, 0x02}));
  EXPECT_TRUE(d->tags().find(pppoe::kServiceName)->value.empty());
  EXPECT_FALSE(d->tags().find(pppoe::kAcCookie));
}

TEST(PppoeTest, ParsesASessionFrame) {
  auto s = PppoeRepr::parse(ethertype::kPppoeSession, kSession);
  ASSERT_TRUE(s.ok()) << s.error().text();
  EXPECT_TRUE(s->session());
  EXPECT_EQ(s->session_id, 0x42);
  EXPECT_EQ(s->header_len(), 6u);
  EXPECT_EQ(s->payload.data(), kSession.data() + 6);
  EXPECT_EQ(bytes(s->payload), Bytes({0xc0, 0x21, 0x09, 0x01}));
}

TEST(PppoeTest, EthernetPaddingIsCutOff) {
  // A 14-byte Ethernet header + 10 bytes is padded to 60 (46 after the header).
  Bytes padded = kSession;
  padded.resize(46, 0);
  auto s = PppoeRepr::parse(ethertype::kPppoeSession, padded);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->payload.size(), 4u);
  Bytes padi = kPadi;
  padi.resize(46, 0);
  auto d = PppoeRepr::parse(ethertype::kPppoeDiscovery, padi);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->payload.size(), 10u);
}

TEST(PppoeTest, EveryDiscoveryCode) {
  for (uint8_t code : {pppoe::kPadi, pppoe::kPado, pppoe::kPadr, pppoe::kPads, pppoe::kPadt}) {
    Bytes pkt = {0, 0, 0, 0, 0, 0};
    PppoeRepr{code, uint16_t(code == pppoe::kPads || code == pppoe::kPadt ? 7 : 0), {}}.emit(pkt);
    EXPECT_EQ(pkt[0], 0x11);
    EXPECT_EQ(pkt[1], code);
    auto d = PppoeRepr::parse(ethertype::kPppoeDiscovery, pkt);
    ASSERT_TRUE(d.ok()) << int(code);
    EXPECT_EQ(d->code, code);
    EXPECT_TRUE(d->payload.empty());
    EXPECT_EQ(d->tags().begin(), d->tags().end());
  }
}

TEST(PppoeTest, EmitsInPlace) {
  Bytes out = kSession;
  std::fill(out.begin(), out.begin() + 6, 0xee);
  PppoeRepr{pppoe::kSessionData, 0x42, {}}.emit(out);
  EXPECT_EQ(out, kSession);
  // A discovery packet built with emit_pppoe_tag.
  Bytes pkt(6 + 4 + 4 + 2);
  size_t at = 6;
  at += emit_pppoe_tag(pkt.data() + at, pppoe::kServiceName, {});
  const uint8_t uniq[] = {0x01, 0x02};
  at += emit_pppoe_tag(pkt.data() + at, pppoe::kHostUniq, uniq);
  EXPECT_EQ(at, pkt.size());
  PppoeRepr{pppoe::kPadi, 0, {}}.emit(pkt);
  EXPECT_EQ(pkt, kPadi);
}

TEST(PppoeTest, RoundTrips) {
  for (uint16_t sid : {0, 1, 0x1234, 0xfffe}) {
    for (size_t n : {0, 1, 1492}) {
      Bytes out(6 + n, 0x21);
      PppoeRepr{pppoe::kSessionData, sid, {}}.emit(out);
      auto back = PppoeRepr::parse(ethertype::kPppoeSession, out);
      ASSERT_TRUE(back.ok());
      EXPECT_EQ(back->session_id, sid);
      EXPECT_EQ(back->payload.size(), n);
    }
  }
}

TEST(PppoeTest, EndOfListEndsTheTags) {
  // Host-Uniq, End-Of-List, then bytes that are not tags (not even whole).
  const Bytes payload = {0x01, 0x03, 0x00, 0x01, 0xaa, 0x00, 0x00, 0x00, 0x00, 0x99};
  PppoeTags tags(payload);
  EXPECT_TRUE(tags.check().ok());
  size_t n = 0;
  for (PppoeTag t : tags) {
    EXPECT_EQ(t.type, pppoe::kHostUniq);
    n++;
  }
  EXPECT_EQ(n, 1u);
  EXPECT_TRUE(PppoeTags(std::span<const uint8_t>()).check().ok());
}

TEST(PppoeTest, MalformedTags) {
  struct Bad {
    Bytes payload;
    const char* text;
  };
  const Bad bad[] = {
      // A tag header cut short.
      {{0x01}, "message too short: pppoe tag header"},
      {{0x01, 0x01, 0x00, 0x00, 0x01, 0x03, 0x00}, "message too short: pppoe tag header"},
      // A value running past the payload (by one byte, and by a lot).
      {{0x01, 0x03, 0x00, 0x03, 0xaa, 0xbb}, "message too short: pppoe tag 259 length"},
      {{0x01, 0x01, 0x00, 0x00, 0x01, 0x04, 0xff, 0xff, 0x00},
       "message too short: pppoe tag 260 length"},
      // End-Of-List with a length.
      {{0x00, 0x00, 0x00, 0x01, 0xaa}, "bad arg in system call: pppoe end-of-list length"},
  };
  for (const Bad& b : bad) {
    PppoeTags tags(b.payload);
    Status s = tags.check();
    ASSERT_FALSE(s.ok()) << b.text;
    EXPECT_EQ(s.error().text(), b.text);
    // Iteration stops before the bad tag, never past the payload.
    size_t n = 0;
    for (PppoeTag t : tags) {
      EXPECT_LE(t.value.data() + t.value.size(), b.payload.data() + b.payload.size());
      n++;
    }
    EXPECT_LE(n, 1u);
    // In a discovery packet the same list fails parse.
    Bytes pkt(6 + b.payload.size());
    std::copy(b.payload.begin(), b.payload.end(), pkt.begin() + 6);
    PppoeRepr{pppoe::kPado, 0, {}}.emit(pkt);
    auto d = PppoeRepr::parse(ethertype::kPppoeDiscovery, pkt);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().text(), b.text);
  }
  // A session frame's payload is PPP, not tags: not checked.
  Bytes s(6 + 1, 0x01);
  PppoeRepr{pppoe::kSessionData, 1, {}}.emit(s);
  EXPECT_TRUE(PppoeRepr::parse(ethertype::kPppoeSession, s).ok());
}

TEST(PppoeTest, HeaderErrors) {
  struct Bad {
    uint16_t type;
    Bytes pkt;
    const char* text;
  };
  const Bad bad[] = {
      {ethertype::kIp4, kSession, "bad arg in system call: pppoe ethertype 2048"},
      {ethertype::kPppoeSession, {0x11, 0x00, 0x00, 0x42, 0x00}, "message too short: pppoe header"},
      {ethertype::kPppoeSession, {}, "message too short: pppoe header"},
      {ethertype::kPppoeSession,
       {0x21, 0x00, 0x00, 0x42, 0x00, 0x00},
       "bad arg in system call: pppoe version"},
      {ethertype::kPppoeSession,
       {0x12, 0x00, 0x00, 0x42, 0x00, 0x00},
       "bad arg in system call: pppoe version"},
      // Session frames have code 0; discovery has only the five codes.
      {ethertype::kPppoeSession,
       {0x11, 0x09, 0x00, 0x42, 0x00, 0x00},
       "bad arg in system call: pppoe code 9"},
      {ethertype::kPppoeDiscovery,
       {0x11, 0x00, 0x00, 0x42, 0x00, 0x00},
       "bad arg in system call: pppoe code 0"},
      {ethertype::kPppoeDiscovery,
       {0x11, 0x08, 0x00, 0x00, 0x00, 0x00},
       "bad arg in system call: pppoe code 8"},
      // LENGTH past the frame.
      {ethertype::kPppoeSession,
       {0x11, 0x00, 0x00, 0x42, 0x00, 0x05, 0xc0, 0x21, 0x09, 0x01},
       "message too short: pppoe length 5"},
      {ethertype::kPppoeDiscovery,
       {0x11, 0x09, 0x00, 0x00, 0xff, 0xff},
       "message too short: pppoe length 65535"},
  };
  for (const Bad& b : bad) {
    auto r = PppoeRepr::parse(b.type, b.pkt);
    ASSERT_FALSE(r.ok()) << b.text;
    EXPECT_EQ(r.error().text(), b.text);
  }
}

// Frames of /work/shared/peers/samples/pppoe.pcap (pppd's rp-pppoe plugin
// and pppoe-server), whole as captured (the capture saw them before
// Ethernet padding), and what `tshark -r pppoe.pcap -V` says of them.

// Frame 2, PADI: "Version: 1", "Type: 1", "Code: Active Discovery
// Initiation (PADI) (0x09)", "Session ID: 0x0000", "Payload Length: 12",
// tags "Host-Uniq: 84000000" (and an empty Service-Name, which tshark's
// summary leaves out).
const Bytes kFrame2 = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xb2, 0xf2, 0x89, 0xbe, 0x94, 0x98, 0x88, 0x63, 0x11, 0x09,
    0x00, 0x00, 0x00, 0x0c, 0x01, 0x01, 0x00, 0x00, 0x01, 0x03, 0x00, 0x04, 0x84, 0x00, 0x00, 0x00,
};
// Frame 3, PADO: "Code: Active Discovery Offer (PADO) (0x07)", "Session ID:
// 0x0000", "Payload Length: 44", tags "AC-Name: peer", "AC-Cookie:
// 500a02b941c7cef94fecbe5f0b0aaae17e000000", "Host-Uniq: 84000000".
const Bytes kFrame3 = {
    0xb2, 0xf2, 0x89, 0xbe, 0x94, 0x98, 0x96, 0x0e, 0x02, 0x16, 0x60, 0x1f, 0x88, 0x63, 0x11, 0x07,
    0x00, 0x00, 0x00, 0x2c, 0x01, 0x02, 0x00, 0x04, 0x70, 0x65, 0x65, 0x72, 0x01, 0x01, 0x00, 0x00,
    0x01, 0x04, 0x00, 0x14, 0x50, 0x0a, 0x02, 0xb9, 0x41, 0xc7, 0xce, 0xf9, 0x4f, 0xec, 0xbe, 0x5f,
    0x0b, 0x0a, 0xaa, 0xe1, 0x7e, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x04, 0x84, 0x00, 0x00, 0x00,
};
// Frame 5, PADS: "Code: Active Discovery Session-confirmation (PADS)
// (0x65)", "Session ID: 0x0001", "Payload Length: 12", "Host-Uniq: 84000000".
const Bytes kFrame5 = {
    0xb2, 0xf2, 0x89, 0xbe, 0x94, 0x98, 0x96, 0x0e, 0x02, 0x16, 0x60, 0x1f, 0x88, 0x63, 0x11, 0x65,
    0x00, 0x01, 0x00, 0x0c, 0x01, 0x01, 0x00, 0x00, 0x01, 0x03, 0x00, 0x04, 0x84, 0x00, 0x00, 0x00,
};
// Frame 6, session LCP Configure-Request: "Type: PPPoE Session (0x8864)",
// "Code: Session Data (0x00)", "Session ID: 0x0001", "Payload Length: 16";
// PPP "Protocol: Link Control Protocol (0xc021)" (no address/control).
const Bytes kFrame6 = {
    0x96, 0x0e, 0x02, 0x16, 0x60, 0x1f, 0xb2, 0xf2, 0x89, 0xbe, 0x94, 0x98,
    0x88, 0x64, 0x11, 0x00, 0x00, 0x01, 0x00, 0x10, 0xc0, 0x21, 0x01, 0x01,
    0x00, 0x0e, 0x01, 0x04, 0x05, 0xd4, 0x05, 0x06, 0x85, 0x45, 0xf0, 0xb6,
};
// Frame 29, session MPPE data: "Session ID: 0x0001", "Payload Length: 54";
// PPP "Protocol: Compressed datagram (0x00fd)", two bytes.
const Bytes kFrame29 = {
    0x96, 0x0e, 0x02, 0x16, 0x60, 0x1f, 0xb2, 0xf2, 0x89, 0xbe, 0x94, 0x98, 0x88, 0x64, 0x11,
    0x00, 0x00, 0x01, 0x00, 0x36, 0x00, 0xfd, 0x90, 0x00, 0x92, 0x59, 0x9c, 0x4d, 0x9f, 0x81,
    0x79, 0x87, 0x2b, 0xd7, 0xc9, 0xa2, 0xd3, 0xc8, 0x40, 0x22, 0x6d, 0xd1, 0x40, 0x81, 0x62,
    0x39, 0x59, 0x8e, 0x13, 0x30, 0xfb, 0x41, 0x79, 0xe1, 0x1c, 0x3a, 0x10, 0x37, 0x4e, 0xb9,
    0x10, 0xa0, 0x04, 0xd5, 0x01, 0xf9, 0x28, 0xe9, 0xbb, 0xcd, 0x02, 0x2e, 0x50, 0x07,
};

Result<PppoeRepr> parse_frame(const Bytes& frame) {
  auto e = EtherRepr::parse(frame);
  if (!e) return e.error();
  return PppoeRepr::parse(e->type, std::span(frame).subspan(EtherRepr::kLen));
}

TEST(PppoeTest, RecordedDiscovery) {
  auto padi = parse_frame(kFrame2);
  ASSERT_TRUE(padi.ok()) << padi.error().text();
  EXPECT_EQ(padi->code, pppoe::kPadi);
  EXPECT_EQ(padi->session_id, 0x0000);
  EXPECT_EQ(padi->payload.size(), 12u);
  EXPECT_TRUE(padi->tags().find(pppoe::kServiceName)->value.empty());
  EXPECT_EQ(bytes(padi->tags().find(pppoe::kHostUniq)->value), Bytes({0x84, 0, 0, 0}));

  auto pado = parse_frame(kFrame3);
  ASSERT_TRUE(pado.ok());
  EXPECT_EQ(pado->code, pppoe::kPado);
  EXPECT_EQ(pado->session_id, 0x0000);
  EXPECT_EQ(pado->payload.size(), 44u);
  std::vector<uint16_t> types;
  for (PppoeTag t : pado->tags())
    types.push_back(t.type);
  EXPECT_EQ(types, std::vector<uint16_t>(
                       {pppoe::kAcName, pppoe::kServiceName, pppoe::kAcCookie, pppoe::kHostUniq}));
  EXPECT_EQ(text(pado->tags().find(pppoe::kAcName)->value), "peer");
  EXPECT_EQ(bytes(pado->tags().find(pppoe::kAcCookie)->value),
            Bytes({0x50, 0x0a, 0x02, 0xb9, 0x41, 0xc7, 0xce, 0xf9, 0x4f, 0xec,
                   0xbe, 0x5f, 0x0b, 0x0a, 0xaa, 0xe1, 0x7e, 0x00, 0x00, 0x00}));

  auto pads = parse_frame(kFrame5);
  ASSERT_TRUE(pads.ok());
  EXPECT_EQ(pads->code, pppoe::kPads);
  EXPECT_EQ(pads->session_id, 0x0001);
  EXPECT_EQ(pads->payload.size(), 12u);
  EXPECT_EQ(bytes(pads->tags().find(pppoe::kHostUniq)->value), Bytes({0x84, 0, 0, 0}));
}

TEST(PppoeTest, RecordedSession) {
  struct Sample {
    const Bytes* frame;
    size_t len;
    uint16_t protocol;
  };
  for (Sample s : {Sample{&kFrame6, 16, ppp::kLcp}, Sample{&kFrame29, 54, ppp::kCompressed}}) {
    auto r = parse_frame(*s.frame);
    ASSERT_TRUE(r.ok()) << r.error().text();
    EXPECT_TRUE(r->session());
    EXPECT_EQ(r->session_id, 0x0001);
    EXPECT_EQ(r->payload.size(), s.len);
    auto ppp = PppRepr::parse(r->payload);
    ASSERT_TRUE(ppp.ok());
    EXPECT_EQ(ppp->protocol, s.protocol);
    EXPECT_FALSE(ppp->acf);
    EXPECT_FALSE(ppp->pfc);
    // Padded to the Ethernet minimum as a NIC would: the same packet.
    Bytes padded = *s.frame;
    if (padded.size() < EtherRepr::kMinFrame) padded.resize(EtherRepr::kMinFrame, 0);
    auto p = parse_frame(padded);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->payload.size(), s.len);
    // Emitted in front of the recorded payload: the recorded bytes.
    Bytes out(s.frame->begin() + EtherRepr::kLen, s.frame->end());
    std::fill(out.begin(), out.begin() + 6, 0);
    PppoeRepr{pppoe::kSessionData, 0x0001, {}}.emit(out);
    EXPECT_EQ(out, Bytes(s.frame->begin() + EtherRepr::kLen, s.frame->end()));
  }
}

}  // namespace
}  // namespace ninet::wire
