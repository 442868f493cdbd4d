// iperf3d — a server for Linux's iperf3 client on ninet's dial library
// (issue 6 point 7: "bulk transfers both directions with iperf3 on the Linux
// side"). It speaks iperf3's control protocol for TCP tests: a control
// connection carrying one-byte states and length-prefixed JSON, then one
// data connection per stream; the client sends (or, with -R, receives)
// until it says the test ended, and the server reports the bytes it saw.
//
//   iperf3d tcp!*!5201                 then, elsewhere:  iperf3 -c ADDR -t 5 [-R] [-P n]
//
// One test at a time, TCP only (UDP tests are refused with an error state).
#include <time.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "dial/dial.h"
#include "embed.h"

namespace {

// iperf3's states (iperf_api.h), sent as one signed byte.
enum : signed char {
  kTestStart = 1,
  kTestRunning = 2,
  kTestEnd = 4,
  kParamExchange = 9,
  kCreateStreams = 10,
  kExchangeResults = 13,
  kDisplayResults = 14,
  kIperfDone = 16,
  kServerError = -2
};
constexpr size_t kCookie = 37;  // 36 characters and a NUL

double seconds() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
}

using ninet::dial::Conn;

bool read_full(Conn& c, void* p, size_t n) {
  auto* b = static_cast<uint8_t*>(p);
  while (n) {
    auto r = c.read({b, n});
    if (!r || *r == 0) return false;
    b += *r;
    n -= *r;
  }
  return true;
}

bool write_full(Conn& c, const void* p, size_t n) {
  return bool(c.write({static_cast<const uint8_t*>(p), n}));
}

bool send_state(Conn& fd, signed char s) {
  return write_full(fd, &s, 1);
}

bool read_json(Conn& fd, std::string* out) {
  unsigned char len[4];
  if (!read_full(fd, len, 4)) return false;
  uint32_t n = uint32_t(len[0]) << 24 | uint32_t(len[1]) << 16 | uint32_t(len[2]) << 8 | len[3];
  if (n > (1 << 20)) return false;
  out->resize(n);
  return read_full(fd, out->data(), n);
}

bool write_json(Conn& fd, const std::string& j) {
  uint32_t n = uint32_t(j.size());
  unsigned char len[4] = {uint8_t(n >> 24), uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n)};
  return write_full(fd, len, 4) && write_full(fd, j.data(), j.size());
}

// The value of "key": in a flat JSON object, as text ("" if absent).
std::string json_value(const std::string& j, const std::string& key) {
  size_t at = j.find("\"" + key + "\"");
  if (at == std::string::npos) return "";
  at = j.find(':', at);
  if (at == std::string::npos) return "";
  size_t end = j.find_first_of(",}", at);
  std::string v = j.substr(at + 1, end - at - 1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '"'))
    v.erase(v.begin());
  while (!v.empty() && (v.back() == ' ' || v.back() == '"'))
    v.pop_back();
  return v;
}

struct Stream {
  Conn conn;
  std::atomic<uint64_t> bytes{0};
};

// One iperf3 test on an accepted control connection.
void run_test(const Conn& announced, Conn& ctl) {
  char cookie[kCookie];
  if (!read_full(ctl, cookie, kCookie)) return;
  std::string params;
  if (!send_state(ctl, kParamExchange) || !read_json(ctl, &params)) return;
  if (json_value(params, "udp") == "true" || json_value(params, "udp") == "1") {
    send_state(ctl, kServerError);
    return;
  }
  bool reverse = json_value(params, "reverse") == "true" || json_value(params, "reverse") == "1";
  int n = std::max(1, std::atoi(json_value(params, "parallel").c_str()));
  size_t blk = size_t(std::max(1, std::atoi(json_value(params, "len").c_str())));
  if (!send_state(ctl, kCreateStreams)) return;
  std::vector<std::unique_ptr<Stream>> streams;
  for (int i = 0; i < n; i++) {
    auto call = ninet::dial::listen(announced.dir, *announced.fs);
    if (!call) return;
    auto fd = ninet::dial::accept(call->ctl, call->dir, *announced.fs);
    if (!fd) {
      call->close();
      return;
    }
    call->data = *fd;
    auto s = std::make_unique<Stream>();
    s->conn = *call;  // closed with the others when this test ends
    streams.push_back(std::move(s));
    char c2[kCookie];
    if (!read_full(*call, c2, kCookie) || std::memcmp(c2, cookie, kCookie) != 0) break;
  }
  if (streams.size() != size_t(n) || !send_state(ctl, kTestStart) ||
      !send_state(ctl, kTestRunning)) {
    for (auto& s : streams)
      s->conn.close();
    return;
  }
  double t0 = seconds();
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (auto& s : streams) {
    workers.emplace_back([&, sp = s.get()] {
      std::vector<uint8_t> buf(std::min<size_t>(blk, 1 << 20), 'i');
      while (!stop) {
        if (reverse) {
          if (!sp->conn.write(buf)) break;
          sp->bytes += buf.size();
        } else {
          auto r = sp->conn.read(buf);
          if (!r || *r == 0) break;
          sp->bytes += *r;
        }
      }
    });
  }
  signed char st = 0;
  while (read_full(ctl, &st, 1) && st != kTestEnd) {
  }
  double t = seconds() - t0;
  stop = true;
  for (auto& s : streams)
    s->conn.close();  // ends a blocked read or write
  for (auto& w : workers)
    w.join();
  std::string theirs;
  if (!send_state(ctl, kExchangeResults) || !read_json(ctl, &theirs)) return;
  std::string ours =
      "{\"cpu_util_total\":0,\"cpu_util_user\":0,\"cpu_util_system\":0,"
      "\"sender_has_retransmits\":0,\"streams\":[";
  // iperf3 numbers streams 1, 3, 4, ... (it skips 2).
  for (size_t i = 0; i < streams.size(); i++) {
    char one[256];
    std::snprintf(one, sizeof one,
                  "%s{\"id\":%zu,\"bytes\":%llu,\"retransmits\":0,\"jitter\":0,\"errors\":0,"
                  "\"packets\":0,\"start_time\":0,\"end_time\":%.6f}",
                  i ? "," : "", i ? i + 2 : 1, (unsigned long long)streams[i]->bytes.load(), t);
    ours += one;
  }
  ours += "]}";
  if (!write_json(ctl, ours) || !send_state(ctl, kDisplayResults)) return;
  read_full(ctl, &st, 1);  // IPERF_DONE
  uint64_t total = 0;
  for (auto& s : streams)
    total += s->bytes;
  std::printf("iperf3d: %s %llu bytes in %.3f s = %.1f Mbit/s over %d stream(s)\n",
              reverse ? "sent" : "received", (unsigned long long)total, t,
              t > 0 ? double(total) * 8 / t / 1e6 : 0.0, n);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: iperf3d tcp!*!5201\n");
    return 2;
  }
  auto net = ninet::use_env_embedded();  // keeps an embedded stack running
  if (!net) {
    std::fprintf(stderr, "iperf3d: %s\n", net.error().text().c_str());
    return 1;
  }
  // One test at a time: its data connections are the next calls.
  Conn announced;
  ninet::dial::ServeOptions o;
  o.threads = false;
  o.announced = [&](const Conn& a) {
    announced = a;
    std::printf("iperf3d: listening on %s\n", a.dir.c_str());
    std::fflush(stdout);
  };
  auto st = ninet::dial::serve(
      argv[1], [&](Conn& call) { run_test(announced, call); }, o);
  std::fprintf(stderr, "iperf3d: %s: %s\n", argv[1], st.error().text().c_str());
  return 1;
}
