// clock.h — time for the stack. Nothing in ninet reads a global clock: a Stack
// owns a Clock and passes `now` down, so tests drive time with ManualClock.
//
//   ManualClock c;  c.advance(ms(500));  Time t = c.now();
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace ninet {

// Monotonic nanoseconds.
using Time = int64_t;
constexpr Time nsec(int64_t n) {
  return n;
}
constexpr Time us(int64_t n) {
  return n * 1000;
}
constexpr Time ms(int64_t n) {
  return n * 1000000;
}
constexpr Time sec(int64_t n) {
  return n * 1000000000;
}

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Time now() const = 0;
};

class SteadyClock final : public Clock {
 public:
  Time now() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(Time start = sec(1000)) : t_(start) {}
  Time now() const override { return t_.load(); }
  void advance(Time d) { t_ += d; }
  void set(Time t) { t_ = t; }

 private:
  std::atomic<Time> t_;
};

}  // namespace ninet
