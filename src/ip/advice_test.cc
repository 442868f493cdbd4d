// Tests of ICMP/ICMPv6 error classification (advice.h) against RFC 792,
// RFC 1812 5.2.7.1, RFC 1122 4.2.3.9 and RFC 4443 section 3.
#include "ip/advice.h"

#include <gtest/gtest.h>

namespace ninet {
namespace {

TEST(Advice, Ipv4UnreachableCodes) {
  struct Case {
    uint8_t code;
    Advice::Kind kind;
    bool hard;
    const char* text;
  } cases[] = {
      {0, Advice::kNetUnreach, false, "net unreachable"},
      {1, Advice::kHostUnreach, false, "host unreachable"},
      {2, Advice::kProtoUnreach, true, "protocol unreachable"},
      {3, Advice::kPortUnreach, true, "port unreachable"},
      {5, Advice::kSourceRoute, true, "source route failed"},
      {6, Advice::kNetUnreach, false, "destination network unknown"},
      {7, Advice::kHostUnreach, false, "destination host unknown"},
      {9, Advice::kAdminProhibited, false, "network administratively prohibited"},
      {13, Advice::kAdminProhibited, false, "administratively prohibited"},
      {15, Advice::kAdminProhibited, false, "precedence cutoff in effect"},
      {16, Advice::kOther, false, "destination unreachable"},
  };
  for (const Case& c : cases) {
    Advice a = Advice::from_icmp(false, 3, c.code, 0);
    EXPECT_EQ(a.kind, c.kind) << int(c.code);
    EXPECT_EQ(a.hard(), c.hard) << int(c.code);
    EXPECT_EQ(a.text(), c.text);
  }
}

TEST(Advice, FragmentationNeededCarriesTheNextHopMtu) {
  // RFC 1191 section 4: the MTU is the low 16 bits of the second word.
  Advice a = Advice::from_icmp(false, 3, 4, 0x0000'0578);
  EXPECT_EQ(a.kind, Advice::kPacketTooBig);
  EXPECT_EQ(a.mtu, 1400u);
  EXPECT_FALSE(a.hard()) << "it changes the path MTU, it does not end a connection";
  EXPECT_EQ(a.text(), "fragmentation needed and DF set: mtu 1400");
  Advice b = Advice::from_icmp(true, 2, 0, 1280);
  EXPECT_EQ(b.kind, Advice::kPacketTooBig);
  EXPECT_EQ(b.mtu, 1280u);
  EXPECT_EQ(b.text(), "packet too big: mtu 1280");
}

TEST(Advice, TimeExceededAndParameterProblems) {
  EXPECT_EQ(Advice::from_icmp(false, 11, 0, 0).kind, Advice::kTtlExceeded);
  EXPECT_EQ(Advice::from_icmp(false, 11, 1, 0).kind, Advice::kReasmExceeded);
  EXPECT_EQ(Advice::from_icmp(false, 11, 1, 0).text(), "fragment reassembly time exceeded");
  EXPECT_EQ(Advice::from_icmp(false, 12, 0, 0).kind, Advice::kParamProblem);
  EXPECT_EQ(Advice::from_icmp(true, 3, 0, 0).text(), "hop limit exceeded");
  // RFC 4443 3.4 code 1: unrecognized Next Header is IPv6's protocol unreachable.
  Advice nh = Advice::from_icmp(true, 4, 1, 40);
  EXPECT_EQ(nh.kind, Advice::kProtoUnreach);
  EXPECT_TRUE(nh.hard());
  EXPECT_EQ(Advice::from_icmp(true, 4, 0, 0).kind, Advice::kParamProblem);
}

TEST(Advice, Ipv6UnreachableCodes) {
  EXPECT_EQ(Advice::from_icmp(true, 1, 0, 0).kind, Advice::kNetUnreach);
  EXPECT_EQ(Advice::from_icmp(true, 1, 1, 0).kind, Advice::kAdminProhibited);
  EXPECT_EQ(Advice::from_icmp(true, 1, 2, 0).kind, Advice::kScope);
  EXPECT_EQ(Advice::from_icmp(true, 1, 3, 0).kind, Advice::kHostUnreach);
  EXPECT_EQ(Advice::from_icmp(true, 1, 3, 0).text(), "address unreachable");
  Advice port = Advice::from_icmp(true, 1, 4, 0);
  EXPECT_EQ(port.kind, Advice::kPortUnreach);
  EXPECT_TRUE(port.hard());
  EXPECT_EQ(Advice::from_icmp(true, 1, 6, 0).text(), "reject route to destination");
  EXPECT_EQ(Advice::from_icmp(true, 1, 9, 0).kind, Advice::kOther);
  EXPECT_EQ(Advice::from_icmp(true, 99, 0, 0).text(), "icmpv6 type 99 code 0");
  EXPECT_EQ(Advice::from_icmp(false, 5, 1, 0).text(), "icmp type 5 code 1");
}

}  // namespace
}  // namespace ninet
