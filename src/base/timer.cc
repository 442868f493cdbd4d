// timer.cc — the hierarchical timing wheel (timer.h says what and why).
//
// Invariant, with cur_ the wheel's current tick: a timer of tick t >= cur_
// sits at level L = (highest bit in which t and cur_ differ) / 6, in slot
// (t >> 6L) & 63. So t and cur_ agree above level L, and at level L >= 1 the
// slot lies strictly after cur_'s own index: level L's timers all come after
// level L-1's. run() moves cur_ only up to the start of the first occupied
// slot (or to the target tick), so the only slots whose timers no longer
// fit are those cur_ has just entered, one per level; cascade() empties them
// from the top level down, placing each timer again. Timers of a tick
// already passed (armed for the past) sit in the current tick's slot.
#include "base/timer.h"

#include <algorithm>
#include <bit>

namespace ninet {

namespace {

constexpr uint64_t bit(int i) {
  return uint64_t(1) << i;
}

void take_out(TimerLink& l) {
  l.prev->next = l.next;
  l.next->prev = l.prev;
  l.prev = l.next = &l;
}

}  // namespace

TimerWheel::TimerWheel(Time start) : cur_(tick_of(start)) {}

TimerWheel::~TimerWheel() {
  auto disarm = [](TimerLink& head) {
    while (!head.empty()) {
      Timer& t = static_cast<Timer&>(*head.next);
      take_out(t);
      t.where_ = Timer::kNowhere;
    }
  };
  for (TimerLink& s : slots_)
    disarm(s);
  disarm(deferred_);
}

void TimerWheel::push(TimerLink& head, Timer& t, uint16_t where) {
  TimerLink& l = t;
  l.prev = head.prev;
  l.next = &head;
  head.prev->next = &l;
  head.prev = &l;
  t.where_ = where;
}

void TimerWheel::place(Timer& t) {
  uint64_t tk = std::max(tick_of(t.when_), cur_);
  uint64_t diff = tk ^ cur_;
  int level = diff == 0 ? 0 : (63 - std::countl_zero(diff)) / kLevelBits;
  int slot = int(tk >> (level * kLevelBits)) & (kSlots - 1);
  int w = level * kSlots + slot;
  push(slots_[w], t, uint16_t(w));
  occupied_[level] |= bit(slot);
}

void TimerWheel::unlink(Timer& t) {
  take_out(t);
  uint16_t w = t.where_;
  t.where_ = Timer::kNowhere;
  armed_--;
  if (w < kLevels * kSlots) {
    if (slots_[w].empty()) occupied_[w / kSlots] &= ~bit(w % kSlots);
    if (w == next_slot_) next_slot_ = -1;
  }
}

void TimerWheel::arm(Timer& t, Time when) {
  if (t.armed()) unlink(t);
  t.when_ = when;
  armed_++;
  if (running_ && tick_of(when) <= cur_) {
    // Inside run(), for a tick already reached: the next run() fires it.
    push(deferred_, t, Timer::kDeferred);
  } else {
    place(t);
  }
  if (when < next_cache_ || running_) next_slot_ = -1;
  if (when < wake_before_) {
    wake_before_ = INT64_MIN;
    if (wakeup_) wakeup_();
  }
}

// Fires the current tick's timers: all of them if the tick is wholly past,
// else those due by now (the others are set aside and put back, in order).
size_t TimerWheel::fire_current(Time now, bool all) {
  int w = int(cur_ & (kSlots - 1));
  TimerLink& head = slots_[w];
  TimerLink held;
  size_t n = 0;
  while (!head.empty()) {
    Timer& t = static_cast<Timer&>(*head.next);
    if (!all && t.when_ > now) {
      take_out(t);
      push(held, t, Timer::kHeld);
      continue;
    }
    unlink(t);
    TimerFn fn = t.fn_;  // the callback may free t's owner
    n++;
    fn(now);
  }
  while (!held.empty()) {
    Timer& t = static_cast<Timer&>(*held.next);
    take_out(t);
    push(head, t, uint16_t(w));
  }
  if (head.empty())
    occupied_[0] &= ~bit(w);
  else
    occupied_[0] |= bit(w);
  return n;
}

uint64_t TimerWheel::next_event() const {
  for (int level = 0; level < kLevels; level++) {
    int shift = level * kLevelBits;
    int idx = int(cur_ >> shift) & (kSlots - 1);
    uint64_t later = idx == kSlots - 1 ? 0 : occupied_[level] & (~uint64_t(0) << (idx + 1));
    if (later == 0) continue;
    uint64_t base = cur_ >> (shift + kLevelBits) << (shift + kLevelBits);
    return base | uint64_t(std::countr_zero(later)) << shift;
  }
  return UINT64_MAX;
}

void TimerWheel::cascade() {
  for (int level = kLevels - 1; level >= 1; level--) {
    int slot = int(cur_ >> (level * kLevelBits)) & (kSlots - 1);
    if (!(occupied_[level] & bit(slot))) continue;
    occupied_[level] &= ~bit(slot);
    TimerLink& head = slots_[level * kSlots + slot];
    while (!head.empty()) {
      Timer& t = static_cast<Timer&>(*head.next);
      take_out(t);
      place(t);  // to a lower level, in the order they were armed
    }
  }
}

size_t TimerWheel::run(Time now) {
  uint64_t target = tick_of(now);
  size_t n = 0;
  running_ = true;
  for (;;) {
    n += fire_current(now, cur_ < target);
    if (cur_ >= target) break;
    cur_ = std::min(next_event(), target);
    cascade();
  }
  running_ = false;
  while (!deferred_.empty()) {
    Timer& t = static_cast<Timer&>(*deferred_.next);
    take_out(t);
    place(t);
  }
  next_slot_ = -1;
  return n;
}

Time TimerWheel::next() const {
  if (armed_ == 0) return kNever;
  Time best = kNever;
  for (const TimerLink* l = deferred_.next; l != &deferred_; l = l->next)
    best = std::min(best, static_cast<const Timer*>(l)->when_);
  if (next_slot_ >= 0) return std::min(best, next_cache_);
  for (int level = 0; level < kLevels; level++) {
    if (occupied_[level] == 0) continue;
    int slot = std::countr_zero(occupied_[level]);
    int w = level * kSlots + slot;
    Time t = kNever;
    if (level == 0) {
      // One tick's timers: the exact earliest deadline.
      for (const TimerLink* l = slots_[w].next; l != &slots_[w]; l = l->next)
        t = std::min(t, static_cast<const Timer*>(l)->when_);
    } else {
      // The slot's first tick: not after any of its deadlines.
      int shift = level * kLevelBits;
      uint64_t base = cur_ >> (shift + kLevelBits) << (shift + kLevelBits);
      t = Time((base | uint64_t(slot) << shift) << kTickShift);
    }
    if (!running_) {
      next_cache_ = t;
      next_slot_ = w;
    }
    return std::min(best, t);
  }
  return best;
}

}  // namespace ninet
