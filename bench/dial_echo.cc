// dial_echo — ninet's side of bench/tcp_rr_e2e.sh and bench/tcp_mem_e2e.sh:
// a TCP echo server on ninet through the dial library (src/dial/dial.h), as
// a program on ninet is written: over a mounted tree, or with
// NINET_NET=embed!CONFIG on a stack in its own process. Reads block, so
// each connection is served by a thread blocked in read(2) on its data file;
// threads are kept and reused (a pool) so that a new connection does not pay
// for creating one. L listener threads (-l, default 2) each loop listen +
// accept on the one announced conversation.
//
//   dial_echo [-l L] tcp!*!PORT         echo everything back
//   dial_echo -H [-l L] tcp!*!PORT      hold: echo each connection's first
//                                       byte, then keep it open unread
//                                       (memory per idle connection)
// Prints "announced DIR" when ready; in hold mode "held N" at every 100th.
#include <sys/resource.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dial/dial.h"
#include "embed.h"

namespace {

namespace dial = ninet::dial;

// Connections waiting for a worker, and workers waiting for a connection.
std::mutex mu;
std::condition_variable cv;
std::deque<dial::Conn> queue;
int idle = 0;

void echo(dial::Conn c) {
  std::vector<uint8_t> buf(65536);
  for (;;) {
    auto n = c.read(buf);
    if (!n || *n == 0 || !c.write({buf.data(), *n})) break;
  }
  c.close();
}

void worker() {
  for (;;) {
    dial::Conn c;
    {
      std::unique_lock lk(mu);
      idle++;
      cv.wait(lk, [] { return !queue.empty(); });
      idle--;
      c = std::move(queue.front());
      queue.pop_front();
    }
    echo(std::move(c));
  }
}

void hand_over(dial::Conn c) {
  bool spawn;
  {
    std::lock_guard lk(mu);
    queue.push_back(std::move(c));
    spawn = idle < int(queue.size());
  }
  if (spawn) std::thread(worker).detach();
  cv.notify_one();
}

std::mutex held_mu;
std::vector<dial::Conn> held;

void listener(std::string dir, bool hold) {
  for (;;) {
    auto call = dial::listen(dir);
    if (!call) {
      std::fprintf(stderr, "dial_echo: listen: %s\n", call.error().text().c_str());
      std::exit(1);
    }
    auto fd = dial::accept(call->ctl, call->dir);
    if (!fd) {
      std::fprintf(stderr, "dial_echo: accept: %s\n", fd.error().text().c_str());
      call->close();
      continue;
    }
    call->data = *fd;
    if (!hold) {
      hand_over(std::move(*call));
      continue;
    }
    uint8_t b;
    auto got = call->read({&b, 1});
    if (!got || *got != 1 || !call->write({&b, 1})) {
      std::fprintf(stderr, "dial_echo: hold: no first byte on %s\n", call->dir.c_str());
      call->close();
      continue;
    }
    std::lock_guard lk(held_mu);
    held.push_back(std::move(*call));
    if (held.size() % 100 == 0) {
      std::printf("held %zu\n", held.size());
      std::fflush(stdout);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool hold = false;
  int listeners = 2;
  for (int c; (c = getopt(argc, argv, "Hl:")) != -1;) {
    if (c == 'H')
      hold = true;
    else if (c == 'l')
      listeners = std::max(1, std::atoi(optarg));
    else
      return 2;
  }
  if (optind + 1 != argc) {
    std::fprintf(stderr, "usage: dial_echo [-H] [-l listeners] tcp!*!port\n");
    return 2;
  }
  // Two descriptors per call: as many as allowed (raising the hard limit
  // needs CAP_SYS_RESOURCE, which a container may not give even to root).
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rlimit want{1 << 20, 1 << 20};
  if (rl.rlim_max >= want.rlim_max || setrlimit(RLIMIT_NOFILE, &want) != 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  auto net = ninet::use_env_embedded();  // NINET_NET: a mount, 9p!ADDR or embed!CONFIG
  if (!net) {
    std::fprintf(stderr, "dial_echo: %s\n", net.error().text().c_str());
    return 1;
  }
  auto a = dial::announce(argv[optind]);
  if (!a) {
    std::fprintf(stderr, "dial_echo: announce %s: %s\n", argv[optind], a.error().text().c_str());
    return 1;
  }
  std::printf("announced %s\n", a->dir.c_str());
  std::fflush(stdout);
  std::vector<std::thread> ls;
  for (int i = 0; i < listeners; i++)
    ls.emplace_back(listener, a->dir, hold);
  for (auto& t : ls)
    t.join();
}
