// Tests for the timer wheel: deadline order and exactness, next() as the
// engine uses it, re-arming and cancelling from callbacks, timers far in the
// future cascading down, time jumps, a million timers checked against a
// sorted reference, and the engine's wakeup.
#include "base/timer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace ninet {
namespace {

constexpr Time kTick = Time(1) << TimerWheel::kTickShift;

TEST(TimerWheel, EmptyHasNothingToRun) {
  TimerWheel w;
  EXPECT_EQ(w.next(), kNever);
  EXPECT_EQ(w.armed(), 0u);
  EXPECT_EQ(w.run(sec(1) << 20), 0u);
  EXPECT_EQ(w.next(), kNever);
}

TEST(TimerWheel, FiresInDeadlineOrderAtTheDeadlineNotBefore) {
  ManualClock clock(sec(1000));
  TimerWheel w(clock.now());
  std::string order;
  Time t0 = clock.now();
  Timer c(w, [&](Time) { order += 'c'; });
  Timer a(w, [&](Time) { order += 'a'; });
  Timer b(w, [&](Time) { order += 'b'; });
  Timer z(w, [&](Time) { order += 'z'; });
  c.arm(t0 + sec(3));
  a.arm(t0 + sec(1));
  b.arm(t0 + sec(2));
  z.arm(t0 + sec(9));
  EXPECT_EQ(w.armed(), 4u);
  EXPECT_LE(w.next(), t0 + sec(1));
  EXPECT_GT(w.next(), t0);
  clock.set(t0 + sec(1) - 1);
  EXPECT_EQ(w.run(clock.now()), 0u);
  EXPECT_EQ(order, "");
  EXPECT_EQ(w.next(), t0 + sec(1)) << "exact: a is within the current 256 ticks";
  clock.set(t0 + sec(3));
  EXPECT_EQ(w.run(clock.now()), 3u) << "a deadline equal to now is due";
  EXPECT_EQ(order, "abc");
  EXPECT_FALSE(a.armed());
  EXPECT_TRUE(z.armed());
  EXPECT_EQ(w.armed(), 1u);
  clock.advance(sec(100));
  EXPECT_EQ(w.run(clock.now()), 1u);
  EXPECT_EQ(order, "abcz");
  EXPECT_EQ(w.next(), kNever);
  clock.advance(sec(100));
  EXPECT_EQ(w.run(clock.now()), 0u) << "each timer fires once";
}

TEST(TimerWheel, ExactWithinOneTick) {
  // Deadlines a nanosecond apart inside one tick: each fires exactly when
  // now reaches it, and next() names it.
  TimerWheel w;
  Time base = 77 * kTick;
  w.run(base);
  std::vector<Time> fired;
  Timer t1(w, [&](Time now) { fired.push_back(now); });
  Timer t2(w, [&](Time now) { fired.push_back(now); });
  t1.arm(base + 5);
  t2.arm(base + 6);
  EXPECT_EQ(w.next(), base + 5);
  EXPECT_EQ(w.run(base + 4), 0u);
  EXPECT_EQ(w.run(base + 5), 1u);
  EXPECT_EQ(w.next(), base + 6);
  EXPECT_EQ(w.run(base + 5), 0u);
  EXPECT_EQ(w.run(base + 6), 1u);
  EXPECT_EQ(fired, (std::vector<Time>{base + 5, base + 6}));
}

TEST(TimerWheel, SameTickFiresInArmOrder) {
  TimerWheel w;
  std::string order;
  std::vector<std::unique_ptr<Timer>> ts;
  for (char c : std::string("abcdefghij")) {
    ts.push_back(std::make_unique<Timer>(w, [&order, c](Time) { order += c; }));
    ts.back()->arm(ms(500));
  }
  EXPECT_EQ(w.run(ms(500)), 10u);
  EXPECT_EQ(order, "abcdefghij");
}

TEST(TimerWheel, ArmMovesAnArmedTimerAndCancelDisarms) {
  TimerWheel w;
  int n = 0;
  Timer t(w, [&](Time) { n++; });
  t.arm(sec(5));
  t.arm(sec(2));  // moved earlier
  EXPECT_EQ(w.armed(), 1u);
  EXPECT_EQ(w.next(), sec(2)) << "tick 1907: level 0, exact";
  t.arm(sec(7));  // moved later: still filed for 2 s, refiled then
  EXPECT_EQ(t.when(), sec(7));
  EXPECT_EQ(w.armed(), 1u);
  EXPECT_LE(w.next(), sec(2));
  EXPECT_EQ(w.run(sec(6)), 0u) << "2 s came: filed again for 7 s, not fired";
  EXPECT_EQ(w.next(), sec(7));
  t.cancel();
  t.cancel();  // twice is fine
  EXPECT_FALSE(t.armed());
  EXPECT_EQ(w.next(), kNever);
  EXPECT_EQ(w.run(sec(100)), 0u);
  EXPECT_EQ(n, 0);
}

TEST(TimerWheel, MovedLaterFiresAtTheNewDeadlineOnly) {
  // TCP pushes its retransmit timer back on every ACK: each move later is a
  // store; the old deadline costs one refile, and the timer fires once, at
  // the last deadline asked for.
  ManualClock clock(sec(1000));
  TimerWheel w(clock.now());
  std::vector<Time> fired;
  Timer rto(w, [&fired](Time now) { fired.push_back(now); });
  Time t0 = clock.now();
  rto.arm(t0 + ms(200));
  for (int ack = 1; ack <= 100; ack++)
    rto.arm(t0 + ms(200) + ms(ack));  // an ACK every millisecond
  EXPECT_EQ(rto.when(), t0 + ms(300));
  for (Time next; (next = w.next()) != kNever;) {
    ASSERT_LE(next, t0 + ms(300));
    clock.set(next);
    w.run(clock.now());
  }
  EXPECT_EQ(fired, (std::vector<Time>{t0 + ms(300)}));
  // Moving earlier is a real move.
  rto.arm(clock.now() + sec(5));
  rto.arm(clock.now() + ms(5));
  EXPECT_EQ(w.next(), clock.now() + ms(5));
}

TEST(TimerWheel, ArmedInThePastFiresAtTheNextRun) {
  TimerWheel w;
  w.run(sec(10));
  int n = 0;
  Timer t(w, [&](Time) { n++; });
  t.arm(sec(3));
  EXPECT_EQ(w.next(), sec(3));
  EXPECT_EQ(w.run(sec(10)), 1u);
  EXPECT_EQ(n, 1);
}

TEST(TimerWheel, FollowingNextReachesEachDeadlineExactly) {
  // The engine's loop: sleep until next(), run. Far timers take a few early
  // wakeups (one per level they cascade through) and fire exactly on time.
  for (Time d : {ms(3), ms(70), ms(200), sec(5), sec(30), sec(3600), sec(86400) * 400}) {
    ManualClock clock(sec(1000) + 12345);
    TimerWheel w(clock.now());
    Time deadline = clock.now() + d;
    Time fired_at = -1;
    Timer t(w, [&](Time now) { fired_at = now; });
    t.arm(deadline);
    int wakeups = 0;
    while (fired_at < 0) {
      Time next = w.next();
      ASSERT_NE(next, kNever);
      ASSERT_LE(next, deadline);
      ASSERT_GT(next, clock.now()) << "no busy loop";
      clock.set(next);
      w.run(clock.now());
      ASSERT_LE(++wakeups, TimerWheel::kLevels) << d;
    }
    EXPECT_EQ(fired_at, deadline) << d;
  }
}

TEST(TimerWheel, PeriodicTimerReArmsItself) {
  ManualClock clock(0);
  TimerWheel w;
  std::vector<Time> at;
  Timer t;
  t.set(w, [&](Time now) {
    at.push_back(now);
    if (at.size() < 10) t.arm(now + ms(100));
  });
  t.arm(ms(100));
  while (clock.now() < sec(2)) {
    clock.advance(ms(1));
    w.run(clock.now());
  }
  ASSERT_EQ(at.size(), 10u);
  for (size_t i = 0; i < at.size(); i++)
    EXPECT_EQ(at[i], ms(100) * Time(i + 1));
  EXPECT_FALSE(t.armed());
}

TEST(TimerWheel, ReArmedAtNowFromItsCallbackWaitsForTheNextRun) {
  TimerWheel w;
  int n = 0;
  Timer t;
  t.set(w, [&](Time now) {
    n++;
    t.arm(now);
  });
  t.arm(sec(1));
  EXPECT_EQ(w.run(sec(1)), 1u);
  EXPECT_EQ(n, 1);
  EXPECT_TRUE(t.armed());
  EXPECT_EQ(w.next(), sec(1)) << "due again: the engine runs at once";
  EXPECT_EQ(w.run(sec(1)), 1u);
  EXPECT_EQ(n, 2);
  t.cancel();
}

TEST(TimerWheel, CallbacksCancelArmAndDestroyOthers) {
  TimerWheel w;
  struct {
    std::string order;
    Timer* b;
    Timer* c;
    std::unique_ptr<Timer> d;
    Timer* e;
  } s;
  Timer b(w, [&s](Time) { s.order += 'b'; });
  Timer c(w, [&s](Time) { s.order += 'c'; });
  s.d = std::make_unique<Timer>(w, [&s](Time) { s.order += 'd'; });
  Timer e(w, [&s](Time) { s.order += 'e'; });
  s.b = &b;
  s.c = &c;
  s.e = &e;
  Timer a(w, [&s](Time now) {
    s.order += 'a';
    s.b->cancel();               // due in this same tick
    s.c->cancel();               // due later in this run
    s.d.reset();                 // destroyed while armed
    s.e->arm(sec(2) + ms(500));  // later, still within this run (now is 3 s)
  });
  a.arm(sec(1));
  b.arm(sec(1));
  c.arm(sec(2));
  s.d->arm(sec(1) + 1);
  e.arm(sec(60));
  EXPECT_EQ(w.armed(), 5u);
  EXPECT_EQ(w.run(sec(3)), 2u);
  EXPECT_EQ(s.order, "ae");
  EXPECT_EQ(w.armed(), 0u);
  EXPECT_EQ(w.next(), kNever);
}

TEST(TimerWheel, CallbackMayFreeItsOwner) {
  TimerWheel w;
  struct Owner {
    Timer t;
    int* freed;
  };
  int freed = 0;
  auto* o = new Owner{{}, &freed};
  o->t.set(w, [o](Time) {
    (*o->freed)++;
    delete o;
  });
  o->t.arm(ms(10));
  EXPECT_EQ(w.run(ms(10)), 1u);
  EXPECT_EQ(freed, 1);
  EXPECT_EQ(w.armed(), 0u);
}

TEST(TimerWheel, DestroyingAnArmedTimerCancelsIt) {
  TimerWheel w;
  int n = 0;
  {
    Timer t(w, [&](Time) { n++; });
    t.arm(sec(1));
    EXPECT_EQ(w.armed(), 1u);
  }
  EXPECT_EQ(w.armed(), 0u);
  EXPECT_EQ(w.next(), kNever);
  EXPECT_EQ(w.run(sec(2)), 0u);
  EXPECT_EQ(n, 0);
}

TEST(TimerWheel, TimersOutlivingTheWheelAreDisarmed) {
  auto w = std::make_unique<TimerWheel>();
  Timer t(*w, [](Time) {});
  t.arm(sec(1));
  w.reset();
  EXPECT_FALSE(t.armed());  // and ~Timer touches nothing (ASan)
}

TEST(TimerWheel, TimeJumpsFireEverythingInOrder) {
  ManualClock clock(sec(1000));
  TimerWheel w(clock.now());
  std::vector<int> order;
  const Time year = sec(86400) * 365;
  std::vector<Time> offsets = {year * 5, sec(1), sec(86400), year, sec(3600), ms(1)};
  std::vector<std::unique_ptr<Timer>> ts;
  for (size_t i = 0; i < offsets.size(); i++) {
    ts.push_back(std::make_unique<Timer>(w, [&order, i](Time) { order.push_back(int(i)); }));
    ts.back()->arm(clock.now() + offsets[i]);
  }
  clock.advance(year * 2);
  EXPECT_EQ(w.run(clock.now()), 5u);
  EXPECT_EQ(order, (std::vector<int>{5, 1, 4, 2, 3}));
  // Time that goes back fires nothing and breaks nothing.
  EXPECT_EQ(w.run(clock.now() - sec(10)), 0u);
  clock.advance(year * 3);
  EXPECT_EQ(w.run(clock.now()), 1u);
  EXPECT_EQ(order.back(), 0);
  EXPECT_EQ(w.next(), kNever);
}

// Many timers at random deadlines from nanoseconds to months, moved and
// cancelled at random, run at random times: each fires exactly once, in the
// first run whose now reaches its deadline, in deadline-tick order.
void random_against_reference(size_t count, uint32_t seed, Time max_offset, int runs) {
  std::mt19937_64 rng(seed);
  ManualClock clock(sec(5000) + Time(rng() % uint64_t(sec(1))));
  TimerWheel w(clock.now());
  struct Owner {
    Timer t;
    Time deadline = kNever;  // what the test expects; kNever when disarmed
    int fired = 0;
  };
  std::vector<Owner> owners(count);
  struct {
    Time prev_run = 0;
    Time last_fired_tick = 0;
    size_t bad_time = 0, bad_order = 0;
  } s;
  s.prev_run = clock.now();
  for (Owner& o : owners) {
    o.t.set(w, [&o, &s](Time now) {
      if (!(o.deadline <= now && o.deadline > s.prev_run)) s.bad_time++;
      Time tick = o.deadline >> TimerWheel::kTickShift;
      if (tick < s.last_fired_tick) s.bad_order++;
      s.last_fired_tick = tick;
      o.fired++;
      o.deadline = kNever;
    });
  }
  auto offset = [&] {
    // Log-uniform: as many near timers as far ones.
    double x = std::ldexp(double(rng() >> 11), -53);
    return std::max<Time>(1, Time(std::pow(double(max_offset), x)));
  };
  for (Owner& o : owners) {
    o.deadline = clock.now() + offset();
    o.t.arm(o.deadline);
  }
  size_t expected_fires = 0;
  for (int r = 0; r < runs; r++) {
    // Move or cancel a few.
    for (int k = 0; k < 20; k++) {
      Owner& o = owners[rng() % count];
      if (rng() % 3 == 0) {
        o.t.cancel();
        o.deadline = kNever;
      } else {
        o.deadline = clock.now() + offset();
        o.t.arm(o.deadline);
      }
    }
    clock.advance(Time(rng() % uint64_t(max_offset / runs * 2 + 1)));
    size_t due = 0;
    for (const Owner& o : owners)
      if (o.deadline <= clock.now()) due++;
    s.last_fired_tick = 0;
    size_t n = w.run(clock.now());
    ASSERT_EQ(n, due) << "run " << r;
    expected_fires += due;
    s.prev_run = clock.now();
    size_t armed = 0;
    for (const Owner& o : owners)
      armed += o.deadline != kNever;
    ASSERT_EQ(w.armed(), armed);
    Time want_next = kNever;
    for (const Owner& o : owners)
      want_next = std::min(want_next, o.deadline);
    Time next = w.next();
    ASSERT_LE(next, want_next);
    ASSERT_GT(next, clock.now());
  }
  EXPECT_EQ(s.bad_time, 0u);
  EXPECT_EQ(s.bad_order, 0u);
  size_t fired = 0;
  for (const Owner& o : owners)
    fired += size_t(o.fired);
  EXPECT_EQ(fired, expected_fires);
}

TEST(TimerWheel, RandomTimersMatchASortedReference) {
  random_against_reference(20000, 1, sec(3600), 1000);
  random_against_reference(20000, 2, ms(100), 1000);
  random_against_reference(5000, 3, sec(86400) * 365 * 3, 500);
}

TEST(TimerWheel, AMillionTimers) {
  // A million owners armed over a minute (a TCP connection's retransmit
  // timer each); half moved, a quarter cancelled; the engine's loop of
  // next() and run() fires the rest exactly once, each at its deadline.
  constexpr size_t kN = 1000000;
  std::mt19937_64 rng(7);
  ManualClock clock(sec(1000));
  TimerWheel w(clock.now());
  struct Owner {
    Timer t;
    Time deadline = kNever;
  };
  std::vector<Owner> owners(kN);
  struct {
    size_t fired = 0, late_or_early = 0;
  } s;
  for (Owner& o : owners) {
    o.t.set(w, [&o, &s](Time now) {
      if (now != o.deadline) s.late_or_early++;
      s.fired++;
    });
    o.deadline = clock.now() + Time(rng() % uint64_t(sec(60)));
    o.t.arm(o.deadline);
  }
  EXPECT_EQ(w.armed(), kN);
  for (size_t i = 0; i < kN; i += 2) {
    owners[i].deadline = clock.now() + Time(rng() % uint64_t(sec(120)));
    owners[i].t.arm(owners[i].deadline);
  }
  size_t cancelled = 0;
  for (size_t i = 1; i < kN; i += 4) {
    owners[i].t.cancel();
    cancelled++;
  }
  EXPECT_EQ(w.armed(), kN - cancelled);
  size_t wakeups = 0;
  for (Time next; (next = w.next()) != kNever; wakeups++) {
    ASSERT_GE(next, clock.now());
    clock.set(next);
    w.run(clock.now());
  }
  EXPECT_EQ(s.fired, kN - cancelled);
  EXPECT_EQ(s.late_or_early, 0u) << "the engine woke exactly at every deadline";
  EXPECT_EQ(w.armed(), 0u);
  EXPECT_LE(wakeups, 2 * kN) << "a fire, or a refile of a timer moved later, or a cascade";
}

TEST(TimerWheel, WakeupWhenAnEarlierTimerIsArmedWhileTheEngineSleeps) {
  TimerWheel w;
  int wakeups = 0;
  w.set_wakeup([&] { wakeups++; });
  Timer a(w, [](Time) {}), b(w, [](Time) {}), c(w, [](Time) {});
  a.arm(sec(10));
  w.sleeping(w.next());
  b.arm(sec(20));  // after the sleep ends: nothing to do
  EXPECT_EQ(wakeups, 0);
  b.arm(sec(5));  // before it: wake the engine, once
  c.arm(sec(4));
  EXPECT_EQ(wakeups, 1);
  w.awake();
  w.sleeping(kNever);  // nothing armed: sleep without a timeout
  w.awake();
  c.arm(sec(1));  // the engine is awake: no wakeup needed
  EXPECT_EQ(wakeups, 1);
}

TEST(TimerWheel, CallbackSizeIsCheckedAtCompileTime) {
  // [this] and [this, &x] fit; std::function-sized captures do not compile.
  struct S {
    int x = 0;
  } s;
  int y = 0;
  TimerFn f = [&s, &y](Time now) { s.x = int(now) + y; };
  f(41);
  EXPECT_EQ(s.x, 41);
  EXPECT_EQ(sizeof(Timer), 72u) << "the cost per timer stated in timer.h";
}

}  // namespace
}  // namespace ninet
