// echo — an echo service and its client on ninet's dial library, the first
// of the examples of issue 6 (point 5). With a stack mounted at /net (or
// $NINET_NET):
//
//   echo -s udp!*!7            serve: every call's data is written back
//   echo udp!10.0.0.1!7 hello  call, send "hello", print the answer
//
// The server takes each call in a thread of its own, as a Plan 9 listener
// forks (dial::serve). $NINET_NET may name a 9P service instead of a
// mounted tree: NINET_NET='9p!unix!/run/ninet0' echo -s udp!*!7.
#include <cstdio>
#include <cstring>
#include <string>

#include "dial/dial.h"
#include "embed.h"

namespace {

using ninet::dial::Conn;

int serve(const char* addr) {
  ninet::dial::ServeOptions o;
  o.announced = [](const Conn& a) {
    std::printf("announced %s\n", a.dir.c_str());
    std::fflush(stdout);
  };
  o.refused = [](const ninet::Error& e) {
    std::fprintf(stderr, "echo: accept: %s\n", e.text().c_str());
  };
  auto st = ninet::dial::serve(
      addr,
      [](Conn& c) {
        if (auto info = ninet::dial::getnetconninfo(c.dir, -1, *c.fs)) {
          std::printf("call from %s on %s\n", info->raddr.c_str(), c.dir.c_str());
          std::fflush(stdout);
        }
        uint8_t buf[65536];
        for (;;) {
          auto n = c.read(buf);
          if (!n || *n == 0 || !c.write({buf, *n})) break;
        }
      },
      o);
  std::fprintf(stderr, "echo: %s: %s\n", addr, st.error().text().c_str());
  return 1;
}

int call(const char* addr, const char* msg) {
  auto c = ninet::dial::dial(addr);
  if (!c) {
    std::fprintf(stderr, "echo: dial %s: %s\n", addr, c.error().text().c_str());
    return 1;
  }
  size_t len = std::strlen(msg);
  if (auto st = c->write(std::string_view(msg, len)); !st) {
    std::fprintf(stderr, "echo: write: %s\n", st.error().text().c_str());
    return 1;
  }
  std::string got;
  uint8_t buf[65536];
  while (got.size() < len) {
    auto n = c->read(buf);
    if (!n || *n == 0) break;
    got.append(reinterpret_cast<char*>(buf), *n);
  }
  std::printf("%s\n", got.c_str());
  c->close();
  return got == msg ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  auto net = ninet::use_env_embedded();  // keeps an embedded stack running
  if (!net) {
    std::fprintf(stderr, "echo: %s\n", net.error().text().c_str());
    return 1;
  }
  if (argc == 3 && std::strcmp(argv[1], "-s") == 0) return serve(argv[2]);
  if (argc == 3) return call(argv[1], argv[2]);
  std::fprintf(stderr, "usage: echo -s net!*!port | echo net!host!port message\n");
  return 2;
}
