#include "ninet_cmds.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pwd.h>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

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

// The rows of a table, header first, each as its words.
std::vector<std::vector<std::string>> rows(const std::string& table) {
  std::vector<std::vector<std::string>> v;
  std::istringstream in(table);
  std::string l;
  while (std::getline(in, l)) {
    std::istringstream ws(l);
    std::vector<std::string> w;
    std::string x;
    while (ws >> x)
      w.push_back(x);
    v.push_back(w);
  }
  return v;
}

TEST(Tool, NetstatLinesFollowPlan9sColumnsWithQueues) {
  std::vector<ConvFiles> convs = {
      {"tcp", 3, "glenda", "Established qin 12 qout 0 rq 0.0 srtt 80 mdev 40\n", "10.0.0.2!5000\n",
       "10.0.0.1!80\n"},
      {"udp", 0, "root", "Open qin 0 qout 0\n", "::!7\n", "::!0\n"},
      {"icmp", 1, "root", "Datagram Connected qin 0 qout 0\n", "10.0.0.2!0\n", "10.0.0.1!0\n"},
  };
  auto r = rows(format_netstat(convs, false));
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0], (std::vector<std::string>{"PROTO", "CONV", "OWNER", "STATE", "LOCAL", "REMOTE",
                                            "QIN", "QOUT"}));
  EXPECT_EQ(r[1], (std::vector<std::string>{"tcp", "3", "glenda", "Established", "10.0.0.2!5000",
                                            "10.0.0.1!80", "12", "0"}));
  EXPECT_EQ(r[2], (std::vector<std::string>{"udp", "0", "root", "Open", "::!7", "::!0", "0", "0"}));
  EXPECT_EQ(r[3][3], "Datagram");  // the first word, as Plan 9's netstat shows it
}

TEST(Tool, NetstatLeavesOutClosedAndIdleUnlessAll) {
  std::vector<ConvFiles> convs = {
      {"tcp", 0, "root", "Closed qin 0 qout 0\n", "::!0\n", "::!0\n"},
      {"icmp", 0, "root", "Datagram Idle qin 0 qout 0\n", "::!0\n", "::!0\n"},
      {"tcp", 1, "root", "Listen qin 0 qout 0\n", "::!80\n", "::!0\n"},
  };
  auto r = rows(format_netstat(convs, false));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1][3], "Listen");
  r = rows(format_netstat(convs, true));
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[1][3], "Closed");
  EXPECT_EQ(r[2][3], "Datagram");
}

TEST(Tool, NetstatNamesPortsUnlessNumericAndCopesWithEmptyFiles) {
  std::vector<ConvFiles> convs = {{"udp", 2, "", "Open\n", "10.0.0.2!7\n", ""}};
  auto svc = [](const std::string& proto, const std::string& port) {
    return proto == "udp" && port == "7" ? std::string("echo") : std::string();
  };
  auto r = rows(format_netstat(convs, false, svc));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1],
            (std::vector<std::string>{"udp", "2", "-", "Open", "10.0.0.2!echo", "-", "-", "-"}));
  EXPECT_EQ(rows(format_netstat(convs, false))[1][4], "10.0.0.2!7");
}

TEST(Tool, ParsesNetstatArguments) {
  NetstatArgs o;
  ASSERT_TRUE(parse_netstat_args({}, &o));
  EXPECT_FALSE(o.all);
  EXPECT_FALSE(o.numeric);
  EXPECT_TRUE(o.protos.empty());
  ASSERT_TRUE(parse_netstat_args({"-an", "udp", "tcp"}, &o));
  EXPECT_TRUE(o.all);
  EXPECT_TRUE(o.numeric);
  EXPECT_EQ(o.protos, (std::vector<std::string>{"udp", "tcp"}));
  ASSERT_TRUE(parse_netstat_args({"-n"}, &o));
  EXPECT_FALSE(o.all);
  EXPECT_TRUE(o.numeric);
  EXPECT_FALSE(parse_netstat_args({"-x"}, &o));
  EXPECT_FALSE(parse_netstat_args({"../udp"}, &o));
  EXPECT_FALSE(parse_netstat_args({".."}, &o));
}

TEST(Tool, ParsesNcArguments) {
  NcArgs o;
  ASSERT_TRUE(parse_nc_args({"10.0.0.1", "80"}, &o));
  EXPECT_FALSE(o.udp);
  EXPECT_FALSE(o.listen);
  EXPECT_EQ(o.family, 0);
  EXPECT_EQ(o.quit_after, 0);
  EXPECT_EQ(o.host, "10.0.0.1");
  EXPECT_EQ(o.port, "80");
  ASSERT_TRUE(parse_nc_args({"-u6", "-q", "-1", "fd00::1", "7"}, &o));
  EXPECT_TRUE(o.udp);
  EXPECT_EQ(o.family, 6);
  EXPECT_EQ(o.quit_after, -1);
  EXPECT_EQ(o.host, "fd00::1");
  ASSERT_TRUE(parse_nc_args({"-l", "-u", "-v", "9000"}, &o));
  EXPECT_TRUE(o.listen);
  EXPECT_TRUE(o.verbose);
  EXPECT_EQ(o.host, "");
  EXPECT_EQ(o.port, "9000");
  ASSERT_TRUE(parse_nc_args({"-l", "10.0.0.2", "9000"}, &o));
  EXPECT_EQ(o.host, "10.0.0.2");
  EXPECT_FALSE(parse_nc_args({"9000"}, &o)) << "a port alone is only for -l";
  EXPECT_FALSE(parse_nc_args({"-l"}, &o));
  EXPECT_FALSE(parse_nc_args({"-x", "h", "1"}, &o));
  EXPECT_FALSE(parse_nc_args({"-q", "soon", "h", "1"}, &o));
  EXPECT_FALSE(parse_nc_args({"-q"}, &o));
  EXPECT_FALSE(parse_nc_args({"h", "1", "2"}, &o));
  EXPECT_FALSE(parse_nc_args({"h!x", "1"}, &o)) << "! would make another dial string";
}

TEST(Tool, NcAddressesAreDialStringsUnderTheTree) {
  NcArgs o;
  ASSERT_TRUE(parse_nc_args({"-u", "10.0.0.1", "7"}, &o));
  EXPECT_EQ(nc_address("/mnt/net", o, "10.0.0.1"), "/mnt/net/udp!10.0.0.1!7");
  ASSERT_TRUE(parse_nc_args({"-l", "80"}, &o));
  EXPECT_EQ(nc_address("/net", o, ""), "/net/tcp!*!80");
  ASSERT_TRUE(parse_nc_args({"-6", "fd00::2", "http"}, &o));
  EXPECT_EQ(nc_address("/net", o, "fd00::2"), "/net/tcp!fd00::2!http");
}

// A tree laid out in a temporary directory (the files a mount shows): netstat
// finds protocol directories by their clone file, skips ipifc, and passes over
// a conversation whose files are gone (freed while listed).
class NetstatTree : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ninet-netstat-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf '" + root_ + "'").c_str()); }
  void file(const std::string& path, const std::string& text) {
    std::string full = root_ + "/" + path;
    std::string dir = full.substr(0, full.rfind('/'));
    std::system(("mkdir -p '" + dir + "'").c_str());
    std::ofstream(full) << text;
  }
  std::string run_netstat(const std::vector<std::string>& args, int* rc) {
    testing::internal::CaptureStdout();
    *rc = run(root_, args);
    return testing::internal::GetCapturedStdout();
  }
  std::string root_;
};

TEST_F(NetstatTree, ListsEveryConversationOfEveryProtocolDirectory) {
  file("ipifc/clone", "");
  file("ipifc/0/ctl", "");
  file("ipifc/0/status", "Open qin 0 qout 0\n");
  file("arp", "");
  file("udp/clone", "");
  file("udp/stats", "");
  file("udp/0/ctl", "");
  file("udp/0/status", "Open qin 3 qout 0\n");
  file("udp/0/local", "10.0.0.2!9000\n");
  file("udp/0/remote", "10.0.0.1!40000\n");
  file("udp/1/ctl", "");  // going away: no status any more
  file("xyz/clone", "");  // a protocol this build of the tool never heard of
  file("xyz/4/ctl", "");
  file("xyz/4/status", "Announced qin 0 qout 0\n");
  file("xyz/4/local", "::!1\n");
  file("xyz/4/remote", "::!0\n");
  int rc = -1;
  auto r = rows(run_netstat({"netstat", "-n"}, &rc));
  EXPECT_EQ(rc, 0);
  ASSERT_EQ(r.size(), 3u);
  std::string me = getpwuid(getuid()) ? getpwuid(getuid())->pw_name : std::to_string(getuid());
  EXPECT_EQ(r[1], (std::vector<std::string>{"udp", "0", me, "Open", "10.0.0.2!9000",
                                            "10.0.0.1!40000", "3", "0"}));
  EXPECT_EQ(r[2][0], "xyz");
  EXPECT_EQ(r[2][3], "Announced");
  r = rows(run_netstat({"netstat", "-n", "xyz"}, &rc));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1][0], "xyz");
  run_netstat({"netstat", "nosuch"}, &rc);
  EXPECT_EQ(rc, 1) << "a named protocol that is not there is an error";
}

}  // namespace
}  // namespace ninet::tool
