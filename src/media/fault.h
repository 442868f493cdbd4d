// fault.h — FaultMedium: a medium wrapped so that it loses, duplicates,
// reorders, delays, corrupts and rate-limits frames, seeded and
// deterministic, separately for what the stack sends ("out") and what it
// receives ("in"). For unit tests around TestMedium, for simulations of
// stacks in one process driven by a ManualClock, and for ninetd, since the
// kernel ninet runs on has no netem:
//
//   ipifc/clone bind ether fault(drop=3%,delay=5ms,jitter=1ms,seed=7):veth0
//
//   FaultSpec s = *parse_fault_spec("out.drop=1%,in.delay=10ms,rate=10mbit");
//   auto m = std::make_unique<FaultMedium>(std::move(inner), s, clock, pool, &ip.timers);
//   ...;  m->faults(FaultMedium::kOut).dropped;
//
// What happens to a frame, in this order (each its own seeded draw):
//   drop     lost (counted `dropped`);
//   corrupt  one bit, chosen uniformly among the frame's, is flipped;
//   dup      a copy follows it (both take the steps below independently);
//   delay    held for delay ± a uniform jitter (never less than 0; jitter
//            alone may reorder frames, as in netem);
//   reorder  held `gap` longer, so frames arriving within gap overtake it
//            (netem needs a delay to reorder; this works without one);
//   rate     then sent over a serial link of `rate` bit/s: a frame of n
//            bytes (as the medium carries it, Ethernet header included)
//            occupies it 8n/rate s and arrives when its last bit has; a
//            frame that finds `limit` frames on the link (sending or
//            waiting) is dropped (`rate_dropped`).
// A frame with nothing to wait for goes straight through, in order.
//
// Time is the Clock given, never real time. A held frame is released by the
// first recv(), send() or release() at or after its time: Ip::poll() calls
// recv() on every medium that receives, so a simulation that advances its
// ManualClock to the earliest of ip.timers.next() and next_release() and
// polls gets every frame exactly at its time. Given a TimerWheel (the
// stack's, Ip::timers), the medium also keeps a Timer armed for its
// next_release(): that is how a delayed frame wakes an engine sleeping until
// its next timer (stack.cc sleeps until timers.next(), and a Timer armed
// earlier than that sleep wakes it, TimerWheel::sleeping). When it fires,
// frames due out are handed to the inner medium at once, and frames due in
// are queued and the engine notified (Medium::notify), so that its next
// poll() receives them. Why a timer and not a "next release" the engine
// asks every medium for: the engine already sleeps until the wheel's next
// deadline and is woken by a timer armed earlier, so nothing in Ip or the
// engine changes, and a million interfaces cost nothing when none is
// wrapped; the wheel's arm is O(1), once per change of the earliest frame.
//
// Frames are counted by the wrapper when the engine reads them from the
// inner medium (an fd-based medium's kernel queue is not seen before), and
// at most kMaxHeld a direction are held.
//
// Threading: as any medium, used under the stack lock (recv/send from the
// engine, the timer from tick()). The inner medium's notifier is forwarded.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "base/timer.h"
#include "media/medium.h"

namespace ninet {

// The faults of one direction. Probabilities are in parts per 10^9 (so that
// a spec prints and parses back exactly: 0.1% is 1000000).
struct FaultDir {
  static constexpr uint32_t kOne = 1000000000;  // probability 1
  uint32_t drop = 0, dup = 0, reorder = 0, corrupt = 0;
  Time delay = 0, jitter = 0;
  Time gap = ms(1);       // how much longer a reordered frame is held
  uint64_t rate = 0;      // bit/s of the serial link; 0: no limit
  uint32_t limit = 1000;  // frames on the link (as netem's default limit)

  // True if the direction changes nothing.
  bool none() const { return !drop && !dup && !reorder && !corrupt && !delay && !jitter && !rate; }
  bool operator==(const FaultDir&) const = default;
};

struct FaultSpec {
  FaultDir in, out;  // what the stack receives, what it sends
  uint64_t seed = 1;

  // The spec as parse_fault_spec reads it back (keys shared by both
  // directions unprefixed, the others with in./out.; seed always).
  std::string str() const;
  bool operator==(const FaultSpec&) const = default;
};

// Parses the list inside fault(...): comma-separated key=value, applied left
// to right; a key alone sets both directions, `in.key` or `out.key` one.
//   drop= dup= reorder= corrupt=   a percentage: 3%, 0.5%, 0.0000001% .. 100%
//   delay= jitter= gap=            a time: 5ms, 1.5ms, 200us, 1s, 100ns (<= 3600s)
//   rate=                          bit/s: 9600bit, 512kbit, 10mbit, 1gbit (SI,
//                                  as tc); 0bit: no limit
//   limit=                         frames on the rate-limited link, 1..1000000
//   seed=                          0 .. 2^63-1 (default 1)
// The empty list is valid and injects nothing. Errors name the item:
// "fault: drop=3: want a percentage (3%, 0.5%)".
Result<FaultSpec> parse_fault_spec(std::string_view list);

// A medium path naming a wrapped medium: "fault(LIST):PATH", where PATH is
// the inner medium's own path (which may hold colons: tap:ninet0).
bool is_fault_path(std::string_view path);  // starts with "fault("
struct FaultPath {
  std::string_view list;   // inside the parentheses
  std::string_view inner;  // after "):"
};
Result<FaultPath> split_fault_path(std::string_view path);

// Faults injected in one direction.
struct FaultCounters {
  uint64_t frames = 0;        // frames that entered the wrapper
  uint64_t dropped = 0;       // by drop=
  uint64_t duplicated = 0;    // extra copies made
  uint64_t reordered = 0;     // held gap longer
  uint64_t delayed = 0;       // held by delay/jitter (a time > 0)
  uint64_t corrupted = 0;     // a bit flipped
  uint64_t rate_queued = 0;   // waited for the link behind other frames
  uint64_t rate_dropped = 0;  // the link held `limit` frames
  uint64_t overflow = 0;      // more than kMaxHeld frames held
};

class FaultMedium final : public Medium {
 public:
  enum Direction { kIn = 0, kOut = 1 };
  // Frames held per direction (delayed, reordered or on the link) beyond
  // which new ones are dropped (`overflow`): 64 MiB of pool blocks.
  static constexpr size_t kMaxHeld = 16384;

  // pool: where duplicates are copied (the stack's; it must outlive every
  // block). wheel: optional, see above; it must outlive the medium. A
  // FaultMedium is never a PktMedium: caps are the inner medium's, without
  // user_data (make_fault_medium refuses such a medium) and without offloads
  // (faults act on wire-sized frames with whole checksums; a corrupted
  // received frame loses its kCsumPartial/kCsumValid mark).
  FaultMedium(std::unique_ptr<Medium> inner, const FaultSpec& spec, Clock& clock, Pool& pool,
              TimerWheel* wheel = nullptr);
  ~FaultMedium() override;

  // The inner medium's, unchanged.
  std::string_view name() const override { return inner_->name(); }
  bool link_header() const override { return inner_->link_header(); }
  Mac hwaddr() const override { return inner_->hwaddr(); }
  int default_mtu() const override { return inner_->default_mtu(); }
  int min_mtu() const override { return inner_->min_mtu(); }
  int max_mtu() const override { return inner_->max_mtu(); }
  int fd() const override { return inner_->fd(); }
  Status set_promiscuous(bool on) override { return inner_->set_promiscuous(on); }
  Status add_multi(const Mac& m) override { return inner_->add_multi(m); }
  Status rem_multi(const Mac& m) override { return inner_->rem_multi(m); }
  Status bridge() override { return inner_->bridge(); }
  Status scanbs() override { return inner_->scanbs(); }
  Status connect_type(int type) override { return inner_->connect_type(type); }
  Status headers_only() override { return inner_->headers_only(); }

  // Receives from the inner medium through the "in" faults; also releases
  // what is due in both directions.
  size_t recv(Batch& out, Pool& pool, size_t max) override;
  // Sends through the "out" faults; also releases what is due both ways.
  void send(Batch& batch) override;
  // Forgets what is held, then closes the inner medium.
  void close() override;

  // Releases what is due now: "out" frames to the inner medium, "in" frames
  // to the queue recv() returns (notifying if there are any).
  void release();
  // The earliest time a held frame is due (kNever: none held). Frames
  // already due wait in ready() for recv().
  Time next_release() const;
  size_t held(Direction d) const;  // frames not yet due
  size_t ready() const { return ready_.size(); }

  const FaultCounters& faults(Direction d) const { return dirs_[d].n; }
  const FaultSpec& spec() const { return spec_; }
  Medium& inner() { return *inner_; }

  // stats() is the inner medium's, plus the frames lost here (drop,
  // rate_dropped, overflow) in in_errors and out_errors.

 private:
  struct Held {
    Time at;
    uint64_t seq;  // ties keep arrival order
    BlockPtr b;
  };
  struct Dir {
    FaultDir f;
    uint64_t rng;  // splitmix64 state
    FaultCounters n;
    std::vector<Held> wait;  // min-heap on (at, seq): delayed and reordered
    std::vector<Held> link;  // the rate-limited link, departures ascending
    size_t link_head = 0;    // link[link_head..] are still on it
    Time link_free = 0;      // when the link finishes its last frame
    uint64_t link_frac = 0;  // the sub-nanosecond rest of link_free, in 1/rate ns
    uint64_t seq = 0;
  };

  static bool later(const Held& x, const Held& y);
  uint64_t next(Dir& d);
  bool chance(Dir& d, uint32_t p);
  void admit(Dir& d, BlockPtr b, Time now, Batch& out);
  void schedule(Dir& d, BlockPtr b, Time now, Batch& out);
  void to_link(Dir& d, Time t, BlockPtr b);
  void advance(Dir& d, Time now, Batch& out);
  void settle(Time now);      // releases both directions, syncs stats, rearms
  void release_at(Time now);  // settle, and notify if "in" frames became ready
  void rearm();

  std::unique_ptr<Medium> inner_;
  FaultSpec spec_;
  Clock& clock_;
  Pool& pool_;
  Dir dirs_[2];
  Batch ready_;    // "in" frames due, for recv()
  Batch scratch_;  // "out" frames due, for the inner medium's send()
  Batch pulled_;   // what recv() took from the inner medium
  Timer timer_;    // armed for next_release() when a wheel is given
};

// The medium of `bind KIND fault(LIST):PATH`: parses LIST and wraps inner.
// Fails on a bad list, or for a medium with a user data file (pkt).
Result<std::unique_ptr<Medium>> make_fault_medium(std::string_view list,
                                                  std::unique_ptr<Medium> inner, Clock& clock,
                                                  Pool& pool, TimerWheel* wheel = nullptr);

// What opens the inner medium (the stack's medium factory).
using MediumOpener =
    std::function<Result<std::unique_ptr<Medium>>(std::string_view kind, std::string_view path)>;
// For the stack's factory: splits a path for which is_fault_path() holds,
// opens the inner medium with open_inner(kind, PATH) and wraps it.
//   if (is_fault_path(path)) return open_fault_medium(kind, path, open_plain, clock, pool,
//   &timers);
Result<std::unique_ptr<Medium>> open_fault_medium(std::string_view kind, std::string_view path,
                                                  const MediumOpener& open_inner, Clock& clock,
                                                  Pool& pool, TimerWheel* wheel = nullptr);

}  // namespace ninet
