// stack.cc — one stack's engine: a thread that sleeps in poll(2) on its
// media's descriptors and an eventfd, then, under the stack lock, runs input
// to completion, flushes output and fires timers.
#include "stack/stack.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <vector>

#include "media/linux/open.h"
#include "media/loopback.h"
#include "media/pkt.h"
#include "proto/icmp.h"
#include "proto/icmp6.h"

namespace ninet {

namespace {

Result<std::unique_ptr<Medium>> open_medium(std::string_view kind, std::string_view path) {
  if (kind == "loopback") return std::unique_ptr<Medium>(std::make_unique<LoopbackMedium>());
  if (kind == "pkt") return std::unique_ptr<Medium>(std::make_unique<PktMedium>());
  return open_linux_medium(kind, path);
}

constexpr Time kTick = ms(100);  // ARP retransmit, DAD, RA and reassembly granularity
}  // namespace

Stack::Stack(int number, Clock* clock) : number_(number) {
  if (!clock) {
    own_clock_ = std::make_unique<SteadyClock>();
    clock = own_clock_.get();
  }
  clock_ = clock;
  ip_ = std::make_unique<Ip>(*clock_, pool_, open_medium);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ip_->on_wake = [this] { wake(); };
  ip_->add_proto(make_icmp(*ip_));
  ip_->add_proto(make_icmp6(*ip_));
}

Stack::~Stack() {
  stop();
  {
    std::lock_guard<std::mutex> g(ip_->mu);
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
  Time next_tick = clock_->now();
  while (running_.load()) {
    fds.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    {
      std::lock_guard<std::mutex> g(ip_->mu);
      for (auto& f : ip_->ifcs())
        if (f->bound() && f->medium->fd() >= 0) fds.push_back({f->medium->fd(), POLLIN, 0});
    }
    Time now = clock_->now();
    int timeout = next_tick > now ? int((next_tick - now + ms(1) - 1) / ms(1)) : 0;
    int r = ::poll(fds.data(), fds.size(), timeout);
    if (r > 0 && (fds[0].revents & POLLIN)) {
      uint64_t v;
      (void)!read(wake_fd_, &v, sizeof v);
    }
    std::lock_guard<std::mutex> g(ip_->mu);
    // Poll every medium, not just the readable ones: media without an fd
    // (loopback, pkt) signal through the eventfd, and a poll of an idle
    // medium is one non-blocking recv.
    ip_->poll();
    now = clock_->now();
    if (now >= next_tick) {
      ip_->tick();
      next_tick = now + kTick;
    }
  }
}

}  // namespace ninet
