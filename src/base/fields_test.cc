#include "base/fields.h"

#include <gtest/gtest.h>

namespace ninet {
namespace {

using V = std::vector<std::string_view>;

TEST(CtlFields, SplitsOnRunsOfBlanks) {
  EXPECT_EQ(ctl_fields("add 10.0.0.1  255.0.0.0"), (V{"add", "10.0.0.1", "255.0.0.0"}));
  EXPECT_EQ(ctl_fields("\t bind\tether  veth0 \n"), (V{"bind", "ether", "veth0"}));
}

TEST(CtlFields, EchoAndCrlfEndingsAreBlanks) {
  EXPECT_EQ(ctl_fields("set ip\n"), (V{"set", "ip"}));
  EXPECT_EQ(ctl_fields("set ip\r\n"), (V{"set", "ip"}));
}

TEST(CtlFields, EmptyAndBlankMessagesHaveNoWords) {
  EXPECT_TRUE(ctl_fields("").empty());
  EXPECT_TRUE(ctl_fields(" \t\r\n ").empty());
}

TEST(CtlFields, OtherBytesBelongToWords) {
  // No quoting, and a NUL or other control byte is part of a word.
  EXPECT_EQ(ctl_fields("'a b'"), (V{"'a", "b'"}));
  std::string_view nul("a\0b c", 5);
  EXPECT_EQ(ctl_fields(nul), (V{std::string_view("a\0b", 3), "c"}));
}

}  // namespace
}  // namespace ninet

namespace ninet {
namespace {

TEST(ParseInt, WholeDecimalNumbersInRange) {
  EXPECT_EQ(parse_int("0", 0, 10), 0);
  EXPECT_EQ(parse_int("1500", 68, 9014), 1500);
  EXPECT_EQ(parse_int("65535", 0, 65535), 65535);
  EXPECT_EQ(parse_int("-1", -1, 0xffff), -1);
  EXPECT_EQ(parse_int("4294967295", 0, 0xffffffffLL), 4294967295LL);
  for (std::string_view bad : {"", "-", "+1", " 1", "1 ", "0x10", "1.5", "12a", "-0"})
    EXPECT_FALSE(parse_int(bad, 0, 100)) << bad;
  EXPECT_FALSE(parse_int("101", 0, 100)) << "above";
  EXPECT_FALSE(parse_int("67", 68, 9014)) << "below";
  EXPECT_FALSE(parse_int("99999999999999999999999", 0, INT64_MAX)) << "overflow";
}

}  // namespace
}  // namespace ninet
