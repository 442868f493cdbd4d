// Tests for the L2TPv2 header (RFC 2661 section 3.1): literal messages for
// each combination of the L, S, O and P bits, data and control, emitted and
// parsed; round trips; every malformed header; and messages from the
// recorded session /work/shared/peers/samples/l2tp.pcap with the fields
// tshark decodes for them.
#include "wire/l2tp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "wire/ether.h"
#include "wire/ip4.h"
#include "wire/ppp.h"
#include "wire/udp.h"

namespace ninet::wire {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes bytes(std::span<const uint8_t> s) {
  return Bytes(s.begin(), s.end());
}

// Data messages for tunnel 0x1234, session 0x5678, carrying ff 03 00 21.
const Bytes kBare = {0x00, 0x02, 0x12, 0x34, 0x56, 0x78, 0xff, 0x03, 0x00, 0x21};
// L: Length 12 (the whole message).
const Bytes kLength = {0x40, 0x02, 0x00, 0x0c, 0x12, 0x34, 0x56, 0x78, 0xff, 0x03, 0x00, 0x21};
// S: Ns 7, Nr 9.
const Bytes kSeq = {0x08, 0x02, 0x12, 0x34, 0x56, 0x78, 0x00,
                    0x07, 0x00, 0x09, 0xff, 0x03, 0x00, 0x21};
// L and S: the layout pipex sends with PIPEX_L2TP_USE_SEQUENCING.
const Bytes kLengthSeq = {0x48, 0x02, 0x00, 0x10, 0x12, 0x34, 0x56, 0x78,
                          0x00, 0x07, 0x00, 0x09, 0xff, 0x03, 0x00, 0x21};
// O: Offset Size 3, then 3 pad bytes (contents undefined), then the payload.
const Bytes kOffset = {0x02, 0x02, 0x12, 0x34, 0x56, 0x78, 0x00, 0x03,
                       0xaa, 0xbb, 0xcc, 0xff, 0x03, 0x00, 0x21};
// P, with L, S and O: every optional field (Offset Size 0).
const Bytes kAll = {0x4b, 0x02, 0x00, 0x12, 0x12, 0x34, 0x56, 0x78, 0x00,
                    0x07, 0x00, 0x09, 0x00, 0x00, 0xff, 0x03, 0x00, 0x21};
// A control message (T, L, S): a Hello's Message Type AVP (RFC 2661 4.4.1,
// 6.5), Ns 3, Nr 4, session 0.
const Bytes kControl = {0xc8, 0x02, 0x00, 0x14, 0x12, 0x34, 0x00, 0x00, 0x00, 0x03,
                        0x00, 0x04, 0x80, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06};

struct Case {
  const Bytes* msg;
  bool control, has_length, has_seq, priority;
  std::optional<uint16_t> offset;
  size_t header_len;
};
const Case kCases[] = {
    {&kBare, false, false, false, false, std::nullopt, 6},
    {&kLength, false, true, false, false, std::nullopt, 8},
    {&kSeq, false, false, true, false, std::nullopt, 10},
    {&kLengthSeq, false, true, true, false, std::nullopt, 12},
    {&kOffset, false, false, false, false, 3, 11},
    {&kAll, false, true, true, true, 0, 14},
    {&kControl, true, true, true, false, std::nullopt, 12},
};

TEST(L2tpTest, ParsesEachLayout) {
  for (const Case& c : kCases) {
    auto m = L2tpRepr::parse(*c.msg);
    ASSERT_TRUE(m.ok()) << m.error().text();
    EXPECT_EQ(m->control, c.control);
    EXPECT_EQ(m->has_length, c.has_length);
    EXPECT_EQ(m->has_seq, c.has_seq);
    EXPECT_EQ(m->priority, c.priority);
    EXPECT_EQ(m->offset, c.offset);
    EXPECT_EQ(m->tunnel_id, 0x1234);
    EXPECT_EQ(m->header_len(), c.header_len);
    EXPECT_EQ(m->payload.data(), c.msg->data() + c.header_len);
    EXPECT_EQ(m->payload.size(), c.msg->size() - c.header_len);
    if (!c.control) {
      EXPECT_EQ(m->session_id, 0x5678);
      EXPECT_EQ(bytes(m->payload), Bytes({0xff, 0x03, 0x00, 0x21}));
    }
    if (c.has_seq) {
      EXPECT_EQ(m->ns, c.control ? 3 : 7);
      EXPECT_EQ(m->nr, c.control ? 4 : 9);
    }
  }
}

TEST(L2tpTest, EmitsEachLayoutInPlace) {
  for (const Case& c : kCases) {
    L2tpRepr r;
    r.control = c.control;
    r.has_length = c.has_length;
    r.has_seq = c.has_seq;
    r.priority = c.priority;
    r.offset = c.offset;
    r.tunnel_id = 0x1234;
    r.session_id = c.control ? 0 : 0x5678;
    r.ns = c.control ? 3 : 7;
    r.nr = c.control ? 4 : 9;
    ASSERT_EQ(r.header_len(), c.header_len);
    // The payload sits behind headroom of garbage; emit fills the header.
    Bytes out = *c.msg;
    std::fill(out.begin(), out.begin() + long(c.header_len), 0xee);
    r.emit(out);
    Bytes want = *c.msg;
    if (c.offset) std::fill(want.begin() + 8, want.begin() + 8 + *c.offset, 0);  // pad: zeros
    EXPECT_EQ(out, want);
  }
}

TEST(L2tpTest, RoundTripsEveryFlagCombination) {
  for (int bits = 0; bits < 32; bits++) {
    L2tpRepr r;
    r.has_length = bits & 1;
    r.has_seq = bits & 2;
    r.priority = bits & 4;
    if (bits & 8) r.offset = uint16_t(bits & 16 ? 5 : 0);
    r.tunnel_id = 0xfedc;
    r.session_id = 0xba98;
    r.ns = 0xffff;
    r.nr = 1;
    Bytes out(r.header_len() + 7, 0x77);
    r.emit(out);
    auto back = L2tpRepr::parse(out);
    ASSERT_TRUE(back.ok()) << bits << ": " << back.error().text();
    EXPECT_FALSE(back->control);
    EXPECT_EQ(back->has_length, r.has_length);
    EXPECT_EQ(back->has_seq, r.has_seq);
    EXPECT_EQ(back->priority, r.priority);
    EXPECT_EQ(back->offset, r.offset);
    EXPECT_EQ(back->tunnel_id, 0xfedc);
    EXPECT_EQ(back->session_id, 0xba98);
    if (r.has_seq) {
      EXPECT_EQ(back->ns, 0xffff);
      EXPECT_EQ(back->nr, 1);
    }
    EXPECT_EQ(bytes(back->payload), Bytes(7, 0x77));
  }
}

TEST(L2tpTest, ReservedBitsAreIgnored) {
  Bytes m = kBare;
  m[0] |= 0x34;  // the x bits of the first byte
  m[1] |= 0xf0;  // and of the second
  auto r = L2tpRepr::parse(m);
  ASSERT_TRUE(r.ok()) << r.error().text();
  EXPECT_FALSE(r->has_length);
  EXPECT_FALSE(r->has_seq);
  EXPECT_EQ(r->payload.size(), 4u);
}

TEST(L2tpTest, BytesAfterTheLengthAreNotTheMessage) {
  Bytes m = kLength;
  m.insert(m.end(), {0, 0, 0});
  auto r = L2tpRepr::parse(m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(bytes(r->payload), Bytes({0xff, 0x03, 0x00, 0x21}));
}

TEST(L2tpTest, EmptyPayloads) {
  // A control message of only a header is a ZLB acknowledgment (RFC 2661 5.8).
  Bytes zlb = {0xc8, 0x02, 0x00, 0x0c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x06};
  auto z = L2tpRepr::parse(zlb);
  ASSERT_TRUE(z.ok());
  EXPECT_TRUE(z->control);
  EXPECT_TRUE(z->payload.empty());
  // The offset pad may end exactly at the end of the message.
  Bytes pad = {0x02, 0x02, 0x00, 0x01, 0x00, 0x02, 0x00, 0x02, 0xaa, 0xbb};
  auto p = L2tpRepr::parse(pad);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->offset, 2);
  EXPECT_TRUE(p->payload.empty());
}

TEST(L2tpTest, Errors) {
  struct Bad {
    Bytes msg;
    const char* text;
  };
  const Bad bad[] = {
      {{}, "message too short: l2tp header"},
      {{0x00}, "message too short: l2tp header"},
      // Ver 3 is L2TPv3 (RFC 3931), 1 is L2F; only 2 is ours.
      {{0x00, 0x03, 0x12, 0x34, 0x56, 0x78}, "bad arg in system call: l2tp version 3"},
      {{0x00, 0x01, 0x12, 0x34, 0x56, 0x78}, "bad arg in system call: l2tp version 1"},
      {{0xc8, 0x00, 0x00, 0x0c, 0x12, 0x34, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
       "bad arg in system call: l2tp version 0"},
      // Control messages need L and S and must not have O.
      {{0x88, 0x02, 0x12, 0x34, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
       "bad arg in system call: l2tp control message flags"},
      {{0xc0, 0x02, 0x00, 0x08, 0x12, 0x34, 0x00, 0x00},
       "bad arg in system call: l2tp control message flags"},
      {{0xca, 0x02, 0x00, 0x0e, 0x12, 0x34, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
       "bad arg in system call: l2tp control message flags"},
      // The header cut short, for each optional field.
      {{0x00, 0x02, 0x12, 0x34, 0x56}, "message too short: l2tp header"},
      {{0x40, 0x02, 0x00, 0x08, 0x12, 0x34, 0x56}, "message too short: l2tp header"},
      {{0x08, 0x02, 0x12, 0x34, 0x56, 0x78, 0x00, 0x01, 0x00}, "message too short: l2tp header"},
      {{0x02, 0x02, 0x12, 0x34, 0x56, 0x78, 0x00}, "message too short: l2tp header"},
      // Length shorter than the header, longer than the bytes.
      {{0x40, 0x02, 0x00, 0x07, 0x12, 0x34, 0x56, 0x78}, "bad arg in system call: l2tp length 7"},
      {{0x48, 0x02, 0x00, 0x0b, 0x12, 0x34, 0x56, 0x78, 0x00, 0x01, 0x00, 0x02},
       "bad arg in system call: l2tp length 11"},
      {{0x40, 0x02, 0x00, 0x0d, 0x12, 0x34, 0x56, 0x78, 0xff, 0x03, 0x00, 0x21},
       "message too short: l2tp length 13"},
      // The offset pad past the end of the bytes, or of Length.
      {{0x02, 0x02, 0x12, 0x34, 0x56, 0x78, 0x00, 0x03, 0xaa, 0xbb},
       "message too short: l2tp offset 3"},
      {{0x42, 0x02, 0x00, 0x0b, 0x12, 0x34, 0x56, 0x78, 0x00, 0x04, 0xaa, 0xbb, 0xcc, 0xdd},
       "message too short: l2tp offset 4"},
      {{0x02, 0x02, 0x12, 0x34, 0x56, 0x78, 0xff, 0xff, 0xaa},
       "message too short: l2tp offset 65535"},
  };
  for (const Bad& b : bad) {
    auto m = L2tpRepr::parse(b.msg);
    ASSERT_FALSE(m.ok()) << b.text;
    EXPECT_EQ(m.error().text(), b.text);
  }
}

// Frames of /work/shared/peers/samples/l2tp.pcap (xl2tpd with the kernel's
// L2TP on both ends), whole as captured, and what `tshark -r l2tp.pcap -V`
// says of them.

// Frame 8, SCCRQ: "Flags: 0xc802, Type: Control Message, Length Bit,
// Sequence Bit", "Length: 101", "Tunnel ID: 0", "Session ID: 0", "Ns: 0",
// "Nr: 0", then AVPs starting with Control Message AVP (type 1, SCCRQ).
const Bytes kFrame8 = {
    0x06, 0x9a, 0x10, 0x28, 0x21, 0x71, 0x1a, 0xf4, 0x19, 0x52, 0x34, 0x60, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x81, 0x33, 0x71, 0x40, 0x00, 0x40, 0x11, 0xf2, 0xec, 0x0a, 0x06, 0x00, 0x02, 0x0a, 0x06,
    0x00, 0x01, 0x06, 0xa5, 0x06, 0xa5, 0x00, 0x6d, 0x00, 0x00, 0xc8, 0x02, 0x00, 0x65, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x80, 0x08,
    0x00, 0x00, 0x00, 0x02, 0x01, 0x00, 0x80, 0x0a, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x03,
    0x80, 0x0a, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x06,
    0x06, 0x90, 0x80, 0x0a, 0x00, 0x00, 0x00, 0x07, 0x70, 0x65, 0x65, 0x72, 0x00, 0x13, 0x00, 0x00,
    0x00, 0x08, 0x78, 0x65, 0x6c, 0x65, 0x72, 0x61, 0x6e, 0x63, 0x65, 0x2e, 0x63, 0x6f, 0x6d, 0x80,
    0x08, 0x00, 0x00, 0x00, 0x09, 0xde, 0x50, 0x80, 0x08, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x04,
};
// Frame 16, a ZLB: "Flags: 0xc802", "Length: 12", "Tunnel ID: 56912",
// "Session ID: 34789", "Ns: 2", "Nr: 4", "Zero Length Body message".
const Bytes kFrame16 = {
    0x1a, 0xf4, 0x19, 0x52, 0x34, 0x60, 0x06, 0x9a, 0x10, 0x28, 0x21, 0x71, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x28, 0xcc, 0x68, 0x40, 0x00, 0x40, 0x11, 0x5a, 0x4e, 0x0a, 0x06,
    0x00, 0x01, 0x0a, 0x06, 0x00, 0x02, 0x06, 0xa5, 0x06, 0xa5, 0x00, 0x14, 0x00, 0x00,
    0xc8, 0x02, 0x00, 0x0c, 0xde, 0x50, 0x87, 0xe5, 0x00, 0x02, 0x00, 0x04,
};
// Frame 17, LCP Configure-Request: "Flags: 0x0002, Type: Data Message",
// "Tunnel ID: 28444", "Session ID: 53278"; PPP "Address: 0xff", "Control:
// 0x03", "Protocol: Link Control Protocol (0xc021)". No length, no Ns/Nr.
const Bytes kFrame17 = {
    0x06, 0x9a, 0x10, 0x28, 0x21, 0x71, 0x1a, 0xf4, 0x19, 0x52, 0x34, 0x60, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x36, 0xea, 0xf1, 0x00, 0x00, 0x40, 0x11, 0x7b, 0xb7, 0x0a, 0x06,
    0x00, 0x02, 0x0a, 0x06, 0x00, 0x01, 0x06, 0xa5, 0x06, 0xa5, 0x00, 0x22, 0x00, 0x00,
    0x00, 0x02, 0x6f, 0x1c, 0xd0, 0x1e, 0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x10,
    0x02, 0x06, 0x00, 0x00, 0x00, 0x00, 0x05, 0x06, 0xfe, 0x98, 0x56, 0x5a,
};
// Frame 37, MPPE data: "Flags: 0x0002, Type: Data Message", "Tunnel ID:
// 28444", "Session ID: 53278"; PPP "Address: 0xff", "Control: 0x03",
// "Protocol: Compressed datagram (0x00fd)"; UDP "Length: 70".
const Bytes kFrame37 = {
    0x06, 0x9a, 0x10, 0x28, 0x21, 0x71, 0x1a, 0xf4, 0x19, 0x52, 0x34, 0x60, 0x08, 0x00, 0x45,
    0x00, 0x00, 0x5a, 0xea, 0xfb, 0x00, 0x00, 0x40, 0x11, 0x7b, 0x89, 0x0a, 0x06, 0x00, 0x02,
    0x0a, 0x06, 0x00, 0x01, 0x06, 0xa5, 0x06, 0xa5, 0x00, 0x46, 0x00, 0x00, 0x00, 0x02, 0x6f,
    0x1c, 0xd0, 0x1e, 0xff, 0x03, 0x00, 0xfd, 0x90, 0x00, 0x16, 0x28, 0x60, 0x4e, 0x97, 0xc8,
    0x08, 0xa2, 0x3a, 0x8c, 0x71, 0x68, 0x47, 0x38, 0x95, 0x3c, 0x3f, 0x7e, 0xa7, 0x5f, 0xed,
    0xc2, 0x20, 0x5a, 0x1b, 0x34, 0xc0, 0x92, 0x78, 0x20, 0xea, 0x3a, 0xde, 0x21, 0xee, 0x1b,
    0x94, 0x39, 0x30, 0xd5, 0x0f, 0xd8, 0xb0, 0x1e, 0x90, 0xc7, 0xf6, 0x1c, 0x8b, 0xab,
};

// The UDP payload of a captured frame, through the Ethernet, IPv4 and UDP
// parsers (the samples' UDP checksums are zero: none, over IPv4).
std::span<const uint8_t> l2tp_of(const Bytes& frame) {
  auto e = EtherRepr::parse(frame);
  EXPECT_TRUE(e && e->type == ethertype::kIp4);
  auto ip_bytes = std::span(frame).subspan(EtherRepr::kLen);
  auto ip = Ip4Repr::parse(ip_bytes);
  EXPECT_TRUE(ip.ok() && ip->proto == ipproto::kUdp);
  if (!ip) return {};
  auto u = UdpRepr::parse(ip->src, ip->dst, ip_bytes.subspan(ip->header_len, ip->payload_len()));
  EXPECT_TRUE(u.ok() && u->src_port == l2tp::kPort && u->dst_port == l2tp::kPort);
  if (!u) return {};
  return u->data;
}

TEST(L2tpTest, RecordedControlMessages) {
  auto sccrq = L2tpRepr::parse(l2tp_of(kFrame8));
  ASSERT_TRUE(sccrq.ok()) << sccrq.error().text();
  EXPECT_TRUE(sccrq->control);
  EXPECT_TRUE(sccrq->has_length);
  EXPECT_TRUE(sccrq->has_seq);
  EXPECT_FALSE(sccrq->offset);
  EXPECT_EQ(sccrq->tunnel_id, 0);
  EXPECT_EQ(sccrq->session_id, 0);
  EXPECT_EQ(sccrq->ns, 0);
  EXPECT_EQ(sccrq->nr, 0);
  EXPECT_EQ(sccrq->header_len() + sccrq->payload.size(), 101u);
  // The first AVP: M bit, length 8, vendor 0, type 0 (Message Type), value 1 (SCCRQ).
  EXPECT_EQ(bytes(sccrq->payload.first(8)), Bytes({0x80, 0x08, 0, 0, 0, 0, 0, 1}));

  auto zlb = L2tpRepr::parse(l2tp_of(kFrame16));
  ASSERT_TRUE(zlb.ok());
  EXPECT_TRUE(zlb->control);
  EXPECT_EQ(zlb->tunnel_id, 56912);
  EXPECT_EQ(zlb->session_id, 34789);
  EXPECT_EQ(zlb->ns, 2);
  EXPECT_EQ(zlb->nr, 4);
  EXPECT_TRUE(zlb->payload.empty());
}

TEST(L2tpTest, RecordedDataMessages) {
  auto lcp = L2tpRepr::parse(l2tp_of(kFrame17));
  ASSERT_TRUE(lcp.ok()) << lcp.error().text();
  EXPECT_FALSE(lcp->control);
  EXPECT_FALSE(lcp->has_length);  // flags 0x0002, as NOTES.md says Linux sends
  EXPECT_FALSE(lcp->has_seq);
  EXPECT_FALSE(lcp->offset);
  EXPECT_FALSE(lcp->priority);
  EXPECT_EQ(lcp->tunnel_id, 28444);
  EXPECT_EQ(lcp->session_id, 53278);
  auto ppp = PppRepr::parse(lcp->payload);
  ASSERT_TRUE(ppp.ok());
  EXPECT_EQ(ppp->protocol, ppp::kLcp);
  EXPECT_TRUE(ppp->acf);

  auto data = L2tpRepr::parse(l2tp_of(kFrame37));
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->tunnel_id, 28444);
  EXPECT_EQ(data->session_id, 53278);
  EXPECT_EQ(data->payload.size(), 70u - 8 - 6);  // UDP length - UDP header - L2TP header
  auto mppe = PppRepr::parse(data->payload);
  ASSERT_TRUE(mppe.ok());
  EXPECT_EQ(mppe->protocol, ppp::kCompressed);
  EXPECT_TRUE(mppe->acf);
  EXPECT_FALSE(mppe->pfc);

  // The same header emitted in front of the recorded payload gives the
  // recorded bytes.
  std::span<const uint8_t> rec = l2tp_of(kFrame37);
  Bytes out(rec.begin(), rec.end());
  L2tpRepr h;
  h.tunnel_id = 28444;
  h.session_id = 53278;
  std::fill(out.begin(), out.begin() + 6, 0);
  h.emit(out);
  EXPECT_EQ(out, bytes(rec));
}

}  // namespace
}  // namespace ninet::wire
