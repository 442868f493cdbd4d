// open_linux_medium: the words of `bind` pick the right medium; missing
// devices and missing privileges fail with Err::NoDevice naming the device.
#include "media/linux/open.h"

#include "media/linux/netif.h"
#include "media/linux/testnet.h"

namespace ninet {
namespace {

using namespace testnet;

class OpenTest : public NetnsTest {};

TEST_F(OpenTest, PicksTheMedium) {
  ASSERT_EQ(sh("ip link add nveth0 type veth peer name nveth1"), 0);

  auto tun = open_linux_medium("netdev", "ntun7");
  ASSERT_TRUE(tun.ok()) << tun.error().text();
  EXPECT_EQ((*tun)->name(), "netdev");
  EXPECT_FALSE((*tun)->link_header());
  EXPECT_NE(netif_index("ntun7"), 0);

  auto tap = open_linux_medium("ether", "tap:ntap7");
  ASSERT_TRUE(tap.ok()) << tap.error().text();
  EXPECT_EQ((*tap)->name(), "ether");
  EXPECT_TRUE((*tap)->link_header());
  EXPECT_NE(netif_index("ntap7"), 0);
  EXPECT_NE((*tap)->hwaddr(), netif_hwaddr("ntap7")->mac);

  auto veth = open_linux_medium("ether", "/net/nveth1");  // Plan 9 style path
  ASSERT_TRUE(veth.ok()) << veth.error().text();
  EXPECT_EQ((*veth)->name(), "ether");
  EXPECT_EQ((*veth)->hwaddr(), netif_hwaddr("nveth1")->mac);
  EXPECT_EQ((*veth)->default_mtu(), 1514);
}

TEST_F(OpenTest, KernelNamedTunAndTap) {
  auto tun = open_linux_medium("netdev", "/dev/net/tun");
  ASSERT_TRUE(tun.ok()) << tun.error().text();
  auto tap = open_linux_medium("ether", "tap:");
  ASSERT_TRUE(tap.ok()) << tap.error().text();
  EXPECT_TRUE((*tap)->link_header());
}

TEST_F(OpenTest, MissingDeviceAndBadKind) {
  auto r = open_linux_medium("ether", "nosuch9");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Err::NoDevice);
  EXPECT_EQ(r.error().detail(), "nosuch9: no such interface");
  EXPECT_EQ(r.error().text(), "no such device: nosuch9: no such interface");

  r = open_linux_medium("ether", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Err::NoDevice);

  r = open_linux_medium("token-ring", "tr0");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Err::BadMedium);
}

// In a child that gave up root: AF_PACKET and TUN/TAP creation are refused,
// and the error says so with the device's name.
TEST_F(OpenTest, PermissionDeniedIsNoDevice) {
  ASSERT_EQ(sh("ip link add nveth0 type veth peer name nveth1"), 0);
  // Child exit codes: 0 as expected, 1 opened anyway, 2 wrong code, 3 wrong
  // detail, 4 could not drop privileges.
  auto child = [](const char* kind, const char* path, const char* prefix) -> int {
    pid_t pid = fork();
    if (pid == 0) {
      if (setgid(65534) != 0 || setuid(65534) != 0) _exit(4);
      auto r = open_linux_medium(kind, path);
      if (r.ok()) _exit(1);
      if (r.error().code() != Err::NoDevice) _exit(2);
      const std::string& d = r.error().detail();
      if (d.rfind(prefix, 0) != 0 || d.find("permission denied") == std::string::npos) _exit(3);
      _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  EXPECT_EQ(child("ether", "nveth1", "nveth1: "), 0);
  EXPECT_EQ(child("netdev", "ntun8", "ntun8: "), 0);
  EXPECT_EQ(child("ether", "tap:ntap8", "ntap8: "), 0);
}

}  // namespace
}  // namespace ninet
