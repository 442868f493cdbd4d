// The tree's pipex directory (stack_tree.h): enable, ctl, closed, err and a
// directory per session, driven as a shell or a daemon over 9P would, as
// the stack's owner and as other users.
#include <fcntl.h>
#include <gtest/gtest.h>

#include "ns/stack_tree.h"
#include "ns/tree_testing.h"

namespace ninet::ns {
namespace {

const User kRoot{"root"};         // the stack's owner (the default)
const User kNobody{"nobody"};     // anyone else
const User kPriv{"alice", true};  // privileged (FUSE uid 0 under another name)

const char* kAdd7 =
    "add ifc=0 proto=l2tp id=7 ppp-id=507 timeout=10 framed=10.0.0.7 peer=192.0.2.1!1701 "
    "local=192.0.2.2!1701";

struct PipexTreeTest : ::testing::Test {
  ManualClock clock;
  Stack stack{0, &clock};
  StackTree tree{stack};

  void SetUp() override {
    ifc = open_path(tree, "ipifc/clone");
    ASSERT_TRUE(ifc);
    ASSERT_TRUE(ifc->write("bind pkt").ok());
  }

  Result<std::unique_ptr<Handle>> try_open(const std::string& path, int flags, const User& who) {
    auto q = tree.walk_path(path);
    if (!q) return q.error();
    return tree.open(*q, flags, who);
  }
  // One write of msg to path, opened write-only with truncation as a
  // shell's `echo msg > path` opens it.
  Status write(const std::string& path, std::string_view msg, const User& who = kRoot) {
    auto h = try_open(path, O_WRONLY | O_TRUNC, who);
    if (!h) return h.error();
    auto n = (*h)->write(msg);
    if (!n) return n.error();
    EXPECT_EQ(*n, msg.size());
    return {};
  }
  std::string cat(const std::string& path, const User& who = kRoot) {
    return cat_path(tree, path, who);
  }
  std::string names(const std::string& dir) {
    auto d = tree.readdir(*tree.walk_path(dir));
    EXPECT_TRUE(d.ok()) << dir;
    std::string s;
    if (d)
      for (auto& e : *d)
        s += e.name + (e.dir ? "/ " : " ");
    return s;
  }
  Stat st(const std::string& path) {
    auto q = tree.walk_path(path);
    EXPECT_TRUE(q.ok()) << path;
    auto s = q ? tree.stat(*q) : Result<Stat>(Err::NotFound);
    return s ? *s : Stat{};
  }
  void run_for(int seconds) {
    for (int i = 0; i < seconds; i++) {
      clock.advance(sec(1));
      stack.run_once();
    }
  }

  std::unique_ptr<Handle> ifc;
};

TEST_F(PipexTreeTest, TheDirectoryAndItsFiles) {
  EXPECT_NE(names("").find("pipex/"), std::string::npos) << names("");
  EXPECT_EQ(names("pipex"), "enable ctl closed stats err sessions/ ");
  EXPECT_EQ(names("pipex/sessions"), "");
  EXPECT_EQ(*tree.walk_path("pipex/sessions/.."), *tree.walk_path("pipex"));
  EXPECT_EQ(*tree.walk_path("pipex/.."), tree.root());
  EXPECT_FALSE(tree.walk_path("pipex/nosuch").ok());
  EXPECT_FALSE(tree.walk_path("pipex/sessions/l2tp.7").ok());
  EXPECT_FALSE(tree.walk_path("pipex/enable/x").ok());
  EXPECT_EQ(st("pipex").mode, 0555u);
  EXPECT_TRUE(st("pipex/sessions").dir);
  EXPECT_EQ(st("pipex/enable").mode, 0644u);
  EXPECT_EQ(st("pipex/ctl").mode, 0644u);
  EXPECT_EQ(st("pipex/closed").mode, 0400u);
  EXPECT_EQ(st("pipex/err").mode, 0444u);
  EXPECT_EQ(st("pipex/stats").mode, 0444u);
  // The data path's counters: none counted yet, each named.
  stack.pipex().counters.InNoSession = 3;
  const std::string stats = cat("pipex/stats");
  EXPECT_NE(stats.find("InNoSession: 3\n"), std::string::npos) << stats;
  EXPECT_NE(stats.find("OutNoSession: 0\n"), std::string::npos) << stats;
  EXPECT_EQ(st("pipex/ctl").owner, "root");
  EXPECT_EQ(try_open("pipex", O_WRONLY, kRoot).error().code(), Err::IsDir);
}

TEST_F(PipexTreeTest, EnableReadsAndTakesZeroOrOne) {
  EXPECT_EQ(cat("pipex/enable"), "0\n");
  ASSERT_TRUE(write("pipex/enable", "1\n").ok());  // echo 1 > enable
  EXPECT_TRUE(stack.pipex().enabled);
  EXPECT_EQ(cat("pipex/enable"), "1\n");
  EXPECT_TRUE(tree.truncate(*tree.walk_path("pipex/enable"), kRoot).ok());
  EXPECT_EQ(cat("pipex/enable"), "1\n") << "truncation alone changes nothing";
  for (const char* bad : {"2", "on", "", "1 1", "01"}) {
    Status s = write("pipex/enable", bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().code(), Err::BadArg) << bad;
  }
  EXPECT_EQ(cat("pipex/err"), "bad arg in system call: enable takes 0 or 1\n");
  EXPECT_TRUE(stack.pipex().enabled);
  ASSERT_TRUE(write("pipex/enable", "0").ok());
  EXPECT_FALSE(stack.pipex().enabled);
}

TEST_F(PipexTreeTest, CtlAddsSessionsThatAppearAsDirectories) {
  EXPECT_EQ(cat("pipex/ctl"), "");
  ASSERT_TRUE(write("pipex/ctl", "mode 0 on\n").ok());
  EXPECT_EQ(cat("pipex/ctl"), "mode 0 on\n");
  ASSERT_TRUE(write("pipex/ctl", kAdd7).ok());
  ASSERT_TRUE(write("pipex/ctl",
                    "add ifc=0 proto=pptp id=3 framed=10.0.0.3 peer=192.0.2.1!0 local=192.0.2.2!0")
                  .ok());
  ASSERT_TRUE(write("pipex/ctl",
                    "add ifc=0 proto=l2tp id=12 framed=10.0.0.12 peer=192.0.2.1!1701 "
                    "local=192.0.2.2!1701")
                  .ok());
  EXPECT_EQ(names("pipex/sessions"), "l2tp.7/ l2tp.12/ pptp.3/ ");
  EXPECT_EQ(names("pipex/sessions/l2tp.7"), "ctl status stats descr ");
  EXPECT_FALSE(tree.walk_path("pipex/sessions/l2tp.07").ok()) << "one name per session";
  EXPECT_FALSE(tree.walk_path("pipex/sessions/1.7").ok());
  EXPECT_FALSE(tree.walk_path("pipex/sessions/l2tp.70000").ok());
  EXPECT_FALSE(tree.walk_path("pipex/sessions/l2tp").ok());
  EXPECT_EQ(*tree.walk_path("pipex/sessions/l2tp.7/.."), *tree.walk_path("pipex/sessions"));
  EXPECT_EQ(st("pipex/sessions/l2tp.7").mode, 0555u);
  EXPECT_EQ(st("pipex/sessions/l2tp.7/ctl").mode, 0644u);
  EXPECT_EQ(st("pipex/sessions/l2tp.7/status").mode, 0444u);
  EXPECT_EQ(cat("pipex/sessions/l2tp.7/ctl"), "l2tp.7");
  std::string status = cat("pipex/sessions/l2tp.7/status");
  EXPECT_EQ(status.substr(0, status.find('\n')),
            "ifc=0 proto=l2tp id=7 peer-id=0 ppp-id=507 ccp-id=0 mru=0 timeout=10 src=0.0.0.0 "
            "framed=10.0.0.7 netmask=255.255.255.255 peer=192.0.2.1!1701 local=192.0.2.2!1701 "
            "tunnel-id=0 peer-tunnel-id=0 sequencing=off ns=0 nr=0 ns-una=0 nr-acked=0");
  EXPECT_NE(status.find("\nstate=opened idle=0 forward=on\ndescr=\n"), std::string::npos) << status;
  EXPECT_EQ(cat("pipex/sessions/l2tp.7/stats"),
            "ipackets: 0\nierrors: 0\nibytes: 0\nopackets: 0\noerrors: 0\nobytes: 0\n"
            "idle_time: 0\n");
  EXPECT_EQ(cat("pipex/sessions/l2tp.7/descr"), "");
}

TEST_F(PipexTreeTest, ASessionsCtlConfiguresAndDeletesIt) {
  ASSERT_TRUE(write("pipex/ctl", "mode 0 on").ok());
  ASSERT_TRUE(write("pipex/ctl", kAdd7).ok());
  const std::string dir = "pipex/sessions/l2tp.7/";
  ASSERT_TRUE(write(dir + "ctl", "descr alice@example.org\n").ok());
  EXPECT_EQ(cat(dir + "descr"), "alice@example.org\n");
  ASSERT_TRUE(write(dir + "ctl", "forward off").ok());
  EXPECT_NE(cat(dir + "status").find("forward=off\ndescr=alice@example.org\n"), std::string::npos);
  ASSERT_TRUE(write("pipex/ctl", "descr l2tp 7 bob").ok());
  EXPECT_EQ(cat(dir + "descr"), "bob\n");
  Status bad = write(dir + "ctl", "forward sideways");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), Err::BadArg);
  EXPECT_EQ(cat("pipex/err"), "bad arg in system call: on or off: sideways\n");
  // Open across its deletion: its files then say so.
  auto status = open_path(tree, dir + "status", O_RDONLY);
  ASSERT_TRUE(write(dir + "ctl", "delete").ok());
  EXPECT_EQ(names("pipex/sessions"), "");
  EXPECT_FALSE(tree.walk_path(dir).ok());
  uint8_t buf[64];
  auto r = status->read(buf, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Err::NoSession);
}

TEST_F(PipexTreeTest, CtlErrorsFailTheWriteAndAreKeptInErr) {
  EXPECT_EQ(cat("pipex/err"), "");
  Status s = write("pipex/ctl", kAdd7);  // interface 0 is not in pipex mode
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), Err::PipexOff);
  EXPECT_EQ(s.error().errnum(), ENXIO);
  EXPECT_EQ(cat("pipex/err"), "interface not in pipex mode: interface 0\n");
  ASSERT_TRUE(write("pipex/ctl", "mode 0 on").ok());
  ASSERT_TRUE(write("pipex/ctl", kAdd7).ok());
  s = write("pipex/ctl", kAdd7);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().errnum(), EEXIST);
  EXPECT_EQ(cat("pipex/err"), "session exists: l2tp.7\n");
  s = write("pipex/ctl", "delete l2tp 8");
  EXPECT_EQ(s.error().code(), Err::NoSession);
  EXPECT_EQ(cat("pipex/err"), "no such session: l2tp.8\n");
  EXPECT_EQ(write("pipex/ctl", "frobnicate").error().code(), Err::BadCtl);
  // Files that take no writes.
  for (const char* f : {"pipex/closed", "pipex/err", "pipex/sessions/l2tp.7/status",
                        "pipex/sessions/l2tp.7/stats", "pipex/sessions/l2tp.7/descr"})
    EXPECT_EQ(write(f, "x").error().code(), Err::ReadOnly) << f;
}

TEST_F(PipexTreeTest, ClosedTakesTheIdsOfIdleSessions) {
  ASSERT_TRUE(write("pipex/ctl", "mode 0 on").ok());
  ASSERT_TRUE(write("pipex/ctl", kAdd7).ok());
  EXPECT_EQ(cat("pipex/closed"), "");
  run_for(11);
  EXPECT_NE(cat("pipex/sessions/l2tp.7/status").find("state=close-wait idle=1 "),
            std::string::npos);
  EXPECT_EQ(cat("pipex/closed"), "507\n");
  EXPECT_EQ(cat("pipex/closed"), "") << "each read takes them";
  // One open: the rest of a read comes from what the first read took.
  auto h = open_path(tree, "pipex/closed", O_RDONLY);
  uint8_t none[8];
  EXPECT_EQ(*h->read(none, 0), 0u);
  run_for(30);
  EXPECT_EQ(names("pipex/sessions"), "") << "freed 30 s into close-wait";
}

// A pppx device (bind pppx) needs no mode: each session added on it gets an
// interface of its own, and its requests are made on the device.
TEST_F(PipexTreeTest, SessionsOfAPppxDeviceAreDrivenThroughIt) {
  auto dev = open_path(tree, "ipifc/clone");
  ASSERT_TRUE(dev);
  EXPECT_EQ(*dev->read_all(), "1");
  ASSERT_TRUE(dev->write("bind pppx").ok());
  ASSERT_TRUE(write("pipex/ctl",
                    "add ifc=1 proto=l2tp id=9 src=10.0.0.1 framed=10.0.0.9 peer=192.0.2.1!1701 "
                    "local=192.0.2.2!1701")
                  .ok())
      << cat("pipex/err");
  EXPECT_EQ(cat("pipex/sessions/l2tp.9/status").substr(0, 22), "ifc=1 proto=l2tp id=9 ");
  EXPECT_EQ(cat("ipifc/2/status").substr(0, 11), "pppx/l2tp.9");
  ASSERT_TRUE(write("pipex/sessions/l2tp.9/ctl", "forward off").ok()) << cat("pipex/err");
  ASSERT_TRUE(write("pipex/ctl", "delete l2tp 9").ok()) << cat("pipex/err");
  EXPECT_EQ(names("pipex/sessions"), "");
  EXPECT_FALSE(tree.walk_path("ipifc/2").ok()) << "its interface goes with it";
}

// Issue 3's rule: the stack's owner drives pipex; anyone else reads.
TEST_F(PipexTreeTest, OnlyTheStacksOwnerWrites) {
  ASSERT_TRUE(write("pipex/ctl", "mode 0 on").ok());
  ASSERT_TRUE(write("pipex/ctl", kAdd7).ok());
  const std::string before = cat("pipex/sessions/l2tp.7/status") + cat("pipex/enable");
  for (const char* f : {"pipex/enable", "pipex/ctl", "pipex/sessions/l2tp.7/ctl"}) {
    EXPECT_EQ(try_open(f, O_WRONLY, kNobody).error().code(), Err::Access) << f;
    EXPECT_EQ(try_open(f, O_RDWR, kNobody).error().code(), Err::Access) << f;
    EXPECT_EQ(try_open(f, O_RDONLY | O_TRUNC, kNobody).error().code(), Err::Access) << f;
    EXPECT_EQ(tree.access(*tree.walk_path(f), O_WRONLY, kNobody).error().code(), Err::Access);
    EXPECT_EQ(tree.truncate(*tree.walk_path(f), kNobody).error().code(), Err::Access) << f;
  }
  EXPECT_EQ(try_open("pipex/closed", O_RDONLY, kNobody).error().code(), Err::Access)
      << "a read would take the daemon's ids";
  EXPECT_EQ(tree.chmod(*tree.walk_path("pipex/ctl"), kNobody, 0666).error().code(), Err::Perm);
  EXPECT_EQ(tree.chmod(*tree.walk_path("pipex/ctl"), kRoot, 0666).error().code(), Err::Perm)
      << "modes are fixed";
  EXPECT_EQ(tree.chown(*tree.walk_path("pipex/sessions/l2tp.7"), kNobody, "nobody").error().code(),
            Err::Perm);
  EXPECT_EQ(cat("pipex/sessions/l2tp.7/status") + cat("pipex/enable"), before)
      << "refusals change nothing";
  // Reading is everyone's.
  for (const char* f : {"pipex/enable", "pipex/ctl", "pipex/err", "pipex/sessions/l2tp.7/ctl",
                        "pipex/sessions/l2tp.7/status", "pipex/sessions/l2tp.7/stats",
                        "pipex/sessions/l2tp.7/descr"})
    EXPECT_TRUE(try_open(f, O_RDONLY, kNobody).ok()) << f;
  EXPECT_EQ(cat("pipex/ctl", kNobody), "mode 0 on\n");
  EXPECT_EQ(names("pipex/sessions"), "l2tp.7/ ");
  // A privileged user may, as the owner.
  ASSERT_TRUE(write("pipex/sessions/l2tp.7/ctl", "descr by alice", kPriv).ok());
  ASSERT_TRUE(write("pipex/enable", "1", kPriv).ok());
  EXPECT_TRUE(try_open("pipex/closed", O_RDONLY, kPriv).ok());
}

TEST_F(PipexTreeTest, AStackWithAnotherOwnerIsThatOwners) {
  Stack other{1, &clock};
  StackTree t{other, "daemon"};
  auto h = open_path(t, "ipifc/clone", O_RDWR, User{"daemon"});
  ASSERT_TRUE(h);
  ASSERT_TRUE(h->write("bind pkt").ok());
  auto ctl = t.open(*t.walk_path("pipex/ctl"), O_WRONLY, User{"daemon"});
  ASSERT_TRUE(ctl.ok());
  ASSERT_TRUE((*ctl)->write("mode 0 on").ok());
  EXPECT_EQ(t.open(*t.walk_path("pipex/ctl"), O_WRONLY, kRoot).error().code(), Err::Access)
      << "root is just a name here (not privileged)";
  EXPECT_EQ(cat_path(t, "pipex/ctl", kRoot), "mode 0 on\n");
  EXPECT_EQ(cat("pipex/ctl"), "") << "stacks share nothing";
}

}  // namespace
}  // namespace ninet::ns
