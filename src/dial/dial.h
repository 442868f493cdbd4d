// dial.h — Plan 9's dial(2) over a ninet tree: make and take calls with
// the files of ip(3) (clone, ctl, data, listen, local, remote, err), so a
// program gets handles it reads and writes like sockets.
//
//   auto c = dial::dial("tcp!10.0.0.2!80");            // under /net
//   if (!c) die(c.error().text());                     // "connection refused"
//   c->write("GET / HTTP/1.0\r\n\r\n"); c->read(buf); c->close();
//
//   auto a = dial::announce("udp!*!7");                // a->dir is /net/udp/N
//   auto l = dial::listen(a->dir);                     // blocks for a call
//   int fd = *dial::accept(l->ctl, l->dir);            // its data
//   auto info = dial::getnetconninfo(l->dir);          // rsys, rserv, ...
//
//   dial::serve("tcp!*!7", [](dial::Conn& c) { ... });  // the loop of all that
//
// Addresses are net!host!service (netmkaddr fills in what is missing).
// `net` is a protocol directory (tcp, udp, icmp, ...) or "net" (tcp); a
// leading path names another tree ("/net.alt/tcp!..."), else dial uses
// the default, /net or $NINET_NET. host is an IPv4 or IPv6 address, "*"
// (announce: any address), or a name the host's resolver knows
// (getaddrinfo; tests use addresses only). service is a port number or a
// name from /etc/services. parse_addr takes an address apart without
// looking anything up; parse_target then resolves it.
//
// Every call goes through a Fs: posix_fs() (the tree as mounted, FUSE or
// v9fs; handles are file descriptors) or another that implements the few
// calls (src/dialfs: a 9P client, a Stack's tree in this process). Calls
// that are given no Fs use default_fs(): posix_fs() unless a program
// chose another (set_default, or dialfs::use_net with $NINET_NET set to
// "9p!unix!/path"). Errors carry the tree's own text: a refused ctl write
// is reported with what the conversation's err file says.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "base/error.h"

namespace ninet::dial {

// The file calls dial needs. Handles are small non-negative integers.
class Fs {
 public:
  virtual ~Fs() = default;
  virtual Result<int> open(const std::string& path, int flags) = 0;  // O_RDONLY, O_RDWR, ...
  virtual Result<size_t> read(int h, std::span<uint8_t> buf) = 0;
  virtual Result<size_t> write(int h, std::span<const uint8_t> data) = 0;
  virtual void close(int h) = 0;
  // The path h was opened with ("" if not known): getnetconninfo of a
  // handle. (posix_fs: the file the descriptor has open.)
  virtual std::string path(int h) { return {}; }
};

// The tree as the kernel shows it (open(2) etc.; EINTR is retried).
Fs& posix_fs();

// The Fs and tree directory of calls that name none: set_default's, else
// posix_fs() and /net or $NINET_NET. $NINET_NET may also name a 9P
// service, "9p!unix!/path" or "9p!tcp!host!port" (dialfs::use_net): its
// tree is then at /net, and until the program connects to it (linking
// src/dialfs) default_fs() refuses every open, saying so.
Fs& default_fs();
std::string default_netdir();
// Makes fs (which must outlive every call that uses it) and netdir the
// default for calls that name neither.
void set_default(Fs& fs, std::string netdir = "/net");

// Plan 9's netmkaddr: "host" -> defnet!host[!defservice]; "net!host" ->
// net!host[!defservice]; three parts (or "/path/net!...") are kept.
std::string netmkaddr(std::string_view addr, std::string_view defnet = "net",
                      std::string_view defservice = "");

// An address as written, taken apart without looking anything up (no
// resolver, no /etc/services): what parse_target starts from, and what a
// program may check before it calls.
struct Addr {
  std::string netdir;   // "/net.alt" if the address names a tree, else "" ("/": the root)
  std::string proto;    // "tcp" ("net" is tcp)
  std::string host;     // "10.0.0.2", "2001:db8::1", "*" or a name
  std::string service;  // "80", "*", a name ("http") or "" (none: icmp)
  enum Kind { kIp, kAny, kName };
  Kind kind = kIp;       // host is an address, "*", or a name to resolve
  bool numeric = false;  // service is a port number (0-65535)
  // The address as text again ("/net.alt/tcp!10.0.0.2!80"); parse_addr
  // gives back the same Addr.
  std::string str() const;
  bool operator==(const Addr&) const = default;
};
// net: letters, digits, '-' and '_'; host: an IPv4 or IPv6 address, "*"
// or a name of letters, digits, '-', '_' and '.'; service: "*", a
// number up to 65535 or a name of letters, digits, '-', '_', '+' and '.'.
// Anything else (spaces, a fourth part, an empty part) is Err::BadArg
// (a bad port number is Err::BadPort), so that no address can smuggle a
// second word into a ctl message.
Result<Addr> parse_addr(std::string_view addr);

// An address taken apart and made ready for a ctl message.
struct Target {
  std::string netdir;  // "/net"
  std::string proto;   // "tcp"
  std::string host;    // as given
  std::string ip;      // resolved: "10.0.0.2", "2001:db8::1", "*" or "" (no host)
  std::string port;    // "80", "*" or "" (no service: icmp)
};
Result<Target> parse_target(std::string_view addr, std::string_view netdir = "");

// A conversation: its directory and open files (-1 where not open).
struct Conn {
  std::string dir;  // "/net/tcp/4"
  int ctl = -1;
  int data = -1;
  Fs* fs = nullptr;
  // Closes what is open (the last close hangs up, or sends FIN for tcp).
  void close();
  // The data file through fs: one read (0 at the end of the stream), and
  // a write of all of `d` (in as many writes as fs needs).
  Result<size_t> read(std::span<uint8_t> buf);
  Status write(std::span<const uint8_t> d);
  Status write(std::string_view s) {
    return write({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
  }
};

// Connects: clone, "connect ip!port [lport]", then data. `local` is a
// local port (or "" for one the stack picks). The ctl stays open in
// Conn::ctl (close it to let the conversation go when data is closed).
Result<Conn> dial(std::string_view addr, std::string_view local = "", Fs& fs = default_fs());
// Announces: clone, "announce [ip!]port|*". Returns the ctl open; data is -1.
Result<Conn> announce(std::string_view addr, Fs& fs = default_fs());
// Waits for a call on an announced conversation (opens dir/listen):
// returns the new conversation's ctl and dir.
Result<Conn> listen(std::string_view dir, Fs& fs = default_fs());
// Takes a call: "accept N" (ignored by networks that need none, as IP's),
// then opens dir/data.
Result<int> accept(int ctl, std::string_view dir, Fs& fs = default_fs());
// Refuses a call: "reject N cause"; networks without it (IP) are hung up.
Status reject(int ctl, std::string_view dir, std::string_view cause, Fs& fs = default_fs());
// "hangup" on a ctl.
Status hangup(int ctl, Fs& fs = default_fs());

// Plan 9's NetConnInfo, from a conversation's local and remote files.
struct NetConnInfo {
  std::string dir;   // /net/tcp/4
  std::string root;  // /net
  std::string spec;  // Plan 9's device spec (#I0); empty: a mount does not tell
  std::string lsys, lserv, rsys, rserv;
  std::string laddr;  // tcp!10.0.0.1!5000
  std::string raddr;  // tcp!10.0.0.2!80
};
// From a directory, or (dir empty) from the path of the file handle fd
// has open (Fs::path).
Result<NetConnInfo> getnetconninfo(std::string_view dir, int fd = -1, Fs& fs = default_fs());

// The announce/listen/accept loop of a server, once: announces addr, then
// for each call listens, accepts and runs `handler` with the call (its ctl
// and data open, dir named), closing the call when handler returns.
//
//   dial::serve("tcp!*!7", [](dial::Conn& c) {       // an echo server
//     uint8_t b[8192];
//     while (auto n = c.read(b)) if (!*n || !c.write({b, *n})) break;
//   });
struct ServeOptions {
  // Each call on a thread of its own, as a Plan 9 listener forks; false:
  // one call at a time on the caller's thread.
  bool threads = true;
  // Return after this many calls (their handlers done); 0: never.
  uint64_t max_calls = 0;
  // Once, after the announce (a server's banner; the announced
  // conversation, whose dir a handler may listen on for more calls).
  std::function<void(const Conn& announced)> announced;
  // A call that came but could not be accepted; serving goes on.
  std::function<void(const Error&)> refused;
};
using CallHandler = std::function<void(Conn& call)>;
// Returns the error of an announce or a listen (the loop ends there, once
// the running handlers are done), or {} after max_calls calls.
Status serve(std::string_view addr, CallHandler handler, const ServeOptions& opt = {},
             Fs& fs = default_fs());

}  // namespace ninet::dial
