// Tests for Ipaddr and Mac: text forms (RFC 4291 section 2.2 parsing, RFC
// 5952 printing), v4-mapped addresses, masks and their text, predicates,
// solicited-node and EUI-64 link-local addresses, and bad input.
#include "base/ipaddr.h"

#include <gtest/gtest.h>

#include <random>

namespace ninet {
namespace {

std::string roundtrip(std::string_view s) {
  auto a = Ipaddr::parse(s);
  if (!a) return "error: " + a.error().text();
  return a->str();
}

TEST(IpaddrTest, ParsesV4AsV4Mapped) {
  auto a = Ipaddr::parse("10.0.0.1");
  ASSERT_TRUE(a.ok());
  const uint8_t want[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
  EXPECT_EQ(std::memcmp(a->data(), want, 16), 0);
  EXPECT_TRUE(a->is_v4());
  EXPECT_EQ(a->v4(), 0x0a000001u);
  EXPECT_EQ(*a, Ipaddr::v4(10, 0, 0, 1));
  EXPECT_EQ(*a, Ipaddr::v4(0x0a000001));
  const uint8_t net[4] = {10, 0, 0, 1};
  EXPECT_EQ(*a, Ipaddr::from_v4_bytes(net));
  EXPECT_EQ(std::memcmp(a->v4_bytes(), net, 4), 0);
  EXPECT_EQ(a->str(), "10.0.0.1");
}

TEST(IpaddrTest, V4TextRoundTrips) {
  for (const char* s :
       {"0.0.0.0", "1.2.3.4", "127.0.0.1", "192.168.255.254", "255.255.255.255", "224.0.0.22"})
    EXPECT_EQ(roundtrip(s), s);
  EXPECT_EQ(roundtrip("010.001.000.009"), "10.1.0.9");  // leading zeros are decimal
}

TEST(IpaddrTest, RejectsBadV4) {
  for (const char* s : {"", "1", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.256", "1..2.3", ".1.2.3",
                        "1.2.3.", "a.b.c.d", " 1.2.3.4", "1.2.3.4 ", "1.2.3.-4", "1.2.3.4/24",
                        "0001.2.3.4", "1.2.3.0x4", "999999999999.1.1.1"}) {
    auto a = Ipaddr::parse(s);
    ASSERT_FALSE(a.ok()) << s;
    EXPECT_EQ(a.error().code(), Err::BadIp) << s;
  }
}

TEST(IpaddrTest, ParsesV6Forms) {
  auto a = Ipaddr::parse("2001:db8::1");
  ASSERT_TRUE(a.ok());
  const uint8_t want[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(std::memcmp(a->data(), want, 16), 0);
  EXPECT_FALSE(a->is_v4());
  // The same address in every RFC 4291 2.2 form.
  for (const char* s : {"2001:db8:0:0:0:0:0:1", "2001:0db8:0000:0000:0000:0000:0000:0001",
                        "2001:DB8::1", "2001:db8:0::1", "2001:db8::0:0:1"})
    EXPECT_EQ(*Ipaddr::parse(s), *a) << s;
  EXPECT_EQ(*Ipaddr::parse("::"), Ipaddr());
  EXPECT_EQ(*Ipaddr::parse("0:0:0:0:0:0:0:0"), Ipaddr());
  Ipaddr one;
  one[15] = 1;
  EXPECT_EQ(*Ipaddr::parse("::1"), one);
  // A trailing dotted quad fills the last 32 bits.
  Ipaddr nat64 = *Ipaddr::parse("64:ff9b::192.0.2.33");
  EXPECT_EQ(nat64[1], 0x64);
  EXPECT_EQ(nat64[12], 192);
  EXPECT_EQ(nat64[15], 33);
  EXPECT_EQ(*Ipaddr::parse("1:2:3:4:5:6:1.2.3.4"), *Ipaddr::parse("1:2:3:4:5:6:102:304"));
}

TEST(IpaddrTest, V4MappedTextIsV4) {
  auto a = Ipaddr::parse("::ffff:10.0.0.1");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->is_v4());
  EXPECT_EQ(*a, Ipaddr::v4(10, 0, 0, 1));
  EXPECT_EQ(a->str(), "10.0.0.1");  // printed as Plan 9 does, dotted
  EXPECT_EQ(*Ipaddr::parse("::ffff:a00:1"), *a);
  EXPECT_EQ(*Ipaddr::parse("0:0:0:0:0:ffff:10.0.0.1"), *a);
  // v4-compatible (deprecated) and NAT64 addresses are not v4.
  EXPECT_FALSE(Ipaddr::parse("::10.0.0.1")->is_v4());
  EXPECT_EQ(roundtrip("::10.0.0.1"), "::a00:1");
}

TEST(IpaddrTest, PrintsRfc5952CanonicalText) {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},  // 4.1 leading zeros
      {"2001:db8:0:0:0:0:2:1", "2001:db8::2:1"},                   // 4.2.1 longest
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},            // 4.2.2 one 0 stays
      {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},                     // 4.2.3 longest run
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},               // 4.2.3 first of equals
      {"2001:DB8::AbCd", "2001:db8::abcd"},                        // 4.3 lowercase
      {"0:0:0:0:0:0:0:0", "::"},
      {"0:0:0:0:0:0:0:1", "::1"},
      {"1:0:0:0:0:0:0:0", "1::"},
      {"1:0:0:0:0:0:0:1", "1::1"},
      {"0:1:0:1:0:1:0:1", "0:1:0:1:0:1:0:1"},
      {"0:0:1:0:0:0:0:1", "0:0:1::1"},
      {"1:0:0:2:0:0:3:4", "1::2:0:0:3:4"},
      {"fe80::1:2", "fe80::1:2"},
      {"ff02::1:ff00:2", "ff02::1:ff00:2"},
      {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},  // "::" for one group is read, never written
  };
  for (const Case& c : cases)
    EXPECT_EQ(roundtrip(c.in), c.out) << c.in;
}

TEST(IpaddrTest, RejectsBadV6) {
  for (const char* s : {":",
                        ":::",
                        "1:::2",
                        "1::2::3",
                        "::1::",
                        ":1::",
                        ":1",
                        "1:",
                        "1::2:",
                        "1:2:3:4:5:6:7",
                        "1:2:3:4:5:6:7:8:9",
                        "1:2:3:4:5:6:7:8::",
                        "::1:2:3:4:5:6:7:8",
                        "12345::",
                        "g::1",
                        "1:-2::",
                        "::1.2.3",
                        "::1.2.3.4:5",
                        "::1.2.3.4.5",
                        "1:2:3:4:5:6:7:1.2.3.4",
                        "::256.1.1.1",
                        "1.2.3.4::",
                        "1.2.3.4:1::",
                        "fe80::1%eth0",
                        "[::1]",
                        "::1/64",
                        " ::1",
                        "::1 ",
                        "1: :2"}) {
    auto a = Ipaddr::parse(s);
    ASSERT_FALSE(a.ok()) << s;
    EXPECT_EQ(a.error().code(), Err::BadIp) << s;
  }
}

TEST(IpaddrTest, PrintParseRoundTripOverRandomAddresses) {
  std::mt19937 rng(5952);
  for (int i = 0; i < 20000; i++) {
    Ipaddr a;
    for (size_t k = 0; k < 16; k++) {
      // Mostly zero words, so that runs of zeros of every length and place occur.
      a[k] = rng() % 3 ? 0 : uint8_t(rng());
    }
    if (i % 7 == 0) a = Ipaddr::v4(uint32_t(rng()));
    std::string s = a.str();
    auto b = Ipaddr::parse(s);
    ASSERT_TRUE(b.ok()) << s;
    ASSERT_EQ(*b, a) << s;
    EXPECT_EQ(s.find(":::"), std::string::npos) << s;
  }
}

TEST(IpaddrTest, Predicates) {
  EXPECT_TRUE(Ipaddr::parse("0.0.0.0")->is_zero());
  EXPECT_TRUE(Ipaddr::parse("::")->is_zero());
  EXPECT_FALSE(Ipaddr::parse("::")->is_v4());
  EXPECT_FALSE(Ipaddr::parse("0.0.0.1")->is_zero());
  EXPECT_TRUE(Ipaddr::parse("224.0.0.1")->is_multicast());
  EXPECT_TRUE(Ipaddr::parse("239.255.255.255")->is_multicast());
  EXPECT_FALSE(Ipaddr::parse("223.255.255.255")->is_multicast());
  EXPECT_FALSE(Ipaddr::parse("240.0.0.1")->is_multicast());
  EXPECT_TRUE(Ipaddr::parse("ff02::1")->is_multicast());
  EXPECT_FALSE(Ipaddr::parse("fe80::1")->is_multicast());
  EXPECT_TRUE(Ipaddr::parse("255.255.255.255")->is_v4_broadcast());
  EXPECT_FALSE(Ipaddr::parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")->is_v4_broadcast());
  EXPECT_TRUE(Ipaddr::parse("fe80::1")->is_v6_linklocal());
  EXPECT_TRUE(Ipaddr::parse("febf::1")->is_v6_linklocal());
  EXPECT_FALSE(Ipaddr::parse("fec0::1")->is_v6_linklocal());
  EXPECT_TRUE(Ipaddr::parse("127.1.2.3")->is_loopback());
  EXPECT_TRUE(Ipaddr::parse("::1")->is_loopback());
  EXPECT_FALSE(Ipaddr::parse("::2")->is_loopback());
  EXPECT_FALSE(Ipaddr::parse("1::1")->is_loopback());
  EXPECT_FALSE(Ipaddr::parse("128.0.0.1")->is_loopback());
}

TEST(IpaddrTest, MasksAndPrefixLengths) {
  Ipaddr m24 = Ipaddr::mask_v4(24);
  EXPECT_TRUE(m24.is_v4_mask());  // 96 leading ones, as Plan 9 keeps v4 masks
  EXPECT_FALSE(m24.is_v4());
  EXPECT_EQ(m24.prefix_len(true), 24);
  EXPECT_EQ(m24.prefix_len(false), 120);  // the same bytes as a v6 /120
  EXPECT_EQ(m24, Ipaddr::mask_v6(120));
  EXPECT_EQ(m24.mask_str(true), "255.255.255.0");
  EXPECT_EQ(m24.mask_str(false), "/120");
  EXPECT_EQ(Ipaddr::v4(10, 1, 2, 3) & m24, Ipaddr::v4(10, 1, 2, 0));  // the prefix stays v4

  Ipaddr m64 = Ipaddr::mask_v6(64);
  EXPECT_FALSE(m64.is_v4_mask());
  EXPECT_EQ(m64.prefix_len(false), 64);
  EXPECT_EQ(m64.prefix_len(true), -1);  // lacks the 96 leading ones
  EXPECT_EQ(m64.mask_str(false), "/64");
  EXPECT_EQ(m64.str(), "ffff:ffff:ffff:ffff::");

  for (int n = 0; n <= 32; n++) {
    EXPECT_EQ(Ipaddr::mask_v4(n).prefix_len(true), n);
    EXPECT_EQ(*Ipaddr::parse_mask(Ipaddr::mask_v4(n).mask_str(true), true), Ipaddr::mask_v4(n));
  }
  for (int n = 0; n <= 128; n++) {
    EXPECT_EQ(Ipaddr::mask_v6(n).prefix_len(false), n);
    EXPECT_EQ(Ipaddr::mask_v6(n).mask_str(false), "/" + std::to_string(n));
    EXPECT_EQ(*Ipaddr::parse_mask("/" + std::to_string(n), false), Ipaddr::mask_v6(n));
  }
  EXPECT_EQ(Ipaddr::mask_v4(0).mask_str(true), "0.0.0.0");
  EXPECT_EQ(Ipaddr::mask_v4(32).mask_str(true), "255.255.255.255");

  // Not contiguous: -1, and the text is the address itself.
  Ipaddr holes = Ipaddr::mask_v4(32);
  holes[14] = 0;
  EXPECT_EQ(holes.prefix_len(true), -1);
  EXPECT_EQ(holes.prefix_len(false), -1);
  EXPECT_EQ(holes.mask_str(false), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff");
  EXPECT_EQ(Ipaddr::parse("ffff:ffff:8000::1")->prefix_len(false), -1);
  EXPECT_EQ(Ipaddr::parse("ffff:fffe:ff00::")->prefix_len(false), -1);
}

TEST(IpaddrTest, ParseMask) {
  struct Case {
    const char* in;
    bool v4;
    int len;  // prefix_len(v4) of the result
  };
  const Case cases[] = {
      {"255.255.255.0", true, 24},
      {"255.255.255.255", true, 32},
      {"0.0.0.0", true, 0},
      {"255.128.0.0", true, 9},
      {"/24", true, 24},
      {"/0", true, 0},
      {"/32", true, 32},
      {"/64", false, 64},
      {"/128", false, 128},
      {"/0", false, 0},
      {"ffff:ffff:ffff:ffff::", false, 64},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0", false, 124},
      {"255.255.255.0", false, 120},  // a dotted mask keeps its v4 meaning
      {"::ffff:255.255.0.0", true, 16},
  };
  for (const Case& c : cases) {
    auto m = Ipaddr::parse_mask(c.in, c.v4);
    ASSERT_TRUE(m.ok()) << c.in;
    EXPECT_EQ(m->prefix_len(c.v4), c.len) << c.in;
    if (c.v4) EXPECT_TRUE(m->is_v4_mask()) << c.in;
  }
  EXPECT_EQ(*Ipaddr::parse_mask("/24", true), *Ipaddr::parse_mask("255.255.255.0", true));
}

TEST(IpaddrTest, ParseMaskRejectsBadMasks) {
  struct Case {
    const char* in;
    bool v4;
  };
  const Case cases[] = {
      {"", true},
      {"/", true},
      {"/33", true},
      {"/129", false},
      {"/-1", false},
      {"/1a", true},
      {"/0024", true},
      {"/ 8", true},
      {"24", true},
      {"255.0.255.0", true},
      {"255.255.255.1", true},
      {"0.255.255.255", true},
      {"1.2.3", true},
      {"ffff:ffff::", true},  // a v6 mask for a v4 address
      {"ffff::ffff", false},
      {"::1", false},
      {"ff00:ff00::", false},
      {"banana", false},
  };
  for (const Case& c : cases) {
    auto m = Ipaddr::parse_mask(c.in, c.v4);
    ASSERT_FALSE(m.ok()) << c.in << " v4=" << c.v4;
    EXPECT_EQ(m.error().code(), Err::BadMask) << c.in;
  }
}

TEST(IpaddrTest, ClassMasks) {
  EXPECT_EQ(Ipaddr::class_mask(Ipaddr::v4(10, 1, 1, 1)), Ipaddr::mask_v4(8));
  EXPECT_EQ(Ipaddr::class_mask(Ipaddr::v4(127, 0, 0, 1)), Ipaddr::mask_v4(8));
  EXPECT_EQ(Ipaddr::class_mask(Ipaddr::v4(128, 0, 0, 1)), Ipaddr::mask_v4(16));
  EXPECT_EQ(Ipaddr::class_mask(Ipaddr::v4(191, 255, 0, 1)), Ipaddr::mask_v4(16));
  EXPECT_EQ(Ipaddr::class_mask(Ipaddr::v4(192, 168, 1, 1)), Ipaddr::mask_v4(24));
  EXPECT_EQ(Ipaddr::class_mask(Ipaddr::v4(224, 0, 0, 1)), Ipaddr::mask_v4(32));
  EXPECT_EQ(Ipaddr::class_mask(*Ipaddr::parse("2001:db8::1")), Ipaddr::mask_v6(64));
}

TEST(IpaddrTest, BitOperators) {
  Ipaddr a = *Ipaddr::parse("2001:db8:1234:5678::9");
  EXPECT_EQ(a & Ipaddr::mask_v6(32), *Ipaddr::parse("2001:db8::"));
  EXPECT_EQ(a | ~Ipaddr::mask_v6(64), *Ipaddr::parse("2001:db8:1234:5678:ffff:ffff:ffff:ffff"));
  EXPECT_EQ(~Ipaddr(), Ipaddr::mask_v6(128));
  // The v4 broadcast of a subnet: addr | ~mask keeps the v4-mapped prefix.
  EXPECT_EQ(Ipaddr::v4(10, 0, 0, 1) | ~Ipaddr::mask_v4(24), Ipaddr::v4(10, 0, 0, 255));
}

TEST(IpaddrTest, SolicitedNodeAndLinkLocal) {
  // RFC 4291 2.7.1: ff02::1:ff + the low 24 bits.
  EXPECT_EQ(solicited_node(*Ipaddr::parse("4037::01:800:200e:8c6c")).str(), "ff02::1:ff0e:8c6c");
  EXPECT_EQ(solicited_node(*Ipaddr::parse("fe80::2")).str(), "ff02::1:ff00:2");
  // RFC 4291 appendix A: EUI-64 with the universal/local bit inverted.
  EXPECT_EQ(linklocal_from_mac(*Mac::parse("52:54:00:12:34:56")).str(), "fe80::5054:ff:fe12:3456");
  EXPECT_EQ(linklocal_from_mac(*Mac::parse("02:00:00:00:00:01")).str(), "fe80::ff:fe00:1");
}

TEST(MacTest, ParseAndPrint) {
  for (const char* s : {"52:54:00:12:34:56", "525400123456", "52-54-00-12-34-56", "5254.0012.3456",
                        "52:54:00:12:34:56"}) {
    auto m = Mac::parse(s);
    ASSERT_TRUE(m.ok()) << s;
    EXPECT_EQ(m->str(), "525400123456") << s;
  }
  EXPECT_EQ(Mac::parse("AA:BB:CC:DD:EE:FF")->str(), "aabbccddeeff");
  for (const char* s :
       {"", "52:54:00:12:34", "52:54:00:12:34:56:78", "52:54:00:12:34:5g", "5:54:00:12:34:56",
        "52::54:00:12:34:56", "52:54:00:12:34:56:", "5254001234567"})
    EXPECT_FALSE(Mac::parse(s).ok()) << s;
}

TEST(MacTest, Predicates) {
  EXPECT_TRUE(Mac().is_zero());
  EXPECT_TRUE(Mac::broadcast().is_broadcast());
  EXPECT_TRUE(Mac::broadcast().is_multicast());
  EXPECT_FALSE(Mac::parse("525400123456")->is_multicast());
  EXPECT_EQ(Mac::multicast_v4(Ipaddr::v4(224, 129, 2, 3)).str(), "01005e010203");  // 23 bits
  EXPECT_EQ(Mac::multicast_v6(*Ipaddr::parse("ff02::1:ff00:2")).str(), "3333ff000002");
}

}  // namespace
}  // namespace ninet
