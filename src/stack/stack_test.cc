// Stack: independent stacks side by side, the engine thread, start/stop.
#include "stack/stack.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace ninet {
namespace {

// Arms a timer 20 ms ahead from this thread, as a ctl write would, and
// waits (up to 5 s) for the running engine to fire it.
bool timer_fires(Stack& s) {
  std::atomic<bool> fired{false};
  Timer t(s.ip().timers, [&fired](Time) { fired = true; });
  {
    std::lock_guard<std::mutex> g(s.ip().mu);
    t.arm(s.clock().now() + ms(20));
  }
  for (int i = 0; i < 500 && !fired; i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::lock_guard<std::mutex> g(s.ip().mu);  // t is cancelled under the lock as it goes
  t.cancel();
  return fired;
}

TEST(Stack, TwoStacksShareNothing) {
  Stack a(0), b(1);
  EXPECT_EQ(a.number(), 0);
  EXPECT_EQ(b.number(), 1);
  {
    std::lock_guard<std::mutex> g(a.ip().mu);
    Ifc* f = *a.ip().ifc_clone();
    ASSERT_TRUE(a.ip().ifc_ctl(*f, "bind loopback").ok());
    ASSERT_TRUE(a.ip().ifc_ctl(*f, "add 10.5.0.1 255.255.255.0").ok());
  }
  std::lock_guard<std::mutex> g(b.ip().mu);
  EXPECT_TRUE(a.ip().is_self(*Ipaddr::parse("10.5.0.1")));
  EXPECT_FALSE(b.ip().is_self(*Ipaddr::parse("10.5.0.1")));
  EXPECT_EQ(b.ip().ifc(0), nullptr);
  EXPECT_EQ(b.ip().route_text(), "");
  EXPECT_NE(a.ip().proto("icmp"), b.ip().proto("icmp"));
}

TEST(Stack, EngineDeliversLoopbackTrafficAndStopsCleanly) {
  Stack s(0);
  s.start();
  s.start();  // idempotent
  Conv* c;
  {
    std::lock_guard<std::mutex> g(s.ip().mu);
    Ifc* f = *s.ip().ifc_clone();
    ASSERT_TRUE(s.ip().ifc_ctl(*f, "bind loopback").ok());
    ASSERT_TRUE(s.ip().ifc_ctl(*f, "add 127.0.0.1 255.0.0.0").ok());
    Proto* icmp = s.ip().proto("icmp");
    c = *icmp->clone("test");
    std::unique_lock<std::mutex> l(s.ip().mu, std::adopt_lock);
    ASSERT_TRUE(icmp->ctl_message(*c, "connect 127.0.0.9", l, nullptr).ok());
    uint8_t echo[12] = {8, 0, 0, 0, 0, 0, 0, 1, 'a', 'b', 'c', 'd'};
    ASSERT_TRUE(icmp->write(*c, echo).ok());
    s.ip().flush();
    l.release();
  }
  // The reply comes back through the loopback medium and the engine thread.
  std::unique_lock<std::mutex> l(s.ip().mu);
  uint8_t buf[64];
  std::atomic<bool> cancel{false}, done{false};
  std::thread guard([&] {  // a deadline, so a lost reply fails instead of hanging
    for (int i = 0; i < 500 && !done; i++)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    cancel = true;
    std::lock_guard<std::mutex> g(s.ip().mu);
    c->cv.notify_all();
  });
  auto n = c->read(l, buf, &cancel);
  l.unlock();
  done = true;
  guard.join();
  ASSERT_TRUE(n.ok()) << "no reply within 5 s";
  EXPECT_EQ(*n, 12u);
  EXPECT_EQ(buf[0], 0);
  s.stop();
  s.stop();  // idempotent
}

TEST(Stack, RunOnceDrivesTimersWithAManualClock) {
  ManualClock clock;
  Stack s(2, &clock);
  bool fired = false;
  Timer t(s.ip().timers, [&fired](Time) { fired = true; });
  {
    std::lock_guard<std::mutex> g(s.ip().mu);
    t.arm(clock.now() + sec(1));
  }
  EXPECT_EQ(s.ip().timers.armed(), 1u);
  s.run_once();
  EXPECT_FALSE(fired);
  EXPECT_EQ(s.ip().timers.armed(), 1u);
  clock.advance(sec(1));
  s.run_once();
  EXPECT_TRUE(fired) << "due exactly at its deadline";
  EXPECT_EQ(s.ip().timers.armed(), 0u);
}

TEST(Stack, ConfiguredStackHasNothingArmed) {
  // Addresses on a medium without neighbours (a tentative IPv6 address
  // finishes DAD at once): once settled, no timer is armed at all.
  ManualClock clock;
  Stack s(3, &clock);
  {
    std::lock_guard<std::mutex> g(s.ip().mu);
    Ifc* f = *s.ip().ifc_clone();
    ASSERT_TRUE(s.ip().ifc_ctl(*f, "bind loopback").ok());
    ASSERT_TRUE(s.ip().ifc_ctl(*f, "add 127.0.0.1 255.0.0.0").ok());
    ASSERT_TRUE(s.ip().ifc_ctl(*f, "try fd00::5 /64").ok());
    EXPECT_TRUE(f->lifcs.back().tentative);
  }
  s.run_once();
  std::lock_guard<std::mutex> g(s.ip().mu);
  EXPECT_FALSE(s.ip().ifc(0)->lifcs.back().tentative);
  EXPECT_EQ(s.ip().timers.armed(), 0u);
  EXPECT_EQ(s.ip().timers.next(), kNever);
}

TEST(Stack, IdleEngineSleepsAndWakesForAnEarlierTimer) {
  Stack s(4);
  s.start();
  {
    std::lock_guard<std::mutex> g(s.ip().mu);
    Ifc* f = *s.ip().ifc_clone();
    ASSERT_TRUE(s.ip().ifc_ctl(*f, "bind loopback").ok());
    ASSERT_TRUE(s.ip().ifc_ctl(*f, "add 127.0.0.1 255.0.0.0").ok());
  }
  // Let the engine see the configuration, then watch it stay asleep: with
  // nothing armed it has no timeout (it used to wake every 100 ms).
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  uint64_t before = s.engine_wakeups();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(s.engine_wakeups(), before) << "an idle stack does not wake";
  // A timer armed from another thread while the engine sleeps forever
  // wakes it, and fires.
  EXPECT_TRUE(timer_fires(s));
  s.stop();
}

// Busy-polling always: the engine never sleeps, yet timers armed from
// another thread fire and configuration reaches it; switched off, it
// sleeps again.
TEST(Stack, BusyPollingEngineRunsWithoutSleeping) {
  Stack s(5);
  s.set_busy_poll(kNever);
  EXPECT_EQ(s.busy_poll(), kNever);
  s.start();
  {
    std::lock_guard<std::mutex> g(s.ip().mu);
    Ifc* f = *s.ip().ifc_clone();
    ASSERT_TRUE(s.ip().ifc_ctl(*f, "bind loopback").ok());
    ASSERT_TRUE(s.ip().ifc_ctl(*f, "add 127.0.0.1 255.0.0.0").ok());
  }
  EXPECT_TRUE(timer_fires(s));
  EXPECT_EQ(s.engine_wakeups(), 0u) << "a busy-polling engine never slept";
  s.set_busy_poll(0);
  for (int i = 0; i < 500 && s.engine_wakeups() == 0; i++) {
    s.wake();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT(s.engine_wakeups(), 0u) << "switched off, it sleeps and is woken";
  s.stop();
}

}  // namespace
}  // namespace ninet

namespace ninet {
namespace {

// The stack owns a pipex whose sessions' timers run on its engine, and
// goes away cleanly with sessions still registered and armed.
TEST(Stack, OwnsAPipexWhoseTimersItRuns) {
  ManualClock clock;
  auto s = std::make_unique<Stack>(3, &clock);
  Ip& ip = s->ip();
  {
    std::lock_guard<std::mutex> g(ip.mu);
    EXPECT_FALSE(s->pipex().enabled) << "net.pipex.enable defaults to 0";
    Ifc* f = *ip.ifc_clone();
    ASSERT_TRUE(ip.ifc_ctl(*f, "bind pkt"));
    int one = 1;
    ASSERT_EQ(s->pipex().ioctl(*f, PIPEXSMODE, &one), 0);
    for (uint16_t id : {1, 2}) {
      pipex_session_req r{};
      r.pr_protocol = PIPEX_PROTO_PPTP;
      r.pr_session_id = id;
      r.pr_timeout_sec = uint16_t(id * 10);
      r.pr_peer_address.ss_family = AF_INET;
      r.pr_local_address.ss_family = AF_INET;
      ASSERT_EQ(s->pipex().ioctl(*f, PIPEXASESSION, &r), 0);
    }
  }
  clock.advance(sec(10));
  s->run_once();
  {
    std::lock_guard<std::mutex> g(ip.mu);
    EXPECT_EQ(s->pipex().closed_size(), 1u) << "session 1 idled out on the engine's timers";
    EXPECT_EQ(s->pipex().size(), 2u);
  }
  s.reset();  // session 2's timer is still armed: ASan would see a stale wheel
}

}  // namespace
}  // namespace ninet

namespace ninet {
namespace {

// An interface that is unbound takes its pipex mode and sessions with it,
// and a PPPoE session goes with the Ethernet interface it runs over.
TEST(Stack, UnbindingAnInterfaceEndsItsPipexSessions) {
  ManualClock clock;
  Stack s(4, &clock);
  Ip& ip = s.ip();
  std::lock_guard<std::mutex> g(ip.mu);
  Ifc* pppac = *ip.ifc_clone();
  ASSERT_TRUE(ip.ifc_ctl(*pppac, "bind pkt"));
  Ifc* lo = *ip.ifc_clone();
  ASSERT_TRUE(ip.ifc_ctl(*lo, "bind loopback"));
  int one = 1;
  ASSERT_EQ(s.pipex().ioctl(*pppac, PIPEXSMODE, &one), 0);
  pipex_session_req r{};
  r.pr_protocol = PIPEX_PROTO_PPTP;
  r.pr_session_id = 1;
  r.pr_peer_address.ss_family = AF_INET;
  r.pr_local_address.ss_family = AF_INET;
  ASSERT_EQ(s.pipex().ioctl(*pppac, PIPEXASESSION, &r), 0);
  ASSERT_TRUE(ip.ifc_ctl(*lo, "unbind"));
  EXPECT_EQ(s.pipex().size(), 1u) << "another interface's unbind leaves it";
  ASSERT_TRUE(ip.ifc_ctl(*pppac, "unbind"));
  EXPECT_EQ(s.pipex().size(), 0u);
  EXPECT_FALSE(s.pipex().mode(pppac->index)) << "a new interface of that number starts at 0";
}

}  // namespace
}  // namespace ninet
