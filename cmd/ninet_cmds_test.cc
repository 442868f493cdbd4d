#include "ninet_cmds.h"

#include <gtest/gtest.h>

namespace ninet::tool {
namespace {

TEST(Tool, FormatsInterfacesWithEveryAddress) {
  std::string t = format_ifcs({{0,
                                "loopback   16384 127.0.0.1 255.0.0.0 127.0.0.0 5 5 0 0\n"
                                "\t ::1 /128 ::1 5 5 0 0\n"},
                               {1, "veth0       1514 - - - 0 0 0 0\n"}});
  EXPECT_NE(t.find("loopback"), std::string::npos);
  EXPECT_NE(t.find("127.0.0.1"), std::string::npos);
  EXPECT_NE(t.find("::1"), std::string::npos);
  EXPECT_NE(t.find("veth0"), std::string::npos);
  EXPECT_EQ(std::count(t.begin(), t.end(), '\n'), 4);  // header + 3 lines
}

TEST(Tool, FormatsRoutesAndArp) {
  std::string r = format_routes("0.0.0.0 0.0.0.0 10.0.0.1 4 none -\nbad line\n");
  EXPECT_NE(r.find("10.0.0.1"), std::string::npos);
  EXPECT_EQ(std::count(r.begin(), r.end(), '\n'), 2);
  std::string a = format_arp("ether OK 10.0.0.1 525400123456\n");
  EXPECT_NE(a.find("52:54:00:12:34:56"), std::string::npos);
}

}  // namespace
}  // namespace ninet::tool
