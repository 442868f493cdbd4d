// Tests for Timers: deadline order, cancellation, re-entrant callbacks.
#include "base/timer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ninet {
namespace {

TEST(TimerTest, EmptyHasNothingToRun) {
  Timers t;
  EXPECT_EQ(t.next(), kNever);
  EXPECT_EQ(t.pending(), 0u);
  EXPECT_EQ(t.run(sec(1) << 20), 0);
}

TEST(TimerTest, RunsDueTimersInDeadlineOrder) {
  Timers t;
  std::string order;
  t.add(sec(3), [&] { order += 'c'; });
  t.add(sec(1), [&] { order += 'a'; });
  t.add(sec(2), [&] { order += 'b'; });
  t.add(sec(9), [&] { order += 'z'; });
  EXPECT_EQ(t.pending(), 4u);
  EXPECT_EQ(t.next(), sec(1));
  EXPECT_EQ(t.run(sec(1) - 1), 0);
  EXPECT_EQ(order, "");
  EXPECT_EQ(t.run(sec(3)), 3);  // a deadline equal to now is due
  EXPECT_EQ(order, "abc");
  EXPECT_EQ(t.pending(), 1u);
  EXPECT_EQ(t.next(), sec(9));
  EXPECT_EQ(t.run(sec(100)), 1);
  EXPECT_EQ(order, "abcz");
  EXPECT_EQ(t.next(), kNever);
  EXPECT_EQ(t.run(sec(200)), 0);  // each timer runs once
}

TEST(TimerTest, EqualDeadlinesRunInTheOrderAdded) {
  Timers t;
  std::string order;
  for (char c : std::string("abcdefghij"))
    t.add(ms(5), [&order, c] { order += c; });
  EXPECT_EQ(t.run(ms(5)), 10);
  EXPECT_EQ(order, "abcdefghij");
}

TEST(TimerTest, IdsAreDistinct) {
  Timers t;
  TimerId a = t.add(1, [] {}), b = t.add(1, [] {}), c = t.add(2, [] {});
  EXPECT_NE(a, b);
  EXPECT_NE(b, c);
  EXPECT_NE(a, c);
}

TEST(TimerTest, CancelledTimersDoNotRun) {
  Timers t;
  int ran = 0;
  TimerId a = t.add(sec(1), [&] { ran += 1; });
  t.add(sec(2), [&] { ran += 10; });
  t.cancel(a);
  EXPECT_EQ(t.pending(), 1u);
  // next() may still report the cancelled deadline (an early wakeup), never a later one.
  EXPECT_LE(t.next(), sec(2));
  EXPECT_EQ(t.run(sec(1)), 0);
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(t.next(), sec(2));  // the cancelled entry is gone once it surfaced
  EXPECT_EQ(t.run(sec(2)), 1);
  EXPECT_EQ(ran, 10);
}

TEST(TimerTest, CancelAfterRunOrOfUnknownIdIsHarmless) {
  Timers t;
  int ran = 0;
  TimerId a = t.add(1, [&] { ran++; });
  EXPECT_EQ(t.run(1), 1);
  t.cancel(a);
  t.cancel(a);
  t.cancel(12345);
  TimerId b = t.add(2, [&] { ran++; });
  EXPECT_NE(a, b);  // an old id never names a new timer
  EXPECT_EQ(t.pending(), 1u);
  EXPECT_EQ(t.run(2), 1);
  EXPECT_EQ(ran, 2);
}

TEST(TimerTest, CallbackMayCancelAnotherDueTimer) {
  Timers t;
  std::vector<int> ran;
  TimerId second = 0;
  t.add(10, [&] {
    ran.push_back(1);
    t.cancel(second);
  });
  second = t.add(10, [&] { ran.push_back(2); });
  t.add(10, [&] { ran.push_back(3); });
  EXPECT_EQ(t.run(10), 2);
  EXPECT_EQ(ran, (std::vector<int>{1, 3}));
  EXPECT_EQ(t.pending(), 0u);
}

TEST(TimerTest, CallbackMayAddTimers) {
  Timers t;
  std::vector<int> ran;
  t.add(10, [&] {
    ran.push_back(1);
    t.add(10, [&] { ran.push_back(2); });  // due now: runs in this run()
    t.add(20, [&] { ran.push_back(3); });  // later
  });
  EXPECT_EQ(t.run(10), 2);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  EXPECT_EQ(t.pending(), 1u);
  EXPECT_EQ(t.next(), 20);
  EXPECT_EQ(t.run(20), 1);
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));
}

TEST(TimerTest, ManyTimersComeOutSorted) {
  Timers t;
  std::vector<Time> fired;
  uint32_t x = 12345;
  for (int i = 0; i < 1000; i++) {
    x = x * 1103515245 + 12345;
    Time when = Time(x % 5000);
    t.add(when, [&fired, when] { fired.push_back(when); });
  }
  for (Time now = 0; now < 5000; now += 250)
    t.run(now);
  t.run(5000);
  ASSERT_EQ(fired.size(), 1000u);
  EXPECT_TRUE(std::is_sorted(fired.begin(), fired.end()));
}

}  // namespace
}  // namespace ninet
