// wake_rtt — what a wakeup costs on this machine: two threads hand a byte
// back and forth through pipes, each blocked in read(2) until the other
// writes, pinned to CPUs A and B. One round trip is two wakeups; with A != B
// each wakes a CPU that was idle (on a VM, an exit to the hypervisor).
//
//   ./build/bench/wake_rtt 0 1      # across the two vCPUs
//   ./build/bench/wake_rtt 0 0      # on one
//
// This is the floor under a ping through any router that is a process of
// its own (BENCHMARKS.md section 4): the Linux kernel forwards inside the
// sender's system call and needs no wakeup; a user-space router needs at
// least the one that wakes the pinging process on another CPU.
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

void pin(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

long now_ns() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000L + t.tv_nsec;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: wake_rtt CPU-A CPU-B\n");
    return 2;
  }
  int a = std::atoi(argv[1]), b = std::atoi(argv[2]);
  constexpr int kRounds = 2000;
  int there[2], back[2];
  if (pipe(there) < 0 || pipe(back) < 0) return 1;
  std::thread peer([&] {
    pin(b);
    char c;
    for (int i = 0; i < kRounds; i++)
      if (read(there[0], &c, 1) != 1 || write(back[1], &c, 1) != 1) return;
  });
  pin(a);
  std::vector<long> rtt;
  char c = 1;
  for (int i = 0; i < kRounds; i++) {
    usleep(500);  // as ping's interval: the peer's CPU goes idle
    long t0 = now_ns();
    if (write(there[1], &c, 1) != 1 || read(back[0], &c, 1) != 1) return 1;
    rtt.push_back(now_ns() - t0);
  }
  peer.join();
  std::sort(rtt.begin(), rtt.end());
  double sum = 0;
  for (long x : rtt)
    sum += double(x);
  std::printf("cpu %d <-> %d: round trip (two wakeups) min %.1f us median %.1f us avg %.1f us\n", a,
              b, double(rtt.front()) / 1e3, double(rtt[rtt.size() / 2]) / 1e3,
              sum / double(rtt.size()) / 1e3);
}
