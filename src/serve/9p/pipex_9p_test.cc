// A stack's pipex directory over 9P, as a PPP daemon on another machine
// drives it: the attach name is the user, so the stack's owner registers
// sessions and anyone else only reads; a refused request's errno (EEXIST,
// ENXIO...) comes back as its text, and with 9P2000.u as the errno too.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cerrno>

#include "ns/stack_tree.h"
#include "serve/9p/client.h"
#include "serve/9p/server.h"

namespace ninet {
namespace {

struct Pipex9pTest : ::testing::Test {
  Stack stack{0};
  ns::StackTree tree{stack, "pppd"};
  NinepServer srv{tree};

  std::unique_ptr<NinepClient> client(const std::string& uname, bool dotu = false) {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    srv.serve(sv[0]);
    auto c = NinepClient::over_fd(sv[1], 8192 + 24, uname, dotu);
    EXPECT_TRUE(c) << c.error().text();
    return c ? std::move(*c) : nullptr;
  }
  void SetUp() override {
    owner = client("pppd", true);
    ASSERT_TRUE(owner);
    // An interface of the owner's to serve sessions on.
    auto f = owner->walk("ipifc/clone");
    ASSERT_TRUE(f);
    ASSERT_TRUE(owner->open(*f, ninep::ORDWR));
    ASSERT_TRUE(owner->write(*f, "bind pkt"));
    ASSERT_TRUE(owner->clunk(*f));
  }
  void TearDown() override { srv.stop(); }

  std::unique_ptr<NinepClient> owner;
};

const char* kAdd =
    "add ifc=0 proto=l2tp id=7 ppp-id=507 framed=10.0.0.7 peer=192.0.2.1!1701 "
    "local=192.0.2.2!1701";

TEST_F(Pipex9pTest, TheOwnerRegistersSessionsAndErrorsCarryTheirErrno) {
  auto off = owner->write_file("pipex/ctl", kAdd);
  ASSERT_FALSE(off);
  EXPECT_EQ(off.error().code(), Err::PipexOff);  // ENXIO, read back from its text
  ASSERT_TRUE(owner->write_file("pipex/enable", "1\n"));
  ASSERT_TRUE(owner->write_file("pipex/ctl", "mode 0 on"));
  ASSERT_TRUE(owner->write_file("pipex/ctl", kAdd));
  EXPECT_EQ(*owner->read_file("pipex/enable"), "1\n");
  auto dirs = owner->list("pipex/sessions");
  ASSERT_TRUE(dirs);
  ASSERT_EQ(dirs->size(), 1u);
  EXPECT_EQ((*dirs)[0].name, "l2tp.7");
  EXPECT_EQ((*dirs)[0].uid, "pppd");
  auto again = owner->write_file("pipex/ctl", kAdd);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), Err::SessionExists);
  EXPECT_EQ(again.error().text(), "session exists: l2tp.7");
  // The errno itself, as Linux's v9fs would show it.
  auto f = owner->walk("pipex/ctl");
  ASSERT_TRUE(f);
  ASSERT_TRUE(owner->open(*f, ninep::OWRITE));
  ninep::Fcall w;
  w.type = ninep::Twrite;
  w.fid = *f;
  std::string msg = kAdd;
  w.data.assign(msg.begin(), msg.end());
  auto r = owner->rpc(w);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, ninep::Rerror);
  EXPECT_EQ(r->errnum, uint32_t(EEXIST));
  EXPECT_TRUE(owner->clunk(*f));
  ASSERT_TRUE(owner->write_file("pipex/sessions/l2tp.7/ctl", "descr over 9P"));
  EXPECT_EQ(*owner->read_file("pipex/sessions/l2tp.7/descr"), "over 9P\n");
  ASSERT_TRUE(owner->write_file("pipex/sessions/l2tp.7/ctl", "delete"));
  EXPECT_TRUE(owner->list("pipex/sessions")->empty());
}

TEST_F(Pipex9pTest, AnyoneElseOnlyReads) {
  ASSERT_TRUE(owner->write_file("pipex/ctl", "mode 0 on"));
  ASSERT_TRUE(owner->write_file("pipex/ctl", kAdd));
  for (bool dotu : {false, true}) {
    auto g = client("glenda", dotu);
    ASSERT_TRUE(g);
    for (const char* f : {"pipex/enable", "pipex/ctl", "pipex/sessions/l2tp.7/ctl"}) {
      auto w = g->write_file(f, "0");
      ASSERT_FALSE(w) << f;
      EXPECT_EQ(w.error().text(), "permission denied") << f;
      if (dotu) EXPECT_EQ(w.error().code(), Err::Access) << f;
    }
    EXPECT_FALSE(g->read_file("pipex/closed")) << "a read would take the daemon's ids";
    EXPECT_EQ(*g->read_file("pipex/ctl"), "mode 0 on\n");
    auto st = g->read_file("pipex/sessions/l2tp.7/status");
    ASSERT_TRUE(st);
    EXPECT_EQ(st->substr(0, 30), "ifc=0 proto=l2tp id=7 peer-id=");
    EXPECT_TRUE(g->read_file("pipex/sessions/l2tp.7/stats"));
  }
  EXPECT_EQ(*owner->read_file("pipex/enable"), "0\n");
  EXPECT_EQ(owner->list("pipex/sessions")->size(), 1u) << "refusals changed nothing";
  // "root" over 9P is just a name: not this stack's owner.
  auto root = client("root");
  EXPECT_FALSE(root->write_file("pipex/ctl", "mode 0 off"));
  EXPECT_EQ(*owner->read_file("pipex/ctl"), "mode 0 on\n");
}

}  // namespace
}  // namespace ninet
