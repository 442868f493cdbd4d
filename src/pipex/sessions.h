// sessions.h — pipex's session table and its request interface (pipex.h, the
// page's ioctls): what a PPP daemon registers, what the stack keeps of each
// session, the per-interface mode, the idle timer, the close-wait list and
// the statistics. The data path (decapsulation and encapsulation for L2TP,
// PPTP and PPPoE) works on the Sessions found here.
//
//   pipex::Pipex px(ip);                         // one per stack, under ip.mu
//   px.enabled = true;                           // net.pipex.enable=1
//   int one = 1;
//   px.ioctl(ifc, PIPEXSMODE, &one);              // this interface serves sessions
//   px.ioctl(ifc, PIPEXASESSION, &req);           // 0, or the errno OpenBSD gives
//   Session* s = px.find(PIPEX_PROTO_L2TP, 7);    // the data path's lookups
//   Session* t = px.find_v4(dst);                 // by framed address
//
// Errors are those of the real system (NOTES.md): an unknown request
// ENOTTY; an unknown session EINVAL; adding while the interface's mode is 0
// ENXIO, an existing (protocol, id) EEXIST, a framed address in use
// EADDRINUSE, an unknown protocol EPROTONOSUPPORT, a bad peer or local
// address, an MPPE flag set without its prerequisites or a key length other
// than 40, 56 or 128 bits, or a framed netmask that is not contiguous
// EINVAL; a PPPoE session over an interface that is
// not an Ethernet one of this stack EINVAL.
//
// Idle timer and close-wait (NOTES.md). An OPENED session with a timeout
// notes the time of its last "active" packet (the data path calls
// active()); one Timer per session fires when the timeout could have
// passed, and files itself again at last-active + timeout if traffic came
// meanwhile, so traffic costs a store per packet and an idle session one
// timer event per timeout, not a tick per second per session. At the
// timeout the session goes to close-wait (it still forwards) and onto the
// closed list, from which PIPEXGCLOSED takes up to 128 PPP ids at a time
// (PIPEX_LISTREQ_MORE when more remain); 30 s after close-wait began the
// session is freed, whether or not the daemon asked.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "base/clock.h"
#include "base/ipaddr.h"
#include "base/timer.h"
#include "pipex/pipex.h"

namespace ninet {
class Ip;
class Ifc;
}  // namespace ninet

namespace ninet::pipex {

class Pipex;

enum class State { kOpened, kCloseWait, kCloseWait2 };

struct Stats {
  uint64_t ipackets = 0, ierrors = 0, ibytes = 0;
  uint64_t opackets = 0, oerrors = 0, obytes = 0;
};

// One registered session: the request's configuration and what the fast
// path keeps.
struct Session {
  Session(TimerWheel& w, Pipex& px);  // the timer calls px.on_timer
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  int protocol = 0;  // PIPEX_PROTO_*
  uint16_t id = 0, peer_id = 0;
  uint32_t ppp_flags = 0;
  int8_t ccp_id = 0;
  int ppp_id = 0;
  uint16_t peer_mru = 0;
  uint16_t timeout_sec = 0;
  Ipaddr src4;          // pr_ip_srcaddr
  Ipaddr addr4, mask4;  // framed address (masked) and netmask; addr4 zero: none
  Ipaddr addr6;         // framed IPv6 prefix (masked); zero: none
  int prefix6 = 0;
  Ipaddr peer, local;  // tunnel endpoints (L2TP, PPTP); v4-mapped for IPv4
  uint16_t peer_port = 0, local_port = 0;
  int ifc = -1;              // the interface the session belongs to (pppac or its pppx)
  int over_ifc = -1;         // PPPoE: the Ethernet interface
  uint8_t peer_mac[6] = {};  // PPPoE: the peer (from pr_peer_address, AF_UNSPEC + MAC)
  struct pipex_mppe_req mppe_recv {
  }, mppe_send{};
  decltype(pipex_session_req::pr_proto) proto{};  // PPTP/L2TP sequence state
  bool ip_forward = true;
  std::string descr;

  State state = State::kOpened;
  Time last_active = 0;
  Time close_wait_since = 0;
  Timer timer;                               // idle timeout, then the end of close-wait
  std::list<Session*>::iterator closed_pos;  // on the closed list while kCloseWait
  Stats stats;

  uint32_t idle_seconds(Time now) const { return uint32_t((now - last_active) / 1000000000); }
};

class Pipex {
 public:
  static constexpr Time kCloseWaitTime = Time(30) * 1000000000;  // OpenBSD's PIPEX_CLOSE_TIMEOUT

  explicit Pipex(Ip& ip);
  ~Pipex();
  Pipex(const Pipex&) = delete;
  Pipex& operator=(const Pipex&) = delete;

  // net.pipex.enable: gates the data path's hooks (default off).
  bool enabled = false;

  // A request of pipex.h on interface f; 0 or an errno. Under ip.mu.
  int ioctl(Ifc& f, unsigned long cmd, void* arg);

  // The interface's mode (PIPEXGMODE): 1 if it serves sessions.
  bool mode(int ifc) const;
  Session* find(int protocol, uint16_t id) const;
  // The session whose framed IPv4 network holds a (exact framed address for
  // a /32), or nullptr.
  Session* find_v4(const Ipaddr& a) const;
  size_t size() const { return by_id_.size(); }
  // Every session, in no particular order (the tree's sessions/ listing).
  template <typename F>
  void for_each(F&& fn) const {
    for (const auto& [k, s] : by_id_)
      fn(*s);
  }
  size_t closed_size() const { return closed_.size(); }

  // The data path saw an active packet for s (idle timer).
  void active(Session& s, Time now) { s.last_active = now; }
  // Interface ifc went away (unbound): frees every session on it or, for
  // PPPoE, over it, and forgets its mode.
  void remove_ifc(int ifc);

 private:
  friend struct Session;
  int add(Ifc& f, const pipex_session_req& r);
  int remove(const pipex_session_stat_req& r, pipex_session_stat_req* out);
  void free_session(Session* s);
  // Frees the sessions of interface ifc (and, with over_too, PPPoE sessions
  // over it).
  void remove_sessions(int ifc, bool over_too);
  void on_timer(Session& s, Time now);
  void to_close_wait(Session& s, Time now);
  void fill_stats(const Session& s, pipex_statistics& out) const;
  static uint32_t key(int protocol, uint16_t id) { return uint32_t(protocol) << 16 | id; }

  Ip& ip_;
  std::unordered_map<int, bool> mode_;  // interfaces in pipex mode
  std::unordered_map<uint32_t, std::unique_ptr<Session>> by_id_;
  std::unordered_map<uint32_t, Session*> by_addr4_;  // framed network address (host order)
  std::map<int, int> mask_lens_;                     // framed netmask lengths in use: count
  std::list<Session*> closed_;                       // close-wait, not yet listed
};

}  // namespace ninet::pipex
