// server.h — NinepServer: serves an ns::Tree over 9P2000 (intro(5)) and
// 9P2000.u, the Plan 9 way to import a stack's /net from another process or
// machine.
//
//   NinepServer srv(tree);
//   if (auto st = srv.listen("unix!/run/ninet0"); !st) die(st.error().text());
//   if (auto st = srv.listen("tcp!127.0.0.1!564"); !st) ...   // loopback only
//   srv.serve(fd);          // or one already-connected socket (socketpair)
//   ...
//   srv.stop();             // also done by the destructor
//
// One thread reads each connection; requests that may block in the tree
// (Topen, and Tread/Twrite of an open file) run on workers of that
// connection, so a blocked read of `data` never holds up a Twalk or a ctl
// write on the same connection. Tflush interrupts the flushed request
// (Handle::interrupt), whose reply goes out before the Rflush; an open that
// the tree cannot interrupt (`listen`) is answered Rflush at once and its
// result is dropped (and a blocked `listen` open is cancelled). Tauth,
// Tcreate and Tremove are refused; Twstat truncates to length 0, changes a
// conversation's mode or owner (as the tree allows) and ignores times.
// Errors are Rerror with Error::text(), and with 9P2000.u also its errno, so
// that Linux's v9fs shows EINVAL or EACCES instead of "Unknown error 526".
//
// Who: every fid carries the user of its attach — the uname, or with
// 9P2000.u and an empty uname (Linux v9fs, one attach per local user) the
// name this host gives n_uname — and the tree decides what that user may do.
// There is no authentication: the name is believed, so serve only where
// every client may act as anyone (a Unix socket's permissions, loopback, a
// network namespace of one's own). Over 9P nobody is privileged; the
// stack's owner is whoever attaches with its name.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/error.h"
#include "ns/tree.h"
#include "ns/users.h"

namespace ninet {

class NinepServer {
 public:
  struct Options {
    uint32_t max_msize = 256 * 1024 + 24;  // largest message; clients may ask less
    unsigned max_workers = 256;            // per connection; more requests queue
  };

  explicit NinepServer(ns::Tree& tree) : NinepServer(tree, Options{}) {}
  NinepServer(ns::Tree& tree, Options opt);
  ~NinepServer();
  NinepServer(const NinepServer&) = delete;
  NinepServer& operator=(const NinepServer&) = delete;

  // Listens at "unix!PATH" (a stale socket file there is replaced) or
  // "tcp!HOST!PORT" with HOST 127.0.0.1, localhost or ::1 (port 0: any; see
  // tcp_port()); `remote` allows any other HOST too (no authentication: see
  // above). May be called more than once.
  Status listen(std::string_view addr, bool remote = false);
  // The port of the last TCP listen.
  uint16_t tcp_port() const { return tcp_port_; }
  // Serves one connected stream socket (takes it; closed when done).
  void serve(int fd);
  // Stops listening, ends every connection (interrupting their calls) and
  // waits for their threads. Idempotent.
  void stop();

  struct Conn;  // one connection (server.cc)

 private:
  void accept_loop(int lfd);
  void run_conn(std::shared_ptr<Conn> c);

  ns::Tree& tree_;
  Options opt_;
  ns::UserIds users_;
  uint16_t tcp_port_ = 0;
  int stop_fd_ = -1;  // an eventfd that wakes the accept loops

  std::mutex mu_;
  bool stopping_ = false;
  std::vector<std::thread> acceptors_;
  std::vector<int> listen_fds_;
  std::vector<std::string> unix_paths_;
  std::vector<std::shared_ptr<Conn>> conns_;  // ended ones are reaped by serve()
};

}  // namespace ninet
