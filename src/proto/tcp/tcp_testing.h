// tcp_testing.h — what the TCP tests share: two stacks with TCP joined by
// the simulated wire of ip/sim_testing.h (a is 10.0.0.1 / fd00::1, b is
// 10.0.0.2 / fd00::2), and small steps on them: connect a to b, move data
// and read it, look at status and stats, see and forge segments on the
// wire. Everything runs in simulated time on the test's thread.
//
//   TcpSim s("delay=10ms,seed=1", "seed=2");
//   Pair p = connect(s);                              // a's client, b's server
//   EXPECT_EQ(transfer(s, s.a, p.client, s.b, p.server, "x", sec(1)), "x");
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "base/endian.h"
#include "ip/sim_testing.h"
#include "proto/tcp/tcp.h"
#include "wire/ether.h"
#include "wire/ip4.h"
#include "wire/tcp.h"

namespace ninet::tcptest {

using simtest::Host;

struct TcpSim : simtest::Sim {
  explicit TcpSim(const std::string& fa = "", const std::string& fb = "")
      : simtest::Sim(fa, fb, [](Ip& ip) { ip.add_proto(make_tcp(ip)); }) {}
};

// Calls into the contract never wait here (one thread runs both stacks):
// a cancel flag that is already set makes a blocking call return at once.
inline const std::atomic<bool> kNoWait{true};

inline Proto& tcp(Host& h) {
  return *h.ip.proto("tcp");
}

inline Conv* clone(Host& h) {
  auto c = tcp(h).clone("test");
  EXPECT_TRUE(c.ok());
  return c.ok() ? *c : nullptr;
}

inline std::string status(Host& h, Conv* c) {
  return tcp(h).status(*c);
}

inline std::string state(Host& h, Conv* c) {
  std::string s = status(h, c);
  return s.substr(0, s.find(' '));
}

// Starts a connect (the write returns at once; the handshake goes on).
inline void start_connect(Host& h, Conv* c, const std::string& to) {
  auto st = tcp(h).ctl_message(*c, "connect " + to, h.l, &kNoWait);
  EXPECT_TRUE(st.ok() || st.error() == Err::Interrupted) << st.error().text();
}

inline Conv* announce(Host& h, const std::string& port) {
  Conv* c = clone(h);
  EXPECT_TRUE(tcp(h).ctl_message(*c, "announce " + port, h.l, nullptr).ok());
  return c;
}

// The next call on an announced conversation, or nullptr.
inline Conv* take_call(Host& h, Conv* listener) {
  if (listener->incall.empty()) return nullptr;
  auto c = tcp(h).listen(*listener, h.l, &kNoWait);
  return c.ok() ? *c : nullptr;
}

// Reads what is queued.
inline std::string drain(Host& h, Conv* c) {
  std::string got;
  std::vector<uint8_t> buf(65536);
  while (c->rq_bytes) {
    auto n = c->read(h.l, buf, &kNoWait);
    if (!n.ok() || *n == 0) break;
    got.append(buf.begin(), buf.begin() + long(*n));
  }
  return got;
}

// Writes as much of data[at..] as the send buffer takes.
inline void feed(Host& h, Conv* c, const std::string& data, size_t& at) {
  if (at >= data.size()) return;
  size_t room = tcp(h).send_space(*c);
  if (!room) return;
  size_t n = std::min(room, data.size() - at);
  auto w = tcp(h).write(*c, {reinterpret_cast<const uint8_t*>(data.data()) + at, n});
  ASSERT_TRUE(w.ok()) << w.error().text();
  at += *w;
}

inline std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& ch : s)
    ch = char(rng());
  return s;
}

inline uint64_t stat(Host& h, const std::string& name) {
  std::string s = tcp(h).stats();
  size_t at = s.find(name + ": ");
  return at == std::string::npos ? ~0ull : std::stoull(s.substr(at + name.size() + 2));
}

struct Pair {
  Conv* client = nullptr;  // on a
  Conv* server = nullptr;  // on b
};

// a connects to b's port 80 and b takes the call.
inline Pair connect(TcpSim& s, const std::string& to = "10.0.0.2!80") {
  Pair p;
  Conv* l = announce(s.b, "80");
  p.client = clone(s.a);
  start_connect(s.a, p.client, to);
  s.run(s.clock.now() + sec(30), [&] {
    if (!p.server) p.server = take_call(s.b, l);
    return p.server && p.client->state == ConvState::kConnected;
  });
  EXPECT_EQ(p.client->state, ConvState::kConnected) << status(s.a, p.client);
  EXPECT_NE(p.server, nullptr);
  return p;
}

// Sends `data` from one end to the other and returns what arrived (with
// the time it took, simulated).
inline std::string transfer(TcpSim& s, Host& from, Conv* src, Host& to, Conv* dst,
                            const std::string& data, Time limit) {
  size_t at = 0;
  std::string got;
  s.run(s.clock.now() + limit, [&] {
    feed(from, src, data, at);
    got += drain(to, dst);
    return got.size() >= data.size();
  });
  return got;
}

// What one frame on the simulated wire holds (Ethernet, IPv4, TCP).
inline wire::TcpRepr frame_tcp(const BlockPtr& f) {
  auto t = wire::TcpRepr::parse_unchecked(f->span().subspan(14 + 20));
  EXPECT_TRUE(t.ok());
  return t.ok() ? *t : wire::TcpRepr{};
}

// The TCP segments over IPv4 among what h has sent (not ARP and the rest).
inline std::vector<wire::TcpRepr> tcp_sent(Host& h) {
  std::vector<wire::TcpRepr> out;
  for (auto& f : h.wire->sent)
    if (f->size() >= 14 + 20 + 20 && load16(f->data() + 12) == wire::ethertype::kIp4 &&
        f->data()[14 + 9] == 6)
      out.push_back(frame_tcp(f));
  return out;
}

// A TCP segment to b (from a, or from `from`), as an Ethernet frame on b's
// side of the wire; or, with to_a, from b to a (the addresses swapped) on
// a's side.
inline BlockPtr forged(TcpSim& s, const wire::TcpRepr& h, const char* from = "10.0.0.1",
                       bool to_a = false) {
  Ipaddr src = *Ipaddr::parse(from), dst = *Ipaddr::parse("10.0.0.2");
  if (to_a) std::swap(src, dst);
  BlockPtr b = s.pool.alloc();
  size_t hl = h.header_len();
  uint8_t* t = b->put(uint32_t(hl));
  h.emit(src, dst, {t, hl});
  wire::Ip4Repr ip;
  ip.src = src;
  ip.dst = dst;
  ip.proto = 6;
  ip.ttl = 64;
  ip.total_len = uint16_t(20 + hl);
  ip.emit(b->push(20));
  Mac from_mac = s.a.wire->hwaddr(), to_mac = s.b.wire->hwaddr();
  if (to_a) std::swap(from_mac, to_mac);
  wire::EtherRepr{to_mac, from_mac, wire::ethertype::kIp4}.emit(b->push(14));
  return b;
}

}  // namespace ninet::tcptest
