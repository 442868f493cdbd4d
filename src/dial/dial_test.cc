// dial: the file operations and ctl messages of each call, against an
// in-memory tree that answers as ip(3)'s does; netmkaddr and address parsing.
#include "dial/dial.h"

#include "dial/ninet_dial.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <vector>

namespace ninet::dial {
namespace {

// A tree with one protocol: clone gives conversation 4 (then 5, ...);
// listen gives 9; ctl writes are recorded, and refused when `refuse` is set
// (the err file then says why).
class FakeFs final : public Fs {
 public:
  struct Open {
    std::string path;
    std::string content;  // what reads return
    size_t at = 0;
  };
  Result<int> open(const std::string& path, int) override {
    opened.push_back(path);
    Open o{path, "", 0};
    if (path.ends_with("/clone")) {
      o.content = std::to_string(next++) + "\n";
      o.path = path.substr(0, path.rfind('/')) + "/" + o.content.substr(0, o.content.size() - 1) +
               "/ctl";
    } else if (path.ends_with("/listen")) {
      o.content = "9";
    } else if (path.ends_with("/err")) {
      o.content = err;
    } else if (path.ends_with("/local")) {
      o.content = "10.0.0.1!5000\n";
    } else if (path.ends_with("/remote")) {
      o.content = "10.0.0.2!80\n";
    } else if (path.ends_with("/missing")) {
      return Err::NotFound;
    }
    files.push_back(o);
    return int(files.size() - 1);
  }
  Result<size_t> read(int h, std::span<uint8_t> buf) override {
    Open& o = files[size_t(h)];
    size_t n = std::min(buf.size(), o.content.size() - o.at);
    std::copy_n(o.content.data() + o.at, n, buf.data());
    o.at += n;
    return n;
  }
  Result<size_t> write(int h, std::span<const uint8_t> data) override {
    std::string m(data.begin(), data.end());
    writes.push_back(files[size_t(h)].path + " <- " + m);
    if (refuse && !m.starts_with("hangup")) return Error(Err::BadCtl);
    return data.size();
  }
  void close(int h) override { closed.push_back(files[size_t(h)].path); }

  int next = 4;
  bool refuse = false;
  std::string err;
  std::vector<Open> files;
  std::vector<std::string> opened, writes, closed;
};

TEST(Dial, ConnectsThroughCloneCtlAndData) {
  FakeFs fs;
  auto c = dial("/n/net/tcp!10.0.0.2!80", "", fs);
  ASSERT_TRUE(c) << c.error().text();
  EXPECT_EQ(c->dir, "/n/net/tcp/4");
  EXPECT_EQ(fs.opened, (std::vector<std::string>{"/n/net/tcp/clone", "/n/net/tcp/4/data"}));
  EXPECT_EQ(fs.writes, (std::vector<std::string>{"/n/net/tcp/4/ctl <- connect 10.0.0.2!80"}));
  EXPECT_GE(c->ctl, 0);
  EXPECT_GE(c->data, 0);
  c->close();
  EXPECT_EQ(fs.closed.size(), 2u);
  EXPECT_EQ(c->ctl, -1);
}

TEST(Dial, LocalPortServiceNamesAndIpv6) {
  FakeFs fs;
  ASSERT_TRUE(dial("/n/net/udp!2001:db8::9!domain", "5353", fs));
  EXPECT_EQ(fs.writes.back(), "/n/net/udp/4/ctl <- connect 2001:db8::9!53 5353");
  ASSERT_TRUE(dial("/n/net/net!127.0.0.1!7", "", fs));  // "net" is tcp
  EXPECT_EQ(fs.writes.back(), "/n/net/tcp/5/ctl <- connect 127.0.0.1!7");
  ASSERT_TRUE(dial("/n/net/icmp!10.1.1.1", "", fs));  // no service
  EXPECT_EQ(fs.writes.back(), "/n/net/icmp/6/ctl <- connect 10.1.1.1");
}

TEST(Dial, ARefusedConnectReportsTheErrFileAndClosesEverything) {
  FakeFs fs;
  fs.refuse = true;
  fs.err = "connection refused";
  auto c = dial("/n/net/tcp!10.0.0.2!81", "", fs);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), Err::Refused);
  EXPECT_EQ(c.error().text(), "connection refused");
  EXPECT_EQ(fs.closed, (std::vector<std::string>{"/n/net/tcp/4/err", "/n/net/tcp/4/ctl"}));
  // Without a reason in err, the write's own error.
  fs.err = "";
  auto d = dial("/n/net/tcp!10.0.0.2!81", "", fs);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code(), Err::BadCtl);
}

TEST(Dial, AnnounceListenAcceptReject) {
  FakeFs fs;
  auto a = announce("/n/net/udp!*!7", fs);
  ASSERT_TRUE(a);
  EXPECT_EQ(fs.writes.back(), "/n/net/udp/4/ctl <- announce 7");
  EXPECT_EQ(a->data, -1);
  ASSERT_TRUE(announce("/n/net/tcp!10.0.0.1!80", fs));
  EXPECT_EQ(fs.writes.back(), "/n/net/tcp/5/ctl <- announce 10.0.0.1!80");
  ASSERT_TRUE(announce("/n/net/tcp!*!*", fs));
  EXPECT_EQ(fs.writes.back(), "/n/net/tcp/6/ctl <- announce *");
  EXPECT_FALSE(announce("/n/net/tcp!*", fs));  // no port

  auto l = listen(a->dir, fs);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->dir, "/n/net/udp/9");
  EXPECT_EQ(fs.opened.back(), "/n/net/udp/4/listen");
  auto fd = accept(l->ctl, l->dir, fs);
  ASSERT_TRUE(fd);
  EXPECT_EQ(fs.opened.back(), "/n/net/udp/9/data");
  EXPECT_EQ(fs.writes.back(), "/n/net/udp/4/listen <- accept 9");

  fs.refuse = true;  // IP has no reject: the call is hung up instead
  ASSERT_TRUE(reject(l->ctl, l->dir, "busy", fs));
  EXPECT_EQ(fs.writes[fs.writes.size() - 2], "/n/net/udp/4/listen <- reject 9 busy");
  EXPECT_EQ(fs.writes.back(), "/n/net/udp/4/listen <- hangup");
}

TEST(Dial, GetNetConnInfoReadsLocalAndRemote) {
  FakeFs fs;
  auto i = getnetconninfo("/net/tcp/4", -1, fs);
  ASSERT_TRUE(i) << i.error().text();
  EXPECT_EQ(i->root, "/net");
  EXPECT_EQ(i->lsys, "10.0.0.1");
  EXPECT_EQ(i->lserv, "5000");
  EXPECT_EQ(i->rsys, "10.0.0.2");
  EXPECT_EQ(i->rserv, "80");
  EXPECT_EQ(i->laddr, "tcp!10.0.0.1!5000");
  EXPECT_EQ(i->raddr, "tcp!10.0.0.2!80");
  EXPECT_FALSE(getnetconninfo("tcp", -1, fs));
  EXPECT_FALSE(getnetconninfo("", -1, fs));
}

TEST(Dial, Netmkaddr) {
  EXPECT_EQ(netmkaddr("10.0.0.1", "tcp", "80"), "tcp!10.0.0.1!80");
  EXPECT_EQ(netmkaddr("10.0.0.1", "udp"), "udp!10.0.0.1");
  EXPECT_EQ(netmkaddr("udp!10.0.0.1", "tcp", "53"), "udp!10.0.0.1!53");
  EXPECT_EQ(netmkaddr("tcp!10.0.0.1!25", "udp", "53"), "tcp!10.0.0.1!25");
  EXPECT_EQ(netmkaddr("h"), "net!h");
}

TEST(Dial, BadAddresses) {
  for (const char* bad : {"tcp", "tcp!", "!1.2.3.4!5", "tcp!1.2.3.4!5!6", "tcp!1.2.3.4!70000",
                          "tcp!1.2.3.4!no-such-service-here", "../x!1.2.3.4!5"}) {
    auto t = parse_target(bad, "/net");
    EXPECT_FALSE(t) << bad;
  }
  FakeFs fs;
  EXPECT_FALSE(dial("/n/net/tcp!*!80", "", fs));  // cannot call "anyone"
  auto t = parse_target("tcp!10.0.0.1!80", "");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->netdir, default_netdir());
}

// The C API over posix_fs: errors set errno and keep the tree's text.
TEST(DialC, ErrnoAndErrstr) {
  EXPECT_STREQ(ninet_netmkaddr("10.0.0.1", "udp", "7"), "udp!10.0.0.1!7");
  char dir[NINET_NETPATHLEN] = "unchanged";
  errno = 0;
  EXPECT_EQ(ninet_dial("/nonexistent-ninet-tree/tcp!127.0.0.1!7", nullptr, dir, nullptr), -1);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_NE(std::string(ninet_errstr()).find("/nonexistent-ninet-tree/tcp/clone"),
            std::string::npos)
      << ninet_errstr();
  EXPECT_STREQ(dir, "unchanged");
  EXPECT_EQ(ninet_announce("tcp!*", dir), -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(ninet_getnetconninfo(nullptr, -1), nullptr);
  ninet_freenetconninfo(nullptr);
}

}  // namespace
}  // namespace ninet::dial
