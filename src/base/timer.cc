// timer.cc — the hierarchical timing wheel (timer.h says what and why).
//
// Invariant, with cur_ the wheel's current tick: a timer of tick t >= cur_
// sits at the level L whose bits hold the highest bit in which t and cur_
// differ (level 0: bits 0-11; level L >= 1: bits 12 + 8(L-1) on), in the
// slot those bits of t index. So t and cur_ agree above level L, and at
// level L >= 1 the slot lies strictly after cur_'s own index: level L's
// timers all come after level L-1's. run() moves cur_ only up to the start of the first occupied
// slot (or to the target tick), so the only slots whose timers no longer
// fit are those cur_ has just entered, one per level; cascade() empties them
// from the top level down, placing each timer again. Timers of a tick
// already passed (armed for the past) sit in the current tick's slot.
#include "base/timer.h"

#include <algorithm>
#include <bit>

namespace ninet {

namespace {

void take_out(TimerLink& l) {
  l.prev->next = l.next;
  l.next->prev = l.prev;
  l.prev = l.next = &l;
}

void insert_after(TimerLink& at, TimerLink& l) {
  l.prev = &at;
  l.next = at.next;
  at.next->prev = &l;
  at.next = &l;
}

}  // namespace

TimerWheel::TimerWheel(Time start) : cur_(tick_of(start)) {}

void TimerWheel::mark(int w, bool on) {
  uint64_t b = uint64_t(1) << (w & 63);
  occupied_[w >> 6] = on ? occupied_[w >> 6] | b : occupied_[w >> 6] & ~b;
}

int TimerWheel::first_from(int level, int index) const {
  while (index < slots_of(level)) {
    int w = first_slot(level) + index;
    uint64_t m = occupied_[w >> 6] & (~uint64_t(0) << (w & 63));
    if (m) return (index & ~63) + std::countr_zero(m);
    index = (index & ~63) + 64;
  }
  return -1;
}

uint64_t TimerWheel::slot_start(int level, int index) const {
  int shift = shift_of(level), above = shift + (level == 0 ? kLevel0Bits : kLevelBits);
  return cur_ >> above << above | uint64_t(index) << shift;
}

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
  int top = 63 - std::countl_zero((tk ^ cur_) | 1);  // the highest differing bit (0 if none)
  int level = top < kLevel0Bits ? 0 : 1 + (top - kLevel0Bits) / kLevelBits;
  int w = first_slot(level) + (int(tk >> shift_of(level)) & (slots_of(level) - 1));
  push(slots_[w], t, uint16_t(w));
  mark(w, true);
}

void TimerWheel::unlink(Timer& t) {
  take_out(t);
  uint16_t w = t.where_;
  t.where_ = Timer::kNowhere;
  armed_--;
  if (w < kSlotCount) {
    if (slots_[w].empty()) mark(w, false);
    if (w == next_slot_) next_slot_ = -1;
  }
}

void TimerWheel::arm(Timer& t, Time when) {
  if (t.armed() && t.where_ < kSlotCount && when >= t.when_) {
    // Later than it is filed for (TCP pushing its retransmit timer back on
    // every ACK): only the deadline changes; when the filed time comes, the
    // timer is filed again for this one instead of firing.
    t.due_ = when;
    return;
  }
  if (t.armed()) unlink(t);
  t.when_ = t.due_ = when;
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

// Fires the current tick's timers that are due by now (all of them if the
// tick is wholly past), in the order they were filed; those moved to a later
// tick are filed again. A cursor node walks the list, so that a callback may
// unlink any timer, the one after the cursor included.
size_t TimerWheel::fire_current(Time now) {
  int w = int(cur_ & (slots_of(0) - 1));
  TimerLink& head = slots_[w];
  if (head.empty()) return 0;
  TimerLink& c = cursor_;
  insert_after(head, c);
  size_t n = 0;
  while (c.next != &head) {
    Timer& t = static_cast<Timer&>(*c.next);
    if (t.due_ > now || tick_of(t.due_) > cur_) {  // not due yet, or moved later
      t.when_ = t.due_;
      if (tick_of(t.when_) > cur_) {
        take_out(t);
        place(t);
      } else {  // later in this tick: step over it
        take_out(c);
        insert_after(t, c);
      }
      continue;
    }
    unlink(t);
    TimerFn fn = t.fn_;          // the callback may free t's owner
    __builtin_prefetch(c.next);  // the next timer, while this one's callback runs
    n++;
    fn(now);
  }
  take_out(c);
  mark(w, !head.empty());
  return n;
}

uint64_t TimerWheel::next_event() const {
  for (int level = 0; level < kLevels; level++) {
    int later = first_from(level, (int(cur_ >> shift_of(level)) & (slots_of(level) - 1)) + 1);
    if (later >= 0) return slot_start(level, later);
  }
  return UINT64_MAX;
}

void TimerWheel::cascade() {
  for (int level = kLevels - 1; level >= 1; level--) {
    int w = first_slot(level) + (int(cur_ >> shift_of(level)) & (slots_of(level) - 1));
    if (!occupied(w)) continue;
    mark(w, false);
    TimerLink& head = slots_[w];
    while (!head.empty()) {
      Timer& t = static_cast<Timer&>(*head.next);
      take_out(t);
      t.when_ = t.due_;  // a timer moved later goes straight to its new slot
      place(t);          // to a lower level, in the order they were armed
    }
  }
}

size_t TimerWheel::run(Time now) {
  uint64_t target = tick_of(now);
  size_t n = 0;
  running_ = true;
  for (;;) {
    n += fire_current(now);
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
  // Level 0: the first slot with a timer (inside run(), a slot may hold only
  // the cursor), and its exact earliest filed deadline.
  for (int slot = first_from(0, 0); slot >= 0; slot = first_from(0, slot + 1)) {
    Time t = kNever;
    for (const TimerLink* l = slots_[slot].next; l != &slots_[slot]; l = l->next)
      if (l != &cursor_) t = std::min(t, static_cast<const Timer*>(l)->when_);
    if (t == kNever) continue;
    if (!running_) {
      next_cache_ = t;
      next_slot_ = slot;
    }
    return std::min(best, t);
  }
  // Above: the first tick of the first occupied slot, not after any of its
  // deadlines.
  for (int level = 1; level < kLevels; level++) {
    int index = first_from(level, 0);
    if (index < 0) continue;
    Time t = Time(slot_start(level, index) << kTickShift);
    if (!running_) {
      next_cache_ = t;
      next_slot_ = first_slot(level) + index;
    }
    return std::min(best, t);
  }
  return best;
}

}  // namespace ninet
