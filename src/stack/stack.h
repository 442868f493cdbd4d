// stack.h — Stack: one whole, independent IP stack (ip(3)'s spec 0-15; Plan
// 9's Fs): its clock, packet pool, IP layer, protocols and engine thread.
// Several stacks live side by side in one process and share nothing.
//
//   Stack s(0);                 // stack number 0, real clock
//   s.start();                  // engine thread: poll media, input, timers
//   { std::unique_lock l(s.ip().mu); ... }   // control under the stack lock
//   s.stop();
//
// The engine sleeps until a medium has input, something wakes it, or the
// next timer is due (ip().timers): there is no periodic tick, and an idle
// stack does not wake at all. With set_busy_poll it spins instead of
// sleeping for a while after input (or always), for latency.
//
// Tests use Stack(n, &manual_clock) and run_once() instead of start(); they
// seed the stack's randomness with ip().rng.seed(n).
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "base/clock.h"
#include "buf/block.h"
#include "ip/ip.h"
#include "pipex/sessions.h"

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
  // The stack's pipex (src/pipex: sessions and their requests), used
  // under ip().mu.
  pipex::Pipex& pipex() { return *pipex_; }
  Pool& pool() { return pool_; }
  Clock& clock() { return *clock_; }

  // Starts the engine thread. Idempotent.
  void start();
  // Stops and joins it; unbinds every interface. Idempotent.
  void stop();
  // One engine iteration without the thread: poll media, run the timers
  // that are due at clock().now(), flush. Takes the stack lock itself. For
  // tests and benchmarks. Returns the packets polled.
  size_t run_once();
  // Wakes the engine (a medium without an fd has input, config changed, or
  // a timer was armed earlier than the engine's sleep ends).
  void wake();
  // How many times the engine thread has woken from sleep (a test of
  // idleness); busy-polling is not sleeping.
  uint64_t engine_wakeups() const { return wakeups_.load(); }
  // Busy-polling, for latency: after input the engine looks at its media
  // again without sleeping (and without the stack lock) for `window` before
  // it sleeps, so the next packet costs no wakeup. 0: off (the default);
  // kNever: always, as a poll-mode router does (one CPU busy). A timer due
  // or a wake() ends a spin as it ends a sleep.
  void set_busy_poll(Time window) {
    busy_poll_.store(window);
    wake();  // a spin in progress sees the change
  }
  Time busy_poll() const { return busy_poll_.load(); }

 private:
  void engine();
  int number_;
  std::unique_ptr<Clock> own_clock_;
  Clock* clock_;
  Pool pool_;
  std::unique_ptr<Ip> ip_;
  std::unique_ptr<pipex::Pipex> pipex_;  // before ip_ goes: its sessions' timers are ip_'s
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> wakeups_{0};
  std::atomic<Time> busy_poll_{0};
  int wake_fd_ = -1;  // eventfd
};

}  // namespace ninet
