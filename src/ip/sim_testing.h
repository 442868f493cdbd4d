// sim_testing.h — two stacks in one process joined by a simulated wire,
// for tests and simulations: each Ip binds an Ethernet TestMedium wrapped in
// a FaultMedium (media/fault.h) armed on the Ip's own timer wheel, one
// ManualClock drives both, and the wire moves what one TestMedium sent into
// the other's input. Host a is 10.0.0.1 and fd00::1, host b 10.0.0.2 and
// fd00::2; each holds its stack lock for the whole test (one thread).
//
//   Sim s("drop=5%,delay=10ms,seed=1", "seed=2", [](Ip& ip) { ip.add_proto(make_tcp(ip)); });
//   ... start something on s.a / s.b ...
//   s.run(s.clock.now() + sec(5), [&] { ... look at the conversations ... });
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ip/ip.h"
#include "media/fault.h"
#include "media/testing.h"

namespace ninet::simtest {

// ---- One stack driven by a test through its TestMedia ----

// Runs ip until its media have nothing more (flush, then poll; at most 16
// rounds).
inline void pump(Ip& ip) {
  for (int i = 0; i < 16; i++) {
    ip.flush();
    if (ip.poll() == 0) break;
  }
}
// A frame arriving on m from its wire, then pump.
inline void frame_in(Ip& ip, Pool& pool, TestMedium& m, const std::vector<uint8_t>& f) {
  m.in.push_back(pool.copy(f.data(), uint32_t(f.size())));
  pump(ip);
}
// What m sent, oldest first; m's list is emptied.
inline std::vector<std::vector<uint8_t>> take_sent(TestMedium& m) {
  std::vector<std::vector<uint8_t>> v;
  for (auto& b : m.sent)
    v.emplace_back(b->data(), b->data() + b->size());
  m.sent.clear();
  return v;
}

// One stack with one Ethernet interface on the simulated wire.
struct Host {
  Host(ManualClock& clock, Pool& pool, std::string faults, uint8_t mac, uint64_t seed,
       const std::function<void(Ip&)>& protos)
      : ip(clock, pool, [this, &clock, &pool, faults, mac](std::string_view, std::string_view) {
          uint8_t m[6] = {0x52, 0x54, 0, 0, 0, mac};
          auto t = std::make_unique<TestMedium>(true, Mac(m));
          wire = t.get();
          return make_fault_medium(faults, std::move(t), clock, pool, &ip.timers);
        }) {
    ip.rng.seed(seed);
    protos(ip);
  }
  Ip ip;
  std::unique_lock<std::mutex> l{ip.mu};
  TestMedium* wire = nullptr;
  FaultMedium* fault() { return static_cast<FaultMedium*>(ip.ifcs()[0]->medium.get()); }
};

struct Sim {
  ManualClock clock;
  Pool pool;
  Host a, b;

  Sim(const std::string& fa, const std::string& fb, const std::function<void(Ip&)>& protos)
      : a(clock, pool, fa, 1, 11, protos), b(clock, pool, fb, 2, 22, protos), protos_(protos) {
    setup(a.ip, "10.0.0.1", "fd00::1");
    setup(b.ip, "10.0.0.2", "fd00::2");
  }
  // Host b reboots: a new stack (seeded `seed`) on the same addresses and
  // MAC; pointers into the old one are gone.
  void restart_b(const std::string& faults, uint64_t seed) {
    std::destroy_at(&b);
    std::construct_at(&b, clock, pool, faults, 2, seed, protos_);
    setup(b.ip, "10.0.0.2", "fd00::2");
  }
  static void setup(Ip& ip, const std::string& v4, const std::string& v6) {
    Ifc* f = *ip.ifc_clone();
    EXPECT_TRUE(ip.ifc_ctl(*f, "bind ether sim").ok());
    EXPECT_TRUE(ip.ifc_ctl(*f, "add " + v4 + " 255.255.255.0").ok());
    EXPECT_TRUE(ip.ifc_ctl(*f, "add " + v6 + " /64").ok());
  }

  // Moves frames across the wire; true if there were any.
  static bool carry(TestMedium* from, TestMedium* to) {
    bool any = !from->sent.empty();
    for (auto& f : from->sent)
      to->in.push_back(std::move(f));
    from->sent.clear();
    return any;
  }
  // Runs both stacks until nothing moves at this time and neither has
  // input left (a poll takes at most one batch of it).
  void settle() {
    for (int i = 0; i < 100000; i++) {
      for (Host* h : {&a, &b}) {
        h->ip.poll();
        h->ip.tick();
      }
      bool moved = carry(a.wire, b.wire);
      moved |= carry(b.wire, a.wire);
      if (!moved && a.wire->in.empty() && b.wire->in.empty()) return;
    }
    ADD_FAILURE() << "the wire never went quiet";
  }
  // Runs until `until`, jumping from one timer to the next (the fault
  // wrappers' releases are timers too); after() runs at every stop and may
  // return true to stop early.
  template <class F>
  void run(Time until, F after) {
    for (;;) {
      settle();
      if (after()) return;
      Time next = std::min(a.ip.timers.next(), b.ip.timers.next());
      if (next > until) break;
      clock.set(std::max(next, clock.now() + 1));
    }
    clock.set(until);
    settle();
    after();
  }

 private:
  std::function<void(Ip&)> protos_;
};

}  // namespace ninet::simtest
