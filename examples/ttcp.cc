// ttcp — an iperf-style source and sink on ninet's dial library (issue 6,
// point 5): bulk data through a TCP (or any stream) conversation, with the
// bytes and the rate at the end, as the old ttcp(1) printed them.
//
//   ttcp -r tcp!*!5001              sink: take one call, read to the end
//   ttcp -t tcp!10.0.0.2!5001 100M  source: send 100 MiB, then close
//
// Sizes take K, M, G suffixes (powers of 1024). Reads and writes are 128 KiB.
// $NINET_NET names the tree: a mounted path, or a 9P service ("9p!unix!/run/ninet0").
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "dial/dial.h"
#include "embed.h"

namespace {

double seconds() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
}

void report(const char* what, uint64_t bytes, double secs) {
  std::printf("ttcp: %s %llu bytes in %.3f s = %.1f Mbit/s\n", what, (unsigned long long)bytes,
              secs, secs > 0 ? double(bytes) * 8 / secs / 1e6 : 0.0);
}

uint64_t size_of(const char* s) {
  char* end = nullptr;
  uint64_t n = std::strtoull(s, &end, 10);
  switch (end && *end ? *end : ' ') {
    case 'K':
      return n << 10;
    case 'M':
      return n << 20;
    case 'G':
      return n << 30;
    default:
      return n;
  }
}

int sink(const char* addr) {
  ninet::dial::ServeOptions o;
  o.threads = false;
  o.max_calls = 1;
  o.announced = [](const ninet::dial::Conn& a) {
    std::printf("ttcp: listening on %s\n", a.dir.c_str());
    std::fflush(stdout);
  };
  o.refused = [](const ninet::Error& e) {
    std::fprintf(stderr, "ttcp: accept: %s\n", e.text().c_str());
  };
  auto st = ninet::dial::serve(
      addr,
      [](ninet::dial::Conn& c) {
        std::vector<uint8_t> buf(128 << 10);
        uint64_t total = 0;
        double t0 = 0;
        for (;;) {
          auto n = c.read(buf);
          if (!n || *n == 0) break;
          if (!total) t0 = seconds();
          total += *n;
        }
        report("received", total, seconds() - t0);
      },
      o);
  if (!st) {
    std::fprintf(stderr, "ttcp: %s: %s\n", addr, st.error().text().c_str());
    return 1;
  }
  return 0;
}

int source(const char* addr, uint64_t bytes) {
  auto c = ninet::dial::dial(addr);
  if (!c) {
    std::fprintf(stderr, "ttcp: dial %s: %s\n", addr, c.error().text().c_str());
    return 1;
  }
  std::vector<uint8_t> buf(128 << 10, 'n');
  double t0 = seconds();
  uint64_t sent = 0;
  while (sent < bytes) {
    size_t n = size_t(std::min<uint64_t>(buf.size(), bytes - sent));
    if (auto st = c->write({buf.data(), n}); !st) {
      std::fprintf(stderr, "ttcp: write: %s\n", st.error().text().c_str());
      return 1;
    }
    sent += n;
  }
  report("sent", sent, seconds() - t0);
  c->close();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto net = ninet::use_env_embedded();  // keeps an embedded stack running
  if (!net) {
    std::fprintf(stderr, "ttcp: %s\n", net.error().text().c_str());
    return 1;
  }
  if (argc == 3 && std::strcmp(argv[1], "-r") == 0) return sink(argv[2]);
  if (argc == 4 && std::strcmp(argv[1], "-t") == 0) return source(argv[2], size_of(argv[3]));
  std::fprintf(stderr, "usage: ttcp -r net!*!port | ttcp -t net!host!port size\n");
  return 2;
}
