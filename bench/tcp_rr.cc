// tcp_rr — the Linux-side client for bench/tcp_rr_e2e.sh and
// bench/tcp_mem_e2e.sh (issue 6 point 8): many TCP connections from one
// program through epoll, against an echo server (ninet's bench/dial_echo on
// ninetd, or Linux's bench/epoll_server).
//
//   tcp_rr conn ADDR PORT [-c P] [-d SECS] [-s BYTES] [-T THREADS]
//       P connections in flight: connect, send BYTES (default 1), read
//       them back, close; again, for SECS seconds. BYTES 0: connect and
//       close. Prints conns/s and connect-to-echo latency percentiles.
//   tcp_rr rr ADDR PORT [-c K] [-d SECS] [-s BYTES] [-T THREADS]
//       K connections kept open, each sending BYTES (default 64) and
//       waiting for the BYTES echoed before the next (ping-pong). Prints
//       transactions/s and round-trip percentiles.
//   tcp_rr hold ADDR PORT [-n N] [-c P]
//       Opens N connections (P connects in flight), each proven by a
//       1-byte echo unless -s 0, prints "established N", then keeps them
//       idle until SIGTERM or SIGINT, and closes them.
//
// One line of key=value results on stdout, for the scripts' awk.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string mode;
  sockaddr_storage addr{};
  socklen_t addrlen = 0;
  int conc = 0;
  double secs = 5;
  long size = -1;
  int threads = 1;
  long count = 10000;
};

struct Stats {
  long done = 0;
  long errors = 0;
  long refused = 0;
  long noaddr = 0;
  long other = 0;
  std::vector<uint32_t> lat_ns;  // per connection (conn) or transaction (rr)
};

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "tcp_rr: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

uint64_t ns_since(Clock::time_point t0) {
  return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
}

int new_socket(const Options& o) {
  int fd = socket(o.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// One connection's state in a thread's table, found by epoll's data.u32.
struct Slot {
  int fd = -1;
  enum { kIdle, kConnecting, kWriting, kReading, kHeld } state = kIdle;
  size_t got = 0;
  Clock::time_point t0;
};

class Worker {
 public:
  Worker(const Options& o, int slots) : o_(o), slots_(size_t(slots)) {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) die("epoll_create1");
    size_t n = size_t(std::max<long>(o.size, 1));
    out_.assign(n, 'x');
    in_.resize(std::max<size_t>(n, 65536));
  }
  ~Worker() {
    for (auto& s : slots_)
      if (s.fd >= 0) close(s.fd);
    close(ep_);
  }

  // conn: connect, echo size bytes, close, again until the deadline.
  void run_conn(Clock::time_point deadline) {
    for (uint32_t i = 0; i < slots_.size(); i++)
      start(i);
    loop([&] { return Clock::now() < deadline; }, /*reconnect=*/true);
  }

  // rr: connect all slots, then ping-pong on each until the deadline.
  bool connect_all() {
    for (uint32_t i = 0; i < slots_.size(); i++)
      start(i);
    loop([&] { return connected_ < long(slots_.size()) && stats.errors == 0; }, false);
    return stats.errors == 0;
  }
  void run_rr(Clock::time_point deadline) {
    stats = Stats{};
    for (uint32_t i = 0; i < slots_.size(); i++)
      send_request(i);
    loop([&] { return Clock::now() < deadline; }, false);
  }
  // hold: establish and prove every slot, then keep them.
  bool open_all() {
    for (uint32_t i = 0; i < slots_.size() && i < uint32_t(o_.conc); i++)
      start(i);
    next_ = uint32_t(std::min<size_t>(slots_.size(), size_t(o_.conc)));
    loop([&] { return held_ < long(slots_.size()) && stats.errors == 0; }, false);
    return stats.errors == 0;
  }

  Stats stats;

 private:
  void start(uint32_t i) {
    Slot& s = slots_[i];
    s.fd = new_socket(o_);
    s.t0 = Clock::now();
    s.got = 0;
    int r = connect(s.fd, reinterpret_cast<const sockaddr*>(&o_.addr), o_.addrlen);
    if (r < 0 && errno != EINPROGRESS) {
      fail(i, errno);
      return;
    }
    s.state = Slot::kConnecting;
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLIN;
    ev.data.u32 = i;
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, s.fd, &ev) < 0) die("epoll_ctl");
  }

  void fail(uint32_t i, int err) {
    stats.errors++;
    if (err == ECONNREFUSED)
      stats.refused++;
    else if (err == EADDRNOTAVAIL)
      stats.noaddr++;
    else
      stats.other++;
    if (stats.other == 1 && err != ECONNREFUSED && err != EADDRNOTAVAIL)
      std::fprintf(stderr, "tcp_rr: connection error: %s\n", std::strerror(err));
    Slot& s = slots_[i];
    if (s.fd >= 0) close(s.fd);
    s.fd = -1;
    s.state = Slot::kIdle;
  }

  void watch(uint32_t i, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u32 = i;
    if (epoll_ctl(ep_, EPOLL_CTL_MOD, slots_[i].fd, &ev) < 0) die("epoll_ctl mod");
  }

  void send_request(uint32_t i) {
    Slot& s = slots_[i];
    s.t0 = Clock::now();
    s.got = 0;
    ssize_t n = write(s.fd, out_.data(), out_.size());
    if (n == ssize_t(out_.size())) {
      s.state = Slot::kReading;
      watch(i, EPOLLIN);
    } else if (n < 0 && errno != EAGAIN) {
      fail(i, errno);
    } else {
      // A 64-byte write into an empty socket never goes short here; if it
      // did, the benchmark would be measuring something else.
      std::fprintf(stderr, "tcp_rr: short write %zd\n", n);
      std::exit(1);
    }
  }

  template <class More>
  void loop(More more, bool reconnect) {
    epoll_event evs[256];
    while (more()) {
      int n = epoll_wait(ep_, evs, 256, 100);
      if (n < 0) {
        if (errno == EINTR) return;
        die("epoll_wait");
      }
      for (int k = 0; k < n; k++)
        handle(evs[k].data.u32, evs[k].events, reconnect);
      if (reconnect)  // slots whose connect failed at once (no port free, ...)
        for (uint32_t i = 0; i < slots_.size(); i++)
          if (slots_[i].fd < 0) start(i);
    }
  }

  void handle(uint32_t i, uint32_t events, bool reconnect) {
    Slot& s = slots_[i];
    if (s.fd < 0) return;
    if (s.state == Slot::kConnecting) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        fail(i, err);
        if (reconnect) start(i);
        return;
      }
      if (!(events & EPOLLOUT)) return;
      if (o_.mode == "rr") {
        connected_++;
        s.state = Slot::kIdle;
        watch(i, EPOLLIN);
        return;
      }
      if (o_.size == 0) {
        finish(i, reconnect);
        return;
      }
      ssize_t w = write(s.fd, out_.data(), out_.size());
      if (w != ssize_t(out_.size())) {
        fail(i, w < 0 ? errno : EIO);
        if (reconnect) start(i);
        return;
      }
      s.state = Slot::kReading;
      watch(i, EPOLLIN);
      return;
    }
    if (s.state == Slot::kReading) {
      ssize_t r = read(s.fd, in_.data(), in_.size());
      if (r < 0 && errno == EAGAIN) return;
      if (r <= 0) {
        fail(i, r < 0 ? errno : ECONNRESET);
        if (reconnect) start(i);
        return;
      }
      s.got += size_t(r);
      if (s.got < out_.size()) return;
      if (o_.mode == "rr") {
        stats.done++;
        stats.lat_ns.push_back(uint32_t(std::min<uint64_t>(ns_since(s.t0), UINT32_MAX)));
        send_request(i);
      } else {
        finish(i, reconnect);
      }
      return;
    }
    if (s.state == Slot::kHeld && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
      // A held connection should stay quiet; the peer closing it is an error.
      char c;
      if (read(s.fd, &c, 1) <= 0 && errno != EAGAIN) {
        std::fprintf(stderr, "tcp_rr: a held connection was closed by the server\n");
        fail(i, ECONNRESET);
      }
    }
  }

  // A conn (or hold) connection has echoed: count it, close it (conn) or
  // keep it (hold), and start the next.
  void finish(uint32_t i, bool reconnect) {
    Slot& s = slots_[i];
    if (o_.mode == "hold") {
      s.state = Slot::kHeld;
      held_++;
      watch(i, EPOLLIN);
      if (next_ < slots_.size()) start(next_++);
      return;
    }
    stats.done++;
    stats.lat_ns.push_back(uint32_t(std::min<uint64_t>(ns_since(s.t0), UINT32_MAX)));
    close(s.fd);
    s.fd = -1;
    s.state = Slot::kIdle;
    if (reconnect) start(i);
  }

  const Options& o_;
  std::vector<Slot> slots_;
  int ep_ = -1;
  std::string out_;
  std::vector<char> in_;
  long connected_ = 0;
  long held_ = 0;
  uint32_t next_ = 0;
};

void usage() {
  std::fprintf(stderr,
               "usage: tcp_rr conn|rr|hold ADDR PORT [-c conc] [-d secs] [-s bytes] [-T threads] "
               "[-n count]\n");
  std::exit(2);
}

void print_latency(std::vector<uint32_t>& lat) {
  if (lat.empty()) return;
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) { return double(lat[size_t(p * double(lat.size() - 1))]) / 1000.0; };
  std::printf(" p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f", pct(0.5), pct(0.9), pct(0.99),
              pct(0.999));
}

volatile sig_atomic_t g_stop = 0;
void on_term(int) {
  g_stop = 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) usage();
  Options o;
  o.mode = argv[1];
  if (o.mode != "conn" && o.mode != "rr" && o.mode != "hold") usage();
  auto* s4 = reinterpret_cast<sockaddr_in*>(&o.addr);
  auto* s6 = reinterpret_cast<sockaddr_in6*>(&o.addr);
  int port = std::atoi(argv[3]);
  if (inet_pton(AF_INET, argv[2], &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET;
    s4->sin_port = htons(uint16_t(port));
    o.addrlen = sizeof *s4;
  } else if (inet_pton(AF_INET6, argv[2], &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(uint16_t(port));
    o.addrlen = sizeof *s6;
  } else {
    usage();
  }
  optind = 4;
  for (int c; (c = getopt(argc, argv, "c:d:s:T:n:")) != -1;) {
    switch (c) {
      case 'c':
        o.conc = std::atoi(optarg);
        break;
      case 'd':
        o.secs = std::atof(optarg);
        break;
      case 's':
        o.size = std::atol(optarg);
        break;
      case 'T':
        o.threads = std::max(1, std::atoi(optarg));
        break;
      case 'n':
        o.count = std::atol(optarg);
        break;
      default:
        usage();
    }
  }
  if (o.size < 0) o.size = o.mode == "rr" ? 64 : 1;
  if (o.mode == "rr" && o.size == 0) usage();
  if (o.conc <= 0) o.conc = o.mode == "rr" ? 16 : o.mode == "conn" ? 16 : 64;
  signal(SIGPIPE, SIG_IGN);
  // Many descriptors for hold: as many as the hard limit (raised, as root).
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rlim_t want = rlim_t(o.count + 1024);
  if (rl.rlim_max < want) rl.rlim_max = want;
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);

  if (o.mode == "hold") {
    struct sigaction sa {};
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    Worker w(o, int(o.count));
    auto t0 = Clock::now();
    if (!w.open_all()) {
      std::printf("established=0 errors=%ld\n", w.stats.errors);
      return 1;
    }
    std::printf("established=%ld secs=%.2f\n", o.count, double(ns_since(t0)) / 1e9);
    std::fflush(stdout);
    // Idle until told (SIGTERM or SIGINT), then close them all.
    while (!g_stop)
      pause();
    return 0;
  }

  int per = std::max(1, o.conc / o.threads);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < o.threads; t++)
    workers.push_back(std::make_unique<Worker>(o, per));
  if (o.mode == "rr") {
    for (auto& w : workers)
      if (!w->connect_all()) {
        std::fprintf(stderr, "tcp_rr: could not open %d connections\n", per * o.threads);
        return 1;
      }
  }
  auto t0 = Clock::now();
  auto deadline = t0 + std::chrono::microseconds(int64_t(o.secs * 1e6));
  std::vector<std::thread> threads;
  for (auto& w : workers)
    threads.emplace_back([&w, &o, deadline] {
      if (o.mode == "conn")
        w->run_conn(deadline);
      else
        w->run_rr(deadline);
    });
  for (auto& t : threads)
    t.join();
  double secs = double(ns_since(t0)) / 1e9;
  Stats all;
  for (auto& w : workers) {
    all.done += w->stats.done;
    all.errors += w->stats.errors;
    all.refused += w->stats.refused;
    all.noaddr += w->stats.noaddr;
    all.other += w->stats.other;
    all.lat_ns.insert(all.lat_ns.end(), w->stats.lat_ns.begin(), w->stats.lat_ns.end());
  }
  std::printf(
      "mode=%s conc=%d size=%ld done=%ld secs=%.3f rate=%.0f errors=%ld refused=%ld "
      "noaddr=%ld other=%ld",
      o.mode.c_str(), per * o.threads, o.size, all.done, secs, double(all.done) / secs, all.errors,
      all.refused, all.noaddr, all.other);
  print_latency(all.lat_ns);
  std::printf("\n");
  return 0;
}
