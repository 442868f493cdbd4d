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
#include <unordered_set>
#include <vector>

#include "base/clock.h"
#include "base/ipaddr.h"
#include "base/timer.h"
#include "buf/block.h"
#include "crypto/mppe.h"
#include "ip/hooks.h"
#include "media/medium.h"
#include "pipex/flat4.h"
#include "pipex/pipex.h"

namespace ninet {
class Ip;
class Ifc;
struct IpRx;
}  // namespace ninet

namespace ninet::pipex {

class Pipex;

enum class State { kOpened, kCloseWait, kCloseWait2 };

struct Stats {
  uint64_t ipackets = 0, ierrors = 0, ibytes = 0;
  uint64_t opackets = 0, oerrors = 0, obytes = 0;
};

// What the data path drops outside any session's statistics, by cause: a
// malformed tunnel header, a session id nobody registered, a packet from a
// peer other than the session's (these three are left to the daemon's path
// unclaimed, and counted), and output with no session for its destination.
#define NINET_PIPEX_COUNTERS(X) \
  X(InNoSession)                \
  X(InWrongPeer)                \
  X(InMalformed)                \
  X(InSeqDrops)                 \
  X(InDisabled)                 \
  X(OutNoSession)               \
  X(OutDisabled)                \
  X(OutNoTunnel)                \
  X(CcpResetRequests)           \
  X(CcpResetAcks)

struct Counters {
#define X(name) uint64_t name = 0;
  NINET_PIPEX_COUNTERS(X)
#undef X
};

// One registered session: the request's configuration and what the fast
// path keeps.
struct Session {
  Session(TimerWheel& w, Pipex& px);  // the timer calls px.on_timer
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // ---- Hot: what a packet's path reads and writes, in the first four
  // cache lines (a random session of many costs a miss per line) ----
  int protocol = 0;  // PIPEX_PROTO_*
  uint16_t id = 0, peer_id = 0;
  uint32_t ppp_flags = 0;
  int ifc = -1;       // the interface whose routes reach the session (pppac or its pppx)
  int over_ifc = -1;  // PPPoE: the Ethernet interface
  uint16_t peer_mru = 0;
  uint16_t peer_port = 0, local_port = 0;
  bool ip_forward = true;
  int8_t ccp_id = 0;
  uint8_t peer_mac[6] = {};  // PPPoE: the peer (from pr_peer_address, AF_UNSPEC + MAC)
  // Sequenced packets the fast path sent and took (L2TP with sequencing,
  // PPTP): the daemon's share of the sequence space is the rest (NOTES.md).
  uint32_t fp_sent = 0, fp_recv = 0;
  Ipaddr peer, local;   // tunnel endpoints (L2TP, PPTP); v4-mapped for IPv4
  Ipaddr addr4, mask4;  // framed address (masked) and netmask; addr4 zero: none
  Ipaddr addr6;         // framed IPv6 prefix (masked); zero: none
  int prefix6 = 0;
  decltype(pipex_session_req::pr_proto) proto{};  // PPTP/L2TP sequence state
  Time last_active = 0;
  // MPPE per direction (PIPEX_PPP_MPPE_ACCEPTED: receive, _ENABLED: send),
  // behind pointers: 120 bytes each that most sessions do without.
  std::unique_ptr<crypto::Mppe> mppe_rx, mppe_tx;
  Stats stats;

  // ---- Cold: configuration and the control path's state ----
  int ppp_id = 0;
  uint16_t timeout_sec = 0;
  int ctl_ifc = -1;           // the interface the request was made on (pppac, or the pppx device)
  bool own_ifc = false;       // pppx: ifc was made for this session and goes with it
  bool route_added = false;   // attach() put a route to addr4/mask4 through ifc
  bool route_added6 = false;  // and one to addr6/prefix6
  uint32_t ifc_slot = 0;      // its place in Pipex's list of ifc's sessions
  Ipaddr src4;                // pr_ip_srcaddr
  struct pipex_mppe_req mppe_recv {
  }, mppe_send{};
  std::string descr;
  State state = State::kOpened;
  Time close_wait_since = 0;
  Timer timer;                               // idle timeout, then the end of close-wait
  std::list<Session*>::iterator closed_pos;  // on the closed list while kCloseWait

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
  // The session whose framed IPv6 prefix holds a, or nullptr.
  Session* find_v6(const Ipaddr& a) const;

  // ---- The data path (datapath.cc) ----
  // `bind pipex`: the medium of an interface that serves sessions
  // (pppac-style): what IP routes to it goes to the session of the packet's
  // destination, encapsulated. Multicast goes to every session of the
  // interface.
  std::unique_ptr<Medium> make_medium();
  // `bind pppx`: a pppx device. Each session added on it gets an interface
  // of its own (bound to a pipex medium, numbered as ipifc clones are, with
  // the session's addresses as a point-to-point pair), freed with the
  // session.
  std::unique_ptr<Medium> make_pppx_medium();
  Counters counters;
  // `Name: value` lines of counters.
  std::string counters_text() const;

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
  static bool is_pppx(const Ifc& f);
  // pppx: the session's own interface; its number, or -1.
  int make_session_ifc(const Session& s);
  void drop_session_ifc(int ifc);
  // Frees the sessions of interface ifc (and, with over_too, PPPoE sessions
  // over it).
  void remove_sessions(int ifc, bool over_too);
  void on_timer(Session& s, Time now);
  void to_close_wait(Session& s, Time now);
  void fill_stats(const Session& s, pipex_statistics& out) const;
  static uint32_t key(int protocol, uint16_t id) { return uint32_t(protocol) << 16 | id; }

  // Data path (datapath.cc).
  struct Hook : InputHook {
    Pipex& px;
    int protocol;
    Hook(Pipex& px, int protocol) : px(px), protocol(protocol) {}
    bool claim(const HookIn& in, BlockPtr& b) override;
    void conv_closed(Conv& c) override;
    void conv_output(Conv& c, const Ipaddr& dst, uint16_t dport,
                     std::span<uint8_t> payload) override;
  };
  friend struct Hook;
  friend class SessionMedium;
  bool claim_pppoe(const HookIn& in, BlockPtr& b);
  // The session of a PPTP or L2TP frame from in's source, or nullptr
  // (counted: no such session, or another peer).
  Session* tunnel_session(int protocol, uint16_t id, const HookIn& in);
  bool claim_pptp(const HookIn& in, BlockPtr& b);
  bool claim_l2tp(const HookIn& in, BlockPtr& b);
  // The PPP frame at b[off, off+len) of session s: true when the fast path
  // took it (delivered or counted as dropped), false to leave b unchanged for
  // the daemon.
  bool ppp_input(Session& s, BlockPtr& b, size_t off, size_t len);
  void ip_input(Session& s, BlockPtr b, bool v6);
  // An IP packet (b at its header) from interface ifc's medium.
  void output(int ifc, BlockPtr b);
  void ip_output(Session& s, BlockPtr b, bool v6);
  // b holds the PPP information of protocol proto; adds PPP and the tunnel.
  void ppp_output(Session& s, BlockPtr b, uint16_t proto);
  void ccp_output(Session& s, uint8_t code, uint8_t id);
  void pptp_ack(Session& s);
  // b (the tunnel's header onwards) in an IP packet from local to peer.
  Status tunnel_send(const Session& s, BlockPtr b);
  // The daemon's L2TP data or PPTP GRE to the peer: into the shared sequence.
  void daemon_output(int protocol, const Ipaddr& dst, std::span<uint8_t> p);
  // Sessions by what the daemon's output names: the peer and its ids.
  struct PeerKey {
    Ipaddr peer;
    uint32_t ids;  // L2TP: peer tunnel id << 16 | peer session id; PPTP: peer call id
    int protocol;
    bool operator==(const PeerKey&) const = default;
  };
  struct PeerKeyHash {
    size_t operator()(const PeerKey& k) const {
      return IpaddrHash()(k.peer) ^ (size_t(k.ids) * 0x9e3779b97f4a7c15ull) ^ size_t(k.protocol);
    }
  };
  static PeerKey peer_key(const Session& s);
  // Session setup and teardown in the data path: MPPE contexts, the route,
  // the input hooks of its protocol.
  int attach(Session& s);
  void detach(Session& s);
  void hook_l2tp_conv(const Session& s);
  void hook_gre_conv(const Session& s);
  void unhook_convs(std::string_view proto, Hook* h);  // h off every conversation of proto
  void unhook_all();                                   // ~Pipex: the hooks point into this object

  Ip& ip_;
  std::shared_ptr<const crypto::Libcrypto> crypto_;
  Hook pppoe_hook_{*this, PIPEX_PROTO_PPPOE}, pptp_hook_{*this, PIPEX_PROTO_PPTP},
      l2tp_hook_{*this, PIPEX_PROTO_L2TP};
  size_t count_[4] = {};  // sessions per PIPEX_PROTO_* (1 to 3)
  std::unordered_map<PeerKey, Session*, PeerKeyHash> by_peer_;  // sequenced sessions
  std::unordered_set<uint16_t> l2tp_ports_;                     // local ports hooked for L2TP
  std::unordered_set<Ipaddr, IpaddrHash> gre_peers_;            // peers whose gre convs are hooked
  std::unordered_map<Ipaddr, Session*, IpaddrHash> by_addr6_;   // framed prefix (masked)
  std::map<int, int> prefix_lens6_;                             // prefix lengths in use: count
  std::unordered_map<int, bool> mode_;                          // interfaces in pipex mode
  std::unordered_map<uint32_t, std::unique_ptr<Session>> by_id_;  // owns them
  // The sessions each interface reaches (Session::ifc), for multicast
  // copies: one for a pppx session's own interface, all of a pppac's.
  std::unordered_map<int, std::vector<Session*>> by_ifc_;
  // The data path's lookups, one probe each (BENCHMARKS.md section 9): by
  // id, an array of 65,536 per protocol (made on its first session), and by
  // framed network address (host order).
  std::vector<Session*> ids_[4];
  Flat4<Session> by_addr4_;
  std::map<int, int> mask_lens_;  // framed netmask lengths in use: count
  std::list<Session*> closed_;    // close-wait, not yet listed
};

}  // namespace ninet::pipex
