// dial.h — Plan 9's dial(2) over a ninet tree: make and take calls with
// the files of ip(3) (clone, ctl, data, listen, local, remote, err), so a
// program gets descriptors it reads and writes like sockets.
//
//   auto c = dial::dial("tcp!10.0.0.2!80");            // under /net
//   if (!c) die(c.error().text());                     // "connection refused"
//   write(c->data, req, n); ...; c->close();
//
//   auto a = dial::announce("udp!*!7");                // a->dir is /net/udp/N
//   auto l = dial::listen(a->dir);                     // blocks for a call
//   int fd = *dial::accept(l->ctl, l->dir);            // its data
//   auto info = dial::getnetconninfo(l->dir);          // rsys, rserv, ...
//
// Addresses are net!host!service (netmkaddr fills in what is missing).
// `net` is a protocol directory (tcp, udp, icmp, ...) or "net" (tcp); a
// leading path names another tree ("/net.alt/tcp!..."), else dial uses
// the default, /net or $NINET_NET. host is an IPv4 or IPv6 address, "*"
// (announce: any address), or a name the host's resolver knows
// (getaddrinfo; tests use addresses only). service is a port number or a
// name from /etc/services.
//
// Every call goes through a Fs: PosixFs (the default: the tree as mounted,
// FUSE or v9fs; handles are file descriptors) or another (a 9P client, an
// in-process tree) that implements the four calls. Errors carry the tree's
// own text: a refused ctl write is reported with what the conversation's
// err file says.
#pragma once

#include <cstdint>
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
};

// The tree as the kernel shows it (open(2) etc.; EINTR is retried).
Fs& posix_fs();

// /net, or $NINET_NET when set.
std::string default_netdir();

// Plan 9's netmkaddr: "host" -> defnet!host[!defservice]; "net!host" ->
// net!host[!defservice]; three parts (or "/path/net!...") are kept.
std::string netmkaddr(std::string_view addr, std::string_view defnet = "net",
                      std::string_view defservice = "");

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
};

// Connects: clone, "connect ip!port [lport]", then data. `local` is a
// local port (or "" for one the stack picks). The ctl stays open in
// Conn::ctl (close it to let the conversation go when data is closed).
Result<Conn> dial(std::string_view addr, std::string_view local = "", Fs& fs = posix_fs());
// Announces: clone, "announce [ip!]port|*". Returns the ctl open; data is -1.
Result<Conn> announce(std::string_view addr, Fs& fs = posix_fs());
// Waits for a call on an announced conversation (opens dir/listen):
// returns the new conversation's ctl and dir.
Result<Conn> listen(std::string_view dir, Fs& fs = posix_fs());
// Takes a call: "accept N" (ignored by networks that need none, as IP's),
// then opens dir/data.
Result<int> accept(int ctl, std::string_view dir, Fs& fs = posix_fs());
// Refuses a call: "reject N cause"; networks without it (IP) are hung up.
Status reject(int ctl, std::string_view dir, std::string_view cause, Fs& fs = posix_fs());
// "hangup" on a ctl.
Status hangup(int ctl, Fs& fs = posix_fs());

// Plan 9's NetConnInfo, from a conversation's local and remote files.
struct NetConnInfo {
  std::string dir;   // /net/tcp/4
  std::string root;  // /net
  std::string spec;  // Plan 9's device spec (#I0); empty: a mount does not tell
  std::string lsys, lserv, rsys, rserv;
  std::string laddr;  // tcp!10.0.0.1!5000
  std::string raddr;  // tcp!10.0.0.2!80
};
// From a directory, or (dir empty) from the file a descriptor has open
// (posix_fs only: /proc/self/fd).
Result<NetConnInfo> getnetconninfo(std::string_view dir, int fd = -1, Fs& fs = posix_fs());

}  // namespace ninet::dial
