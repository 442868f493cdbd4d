// timer.h — timers for a stack's engine thread: a Timer lives in its owner (a
// TCP connection's retransmit, delayed-ACK and keepalive timers, a pipex
// session's idle timer, an interface's neighbour-discovery timer) and is
// armed, moved and cancelled on the stack's TimerWheel in O(1), without
// allocating.
//
//   TimerWheel wheel;
//   struct Conn {
//     Timer rto;
//     explicit Conn(TimerWheel& w) : rto(w, [this](Time now) { on_rto(now); }) {}
//     void on_rto(Time now);          // may re-arm rto, cancel others, free the Conn
//   };
//   c.rto.arm(now + ms(200));         // arms, or moves an armed timer
//   c.rto.cancel();                   // also done by ~Timer
//   wheel.run(clock.now());           // fires every timer whose deadline has come
//   Time t = wheel.next();            // the engine sleeps until then (kNever: none)
//
// The wheel is hierarchical (Varghese & Lauck, "Hashed and hierarchical
// timing wheels", SOSP 1987, scheme 7) over ticks of 2^20 ns (1.048576 ms):
// level 0 has 4096 slots of one tick (4.3 s), levels 1-4 have 256 slots each,
// of 4.3 s, 18.3 min, 3.3 days and 2.3 years; five levels cover every int64
// nanosecond time. A timer sits in the lowest level whose slot still tells
// its tick apart from the wheel's current tick (the highest bit in which the
// two differ picks the level), and moves down ("cascades") when the wheel
// enters its slot. Level 0 is wide so that the timers that fire most never
// cascade: delayed ACKs, retransmits, ND and ARP timers, a pipex session's
// 1-second idle tick; a 1-minute timer cascades once, a 2-hour keepalive
// twice. A bit per slot finds the next non-empty slot with
// count-trailing-zeros, so run() jumps over idle stretches (a time jump of
// years costs a few steps per armed timer, not one per tick).
//
// Granularity and order. Deadlines are kept exactly, in nanoseconds; the tick
// only chooses a timer's slot. A timer never fires before its deadline and
// fires in the first run(now) with now >= deadline. Timers fire in tick
// order; timers due in the same tick fire in the order they were armed.
//
// Cost. arm/cancel: O(1) (a count-leading-zeros, a list link, a bit), no
// allocation. Moving an armed timer later only stores the new deadline: the
// timer stays filed under the old one and is filed again when that comes,
// so TCP can push its retransmit timer back on every ACK for nothing.
// run: O(1) per timer fired, cascaded or filed again, plus O(levels) per
// non-empty slot visited. next(): never later than the earliest deadline;
// exactly it when that timer is within the wheel's current 4096 ticks and
// was not moved later (a scan of that tick's slot, cached until the wheel
// changes); otherwise the start of the slot holding the earliest timers, or
// the deadline a timer was moved later from. An engine waking there files
// them again and asks again: at most one early wakeup per level per slot,
// and one per lazy move.
//
// Memory: 72 bytes per Timer, in its owner; the wheel itself is ~80 KB
// whatever the number of timers (sized for millions). The lists are
// intrusive, so arming, cancelling, cascading and firing touch the timer
// and its list neighbours (cache misses when their owners are cold);
// bench/timer_benchmark.cc measures this against a binary heap.
//
// Callbacks run inside run(). A callback may arm, move or cancel any timer,
// including its own, and may destroy its own timer's owner (the timer is
// already disarmed and its callback copied when it runs). A timer armed
// from a callback for a tick already reached fires in the next run(), not
// in this one, so a callback re-arming itself at `now` cannot loop. A Timer
// must not be moved or copied while armed (its links point into the wheel);
// destroying an armed Timer cancels it. Not thread-safe: the stack's timers
// are used under its lock. The wheel must outlive its Timers (its
// destructor disarms any left, as a safety net).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <new>
#include <type_traits>

#include "base/clock.h"

namespace ninet {

constexpr Time kNever = INT64_MAX;

class TimerWheel;

// A timer's callback: any callable taking the run's `now`, of at most two
// pointers' size and trivially copyable ([this], [this, &x]), stored inline
// so that a Timer never allocates.
class TimerFn {
 public:
  TimerFn() = default;
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, TimerFn> && std::is_invocable_v<F&, Time>)
      TimerFn(F f) {  // NOLINT: implicit, so that a lambda converts
    static_assert(sizeof(F) <= sizeof(buf_) && alignof(F) <= alignof(void*),
                  "a timer callback holds at most two pointers ([this] or [this, &x])");
    static_assert(std::is_trivially_copyable_v<F> && std::is_trivially_destructible_v<F>,
                  "a timer callback captures pointers or references only");
    ::new (static_cast<void*>(buf_)) F(f);
    call_ = [](const void* p, Time now) { (*static_cast<F*>(const_cast<void*>(p)))(now); };
  }
  void operator()(Time now) const { call_(buf_, now); }
  explicit operator bool() const { return call_ != nullptr; }

 private:
  alignas(void*) unsigned char buf_[2 * sizeof(void*)] = {};
  void (*call_)(const void*, Time) = nullptr;
};

// A node of a wheel slot's circular list (a slot's head is one too).
struct TimerLink {
  TimerLink* prev = this;
  TimerLink* next = this;
  TimerLink() = default;
  TimerLink(const TimerLink&) = delete;
  TimerLink& operator=(const TimerLink&) = delete;
  bool empty() const { return next == this; }
};

class Timer : private TimerLink {
 public:
  Timer() = default;  // set() before arming
  Timer(TimerWheel& wheel, TimerFn fn) : wheel_(&wheel), fn_(fn) {}
  ~Timer() { cancel(); }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Sets the wheel and callback of a timer made without them (an owner
  // built before its stack is known). Only while not armed.
  void set(TimerWheel& wheel, TimerFn fn);
  // Arms the timer for `when` (absolute), or moves it there if armed.
  void arm(Time when);
  // Disarms it; nothing if not armed.
  void cancel();
  bool armed() const { return where_ != kNowhere; }
  Time when() const { return due_; }  // the deadline while armed
  TimerWheel* wheel() const { return wheel_; }

 private:
  friend class TimerWheel;
  static constexpr uint16_t kNowhere = 0xffff;
  static constexpr uint16_t kDeferred = 0xfffe;  // armed inside run() for a tick already reached

  // What arm, move and cancel touch comes first: with the links, the first
  // 48 bytes; the callback, read only when the timer fires, last.
  Time when_ = 0;              // the deadline it is filed under in the wheel
  Time due_ = 0;               // the deadline asked for: when_, or later (moved lazily)
  uint16_t where_ = kNowhere;  // the slot (an index in the wheel's slots_), or one of these
  TimerWheel* wheel_ = nullptr;
  TimerFn fn_;
};

class TimerWheel {
 public:
  static constexpr int kTickShift = 20;  // a tick is 2^20 ns = 1.048576 ms
  // Level 0: 4096 slots of one tick (4.3 s); levels 1-4: 256 slots each,
  // of 4096 * 256^(L-1) ticks; 12 + 4 * 8 = 44 bits of ticks cover 2^63 ns.
  static constexpr int kLevel0Bits = 12;
  static constexpr int kLevelBits = 8;
  static constexpr int kLevels = 5;
  static constexpr int shift_of(int level) {
    return level == 0 ? 0 : kLevel0Bits + (level - 1) * kLevelBits;
  }
  static constexpr int slots_of(int level) { return 1 << (level == 0 ? kLevel0Bits : kLevelBits); }
  static constexpr int first_slot(int level) {  // index of the level's first slot in slots_
    return level == 0 ? 0 : (1 << kLevel0Bits) + (level - 1) * (1 << kLevelBits);
  }
  static constexpr int kSlotCount = (1 << kLevel0Bits) + (kLevels - 1) * (1 << kLevelBits);

  // start: the time the wheel starts from (runs before it fire nothing).
  explicit TimerWheel(Time start = 0);
  ~TimerWheel();
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // Fires every armed timer whose deadline is <= now; returns how many.
  size_t run(Time now);
  // The earliest deadline, or a time not after it (see Cost above); kNever
  // when nothing is armed.
  Time next() const;
  size_t armed() const { return armed_; }

  // For an engine that sleeps until next(): sleeping(until) asks that the
  // first arm() of a timer due before `until` call the wakeup function (a
  // ctl write under the stack lock that arms DAD or a retransmit ends the
  // sleep); awake() stops it while the engine itself runs (its own arms
  // need no wakeup). The wakeup is called under the caller's lock.
  void set_wakeup(std::function<void()> fn) { wakeup_ = std::move(fn); }
  void sleeping(Time until) { wake_before_ = until; }
  void awake() { wake_before_ = INT64_MIN; }

 private:
  friend class Timer;
  static uint64_t tick_of(Time t) { return t <= 0 ? 0 : uint64_t(t) >> kTickShift; }
  void arm(Timer& t, Time when);
  void unlink(Timer& t);
  void place(Timer& t);  // links an unlinked, armed t into its slot
  void push(TimerLink& head, Timer& t, uint16_t where);
  size_t fire_current(Time now);
  void cascade();
  uint64_t next_event() const;  // the first tick > cur_ with a slot to fire or cascade

  // Slot w (first_slot(level) + index) is non-empty iff bit w is set.
  bool occupied(int w) const { return occupied_[w >> 6] >> (w & 63) & 1; }
  void mark(int w, bool on);
  int first_from(int level, int index) const;       // first occupied index >= index, or -1
  uint64_t slot_start(int level, int index) const;  // its first tick, at cur_'s level above

  TimerLink slots_[kSlotCount];
  uint64_t occupied_[kSlotCount / 64] = {};
  TimerLink deferred_;
  TimerLink cursor_;  // fire_current's place in the slot it walks
  uint64_t cur_;      // every tick before this has been run
  size_t armed_ = 0;
  bool running_ = false;
  Time wake_before_ = INT64_MIN;
  std::function<void()> wakeup_;
  mutable Time next_cache_ = 0;
  mutable int next_slot_ = -1;  // the slot next_cache_ came from; -1: not cached
};

inline void Timer::set(TimerWheel& wheel, TimerFn fn) {
  if (armed()) cancel();
  wheel_ = &wheel;
  fn_ = fn;
}

inline void Timer::arm(Time when) {
  wheel_->arm(*this, when);
}

inline void Timer::cancel() {
  if (armed()) wheel_->unlink(*this);
}

}  // namespace ninet
