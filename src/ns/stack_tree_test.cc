// Drives a stack's tree directly (no FUSE): the files and their formats.
#include "ns/stack_tree.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <thread>

#include "base/endian.h"
#include "ns/tree_testing.h"

namespace ninet::ns {
namespace {

struct TreeTest : ::testing::Test {
  Stack stack{0};
  StackTree tree{stack};
  void SetUp() override { stack.start(); }

  std::unique_ptr<Handle> open(const std::string& path, int flags = O_RDWR) {
    return open_path(tree, path, flags);
  }
  std::string cat(const std::string& path) { return cat_path(tree, path); }
};

TEST_F(TreeTest, RootListsTheStackFilesAndProtocols) {
  auto d = tree.readdir(tree.root());
  ASSERT_TRUE(d.ok());
  std::string names;
  for (auto& s : *d)
    names += s.name + " ";
  EXPECT_EQ(
      names,
      "ipifc iproute arp log ndb ipselftab icmp icmpv6 udp gre esp tcp rudp ether ipmux pipex ");
  EXPECT_FALSE(tree.walk_path("ipifc/0").ok());
  EXPECT_FALSE(tree.walk_path("tcpx").ok());
}

TEST_F(TreeTest, IfcCloneBindAddStatus) {
  auto ctl = open("ipifc/clone");
  ASSERT_TRUE(ctl);
  EXPECT_EQ(*ctl->read_all(), "0");
  ASSERT_TRUE(ctl->write("bind loopback").ok());
  ASSERT_TRUE(ctl->write("add 127.0.0.1 255.0.0.0").ok());
  ASSERT_TRUE(tree.walk_path("ipifc/0/status").ok());
  EXPECT_FALSE(tree.walk_path("ipifc/0/data").ok()) << "data only for pkt";
  std::string st = cat("ipifc/0/status");
  EXPECT_EQ(st.substr(0, 8), "loopback");
  EXPECT_NE(st.find("127.0.0.1 255.0.0.0 127.0.0.0"), std::string::npos) << st;
  EXPECT_NE(cat("iproute").find("127.0.0.0"), std::string::npos);
  EXPECT_NE(cat("ipselftab").find("127.0.0.1"), std::string::npos);
  auto r = ctl->write("add 1.2.3");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Err::BadIp);
  EXPECT_EQ(cat("ipifc/0/err"), "bad ip address syntax: 1.2.3\n");
  ctl.reset();
  EXPECT_TRUE(tree.walk_path("ipifc/0").ok()) << "a bound interface outlives its ctl";
}

TEST_F(TreeTest, UnboundInterfaceIsFreedOnClose) {
  auto ctl = open("ipifc/clone");
  ASSERT_TRUE(tree.walk_path("ipifc/0").ok());
  ctl.reset();
  EXPECT_FALSE(tree.walk_path("ipifc/0").ok());
}

TEST_F(TreeTest, IprouteTagIsPerOpen) {
  auto ctl = open("ipifc/clone");
  ASSERT_TRUE(ctl->write("bind pkt").ok());
  ASSERT_TRUE(ctl->write("add 10.0.0.1 255.255.255.0").ok());
  auto a = open("iproute");
  auto b = open("iproute");
  ASSERT_TRUE(a->write("tag ospf").ok());
  ASSERT_TRUE(a->write("add 192.168.0.0 255.255.0.0 10.0.0.2").ok());
  ASSERT_TRUE(b->write("add 172.16.0.0 255.240.0.0 10.0.0.2").ok());
  std::string t = cat("iproute");
  EXPECT_NE(t.find("192.168.0.0     255.255.0.0     10.0.0.2        4    ospf"), std::string::npos)
      << t;
  EXPECT_NE(t.find("172.16.0.0      255.240.0.0     10.0.0.2        4    none"), std::string::npos)
      << t;
  EXPECT_EQ(b->write("bogus").error().code(), Err::BadCtl);
}

TEST_F(TreeTest, ArpAddDelFlush) {
  auto a = open("arp");
  ASSERT_TRUE(a->write("add ether 10.0.0.9 52:54:00:12:34:56").ok());
  EXPECT_EQ(cat("arp"), "ether OK   10.0.0.9                                 525400123456\n");
  ASSERT_TRUE(a->write("del 10.0.0.9").ok());
  EXPECT_EQ(cat("arp"), "");
  EXPECT_EQ(a->write("del 10.0.0.9").error().code(), Err::NoSuchEntry);
  EXPECT_EQ(a->write("add 10.0.0.9 zz").error().code(), Err::BadArg);
  ASSERT_TRUE(a->write("flush").ok());
}

TEST_F(TreeTest, NdbHoldsAtMost1024BytesAndTruncates) {
  auto n = open("ndb");
  std::string big(1024, 'x');
  ASSERT_TRUE(n->write(big).ok());
  EXPECT_EQ(cat("ndb").size(), 1024u);
  auto r = n->write(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("y"), 1), 1024);
  EXPECT_EQ(r.error().code(), Err::TooBig);
  auto t = open("ndb", O_RDWR | O_TRUNC);
  EXPECT_EQ(cat("ndb"), "");
  EXPECT_EQ(tree.stat(*tree.walk_path("ndb"))->length, 0u);
}

TEST_F(TreeTest, LogReadBlocksUntilTextOrInterrupt) {
  auto log = open("log");
  ASSERT_TRUE(log->write("set ip icmp").ok());
  EXPECT_EQ(log->write("set bogus").error().code(), Err::BadArg);
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    log->interrupt();
  });
  uint8_t buf[256];
  auto r = log->read(buf, 0);
  t.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Err::Interrupted);
  // The interrupt ended that read only: the next read on the same open
  // blocks again and gets the next line.
  std::thread t2([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto c = open("ipifc/clone");
    (void)c->write("frobnicate");
  });
  auto again = log->read(buf, 0);
  t2.join();
  ASSERT_TRUE(again.ok()) << again.error().text();
  EXPECT_NE(std::string(reinterpret_cast<char*>(buf), *again).find("unknown control request"),
            std::string::npos);
  // An error now lands in the log.
  auto ctl = open("ipifc/clone");
  (void)ctl->write("frobnicate");
  auto log2 = open("log");
  (void)ctl->write("frobnicate");
  auto r2 = log2->read(buf, 0);
  ASSERT_TRUE(r2.ok());
  std::string got(reinterpret_cast<char*>(buf), *r2);
  EXPECT_NE(got.find("unknown control request"), std::string::npos) << got;
}

TEST_F(TreeTest, PingThroughTheIcmpDirectory) {
  auto ifc = open("ipifc/clone");
  ASSERT_TRUE(ifc->write("bind loopback").ok());
  ASSERT_TRUE(ifc->write("add 127.0.0.1 255.0.0.0").ok());
  auto ctl = open("icmp/clone");
  std::string n = *ctl->read_all();
  ASSERT_TRUE(ctl->write("connect 127.0.0.5").ok()) << "5: through the loopback medium";
  EXPECT_NE(cat("icmp/" + n + "/remote").find("127.0.0.5!0"), std::string::npos);
  EXPECT_NE(cat("icmp/" + n + "/status").find("Connected"), std::string::npos);
  auto data = open("icmp/" + n + "/data");
  uint8_t req[16] = {8, 0, 0, 0, 0, 0, 0, 7, 'h', 'e', 'l', 'l', 'o', '!', '!', '!'};
  ASSERT_TRUE(data->write(std::span<const uint8_t>(req, sizeof req), 0).ok());
  uint8_t buf[128];
  auto r = data->read(buf, 0);
  ASSERT_TRUE(r.ok()) << r.error().text();
  ASSERT_EQ(*r, sizeof req);
  EXPECT_EQ(buf[0], 0) << "echo reply";
  EXPECT_EQ(load16(buf + 6), 7) << "seq";
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf + 8), 8), "hello!!!");
  std::string stats = cat("icmp/stats");
  EXPECT_NE(stats.find("InEchos: 1\n"), std::string::npos) << stats;
  EXPECT_NE(stats.find("OutEchoReps: 1\n"), std::string::npos) << stats;
  EXPECT_EQ(ctl->write("connect 127.0.0.1").error().code(), Err::InUse);
}

// A ctl message that sends a packet and arms no timer (rudp's hangup) must
// not leave it queued until the engine next wakes for something else. This
// stack's engine never runs, so only the tree's own flushes move packets:
// loopback ones are delivered within them.
TEST(TreeFlush, WhatACtlMessageSendsLeavesAtOnce) {
  Stack stack{0};  // not started
  StackTree tree{stack};
  auto open = [&](const std::string& path) { return open_path(tree, path); };
  auto ifc = open("ipifc/clone");
  ASSERT_TRUE(ifc->write("bind loopback").ok());
  ASSERT_TRUE(ifc->write("add 127.0.0.1 255.0.0.0").ok());
  auto srv = open("rudp/clone");
  std::string s = *srv->read_all();
  ASSERT_TRUE(srv->write("announce 7000").ok());
  auto cli = open("rudp/clone");
  std::string c = *cli->read_all();
  ASSERT_TRUE(cli->write("connect 127.0.0.1!7000").ok());
  ASSERT_TRUE(open("rudp/" + c + "/data")->write("hello").ok());
  auto sdata = open("rudp/" + s + "/data");
  uint8_t buf[64];
  auto r = sdata->read(buf, 0);
  ASSERT_TRUE(r.ok()) << r.error().text();
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), *r), "hello") << "the data write flushed";
  std::string local = cat_path(tree, "rudp/" + c + "/local");
  std::string port = local.substr(local.find('!') + 1);
  port.pop_back();  // the newline
  ASSERT_TRUE(srv->write("hangup 127.0.0.1 " + port).ok());
  std::string stats = cat_path(tree, "rudp/stats");
  EXPECT_NE(stats.find("Hangups: 2\n"), std::string::npos) << "the client has not heard it:\n"
                                                           << stats;
}

TEST_F(TreeTest, Icmpv6HeadersMode) {
  auto ifc = open("ipifc/clone");
  ASSERT_TRUE(ifc->write("bind loopback").ok());
  ASSERT_TRUE(ifc->write("add ::1 /128").ok());
  auto ctl = open("icmpv6/clone");
  std::string n = *ctl->read_all();
  ASSERT_TRUE(ctl->write("announce 77").ok());
  ASSERT_TRUE(ctl->write("headers").ok());
  auto data = open("icmpv6/" + n + "/data");
  uint8_t msg[40 + 12] = {};
  auto lo = *Ipaddr::parse("::1");
  std::memcpy(msg + 8, lo.data(), 16);
  std::memcpy(msg + 24, lo.data(), 16);
  msg[40] = 128;  // echo request
  msg[47] = 3;
  ASSERT_TRUE(data->write(std::span<const uint8_t>(msg, sizeof msg), 0).ok());
  uint8_t buf[128];
  auto r = data->read(buf, 0);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(*r, sizeof msg);
  EXPECT_EQ(Ipaddr(buf + 24), lo) << "raddr";
  EXPECT_EQ(buf[40], 129) << "echo reply";
  EXPECT_EQ(load16(buf + 44), 77) << "id is the local port";
}

}  // namespace
}  // namespace ninet::ns
