// ninet_pipex_test — `ninet pipex`: the session table it prints from the
// status and stats files, and what it writes where, on a tree laid out in a
// temporary directory (the files a mount shows).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "ninet_cmds.h"

namespace ninet::tool {
namespace {

const char* kStatus7 =
    "ifc=0 proto=l2tp id=7 peer-id=9 ppp-id=507 ccp-id=0 mru=0 timeout=0 src=0.0.0.0 "
    "framed=10.0.0.7 netmask=255.255.255.255 peer=192.0.2.1!1701 local=192.0.2.2!1701 "
    "tunnel-id=1 peer-tunnel-id=2 sequencing=off ns=0 nr=0 ns-una=0 nr-acked=0\n"
    "state=opened idle=3 forward=on\n"
    "descr=alice at home\n";
const char* kStats7 =
    "ipackets: 12\nierrors: 0\nibytes: 1200\nopackets: 34\noerrors: 1\nobytes: 3400\n"
    "idle_time: 3\n";
const char* kStatus3 =
    "ifc=0 proto=pppoe id=3 peer-id=0 ppp-id=0 ccp-id=0 mru=0 timeout=0 src=0.0.0.0 "
    "framed=10.1.0.0 netmask=255.255.255.0 over=veth7 peer-mac=020000000009\n"
    "state=close-wait idle=1 forward=off\n"
    "descr=\n";

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

TEST(ToolPipex, ALinePerSessionWithStatePeerFramedAndPackets) {
  auto r = rows(format_pipex({{"l2tp.7", kStatus7, kStats7}, {"pppoe.3", kStatus3, ""}}));
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0],
            (std::vector<std::string>{"SESSION", "STATE", "PEER", "FRAMED", "IN", "OUT", "DESCR"}));
  EXPECT_EQ(r[1], (std::vector<std::string>{"l2tp.7", "opened", "192.0.2.1!1701", "10.0.0.7", "12",
                                            "34", "alice", "at", "home"}));
  EXPECT_EQ(r[2], (std::vector<std::string>{"pppoe.3", "close-wait", "020000000009",
                                            "10.1.0.0/255.255.255.0", "-", "-", "-"}));
  EXPECT_EQ(rows(format_pipex({{"pptp.1", "", ""}}))[1],
            (std::vector<std::string>{"pptp.1", "-", "-", "-", "-", "-", "-"}))
      << "empty files: dashes, not a crash";
}

class PipexTool : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ninet-pipex-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    for (const char* f : {"pipex/enable", "pipex/ctl", "pipex/err"})
      file(f, "");
    file("pipex/closed", "507\n512\nmore\n");
  }
  void TearDown() override { std::system(("rm -rf '" + root_ + "'").c_str()); }
  void file(const std::string& path, const std::string& text) {
    std::string full = root_ + "/" + path;
    std::system(("mkdir -p '" + full.substr(0, full.rfind('/')) + "'").c_str());
    std::ofstream(full) << text;
  }
  std::string contents(const std::string& path) {
    std::ifstream in(root_ + "/" + path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string ninet(const std::vector<std::string>& args, int* rc) {
    testing::internal::CaptureStdout();
    *rc = run(root_, args);
    return testing::internal::GetCapturedStdout();
  }
  std::string root_;
};

TEST_F(PipexTool, ListsTheSessionsDirectoriesInOrder) {
  file("pipex/sessions/l2tp.12/status", kStatus7);
  file("pipex/sessions/l2tp.12/stats", kStats7);
  file("pipex/sessions/l2tp.7/status", kStatus7);
  file("pipex/sessions/l2tp.7/stats", kStats7);
  file("pipex/sessions/pppoe.3/status", kStatus3);
  file("pipex/sessions/pppoe.3/stats", kStats7);
  std::system(("mkdir -p '" + root_ + "/pipex/sessions/pptp.9'").c_str());  // gone: no files
  int rc = -1;
  auto r = rows(ninet({"pipex"}, &rc));
  EXPECT_EQ(rc, 0);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[1][0], "l2tp.7");
  EXPECT_EQ(r[2][0], "l2tp.12") << "ids in numeric order";
  EXPECT_EQ(r[3][0], "pppoe.3");
}

TEST_F(PipexTool, WritesEachMessageWhereItBelongs) {
  int rc = -1;
  ninet({"pipex", "enable"}, &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(contents("pipex/enable"), "1");
  file("pipex/enable", "");
  ninet({"pipex", "disable"}, &rc);
  EXPECT_EQ(contents("pipex/enable"), "0");
  ninet({"pipex", "add", "ifc=0", "proto=l2tp", "id=7"}, &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(contents("pipex/ctl"), "add ifc=0 proto=l2tp id=7");
  for (auto [args, msg] :
       {std::pair<std::vector<std::string>, std::string>{{"pipex", "delete", "l2tp", "7"},
                                                         "delete l2tp 7"},
        {{"pipex", "mode", "0", "on"}, "mode 0 on"},
        {{"pipex", "config", "l2tp", "7", "forward", "off"}, "config l2tp 7 forward off"},
        {{"pipex", "descr", "l2tp", "7", "bob"}, "descr l2tp 7 bob"}}) {
    file("pipex/ctl", "");
    ninet(args, &rc);
    EXPECT_EQ(rc, 0) << msg;
    EXPECT_EQ(contents("pipex/ctl"), msg);
  }
  EXPECT_EQ(ninet({"pipex", "closed"}, &rc), "507\n512\nmore\n");
  EXPECT_EQ(rc, 0);
}

TEST_F(PipexTool, UsageAndFailures) {
  int rc = -1;
  ninet({"pipex", "frobnicate"}, &rc);
  EXPECT_EQ(rc, 2);
  ninet({"pipex", "enable", "now"}, &rc);
  EXPECT_EQ(rc, 2);
  ninet({"pipex", "closed", "all"}, &rc);
  EXPECT_EQ(rc, 2);
  std::system(("mkdir -p '" + root_ + "/pipex/sessions'").c_str());
  EXPECT_EQ(rows(ninet({"pipex"}, &rc)).size(), 1u) << "no sessions: the header alone";
  EXPECT_EQ(rc, 0);
  std::system(("rm -rf '" + root_ + "/pipex'").c_str());
  ninet({"pipex", "closed"}, &rc);
  EXPECT_EQ(rc, 1) << "no pipex directory";
  ninet({"pipex", "delete", "l2tp", "7"}, &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(ninet({"pipex"}, &rc), "");
  EXPECT_EQ(rc, 1);
}

}  // namespace
}  // namespace ninet::tool
