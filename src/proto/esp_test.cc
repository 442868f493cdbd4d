// Tests of the esp directory (esp.h): two stacks on a simulated wire
// (ip/sim_testing.h), a security association from a (outgoing, connect
// 10.0.0.2!SPI) to b (incoming, connect 10.0.0.1!*, its SPI read from
// `local`), with every cipher and integrity algorithm: IPv4 and IPv6
// packets written on a arrive whole on b; header mode; the wire format
// (SPI, sequence numbers from 1, no plaintext on the wire); and the counted
// drops: a replayed packet, one outside the window, a forged ICV, a
// truncated packet, another source, an unknown SPI. Also the ctl refusals
// and the texts.
#include "proto/esp.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "base/checksum.h"
#include "base/endian.h"
#include "ip/sim_testing.h"
#include "wire/ip4.h"

namespace ninet {
namespace {

using Bytes = std::vector<uint8_t>;

// An IPv4 (or IPv6) packet standing for what a tunnel carries: a header's
// first byte and payload bytes; the esp directory looks at the version only.
Bytes inner4(size_t n, uint8_t fill) {
  Bytes p(n, fill);
  p[0] = 0x45;
  return p;
}
Bytes inner6(size_t n, uint8_t fill) {
  Bytes p(n, fill);
  p[0] = 0x60;
  return p;
}

struct EspTest : ::testing::Test {
  simtest::Sim s{"", "", [](Ip& ip) { ip.add_proto(make_esp(ip)); }};
  Proto* ea = s.a.ip.proto("esp");
  Proto* eb = s.b.ip.proto("esp");
  Conv* out = nullptr;  // on a, to b
  Conv* in = nullptr;   // on b, from a
  uint32_t spi = 0;

  Status ctl(Proto* p, Conv* c, std::string_view msg, std::unique_lock<std::mutex>& l) {
    return p->ctl_message(*c, msg, l, nullptr);
  }
  // The SA pair: b's incoming conversation first (it picks the SPI).
  void pair(const std::string& esp, const std::string& ah) {
    in = *eb->clone("b");
    ASSERT_TRUE(ctl(eb, in, "connect 10.0.0.1!*", s.b.l));
    std::string local = eb->local(*in);
    spi = uint32_t(std::stoul(local.substr(local.find('!') + 1)));
    out = *ea->clone("a");
    ASSERT_TRUE(ctl(ea, out, "connect 10.0.0.2!" + std::to_string(spi), s.a.l));
    for (auto [p, c, l] : {std::tuple{ea, out, &s.a.l}, std::tuple{eb, in, &s.b.l}}) {
      auto st = ctl(p, c, "esp " + esp, *l);
      ASSERT_TRUE(st.ok()) << esp << ": " << st.error().text();
      st = ctl(p, c, "ah " + ah, *l);
      ASSERT_TRUE(st.ok()) << ah << ": " << st.error().text();
    }
  }
  Status send(const Bytes& pkt) {
    auto n = ea->write_data(*out, pkt, s.a.l, nullptr);
    if (!n) return n.error();
    EXPECT_EQ(*n, pkt.size());
    return {};
  }
  // What a sent, as IP packets on the wire (before b sees them).
  std::vector<Bytes> wire_out() {
    s.a.ip.flush();
    std::vector<Bytes> v;
    for (auto& f : simtest::take_sent(*s.a.wire))
      if (load16(f.data() + 12) == 0x0800) v.emplace_back(f.begin() + 14, f.end());
    return v;
  }
  // An IP packet from a to b arriving at b, as if from the wire.
  void to_b(const Bytes& ip_packet) {
    Bytes f = {0x52, 0x54, 0, 0, 0, 2, 0x52, 0x54, 0, 0, 0, 1, 0x08, 0x00};
    f.insert(f.end(), ip_packet.begin(), ip_packet.end());
    simtest::frame_in(s.b.ip, s.pool, *s.b.wire, f);
  }
  std::vector<Bytes> read_b() {
    std::vector<Bytes> v;
    for (auto& b : in->rq)
      v.emplace_back(b->data(), b->data() + b->size());
    return v;
  }
  long count(Proto* p, const std::string& name) {
    std::string st = p->stats();
    size_t at = st.find(name + ": ");
    return at == std::string::npos ? -1 : std::stol(st.substr(at + name.size() + 2));
  }
  // Static ARP entries, so that every packet goes straight out.
  void SetUp() override {
    ASSERT_TRUE(s.a.ip.arp_ctl("add 10.0.0.2 525400000002"));
    ASSERT_TRUE(s.b.ip.arp_ctl("add 10.0.0.1 525400000001"));
  }
};

TEST_F(EspTest, EveryAlgorithmPairCarriesIpv4AndIpv6) {
  const char* ciphers[] = {"null", "des_56_cbc 0123456789abcdef",
                           "des3_cbc 0123456789abcdef1122334455667788aabbccddeeff0011",
                           "aes_128_cbc 000102030405060708090a0b0c0d0e0f",
                           "aes_ctr 000102030405060708090a0b0c0d0e0f01020304"};
  const char* auths[] = {"null", "hmac_sha1_96 0102030405060708090a0b0c0d0e0f1011121314",
                         "hmac_md5_96 0102030405060708090a0b0c0d0e0f10",
                         "aes_xcbc_mac_96 000102030405060708090a0b0c0d0e0f"};
  for (const char* c : ciphers)
    for (const char* h : auths) {
      SCOPED_TRACE(std::string(c) + " / " + h);
      pair(c, h);
      const Bytes p4 = inner4(61, 0xa5), p6 = inner6(200, 0x5a);
      ASSERT_TRUE(send(p4));
      ASSERT_TRUE(send(p6));
      s.settle();
      auto got = read_b();
      ASSERT_EQ(got.size(), 2u);
      EXPECT_EQ(got[0], p4);
      EXPECT_EQ(got[1], p6);
      ea->last_close(*out);
      eb->last_close(*in);
    }
  EXPECT_EQ(count(eb, "InPackets"), 40);
  EXPECT_EQ(count(eb, "InAuthFail"), 0);
}

TEST_F(EspTest, TheWireCarriesSpiSequenceAndNoPlaintext) {
  pair("aes_128_cbc 000102030405060708090a0b0c0d0e0f",
       "hmac_sha1_96 0102030405060708090a0b0c0d0e0f1011121314");
  const Bytes p = inner4(100, 0x77);
  ASSERT_TRUE(send(p));
  ASSERT_TRUE(send(p));
  auto w = wire_out();
  ASSERT_EQ(w.size(), 2u);
  for (uint32_t i = 0; i < 2; i++) {
    auto h = wire::Ip4Repr::parse(w[i]);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->proto, 50);
    const uint8_t* e = w[i].data() + 20;
    EXPECT_EQ(load32(e), spi);
    EXPECT_EQ(load32(e + 4), i + 1) << "sequence numbers from 1";
    // 8 header + 16 IV + 112 (100 + 10 pad + 2) + 12 ICV.
    EXPECT_EQ(w[i].size(), 20u + 8 + 16 + 112 + 12);
    EXPECT_EQ(std::search(w[i].begin(), w[i].end(), p.begin() + 1, p.begin() + 17), w[i].end())
        << "the payload does not appear in clear";
  }
  EXPECT_NE(Bytes(w[0].begin() + 28, w[0].begin() + 44),
            Bytes(w[1].begin() + 28, w[1].begin() + 44))
      << "a new IV per packet";
}

TEST_F(EspTest, ReplaysForgeriesAndTruncationsAreCountedDrops) {
  pair("aes_ctr 000102030405060708090a0b0c0d0e0f01020304",
       "hmac_sha1_96 0102030405060708090a0b0c0d0e0f1011121314");
  for (int i = 0; i < 70; i++)
    ASSERT_TRUE(send(inner4(40, uint8_t(i))));
  auto w = wire_out();
  ASSERT_EQ(w.size(), 70u);
  // Deliver 1..3 and 70, then replay 2, and 5 (70 - 65: outside the window).
  for (int i : {0, 1, 2, 69})
    to_b(w[size_t(i)]);
  EXPECT_EQ(read_b().size(), 4u);
  to_b(w[1]);
  EXPECT_EQ(count(eb, "InReplay"), 1);
  to_b(w[4]);
  EXPECT_EQ(count(eb, "InReplay"), 2) << "older than the 64-packet window";
  to_b(w[10]);  // 60 behind 70: inside, never seen
  EXPECT_EQ(read_b().size(), 5u);
  // A flipped bit anywhere after the header fails the ICV, and does not
  // move the window: the genuine packet is accepted afterwards.
  Bytes forged = w[20];
  forged[40] ^= 1;
  to_b(forged);
  EXPECT_EQ(count(eb, "InAuthFail"), 1);
  to_b(w[20]);
  EXPECT_EQ(read_b().size(), 6u);
  // Truncated: cut into the ICV, and to less than a header.
  Bytes cut = w[30];
  cut.resize(cut.size() - 5);
  store16(cut.data() + 2, uint16_t(cut.size()));
  store16(cut.data() + 10, 0);
  store16(cut.data() + 10, csum_fold(csum_partial(cut.data(), 20, 0)));
  to_b(cut);
  EXPECT_EQ(count(eb, "InAuthFail"), 2) << "a shortened packet's ICV is the wrong bytes";
  Bytes stub(w[31].begin(), w[31].begin() + 26);
  store16(stub.data() + 2, uint16_t(stub.size()));
  store16(stub.data() + 10, 0);
  store16(stub.data() + 10, csum_fold(csum_partial(stub.data(), 20, 0)));
  to_b(stub);
  EXPECT_EQ(count(eb, "InMalformed"), 1);
  EXPECT_EQ(read_b().size(), 6u) << "nothing dropped reached the reader";
}

TEST_F(EspTest, OnlyItsSpiAndSourceReachAnSa) {
  pair("null", "hmac_md5_96 0102030405060708090a0b0c0d0e0f10");
  ASSERT_TRUE(send(inner4(40, 1)));
  auto w = wire_out();
  ASSERT_EQ(w.size(), 1u);
  Bytes other_spi = w[0];
  store32(other_spi.data() + 20, spi + 1);
  to_b(other_spi);
  Bytes other_src = w[0];
  store32(other_src.data() + 12, 0x0a000009);  // 10.0.0.9
  store16(other_src.data() + 10, 0);
  store16(other_src.data() + 10, csum_fold(csum_partial(other_src.data(), 20, 0)));
  to_b(other_src);
  EXPECT_EQ(count(eb, "InNoSa"), 2);
  EXPECT_TRUE(read_b().empty());
  to_b(w[0]);
  EXPECT_EQ(read_b().size(), 1u);
}

TEST_F(EspTest, HeaderModeCarriesTheNextHeader) {
  pair("aes_128_cbc 000102030405060708090a0b0c0d0e0f", "null");
  ASSERT_TRUE(ctl(ea, out, "header", s.a.l));
  ASSERT_TRUE(ctl(eb, in, "header", s.b.l));
  Bytes w = {4, 0xff, 0xff, 0xff};  // next header 4; the rest ignored
  const Bytes p = inner4(33, 9);
  w.insert(w.end(), p.begin(), p.end());
  ASSERT_TRUE(send(w));
  s.settle();
  auto got = read_b();
  ASSERT_EQ(got.size(), 1u);
  Bytes want = {4, 0, 0, 0};
  want.insert(want.end(), p.begin(), p.end());
  EXPECT_EQ(got[0], want);
  ASSERT_TRUE(ctl(eb, in, "noheader", s.b.l));
  ASSERT_TRUE(send(w));
  s.settle();
  EXPECT_EQ(read_b().back(), p);
}

TEST_F(EspTest, CtlRefusalsAndTexts) {
  Conv* c = *ea->clone("a");
  struct Case {
    const char* msg;
    Err code;
  } cases[] = {
      {"connect 10.0.0.2", Err::BadArg},
      {"connect 10.0.0.2!0", Err::BadPort},
      {"connect 10.0.0.2!4294967296", Err::BadPort},
      {"connect x!7", Err::BadIp},
      {"announce 7", Err::NotSupported},
      {"esp null", Err::NotConnected},
      {"frob", Err::BadCtl},
  };
  for (const Case& k : cases) {
    auto st = ctl(ea, c, k.msg, s.a.l);
    ASSERT_FALSE(st.ok()) << k.msg;
    EXPECT_EQ(st.error().code(), k.code) << k.msg << ": " << st.error().text();
  }
  ASSERT_TRUE(ctl(ea, c, "connect 10.0.0.2!4294967295", s.a.l));
  EXPECT_EQ(ea->remote(*c), "10.0.0.2!4294967295\n");
  EXPECT_EQ(ea->local(*c), "10.0.0.1!0\n");
  EXPECT_EQ(ea->status(*c), "Datagram Connected qin 0 qout 0\n");
  for (const char* bad : {"esp rc4 00", "esp aes_128_cbc 0011", "esp aes_128_cbc 0x00",
                          "ah hmac_sha1_96 zz", "ah hmac_sha256 00"}) {
    auto st = ctl(ea, c, bad, s.a.l);
    EXPECT_FALSE(st.ok()) << bad;
  }
  uint8_t buf[16];
  auto r = c->read(s.a.l, buf, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0u) << "an outgoing SA reads end of file";
  Conv* i = *ea->clone("a");
  ASSERT_TRUE(ctl(ea, i, "connect 10.0.0.2!*", s.a.l));
  EXPECT_EQ(ea->remote(*i), "10.0.0.2!*\n");
  auto w = ea->write_data(*i, inner4(20, 0), s.a.l, nullptr);
  EXPECT_FALSE(w.ok()) << "an incoming SA only reads";
  EXPECT_FALSE(ea->write_data(*c, Bytes{0x15, 0, 0}, s.a.l, nullptr).ok()) << "not IP";
}

}  // namespace
}  // namespace ninet
