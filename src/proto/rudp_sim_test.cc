// Two stacks on a simulated wire (ip/sim_testing.h, one ManualClock) prove
// rudp's promises: every message arrives once and in order for each remote
// under loss (randdrop and the medium's drop), duplication, reordering and
// delay; a writer waits at 100 unacknowledged messages and resumes when
// acks come; 10 unanswered retransmissions reboot the remote ("hangup
// addr!port" in err, queue dropped, a new generation); a peer that
// restarts (a new stack on the same address) is detected.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "proto/rudp_testing.h"

namespace ninet {
namespace {

using namespace rudptest;

const Ipaddr kA = Ipaddr::v4(10, 0, 0, 1);

// Messages are (sender tag, number); a receiver checks each sender's
// numbers are 1, 2, 3... with no gap and no repeat.
Bytes msg(uint32_t tag, uint32_t n, size_t pad) {
  Bytes b = u32(tag);
  Bytes m = u32(n);
  b.insert(b.end(), m.begin(), m.end());
  b.resize(8 + pad, uint8_t(n));
  return b;
}

struct Flow {
  Conv* conv;
  uint32_t tag;
  uint32_t sent = 0;
};

class RudpSimSeeds : public testing::TestWithParam<int> {};

TEST_P(RudpSimSeeds, OnceAndInOrderPerRemoteUnderLossReorderAndDelay) {
  // Each host loses 5% of what it sends and of what it receives, duplicates
  // 2%, corrupts 1% (a counted drop), delays by 10 +- 5 ms (reordering by
  // jitter) and holds 10% 20 ms longer; the server's conversation also
  // drops 10% of what it sends, the clients' 5%.
  std::string faults = "drop=5%,dup=2%,corrupt=1%,delay=10ms,jitter=5ms,reorder=10%,gap=20ms";
  int seed = GetParam();
  Sim s(faults + ",seed=" + std::to_string(seed), faults + ",seed=" + std::to_string(seed + 100));
  Conv* srv = open(s.b, {"announce 7000", "headers", "randdrop"});
  ASSERT_TRUE(srv);
  std::vector<Flow> flows;
  for (uint32_t tag = 1; tag <= 3; tag++)
    flows.push_back({open(s.a, {"connect 10.0.0.2!7000", "randdrop 5"}), tag});
  constexpr uint32_t kCount = 400;
  std::map<uint16_t, uint32_t> last;  // by client port: the last number received
  std::map<uint16_t, uint32_t> echoed_last;
  std::vector<Bytes> to_echo;
  bool ok = true;
  s.run_until(s.clock.now() + sec(300), [&] {
    for (Flow& f : flows)
      while (f.sent < kCount && send(s.a, *f.conv, msg(f.tag, f.sent + 1, f.sent % 300)).ok())
        f.sent++;
    for (Bytes& m : drain(s.b, *srv)) {
      uint16_t port = load16(m.data() + 48);
      uint32_t n = load32(m.data() + 56);
      if (n != last[port] + 1) ok = false;
      EXPECT_EQ(n, last[port] + 1) << "from port " << port;
      last[port] = n;
      to_echo.push_back(std::move(m));
    }
    // The server echoes every message: the reverse direction, on the
    // announced conversation, per remote.
    while (!to_echo.empty() && send(s.b, *srv, to_echo.front()).ok())
      to_echo.erase(to_echo.begin());
    for (Flow& f : flows)
      for (Bytes& m : drain(s.a, *f.conv)) {
        uint32_t n = load32(m.data() + 4);
        EXPECT_EQ(load32(m.data()), f.tag);
        EXPECT_EQ(n, echoed_last[f.conv->lport] + 1);
        echoed_last[f.conv->lport] = n;
      }
  });
  ASSERT_TRUE(ok);
  ASSERT_EQ(last.size(), 3u);
  for (Flow& f : flows) {
    EXPECT_EQ(last[f.conv->lport], kCount) << "every message, once, in order";
    EXPECT_EQ(echoed_last[f.conv->lport], kCount) << "and every echo";
    EXPECT_EQ(rudp(s.a)->qout(*f.conv), 0u);
    EXPECT_TRUE(f.conv->err.empty()) << f.conv->err;
  }
  EXPECT_TRUE(srv->err.empty()) << srv->err;
  for (Host* h : {&s.a, &s.b}) {
    EXPECT_GT(h->fault()->faults(FaultMedium::kOut).dropped, 0u);
    EXPECT_GT(h->fault()->faults(FaultMedium::kOut).duplicated, 0u);
    EXPECT_GT(h->fault()->faults(FaultMedium::kOut).reordered, 0u);
    EXPECT_GT(stat(*h, "Retransmits"), 0u);
    EXPECT_GT(stat(*h, "OutOfOrder"), 0u);
    EXPECT_GT(stat(*h, "RandDrops"), 0u);
    EXPECT_EQ(stat(*h, "Timeouts"), 0u);
  }
  EXPECT_GT(stat(s.a, "InErrors") + stat(s.b, "InErrors"), 0u) << "corrupted packets";
}

INSTANTIATE_TEST_SUITE_P(Seeds, RudpSimSeeds, testing::Values(1, 2, 3));

TEST(RudpSim, TheWriterWaitsAt100UnackedAndResumes) {
  Sim s;
  // Nobody listens on b yet: nothing is acknowledged.
  Conv* cli = open(s.a, {"connect 10.0.0.2!7000"});
  for (uint32_t i = 1; i <= 100; i++)
    ASSERT_TRUE(send(s.a, *cli, u32(i)).ok()) << i;
  auto full = send(s.a, *cli, u32(101));
  ASSERT_FALSE(full.ok()) << "the 101st would wait";
  EXPECT_EQ(full.error().code(), Err::Interrupted);
  EXPECT_EQ(rudp(s.a)->qout(*cli), 400u);
  // A writer that really waits: another thread, the stack lock released.
  std::atomic<bool> done{false};
  Result<size_t> wrote = Err::Io;
  s.a.l.unlock();
  std::thread writer([&] {
    std::unique_lock<std::mutex> l(s.a.ip.mu);
    wrote = rudp(s.a)->write_data(*cli, u32(101), l, nullptr);
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  s.a.l.lock();
  EXPECT_FALSE(done) << "waiting for an ack";
  Conv* srv = open(s.b, {"announce 7000", "headers"});
  std::vector<uint32_t> got;
  s.run_until(s.clock.now() + sec(2), [&] {
    for (auto& m : drain(s.b, *srv))
      got.push_back(load32(m.data() + 52));
  });
  s.a.l.unlock();
  writer.join();
  s.a.l.lock();
  EXPECT_TRUE(done);
  ASSERT_TRUE(wrote.ok()) << wrote.error().text();
  s.run_until(s.clock.now() + sec(1), [&] {
    for (auto& m : drain(s.b, *srv))
      got.push_back(load32(m.data() + 52));
  });
  ASSERT_EQ(got.size(), 101u);
  for (uint32_t i = 0; i < 101; i++)
    EXPECT_EQ(got[i], i + 1);
  EXPECT_EQ(rudp(s.a)->qout(*cli), 0u);
}

TEST(RudpSim, TenFailedRetransmissionsRebootTheRemote) {
  Sim s;
  // Nobody answers on 7000; the port unreachables b sends would hang the
  // conversation up at once (rudpadvise), so it ignores them, as it would
  // a peer whose ICMP is filtered.
  Conv* cli = open(s.a, {"connect 10.0.0.2!7000", "ignoreadvice"});
  Time t0 = s.clock.now();
  for (uint32_t i = 1; i <= 5; i++)
    ASSERT_TRUE(send(s.a, *cli, u32(i)).ok());
  // Retransmissions after 200, 400, ... 2000 ms (200 ms x tries), then an
  // 11th wait of 2200 ms: the reboot comes 13.2 s after the send.
  s.run_until(t0 + ms(13100), [] {});
  EXPECT_TRUE(cli->err.empty());
  EXPECT_EQ(stat(s.a, "Retransmits"), 50u) << "10 tries of 5 messages";
  EXPECT_EQ(rudp(s.a)->qout(*cli), 20u);
  s.run_until(t0 + ms(13300), [] {});
  EXPECT_EQ(cli->err, "hangup 10.0.0.2!7000");
  EXPECT_EQ(stat(s.a, "Timeouts"), 1u);
  EXPECT_EQ(rudp(s.a)->qout(*cli), 0u) << "the queue is dropped";
  EXPECT_EQ(stat(s.a, "Retransmits"), 50u);
  // The conversation resumes, in a new generation.
  Conv* srv = open(s.b, {"announce 7000", "headers"});
  ASSERT_TRUE(send(s.a, *cli, u32(6)).ok());
  s.run_for(ms(1));
  auto got = drain(s.b, *srv);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(load32(got[0].data() + 52), 6u);
  EXPECT_EQ(rudp(s.a)->qout(*cli), 0u);
}

TEST(RudpSim, ARestartedPeerIsDetected) {
  Sim s;
  Conv* srv = open(s.b, {"announce 7000", "headers"});
  Conv* cli = open(s.a, {"connect 10.0.0.2!7000"});
  for (uint32_t i = 1; i <= 5; i++)
    ASSERT_TRUE(send(s.a, *cli, u32(i)).ok());
  s.run_for(ms(1));
  ASSERT_EQ(drain(s.b, *srv).size(), 5u);
  uint16_t cport = cli->lport;

  // b restarts: a new stack, a new conversation on the same port.
  s.restart_b("", 33);
  srv = open(s.b, {"announce 7000", "headers"});
  // a's next message is number 6 of a generation b never saw: refused, and
  // b's ack tells a of b's new life.
  ASSERT_TRUE(send(s.a, *cli, u32(6)).ok());
  s.run_for(ms(1));
  EXPECT_EQ(cli->err, "hangup 10.0.0.2!7000");
  EXPECT_EQ(stat(s.a, "NewGen"), 1u);
  EXPECT_TRUE(drain(s.b, *srv).empty()) << "queued before the reboot: lost (ip(3))";
  EXPECT_EQ(rudp(s.a)->qout(*cli), 0u);
  // Communication resumes both ways.
  ASSERT_TRUE(send(s.a, *cli, u32(7)).ok());
  ASSERT_TRUE(send(s.b, *srv, with_header(kA, cport, u32(70))).ok());
  s.run_for(ms(1));
  auto got = drain(s.b, *srv);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(load32(got[0].data() + 52), 7u);
  auto back = drain(s.a, *cli);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0], u32(70));
  EXPECT_EQ(stat(s.a, "NewGen"), 1u);
}

TEST(RudpSim, ARestartedPeerThatSpeaksFirstIsDetected) {
  Sim s;
  Conv* srv = open(s.b, {"announce 7000", "headers"});
  Conv* cli = open(s.a, {"connect 10.0.0.2!7000"});
  ASSERT_TRUE(send(s.a, *cli, u32(1)).ok());
  s.run_for(ms(1));
  ASSERT_EQ(drain(s.b, *srv).size(), 1u);
  ASSERT_TRUE(send(s.b, *srv, with_header(kA, cli->lport, u32(10))).ok());
  s.run_for(ms(1));
  ASSERT_EQ(drain(s.a, *cli).size(), 1u);

  s.restart_b("", 44);
  srv = open(s.b, {"announce 7000", "headers"});
  ASSERT_TRUE(send(s.b, *srv, with_header(kA, cli->lport, u32(11))).ok());
  s.run_for(ms(1));
  EXPECT_EQ(cli->err, "hangup 10.0.0.2!7000") << "a new generation from the peer";
  auto got = drain(s.a, *cli);
  ASSERT_EQ(got.size(), 1u) << "its first message is delivered";
  EXPECT_EQ(got[0], u32(11));
  EXPECT_EQ(rudp(s.b)->qout(*srv), 0u) << "and acknowledged";
}

}  // namespace
}  // namespace ninet
