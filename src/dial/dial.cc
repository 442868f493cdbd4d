#include "dial/dial.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/ipaddr.h"

namespace ninet::dial {

namespace {

class PosixFs final : public Fs {
 public:
  Result<int> open(const std::string& path, int flags) override {
    for (;;) {
      int fd = ::open(path.c_str(), flags | O_CLOEXEC);
      if (fd >= 0) return fd;
      if (errno != EINTR) return sys_error(path);
    }
  }
  Result<size_t> read(int h, std::span<uint8_t> buf) override {
    for (;;) {
      ssize_t n = ::read(h, buf.data(), buf.size());
      if (n >= 0) return size_t(n);
      if (errno != EINTR) return sys_error("read");
    }
  }
  Result<size_t> write(int h, std::span<const uint8_t> data) override {
    for (;;) {
      ssize_t n = ::write(h, data.data(), data.size());
      if (n >= 0) return size_t(n);
      if (errno != EINTR) return sys_error("write");
    }
  }
  void close(int h) override { ::close(h); }
  std::string path(int h) override {
    char buf[4096];
    std::string link = "/proc/self/fd/" + std::to_string(h);
    ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, size_t(n)) : std::string();
  }

 private:
  static Error sys_error(std::string_view what) {
    int e = errno;
    Err code = Err::Io;
    switch (e) {
      case ENOENT:
        code = Err::NotFound;
        break;
      case EACCES:
        code = Err::Access;
        break;
      case EPERM:
        code = Err::Perm;
        break;
      case EINTR:
        code = Err::Interrupted;
        break;
      case ECONNREFUSED:
        code = Err::Refused;
        break;
      case ETIMEDOUT:
        code = Err::TimedOut;
        break;
      case EADDRINUSE:
        code = Err::AddrInUse;
        break;
      case EHOSTUNREACH:
        code = Err::NoRoute;
        break;
      case EINVAL:
        code = Err::BadArg;
        break;
      default:
        break;
    }
    return Error(code, std::string(what) + ": " + std::strerror(e));
  }
};

// A host name through the host's resolver: the first address it gives.
Result<std::string> resolve(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || !res)
    return Error(Err::BadIp, "cannot resolve " + host);
  char buf[INET6_ADDRSTRLEN] = {};
  const void* a =
      res->ai_family == AF_INET
          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr)
          : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(res->ai_addr)->sin6_addr);
  inet_ntop(res->ai_family, a, buf, sizeof buf);
  freeaddrinfo(res);
  return std::string(buf);
}

// A service name through /etc/services.
Result<std::string> service_port(const std::string& service, const std::string& proto) {
  servent* s = getservbyname(service.c_str(), proto == "udp" ? "udp" : "tcp");
  if (!s) return Error(Err::BadPort, "unknown service " + service);
  return std::to_string(ntohs(uint16_t(s->s_port)));
}

// A 9P service named by $NINET_NET with no 9P client in this program.
class UnconnectedFs final : public Fs {
 public:
  Result<int> open(const std::string&, int) override {
    return Error(Err::NotSupported,
                 "NINET_NET names a 9P service, and this program has not connected to it "
                 "(dialfs::use_net, ninet_setnet)");
  }
  Result<size_t> read(int, std::span<uint8_t>) override { return Err::BadArg; }
  Result<size_t> write(int, std::span<const uint8_t>) override { return Err::BadArg; }
  void close(int) override {}
};

struct Default {
  std::mutex mu;
  std::atomic<Fs*> fs{nullptr};
  std::string netdir;  // with mu
};
Default& the_default() {
  static Default d;
  return d;
}

bool is_9p_net(const char* e) {
  return e && std::string_view(e).starts_with("9p!");
}

bool all_of(std::string_view s, std::string_view extra) {
  for (char c : s)
    if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
        extra.find(c) == std::string_view::npos)
      return false;
  return true;
}

Result<std::string> read_text(Fs& fs, int h) {
  std::string out;
  uint8_t buf[256];
  for (;;) {
    auto n = fs.read(h, buf);
    if (!n) return n.error();
    if (*n == 0) break;
    out.append(reinterpret_cast<char*>(buf), *n);
    if (out.size() > 4096) break;
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  return out;
}

Result<std::string> read_file(Fs& fs, const std::string& path) {
  auto h = fs.open(path, O_RDONLY);
  if (!h) return h.error();
  auto t = read_text(fs, *h);
  fs.close(*h);
  return t;
}

// Writes a ctl message; a refusal is reported with the err file's text.
Status ctl_write(Fs& fs, int ctl, const std::string& dir, const std::string& msg) {
  auto n = fs.write(ctl, {reinterpret_cast<const uint8_t*>(msg.data()), msg.size()});
  if (n) return {};
  if (auto why = read_file(fs, dir + "/err"); why && !why->empty())
    return error_from_text(*why, n.error().code(), n.error().errnum());
  return n.error();
}

// Opens net/proto/clone; the conversation number is what its ctl reads.
Result<Conn> clone(Fs& fs, const Target& t) {
  std::string pdir = t.netdir + "/" + t.proto;
  auto ctl = fs.open(pdir + "/clone", O_RDWR);
  if (!ctl) return ctl.error();
  uint8_t buf[32];
  auto n = fs.read(*ctl, buf);
  std::string num = n ? std::string(reinterpret_cast<char*>(buf), *n) : "";
  while (!num.empty() && (num.back() == '\n' || num.back() == ' '))
    num.pop_back();
  if (!n || num.empty() || num.find_first_not_of("0123456789") != std::string::npos) {
    fs.close(*ctl);
    return n ? Error(Err::Io, "clone gave no conversation number") : n.error();
  }
  Conn c;
  c.fs = &fs;
  c.ctl = *ctl;
  c.dir = pdir + "/" + num;
  return c;
}

std::string last_part(std::string_view dir) {
  size_t s = dir.rfind('/');
  return std::string(s == std::string_view::npos ? dir : dir.substr(s + 1));
}

}  // namespace

Fs& posix_fs() {
  static PosixFs fs;
  return fs;
}

Fs& default_fs() {
  if (Fs* fs = the_default().fs.load()) return *fs;
  if (is_9p_net(std::getenv("NINET_NET"))) {
    static UnconnectedFs unconnected;
    return unconnected;
  }
  return posix_fs();
}

std::string default_netdir() {
  {
    std::lock_guard<std::mutex> g(the_default().mu);
    if (the_default().fs.load()) return the_default().netdir;
  }
  const char* e = std::getenv("NINET_NET");
  return e && *e && !is_9p_net(e) ? e : "/net";
}

void set_default(Fs& fs, std::string netdir) {
  std::lock_guard<std::mutex> g(the_default().mu);
  the_default().netdir = std::move(netdir);
  the_default().fs = &fs;
}

std::string netmkaddr(std::string_view addr, std::string_view defnet, std::string_view defservice) {
  std::string a(addr);
  size_t bang = a.find('!');
  if (bang == std::string::npos) {  // host alone
    std::string r = std::string(defnet) + "!" + a;
    if (!defservice.empty()) r += "!" + std::string(defservice);
    return r;
  }
  if (a.find('!', bang + 1) == std::string::npos && !defservice.empty())
    return a + "!" + std::string(defservice);  // net!host
  return a;
}

std::string Addr::str() const {
  std::string s = netdir.empty() ? "" : netdir == "/" ? netdir : netdir + "/";
  s += proto + "!" + host;
  if (!service.empty()) s += "!" + service;
  return s;
}

Result<Addr> parse_addr(std::string_view addr) {
  Addr t;
  std::string_view a = addr;
  // "/net.alt/tcp!..." names its tree: the path up to the last '/' before
  // the first '!'.
  size_t bang = a.find('!');
  size_t slash = a.rfind('/', bang);
  if (a.starts_with("/") && slash != std::string_view::npos) {
    std::string_view dir = a.substr(0, slash);
    while (dir.ends_with('/'))  // "/n//tcp!..." is /n's; "/tcp!..." the root's
      dir.remove_suffix(1);
    t.netdir = dir.empty() ? "/" : std::string(dir);
    a.remove_prefix(slash + 1);
    if (t.netdir.find('\0') != std::string::npos)
      return Error(Err::BadArg, "bad tree in " + std::string(addr));
  }
  std::string_view f[4];
  size_t n = 0;
  for (;;) {
    size_t e = a.find('!');
    if (n == 3) return Error(Err::BadArg, "address is net!host[!service]: " + std::string(addr));
    f[n++] = a.substr(0, e);
    if (e == std::string_view::npos) break;
    a.remove_prefix(e + 1);
  }
  if (n < 2 || f[0].empty() || f[1].empty() || (n == 3 && f[2].empty()))
    return Error(Err::BadArg, "address is net!host[!service]: " + std::string(addr));
  if (!all_of(f[0], "-_")) return Error(Err::BadArg, "bad network " + std::string(f[0]));
  t.proto = f[0] == "net" ? "tcp" : std::string(f[0]);
  t.host = std::string(f[1]);
  if (t.host == "*") {
    t.kind = Addr::kAny;
  } else if (Ipaddr::parse(t.host)) {
    t.kind = Addr::kIp;
  } else if (all_of(t.host, "-_.") &&
             t.host.find_first_not_of("0123456789.") != std::string::npos) {
    t.kind = Addr::kName;
  } else {
    return Error(Err::BadIp, t.host);
  }
  if (n == 3) {
    t.service = std::string(f[2]);
    bool digits = t.service.find_first_not_of("0123456789") == std::string::npos;
    if (digits) {
      if (t.service.size() > 5 || std::atoi(t.service.c_str()) > 65535)
        return Error(Err::BadPort, t.service);
      t.numeric = true;
    } else if (t.service != "*" && !all_of(t.service, "-_+.")) {
      return Error(Err::BadPort, t.service);
    }
  }
  return t;
}

Result<Target> parse_target(std::string_view addr, std::string_view netdir) {
  auto a = parse_addr(addr);
  if (!a) return a.error();
  Target t;
  t.netdir = !a->netdir.empty() ? a->netdir
             : netdir.empty()   ? default_netdir()
                                : std::string(netdir);
  t.proto = a->proto;
  t.host = a->host;
  if (a->kind == Addr::kName) {
    auto ip = resolve(a->host);
    if (!ip) return ip.error();
    t.ip = *ip;
  } else {
    t.ip = a->host;
  }
  if (a->service.empty() || a->service == "*" || a->numeric) {
    t.port = a->service;
  } else {
    auto p = service_port(a->service, t.proto);
    if (!p) return p.error();
    t.port = *p;
  }
  return t;
}

void Conn::close() {
  if (!fs) return;
  if (data >= 0) fs->close(data);
  if (ctl >= 0) fs->close(ctl);
  data = ctl = -1;
}

Result<size_t> Conn::read(std::span<uint8_t> buf) {
  if (!fs || data < 0) return Error(Err::BadArg, "no data file open");
  return fs->read(data, buf);
}

Status Conn::write(std::span<const uint8_t> d) {
  if (!fs || data < 0) return Error(Err::BadArg, "no data file open");
  while (!d.empty()) {
    auto n = fs->write(data, d);
    if (!n) return n.error();
    if (*n == 0) return Error(Err::Io, "write wrote nothing");
    d = d.subspan(std::min(*n, d.size()));
  }
  return {};
}

Result<Conn> dial(std::string_view addr, std::string_view local, Fs& fs) {
  auto t = parse_target(addr);
  if (!t) return t.error();
  if (t->ip == "*") return Error(Err::BadArg, "cannot dial *");
  auto c = clone(fs, *t);
  if (!c) return c.error();
  std::string msg = "connect " + t->ip + (t->port.empty() ? "" : "!" + t->port);
  if (!local.empty()) msg += " " + std::string(local);
  if (auto st = ctl_write(fs, c->ctl, c->dir, msg); !st) {
    c->close();
    return st.error();
  }
  auto d = fs.open(c->dir + "/data", O_RDWR);
  if (!d) {
    c->close();
    return d.error();
  }
  c->data = *d;
  return c;
}

Result<Conn> announce(std::string_view addr, Fs& fs) {
  auto t = parse_target(addr);
  if (!t) return t.error();
  if (t->port.empty()) return Error(Err::BadArg, "announce needs a port or *");
  auto c = clone(fs, *t);
  if (!c) return c.error();
  std::string msg = "announce " + (t->ip == "*" ? t->port : t->ip + "!" + t->port);
  if (auto st = ctl_write(fs, c->ctl, c->dir, msg); !st) {
    c->close();
    return st.error();
  }
  return c;
}

Result<Conn> listen(std::string_view dir, Fs& fs) {
  std::string d(dir);
  auto ctl = fs.open(d + "/listen", O_RDWR);
  if (!ctl) return ctl.error();
  auto num = read_text(fs, *ctl);
  if (!num || num->empty() || num->find_first_not_of("0123456789") != std::string::npos) {
    fs.close(*ctl);
    return num ? Error(Err::Io, "listen gave no conversation number") : num.error();
  }
  Conn c;
  c.fs = &fs;
  c.ctl = *ctl;
  c.dir = d.substr(0, d.rfind('/')) + "/" + *num;
  return c;
}

Result<int> accept(int ctl, std::string_view dir, Fs& fs) {
  // As Plan 9's accept: networks that need no accept refuse the message,
  // which is no error.
  std::string msg = "accept " + last_part(dir);
  (void)fs.write(ctl, {reinterpret_cast<const uint8_t*>(msg.data()), msg.size()});
  return fs.open(std::string(dir) + "/data", O_RDWR);
}

Status reject(int ctl, std::string_view dir, std::string_view cause, Fs& fs) {
  std::string msg = "reject " + last_part(dir) + " " + std::string(cause);
  if (fs.write(ctl, {reinterpret_cast<const uint8_t*>(msg.data()), msg.size()})) return {};
  return hangup(ctl, fs);  // IP has no reject: the call is hung up
}

Status hangup(int ctl, Fs& fs) {
  static constexpr std::string_view kMsg = "hangup";
  auto n = fs.write(ctl, {reinterpret_cast<const uint8_t*>(kMsg.data()), kMsg.size()});
  if (!n) return n.error();
  return {};
}

Result<NetConnInfo> getnetconninfo(std::string_view dir, int fd, Fs& fs) {
  std::string d(dir);
  if (d.empty()) {
    if (fd < 0) return Error(Err::BadArg, "no directory and no descriptor");
    d = fs.path(fd);
    if (d.empty()) return Error(Err::BadArg, "descriptor has no path");
    d = d.substr(0, d.rfind('/'));  // the file's conversation directory
  }
  NetConnInfo info;
  info.dir = d;
  size_t conv = d.rfind('/');
  size_t proto =
      conv == std::string::npos || conv == 0 ? std::string::npos : d.rfind('/', conv - 1);
  if (proto == std::string::npos) return Error(Err::BadArg, "not a conversation directory: " + d);
  info.root = d.substr(0, proto);
  std::string net = d.substr(proto + 1, conv - proto - 1);
  auto split = [&](const std::string& file, std::string& sys, std::string& serv,
                   std::string& whole) -> Status {
    auto t = read_file(fs, d + "/" + file);
    if (!t) return t.error();
    size_t b = t->rfind('!');
    sys = t->substr(0, b);
    serv = b == std::string::npos ? "" : t->substr(b + 1);
    whole = net + "!" + sys + (serv.empty() ? "" : "!" + serv);
    return {};
  };
  if (auto st = split("local", info.lsys, info.lserv, info.laddr); !st) return st.error();
  if (auto st = split("remote", info.rsys, info.rserv, info.raddr); !st) return st.error();
  return info;
}

namespace {

// The handlers serve() started and has not seen end.
struct Running {
  std::mutex mu;
  std::condition_variable cv;
  uint64_t n = 0;
  void wait() {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return n == 0; });
  }
};

}  // namespace

Status serve(std::string_view addr, CallHandler handler, const ServeOptions& opt, Fs& fs) {
  auto a = announce(addr, fs);
  if (!a) return a.error();
  if (opt.announced) opt.announced(*a);
  auto running = std::make_shared<Running>();
  auto handle = std::make_shared<CallHandler>(std::move(handler));
  Status end;
  for (uint64_t calls = 0; opt.max_calls == 0 || calls < opt.max_calls;) {
    auto call = listen(a->dir, fs);
    if (!call) {
      end = call.error();
      break;
    }
    auto d = accept(call->ctl, call->dir, fs);
    if (!d) {
      if (opt.refused) opt.refused(d.error());
      call->close();
      continue;
    }
    call->data = *d;
    calls++;
    if (!opt.threads) {
      (*handle)(*call);
      call->close();
      continue;
    }
    {
      std::lock_guard<std::mutex> g(running->mu);
      running->n++;
    }
    std::thread([running, handle, c = *call]() mutable {
      (*handle)(c);
      c.close();
      std::lock_guard<std::mutex> g(running->mu);
      if (--running->n == 0) running->cv.notify_all();
    }).detach();
  }
  running->wait();
  a->close();
  return end;
}

}  // namespace ninet::dial
