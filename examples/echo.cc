// echo — an echo service and its client on ninet's dial library, the first
// of the examples of issue 6 (point 5). With a stack mounted at /net (or
// $NINET_NET):
//
//   echo -s udp!*!7            serve: every call's data is written back
//   echo udp!10.0.0.1!7 hello  call, send "hello", print the answer
//
// The server takes each call in a thread of its own, as a Plan 9 listener
// forks: announce, then listen/accept in a loop.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "dial/dial.h"

namespace {

int serve(const char* addr) {
  auto a = ninet::dial::announce(addr);
  if (!a) {
    std::fprintf(stderr, "echo: announce %s: %s\n", addr, a.error().text().c_str());
    return 1;
  }
  std::printf("announced %s\n", a->dir.c_str());
  std::fflush(stdout);
  for (;;) {
    auto call = ninet::dial::listen(a->dir);
    if (!call) {
      std::fprintf(stderr, "echo: listen: %s\n", call.error().text().c_str());
      return 1;
    }
    auto fd = ninet::dial::accept(call->ctl, call->dir);
    if (!fd) {
      std::fprintf(stderr, "echo: accept: %s\n", fd.error().text().c_str());
      call->close();
      continue;
    }
    call->data = *fd;
    if (auto info = ninet::dial::getnetconninfo(call->dir))
      std::printf("call from %s on %s\n", info->raddr.c_str(), call->dir.c_str());
    std::fflush(stdout);
    std::thread([c = *call]() mutable {
      char buf[65536];
      for (;;) {
        ssize_t n = read(c.data, buf, sizeof buf);
        if (n <= 0 || write(c.data, buf, size_t(n)) != n) break;
      }
      c.close();
    }).detach();
  }
}

int call(const char* addr, const char* msg) {
  auto c = ninet::dial::dial(addr);
  if (!c) {
    std::fprintf(stderr, "echo: dial %s: %s\n", addr, c.error().text().c_str());
    return 1;
  }
  size_t len = std::strlen(msg);
  if (write(c->data, msg, len) != ssize_t(len)) {
    std::perror("echo: write");
    return 1;
  }
  std::string got;
  char buf[65536];
  while (got.size() < len) {
    ssize_t n = read(c->data, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, size_t(n));
  }
  std::printf("%s\n", got.c_str());
  c->close();
  return got == msg ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "-s") == 0) return serve(argv[2]);
  if (argc == 3) return call(argv[1], argv[2]);
  std::fprintf(stderr, "usage: echo -s net!*!port | echo net!host!port message\n");
  return 2;
}
