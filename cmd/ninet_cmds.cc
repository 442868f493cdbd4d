#include "ninet_cmds.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
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

bool read_file(const std::string& path, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    std::fprintf(stderr, "ninet: %s: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  out->clear();
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      std::fprintf(stderr, "ninet: read %s: %s\n", path.c_str(), std::strerror(errno));
      close(fd);
      return false;
    }
    if (n == 0) break;
    out->append(buf, size_t(n));
  }
  close(fd);
  return true;
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
