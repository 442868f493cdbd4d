// timer.h — one-shot timers for a stack's engine thread.
//
// A binary heap keyed by deadline (O(log n) add, O(1) next-deadline). Cancelled
// timers are left in the heap and skipped when they surface, so cancel is O(1).
// Not thread-safe: used under the stack's lock / on its engine thread.
//
//   Timers t;
//   TimerId id = t.add(now + sec(30), [&] { expire_fragments(); });
//   t.cancel(id);
//   t.run(now);                 // fires everything due
//   Time next = t.next();       // kNever if nothing is pending
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <unordered_set>
#include <vector>

#include "base/clock.h"

namespace ninet {

using TimerId = uint64_t;
constexpr Time kNever = INT64_MAX;

class Timers {
 public:
  TimerId add(Time when, std::function<void()> fn);
  void cancel(TimerId id);
  // Runs every timer with deadline <= now; returns how many ran.
  int run(Time now);
  Time next() const;
  size_t pending() const { return live_.size(); }

 private:
  struct Entry {
    Time when;
    TimerId id;
    std::function<void()> fn;
    bool operator>(const Entry& o) const { return when != o.when ? when > o.when : id > o.id; }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
  std::unordered_set<TimerId> live_;
  TimerId next_id_ = 1;
};

}  // namespace ninet
