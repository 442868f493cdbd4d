// ctld.h — the test control daemon of pipex's end-to-end tests
// (tests/pipex/e2e.sh): one ninet stack in this process, whose pipex carries
// the sessions that real Linux clients (pppd with rp-pppoe, xl2tpd, pptp) in
// the peers VM bring up against it. ctld answers just enough of each tunnel's
// control protocol (pppoe.cc, l2tp.cc, pptp.cc) and of PPP (ppp.h) to
// register a session (PIPEXASESSION), then leaves the session's IP to pipex,
// prints its statistics when it ends, and closes the sessions that pipex's
// idle timer puts on the closed list (PIPEXGCLOSED). A test tool, not the
// product daemon (which comes in a later issue).
//
// Output, one line per event, for the test to grep:
//   up pppoe 1 ppp 1 addr 10.64.0.2 mppe 1
//   idle pppoe 1 ppp 1
//   down pppoe 1 ppp 1 (peer terminated) ipackets 52 ierrors 0 ibytes 1004432 opackets 40 ...
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/ipaddr.h"
#include "crypto/libcrypto.h"
#include "ns/stack_tree.h"
#include "pipex/pipex.h"
#include "ppp.h"
#include "stack/stack.h"

namespace ninet::ctld {

struct Options {
  std::string config;       // ninetd configuration of the stack (bind pipex among it)
  std::string pppoe_dev;    // serve PPPoE on this Ethernet device ("" none)
  bool l2tp = false;        // serve L2TP on udp!*!1701
  bool pptp = false;        // serve PPTP on tcp!*!1723
  uint32_t ours = 0;        // our IPCP address (host order)
  uint32_t first_addr = 0;  // the first session's framed address; the next get +1
  bool allow_mppe = true;
  uint16_t timeout = 0;  // pr_timeout_sec of sessions registered from now on
  std::string commands;  // a FIFO of commands: "timeout N", "stats"
};

// One session, of any tunnel.
struct Session {
  int protocol = 0;  // PIPEX_PROTO_*
  uint16_t id = 0, peer_id = 0;
  int ppp_id = 0;
  uint32_t addr = 0;  // framed address
  std::unique_ptr<PppServer> ppp;
  bool registered = false;
  // The tunnel's part of the request (peer, local, ids, sequence numbers).
  pipex_session_req tunnel{};
};

class Daemon;

// A tunnel protocol's server: control messages and the session's PPP frames
// that pipex leaves to the daemon.
class Tunnel {
 public:
  virtual ~Tunnel() = default;
  virtual const char* name() const = 0;
  // Sends one PPP frame of s (protocol and information). Under Daemon::mu.
  virtual void send_ppp(Session& s, uint16_t protocol, const Bytes& info) = 0;
  // The session ended (PPP died or idled out): tell the peer. Under Daemon::mu.
  virtual void closed(Session& s) {}
  // Fills the request's tunnel fields just before registration. Under Daemon::mu.
  virtual void fill(Session& s, pipex_session_req& r) {}
  virtual void stop() = 0;
};

class Daemon {
 public:
  explicit Daemon(Options o);
  ~Daemon();
  Status start();  // the stack, the tunnels' threads
  void run();      // ticks and commands until SIGTERM/SIGINT
  void log(const std::string& line);

  // For the tunnels: under mu.
  std::mutex mu;
  Session* new_session(Tunnel& t, int protocol, uint16_t id);
  Session* find(int protocol, uint16_t id);
  // A PPP frame of s arrived; registers s once PPP is up, closes it once dead.
  void ppp_input(Tunnel& t, Session& s, uint16_t protocol, std::span<const uint8_t> info);
  // Ends s: PIPEXDSESSION (its statistics printed), tunnel told, s freed.
  void close(Tunnel& t, Session& s, const std::string& why);

  Stack& stack() { return *stack_; }
  ns::StackTree& tree() { return *tree_; }
  const Options& options() const { return opt_; }
  int pppac() const { return pppac_; }

 private:
  void after_input(Tunnel& t, Session& s);
  void register_session(Tunnel& t, Session& s);
  void tick();
  void command(const std::string& line);
  std::string stats_text(const pipex_statistics& st) const;
  Tunnel* tunnel_of(const Session& s);

  Options opt_;
  std::shared_ptr<const crypto::Libcrypto> lib_;
  std::unique_ptr<Stack> stack_;
  std::unique_ptr<ns::StackTree> tree_;
  int pppac_ = -1;
  int next_ppp_id_ = 1;
  uint32_t next_addr_ = 0;
  std::map<uint32_t, std::unique_ptr<Session>> sessions_;  // protocol << 16 | id
  std::map<int, Tunnel*> tunnel_by_proto_;
  std::vector<std::unique_ptr<Tunnel>> tunnels_;
};

// The tunnels (each file's thread starts in its make_).
Result<std::unique_ptr<Tunnel>> make_pppoe(Daemon& d, const std::string& dev);
Result<std::unique_ptr<Tunnel>> make_l2tp(Daemon& d);
Result<std::unique_ptr<Tunnel>> make_pptp(Daemon& d);

}  // namespace ninet::ctld
