// testnet.h — for the Linux media tests only (included by *_test.cc): a
// throwaway network namespace that the test thread enters, shell commands run
// inside it, hand-built frames, and waiting for a frame through a medium.
//
//   class TapTest : public testnet::NetnsTest {};   // skips unless root + /dev/net/tun
//   TEST_F(TapTest, X) {
//     sh("ip link add v0 type veth peer name v1");    // runs in the namespace
//     auto b = testnet::await(*m, pool, [](const Block& b) { return ...; });
//   }
//
// Only the calling thread enters the namespace (setns(2) affects one thread):
// sockets, /dev/net/tun devices and commands started from it (system(3)
// inherits the thread's namespace) live there; the host is never touched.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/checksum.h"
#include "base/endian.h"
#include "base/ipaddr.h"
#include "buf/block.h"
#include "media/medium.h"
#include "wire/arp.h"
#include "wire/ether.h"
#include "wire/icmp.h"
#include "wire/ip4.h"

namespace ninet::testnet {

using Bytes = std::vector<uint8_t>;

inline constexpr const char* kPrefix = "ninet-mediatest-";

// Why the namespace tests cannot run here, or "".
inline std::string skip_reason() {
  if (geteuid() != 0) return "needs root (creates a network namespace and devices)";
  if (access("/dev/net/tun", R_OK | W_OK) != 0) return "/dev/net/tun is missing";
  if (std::system("ip -V >/dev/null 2>&1") != 0) return "iproute2's ip(8) is not installed";
  return "";
}

// Runs a shell command (in the calling thread's network namespace); returns
// its exit status.
inline int sh(const std::string& cmd) {
  int r = std::system(cmd.c_str());
  return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

inline std::string sh_out(const std::string& cmd) {
  std::string out;
  if (FILE* f = popen(cmd.c_str(), "r")) {
    char buf[512];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
      out.append(buf, n);
    pclose(f);
  }
  return out;
}

// Deletes namespaces left by earlier runs that died before cleaning up (the
// pid in their name is gone).
inline void sweep_stale() {
  DIR* d = opendir("/run/netns");
  if (!d) return;
  std::vector<std::string> stale;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.rfind(kPrefix, 0) != 0) continue;
    int pid = std::atoi(n.c_str() + std::char_traits<char>::length(kPrefix));
    if (pid > 0 && kill(pid, 0) < 0 && errno == ESRCH) stale.push_back(n);
  }
  closedir(d);
  for (auto& n : stale)
    sh("ip netns del " + n + " 2>/dev/null");
}

// A fresh network namespace "ninet-mediatest-<pid>-<n>", entered by the
// calling thread for the object's lifetime; left and deleted by the
// destructor (the devices in it go with it).
class Netns {
 public:
  Netns() {
    static std::atomic<int> seq{0};
    name_ = kPrefix + std::to_string(getpid()) + "-" + std::to_string(seq++);
    sweep_stale();
    orig_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (orig_ < 0 || sh("ip netns add " + name_) != 0) {
      error_ = "ip netns add " + name_ + " failed";
      return;
    }
    created_ = true;
    int fd = open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
      error_ = "setns into " + name_ + " failed";
      if (fd >= 0) close(fd);
      return;
    }
    close(fd);
    entered_ = true;
    sh("ip link set lo up");
  }
  ~Netns() {
    if (entered_) (void)setns(orig_, CLONE_NEWNET);
    if (orig_ >= 0) close(orig_);
    if (created_) sh("ip netns del " + name_);
  }
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;
  bool ok() const { return entered_; }
  const std::string& error() const { return error_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_, error_;
  int orig_ = -1;
  bool created_ = false, entered_ = false;
};

// A test that runs inside its own namespace, or is skipped.
class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
    ns_ = std::make_unique<Netns>();
    ASSERT_TRUE(ns_->ok()) << ns_->error();
  }
  void TearDown() override { ns_.reset(); }
  std::unique_ptr<Netns> ns_;
};

inline Ipaddr ip(const char* s) {
  return *Ipaddr::parse(s);
}

// Frames and packets.

inline Bytes ether(const Mac& dst, const Mac& src, uint16_t type, const Bytes& payload) {
  Bytes f(wire::EtherRepr::kLen + payload.size());
  wire::EtherRepr{dst, src, type}.emit(f.data());
  std::copy(payload.begin(), payload.end(), f.begin() + wire::EtherRepr::kLen);
  return f;
}

inline Bytes arp(uint16_t op, const Mac& sha, const Ipaddr& spa, const Mac& tha,
                 const Ipaddr& tpa) {
  Bytes a(wire::ArpRepr::kLen);
  wire::ArpRepr{op, sha, spa, tha, tpa}.emit(a.data());
  return a;
}

inline Bytes ip4(const Ipaddr& src, const Ipaddr& dst, uint8_t proto, const Bytes& payload) {
  wire::Ip4Repr h;
  h.src = src;
  h.dst = dst;
  h.proto = proto;
  h.total_len = uint16_t(20 + payload.size());
  Bytes p(h.total_len);
  h.emit(p.data());
  std::copy(payload.begin(), payload.end(), p.begin() + 20);
  return p;
}

inline Bytes echo_request(uint16_t id, uint16_t seq, const Bytes& data) {
  Bytes m(wire::icmp::kHeaderLen + data.size());
  wire::IcmpRepr r;
  r.type = wire::icmp::kEchoRequest;
  r.rest = uint32_t(id) << 16 | seq;
  r.emit(m, data);
  return m;
}

inline BlockPtr block(Pool& pool, const Bytes& b) {
  return pool.copy(b.data(), uint32_t(b.size()));
}

// Parsing what came back: the IP packet of an Ethernet frame (or of a bare IP
// packet when ether is false), checked.
struct Ip4 {
  wire::Ip4Repr h;
  std::span<const uint8_t> payload;
};
inline std::optional<Ip4> parse_ip4(std::span<const uint8_t> p, bool ether) {
  if (ether) {
    if (p.size() < 14 || load16(p.data() + 12) != wire::ethertype::kIp4) return std::nullopt;
    p = p.subspan(14);
  }
  auto h = wire::Ip4Repr::parse(p);
  if (!h) return std::nullopt;
  return Ip4{*h, p.subspan(h->header_len, h->total_len - h->header_len)};
}

inline std::optional<wire::ArpRepr> parse_arp(std::span<const uint8_t> f) {
  if (f.size() < 14 || load16(f.data() + 12) != wire::ethertype::kArp) return std::nullopt;
  auto a = wire::ArpRepr::parse(f.subspan(14));
  if (!a) return std::nullopt;
  return *a;
}

// A UDP datagram to dst:port: its payload, if the checksum is right.
inline std::optional<Bytes> udp_payload(const Ip4& p, const Ipaddr& dst, uint16_t port) {
  if (p.h.proto != wire::ipproto::kUdp || p.h.dst != dst || p.payload.size() < 8)
    return std::nullopt;
  if (load16(p.payload.data() + 2) != port) return std::nullopt;
  return Bytes(p.payload.begin() + 8, p.payload.end());
}
inline bool udp_checksum_ok(const Ip4& p) {
  uint32_t s = csum_pseudo(p.h.src, p.h.dst, wire::ipproto::kUdp, uint32_t(p.payload.size()));
  return csum_fold(csum_partial(p.payload.data(), p.payload.size(), s)) == 0;
}

// An ICMP echo reply to dst with this id (checksum verified by parse).
inline std::optional<wire::IcmpRepr> echo_reply(const Ip4& p, const Ipaddr& dst, uint16_t id) {
  if (p.h.proto != wire::ipproto::kIcmp || p.h.dst != dst) return std::nullopt;
  auto m = wire::IcmpRepr::parse(p.payload);
  if (!m || m->type != wire::icmp::kEchoReply || m->id() != id) return std::nullopt;
  return *m;
}

// Sends a UDP datagram from the kernel (of the calling thread's namespace).
inline bool kernel_udp_send(const Ipaddr& dst, uint16_t port, const Bytes& data) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return false;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  std::memcpy(&to.sin_addr, dst.v4_bytes(), 4);
  ssize_t r = sendto(s, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  close(s);
  return r == ssize_t(data.size());
}

// Waits for n blocks that `want` accepts: polls the medium's descriptor and
// receives, for at most limit_ms (a bound on a failing test, not a timing
// check). Returns what it found (fewer than n on timeout); every other block
// received is appended to *others if given.
inline std::vector<BlockPtr> await_n(Medium& m, Pool& pool,
                                     const std::function<bool(const Block&)>& want, size_t n,
                                     std::vector<BlockPtr>* others = nullptr, int limit_ms = 5000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
  std::vector<BlockPtr> found;
  Batch in;
  while (found.size() < n) {
    in.clear();
    m.recv(in, pool, 64);
    for (auto& b : in) {
      if (found.size() < n && want(*b))
        found.push_back(std::move(b));
      else if (others)
        others->push_back(std::move(b));
    }
    if (found.size() >= n || std::chrono::steady_clock::now() >= deadline) break;
    if (in.empty()) {
      if (m.fd() >= 0) {
        pollfd p{m.fd(), POLLIN, 0};
        (void)poll(&p, 1, 50);
      } else {
        usleep(1000);
      }
    }
  }
  return found;
}

inline BlockPtr await(Medium& m, Pool& pool, const std::function<bool(const Block&)>& want,
                      std::vector<BlockPtr>* others = nullptr, int limit_ms = 5000) {
  auto v = await_n(m, pool, want, 1, others, limit_ms);
  return v.empty() ? nullptr : std::move(v[0]);
}

}  // namespace ninet::testnet
