#include "ninet_cmds.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "base/endian.h"
#include "base/ipaddr.h"
#include "dial/dial.h"

namespace ninet::tool {

namespace {

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  std::string w;
  while (in >> w)
    v.push_back(w);
  return v;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  std::string l;
  while (std::getline(in, l))
    if (!l.empty()) v.push_back(l);
  return v;
}

}  // namespace

int slurp(const std::string& path, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return errno;
  out->clear();
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      int e = errno;
      close(fd);
      return e;
    }
    if (n == 0) break;
    out->append(buf, size_t(n));
  }
  close(fd);
  return 0;
}

bool read_file(const std::string& path, std::string* out) {
  int e = slurp(path, out);
  if (e) std::fprintf(stderr, "ninet: %s: %s\n", path.c_str(), std::strerror(e));
  return e == 0;
}

// One write of msg to path; on failure prints the errno text and, where the
// file has an `err` sibling, the stack's own error text.
bool write_file(const std::string& path, const std::string& msg) {
  int fd = open(path.c_str(), O_WRONLY);
  if (fd < 0) {
    std::fprintf(stderr, "ninet: %s: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  ssize_t n = write(fd, msg.data(), msg.size());
  int e = errno;
  close(fd);
  if (n == ssize_t(msg.size())) return true;
  std::string detail;
  std::string dir = path.substr(0, path.rfind('/'));
  std::string err;
  int efd = open((dir + "/err").c_str(), O_RDONLY);
  if (efd >= 0) {
    char buf[512];
    ssize_t k = read(efd, buf, sizeof buf);
    if (k > 0) err.assign(buf, size_t(k));
    close(efd);
  }
  while (!err.empty() && err.back() == '\n')
    err.pop_back();
  std::fprintf(stderr, "ninet: %s: %s%s%s\n", msg.c_str(), std::strerror(n < 0 ? e : EIO),
               err.empty() ? "" : ": ", err.c_str());
  return false;
}

namespace {

std::string join(const std::vector<std::string>& a, size_t from) {
  std::string s;
  for (size_t i = from; i < a.size(); i++) {
    if (i > from) s += ' ';
    s += a[i];
  }
  return s;
}

std::vector<int> numbered(const std::string& dir) {
  std::vector<int> v;
  DIR* d = opendir(dir.c_str());
  if (!d) return v;
  while (dirent* e = readdir(d)) {
    char* end;
    long n = std::strtol(e->d_name, &end, 10);
    if (*end == 0 && end != e->d_name) v.push_back(int(n));
  }
  closedir(d);
  std::sort(v.begin(), v.end());
  return v;
}

double now_ms() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return double(t.tv_sec) * 1e3 + double(t.tv_nsec) / 1e6;
}

void on_sigusr1(int) {}

// ---- ping ----

struct PingOpts {
  int count = 4;
  int interval_ms = 1000;
  int size = 56;
  int wait_ms = 2000;
  std::string host;
};

int ping(const std::string& root, const PingOpts& o) {
  auto dst = Ipaddr::parse(o.host);
  if (!dst) {
    std::fprintf(stderr, "ninet: ping: %s\n", dst.error().text().c_str());
    return 2;
  }
  bool v6 = !dst->is_v4();
  std::string proto = v6 ? "icmpv6" : "icmp";
  int ctl = open((root + "/" + proto + "/clone").c_str(), O_RDWR);
  if (ctl < 0) {
    std::fprintf(stderr, "ninet: %s/%s/clone: %s\n", root.c_str(), proto.c_str(),
                 std::strerror(errno));
    return 1;
  }
  char num[32] = {};
  ssize_t k = read(ctl, num, sizeof num - 1);
  if (k <= 0) {
    std::fprintf(stderr, "ninet: reading the conversation number failed\n");
    return 1;
  }
  std::string dir = root + "/" + proto + "/" + words(num)[0];
  std::string msg = "connect " + o.host;
  if (write(ctl, msg.data(), msg.size()) != ssize_t(msg.size())) {
    std::fprintf(stderr, "ninet: ping: %s: %s\n", msg.c_str(), std::strerror(errno));
    return 1;
  }
  int data = open((dir + "/data").c_str(), O_RDWR);
  if (data < 0) {
    std::fprintf(stderr, "ninet: %s/data: %s\n", dir.c_str(), std::strerror(errno));
    return 1;
  }
  std::printf("PING %s: %d data bytes\n", o.host.c_str(), o.size);
  std::mutex mu;
  std::map<int, double> sent_at;
  std::vector<double> rtts;
  int errors = 0;
  std::atomic<bool> done{false};

  struct sigaction sa = {};
  sa.sa_handler = on_sigusr1;  // no SA_RESTART: a blocked read returns EINTR
  sigaction(SIGUSR1, &sa, nullptr);
  pthread_t reader_id;
  std::thread reader([&] {
    reader_id = pthread_self();
    uint8_t buf[65536];
    while (!done.load()) {
      // read and write from two threads on one fd: `data` is a stream
      // (FUSE FOPEN_STREAM), with no file position to lock or seek.
      ssize_t n = read(data, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (n < 8) continue;
      double t = now_ms();
      uint8_t type = buf[0];
      int seq = load16(buf + 6);
      bool reply = v6 ? type == 129 : type == 0;
      std::lock_guard<std::mutex> g(mu);
      if (reply) {
        auto it = sent_at.find(seq);
        if (it == sent_at.end()) continue;  // duplicate or late
        double rtt = t - it->second;
        sent_at.erase(it);
        rtts.push_back(rtt);
        std::printf("%zd bytes from %s: icmp_seq=%d time=%.3f ms\n", n - 8, o.host.c_str(), seq,
                    rtt);
      } else {
        errors++;
        const char* what = "error";
        if (!v6 && type == 3) what = "destination unreachable";
        if (!v6 && type == 11) what = "time exceeded";
        if (v6 && type == 1) what = "destination unreachable";
        if (v6 && type == 2) what = "packet too big";
        if (v6 && type == 3) what = "time exceeded";
        std::printf("from %s: %s (type %d code %d)\n", o.host.c_str(), what, type, buf[1]);
      }
      std::fflush(stdout);
    }
  });
  std::vector<uint8_t> pkt(8 + size_t(o.size));
  for (int seq = 0; seq < o.count; seq++) {
    pkt[0] = v6 ? 128 : 8;
    pkt[1] = 0;
    store16(pkt.data() + 2, 0);
    store16(pkt.data() + 4, 0);  // the stack sets the identifier
    store16(pkt.data() + 6, uint16_t(seq));
    for (size_t i = 8; i < pkt.size(); i++)
      pkt[i] = uint8_t(i);
    {
      std::lock_guard<std::mutex> g(mu);
      sent_at[seq] = now_ms();
    }
    if (write(data, pkt.data(), pkt.size()) < 0) {
      std::printf("send icmp_seq=%d: %s\n", seq, std::strerror(errno));
      std::lock_guard<std::mutex> g(mu);
      sent_at.erase(seq);
      errors++;
    }
    if (seq + 1 < o.count) usleep(useconds_t(o.interval_ms) * 1000);
  }
  // Wait for the last replies.
  double until = now_ms() + o.wait_ms;
  while (now_ms() < until) {
    {
      std::lock_guard<std::mutex> g(mu);
      if (sent_at.empty()) break;
    }
    usleep(10000);
  }
  done = true;
  pthread_kill(reader_id, SIGUSR1);
  reader.join();
  close(data);
  close(ctl);
  std::lock_guard<std::mutex> g(mu);
  size_t rcvd = rtts.size();
  std::printf("--- %s ping statistics ---\n", o.host.c_str());
  std::printf("%d packets transmitted, %zu received, %.0f%% packet loss\n", o.count, rcvd,
              o.count ? 100.0 * double(size_t(o.count) - rcvd) / o.count : 0.0);
  if (rcvd) {
    double mn = 1e18, mx = 0, sum = 0, sq = 0;
    for (double r : rtts) {
      mn = std::min(mn, r);
      mx = std::max(mx, r);
      sum += r;
      sq += r * r;
    }
    double avg = sum / double(rcvd);
    double mdev = std::sqrt(std::max(0.0, sq / double(rcvd) - avg * avg));
    std::printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", mn, avg, mx, mdev);
  }
  return rcvd == size_t(o.count) ? 0 : 1;
}

// ---- netstat ----

// The protocol directories of the tree: those with a clone file, save
// ipifc (its numbered directories are interfaces, not conversations).
std::vector<std::string> proto_dirs(const std::string& root) {
  std::vector<std::string> v;
  DIR* d = opendir(root.c_str());
  if (!d) return v;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == ".." || name == "ipifc") continue;
    if (access((root + "/" + name + "/clone").c_str(), F_OK) == 0) v.push_back(name);
  }
  closedir(d);
  std::sort(v.begin(), v.end());
  return v;
}

std::string user_name(uid_t uid) {
  passwd pw, *res = nullptr;
  char buf[4096];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res) return res->pw_name;
  return std::to_string(uid);
}

// /etc/services' name for a port, "" for none (and for protocols it lacks).
std::string service_name(const std::string& proto, const std::string& port) {
  if (proto != "tcp" && proto != "udp") return "";
  int n = std::atoi(port.c_str());
  if (n <= 0 || n > 65535) return "";
  servent se, *res = nullptr;
  char buf[1024];
  if (getservbyport_r(htons(uint16_t(n)), proto.c_str(), &se, buf, sizeof buf, &res) != 0 || !res)
    return "";
  return res->s_name;
}

// A conversation that went away while being read: freed between the
// directory listing and the read (FUSE may say ESTALE for its files).
bool vanished(int e) {
  return e == ENOENT || e == ESTALE;
}

int netstat(const std::string& root, const NetstatArgs& o) {
  std::vector<std::string> protos = o.protos.empty() ? proto_dirs(root) : o.protos;
  std::vector<ConvFiles> convs;
  int rc = 0;
  for (const std::string& p : protos) {
    std::string dir = root + "/" + p;
    if (access((dir + "/clone").c_str(), F_OK) != 0) {
      std::fprintf(stderr, "ninet: netstat: %s: not a protocol directory\n", dir.c_str());
      rc = 1;
      continue;
    }
    for (int n : numbered(dir)) {
      ConvFiles c;
      c.proto = p;
      c.n = n;
      std::string cd = dir + "/" + std::to_string(n);
      struct stat st;
      int e = ::stat((cd + "/ctl").c_str(), &st) == 0 ? 0 : errno;
      if (!e) c.owner = user_name(st.st_uid);
      const std::pair<const char*, std::string*> files[] = {
          {"status", &c.status}, {"local", &c.local}, {"remote", &c.remote}};
      for (auto& [name, text] : files)
        if (!e) e = slurp(cd + "/" + name, text);
      if (vanished(e)) continue;
      if (e) {
        std::fprintf(stderr, "ninet: netstat: %s: %s\n", cd.c_str(), std::strerror(e));
        rc = 1;
        continue;
      }
      convs.push_back(std::move(c));
    }
  }
  std::fputs(format_netstat(convs, o.all, o.numeric ? nullptr : ServiceName(service_name)).c_str(),
             stdout);
  return rc;
}

// ---- nc ----

// The host as an address of the family asked for (-4, -6), through the
// host's resolver; without one, dial resolves it.
Result<std::string> nc_host(const NcArgs& o) {
  if (o.family == 0 || o.host.empty()) return o.host;
  addrinfo hints{};
  hints.ai_family = o.family == 6 ? AF_INET6 : AF_INET;
  addrinfo* res = nullptr;
  if (getaddrinfo(o.host.c_str(), nullptr, &hints, &res) != 0 || !res)
    return Error(Err::BadIp, o.host + " has no IPv" + std::to_string(o.family) + " address");
  Ipaddr a = res->ai_family == AF_INET
                 ? Ipaddr::from_v4_bytes(reinterpret_cast<const uint8_t*>(
                       &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr))
                 : Ipaddr(reinterpret_cast<sockaddr_in6*>(res->ai_addr)->sin6_addr.s6_addr);
  freeaddrinfo(res);
  return a.str();
}

// Whether a conversation's remote system is of the family asked for.
bool family_ok(int family, const std::string& rsys) {
  if (family == 0) return true;
  auto a = Ipaddr::parse(rsys);
  return a && a->is_v4() == (family == 4);
}

// Takes the first call on an announced conversation whose caller is of the
// family asked for (others are hung up), as Linux's nc -l takes one.
Result<dial::Conn> nc_listen(const std::string& addr, const NcArgs& o) {
  auto a = dial::announce(addr);
  if (!a) return a.error();
  for (;;) {
    auto l = dial::listen(a->dir);
    if (!l) {
      a->close();
      return l.error();
    }
    auto info = dial::getnetconninfo(l->dir);
    std::string rsys = info ? info->rsys : "";
    if (!family_ok(o.family, rsys)) {
      if (o.verbose && info)
        std::fprintf(stderr, "ninet: nc: refused %s: not IPv%d\n", info->raddr.c_str(), o.family);
      (void)dial::reject(l->ctl, l->dir, "wrong address family");
      l->close();
      continue;
    }
    auto fd = dial::accept(l->ctl, l->dir);
    if (!fd) {
      l->close();
      a->close();
      return fd.error();
    }
    l->data = *fd;
    if (o.verbose && info)
      std::fprintf(stderr, "ninet: nc: call from %s on %s\n", info->raddr.c_str(), l->dir.c_str());
    a->close();  // one caller: later ones are refused, as by a connected socket
    return *l;
  }
}

// Writes all of p unless `stop` is set while a write is interrupted (a
// write blocked on a full TCP send buffer or a full pipe ends on SIGUSR1).
bool write_all(int fd, const uint8_t* p, size_t n, const std::atomic<bool>& stop) {
  while (n > 0) {
    ssize_t k = write(fd, p, n);
    if (k < 0 && errno == EINTR && !stop.load()) continue;
    if (k <= 0) return false;
    p += k;
    n -= size_t(k);
  }
  return true;
}

// The copying of nc: a thread per direction, the main thread waiting on a
// pipe for what ends it: the conversation's end (a read of data returns
// 0 or fails), stdin's EOF (then -q's wait), or a signal.
class NcCopy {
 public:
  explicit NcCopy(int data) : data_(data) {}

  int run(double quit_after) {
    if (pipe2(events_, O_CLOEXEC) != 0) return 1;
    struct sigaction sa = {};
    sa.sa_handler = on_signal;  // no SA_RESTART: blocked reads return EINTR
    sigaction(SIGUSR1, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
    signal_fd_ = events_[1];
    std::thread reader([this] { from_net(); });
    std::thread writer([this] { to_net(); });
    int rc = 0;
    double deadline = -1;
    for (;;) {
      int timeout = -1;
      if (deadline >= 0) timeout = std::max(0, int(deadline - now_ms()));
      pollfd p = {events_[0], POLLIN, 0};
      int k = poll(&p, 1, timeout);
      if (k == 0) break;  // -q's time is up
      if (k < 0) continue;
      char ev;
      if (read(events_[0], &ev, 1) != 1) continue;
      if (ev == 'e') {  // stdin's EOF
        if (quit_after == 0) break;
        if (quit_after > 0) deadline = now_ms() + quit_after * 1000;
        continue;
      }
      if (ev == 'x') rc = 1;                   // an error, already reported
      if (ev == 's') rc = 128 + last_signal_;  // as a shell reports a signal
      hung_up_ = ev == 'h';
      break;  // 'h': the conversation ended
    }
    stop(reader, reader_done_);
    stop(writer, writer_done_);
    close(events_[0]);
    close(events_[1]);
    signal_fd_ = -1;
    return rc;
  }

  // Whether run ended because the conversation did (its data's EOF).
  bool hung_up() const { return hung_up_; }

 private:
  static void on_signal(int sig) {
    if (sig == SIGUSR1 || signal_fd_ < 0) return;
    last_signal_ = sig;
    char ev = 's';
    (void)!write(signal_fd_, &ev, 1);
  }

  void event(char ev) { (void)!write(events_[1], &ev, 1); }

  // Data to stdout, one read at a time (a UDP read is one datagram).
  void from_net() {
    std::vector<uint8_t> buf(65536);
    while (!done_.load()) {
      ssize_t n = read(data_, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && !done_.load()) {
        std::fprintf(stderr, "ninet: nc: read: %s\n", std::strerror(errno));
        event('x');
      } else if (n == 0 || !write_all(1, buf.data(), size_t(n), done_)) {
        event('h');
      } else {
        continue;
      }
      break;
    }
    reader_done_ = true;
  }

  // Stdin to data: each read of stdin is one write (one UDP datagram).
  void to_net() {
    std::vector<uint8_t> buf(65536);
    while (!done_.load()) {
      ssize_t n = read(0, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        event('e');
        break;
      }
      if (!write_all(data_, buf.data(), size_t(n), done_)) {
        if (!done_.load()) {
          std::fprintf(stderr, "ninet: nc: write: %s\n", std::strerror(errno));
          event('x');
        }
        break;
      }
    }
    writer_done_ = true;
  }

  // Ends a thread that may be blocked in a read or write: SIGUSR1 until it
  // is out (a signal sent just before it blocks is lost). A blocked read or
  // write of the tree ends on a signal (DESIGN.md, "Threads").
  void stop(std::thread& t, const std::atomic<bool>& finished) {
    done_ = true;
    while (!finished.load()) {
      pthread_kill(t.native_handle(), SIGUSR1);
      usleep(20000);
    }
    t.join();
  }

  int data_;
  bool hung_up_ = false;
  int events_[2] = {-1, -1};
  std::atomic<bool> done_{false}, reader_done_{false}, writer_done_{false};
  static inline volatile sig_atomic_t signal_fd_ = -1;
  static inline volatile sig_atomic_t last_signal_ = 0;
};

int nc(const std::string& root, const NcArgs& o) {
  auto host = nc_host(o);
  if (!host) {
    std::fprintf(stderr, "ninet: nc: %s\n", host.error().text().c_str());
    return 1;
  }
  std::string tree = root;
  if (!tree.starts_with("/")) {  // dial takes a tree by an absolute path
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd)) tree = std::string(cwd) + "/" + tree;
  }
  std::string addr = nc_address(tree, o, *host);
  auto c = o.listen ? nc_listen(addr, o) : dial::dial(addr);
  if (!c) {
    std::fprintf(stderr, "ninet: nc: %s: %s\n", addr.c_str(), c.error().text().c_str());
    return 1;
  }
  if (o.verbose && !o.listen)
    std::fprintf(stderr, "ninet: nc: %s on %s\n", addr.c_str(), c->dir.c_str());
  // A conversation hung up by an error (UDP on a port unreachable, TCP on a
  // reset) says why in its err file. That file keeps the last error of any
  // kind (the `accept` IP refuses leaves one): only a text that changed
  // while copying is news.
  std::string before, err;
  (void)slurp(c->dir + "/err", &before);
  NcCopy copy(c->data);
  int rc = copy.run(o.quit_after);
  if (rc == 0 && copy.hung_up() && slurp(c->dir + "/err", &err) == 0 && err != before &&
      !words(err).empty()) {
    while (!err.empty() && err.back() == '\n')
      err.pop_back();
    std::fprintf(stderr, "ninet: nc: %s: %s\n", c->dir.c_str(), err.c_str());
    rc = 1;
  }
  c->close();  // the last close: TCP sends what is queued, then FIN
  return rc;
}

}  // namespace

void usage() {
  std::fprintf(stderr,
               "usage: ninet [-m mountpoint] command ...\n"
               "  ifc                          interfaces and their addresses\n"
               "  ifc N MESSAGE...             write a ctl message to interface N\n"
               "  addr add N ADDR [MASK]       add an address to interface N\n"
               "  addr del N ADDR MASK         remove an address\n"
               "  route [add T M GW | del T M] show or change routes\n"
               "  arp [add IP MAC | del IP | flush]\n"
               "  ping [-c n] [-i ms] [-s size] [-W ms] HOST\n"
               "  stats [PROTO]                ipifc/stats or PROTO/stats\n"
               "  netstat [-an] [PROTO...]     conversations: state, addresses, queues, owner\n"
               "  nc [-uv46] [-q s] HOST PORT  copy stdin to a call, the call to stdout\n"
               "  nc -l [-uv46] [-q s] [HOST] PORT   the same with the first caller\n"
               "  pipex                        PPP sessions: state, peer, framed address, packets\n"
               "  pipex enable|disable         net.pipex.enable\n"
               "  pipex closed                 take the PPP ids of sessions idle out\n"
               "  pipex mode|add|delete|config|descr ...   a message of pipex/ctl\n"
               "  cat FILE...                  print files of the tree\n"
               "  write FILE MESSAGE...        one write of MESSAGE to FILE\n");
}

std::string format_ifcs(const std::vector<std::pair<int, std::string>>& status) {
  std::string out;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-4s %-12s %6s  %-28s %-16s %-28s %10s %10s %6s %6s\n", "IFC",
                "DEVICE", "MTU", "ADDRESS", "MASK", "REMOTE", "IN", "OUT", "IERR", "OERR");
  out += buf;
  for (auto& [n, text] : status) {
    std::string dev, mtu;
    bool first = true;
    for (const std::string& l : lines(text)) {
      auto w = words(l);
      size_t i = 0;
      if (first) {
        if (w.size() < 2) continue;
        dev = w[0];
        mtu = w[1];
        i = 2;
      }
      if (w.size() < i + 7) continue;
      std::snprintf(buf, sizeof buf, "%-4s %-12s %6s  %-28s %-16s %-28s %10s %10s %6s %6s\n",
                    first ? std::to_string(n).c_str() : "", first ? dev.c_str() : "",
                    first ? mtu.c_str() : "", w[i].c_str(), w[i + 1].c_str(), w[i + 2].c_str(),
                    w[i + 3].c_str(), w[i + 4].c_str(), w[i + 5].c_str(), w[i + 6].c_str());
      out += buf;
      first = false;
    }
  }
  return out;
}

std::string format_routes(const std::string& iproute) {
  std::string out;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-28s %-16s %-28s %-5s %-4s %s\n", "TARGET", "MASK", "GATEWAY",
                "FLAGS", "TAG", "IFC");
  out += buf;
  for (const std::string& l : lines(iproute)) {
    auto w = words(l);
    if (w.size() < 6) continue;
    std::snprintf(buf, sizeof buf, "%-28s %-16s %-28s %-5s %-4s %s\n", w[0].c_str(), w[1].c_str(),
                  w[2].c_str(), w[3].c_str(), w[4].c_str(), w[5].c_str());
    out += buf;
  }
  return out;
}

std::string format_arp(const std::string& arp) {
  std::string out;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-8s %-6s %-40s %s\n", "MEDIUM", "STATE", "ADDRESS", "MAC");
  out += buf;
  for (const std::string& l : lines(arp)) {
    auto w = words(l);
    if (w.size() < 4) continue;
    std::string mac = w[3];
    if (mac.size() == 12) {
      std::string m;
      for (size_t i = 0; i < 12; i += 2) {
        if (i) m += ':';
        m += mac.substr(i, 2);
      }
      mac = m;
    }
    std::snprintf(buf, sizeof buf, "%-8s %-6s %-40s %s\n", w[0].c_str(), w[1].c_str(), w[2].c_str(),
                  mac.c_str());
    out += buf;
  }
  return out;
}

// ---- netstat ----

bool parse_netstat_args(const std::vector<std::string>& a, NetstatArgs* o) {
  *o = {};
  for (const std::string& w : a) {
    if (w.size() > 1 && w[0] == '-') {
      for (char f : w.substr(1)) {
        if (f == 'a')
          o->all = true;
        else if (f == 'n')
          o->numeric = true;
        else
          return false;
      }
    } else if (w.empty() || w.find('/') != std::string::npos || w == "." || w == "..") {
      return false;  // a protocol is a directory of the tree's root
    } else {
      o->protos.push_back(w);
    }
  }
  return true;
}

namespace {

// The number after `key` in a status line's words ("qin 0 qout 0"), or "-".
std::string status_value(const std::vector<std::string>& w, std::string_view key) {
  for (size_t i = 0; i + 1 < w.size(); i++)
    if (w[i] == key) return w[i + 1];
  return "-";
}

// "addr!port" as the file says it (no newline), the port named if `service`
// knows it; "-" for an empty file.
std::string endpoint(const std::string& text, const std::string& proto,
                     const ServiceName& service) {
  auto w = words(text);
  if (w.empty()) return "-";
  std::string e = w[0];
  size_t bang = e.rfind('!');
  if (service && bang != std::string::npos) {
    std::string name = service(proto, e.substr(bang + 1));
    if (!name.empty()) e = e.substr(0, bang + 1) + name;
  }
  return e;
}

}  // namespace

std::string format_netstat(const std::vector<ConvFiles>& convs, bool all,
                           const ServiceName& service) {
  std::string out;
  char buf[512];
  const char* fmt = "%-7s %4s %-10s %-12s %-30s %-30s %7s %7s\n";
  std::snprintf(buf, sizeof buf, fmt, "PROTO", "CONV", "OWNER", "STATE", "LOCAL", "REMOTE", "QIN",
                "QOUT");
  out += buf;
  for (const ConvFiles& c : convs) {
    auto w = words(c.status);
    // The state words come before the queues: "Established qin ...", and
    // ICMP's "Datagram Idle qin ..." (NOTES.md).
    bool unused = false;
    for (size_t i = 0; i < w.size() && w[i] != "qin"; i++)
      unused |= w[i] == "Closed" || w[i] == "Idle";
    if (unused && !all) continue;
    std::snprintf(buf, sizeof buf, fmt, c.proto.c_str(), std::to_string(c.n).c_str(),
                  c.owner.empty() ? "-" : c.owner.c_str(), w.empty() ? "-" : w[0].c_str(),
                  endpoint(c.local, c.proto, service).c_str(),
                  endpoint(c.remote, c.proto, service).c_str(), status_value(w, "qin").c_str(),
                  status_value(w, "qout").c_str());
    out += buf;
  }
  return out;
}

// ---- nc ----

bool parse_nc_args(const std::vector<std::string>& a, NcArgs* o) {
  *o = {};
  std::vector<std::string> rest;
  for (size_t i = 0; i < a.size(); i++) {
    const std::string& w = a[i];
    if (w == "-q") {
      if (i + 1 >= a.size()) return false;
      char* end;
      o->quit_after = std::strtod(a[++i].c_str(), &end);
      if (*end != 0 || end == a[i].c_str()) return false;
      continue;
    }
    if (w.size() < 2 || w[0] != '-' || w == "--") {
      rest.push_back(w);
      continue;
    }
    for (char f : w.substr(1)) {
      if (f == 'u')
        o->udp = true;
      else if (f == 'l')
        o->listen = true;
      else if (f == 'v')
        o->verbose = true;
      else if (f == '4' || f == '6')
        o->family = f - '0';
      else
        return false;
    }
  }
  if (rest.size() == 2) {
    o->host = rest[0];
    o->port = rest[1];
  } else if (rest.size() == 1 && o->listen) {
    o->port = rest[0];
  } else {
    return false;
  }
  return !o->port.empty() && !o->host.starts_with("-") && o->host.find('!') == std::string::npos &&
         o->port.find('!') == std::string::npos;
}

std::string nc_address(const std::string& root, const NcArgs& o, const std::string& host) {
  return root + (o.udp ? "/udp!" : "/tcp!") + (host.empty() ? "*" : host) + "!" + o.port;
}

int run(const std::string& root, const std::vector<std::string>& a) {
  const std::string& cmd = a[0];
  std::string text;
  if (cmd == "ifc") {
    if (a.size() >= 3) return write_file(root + "/ipifc/" + a[1] + "/ctl", join(a, 2)) ? 0 : 1;
    std::vector<std::pair<int, std::string>> st;
    for (int n : numbered(root + "/ipifc")) {
      if (!read_file(root + "/ipifc/" + std::to_string(n) + "/status", &text)) return 1;
      st.push_back({n, text});
    }
    std::fputs(format_ifcs(st).c_str(), stdout);
    return 0;
  }
  if (cmd == "addr") {
    if (a.size() < 4 || (a[1] != "add" && a[1] != "del")) {
      usage();
      return 2;
    }
    std::string msg = (a[1] == "add" ? "add " : "remove ") + join(a, 3);
    return write_file(root + "/ipifc/" + a[2] + "/ctl", msg) ? 0 : 1;
  }
  if (cmd == "route") {
    if (a.size() == 1) {
      if (!read_file(root + "/iproute", &text)) return 1;
      std::fputs(format_routes(text).c_str(), stdout);
      return 0;
    }
    std::string verb = a[1] == "del" ? "remove" : a[1];
    std::vector<std::string> rest(a.begin() + 1, a.end());
    rest[0] = verb;
    return write_file(root + "/iproute", join(rest, 0)) ? 0 : 1;
  }
  if (cmd == "arp") {
    if (a.size() == 1) {
      if (!read_file(root + "/arp", &text)) return 1;
      std::fputs(format_arp(text).c_str(), stdout);
      return 0;
    }
    return write_file(root + "/arp", join(a, 1)) ? 0 : 1;
  }
  if (cmd == "stats") {
    std::string f = a.size() > 1 ? a[1] + "/stats" : "ipifc/stats";
    if (!read_file(root + "/" + f, &text)) return 1;
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  if (cmd == "cat") {
    int rc = 0;
    for (size_t i = 1; i < a.size(); i++) {
      if (!read_file(root + "/" + a[i], &text)) {
        rc = 1;
        continue;
      }
      std::fputs(text.c_str(), stdout);
    }
    return rc;
  }
  if (cmd == "write") {
    if (a.size() < 3) {
      usage();
      return 2;
    }
    return write_file(root + "/" + a[1], join(a, 2)) ? 0 : 1;
  }
  if (cmd == "netstat") {
    NetstatArgs o;
    if (!parse_netstat_args({a.begin() + 1, a.end()}, &o)) {
      usage();
      return 2;
    }
    return netstat(root, o);
  }
  if (cmd == "pipex") return pipex(root, {a.begin() + 1, a.end()});
  if (cmd == "nc") {
    NcArgs o;
    if (!parse_nc_args({a.begin() + 1, a.end()}, &o)) {
      usage();
      return 2;
    }
    return nc(root, o);
  }
  if (cmd == "ping") {
    PingOpts o;
    for (size_t i = 1; i < a.size(); i++) {
      auto num = [&](int* v) {
        if (i + 1 >= a.size()) return false;
        *v = std::atoi(a[++i].c_str());
        return true;
      };
      bool ok = true;
      if (a[i] == "-c")
        ok = num(&o.count);
      else if (a[i] == "-i")
        ok = num(&o.interval_ms);
      else if (a[i] == "-s")
        ok = num(&o.size);
      else if (a[i] == "-W")
        ok = num(&o.wait_ms);
      else
        o.host = a[i];
      if (!ok) {
        usage();
        return 2;
      }
    }
    if (o.host.empty() || o.count < 1 || o.size < 0 || o.size > 65000) {
      usage();
      return 2;
    }
    return ping(root, o);
  }
  usage();
  return 2;
}

}  // namespace ninet::tool
