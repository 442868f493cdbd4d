// fault_fuzz — the fault(...) spec parser and path splitter on arbitrary
// text, and the medium run with whatever spec parses.
//
// Input: a spec list, optionally followed by a newline and bytes that
// drive the medium (each byte: a frame of that many bytes sent, received,
// or a clock step). Invariants: a list that parses prints (FaultSpec::str)
// to text that parses back to the same spec, and printing is then stable;
// a failed parse says which item ("fault: ITEM: ..."); a path that
// split_fault_path accepts is "fault(" LIST "):" INNER again. The medium
// loses only what it counts: once the clock has passed every release, each
// direction delivered frames - dropped + duplicated - rate_dropped -
// overflow, and holds nothing.
//
//   sh tests/fuzz/run.sh 60 fault_fuzz        (text: -max_len=256)
#include <cstdint>
#include <string>
#include <string_view>

#include "base/fuzz_check.h"
#include "media/fault.h"
#include "media/testing.h"

namespace ninet {
namespace {

void check_list(std::string_view list) {
  auto s = parse_fault_spec(list);
  if (!s) {
    FUZZ_CHECK(s.error().code() == Err::BadArg);
    FUZZ_CHECK(s.error().detail().starts_with("fault: "));
    return;
  }
  std::string text = s->str();
  auto back = parse_fault_spec(text);
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(*back == *s);
  FUZZ_CHECK(back->str() == text);
}

void check_path(std::string_view path) {
  auto p = split_fault_path(path);
  FUZZ_CHECK(!p.ok() || is_fault_path(path));
  if (!p) return;
  FUZZ_CHECK("fault(" + std::string(p->list) + "):" + std::string(p->inner) == path);
  FUZZ_CHECK(p->list.find(')') == std::string_view::npos);
}

void run_medium(const FaultSpec& spec, std::string_view script) {
  ManualClock clock;
  Pool pool;
  TimerWheel wheel(clock.now());
  auto t = std::make_unique<TestMedium>(false);
  TestMedium* inner = t.get();
  FaultMedium m(std::move(t), spec, clock, pool, &wheel);
  uint64_t sent = 0, received = 0;
  Batch b;
  auto receive = [&] {
    while (m.recv(b, pool, 64) > 0 || !inner->in.empty()) {
      received += b.size();
      b.clear();
    }
  };
  for (size_t i = 0; i < script.size() && i < 64; i++) {
    uint8_t c = uint8_t(script[i]);
    uint32_t size = c >> 2;
    switch (c & 3) {
      case 0:
        b.push_back(pool.alloc());
        b.back()->put(size);
        m.send(b);
        FUZZ_CHECK(b.empty());
        break;
      case 1:
        inner->in.push_back(pool.alloc());
        inner->in.back()->put(size);
        receive();
        break;
      case 2:
        clock.advance(Time(size) * Time(size) * us(100));
        wheel.run(clock.now());
        break;
      default:
        m.release();
        break;
    }
  }
  // Past every release: a day beyond the slowest (3600 s delay + jitter +
  // gap, then 64 frames of 63 bytes at 1 bit/s is under 9 hours).
  clock.advance(sec(2 * 86400));
  wheel.run(clock.now());
  receive();
  sent = inner->sent.size();
  FUZZ_CHECK(m.next_release() == kNever);
  FUZZ_CHECK(wheel.armed() == 0);
  for (auto d : {FaultMedium::kIn, FaultMedium::kOut}) {
    const FaultCounters& n = m.faults(d);
    FUZZ_CHECK(m.held(d) == 0);
    uint64_t out = d == FaultMedium::kIn ? received : sent;
    FUZZ_CHECK(out == n.frames - n.dropped + n.duplicated - n.rate_dropped - n.overflow);
  }
}

}  // namespace
}  // namespace ninet

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ninet;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  std::string_view list = in.substr(0, nl);
  check_list(list);
  check_path(in);
  if (nl != std::string_view::npos) {
    auto s = parse_fault_spec(list);
    if (s) run_medium(*s, in.substr(nl + 1));
  }
  return 0;
}
