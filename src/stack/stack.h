// stack.h — Stack: one whole, independent IP stack (ip(3)'s spec 0-15; Plan
// 9's Fs): its clock, packet pool, IP layer, protocols and engine thread.
// Several stacks live side by side in one process and share nothing.
//
//   Stack s(0);                 // stack number 0, real clock
//   s.start();                  // engine thread: poll media, input, timers
//   { std::unique_lock l(s.ip().mu); ... }   // control under the stack lock
//   s.stop();
//
// Tests use Stack(n, &manual_clock) and run_once() instead of start().
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "base/clock.h"
#include "buf/block.h"
#include "ip/ip.h"

namespace ninet {

class Stack {
 public:
  static constexpr int kMaxStacks = 16;

  // clock: nullptr for the real monotonic clock.
  explicit Stack(int number, Clock* clock = nullptr);
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  int number() const { return number_; }
  Ip& ip() { return *ip_; }
  Pool& pool() { return pool_; }
  Clock& clock() { return *clock_; }

  // Starts the engine thread. Idempotent.
  void start();
  // Stops and joins it; unbinds every interface. Idempotent.
  void stop();
  // One engine iteration without the thread: poll media, tick timers.
  // Takes the stack lock itself. For tests and benchmarks.
  size_t run_once();
  // Wakes the engine (a medium without an fd has input, or config changed).
  void wake();

 private:
  void engine();
  int number_;
  std::unique_ptr<Clock> own_clock_;
  Clock* clock_;
  Pool pool_;
  std::unique_ptr<Ip> ip_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  int wake_fd_ = -1;  // eventfd
};

}  // namespace ninet
