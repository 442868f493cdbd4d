// icmp_testing.h — the fixture of icmp_test.cc and icmp6_test.cc: one Ip
// with a loopback interface (127.0.0.1/8, ::1) and an IP-level "pkt"
// interface whose output the test reads and whose input it feeds
// (10.0.0.1/24 10.0.0.2/24, 2001:db8::1/64), the icmp and icmpv6 protocols,
// and a recording protocol in UDP's place (advise() from ICMP errors).
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "base/endian.h"
#include "ip/ip.h"
#include "media/loopback.h"
#include "media/testing.h"
#include "proto/icmp.h"
#include "proto/icmp6.h"
#include "wire/icmp.h"
#include "wire/icmp6.h"
#include "wire/ip4.h"
#include "wire/ip6.h"

namespace ninet::icmptest {

// What one Proto::advise call carried (its span copied).
struct Advised {
  Ipaddr src, dst;
  std::vector<uint8_t> inner;
  std::string msg;
  Advice::Kind kind;
  uint32_t mtu;
  bool hard;
};

// Stands in for UDP (IP protocol 17): records what ICMP errors tell it.
class RecordingProto : public Proto {
 public:
  explicit RecordingProto(Ip& ip) : Proto(ip, "udp", wire::ipproto::kUdp, 16) {}
  Result<size_t> write(Conv&, std::span<const uint8_t> d) override { return d.size(); }
  void rcv(const IpRx&, BlockPtr) override {}
  void advise(const Advice& a) override {
    advice.push_back({a.src,
                      a.dst,
                      {a.transport.begin(), a.transport.end()},
                      a.text(),
                      a.kind,
                      a.mtu,
                      a.hard()});
  }
  std::string stats() const override { return ""; }
  std::vector<Advised> advice;
};

inline Ipaddr A(std::string_view s) {
  return *Ipaddr::parse(s);
}

struct IcmpFixture : ::testing::Test {
  ManualClock clock;
  Pool pool;
  TestMedium* pkt = nullptr;
  Ip ip{clock, pool, [this](std::string_view kind, std::string_view) {
          std::unique_ptr<Medium> m;
          if (kind == "loopback") {
            m = std::make_unique<LoopbackMedium>();
          } else {
            auto p = std::make_unique<TestMedium>(false);
            pkt = p.get();
            m = std::move(p);
          }
          return Result<std::unique_ptr<Medium>>(std::move(m));
        }};
  std::unique_lock<std::mutex> l{ip.mu};
  Proto* icmp = nullptr;
  Proto* icmp6 = nullptr;
  RecordingProto* udp = nullptr;
  Ifc* lo = nullptr;
  Ifc* wire = nullptr;

  void SetUp() override {
    ip.add_proto(make_icmp(ip));
    ip.add_proto(make_icmp6(ip));
    auto u = std::make_unique<RecordingProto>(ip);
    udp = u.get();
    ip.add_proto(std::move(u));
    icmp = ip.proto("icmp");
    icmp6 = ip.proto("icmpv6");
    lo = *ip.ifc_clone();
    ASSERT_TRUE(ip.ifc_ctl(*lo, "bind loopback").ok());
    ASSERT_TRUE(ip.ifc_ctl(*lo, "add 127.0.0.1 255.0.0.0").ok());
    ASSERT_TRUE(ip.ifc_ctl(*lo, "add ::1 /128").ok());
    wire = *ip.ifc_clone();
    ASSERT_TRUE(ip.ifc_ctl(*wire, "bind pkt").ok());
    ASSERT_TRUE(ip.ifc_ctl(*wire, "add 10.0.0.1 255.255.255.0").ok());
    ASSERT_TRUE(ip.ifc_ctl(*wire, "add 10.0.0.2 255.255.255.0").ok());
    ASSERT_TRUE(ip.ifc_ctl(*wire, "add 2001:db8::1 /64").ok());
    pump();
    pkt->sent.clear();  // whatever adding addresses sent
  }

  // Runs the stack until nothing moves.
  void pump() {
    for (int i = 0; i < 16; i++) {
      ip.flush();
      if (ip.poll() == 0) break;
    }
  }

  Conv* open(Proto* p, std::string_view msg = {}) {
    auto c = p->clone("test");
    EXPECT_TRUE(c.ok());
    if (!msg.empty()) EXPECT_TRUE(p->ctl_message(**c, msg, l, nullptr).ok()) << msg;
    return *c;
  }
  Status ctl(Conv* c, std::string_view msg) { return c->proto.ctl_message(*c, msg, l, nullptr); }
  Result<size_t> write(Conv* c, const std::vector<uint8_t>& m) {
    auto r = c->proto.write(*c, m);
    pump();
    return r;
  }
  // The next message queued on c, or nullopt if there is none (no waiting).
  std::optional<std::vector<uint8_t>> read(Conv* c) {
    if (c->rq.empty()) return std::nullopt;
    std::vector<uint8_t> buf(70000);
    auto n = c->read(l, buf, nullptr);
    if (!n) return std::nullopt;
    buf.resize(*n);
    return buf;
  }

  // An ICMP message: type code, rest, data; the checksum is filled.
  static std::vector<uint8_t> icmp4_msg(uint8_t type, uint8_t code, uint32_t rest,
                                        const std::vector<uint8_t>& data) {
    std::vector<uint8_t> m(8 + data.size());
    wire::IcmpRepr{type, code, rest, {}}.emit(m, data);
    return m;
  }
  static std::vector<uint8_t> icmp6_msg(const Ipaddr& src, const Ipaddr& dst, uint8_t type,
                                        uint8_t code, uint32_t rest,
                                        const std::vector<uint8_t>& data) {
    std::vector<uint8_t> m(8 + data.size());
    wire::Icmp6Repr{type, code, rest, {}}.emit(src, dst, m, data);
    return m;
  }
  static std::vector<uint8_t> ip4_packet(const Ipaddr& src, const Ipaddr& dst, uint8_t proto,
                                         const std::vector<uint8_t>& payload, uint8_t ttl = 64) {
    std::vector<uint8_t> p(20 + payload.size());
    wire::Ip4Repr h;
    h.src = src;
    h.dst = dst;
    h.proto = proto;
    h.ttl = ttl;
    h.id = 99;
    h.total_len = uint16_t(p.size());
    h.emit(p.data());
    std::copy(payload.begin(), payload.end(), p.begin() + 20);
    return p;
  }
  static std::vector<uint8_t> ip6_packet(const Ipaddr& src, const Ipaddr& dst, uint8_t next,
                                         const std::vector<uint8_t>& payload, uint8_t hops = 64) {
    std::vector<uint8_t> p(40 + payload.size());
    wire::Ip6Repr h;
    h.src = src;
    h.dst = dst;
    h.next_header = next;
    h.hop_limit = hops;
    h.payload_len = uint16_t(payload.size());
    h.emit(p.data());
    std::copy(payload.begin(), payload.end(), p.begin() + 40);
    return p;
  }
  // Feeds an IP packet to the pkt interface and runs the stack.
  void inject(const std::vector<uint8_t>& packet) {
    pkt->in.push_back(pool.copy(packet.data(), uint32_t(packet.size())));
    pump();
  }
  // The packets the pkt interface sent, oldest first; clears the list.
  std::vector<std::vector<uint8_t>> sent() {
    std::vector<std::vector<uint8_t>> v;
    for (auto& b : pkt->sent)
      v.emplace_back(b->data(), b->data() + b->size());
    pkt->sent.clear();
    return v;
  }
  // The value of `name` in a stats text, or -1.
  static long stat(const std::string& stats, const std::string& name) {
    std::string s = "\n" + stats, key = "\n" + name + ": ";
    size_t at = s.find(key);
    return at == std::string::npos ? -1 : std::stol(s.substr(at + key.size()));
  }
};

inline std::vector<uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

}  // namespace ninet::icmptest
