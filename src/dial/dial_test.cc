// dial: the file operations and ctl messages of each call, against an
// in-memory tree that answers as ip(3)'s does; netmkaddr and address parsing.
#include "dial/dial.h"

#include "dial/ninet_dial.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <mutex>
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
    std::lock_guard<std::recursive_mutex> g(mu);
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
    std::lock_guard<std::recursive_mutex> g(mu);
    Open& o = files[size_t(h)];
    size_t n = std::min(buf.size(), o.content.size() - o.at);
    std::copy_n(o.content.data() + o.at, n, buf.data());
    o.at += n;
    return n;
  }
  Result<size_t> write(int h, std::span<const uint8_t> data) override {
    std::lock_guard<std::recursive_mutex> g(mu);
    if (max_write && data.size() > max_write) data = data.first(max_write);
    std::string m(data.begin(), data.end());
    writes.push_back(files[size_t(h)].path + " <- " + m);
    if (refuse && !m.starts_with("hangup")) return Error(Err::BadCtl);
    return data.size();
  }
  std::string path(int h) override {
    std::lock_guard<std::recursive_mutex> g(mu);
    return files[size_t(h)].path;
  }
  void close(int h) override {
    std::lock_guard<std::recursive_mutex> g(mu);
    closed.push_back(files[size_t(h)].path);
  }

  std::recursive_mutex mu;  // serve() calls from its threads
  int next = 4;
  size_t max_write = 0;  // writes take at most this many bytes (0: all)
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

TEST(Dial, ParseAddrTakesTheTextApartWithoutLookingUp) {
  auto a = parse_addr("/net.alt/tcp!example.com!http");
  ASSERT_TRUE(a) << a.error().text();
  EXPECT_EQ(a->netdir, "/net.alt");
  EXPECT_EQ(a->proto, "tcp");
  EXPECT_EQ(a->host, "example.com");
  EXPECT_EQ(a->kind, Addr::kName);
  EXPECT_EQ(a->service, "http");
  EXPECT_FALSE(a->numeric);
  EXPECT_EQ(a->str(), "/net.alt/tcp!example.com!http");

  a = parse_addr("net!fe80::1!80");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->netdir, "");
  EXPECT_EQ(a->proto, "tcp");
  EXPECT_EQ(a->kind, Addr::kIp);
  EXPECT_TRUE(a->numeric);
  EXPECT_EQ(a->str(), "tcp!fe80::1!80");
  EXPECT_EQ(parse_addr(a->str())->str(), a->str());

  a = parse_addr("udp!*!*");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, Addr::kAny);
  EXPECT_EQ(a->service, "*");
  a = parse_addr("icmp!10.0.0.1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->service, "");
  EXPECT_EQ(a->str(), "icmp!10.0.0.1");
  a = parse_addr("/n//tcp!10.0.0.1!7");  // a tree's trailing slashes go
  ASSERT_TRUE(a);
  EXPECT_EQ(a->netdir, "/n");
  EXPECT_EQ(a->str(), "/n/tcp!10.0.0.1!7");
  a = parse_addr("/tcp!10.0.0.1!7");  // a tree at the root
  ASSERT_TRUE(a);
  EXPECT_EQ(a->netdir, "/");
  EXPECT_EQ(a->str(), "/tcp!10.0.0.1!7");
  a = parse_addr("tcp!10.0.0.1!65535");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->numeric);
}

TEST(Dial, ParseAddrRefusesWhatCouldReachACtlMessageAsAnotherWord) {
  struct Bad {
    const char* addr;
    Err code;
  };
  for (auto [bad, code] : std::initializer_list<Bad>{
           {"tcp!10.0.0.1 hangup!80", Err::BadIp},  // a space in the host
           {"tcp!10.0.0.1!80 7", Err::BadPort},     // a second word after the port
           {"tcp!10.0.0.1!8\n0", Err::BadPort},     // a newline
           {"tc p!10.0.0.1!80", Err::BadArg},       // a space in the network
           {"tcp!10.0.0.1!", Err::BadArg},          // an empty service
           {"tcp!!80", Err::BadArg},                // an empty host
           {"tcp!1.2.3!80", Err::BadIp},            // digits and dots, not an address
           {"tcp!1:2:3!80", Err::BadIp},            // colons, not an address
           {"tcp!10.0.0.1!65536", Err::BadPort},    // past 65535
           {"tcp!10.0.0.1!000080", Err::BadPort},   // six digits
           {"tcp!a!b!c", Err::BadArg},              // four parts
           {"", Err::BadArg}}) {
    auto a = parse_addr(bad);
    ASSERT_FALSE(a) << bad;
    EXPECT_EQ(a.error().code(), code) << bad << ": " << a.error().text();
  }
}

TEST(Dial, ParseTargetResolvesOnlyWhatParseAddrLeftToIt) {
  auto t = parse_target("udp!127.0.0.1!domain", "/n");
  ASSERT_TRUE(t) << t.error().text();
  EXPECT_EQ(t->netdir, "/n");
  EXPECT_EQ(t->ip, "127.0.0.1");
  EXPECT_EQ(t->port, "53");  // from /etc/services
  t = parse_target("/m/tcp!*!*", "/n");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->netdir, "/m");
  EXPECT_EQ(t->ip, "*");
  EXPECT_EQ(t->port, "*");
}

TEST(Dial, ConnWritesAllOfItsDataInAsManyWritesAsTheFsTakes) {
  FakeFs fs;
  fs.max_write = 4;
  auto c = dial("/n/net/tcp!10.0.0.2!80", "", fs);
  ASSERT_TRUE(c);
  fs.writes.clear();
  ASSERT_TRUE(c->write("0123456789"));
  EXPECT_EQ(fs.writes,
            (std::vector<std::string>{"/n/net/tcp/4/data <- 0123", "/n/net/tcp/4/data <- 4567",
                                      "/n/net/tcp/4/data <- 89"}));
  Conn none;
  EXPECT_FALSE(none.write("x"));
  uint8_t b[4];
  EXPECT_FALSE(none.read(b));
}

TEST(Dial, GetNetConnInfoOfAHandleUsesItsPath) {
  FakeFs fs;
  auto c = dial("/n/net/tcp!10.0.0.2!80", "", fs);
  ASSERT_TRUE(c);
  auto i = getnetconninfo("", c->data, fs);
  ASSERT_TRUE(i) << i.error().text();
  EXPECT_EQ(i->dir, "/n/net/tcp/4");
  EXPECT_EQ(i->root, "/n/net");
  EXPECT_EQ(i->raddr, "tcp!10.0.0.2!80");
}

// serve() is announce, then listen/accept/handler/close per call.
TEST(Dial, ServeRunsTheLoopOnce) {
  FakeFs fs;
  std::string announced;
  std::vector<std::string> calls;
  ServeOptions o;
  o.threads = false;
  o.max_calls = 2;
  o.announced = [&](const Conn& a) { announced = a.dir; };
  auto st = serve(
      "/n/net/tcp!*!7",
      [&](Conn& c) {
        calls.push_back(c.dir);
        EXPECT_GE(c.data, 0);
        EXPECT_TRUE(c.write("hi"));
      },
      o, fs);
  ASSERT_TRUE(st) << st.error().text();
  EXPECT_EQ(announced, "/n/net/tcp/4");
  EXPECT_EQ(calls, (std::vector<std::string>{"/n/net/tcp/9", "/n/net/tcp/9"}));
  EXPECT_EQ(fs.writes, (std::vector<std::string>{
                           "/n/net/tcp/4/ctl <- announce 7", "/n/net/tcp/4/listen <- accept 9",
                           "/n/net/tcp/9/data <- hi", "/n/net/tcp/4/listen <- accept 9",
                           "/n/net/tcp/9/data <- hi"}));
  // Every file it opened was closed: two calls (listen, data) and the
  // announcement's ctl.
  EXPECT_EQ(fs.closed.size(), 5u);
  EXPECT_EQ(fs.closed.back(), "/n/net/tcp/4/ctl");

  // Threads: the same calls, each on its own thread; serve waits for them.
  FakeFs fs2;
  o.threads = true;
  std::atomic<int> n{0};
  ASSERT_TRUE(serve(
      "/n/net/tcp!*!7", [&](Conn&) { n++; }, o, fs2));
  EXPECT_EQ(n, 2);

  // An announce that fails is serve's error.
  FakeFs refusing;
  refusing.refuse = true;
  refusing.err = "address in use";
  auto bad = serve(
      "/n/net/tcp!*!7", [&](Conn&) { ADD_FAILURE(); }, o, refusing);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Err::AddrInUse);
}

// Before any test calls set_default (gtest runs them in this order).
TEST(Dial, ANinePNetWithNoClientRefusesEveryOpen) {
  ::setenv("NINET_NET", "9p!unix!/nonexistent/ninet0", 1);
  EXPECT_EQ(default_netdir(), "/net");
  EXPECT_NE(&default_fs(), &posix_fs());
  auto c = dial("tcp!127.0.0.1!7");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), Err::NotSupported);
  EXPECT_NE(c.error().text().find("NINET_NET names a 9P service"), std::string::npos);
  ::setenv("NINET_NET", "/n/elsewhere", 1);
  EXPECT_EQ(default_netdir(), "/n/elsewhere");
  EXPECT_EQ(&default_fs(), &posix_fs());
  ::unsetenv("NINET_NET");
  EXPECT_EQ(default_netdir(), "/net");
}

TEST(Dial, TheDefaultFsIsSetOrPosix) {
  // set_default changes where calls with no Fs go, and the default tree.
  FakeFs fs;
  set_default(fs, "/fake");
  EXPECT_EQ(&default_fs(), &fs);
  EXPECT_EQ(default_netdir(), "/fake");
  auto c = dial("tcp!10.0.0.2!80");
  ASSERT_TRUE(c) << c.error().text();
  EXPECT_EQ(c->dir, "/fake/tcp/4");
  // The C calls go through it too.
  char dir[NINET_NETPATHLEN];
  int fd = ninet_dial("tcp!10.0.0.3!80", nullptr, dir, nullptr);
  ASSERT_GE(fd, 0) << ninet_errstr();
  EXPECT_STREQ(dir, "/fake/tcp/5");
  EXPECT_EQ(ninet_write(fd, "abc", 3), 3);
  EXPECT_EQ(fs.writes.back(), "/fake/tcp/5/data <- abc");
  ninet_close(fd);
  EXPECT_EQ(fs.closed.back(), "/fake/tcp/5/data");
  set_default(posix_fs(), "/net");
  EXPECT_EQ(&default_fs(), &posix_fs());
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
