// rudp_testing.h — two stacks with rudp on a simulated wire
// (ip/sim_testing.h) and the few steps every rudp test takes: open a
// conversation with ctl messages, write without blocking, read what is
// queued, read a counter.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "base/endian.h"
#include "ip/sim_testing.h"
#include "proto/icmp.h"
#include "proto/icmp6.h"
#include "proto/rudp.h"

namespace ninet::rudptest {

using Bytes = std::vector<uint8_t>;
using simtest::Host;

struct Sim : simtest::Sim {
  Sim(const std::string& fa = "", const std::string& fb = "")
      : simtest::Sim(fa, fb, [](Ip& ip) {
          ip.add_proto(make_icmp(ip));  // ICMP errors reach rudp's advise
          ip.add_proto(make_icmp6(ip));
          ip.add_proto(make_rudp(ip));
        }) {}
  // Runs until `until`, calling each() at every stop.
  template <class F>
  void run_until(Time until, F each) {
    run(until, [&] {
      each();
      return false;
    });
  }
  void run_for(Time d) {
    run_until(clock.now() + d, [] {});
  }
};

inline Proto* rudp(Host& h) {
  return h.ip.proto("rudp");
}

// A new conversation on h after these ctl messages.
inline Conv* open(Host& h, const std::vector<std::string>& ctls) {
  auto c = rudp(h)->clone("test");
  EXPECT_TRUE(c.ok());
  if (!c) return nullptr;
  for (auto& m : ctls) {
    auto st = rudp(h)->ctl_message(**c, m, h.l, nullptr);
    EXPECT_TRUE(st.ok()) << m << ": " << st.error().text();
  }
  return *c;
}

// A write of data that does not wait: Interrupted when it would.
inline Result<size_t> send(Host& h, Conv& c, const Bytes& data) {
  std::atomic<bool> cancel{true};
  return rudp(h)->write_data(c, data, h.l, &cancel);
}

// The 52-byte Udphdr to (raddr, rport) in front of body.
inline Bytes with_header(const Ipaddr& raddr, uint16_t rport, const Bytes& body) {
  Bytes b(52);
  std::copy(raddr.data(), raddr.data() + Ipaddr::kLen, b.begin());
  store16(b.data() + 48, rport);
  b.insert(b.end(), body.begin(), body.end());
  return b;
}

// Every message queued for c's readers, oldest first.
inline std::vector<Bytes> drain(Host& h, Conv& c) {
  std::vector<Bytes> v;
  Bytes buf(70000);
  while (!c.rq.empty()) {
    auto n = c.read(h.l, buf, nullptr);
    EXPECT_TRUE(n.ok());
    if (!n) break;
    v.emplace_back(buf.begin(), buf.begin() + long(*n));
  }
  return v;
}

// A counter from rudp/stats.
inline uint64_t stat(Host& h, const std::string& name) {
  std::string s = rudp(h)->stats();
  size_t i = s.find(name + ": ");
  EXPECT_NE(i, std::string::npos) << name;
  if (i == std::string::npos) return 0;
  return std::stoull(s.substr(i + name.size() + 2));
}

inline Bytes u32(uint32_t v) {
  Bytes b(4);
  store32(b.data(), v);
  return b;
}

}  // namespace ninet::rudptest
