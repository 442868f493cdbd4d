// dialfs: the dial library over a Stack's tree in this process (TreeFs) and
// over that tree served by NinepServer on a unix socket (NinepFs): real TCP
// and UDP calls between two conversations of one stack on its loopback.
#include "dialfs/dialfs.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <future>
#include <string>
#include <thread>

#include "dial/ninet_dial.h"
#include "ns/stack_tree.h"
#include "ns/tree_testing.h"
#include "serve/9p/server.h"

namespace ninet::dialfs {
namespace {

// Reads from c until `want` bytes came or the stream ended.
std::string read_n(dial::Conn& c, size_t want) {
  std::string got;
  uint8_t buf[8192];
  while (got.size() < want) {
    auto n = c.read(buf);
    if (!n || *n == 0) break;
    got.append(reinterpret_cast<char*>(buf), *n);
  }
  return got;
}

// A stack with 127.0.0.1 and ::1 on its loopback, its tree, and the tree
// served over 9P at a unix socket in a directory of its own.
struct DialFs : ::testing::Test {
  Stack stack{0};
  ns::StackTree tree{stack};
  std::string tmp;
  std::unique_ptr<NinepServer> srv;
  std::string sock;

  void SetUp() override {
    stack.start();
    auto ifc = ns::open_path(tree, "ipifc/clone");
    ASSERT_TRUE(ifc);
    ASSERT_TRUE(ifc->write("bind loopback"));
    ASSERT_TRUE(ifc->write("add 127.0.0.1 255.0.0.0"));
    ASSERT_TRUE(ifc->write("add ::1 /128"));
    char dir[] = "/tmp/ninet-dialfs.XXXXXX";
    ASSERT_TRUE(mkdtemp(dir));
    tmp = dir;
    sock = tmp + "/ninet0";
    srv = std::make_unique<NinepServer>(tree);
    ASSERT_TRUE(srv->listen("unix!" + sock));
  }
  void TearDown() override {
    srv.reset();
    unlink(sock.c_str());
    rmdir(tmp.c_str());
    stack.stop();
  }
};

// A call both ways between two conversations of the stack: announce,
// listen, dial, accept, data each way, getnetconninfo on both ends, close.
void exchange(dial::Fs& fs, const std::string& proto, const std::string& host, const char* port) {
  auto a = dial::announce(proto + "!*!" + port, fs);
  ASSERT_TRUE(a) << a.error().text();
  EXPECT_TRUE(a->dir.starts_with("/net/" + proto + "/")) << a->dir;
  auto served = std::async(std::launch::async, [&]() -> std::string {
    auto l = dial::listen(a->dir, fs);
    if (!l) return "listen: " + l.error().text();
    auto d = dial::accept(l->ctl, l->dir, fs);
    if (!d) return "accept: " + d.error().text();
    l->data = *d;
    std::string got = read_n(*l, 4);
    if (auto st = l->write("pong:" + got); !st) return "write: " + st.error().text();
    auto info = dial::getnetconninfo(l->dir, -1, fs);
    std::string who = info ? info->raddr + " " + info->laddr : info.error().text();
    if (proto == "tcp") {  // the caller's close is the end of the stream
      uint8_t b[16];
      auto n = l->read(b);
      if (!n || *n != 0) return "no end of stream after the caller closed";
    }
    l->close();
    return got + " from " + who;
  });
  auto c = dial::dial(proto + "!" + host + "!" + port, "", fs);
  ASSERT_TRUE(c) << c.error().text();
  ASSERT_TRUE(c->write("ping"));
  EXPECT_EQ(read_n(*c, 9), "pong:ping");
  auto mine = dial::getnetconninfo(c->dir, -1, fs);
  ASSERT_TRUE(mine) << mine.error().text();
  EXPECT_EQ(mine->raddr, proto + "!" + host + "!" + port);
  EXPECT_EQ(mine->rsys, host);
  EXPECT_EQ(mine->root, "/net");
  // The same through the data handle's path.
  auto by_handle = dial::getnetconninfo("", c->data, fs);
  ASSERT_TRUE(by_handle) << by_handle.error().text();
  EXPECT_EQ(by_handle->dir, c->dir);
  c->close();
  // The server saw the caller's address as the caller sees its own.
  EXPECT_EQ(served.get(), "ping from " + mine->laddr + " " + mine->raddr);
  a->close();
}

TEST_F(DialFs, TcpAndUdpInProcess) {
  TreeFs fs(tree);
  exchange(fs, "tcp", "127.0.0.1", "7001");
  exchange(fs, "udp", "127.0.0.1", "7002");
  exchange(fs, "tcp", "::1", "7003");
}

TEST_F(DialFs, TcpAndUdpOverNineP) {
  auto fs = NinepFs::connect("unix!" + sock);
  ASSERT_TRUE(fs) << fs.error().text();
  exchange(**fs, "tcp", "127.0.0.1", "7001");
  exchange(**fs, "udp", "127.0.0.1", "7002");
  exchange(**fs, "udp", "::1", "7003");
}

TEST_F(DialFs, ErrorsAreTheTreesText) {
  TreeFs local(tree);
  auto remote = NinepFs::connect("unix!" + sock);
  ASSERT_TRUE(remote);
  for (dial::Fs* fs : {static_cast<dial::Fs*>(&local), static_cast<dial::Fs*>(remote->get())}) {
    auto c = dial::dial("tcp!127.0.0.1!7999", "", *fs);  // nobody announced it
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code(), Err::Refused) << c.error().text();
    auto a = dial::announce("udp!*!7010", *fs);
    ASSERT_TRUE(a) << a.error().text();
    auto b = dial::announce("udp!*!7010", *fs);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code(), Err::AddrInUse) << b.error().text();
    a->close();
    auto n = dial::dial("/elsewhere/tcp!127.0.0.1!7", "", *fs);  // not its tree
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error().code(), Err::NotFound);
    auto x = dial::dial("xtp!127.0.0.1!7", "", *fs);  // no such protocol
    ASSERT_FALSE(x);
    EXPECT_EQ(x.error().code(), Err::NotFound);
  }
}

// 300 KiB each way through one TCP call: over 9P, more than a message
// (64 KiB) goes in several writes.
void bulk(dial::Fs& fs) {
  std::string big(300 << 10, '\0');
  for (size_t i = 0; i < big.size(); i++)
    big[i] = char('a' + i * 7 % 26);
  dial::ServeOptions o;
  o.max_calls = 1;
  std::promise<void> ready;
  o.announced = [&](const dial::Conn&) { ready.set_value(); };
  auto served = std::async(std::launch::async, [&] {
    return dial::serve(
        "tcp!127.0.0.1!7020",
        [&](dial::Conn& c) {
          std::string got = read_n(c, big.size());
          EXPECT_EQ(got.size(), big.size());
          EXPECT_TRUE(got == big);
          EXPECT_TRUE(c.write(got));
        },
        o, fs);
  });
  ready.get_future().wait();
  auto c = dial::dial("tcp!127.0.0.1!7020", "", fs);
  ASSERT_TRUE(c) << c.error().text();
  std::thread writer([&] { EXPECT_TRUE(c->write(big)); });
  std::string back = read_n(*c, big.size());
  writer.join();
  EXPECT_EQ(back.size(), big.size());
  EXPECT_TRUE(back == big);
  c->close();
  auto st = served.get();
  EXPECT_TRUE(st) << st.error().text();
}

TEST_F(DialFs, BulkDataBothWaysInProcess) {
  TreeFs fs(tree);
  bulk(fs);
}

TEST_F(DialFs, BulkDataBothWaysOverNineP) {
  auto fs = NinepFs::connect("unix!" + sock);
  ASSERT_TRUE(fs);
  bulk(**fs);
}

// A listen blocked in one thread holds up no other call on the same 9P
// connection: another conversation's ctl write goes through meanwhile.
TEST_F(DialFs, ABlockedListenHoldsUpNoCtlWriteOverNineP) {
  auto fs = NinepFs::connect("unix!" + sock);
  ASSERT_TRUE(fs);
  auto a = dial::announce("tcp!*!7030", **fs);
  ASSERT_TRUE(a);
  auto listening = std::async(std::launch::async, [&] { return dial::listen(a->dir, **fs); });
  // Nobody has called: the listen cannot have returned, and these ctl
  // writes (announce, connect) must not wait for it.
  auto other = dial::announce("udp!*!7031", **fs);
  ASSERT_TRUE(other) << other.error().text();
  auto refused = dial::dial("tcp!127.0.0.1!7032", "", **fs);
  EXPECT_EQ(refused.error().code(), Err::Refused);
  EXPECT_EQ(listening.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  auto c = dial::dial("tcp!127.0.0.1!7030", "", **fs);
  ASSERT_TRUE(c) << c.error().text();
  auto l = listening.get();
  ASSERT_TRUE(l) << l.error().text();
  auto d = dial::accept(l->ctl, l->dir, **fs);
  ASSERT_TRUE(d);
  l->data = *d;
  ASSERT_TRUE(c->write("x"));
  EXPECT_EQ(read_n(*l, 1), "x");
  c->close();
  l->close();
  other->close();
  a->close();
}

// Closing a handle ends a read blocked on it in another thread.
TEST_F(DialFs, CloseEndsABlockedRead) {
  TreeFs local(tree);
  auto remote = NinepFs::connect("unix!" + sock);
  ASSERT_TRUE(remote);
  int port = 7040;
  for (dial::Fs* fs : {static_cast<dial::Fs*>(&local), static_cast<dial::Fs*>(remote->get())}) {
    std::string p = std::to_string(port++);
    auto a = dial::announce("tcp!*!" + p, *fs);
    ASSERT_TRUE(a);
    auto l = std::async(std::launch::async, [&] { return dial::listen(a->dir, *fs); });
    auto c = dial::dial("tcp!127.0.0.1!" + p, "", *fs);
    ASSERT_TRUE(c);
    auto call = l.get();
    ASSERT_TRUE(call);
    auto reading = std::async(std::launch::async, [&] {
      uint8_t b[16];
      return c->read(b);  // the server never writes
    });
    // The read is under way or about to be: either way close ends it.
    while (reading.wait_for(std::chrono::milliseconds(5)) != std::future_status::ready) {
      int h = c->data;
      c->data = -1;
      if (h >= 0) fs->close(h);
    }
    auto r = reading.get();
    EXPECT_TRUE(!r || *r == 0);
    c->close();
    call->close();
    a->close();
  }
}

// serve() over the in-process tree: the loop of every example, calls
// handled on threads of their own.
TEST_F(DialFs, ServeTakesEachCallOnItsOwnThread) {
  TreeFs fs(tree);
  dial::ServeOptions o;
  o.max_calls = 3;
  std::promise<void> ready;
  o.announced = [&](const dial::Conn&) { ready.set_value(); };
  auto served = std::async(std::launch::async, [&] {
    return dial::serve(
        "tcp!*!7050",
        [](dial::Conn& c) {
          uint8_t b[64];
          for (;;) {
            auto n = c.read(b);
            if (!n || *n == 0 || !c.write(std::span<const uint8_t>(b, *n))) break;
          }
        },
        o, fs);
  });
  ready.get_future().wait();
  // Three callers at once: each is answered while the others stay open.
  std::vector<dial::Conn> calls;
  for (int i = 0; i < 3; i++) {
    auto c = dial::dial("tcp!127.0.0.1!7050", "", fs);
    ASSERT_TRUE(c) << c.error().text();
    calls.push_back(*c);
  }
  for (int i = 0; i < 3; i++) {
    std::string m = "call " + std::to_string(i);
    ASSERT_TRUE(calls[size_t(i)].write(m));
    EXPECT_EQ(read_n(calls[size_t(i)], m.size()), m);
  }
  for (auto& c : calls)
    c.close();
  auto st = served.get();
  EXPECT_TRUE(st) << st.error().text();
}

// $NINET_NET=9p!unix!PATH: every call that names no Fs, and the C API,
// goes over 9P.
TEST_F(DialFs, UseNetMakesNinePTheDefault) {
  TreeFs local(tree);
  auto a = dial::announce("udp!*!7060", local);
  ASSERT_TRUE(a);
  ::setenv("NINET_NET", ("9p!unix!" + sock).c_str(), 1);
  ASSERT_EQ(ninet_setnet(nullptr), 0) << ninet_errstr();
  ::unsetenv("NINET_NET");
  EXPECT_NE(&dial::default_fs(), &dial::posix_fs());
  EXPECT_EQ(dial::default_netdir(), "/net");
  auto l = std::async(std::launch::async, [&] { return dial::listen(a->dir, local); });
  char dir[NINET_NETPATHLEN];
  int fd = ninet_dial("udp!127.0.0.1!7060", nullptr, dir, nullptr);
  ASSERT_GE(fd, 0) << ninet_errstr();
  EXPECT_EQ(ninet_write(fd, "c-api", 5), 5);
  auto call = l.get();
  ASSERT_TRUE(call) << call.error().text();
  auto d = dial::accept(call->ctl, call->dir, local);
  ASSERT_TRUE(d);
  call->data = *d;
  EXPECT_EQ(read_n(*call, 5), "c-api");
  ASSERT_TRUE(call->write("ok"));
  char buf[8];
  EXPECT_EQ(ninet_read(fd, buf, sizeof buf), 2);
  EXPECT_EQ(std::string(buf, 2), "ok");
  NinetConnInfo* info = ninet_getnetconninfo(dir, -1);
  ASSERT_TRUE(info) << ninet_errstr();
  EXPECT_STREQ(info->raddr, "udp!127.0.0.1!7060");
  ninet_freenetconninfo(info);
  ninet_close(fd);
  // The C++ calls that name no Fs use it too.
  auto c = dial::dial("udp!127.0.0.1!7060");
  ASSERT_TRUE(c) << c.error().text();
  EXPECT_EQ(c->fs, &dial::default_fs());
  c->close();
  call->close();
  a->close();

  // What cannot be used leaves the default as it was.
  EXPECT_EQ(ninet_setnet(("9p!unix!" + tmp + "/nobody").c_str()), -1);
  EXPECT_EQ(errno, ECONNREFUSED);
  EXPECT_NE(std::string(ninet_errstr()).find("/nobody"), std::string::npos) << ninet_errstr();
  EXPECT_FALSE(use_net("relative/path"));
  EXPECT_NE(&dial::default_fs(), &dial::posix_fs());
  ASSERT_TRUE(use_net("/net"));
  EXPECT_EQ(&dial::default_fs(), &dial::posix_fs());
}

}  // namespace
}  // namespace ninet::dialfs
