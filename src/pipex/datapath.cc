// datapath.cc — pipex's fast path: the input hooks that take a registered
// session's IP traffic out of its tunnel (PPPoE session frames, PPTP's
// enhanced GRE, L2TP data on the daemon's UDP conversation) and hand it to IP
// as input of the session's interface, and the medium of that interface
// (`bind pipex`), which puts what IP routes to a session into its tunnel.
//
// Input, per frame (NOTES.md, "What the fast path claims"):
//   tunnel header -> session by (protocol, id) -> the registered peer?
//   -> PPP header (ACF, PFC as negotiated) -> IP, IPv6, MPPE or a CCP reset?
//   -> decrypt -> ip_forward, ingress filter, MSS clamp -> ip.inject
// A frame is claimed only once it is known to be the fast path's: a session
// id nobody registered, another peer, or a PPP protocol the fast path does not
// carry (LCP, IPCP, CCP's negotiation) leaves the block untouched for the
// daemon's path (the UDP conversation, the gre directory), counted where it is
// an error. A frame of a session that is malformed, out of sequence or cannot
// be decrypted is the session's ierrors.
//
// Output: PipexMedium::send gets IP packets that routes sent to the
// interface; each goes to the session of its destination (framed IPv4
// network or IPv6 prefix), is clamped, encrypted, given PPP and the tunnel's
// header, and is sent: PPPoE as a frame on the Ethernet interface beneath,
// PPTP and L2TP as IP packets through Ip::send (which routes them to the
// peer). Sequence numbers continue the daemon's (the request's values).
#include <algorithm>
#include <cstring>
#include <optional>

#include "base/endian.h"
#include "ip/conv.h"
#include "ip/ifc.h"
#include "ip/ip.h"
#include "pipex/idle.h"
#include "pipex/mss.h"
#include "pipex/sessions.h"
#include "wire/ether.h"
#include "wire/gre.h"
#include "wire/ip4.h"
#include "wire/ip6.h"
#include "wire/l2tp.h"
#include "wire/ppp.h"
#include "wire/pppoe.h"
#include "wire/udp.h"

namespace ninet::pipex {

namespace {

constexpr uint8_t kCcpResetRequest = 14, kCcpResetAck = 15;
constexpr uint16_t kEtherPppoeSession = 0x8864;
constexpr size_t kEtherMinFrame = 60;  // without the FCS
// Sequence numbers up to this far behind the next expected are late
// (reordered) packets and still delivered; further behind, dropped (NOTES.md).
constexpr int32_t kRewindLimit = 64;

// The framed netmask's length (mask4 holds the v4 value, contiguous).
int mask_len(const Session& s) {
  return __builtin_popcount(s.mask4.v4());
}

bool is_v6_ip(std::span<const uint8_t> p) {
  return !p.empty() && (p[0] >> 4) == 6;
}

}  // namespace

// ---- The medium of a pipex interface ----

class SessionMedium : public Medium {
 public:
  explicit SessionMedium(Pipex& px) : px_(px) { caps.receives = false; }
  std::string_view name() const override { return "pipex"; }
  int default_mtu() const override { return 1500; }
  size_t recv(Batch&, Pool&, size_t) override { return 0; }
  void attached(int ifc) override { ifc_ = ifc; }
  void send(Batch& batch) override {
    // Output may queue more on other interfaces; the interface's queue gets
    // the spare's capacity, so the next batch allocates nothing.
    Batch q;
    q.swap(spare_);
    q.swap(batch);
    for (BlockPtr& b : q) {
      stats_.out_packets++;
      stats_.out_bytes += b->size();
      px_.output(ifc_, std::move(b));
    }
    q.clear();
    spare_.swap(q);
  }

 private:
  Pipex& px_;
  int ifc_ = -1;
  Batch spare_;
};

std::unique_ptr<Medium> Pipex::make_medium() {
  return std::make_unique<SessionMedium>(*this);
}

// A pppx device: where sessions are added; it carries no packets itself.
class PppxDevice : public Medium {
 public:
  PppxDevice() { caps.receives = false; }
  std::string_view name() const override { return "pppx"; }
  int default_mtu() const override { return 1500; }
  size_t recv(Batch&, Pool&, size_t) override { return 0; }
  void send(Batch& batch) override {
    stats_.out_errors += batch.size();
    batch.clear();
  }
};

std::unique_ptr<Medium> Pipex::make_pppx_medium() {
  return std::make_unique<PppxDevice>();
}

bool Pipex::is_pppx(const Ifc& f) {
  return f.medium && f.medium->name() == "pppx";
}

namespace {
const char* proto_name(int protocol) {
  switch (protocol) {
    case PIPEX_PROTO_L2TP:
      return "l2tp";
    case PIPEX_PROTO_PPTP:
      return "pptp";
    default:
      return "pppoe";
  }
}
}  // namespace

int Pipex::make_session_ifc(const Session& s) {
  auto f = ip_.ifc_clone();
  if (!f) return -1;
  Ifc& g = **f;
  if (!ip_.ifc_ctl(g, "bind pipex")) {
    ip_.ifc_release(g);
    return -1;
  }
  // Its line in ipifc names the session: "pppx/l2tp.7".
  g.dev = std::string("pppx/") + proto_name(s.protocol) + "." + std::to_string(s.id);
  mode_[g.index] = true;
  // The session's addresses as a point-to-point pair: ours (pr_ip_srcaddr)
  // and the framed one, whose route then goes through this interface.
  if (!s.src4.is_zero() && !s.addr4.is_zero())
    (void)ip_.ifc_ctl(g, "add " + s.src4.str() + " 255.255.255.255 " + s.addr4.str());
  return g.index;
}

void Pipex::drop_session_ifc(int ifc) {
  Ifc* g = ip_.ifc(ifc);
  if (!g) return;
  (void)ip_.ifc_ctl(*g, "unbind");  // on_unbind: remove_ifc, which finds nothing left
  mode_.erase(ifc);
  ip_.ifc_release(*g);
}

std::string Pipex::counters_text() const {
  std::string s;
#define X(name) s += #name ": " + std::to_string(counters.name) + "\n";
  NINET_PIPEX_COUNTERS(X)
#undef X
  return s;
}

// ---- Session setup ----

int Pipex::attach(Session& s) {
  const uint32_t f = s.ppp_flags;
  if (f & (PIPEX_PPP_MPPE_ACCEPTED | PIPEX_PPP_MPPE_ENABLED)) {
    if (!crypto_) {
      auto lib = crypto::Libcrypto::open();
      if (!lib) return EOPNOTSUPP;  // no RC4 in this OpenSSL
      crypto_ = *lib;
    }
    auto make = [&](const pipex_mppe_req& m) {
      crypto::MppeConfig c;
      c.key_bits = m.keylenbits;
      c.stateless = m.stateless != 0;
      std::memcpy(c.master_key.data(), m.master_key, c.master_key.size());
      return crypto::Mppe::create(crypto_, c);
    };
    if (f & PIPEX_PPP_MPPE_ACCEPTED) {
      auto m = make(s.mppe_recv);
      if (!m) return EINVAL;
      s.mppe_rx = std::make_unique<crypto::Mppe>(std::move(*m));
    }
    if (f & PIPEX_PPP_MPPE_ENABLED) {
      auto m = make(s.mppe_send);
      if (!m) return EINVAL;
      s.mppe_tx = std::make_unique<crypto::Mppe>(std::move(*m));
    }
  }
  // The route to the framed network through the session's interface, unless
  // one through it covers the network already (the daemon's address pool).
  if (!s.addr4.is_zero()) {
    const Route* r = ip_.routes.lookup(s.addr4);
    const bool covered = r && r->ifc == s.ifc && r->mask.prefix_len(true) <= mask_len(s);
    if (!covered) {
      Route nr;
      nr.target = s.addr4;
      nr.mask = Ipaddr::mask_v4(mask_len(s));
      nr.gate = s.addr4;
      nr.flags = route::kV4 | route::kIfc;
      nr.tag = "ppp";
      nr.ifc = s.ifc;
      s.route_added = bool(ip_.routes.add(nr));
    }
  }
  if (s.prefix6) {
    const Route* r = ip_.routes.lookup(s.addr6);
    const bool covered = r && r->ifc == s.ifc && r->mask.prefix_len(false) <= s.prefix6;
    if (!covered) {
      Route nr;
      nr.target = s.addr6;
      nr.mask = Ipaddr::mask_v6(s.prefix6);
      nr.gate = s.addr6;
      nr.flags = route::kV6 | route::kIfc;
      nr.tag = "ppp";
      nr.ifc = s.ifc;
      s.route_added6 = bool(ip_.routes.add(nr));
    }
  }
  if (s.protocol == PIPEX_PROTO_PPTP ||
      (s.protocol == PIPEX_PROTO_L2TP && (s.proto.l2tp.option_flags & PIPEX_L2TP_USE_SEQUENCING)))
    by_peer_[peer_key(s)] = &s;
  if (count_[s.protocol]++ == 0) {
    if (s.protocol == PIPEX_PROTO_PPPOE) ip_.hooks.add_ether(kEtherPppoeSession, &pppoe_hook_);
    if (s.protocol == PIPEX_PROTO_PPTP) ip_.hooks.add_ipproto(47, &pptp_hook_);
  }
  if (s.protocol == PIPEX_PROTO_L2TP) hook_l2tp_conv(s);
  if (s.protocol == PIPEX_PROTO_PPTP) hook_gre_conv(s);
  return 0;
}

// L2TP data arrives on the daemon's UDP conversation, the one announced (or
// connected) on the request's local port, and the calls it made for peers:
// the hook goes on each of them once. Calls made later inherit it
// (Proto::new_call).
void Pipex::hook_l2tp_conv(const Session& s) {
  // Once per port: walking every conversation on each add would cost an add
  // time linear in the daemon's calls (10,000 LAC peers: 220 times slower,
  // bench/pipex_benchmark). A conversation closing forgets its port.
  if (l2tp_ports_.count(s.local_port)) return;
  Proto* udp = ip_.proto("udp");
  if (!udp) return;
  for (auto& c : udp->convs) {
    if (!c || !c->inuse || c->lport != s.local_port) continue;
    if (c->state != ConvState::kAnnounced && c->state != ConvState::kConnected) continue;
    if (!c->laddr.is_zero() && c->laddr != s.local) continue;
    if (std::none_of(c->hooks.begin(), c->hooks.end(),
                     [&](const ConvHook& h) { return h.hook == &l2tp_hook_; }))
      ip_.hooks.add_conv(*c, &l2tp_hook_);
    l2tp_ports_.insert(s.local_port);  // (none found: the next add looks again)
  }
}

// The daemon's non-session GRE (LCP, CCP) to a PPTP peer goes out through
// its gre conversation to that peer for PPP (eproto 880b): the hook goes on
// it for the daemon's output, whose sequence numbers the fast path shares.
void Pipex::hook_gre_conv(const Session& s) {
  if (gre_peers_.count(s.peer)) return;  // once per peer, as for L2TP's ports
  Proto* gre = ip_.proto("gre");
  if (!gre) return;
  for (auto& c : gre->convs) {
    if (!c || !c->inuse || c->state != ConvState::kConnected) continue;
    if (c->raddr != s.peer || c->rport != wire::gre::kPptpProtocol) continue;
    if (std::none_of(c->hooks.begin(), c->hooks.end(),
                     [&](const ConvHook& h) { return h.hook == &pptp_hook_; }))
      ip_.hooks.add_conv(*c, &pptp_hook_);
    gre_peers_.insert(s.peer);
  }
}

void Pipex::detach(Session& s) {
  if (s.route_added) (void)ip_.routes.remove(s.addr4, Ipaddr::mask_v4(mask_len(s)));
  if (s.route_added6) (void)ip_.routes.remove(s.addr6, Ipaddr::mask_v6(s.prefix6));
  s.route_added = s.route_added6 = false;
  if (auto it = by_peer_.find(peer_key(s)); it != by_peer_.end() && it->second == &s)
    by_peer_.erase(it);
  if (--count_[s.protocol] == 0) {
    if (s.protocol == PIPEX_PROTO_PPPOE) ip_.hooks.remove(&pppoe_hook_);
    if (s.protocol == PIPEX_PROTO_PPTP) {
      ip_.hooks.remove(&pptp_hook_);
      unhook_convs("gre", &pptp_hook_);
      gre_peers_.clear();
    }
    if (s.protocol == PIPEX_PROTO_L2TP) {
      unhook_convs("udp", &l2tp_hook_);
      l2tp_ports_.clear();
    }
  }
}

void Pipex::unhook_convs(std::string_view proto, Hook* h) {
  if (Proto* p = ip_.proto(proto))
    for (auto& c : p->convs)
      if (c) ip_.hooks.remove(h, c.get());
}

void Pipex::unhook_all() {
  ip_.hooks.remove(&pppoe_hook_);
  ip_.hooks.remove(&pptp_hook_);
  unhook_convs("udp", &l2tp_hook_);
  unhook_convs("gre", &pptp_hook_);
}

Pipex::PeerKey Pipex::peer_key(const Session& s) {
  const uint32_t ids = s.protocol == PIPEX_PROTO_L2TP
                           ? uint32_t(s.proto.l2tp.peer_tunnel_id) << 16 | s.peer_id
                           : s.peer_id;
  return PeerKey{s.peer, ids, s.protocol};
}

// ---- Sequence numbers shared with the daemon ----
//
// The wire carries one sequence space per direction; the fast path and the
// daemon each use part of it (NOTES.md). What the daemon sends takes the
// next number of the shared counter, and acknowledges what the wire has
// received. What the daemon receives is renumbered into its own share: the
// peer's numbers less the packets the fast path took (fp_recv), the peer's
// acknowledgements less the packets the fast path sent (fp_sent), so that
// the daemon sees an unbroken sequence of its own, as OpenBSD's pipex does.

void Pipex::Hook::conv_output(Conv& c, const Ipaddr& dst, uint16_t dport,
                              std::span<uint8_t> payload) {
  if (px.enabled) px.daemon_output(protocol, dst, payload);
}

void Pipex::daemon_output(int protocol, const Ipaddr& dst, std::span<uint8_t> p) {
  if (protocol == PIPEX_PROTO_L2TP) {
    auto l = wire::L2tpRepr::parse(p);
    if (!l || l->control || !l->has_seq) return;
    auto it = by_peer_.find(PeerKey{dst, uint32_t(l->tunnel_id) << 16 | l->session_id, protocol});
    if (it == by_peer_.end()) return;
    auto& st = it->second->proto.l2tp;
    uint8_t* q = p.data() + wire::l2tp::kMinHeader + (l->has_length ? 2 : 0);
    store16(q, uint16_t(st.ns_nxt++));
    store16(q + 2, uint16_t(st.nr_nxt));
    return;
  }
  if (protocol == PIPEX_PROTO_PPTP) {
    auto g = wire::GreRepr::parse(p);
    if (!g || g->version != wire::gre::kPptpVersion) return;
    auto it = by_peer_.find(PeerKey{dst, g->call_id, protocol});
    if (it == by_peer_.end()) return;
    auto& st = it->second->proto.pptp;
    uint8_t* q = p.data() + 8;
    if (g->seq) {
      store32(q, st.snd_nxt++);
      q += 4;
    }
    if (g->ack) {
      store32(q, st.rcv_nxt - 1);
      st.rcv_acked = st.rcv_nxt;
    }
  }
}

// ---- Input ----

void Pipex::Hook::conv_closed(Conv& c) {
  if (protocol == PIPEX_PROTO_L2TP) px.l2tp_ports_.erase(c.lport);
  if (protocol == PIPEX_PROTO_PPTP) px.gre_peers_.erase(c.raddr);
}

bool Pipex::Hook::claim(const HookIn& in, BlockPtr& b) {
  // PPTP's hook is on gre conversations for their output only; its input
  // is IP protocol 47's, before any conversation.
  if (protocol == PIPEX_PROTO_PPTP && in.conv) return false;
  if (!px.enabled) {
    px.counters.InDisabled++;
    return false;
  }
  switch (protocol) {
    case PIPEX_PROTO_PPPOE:
      return px.claim_pppoe(in, b);
    case PIPEX_PROTO_PPTP:
      return px.claim_pptp(in, b);
    default:
      return px.claim_l2tp(in, b);
  }
}

bool Pipex::claim_pppoe(const HookIn& in, BlockPtr& b) {
  auto e = wire::EtherRepr::parse(b->span());
  if (!e) return false;
  auto p = wire::PppoeRepr::parse(kEtherPppoeSession, b->span().subspan(wire::EtherRepr::kLen));
  if (!p || !p->session()) {
    counters.InMalformed++;
    return false;
  }
  Session* s = find(PIPEX_PROTO_PPPOE, p->session_id);
  if (!s) {
    counters.InNoSession++;
    return false;
  }
  if (s->over_ifc != in.ifc.index || std::memcmp(e->src.data(), s->peer_mac, 6) != 0) {
    counters.InWrongPeer++;
    return false;
  }
  const size_t off = wire::EtherRepr::kLen + wire::pppoe::kHeaderLen;
  return ppp_input(*s, b, off, p->payload.size());
}

Session* Pipex::tunnel_session(int protocol, uint16_t id, const HookIn& in) {
  Session* s = find(protocol, id);
  if (!s) {
    counters.InNoSession++;
    return nullptr;
  }
  if (!in.ip || in.ip->src != s->peer) {
    counters.InWrongPeer++;
    return nullptr;
  }
  return s;
}

bool Pipex::claim_pptp(const HookIn& in, BlockPtr& b) {
  auto g = wire::GreRepr::parse(b->span());
  if (!g || g->version != wire::gre::kPptpVersion || g->protocol != wire::gre::kPptpProtocol)
    return false;  // not PPTP's: the gre directory's
  Session* s = tunnel_session(PIPEX_PROTO_PPTP, g->call_id, in);
  if (!s) return false;
  auto& st = s->proto.pptp;
  // An acknowledgement is the fast path's to take in any packet of a
  // session: it frees our send window.
  if (g->ack && int32_t(*g->ack - st.snd_una) >= 0 && int32_t(*g->ack - st.snd_nxt) < 0)
    st.snd_una = *g->ack + 1;
  if (g->payload.empty()) {  // an acknowledgement only
    b.reset();
    return true;
  }
  if (g->seq) {
    const int32_t d = int32_t(*g->seq - st.rcv_nxt);
    if (d < -kRewindLimit) {
      s->stats.ierrors++;
      counters.InSeqDrops++;
      b.reset();
      return true;
    }
  }
  const size_t off = size_t(g->payload.data() - b->data());
  const bool took = ppp_input(*s, b, off, g->payload.size());
  if (g->seq && int32_t(*g->seq - st.rcv_nxt) >= 0) st.rcv_nxt = *g->seq + 1;
  if (took && g->seq) s->fp_recv++;
  if (!took) {  // the daemon's: into its share of the numbers
    uint8_t* q = b->data() + 8;
    if (g->seq) {
      store32(q, *g->seq - s->fp_recv);
      q += 4;
    }
    if (g->ack) store32(q, *g->ack - s->fp_sent);
  }
  // Acknowledge before the peer's window could fill: half of it unacked.
  const uint32_t win = st.maxwinsz > 0 ? uint32_t(st.maxwinsz) : 64;
  if (took && st.rcv_nxt - st.rcv_acked > win / 2) pptp_ack(*s);
  return took;
}

bool Pipex::claim_l2tp(const HookIn& in, BlockPtr& b) {
  auto l = wire::L2tpRepr::parse(b->span());
  if (!l) {
    counters.InMalformed++;
    return false;
  }
  if (l->control) return false;  // the daemon's
  Session* s = tunnel_session(PIPEX_PROTO_L2TP, l->session_id, in);
  if (!s) return false;
  auto& st = s->proto.l2tp;
  if (l->has_seq) {
    const int16_t d = int16_t(uint16_t(l->ns - uint16_t(st.nr_nxt)));
    if (d < -kRewindLimit) {
      s->stats.ierrors++;
      counters.InSeqDrops++;
      b.reset();
      return true;
    }
  }
  const size_t off = size_t(l->payload.data() - b->data());
  const bool took = ppp_input(*s, b, off, l->payload.size());
  if (l->has_seq) {
    if (int16_t(uint16_t(l->ns - uint16_t(st.nr_nxt))) >= 0) st.nr_nxt = uint16_t(l->ns + 1);
    st.ns_una = l->nr;
    if (took) {
      s->fp_recv++;
    } else {  // the daemon's: into its share of the numbers
      uint8_t* q = b->data() + wire::l2tp::kMinHeader + (l->has_length ? 2 : 0);
      store16(q, uint16_t(l->ns - s->fp_recv));
      store16(q + 2, uint16_t(l->nr - s->fp_sent));
    }
  }
  return took;
}

bool Pipex::ppp_input(Session& s, BlockPtr& b, size_t off, size_t len) {
  std::span<uint8_t> f = b->span().subspan(off, len);
  // The frame is the fast path's but goes no further: the session's error.
  auto drop = [&] {
    s.stats.ierrors++;
    b.reset();
    return true;
  };
  auto h = wire::PppRepr::parse(f);
  if (!h) return false;  // the daemon may make something of it
  const uint32_t flags = s.ppp_flags;
  switch (h->protocol) {
    case wire::ppp::kIp4:
    case wire::ppp::kIp6:
      break;
    case wire::ppp::kCompressed:
      if (!s.mppe_rx) return false;
      break;
    case wire::ppp::kCcp: {
      const auto& p = h->payload;
      if (p.size() < 4 || (p[0] != kCcpResetRequest && p[0] != kCcpResetAck)) return false;
      if (p[0] == kCcpResetRequest) {
        counters.CcpResetRequests++;
        if (s.mppe_tx) s.mppe_tx->reset_request();
        ccp_output(s, kCcpResetAck, p[1]);
      } else {
        counters.CcpResetAcks++;
      }
      b.reset();
      return true;
    }
    default:
      return false;  // LCP, IPCP, CCP's negotiation...: the daemon's
  }
  // From here on the frame is the fast path's.
  if (f.size() < 5 || (h->pfc && !(flags & PIPEX_PPP_PFC_ACCEPTED)) ||
      (!h->acf && (flags & PIPEX_PPP_HAS_ACF) && !(flags & PIPEX_PPP_ACFC_ACCEPTED))) {
    return drop();
  }
  const size_t hl = h->header_len();
  b->pull(uint32_t(off + hl));
  b->trim(uint32_t(len - hl));
  uint16_t proto = h->protocol;
  if (proto == wire::ppp::kCompressed) {
    crypto::MppeInput r = s.mppe_rx->decrypt(b->span());
    if (r.verdict == crypto::MppeVerdict::kResetRequest)
      ccp_output(s, kCcpResetRequest, uint8_t(++s.ccp_id));
    if (!r.ok()) {
      return drop();
    }
    // The decrypted part starts with the inner protocol, one byte if odd.
    auto inner = r.data;
    const size_t pl = !inner.empty() && (inner[0] & 1) ? 1 : 2;
    if (inner.size() <= pl) {
      return drop();
    }
    proto = pl == 1 ? inner[0] : load16(inner.data());
    b->pull(uint32_t(inner.data() - b->data() + pl));
    b->trim(uint32_t(inner.size() - pl));
    if (proto != wire::ppp::kIp4 && proto != wire::ppp::kIp6) {
      return drop();
    }
  } else if (flags & PIPEX_PPP_MPPE_REQUIRED) {
    return drop();  // plain IP on a session that must encrypt
  }
  ip_input(s, std::move(b), proto == wire::ppp::kIp6);
  return true;
}

void Pipex::ip_input(Session& s, BlockPtr b, bool v6) {
  std::span<uint8_t> p = b->span();
  const size_t min = v6 ? 40 : 20;
  if (p.size() < min || is_v6_ip(p) != v6 || !s.ip_forward) {
    s.stats.ierrors++;
    return;
  }
  if (s.ppp_flags & PIPEX_PPP_INGRESS_FILTER) {
    bool ok;
    if (v6) {
      const Ipaddr src(p.data() + wire::ip6::kSrc);
      ok = src.is_v6_linklocal() || src.is_zero() ||
           (s.prefix6 && (src & Ipaddr::mask_v6(s.prefix6)) == s.addr6);
    } else {
      const Ipaddr src = Ipaddr::from_v4_bytes(p.data() + wire::ip4::kSrc);
      ok = (src & s.mask4) == s.addr4;
    }
    if (!ok) {
      s.stats.ierrors++;
      return;
    }
  }
  if (s.ppp_flags & PIPEX_PPP_ADJUST_TCPMSS) (void)adjust_tcp_mss(p, pipex_max_mss(s.peer_mru, v6));
  if (!is_idle_packet(p)) active(s, ip_.clock.now());
  const size_t iplen = v6 ? 40 + load16(p.data() + 4) : load16(p.data() + 2);
  s.stats.ipackets++;
  s.stats.ibytes += std::min(iplen, p.size());
  Ifc* f = ip_.ifc(s.ifc);
  if (!f) {
    s.stats.ierrors++;
    return;
  }
  ip_.inject(*f, std::move(b));
}

// ---- Output ----

void Pipex::output(int ifc, BlockPtr b) {
  if (!enabled) {
    counters.OutDisabled++;
    return;
  }
  std::span<const uint8_t> p = b->span();
  const bool v6 = is_v6_ip(p);
  if (p.size() < (v6 ? 40u : 20u)) {
    counters.OutNoSession++;
    return;
  }
  const Ipaddr dst =
      v6 ? Ipaddr(p.data() + wire::ip6::kDst) : Ipaddr::from_v4_bytes(p.data() + wire::ip4::kDst);
  if (dst.is_multicast()) {
    // NOTES.md: 224/4 goes to every session of the interface. So does IPv6
    // multicast (ff00::/8), which OpenBSD drops, to the sessions with IPv6
    // (a framed prefix; the others did not negotiate it): on a
    // point-to-point link it is for the peer, and a pppx session's
    // interface needs it for its router advertisements (ra6) and MLD.
    auto it = by_ifc_.find(ifc);
    Session* last = nullptr;
    if (it != by_ifc_.end()) {
      for (Session* s : it->second) {  // output adds and frees no session
        if (v6 && !s->prefix6) continue;
        if (last) {
          BlockPtr c = ip_.pool.copy(b->data(), b->size());
          if (c) ip_output(*last, std::move(c), v6);
        }
        last = s;
      }
    }
    if (!last) {
      counters.OutNoSession++;
      return;
    }
    ip_output(*last, std::move(b), v6);
    return;
  }
  Session* s = v6 ? find_v6(dst) : find_v4(dst);
  if (!s || s->ifc != ifc) {
    counters.OutNoSession++;
    return;
  }
  ip_output(*s, std::move(b), v6);
}

void Pipex::ip_output(Session& s, BlockPtr b, bool v6) {
  if (!s.ip_forward) {
    s.stats.oerrors++;
    return;
  }
  std::span<uint8_t> p = b->span();
  if (s.ppp_flags & PIPEX_PPP_ADJUST_TCPMSS) (void)adjust_tcp_mss(p, pipex_max_mss(s.peer_mru, v6));
  if (!is_idle_packet(p)) active(s, ip_.clock.now());
  ppp_output(s, std::move(b), v6 ? wire::ppp::kIp6 : wire::ppp::kIp4);
}

void Pipex::ppp_output(Session& s, BlockPtr b, uint16_t proto) {
  if (s.mppe_tx && (proto == wire::ppp::kIp4 || proto == wire::ppp::kIp6)) {
    store16(b->push(2), proto);
    b->push(uint32_t(crypto::MppeHeader::kLen));
    if (!s.mppe_tx->encrypt(b->span())) {
      s.stats.oerrors++;
      return;
    }
    proto = wire::ppp::kCompressed;
  }
  // L2TP and PPTP send ff 03 and a two-byte protocol; PPPoE no ACF (NOTES.md).
  wire::PppRepr h;
  h.protocol = proto;
  h.acf = s.protocol != PIPEX_PROTO_PPPOE;
  h.pfc = false;
  h.emit(b->push(uint32_t(h.header_len())));
  const size_t ppp_len = b->size();
  switch (s.protocol) {
    case PIPEX_PROTO_PPPOE: {
      Ifc* over = ip_.ifc(s.over_ifc);
      if (!over || !over->bound() || !over->ether()) {
        s.stats.oerrors++;
        counters.OutNoTunnel++;
        return;
      }
      wire::PppoeRepr ph;
      ph.session_id = s.id;
      ph.emit({b->push(wire::pppoe::kHeaderLen), b->size()});
      ip_.ether_push(*over, *b, Mac(s.peer_mac), kEtherPppoeSession);
      if (b->size() < kEtherMinFrame) {  // zeros: never what the buffer held before
        const uint32_t pad = uint32_t(kEtherMinFrame - b->size());
        std::memset(b->put(pad), 0, pad);
      }
      s.stats.opackets++;
      s.stats.obytes += ppp_len;
      ip_.queue_frame(*over, std::move(b));
      return;
    }
    case PIPEX_PROTO_PPTP: {
      auto& st = s.proto.pptp;
      std::optional<uint32_t> ack;
      if (st.rcv_nxt != st.rcv_acked) {
        ack = st.rcv_nxt - 1;
        st.rcv_acked = st.rcv_nxt;
      }
      wire::GreRepr g = wire::GreRepr::pptp(s.peer_id, st.snd_nxt++, ack);
      s.fp_sent++;
      g.emit({b->push(uint32_t(g.header_len())), b->size()});
      break;
    }
    default: {
      auto& st = s.proto.l2tp;
      wire::L2tpRepr l;
      l.has_length = true;
      l.has_seq = (st.option_flags & PIPEX_L2TP_USE_SEQUENCING) != 0;
      l.tunnel_id = st.peer_tunnel_id;
      l.session_id = s.peer_id;
      if (l.has_seq) {
        l.ns = uint16_t(st.ns_nxt++);
        l.nr = uint16_t(st.nr_nxt);
        s.fp_sent++;
      }
      l.emit({b->push(uint32_t(l.header_len())), b->size()});
      wire::UdpRepr u;
      u.src_port = s.local_port;
      u.dst_port = s.peer_port;
      std::span<uint8_t> body = b->span();
      u.emit(s.local, s.peer, {b->push(8), body.size() + 8}, body);
      break;
    }
  }
  if (!tunnel_send(s, std::move(b))) {
    s.stats.oerrors++;
    counters.OutNoTunnel++;
    return;
  }
  s.stats.opackets++;
  s.stats.obytes += ppp_len;
}

void Pipex::ccp_output(Session& s, uint8_t code, uint8_t id) {
  BlockPtr b = ip_.pool.alloc();
  if (!b) return;
  uint8_t* p = b->put(4);
  p[0] = code;
  p[1] = id;
  store16(p + 2, 4);
  ppp_output(s, std::move(b), wire::ppp::kCcp);
}

void Pipex::pptp_ack(Session& s) {
  auto& st = s.proto.pptp;
  BlockPtr b = ip_.pool.alloc();
  if (!b) return;
  wire::GreRepr g = wire::GreRepr::pptp(s.peer_id, std::nullopt, st.rcv_nxt - 1);
  g.emit({b->put(uint32_t(g.header_len())), g.header_len()});
  st.rcv_acked = st.rcv_nxt;
  (void)tunnel_send(s, std::move(b));
}

Status Pipex::tunnel_send(const Session& s, BlockPtr b) {
  SendParams sp;
  sp.src = s.local;
  sp.dst = s.peer;
  sp.proto = s.protocol == PIPEX_PROTO_PPTP ? 47 : 17;
  sp.ttl = 255;  // NOTES.md: the outer header's TTL
  return ip_.send(sp, std::move(b));
}

}  // namespace ninet::pipex
