// Who may do what in a stack's tree (devip's model, stack_tree.h): the tree
// driven by two identities besides the owner, as FUSE and 9P would pass them.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <thread>

#include "ns/stack_tree.h"
#include "ns/tree_testing.h"

namespace ninet::ns {
namespace {

const User kRoot{"root"};         // the stack's owner (the default)
const User kNobody{"nobody"};     // a user with a conversation or two
const User kGlenda{"glenda"};     // another one
const User kPriv{"alice", true};  // privileged (FUSE uid 0 under another name)

struct PermTest : ::testing::Test {
  Stack stack{0};
  StackTree tree{stack};

  void SetUp() override {
    stack.start();
    ifc = open_path(tree, "ipifc/clone", O_RDWR, kRoot);
    ASSERT_TRUE(ifc);
    ASSERT_TRUE(ifc->write("bind loopback").ok());
    ASSERT_TRUE(ifc->write("add 127.0.0.1 255.0.0.0").ok());
    auto ndb = open_path(tree, "ndb", O_WRONLY, kRoot);
    ASSERT_TRUE(ndb->write("sys=ninet\n").ok());
  }

  // Opens path as who; the error if the tree refuses.
  Result<std::unique_ptr<Handle>> try_open(const std::string& path, int flags, const User& who) {
    auto q = tree.walk_path(path);
    if (!q) return q.error();
    return tree.open(*q, flags, who);
  }
  Err open_error(const std::string& path, int flags, const User& who) {
    auto h = try_open(path, flags, who);
    return h ? Err::Ok : h.error().code();
  }
  Stat st(const std::string& path) {
    auto q = tree.walk_path(path);
    EXPECT_TRUE(q.ok()) << path;
    auto s = q ? tree.stat(*q) : Result<Stat>(Err::NotFound);
    EXPECT_TRUE(s.ok()) << path;
    return s ? *s : Stat{};
  }
  // Everything a user can see of the stack's state.
  std::string state() {
    std::string s;
    for (const char* f : {"iproute", "arp", "ipselftab", "ndb", "ipifc/0/status", "ipifc/stats"})
      s += std::string(f) + ":\n" + cat_path(tree, f, kNobody);
    auto d = tree.readdir(*tree.walk_path("ipifc"));
    for (auto& e : *d)
      s += e.name + " ";
    return s;
  }

  std::unique_ptr<Handle> ifc;
};

TEST_F(PermTest, StackFilesAreTheOwners) {
  std::string before = state();
  EXPECT_NE(before.find("127.0.0.1"), std::string::npos);
  // Every write, and every open that would change the stack, is refused.
  for (const char* f : {"ipifc/0/ctl", "iproute", "arp", "ndb", "log", "ipifc/clone"}) {
    EXPECT_EQ(open_error(f, O_WRONLY, kNobody), Err::Access) << f;
    EXPECT_EQ(open_error(f, O_RDWR, kGlenda), Err::Access) << f;
  }
  EXPECT_EQ(open_error("ipifc/clone", O_RDONLY, kNobody), Err::Access);    // would reserve one
  EXPECT_EQ(open_error("ndb", O_RDONLY | O_TRUNC, kNobody), Err::Access);  // would clear it
  auto ndb = tree.walk_path("ndb");
  EXPECT_EQ(tree.truncate(*ndb, kNobody).error().code(), Err::Access);
  EXPECT_EQ(state(), before) << "refusals change nothing";
  // Status files are everyone's to read.
  for (const char* f : {"ipifc/0/ctl", "ipifc/0/status", "ipifc/0/local", "ipifc/0/err",
                        "ipifc/stats", "iproute", "arp", "ipselftab", "ndb", "log", "icmp/stats"})
    EXPECT_EQ(open_error(f, O_RDONLY, kNobody), Err::Ok) << f;
  EXPECT_EQ(cat_path(tree, "ipifc/0/ctl", kNobody), "0");
  // The owner, and a privileged user, may change it.
  EXPECT_EQ(open_error("iproute", O_WRONLY, kPriv), Err::Ok);
  auto rt = open_path(tree, "iproute", O_WRONLY, kRoot);
  ASSERT_TRUE(rt->write("add 10.9.0.0 255.255.0.0 127.0.0.2").ok());
  EXPECT_NE(cat_path(tree, "iproute", kNobody).find("10.9.0.0"), std::string::npos);
  EXPECT_TRUE(tree.truncate(*ndb, kRoot).ok());
  EXPECT_EQ(cat_path(tree, "ndb", kNobody), "");
}

TEST_F(PermTest, StatShowsOwnersAndModes) {
  Stat s = st("iproute");
  EXPECT_EQ(s.owner, "root");
  EXPECT_EQ(s.mode, 0644u);
  EXPECT_EQ(st("ipifc/clone").mode, 0660u);
  EXPECT_EQ(st("icmp/clone").mode, 0666u);
  EXPECT_EQ(st("ipifc/0/status").mode, 0444u);
  EXPECT_EQ(st("ipifc").mode, 0555u);
  EXPECT_TRUE(st("icmp/clone").clone);
  EXPECT_TRUE(st("log").stream);
  EXPECT_FALSE(st("iproute").stream);
  // A non-owner's access(2) answers as open would.
  EXPECT_EQ(tree.access(*tree.walk_path("iproute"), O_WRONLY, kNobody).error().code(), Err::Access);
  EXPECT_TRUE(tree.access(*tree.walk_path("iproute"), O_RDONLY, kNobody).ok());
  EXPECT_TRUE(tree.access(*tree.walk_path("iproute"), O_RDWR, kRoot).ok());
}

TEST_F(PermTest, ConversationsBelongToWhoClonedThem) {
  auto mine = open_path(tree, "icmp/clone", O_RDWR, kNobody);
  ASSERT_TRUE(mine);
  std::string n = *mine->read_all();
  std::string dir = "icmp/" + n + "/";
  for (const char* f : {"ctl", "data", "err", "listen"}) {
    Stat s = st(dir + f);
    EXPECT_EQ(s.owner, "nobody") << f;
    EXPECT_EQ(s.mode, 0660u) << f;
  }
  for (const char* f : {"status", "local", "remote"}) {
    EXPECT_EQ(st(dir + f).mode, 0444u) << f;
    EXPECT_EQ(open_error(dir + f, O_RDONLY, kGlenda), Err::Ok) << f;
  }
  EXPECT_EQ(st("icmp/" + n).owner, "nobody");
  // Its owner uses it; another user may not read or write it.
  ASSERT_TRUE(mine->write("connect 127.0.0.5").ok()) << cat_path(tree, dir + "err", kNobody);
  auto data = open_path(tree, dir + "data", O_RDWR, kNobody);
  ASSERT_TRUE(data);
  for (const char* f : {"ctl", "data", "err", "listen"}) {
    EXPECT_EQ(open_error(dir + f, O_RDONLY, kGlenda), Err::Access) << f;
    EXPECT_EQ(open_error(dir + f, O_WRONLY, kGlenda), Err::Access) << f;
  }
  EXPECT_EQ(open_error(dir + "ctl", O_RDWR, kRoot), Err::Ok);  // the stack's owner
  EXPECT_EQ(open_error(dir + "ctl", O_RDWR, kPriv), Err::Ok);
  EXPECT_NE(cat_path(tree, dir + "status", kGlenda).find("Connected"), std::string::npos);
  // An echo request to ourselves, answered by the stack.
  uint8_t echo[12] = {8, 0, 0, 0, 0, 0, 0, 1, 'p', 'i', 'n', 'g'};
  ASSERT_TRUE(data->write(std::span<const uint8_t>(echo, sizeof echo), 0).ok());
  uint8_t reply[64];
  auto r = data->read(reply, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(reply[0], 0);  // echo reply
  // glenda's own conversation is hers: the two do not mix.
  auto hers = open_path(tree, "icmp/clone", O_RDWR, kGlenda);
  std::string m = *hers->read_all();
  EXPECT_NE(m, n);
  EXPECT_EQ(st("icmp/" + m + "/ctl").owner, "glenda");
  EXPECT_EQ(open_error("icmp/" + m + "/data", O_RDONLY, kNobody), Err::Access);
}

// ether (proto/ether.h) reaches the wire below IP: its clone is the
// owner's, as ipifc/clone is; the rest of the tree treats it as any
// protocol directory.
TEST_F(PermTest, EtherConversationsAreTheOwnersAlone) {
  Stat c = st("ether/clone");
  EXPECT_EQ(c.owner, "root");
  EXPECT_EQ(c.mode, 0660u);
  EXPECT_TRUE(c.clone);
  EXPECT_EQ(st("ether/stats").mode, 0444u);
  EXPECT_EQ(open_error("ether/clone", O_RDONLY, kNobody), Err::Access);
  EXPECT_EQ(open_error("ether/clone", O_RDWR, kGlenda), Err::Access);
  EXPECT_EQ(cat_path(tree, "ether/stats", kNobody), "InFrames: 0\nInDrops: 0\nOutFrames: 0\n");
  auto d = tree.readdir(*tree.walk_path("ether"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->size(), 2u) << "clone and stats: nobody got a conversation";
  auto mine = open_path(tree, "ether/clone", O_RDWR, kRoot);
  ASSERT_TRUE(mine);
  std::string n = *mine->read_all();
  EXPECT_EQ(st("ether/" + n + "/ctl").owner, "root");
  // Interface 0 is loopback, not Ethernet: the ctl write says so.
  auto w = mine->write("connect 0!0x8863");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code(), Err::NoDevice);
  EXPECT_EQ(cat_path(tree, "ether/" + n + "/err", kRoot), w.error().text() + "\n");
  EXPECT_EQ(open_error("ether/" + n + "/ctl", O_RDWR, kNobody), Err::Access);
}

// ipmux (proto/ipmux.h) takes other users' packets and sends from any
// address: only the stack's owner may make a filter, and a filter is its
// maker's. esp (proto/esp.h) is any user's, as udp is: an SA is chosen by
// its SPI and source, which no other conversation can hold.
TEST_F(PermTest, IpmuxFiltersAreTheOwnersAlone) {
  Stat c = st("ipmux/clone");
  EXPECT_EQ(c.owner, "root");
  EXPECT_EQ(c.mode, 0660u);
  EXPECT_EQ(open_error("ipmux/clone", O_RDONLY, kNobody), Err::Access);
  EXPECT_EQ(open_error("ipmux/clone", O_RDWR, kGlenda), Err::Access);
  EXPECT_EQ(open_error("ipmux/clone", O_RDWR, kPriv), Err::Ok);
  // root's filter takes ICMP to 127.0.0.1 before the stack answers it.
  auto mux = open_path(tree, "ipmux/clone", O_RDWR, kRoot);
  ASSERT_TRUE(mux);
  std::string n = *mux->read_all();
  std::string dir = "ipmux/" + n + "/";
  ASSERT_TRUE(mux->write("connect proto=01;data[0]=08").ok()) << cat_path(tree, dir + "err", kRoot);
  for (const char* f : {"ctl", "data"}) {
    EXPECT_EQ(st(dir + f).owner, "root") << f;
    EXPECT_EQ(open_error(dir + f, O_RDONLY, kNobody), Err::Access) << f;
    EXPECT_EQ(open_error(dir + f, O_WRONLY, kGlenda), Err::Access) << f;
  }
  EXPECT_EQ(cat_path(tree, dir + "remote", kNobody), "proto=01;data[0:0]=08\n");
  auto data = open_path(tree, dir + "data", O_RDONLY, kRoot);
  ASSERT_TRUE(data);
  // nobody's echo request, from nobody's own icmp conversation.
  auto icmp = open_path(tree, "icmp/clone", O_RDWR, kNobody);
  std::string m = *icmp->read_all();
  ASSERT_TRUE(icmp->write("connect 127.0.0.1").ok());
  auto idata = open_path(tree, "icmp/" + m + "/data", O_RDWR, kNobody);
  uint8_t echo[12] = {8, 0, 0, 0, 0, 0, 0, 1, 't', 'a', 'p', '!'};
  ASSERT_TRUE(idata->write(std::span<const uint8_t>(echo, sizeof echo), 0).ok());
  uint8_t got[128];
  auto r = data->read(got, 0);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(*r, 16u + 20u + sizeof echo) << "the interface's address, then the packet";
  EXPECT_EQ(got[16 + 9], 1);   // ICMP
  EXPECT_EQ(got[16 + 20], 8);  // the echo request itself
  EXPECT_EQ(std::string(reinterpret_cast<char*>(got) + 16 + 28, 4), "tap!");
  // esp: any user's, each conversation its maker's.
  EXPECT_EQ(st("esp/clone").mode, 0666u);
  auto sa = open_path(tree, "esp/clone", O_RDWR, kNobody);
  ASSERT_TRUE(sa);
  std::string e = *sa->read_all();
  EXPECT_EQ(st("esp/" + e + "/ctl").owner, "nobody");
  EXPECT_EQ(open_error("esp/" + e + "/ctl", O_WRONLY, kGlenda), Err::Access);
  EXPECT_EQ(open_error("esp/" + e + "/data", O_RDONLY, kGlenda), Err::Access);
}

TEST_F(PermTest, OwnerChangesModeAndGivesItAway) {
  auto mine = open_path(tree, "icmp/clone", O_RDWR, kNobody);
  std::string dir = "icmp/" + *mine->read_all() + "/";
  Qid ctl = *tree.walk_path(dir + "ctl");
  // Only its owner (or the stack's) may change it.
  EXPECT_EQ(tree.chmod(ctl, kGlenda, 0666).error().code(), Err::Perm);
  EXPECT_EQ(tree.chown(ctl, kGlenda, "glenda").error().code(), Err::Perm);
  EXPECT_EQ(open_error(dir + "data", O_RDWR, kGlenda), Err::Access);
  // One mode for ctl, data, err and listen (devip's Conv perm).
  ASSERT_TRUE(tree.chmod(ctl, kNobody, 0664).ok());
  EXPECT_EQ(st(dir + "data").mode, 0664u);
  EXPECT_EQ(open_error(dir + "data", O_RDONLY, kGlenda), Err::Ok);
  EXPECT_EQ(open_error(dir + "data", O_WRONLY, kGlenda), Err::Access);
  ASSERT_TRUE(tree.chmod(*tree.walk_path(dir + "data"), kNobody, 0600).ok());
  EXPECT_EQ(open_error(dir + "ctl", O_RDONLY, kGlenda), Err::Access);
  // The owner bits hold for the owner too.
  ASSERT_TRUE(tree.chmod(ctl, kNobody, 0400).ok());
  EXPECT_EQ(open_error(dir + "ctl", O_WRONLY, kNobody), Err::Access);
  ASSERT_TRUE(tree.chmod(ctl, kNobody, 0660).ok());
  // Giving it away (devip's wstat uid).
  ASSERT_TRUE(tree.chown(ctl, kNobody, "glenda").ok());
  EXPECT_EQ(st(dir + "ctl").owner, "glenda");
  EXPECT_EQ(open_error(dir + "ctl", O_RDWR, kGlenda), Err::Ok);
  EXPECT_EQ(open_error(dir + "ctl", O_RDWR, kNobody), Err::Access);
  // Fixed modes and owners: only "no change" is accepted.
  Qid rt = *tree.walk_path("iproute");
  EXPECT_TRUE(tree.chmod(rt, kRoot, 0644).ok());
  EXPECT_EQ(tree.chmod(rt, kRoot, 0666).error().code(), Err::Perm);
  EXPECT_EQ(tree.chmod(rt, kNobody, 0666).error().code(), Err::Perm);
  EXPECT_EQ(tree.chown(rt, kNobody, "nobody").error().code(), Err::Perm);
  EXPECT_EQ(st("iproute").mode, 0644u);
  // A conversation cloned again after its last close is its new opener's.
  mine.reset();
  auto again = open_path(tree, "icmp/clone", O_RDWR, kNobody);
  EXPECT_EQ(st("icmp/" + *again->read_all() + "/ctl").mode, 0660u);
}

TEST_F(PermTest, AnAcceptedCallIsTheListeners) {
  auto lc = open_path(tree, "icmp/clone", O_RDWR, kNobody);
  std::string n = *lc->read_all();
  ASSERT_TRUE(lc->write("announce 7").ok()) << cat_path(tree, "icmp/" + n + "/err", kNobody);
  Qid q = *tree.walk_path("icmp/" + n + "/listen");
  // glenda may not accept nobody's calls.
  EXPECT_EQ(tree.open(q, O_RDWR, kGlenda).error().code(), Err::Access);
  ASSERT_TRUE(tree.chmod(q, kNobody, 0666).ok());
  {
    // A call, as a protocol makes one.
    Ip& ip = stack.ip();
    std::lock_guard<std::mutex> g(ip.mu);
    Proto& p = *ip.protos()[StackTree::proto_of(q)];
    Conv& l = *p.conv(int(StackTree::num(q)));
    auto call =
        p.new_call(l, Ipaddr::v4(0x7f000001), 7, Ipaddr::v4(0x7f000002), 9, ConvState::kConnected);
    ASSERT_TRUE(call.ok()) << call.error().text();
    ASSERT_TRUE(p.queue_call(l, **call));
  }
  auto h = tree.open(q, O_RDWR, kGlenda);
  ASSERT_TRUE(h.ok()) << h.error().text();
  std::string dir = "icmp/" + *(*h)->read_all() + "/";
  EXPECT_EQ(st(dir + "ctl").owner, "glenda");
  EXPECT_EQ(st(dir + "data").mode, 0666u);
}

TEST_F(PermTest, CancelledListenOpenEnds) {
  auto lc = open_path(tree, "icmp/clone", O_RDWR, kNobody);
  std::string n = *lc->read_all();
  ASSERT_TRUE(lc->write("announce 7").ok());
  Qid q = *tree.walk_path("icmp/" + n + "/listen");
  OpenCancel cancel;
  Result<std::unique_ptr<Handle>> r = Err::Ok;
  std::thread t([&] { r = tree.open(q, O_RDWR, kNobody, &cancel); });
  // Wait until the open holds the conversation (it then waits in
  // Proto::listen, or is about to: cancel ends it either way). The bound
  // only keeps a broken tree from hanging the suite.
  Ip& ip = stack.ip();
  Conv& l = *ip.protos()[StackTree::proto_of(q)]->conv(int(StackTree::num(q)));
  for (int i = 0; i < 10000; i++) {
    {
      std::lock_guard<std::mutex> g(ip.mu);
      if (l.refs == 2) break;  // our ctl and the listen open
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  cancel.cancel();
  t.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Err::Interrupted);
  // The conversation still listens: a later open waits for a call again.
  OpenCancel second;
  second.cancel();  // before the open: it does not block at all
  EXPECT_EQ(tree.open(q, O_RDWR, kNobody, &second).error().code(), Err::Interrupted);
}

}  // namespace
}  // namespace ninet::ns
