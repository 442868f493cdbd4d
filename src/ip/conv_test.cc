// Tests of the generic Proto/Conv code (conv.cc) through a fake protocol:
// clone, the ctl messages and their Plan 9 errors, ports, blocking connect,
// listen and read, multicast memberships, and the default texts.
#include "ip/conv.h"

#include <gtest/gtest.h>

#include <deque>
#include <thread>

#include "ip/ip.h"
#include "media/testing.h"

namespace ninet {
namespace {

// A protocol whose connect/announce can be made to wait, as TCP's do.
class FakeProto : public Proto {
 public:
  explicit FakeProto(Ip& ip, int max = 1024) : Proto(ip, "fake", 253, max) {}
  Status connect(Conv& c) override {
    connects++;
    if (connect_error) return *connect_error;
    if (!async) return Proto::connect(c);
    c.state = ConvState::kConnecting;
    return {};
  }
  Status announce(Conv& c) override {
    if (!async) return Proto::announce(c);
    c.state = ConvState::kAnnouncing;
    return {};
  }
  Status ctl(Conv& c, const std::vector<std::string_view>& a) override {
    if (a[0] == "special") {
      specials++;
      return {};
    }
    return Proto::ctl(c, a);
  }
  Result<size_t> write(Conv&, std::span<const uint8_t> d) override { return d.size(); }
  void rcv(const IpRx&, BlockPtr) override {}
  std::string stats() const override { return ""; }

  bool async = false;
  std::optional<Error> connect_error;
  int connects = 0, specials = 0;
};

struct ConvTest : ::testing::Test {
  ManualClock clock;
  Pool pool;
  std::vector<TestMedium*> media;
  Ip ip{clock, pool, TestMedium::factory(&media)};
  FakeProto* proto = nullptr;
  Ifc* ifc = nullptr;
  std::unique_lock<std::mutex> l{ip.mu};

  void SetUp() override {
    auto p = std::make_unique<FakeProto>(ip);
    proto = p.get();
    ip.add_proto(std::move(p));
    ifc = *ip.ifc_clone();
    ASSERT_TRUE(ip.ifc_ctl(*ifc, "bind ether eth0").ok());
    ASSERT_TRUE(ip.ifc_ctl(*ifc, "add 10.0.0.1 255.255.255.0").ok());
  }

  Conv* clone() {
    auto c = proto->clone("me");
    EXPECT_TRUE(c.ok());
    return c.ok() ? *c : nullptr;
  }
  Status ctl(Conv* c, std::string_view msg, const std::atomic<bool>* cancel = nullptr) {
    return proto->ctl_message(*c, msg, l, cancel);
  }
  BlockPtr block(std::string_view s) {
    return pool.copy(reinterpret_cast<const uint8_t*>(s.data()), uint32_t(s.size()));
  }
};

TEST(ConvStateName, NamesEveryState) {
  EXPECT_EQ(conv_state_name(ConvState::kIdle), "Idle");
  EXPECT_EQ(conv_state_name(ConvState::kAnnouncing), "Announcing");
  EXPECT_EQ(conv_state_name(ConvState::kAnnounced), "Announced");
  EXPECT_EQ(conv_state_name(ConvState::kConnecting), "Connecting");
  EXPECT_EQ(conv_state_name(ConvState::kConnected), "Connected");
}

TEST_F(ConvTest, CloneTakesTheLowestFreeConversation) {
  Conv* a = clone();
  Conv* b = clone();
  EXPECT_EQ(a->index, 0);
  EXPECT_EQ(b->index, 1);
  EXPECT_TRUE(a->inuse);
  EXPECT_EQ(a->owner, "me");
  a->proto.last_close(*a);  // last close
  EXPECT_FALSE(a->inuse);
  EXPECT_EQ(a->owner, "network");
  EXPECT_EQ(clone(), a) << "the freed conversation is reused";
  b->refs = 1;  // a file still open keeps it
  Conv* c = clone();
  EXPECT_EQ(c->index, 2);
}

// dial(2)'s accept writes "accept N": IP takes it as a no-op, leaving no
// error in the err file; more words are still refused.
TEST_F(ConvTest, AcceptIsANoOp) {
  Conv* c = *proto->clone("u");
  EXPECT_TRUE(ctl(c, "accept 4").ok());
  EXPECT_TRUE(ctl(c, "accept").ok());
  EXPECT_EQ(c->err, "");
  EXPECT_FALSE(ctl(c, "accept 4 5").ok());
}

TEST_F(ConvTest, CloneFailsWhenAllConversationsAreInUse) {
  auto p = std::make_unique<FakeProto>(ip, 2);
  FakeProto& small = *p;
  ip.add_proto(std::move(p));
  ASSERT_TRUE(small.clone("x").ok());
  ASSERT_TRUE(small.clone("x").ok());
  auto r = small.clone("x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Err::NoFree);
  EXPECT_EQ(r.error().text(), "no free devices");
}

TEST_F(ConvTest, ConnectSetsBothEndsAndPicksAPortFrom5000) {
  Conv* c = clone();
  ASSERT_TRUE(ctl(c, "connect 10.0.0.2!80\n").ok());
  EXPECT_EQ(c->state, ConvState::kConnected);
  EXPECT_EQ(c->raddr, Ipaddr::v4(10, 0, 0, 2));
  EXPECT_EQ(c->rport, 80);
  EXPECT_EQ(c->laddr, Ipaddr::v4(10, 0, 0, 1)) << "source for the remote";
  EXPECT_EQ(c->lport, 5000);
  EXPECT_EQ(proto->local(*c), "10.0.0.1!5000\n");
  EXPECT_EQ(proto->remote(*c), "10.0.0.2!80\n");
  EXPECT_EQ(proto->status(*c), "Connected qin 0 qout 0\n");
  Conv* d = clone();
  ASSERT_TRUE(ctl(d, "connect 10.0.0.2!80").ok());
  EXPECT_EQ(d->lport, 5001) << "used ports are skipped";
}

TEST_F(ConvTest, ConnectTakesALocalPortAndAddress) {
  Conv* c = clone();
  ASSERT_TRUE(ctl(c, "connect 10.0.0.2!80 7000").ok());
  EXPECT_EQ(c->lport, 7000);
  Conv* d = clone();
  ASSERT_TRUE(ctl(d, "connect 10.0.0.3!80 10.0.0.1!7001").ok());
  EXPECT_EQ(d->laddr, Ipaddr::v4(10, 0, 0, 1));
  EXPECT_EQ(d->lport, 7001);
  Conv* e = clone();
  auto st = ctl(e, "connect 10.0.0.3!80 10.9.9.9!7002");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Err::NoAddr) << "not a local address";
  EXPECT_EQ(e->state, ConvState::kIdle);
  EXPECT_TRUE(ctl(e, "connect 10.0.0.3!80 *!7002!r").ok()) << "* and !r are allowed locally";
  EXPECT_EQ(e->lport, 7002);
}

TEST_F(ConvTest, RestrictedConnectGetsAPortBelow1024) {
  Conv* c = clone();
  ASSERT_TRUE(ctl(c, "connect 10.0.0.2!513!r").ok());
  EXPECT_TRUE(c->restricted);
  EXPECT_EQ(c->rport, 513);
  EXPECT_GE(c->lport, 600);
  EXPECT_LE(c->lport, 1023);
}

TEST_F(ConvTest, ConnectWithoutAPortIsForIcmp) {
  Conv* c = clone();
  ASSERT_TRUE(ctl(c, "connect 10.0.0.2").ok());
  EXPECT_EQ(c->rport, 0);
  EXPECT_EQ(c->lport, 5000) << "the echo identifier";
}

TEST_F(ConvTest, PortsUseTheWhole16BitSpace) {
  // ip(3) says 1 to 32767; ninet accepts what programs use (conv.cc).
  Conv* c = clone();
  ASSERT_TRUE(ctl(c, "connect 10.0.0.2!65535 65534").ok());
  EXPECT_EQ(c->rport, 65535);
  EXPECT_EQ(c->lport, 65534);
  for (const char* bad : {"connect 10.0.0.2!65536", "connect 10.0.0.2!-1", "connect 10.0.0.2!x",
                          "connect 10.0.0.2!", "connect 10.0.0.2!80 99999"}) {
    Conv* d = clone();
    auto st = ctl(d, bad);
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_EQ(st.error().code(), Err::BadPort) << bad;
    EXPECT_EQ(d->state, ConvState::kIdle);
  }
}

TEST_F(ConvTest, MalformedConnectsFailWithPlan9Texts) {
  Conv* c = clone();
  auto st = ctl(c, "connect");
  EXPECT_EQ(st.error().code(), Err::BadArg);
  EXPECT_EQ(c->err.substr(0, 22), "bad arg in system call");
  st = ctl(c, "connect 10.0.0.300!80");
  EXPECT_EQ(st.error().code(), Err::BadIp);
  st = ctl(c, "connect 10.0.0.2!80!x");
  EXPECT_EQ(st.error().code(), Err::BadArg);
  st = ctl(c, "connect 10.0.0.2!80 1 2");
  EXPECT_EQ(st.error().code(), Err::BadArg);
  st = ctl(c, "connect 10.0.0.2!80 *");
  EXPECT_EQ(st.error().code(), Err::BadPort) << "* is for announce";
  EXPECT_EQ(proto->connects, 0) << "nothing reached the protocol";
}

TEST_F(ConvTest, ConnectOrAnnounceWhenNotIdleIsConnectionInUse) {
  Conv* c = clone();
  ASSERT_TRUE(ctl(c, "connect 10.0.0.2!80").ok());
  auto st = ctl(c, "connect 10.0.0.3!80");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Err::InUse);
  EXPECT_EQ(c->err, "connection in use");
  EXPECT_EQ(c->raddr, Ipaddr::v4(10, 0, 0, 2)) << "unchanged";
  EXPECT_EQ(ctl(c, "announce 80").error().code(), Err::InUse);
  EXPECT_EQ(ctl(c, "bind 80").error().code(), Err::InUse);
  Conv* d = clone();
  ASSERT_TRUE(ctl(d, "announce 80").ok());
  EXPECT_EQ(ctl(d, "announce 81").error().code(), Err::InUse);
  EXPECT_EQ(ctl(d, "connect 10.0.0.3!80").error().code(), Err::InUse);
}

TEST_F(ConvTest, SameAddressesTwiceIsAddressInUse) {
  Conv* a = clone();
  ASSERT_TRUE(ctl(a, "connect 10.0.0.2!80 6000").ok());
  Conv* b = clone();
  auto st = ctl(b, "connect 10.0.0.2!80 6000");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Err::AddrInUse);
  EXPECT_EQ(b->err, "address in use: 6000");
  EXPECT_EQ(b->state, ConvState::kIdle);
  EXPECT_EQ(b->lport, 0) << "the failed connect leaves nothing behind";
  EXPECT_EQ(b->raddr, Ipaddr());
  EXPECT_TRUE(ctl(b, "connect 10.0.0.2!81 6000").ok()) << "another remote port";
  Conv* d = clone();
  EXPECT_TRUE(ctl(d, "connect 10.0.0.3!80 6000").ok()) << "another remote address";
  Conv* e = clone();
  EXPECT_TRUE(ctl(e, "announce 6000").ok()) << "announcing is another tuple";
}

TEST_F(ConvTest, AnnounceHoldsItsPort) {
  Conv* a = clone();
  ASSERT_TRUE(ctl(a, "announce 80").ok());
  EXPECT_EQ(a->state, ConvState::kAnnounced);
  EXPECT_EQ(a->lport, 80);
  EXPECT_EQ(proto->local(*a), "::!80\n");
  Conv* b = clone();
  auto st = ctl(b, "announce 80");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Err::AddrInUse);
  EXPECT_EQ(b->state, ConvState::kIdle);
  Conv* star = clone();
  ASSERT_TRUE(ctl(star, "announce *").ok());
  EXPECT_EQ(star->lport, 0) << "every port no one announced";
  EXPECT_EQ(ctl(clone(), "announce *").error().code(), Err::AddrInUse);
  Conv* any = clone();
  ASSERT_TRUE(ctl(any, "announce 0").ok());
  EXPECT_GE(any->lport, 5000) << "0 chooses a port";
  Conv* local = clone();
  ASSERT_TRUE(ctl(local, "announce 10.0.0.1!8080").ok());
  EXPECT_EQ(local->laddr, Ipaddr::v4(10, 0, 0, 1));
  EXPECT_EQ(local->lport, 8080);
  EXPECT_EQ(ctl(clone(), "announce 10.0.0.7!8081").error().code(), Err::NoAddr);
  EXPECT_EQ(ctl(clone(), "announce").error().code(), Err::BadArg);
  EXPECT_EQ(ctl(clone(), "announce http").error().code(), Err::BadPort);
  // Closing the announcer frees the port.
  a->proto.last_close(*a);
  EXPECT_TRUE(ctl(b, "announce 80").ok());
}

TEST_F(ConvTest, BindSetsTheLocalPortThatConnectThenUses) {
  Conv* c = clone();
  ASSERT_TRUE(ctl(c, "bind 4444").ok());
  EXPECT_EQ(c->lport, 4444);
  EXPECT_EQ(c->state, ConvState::kIdle);
  ASSERT_TRUE(ctl(c, "connect 10.0.0.2!80").ok());
  EXPECT_EQ(c->lport, 4444);
  ASSERT_TRUE(ip.ifc_ctl(*ifc, "add 10.0.0.3 255.255.255.0").ok());
  Conv* b = clone();
  ASSERT_TRUE(ctl(b, "bind 10.0.0.3!4445").ok());
  EXPECT_EQ(b->laddr, Ipaddr::v4(10, 0, 0, 3));
  ASSERT_TRUE(ctl(b, "connect 10.0.0.2!80").ok());
  EXPECT_EQ(b->laddr, Ipaddr::v4(10, 0, 0, 3)) << "the bound address too, not the first";
  EXPECT_EQ(b->lport, 4445);
  Conv* d = clone();
  ASSERT_TRUE(ctl(d, "bind *").ok());
  EXPECT_GE(d->lport, 5000) << "bind * chooses a port";
  EXPECT_EQ(ctl(d, "bind").error().code(), Err::BadArg);
  // A bound port the connect cannot use is given back unchanged.
  proto->connect_error = Error(Err::NoRoute);
  uint16_t bound = d->lport;
  EXPECT_EQ(ctl(d, "connect 10.0.0.2!80").error().code(), Err::NoRoute);
  EXPECT_EQ(d->lport, bound);
}

TEST_F(ConvTest, ConnectFailureOfTheProtocolResetsTheConversation) {
  Conv* c = clone();
  proto->connect_error = Error(Err::NoRoute, "192.168.9.9");
  auto st = ctl(c, "connect 192.168.9.9!80");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(c->err, "no route to host: 192.168.9.9");
  EXPECT_EQ(c->state, ConvState::kIdle);
  EXPECT_EQ(c->raddr, Ipaddr());
  EXPECT_EQ(c->lport, 0);
}

TEST_F(ConvTest, DefaultConnectWithoutARouteFails) {
  Conv* c = clone();
  auto st = ctl(c, "connect 192.168.9.9!80");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Err::NoRoute);
  EXPECT_EQ(c->state, ConvState::kIdle);
}

TEST_F(ConvTest, TtlTosAndIgnoreadvice) {
  Conv* c = clone();
  EXPECT_EQ(c->ttl, 255) << "NOTES.md: default 255";
  ASSERT_TRUE(ctl(c, "ttl 7").ok());
  ASSERT_TRUE(ctl(c, "tos 16").ok());
  ASSERT_TRUE(ctl(c, "ignoreadvice").ok());
  EXPECT_EQ(c->ttl, 7);
  EXPECT_EQ(c->tos, 16);
  EXPECT_TRUE(c->ignoreadvice);
  EXPECT_EQ(ctl(c, "ttl 256").error().code(), Err::BadArg);
  EXPECT_EQ(ctl(c, "ttl").error().code(), Err::BadArg);
  EXPECT_EQ(ctl(c, "tos x").error().code(), Err::BadArg);
  EXPECT_EQ(c->ttl, 7);
  c->proto.last_close(*c);
  EXPECT_EQ(c->ttl, 255);
  EXPECT_FALSE(c->ignoreadvice);
}

TEST_F(ConvTest, OtherMessagesGoToTheProtocol) {
  Conv* c = clone();
  ASSERT_TRUE(ctl(c, "special arg").ok());
  EXPECT_EQ(proto->specials, 1);
  auto st = ctl(c, "frobnicate 1");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Err::BadCtl);
  EXPECT_EQ(c->err, "unknown control request: frobnicate");
  EXPECT_EQ(ctl(c, "  \n").error().code(), Err::BadCtl);
}

TEST_F(ConvTest, CtlErrorsAreLogged) {
  ip.log.open();
  Conv* c = clone();
  ASSERT_FALSE(ctl(c, "frobnicate\n").ok());
  uint8_t buf[256];
  std::atomic<bool> cancel{true};
  auto n = ip.log.read(buf, &cancel);
  ip.log.close();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), *n),
            "fake 0: frobnicate: unknown control request: frobnicate\n");
}

TEST_F(ConvTest, ConnectWaitsWhileConnecting) {
  proto->async = true;
  Conv* c = clone();
  // The peer thread can take the lock only once the connect waits.
  std::thread peer([&] {
    std::lock_guard<std::mutex> g(ip.mu);
    EXPECT_EQ(c->state, ConvState::kConnecting);
    c->state = ConvState::kConnected;
    c->cv.notify_all();
  });
  auto st = ctl(c, "connect 10.0.0.2!80");
  peer.join();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(c->state, ConvState::kConnected);
}

TEST_F(ConvTest, AFailedConnectIsTheWritesError) {
  proto->async = true;
  Conv* c = clone();
  std::thread peer([&] {
    std::lock_guard<std::mutex> g(ip.mu);
    c->state = ConvState::kIdle;
    c->err = "connection timed out";
    c->cv.notify_all();
  });
  auto st = ctl(c, "connect 10.0.0.2!80");
  peer.join();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Err::TimedOut);
  EXPECT_EQ(c->err, "connection timed out");
  EXPECT_EQ(c->state, ConvState::kIdle);
  EXPECT_EQ(c->lport, 0);

  std::thread refuser([&] {
    std::lock_guard<std::mutex> g(ip.mu);
    c->state = ConvState::kIdle;
    c->err = "connection refused";
    c->cv.notify_all();
  });
  st = ctl(c, "connect 10.0.0.2!80");
  refuser.join();
  EXPECT_EQ(st.error().code(), Err::Refused);
  EXPECT_EQ(c->err, "connection refused");
}

TEST_F(ConvTest, AnInterruptedConnectLeavesTheAttemptToTheProtocol) {
  proto->async = true;
  Conv* c = clone();
  std::atomic<bool> cancel{false};
  std::thread flusher([&] {
    std::lock_guard<std::mutex> g(ip.mu);
    cancel = true;
    c->cv.notify_all();
  });
  auto st = ctl(c, "connect 10.0.0.2!80", &cancel);
  flusher.join();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Err::Interrupted);
  EXPECT_EQ(c->state, ConvState::kConnecting);

  Conv* d = clone();
  std::thread hangup([&] {
    std::lock_guard<std::mutex> g(ip.mu);
    d->hungup = true;
    d->cv.notify_all();
  });
  st = ctl(d, "connect 10.0.0.2!81");
  hangup.join();
  EXPECT_EQ(st.error().code(), Err::Hangup);
}

TEST_F(ConvTest, AnnounceWaitsWhileAnnouncing) {
  proto->async = true;
  Conv* c = clone();
  std::thread peer([&] {
    std::lock_guard<std::mutex> g(ip.mu);
    EXPECT_EQ(c->state, ConvState::kAnnouncing);
    c->state = ConvState::kAnnounced;
    c->cv.notify_all();
  });
  auto st = ctl(c, "announce 99");
  peer.join();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(c->state, ConvState::kAnnounced);
}

TEST_F(ConvTest, ListenReturnsTheIncomingCall) {
  Conv* a = clone();
  std::atomic<bool> cancel{false};
  auto r = proto->listen(*a, l, &cancel);
  EXPECT_EQ(r.error().code(), Err::NotAnnounced);
  EXPECT_EQ(r.error().text(), "not announced");
  ASSERT_TRUE(ctl(a, "announce 80").ok());
  Conv* call = clone();
  std::thread peer([&] {
    std::lock_guard<std::mutex> g(ip.mu);
    a->incall.push_back(call->index);
    a->cv.notify_all();
  });
  r = proto->listen(*a, l, &cancel);
  peer.join();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, call);
  EXPECT_TRUE(a->incall.empty());

  std::thread flusher([&] {
    std::lock_guard<std::mutex> g(ip.mu);
    cancel = true;
    a->cv.notify_all();
  });
  r = proto->listen(*a, l, &cancel);
  flusher.join();
  EXPECT_EQ(r.error().code(), Err::Interrupted);

  cancel = false;
  std::thread closer([&] {
    std::lock_guard<std::mutex> g(ip.mu);
    a->hungup = true;
    a->cv.notify_all();
  });
  r = proto->listen(*a, l, &cancel);
  closer.join();
  EXPECT_EQ(r.error().code(), Err::Hangup);
}

TEST_F(ConvTest, ReadReturnsOneDatagramAndDiscardsTheRest) {
  Conv* c = clone();
  ASSERT_TRUE(c->enqueue(block("hello world")));
  ASSERT_TRUE(c->enqueue(block("second")));
  EXPECT_EQ(c->rq_bytes, 17u);
  EXPECT_EQ(proto->status(*c), "Idle qin 17 qout 0\n");
  uint8_t buf[5];
  auto n = c->read(l, buf, nullptr);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), *n), "hello");
  uint8_t big[64];
  n = c->read(l, big, nullptr);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(reinterpret_cast<char*>(big), *n), "second") << "' world' was discarded";
  EXPECT_EQ(c->rq_bytes, 0u);
}

TEST_F(ConvTest, ReadBlocksUntilDataHangupOrCancel) {
  Conv* c = clone();
  uint8_t buf[16];
  std::thread writer([&] {
    std::lock_guard<std::mutex> g(ip.mu);
    c->enqueue(block("late"));
  });
  auto n = c->read(l, buf, nullptr);
  writer.join();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 4u);

  std::atomic<bool> cancel{false};
  std::thread flusher([&] {
    std::lock_guard<std::mutex> g(ip.mu);
    cancel = true;
    c->cv.notify_all();
  });
  n = c->read(l, buf, &cancel);
  flusher.join();
  EXPECT_EQ(n.error().code(), Err::Interrupted);

  c->hungup = true;
  n = c->read(l, buf, nullptr);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u) << "EOF after hangup";
}

TEST_F(ConvTest, AFullReadQueueDrops) {
  Conv* c = clone();
  std::string chunk(1000, 'x');
  size_t queued = 0;
  while (c->enqueue(block(chunk)))
    queued++;
  EXPECT_EQ(queued, Conv::kReadQueueBytes / 1000);
  EXPECT_LE(c->rq_bytes, Conv::kReadQueueBytes);
}

TEST_F(ConvTest, ResetForgetsEverything) {
  Conv* c = clone();
  ASSERT_TRUE(ctl(c, "connect 10.0.0.2!80").ok());
  ASSERT_TRUE(ctl(c, "ttl 9").ok());
  c->enqueue(block("x"));
  c->err = "whatever";
  c->headers = true;
  c->proto.last_close(*c);
  EXPECT_EQ(c->state, ConvState::kIdle);
  EXPECT_EQ(c->raddr, Ipaddr());
  EXPECT_EQ(c->laddr, Ipaddr());
  EXPECT_EQ(c->lport, 0);
  EXPECT_EQ(c->rport, 0);
  EXPECT_TRUE(c->rq.empty());
  EXPECT_EQ(c->rq_bytes, 0u);
  EXPECT_TRUE(c->err.empty());
  EXPECT_FALSE(c->headers);
  EXPECT_EQ(c->ttl, 255);
}

TEST_F(ConvTest, PickPortGoesOnFromTheLastPortGiven) {
  EXPECT_EQ(proto->pick_port(false), 5000);
  EXPECT_EQ(proto->pick_port(false), 5001) << "not the same port again at once";
  Conv* c = clone();
  ASSERT_TRUE(ctl(c, "bind 5002").ok());
  EXPECT_EQ(proto->pick_port(false), 5003) << "ports in use are skipped";
  EXPECT_EQ(proto->pick_port(true), 600);
  EXPECT_EQ(proto->pick_port(true), 601);
}

TEST_F(ConvTest, PickPortWrapsAndReportsExhaustion) {
  // Every restricted port (600-1023) taken but one.
  std::vector<Conv*> cs;
  for (int p = 600; p <= 1023; p++) {
    Conv* c = clone();
    ASSERT_TRUE(ctl(c, "bind " + std::to_string(p)).ok());
    cs.push_back(c);
  }
  cs[5]->proto.last_close(*cs[5]);  // 605 is free again
  EXPECT_EQ(proto->pick_port(true), 605);
  EXPECT_EQ(proto->pick_port(true), 605) << "the search wraps around to it";
  Conv* last = clone();
  ASSERT_TRUE(ctl(last, "bind 605").ok());
  EXPECT_EQ(proto->pick_port(true), 0);
  Conv* c = clone();
  auto st = ctl(c, "connect 10.0.0.2!513!r");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Err::AddrInUse);
}

TEST_F(ConvTest, AddmultiJoinsTheGroupOnTheInterface) {
  Ipaddr g = Ipaddr::v4(239, 1, 2, 3);
  Mac gmac = Mac::multicast_v4(g);
  Conv* a = clone();
  ASSERT_TRUE(ctl(a, "addmulti 10.0.0.1 239.1.2.3").ok());
  EXPECT_TRUE(ifc->has_group(g));
  EXPECT_NE(std::find(media[0]->multi.begin(), media[0]->multi.end(), gmac), media[0]->multi.end());
  ASSERT_EQ(a->multi.size(), 1u);
  Conv* b = clone();
  ASSERT_TRUE(ctl(b, "announce 5353").ok());
  ASSERT_TRUE(ctl(b, "addmulti 10.0.0.1 239.1.2.3").ok());
  // Leaving is per conversation: the group stays while b wants it.
  ASSERT_TRUE(ctl(a, "remmulti 239.1.2.3").ok());
  EXPECT_TRUE(a->multi.empty());
  EXPECT_TRUE(ifc->has_group(g));
  EXPECT_EQ(ctl(a, "remmulti 239.1.2.3").error().code(), Err::NoSuchEntry);
  b->proto.last_close(*b);  // the last close leaves it
  EXPECT_FALSE(ifc->has_group(g));
  EXPECT_EQ(std::find(media[0]->multi.begin(), media[0]->multi.end(), gmac), media[0]->multi.end());
}

TEST_F(ConvTest, AddmultiWithoutAGroupUsesTheRemote) {
  Conv* c = clone();
  EXPECT_EQ(ctl(c, "addmulti 10.0.0.1").error().code(), Err::BadIp) << "remote is not multicast";
  c->raddr = Ipaddr::v4(224, 0, 0, 251);  // as a UDP connect to the group leaves it
  ASSERT_TRUE(ctl(c, "addmulti 10.0.0.1").ok());
  EXPECT_TRUE(ifc->has_group(Ipaddr::v4(224, 0, 0, 251)));
  EXPECT_EQ(ctl(c, "addmulti 10.0.0.1 10.0.0.2").error().code(), Err::BadIp);
  EXPECT_EQ(ctl(c, "addmulti 10.0.0.99 239.0.0.1").error().code(), Err::NoAddr);
  EXPECT_EQ(ctl(c, "addmulti").error().code(), Err::BadArg);
  EXPECT_EQ(ctl(c, "remmulti").error().code(), Err::BadArg);
  ASSERT_TRUE(ctl(c, "remmulti 10.0.0.1").ok()) << "by interface address";
  EXPECT_FALSE(ifc->has_group(Ipaddr::v4(224, 0, 0, 251)));
}

TEST_F(ConvTest, LeavingNeverTakesTheStacksOwnGroups) {
  ASSERT_TRUE(ip.ifc_ctl(*ifc, "add fe80::1 /64").ok());
  Ipaddr sn = solicited_node(*Ipaddr::parse("fe80::1"));
  ASSERT_TRUE(ifc->has_group(sn));
  Conv* c = clone();
  ASSERT_TRUE(ctl(c, "addmulti fe80::1 ff02::1").ok());
  ASSERT_TRUE(ctl(c, "addmulti fe80::1 " + sn.str()).ok());
  c->proto.last_close(*c);
  EXPECT_TRUE(ifc->has_group(*Ipaddr::parse("ff02::1")));
  EXPECT_TRUE(ifc->has_group(sn));
}

}  // namespace
}  // namespace ninet
