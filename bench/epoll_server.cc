// epoll_server — the Linux baseline for bench/tcp_rr_e2e.sh and
// bench/tcp_mem_e2e.sh: a TCP echo server on the kernel's sockets, one
// thread per listener with its own epoll (SO_REUSEPORT when -T > 1), the
// way a small event-driven server is written. Everything read is written
// back; a connection whose peer closes is closed.
//
//   epoll_server PORT [-T THREADS]       prints "listening PORT" when ready
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "epoll_server: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

int listener(int port, bool reuseport) {
  int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1, zero = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);  // IPv4 too
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(uint16_t(port));
  a.sin6_addr = in6addr_any;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) die("bind");
  if (listen(fd, 4096) < 0) die("listen");
  return fd;
}

void serve(int lfd) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = lfd;
  if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) die("epoll_ctl");
  std::vector<char> buf(65536);
  epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int k = 0; k < n; k++) {
      int fd = evs[k].data.fd;
      if (fd == lfd) {
        for (;;) {
          int c = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) {
            if (errno == EAGAIN || errno == ECONNABORTED) break;
            if (errno == EMFILE || errno == ENFILE) die("accept4");
            break;
          }
          int one = 1;
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.fd = c;
          if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev) < 0) die("epoll_ctl add");
        }
        continue;
      }
      for (;;) {
        ssize_t r = read(fd, buf.data(), buf.size());
        if (r < 0 && errno == EAGAIN) break;
        if (r <= 0) {
          close(fd);  // also leaves the epoll set
          break;
        }
        // An echo of a small request never fills the send buffer; a
        // short write here would mean a peer that does not read.
        if (write(fd, buf.data(), size_t(r)) != r) {
          close(fd);
          break;
        }
        if (size_t(r) < buf.size()) break;
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: epoll_server PORT [-T threads]\n");
    return 2;
  }
  int port = std::atoi(argv[1]);
  int threads = 1;
  optind = 2;
  for (int c; (c = getopt(argc, argv, "T:")) != -1;) {
    if (c == 'T') threads = std::max(1, std::atoi(optarg));
  }
  signal(SIGPIPE, SIG_IGN);
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_max < 1 << 20) rl.rlim_max = 1 << 20;
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  std::vector<int> lfds;
  for (int t = 0; t < threads; t++)
    lfds.push_back(listener(port, threads > 1));
  std::printf("listening %d\n", port);
  std::fflush(stdout);
  std::vector<std::thread> ts;
  for (int t = 1; t < threads; t++)
    ts.emplace_back(serve, lfds[size_t(t)]);
  serve(lfds[0]);
}
