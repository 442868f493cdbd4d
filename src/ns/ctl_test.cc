// What ctl_fuzz found, reproduced through the tree as a user would write it:
// one test per finding, on a stack with a manual clock and no engine thread.
#include <fcntl.h>
#include <gtest/gtest.h>

#include "ns/stack_tree.h"
#include "ns/tree_testing.h"

namespace ninet::ns {
namespace {

struct CtlTest : ::testing::Test {
  ManualClock clock;
  Stack stack{0, &clock};
  StackTree tree{stack};

  std::unique_ptr<Handle> open(const std::string& path, int flags = O_RDWR) {
    return open_path(tree, path, flags);
  }
  std::string cat(const std::string& path) { return cat_path(tree, path); }
};

// `add local mask remote mtu junk` failed but had already set the MTU.
TEST_F(CtlTest, FailedAddLeavesTheMtu) {
  auto ctl = open("ipifc/clone");
  ASSERT_TRUE(ctl->write("bind pkt").ok());
  std::string before = cat("ipifc/0/status");
  ASSERT_EQ(before.substr(0, 16), "pkt         4096");
  auto r = ctl->write("add 10.0.0.1 255.255.255.0 10.0.0.2 1000 junk");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Err::BadArg);
  EXPECT_EQ(cat("ipifc/0/err"), "bad arg in system call: unexpected junk\n");
  EXPECT_EQ(cat("ipifc/0/status"), before) << "a failed write changes nothing";
  ASSERT_TRUE(ctl->write("add 10.0.0.1 255.255.255.0 10.0.0.2 1000").ok());
  EXPECT_EQ(cat("ipifc/0/status").substr(0, 16), "pkt         1000");
}

// Removing an address took the routes it shared with other addresses (its
// network's, the broadcasts): the remaining address's network became
// unreachable. Plan 9 counts references to interface routes.
TEST_F(CtlTest, RemovingASecondAddressKeepsTheNetwork) {
  auto ctl = open("ipifc/clone");
  ASSERT_TRUE(ctl->write("bind loopback").ok());
  ASSERT_TRUE(ctl->write("add 10.0.0.1 255.255.255.0").ok());
  ASSERT_TRUE(ctl->write("add 10.0.0.2 255.255.255.0").ok());
  ASSERT_TRUE(ctl->write("remove 10.0.0.2 255.255.255.0").ok());
  EXPECT_EQ(cat("iproute"),
            "10.0.0.0        255.255.255.0   10.0.0.1        4i   ifc  0\n"
            "10.0.0.0        255.255.255.255 10.0.0.1        4b   ifc  0\n"
            "10.0.0.1        255.255.255.255 10.0.0.1        4u   ifc  0\n"
            "10.0.0.255      255.255.255.255 10.0.0.1        4b   ifc  0\n"
            "255.255.255.255 255.255.255.255 10.0.0.1        4b   ifc  0\n");
  auto icmp = open("icmp/clone");
  EXPECT_TRUE(icmp->write("connect 10.0.0.7").ok()) << cat("icmp/0/err");
  ASSERT_TRUE(ctl->write("remove 10.0.0.1 255.255.255.0").ok());
  EXPECT_EQ(cat("iproute"), "");
  EXPECT_EQ(cat("ipselftab"), "");
}

// The same across interfaces: a network on two interfaces stays routed
// through the one that keeps its address.
TEST_F(CtlTest, RemovingAnAddressKeepsTheNetworkOfAnotherInterface) {
  auto a = open("ipifc/clone");
  ASSERT_TRUE(a->write("bind loopback").ok());
  ASSERT_TRUE(a->write("add 10.0.0.1 255.255.255.0").ok());
  ASSERT_TRUE(a->write("add6 fd00::1 64").ok());
  auto b = open("ipifc/clone");
  ASSERT_TRUE(b->write("bind pkt").ok());
  ASSERT_TRUE(b->write("add 10.0.0.2 255.255.255.0").ok());
  ASSERT_TRUE(b->write("add6 fd00::2 64").ok());
  ASSERT_TRUE(b->write("unbind").ok());
  std::string t = cat("iproute");
  EXPECT_NE(t.find("10.0.0.0        255.255.255.0   10.0.0.1        4i   ifc  0\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("255.255.255.255 255.255.255.255 10.0.0.1        4b   ifc  0\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("fd00::          /64             fd00::1         6i   ifc  0\n"),
            std::string::npos)
      << t;
  EXPECT_EQ(t.find("ifc  1"), std::string::npos) << t;
  EXPECT_EQ(t.find("10.0.0.2 "), std::string::npos) << t;
  EXPECT_EQ(t.find("fd00::2 "), std::string::npos) << t;
}

// A gateway route added without an interface kept the number of the
// interface that reached the gateway at add time: after that interface was
// unbound the route pointed at nothing, and once the number was reused, at
// an unrelated interface. The number now follows the gateway's network.
TEST_F(CtlTest, GatewayRouteFollowsTheInterfaceThatReachesTheGateway) {
  auto route_line = [&] {
    std::string t = cat("iproute");
    size_t at = t.find("192.168.0.0 ");
    return at == std::string::npos ? t : t.substr(at, t.find('\n', at) - at);
  };
  auto a = open("ipifc/clone");
  ASSERT_TRUE(a->write("bind loopback").ok());
  ASSERT_TRUE(a->write("add 10.0.0.1 255.255.255.0").ok());
  auto b = open("ipifc/clone");
  ASSERT_TRUE(b->write("bind pkt").ok());
  ASSERT_TRUE(b->write("add 10.1.0.1 255.255.255.0").ok());
  auto rt = open("iproute");
  ASSERT_TRUE(rt->write("add 192.168.0.0 255.255.0.0 10.1.0.2").ok());
  EXPECT_EQ(route_line(), "192.168.0.0     255.255.0.0     10.1.0.2        4    none 1");
  ASSERT_TRUE(b->write("unbind").ok());
  b.reset();
  EXPECT_EQ(route_line(), "192.168.0.0     255.255.0.0     10.1.0.2        4    none -");
  // The gateway's network appears on interface 0: the route goes there.
  ASSERT_TRUE(a->write("add 10.1.0.5 255.255.255.0").ok());
  EXPECT_EQ(route_line(), "192.168.0.0     255.255.0.0     10.1.0.2        4    none 0");
  // Number 1 is reused by an interface that does not reach the gateway.
  auto c = open("ipifc/clone");
  ASSERT_TRUE(c->write("bind loopback").ok());
  ASSERT_TRUE(c->write("add 172.16.0.1 255.255.0.0").ok());
  EXPECT_EQ(cat("ipifc/1/status").substr(0, 8), "loopback");
  EXPECT_EQ(route_line(), "192.168.0.0     255.255.0.0     10.1.0.2        4    none 0");
  // A route that names its interface keeps it.
  ASSERT_TRUE(rt->write("add 192.169.0.0 255.255.0.0 10.1.0.2 1").ok());
  ASSERT_TRUE(a->write("remove 10.1.0.5 255.255.255.0").ok());
  EXPECT_EQ(route_line(), "192.168.0.0     255.255.0.0     10.1.0.2        4    none -");
  EXPECT_NE(cat("iproute").find("192.169.0.0     255.255.0.0     10.1.0.2        4    none 1"),
            std::string::npos);
}

}  // namespace
}  // namespace ninet::ns
