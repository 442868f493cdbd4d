// stack.cc — one stack's engine: a thread that sleeps in ppoll(2) on its
// media's descriptors and an eventfd until input comes or the next timer is
// due, then, under the stack lock, runs input to completion, fires the due
// timers and flushes output. A timer armed while it sleeps (a ctl write's
// DAD, a protocol's retransmit) that is due sooner than the sleep ends
// wakes it through the eventfd (TimerWheel::sleeping). With busy-polling
// (set_busy_poll) it asks the descriptors without sleeping for a window
// after input, or always: a packet then costs no wakeup.
#include "stack/stack.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "media/fault.h"
#include "media/linux/open.h"
#include "media/loopback.h"
#include "media/pkt.h"
#include "proto/esp.h"
#include "proto/ether.h"
#include "proto/gre.h"
#include "proto/icmp.h"
#include "proto/icmp6.h"
#include "proto/ipmux.h"
#include "proto/rudp.h"
#include "proto/tcp/tcp.h"
#include "proto/udp.h"

namespace ninet {

Stack::Stack(int number, Clock* clock) : number_(number) {
  if (!clock) {
    own_clock_ = std::make_unique<SteadyClock>();
    clock = own_clock_.get();
  }
  clock_ = clock;
  // The stack's media; a pkt medium copies user writes into the stack's
  // pool, which outlives the IP layer and every block in it.
  auto open_plain = [this](std::string_view kind,
                           std::string_view path) -> Result<std::unique_ptr<Medium>> {
    if (kind == "loopback") return std::unique_ptr<Medium>(std::make_unique<LoopbackMedium>());
    if (kind == "pkt") return std::unique_ptr<Medium>(std::make_unique<PktMedium>(pool_));
    if (kind == "pipex") return pipex_->make_medium();      // its sessions' interface (pppac)
    if (kind == "pppx") return pipex_->make_pppx_medium();  // an interface per session
    return open_linux_medium(kind, path);
  };
  // `bind ether fault(drop=1%,delay=5ms):veth0`: the medium behind a fault
  // injector (media/fault.h) whose held frames wake the engine through a
  // timer on the stack's wheel.
  auto open_medium = [this, open_plain](std::string_view kind,
                                        std::string_view path) -> Result<std::unique_ptr<Medium>> {
    if (is_fault_path(path))
      return open_fault_medium(kind, path, open_plain, *clock_, pool_, &ip_->timers);
    return open_plain(kind, path);
  };
  ip_ = std::make_unique<Ip>(*clock_, pool_, open_medium);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ip_->on_wake = [this] { wake(); };
  ip_->timers.set_wakeup([this] { wake(); });
  ip_->add_proto(make_icmp(*ip_));
  ip_->add_proto(make_icmp6(*ip_));
  ip_->add_proto(make_udp(*ip_));
  ip_->add_proto(make_gre(*ip_));
  ip_->add_proto(make_esp(*ip_));
  ip_->add_proto(make_tcp(*ip_));
  ip_->add_proto(make_rudp(*ip_));
  ip_->add_proto(make_ether(*ip_));
  ip_->add_proto(make_ipmux(*ip_));
  pipex_ = std::make_unique<pipex::Pipex>(*ip_);
  ip_->on_unbind = [this](Ifc& f) {
    if (pipex_) pipex_->remove_ifc(f.index);
    if (Proto* e = ip_->proto("ether")) ether_unbound(*e, f.index);
  };
}

Stack::~Stack() {
  stop();
  {
    std::lock_guard<std::mutex> g(ip_->mu);
    pipex_.reset();  // its sessions' timers are on ip_'s wheel
    for (auto& f : ip_->ifcs())
      if (f->bound()) (void)ip_->ifc_ctl(*f, "unbind");
  }
  ip_.reset();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void Stack::start() {
  if (running_.exchange(true)) return;
  thread_ = std::thread([this] { engine(); });
}

void Stack::stop() {
  if (!running_.exchange(false)) return;
  wake();
  if (thread_.joinable()) thread_.join();
}

void Stack::wake() {
  uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!write(wake_fd_, &one, sizeof one);
}

size_t Stack::run_once() {
  std::lock_guard<std::mutex> g(ip_->mu);
  size_t n = ip_->poll();
  ip_->tick();
  return n;
}

void Stack::engine() {
  std::vector<pollfd> fds;
  Time spin_end = 0;  // busy-poll until then
  while (running_.load()) {
    Time next;
    size_t got;
    {
      std::lock_guard<std::mutex> g(ip_->mu);
      ip_->timers.awake();
      // Poll every medium, not just the readable ones: media without an fd
      // (loopback, pkt) signal through the eventfd, and a poll of an idle
      // medium is one non-blocking recv.
      got = ip_->poll();
      ip_->tick();
      next = ip_->timers.next();
      ip_->timers.sleeping(next);
      fds.clear();
      fds.push_back({wake_fd_, POLLIN, 0});
      for (int n : ip_->polled_ifcs())
        if (int fd = ip_->ifcs()[size_t(n)]->medium->fd(); fd >= 0) fds.push_back({fd, POLLIN, 0});
    }
    Time window = busy_poll_.load(std::memory_order_relaxed);
    Time now = clock_->now();
    if (window == kNever)
      spin_end = kNever;
    else if (window > 0 && got > 0)
      spin_end = now + window;
    else if (spin_end == kNever)
      spin_end = 0;  // was "always", now a window: wait for input to open one
    int r;
    if (window > 0 && now < spin_end) {
      // Busy-poll: ask the descriptors without sleeping, outside the stack
      // lock (ctl writers need it), until one is readable, the window
      // closes or a timer is due; then go round again.
      timespec zero{};
      Time end = std::min(spin_end, next);
      do
        r = ::ppoll(fds.data(), fds.size(), &zero, nullptr);
      while (r == 0 && running_.load(std::memory_order_relaxed) && clock_->now() < end);
    } else {
      timespec ts{};
      timespec* timeout = nullptr;  // nothing armed: sleep until input or a wakeup
      if (next != kNever) {
        Time d = std::max<Time>(next - now, 0);
        ts.tv_sec = d / sec(1);
        ts.tv_nsec = long(d % sec(1));
        timeout = &ts;
      }
      r = ::ppoll(fds.data(), fds.size(), timeout, nullptr);
      wakeups_++;
    }
    if (r > 0 && (fds[0].revents & POLLIN)) {
      uint64_t v;
      (void)!read(wake_fd_, &v, sizeof v);
    }
  }
}

}  // namespace ninet
