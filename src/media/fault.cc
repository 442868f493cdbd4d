// fault.cc — the fault-injecting medium (fault.h): the spec parser and
// printer, then the two directions' pipelines.
//
// A direction holds frames in two places: `wait`, a binary heap on (release
// time, arrival number) for frames delayed or reordered, and `link`, the
// FIFO of a rate-limited serial link with each frame's departure time. A
// call at time `now` replays what happened up to now in time order (the
// earlier of the heap's top and the link's head first), so a frame joins
// the link at its own release time, not at the time of the call that
// noticed it: the link's queue and its drops come out the same however
// often the medium is polled.
#include "media/fault.h"

#include <algorithm>
#include <cctype>

#include "base/fields.h"

namespace ninet {

// ---- The spec ----

namespace {

Error bad(std::string_view item, std::string_view why) {
  return Error(Err::BadArg, "fault: " + std::string(item) + ": " + std::string(why));
}

struct Unit {
  std::string_view name;
  int64_t scale;  // base units (ns, bit/s, parts per 10^9, frames) per unit
};

// What a value is: its units, largest first, its range, and what the error
// of a bad one asks for.
struct Kind {
  std::vector<Unit> units;
  int64_t min, max;
  std::string_view want;
};
const Kind kPercent{{{"%", FaultDir::kOne / 100}},
                    0,
                    FaultDir::kOne,
                    "want a percentage from 0% to 100% (3%, 0.5%)"};
const Kind kTime{{{"s", sec(1)}, {"ms", ms(1)}, {"us", us(1)}, {"ns", 1}},
                 0,
                 sec(3600),
                 "want a time up to 3600s (5ms, 1.5ms, 200us, 1s)"};
const Kind kRate{{{"gbit", 1000000000}, {"mbit", 1000000}, {"kbit", 1000}, {"bit", 1}},
                 0,
                 1000000000000,
                 "want a rate up to 1000gbit (9600bit, 512kbit, 10mbit)"};
const Kind kCount{{{"", 1}}, 1, 1000000, "want a number of frames from 1 to 1000000"};

// One key of the list, read and written as an int64 whatever its field.
struct Key {
  std::string_view name;
  const Kind& kind;
  int64_t (*get)(const FaultDir&);
  void (*set)(FaultDir&, int64_t);
};

#define NINET_FAULT_KEY(key, field, kind)                                      \
  Key {                                                                        \
    key, kind, [](const FaultDir& d) { return int64_t(d.field); },             \
        [](FaultDir& d, int64_t v) { d.field = decltype(FaultDir::field)(v); } \
  }
const Key kKeys[] = {
    NINET_FAULT_KEY("drop", drop, kPercent),       NINET_FAULT_KEY("dup", dup, kPercent),
    NINET_FAULT_KEY("reorder", reorder, kPercent), NINET_FAULT_KEY("gap", gap, kTime),
    NINET_FAULT_KEY("delay", delay, kTime),        NINET_FAULT_KEY("jitter", jitter, kTime),
    NINET_FAULT_KEY("corrupt", corrupt, kPercent), NINET_FAULT_KEY("rate", rate, kRate),
    NINET_FAULT_KEY("limit", limit, kCount),
};
#undef NINET_FAULT_KEY

bool same_word(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == y;
         });
}

// "1.25unit" (digits with an optional fraction, no sign, exponent or
// blanks; the unit in any case, as tc takes them): the number times the
// unit's scale, if that is a whole number of base units in the kind's range.
std::optional<int64_t> parse_value(const Kind& k, std::string_view s) {
  size_t digits_end = 0;
  while (digits_end < s.size() &&
         (std::isdigit(static_cast<unsigned char>(s[digits_end])) || s[digits_end] == '.'))
    digits_end++;
  std::string_view num = s.substr(0, digits_end), unit = s.substr(digits_end);
  auto u = std::find_if(k.units.begin(), k.units.end(),
                        [&](const Unit& x) { return same_word(unit, x.name); });
  if (u == k.units.end()) return std::nullopt;
  size_t point = num.find('.');
  std::string_view whole = num.substr(0, point);
  std::string_view frac =
      point == std::string_view::npos ? std::string_view() : num.substr(point + 1);
  if (point != std::string_view::npos && frac.empty()) return std::nullopt;  // "1."
  while (!frac.empty() && frac.back() == '0')
    frac.remove_suffix(1);
  auto w = parse_int(whole, 0, k.max);
  if (!w || *w > k.max / u->scale) return std::nullopt;
  int64_t v = *w * u->scale;
  // The fraction's digits, each a tenth of the one before.
  int64_t place = u->scale;
  for (char c : frac) {
    if (c < '0' || c > '9' || place % 10 != 0) return std::nullopt;  // finer than the base unit
    place /= 10;
    v += (c - '0') * place;
  }
  if (v < k.min || v > k.max) return std::nullopt;
  return v;
}

// v in the largest unit it is a whole number of, else in the smallest with
// the fraction it needs (0.1%).
std::string format_value(const Kind& k, int64_t v) {
  for (const Unit& u : k.units)
    if (v % u.scale == 0) return std::to_string(v / u.scale) + std::string(u.name);
  const Unit& u = k.units.back();
  std::string f = std::to_string(u.scale + v % u.scale).substr(1);  // leading zeros kept
  while (f.back() == '0')
    f.pop_back();
  return std::to_string(v / u.scale) + "." + f + std::string(u.name);
}

}  // namespace

Result<FaultSpec> parse_fault_spec(std::string_view list) {
  FaultSpec spec;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (comma != std::string_view::npos && list.empty()) return bad(item, "a comma ends the list");
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) return bad(item, "want key=value");
    std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "seed") {
      auto s = parse_int(value, 0, INT64_MAX);
      if (!s) return bad(item, "want a number from 0 to 2^63-1");
      spec.seed = uint64_t(*s);
      continue;
    }
    FaultDir* dirs[2] = {&spec.in, &spec.out};
    size_t ndirs = 2;
    if (key.starts_with("in.")) {
      key.remove_prefix(3);
      ndirs = 1;
    } else if (key.starts_with("out.")) {
      key.remove_prefix(4);
      dirs[0] = &spec.out;
      ndirs = 1;
    }
    const Key* k = std::find_if(std::begin(kKeys), std::end(kKeys),
                                [&](const Key& x) { return x.name == key; });
    if (k == std::end(kKeys))
      return bad(item,
                 "unknown key (drop dup reorder gap delay jitter corrupt rate limit seed, "
                 "optionally in. or out.)");
    auto v = parse_value(k->kind, value);
    if (!v) return bad(item, k->kind.want);
    for (size_t i = 0; i < ndirs; i++)
      k->set(*dirs[i], *v);
  }
  return spec;
}

std::string FaultSpec::str() const {
  static const FaultDir kDefault;
  std::string s;
  auto add = [&](std::string_view prefix, const Key& k, int64_t v) {
    s += std::string(prefix) + std::string(k.name) + "=" + format_value(k.kind, v) + ",";
  };
  for (const Key& k : kKeys) {
    int64_t i = k.get(in), o = k.get(out), d = k.get(kDefault);
    if (i == o) {
      if (i != d) add("", k, i);
      continue;
    }
    if (i != d) add("in.", k, i);
    if (o != d) add("out.", k, o);
  }
  return s + "seed=" + std::to_string(seed);
}

bool is_fault_path(std::string_view path) {
  return path.starts_with("fault(");
}

Result<FaultPath> split_fault_path(std::string_view path) {
  if (!is_fault_path(path)) return Error(Err::BadArg, "fault: want fault(list):path");
  path.remove_prefix(6);
  size_t close = path.find(')');
  if (close == std::string_view::npos) return Error(Err::BadArg, "fault: no ')' after fault(");
  FaultPath fp{path.substr(0, close), path.substr(close + 1)};
  if (!fp.inner.starts_with(':'))
    return Error(Err::BadArg, "fault: want fault(list):path, with the medium's path after ':'");
  fp.inner.remove_prefix(1);
  return fp;
}

Result<std::unique_ptr<Medium>> make_fault_medium(std::string_view list,
                                                  std::unique_ptr<Medium> inner, Clock& clock,
                                                  Pool& pool, TimerWheel* wheel) {
  auto spec = parse_fault_spec(list);
  if (!spec) return spec.error();
  if (inner->caps.user_data)
    return Error(Err::NotSupported, "fault: a medium with a user data file (pkt)");
  return std::unique_ptr<Medium>(
      std::make_unique<FaultMedium>(std::move(inner), *spec, clock, pool, wheel));
}

Result<std::unique_ptr<Medium>> open_fault_medium(std::string_view kind, std::string_view path,
                                                  const MediumOpener& open_inner, Clock& clock,
                                                  Pool& pool, TimerWheel* wheel) {
  auto fp = split_fault_path(path);
  if (!fp) return fp.error();
  auto inner = open_inner(kind, fp->inner);
  if (!inner) return inner.error();
  return make_fault_medium(fp->list, std::move(*inner), clock, pool, wheel);
}

// ---- The medium ----

// The heap order of held frames: std::push_heap keeps the greatest first,
// so "greater" is later (then arrived later).
bool FaultMedium::later(const Held& x, const Held& y) {
  return x.at != y.at ? x.at > y.at : x.seq > y.seq;
}

FaultMedium::FaultMedium(std::unique_ptr<Medium> inner, const FaultSpec& spec, Clock& clock,
                         Pool& pool, TimerWheel* wheel)
    : inner_(std::move(inner)), spec_(spec), clock_(clock), pool_(pool) {
  caps = inner_->caps;
  caps.user_data = false;
  // Faults act on wire frames with whole checksums: IP segments and
  // checksums what it sends here (a corrupted bit must be caught).
  caps.csum_offload = false;
  caps.gso_max = 0;
  dirs_[kIn].f = spec.in;
  dirs_[kOut].f = spec.out;
  // Each direction draws from its own stream, so that the faults of one do
  // not depend on how much traffic the other had.
  dirs_[kIn].rng = spec.seed ^ 0x6a09e667f3bcc908;
  dirs_[kOut].rng = spec.seed ^ 0xbb67ae8584caa73b;
  inner_->set_notify([this] { notify(); });
  if (wheel) timer_.set(*wheel, [this](Time) { release(); });
  stats_ = inner_->stats();
}

FaultMedium::~FaultMedium() {
  inner_->set_notify(nullptr);
}

// splitmix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014): the same numbers on every platform, which
// std::uniform_*_distribution does not promise.
uint64_t FaultMedium::next(Dir& d) {
  uint64_t z = d.rng += 0x9e3779b97f4a7c15;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

bool FaultMedium::chance(Dir& d, uint32_t p) {
  if (p == 0) return false;
  if (p >= FaultDir::kOne) return true;
  return next(d) % FaultDir::kOne < p;
}

void FaultMedium::admit(Dir& d, BlockPtr b, Time now, Batch& out) {
  d.n.frames++;
  if (chance(d, d.f.drop)) {
    d.n.dropped++;
    return;
  }
  if (b->size() > 0 && chance(d, d.f.corrupt)) {
    uint64_t bit = next(d) % (uint64_t(b->size()) * 8);
    b->data()[bit / 8] ^= uint8_t(1u << (bit % 8));
    // Whatever vouched for the checksum vouched for other bytes: the stack
    // checks this one (and drops it, as a wire's receiver would).
    b->flags &= ~(Block::kCsumPartial | Block::kCsumValid);
    d.n.corrupted++;
  }
  BlockPtr copy;
  if (chance(d, d.f.dup)) {
    copy = pool_.copy(b->data(), b->size(), b->headroom());
    copy->ifc = b->ifc;
    copy->stamp = b->stamp;
    copy->flags = b->flags;
    copy->net_off = b->net_off;
    d.n.duplicated++;
  }
  schedule(d, std::move(b), now, out);
  if (copy) schedule(d, std::move(copy), now, out);
}

void FaultMedium::schedule(Dir& d, BlockPtr b, Time now, Batch& out) {
  Time t = now;
  if (d.f.delay || d.f.jitter) {
    Time off = d.f.jitter ? Time(next(d) % uint64_t(2 * d.f.jitter + 1)) - d.f.jitter : 0;
    Time hold = std::max<Time>(0, d.f.delay + off);
    if (hold > 0) d.n.delayed++;
    t += hold;
  }
  if (chance(d, d.f.reorder)) {
    t += d.f.gap;
    d.n.reordered++;
  }
  // Nothing to wait for and nothing held before it: straight through.
  if (t == now && d.wait.empty() && d.f.rate == 0) {
    out.push_back(std::move(b));
    return;
  }
  if (d.wait.size() + d.link.size() - d.link_head >= kMaxHeld) {
    d.n.overflow++;
    return;
  }
  d.wait.push_back({t, d.seq++, std::move(b)});
  std::push_heap(d.wait.begin(), d.wait.end(), later);
}

void FaultMedium::to_link(Dir& d, Time t, BlockPtr b) {
  // Frames still on the link at t: those departing after it (departures
  // ascend). The one being sent counts, as in a serial line's queue.
  auto first = d.link.begin() + ptrdiff_t(d.link_head);
  auto after =
      std::upper_bound(first, d.link.end(), t, [](Time x, const Held& h) { return x < h.at; });
  if (size_t(d.link.end() - after) >= d.f.limit) {
    d.n.rate_dropped++;
    return;
  }
  Time start = t;
  if (d.link_free > t) {
    start = d.link_free;
    d.n.rate_queued++;
  } else {
    d.link_frac = 0;  // idle: the remainder was idle time
  }
  // 8n bits at `rate` bit/s take 8n * 10^9 / rate ns; the remainder is kept,
  // so that the link passes exactly rate/8 bytes a second however long.
  uint64_t num = uint64_t(b->size()) * 8 * uint64_t(sec(1)) + d.link_frac;
  d.link_free = start + Time(num / d.f.rate);
  d.link_frac = num % d.f.rate;
  d.link.push_back({d.link_free, d.seq++, std::move(b)});
}

void FaultMedium::advance(Dir& d, Time now, Batch& out) {
  for (;;) {
    bool waiting = !d.wait.empty() && d.wait.front().at <= now;
    bool departing = d.link_head < d.link.size() && d.link[d.link_head].at <= now;
    if (!waiting && !departing) break;
    // In time order; a departure before an arrival at the same time.
    if (departing && (!waiting || d.link[d.link_head].at <= d.wait.front().at)) {
      out.push_back(std::move(d.link[d.link_head++].b));
      continue;
    }
    std::pop_heap(d.wait.begin(), d.wait.end(), later);
    Held h = std::move(d.wait.back());
    d.wait.pop_back();
    if (d.f.rate == 0)
      out.push_back(std::move(h.b));
    else
      to_link(d, h.at, std::move(h.b));
  }
  if (d.link_head == d.link.size()) {
    d.link.clear();
    d.link_head = 0;
  } else if (d.link_head >= 1024 && d.link_head * 2 >= d.link.size()) {
    d.link.erase(d.link.begin(), d.link.begin() + ptrdiff_t(d.link_head));
    d.link_head = 0;
  }
}

void FaultMedium::settle(Time now) {
  advance(dirs_[kOut], now, scratch_);
  if (!scratch_.empty()) {
    inner_->send(scratch_);
    scratch_.clear();
  }
  advance(dirs_[kIn], now, ready_);
  stats_ = inner_->stats();
  const FaultCounters& i = dirs_[kIn].n;
  const FaultCounters& o = dirs_[kOut].n;
  stats_.in_errors += i.dropped + i.rate_dropped + i.overflow;
  stats_.out_errors += o.dropped + o.rate_dropped + o.overflow;
  rearm();
}

void FaultMedium::rearm() {
  if (!timer_.wheel()) return;
  Time t = next_release();
  if (t == kNever)
    timer_.cancel();
  else if (!timer_.armed() || timer_.when() != t)
    timer_.arm(t);
}

size_t FaultMedium::recv(Batch& out, Pool& pool, size_t max) {
  Time now = clock_.now();
  Dir& d = dirs_[kIn];
  // A few batches from the inner medium, as Ip::poll takes a few from each.
  for (int round = 0; round < 4 && ready_.size() < max; round++) {
    size_t n = inner_->recv(pulled_, pool, max);
    for (BlockPtr& b : pulled_)
      if (b) admit(d, std::move(b), now, ready_);
    pulled_.clear();
    if (n < max) break;
  }
  settle(now);
  size_t n = std::min(max, ready_.size());
  for (size_t i = 0; i < n; i++)
    out.push_back(std::move(ready_[i]));
  ready_.erase(ready_.begin(), ready_.begin() + ptrdiff_t(n));
  if (!ready_.empty()) notify();  // come back for the rest
  return n;
}

void FaultMedium::send(Batch& batch) {
  Time now = clock_.now();
  for (BlockPtr& b : batch)
    if (b) admit(dirs_[kOut], std::move(b), now, scratch_);
  batch.clear();
  release_at(now);
}

void FaultMedium::release() {
  release_at(clock_.now());
}

void FaultMedium::release_at(Time now) {
  size_t before = ready_.size();
  settle(now);
  if (ready_.size() > before) notify();
}

void FaultMedium::close() {
  timer_.cancel();
  for (Dir& d : dirs_) {
    d.wait.clear();
    d.link.clear();
    d.link_head = 0;
  }
  ready_.clear();
  scratch_.clear();
  pulled_.clear();
  inner_->close();
}

Time FaultMedium::next_release() const {
  Time t = kNever;
  for (const Dir& d : dirs_) {
    if (!d.wait.empty()) t = std::min(t, d.wait.front().at);
    if (d.link_head < d.link.size()) t = std::min(t, d.link[d.link_head].at);
  }
  return t;
}

size_t FaultMedium::held(Direction dir) const {
  const Dir& d = dirs_[dir];
  return d.wait.size() + d.link.size() - d.link_head;
}

}  // namespace ninet
