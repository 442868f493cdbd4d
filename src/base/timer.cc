#include "base/timer.h"

namespace ninet {

TimerId Timers::add(Time when, std::function<void()> fn) {
  TimerId id = next_id_++;
  heap_.push(Entry{when, id, std::move(fn)});
  live_.insert(id);
  return id;
}

void Timers::cancel(TimerId id) {
  live_.erase(id);
}

int Timers::run(Time now) {
  int n = 0;
  while (!heap_.empty() && heap_.top().when <= now) {
    Entry e = heap_.top();
    heap_.pop();
    if (live_.erase(e.id) == 0) continue;  // cancelled
    e.fn();
    n++;
  }
  return n;
}

Time Timers::next() const {
  // Cancelled entries may sit on top; report them anyway (a spurious early
  // wakeup is harmless and keeps next() const and O(1)).
  return heap_.empty() ? kNever : heap_.top().when;
}

}  // namespace ninet
