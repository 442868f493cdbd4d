// l2tp.cc — ctld's L2TP network server (RFC 2661), on ninet's own UDP: one
// conversation announced on port 1701 in `headers` mode (ip(3): every
// datagram, from any peer, on this one conversation, behind a 52-byte header
// of addresses and ports), which is the conversation pipex hooks for the
// sessions' data (datapath.cc, hook_l2tp_conv). Control: SCCRQ -> SCCRP,
// SCCCN, ICRQ -> ICRP, ICCN, HELLO, CDN, StopCCN, each acknowledged (a reply
// or a ZLB); no retransmission of our own messages (one link, no loss, and
// the client retransmits its requests). Data messages that pipex leaves
// (LCP, CHAP, IPCP, CCP) reach PppServer.
#include <arpa/inet.h>
#include <fcntl.h>

#include <atomic>
#include <cstring>

#include "base/endian.h"
#include "ctld.h"
#include "wire/l2tp.h"
#include "wire/ppp.h"

namespace ninet::ctld {

namespace {

constexpr size_t kUdpHdr = 52;  // raddr[16] laddr[16] ifcaddr[16] rport[2] lport[2]
using namespace wire::l2tp;     // message and AVP types

void avp(Bytes& b, uint16_t type, std::span<const uint8_t> v) {
  append16(b, uint16_t(kAvpMandatory | (6 + v.size())));
  append16(b, 0);  // IETF
  append16(b, type);
  b.insert(b.end(), v.begin(), v.end());
}
void avp16(Bytes& b, uint16_t type, uint16_t v) {
  const uint8_t x[2] = {uint8_t(v >> 8), uint8_t(v)};
  avp(b, type, x);
}

struct Avps {
  uint16_t type = 0xffff;  // message type; 0xffff: none (a ZLB)
  uint16_t tunnel_id = 0, session_id = 0;
};

// The AVPs ctld needs; false on a malformed list or a hidden AVP (no secret
// is configured, so none should come).
bool parse_avps(std::span<const uint8_t> p, Avps* out) {
  while (!p.empty()) {
    if (p.size() < 6) return false;
    const uint16_t fl = load16(p.data()), len = fl & kAvpLenMask;
    if (len < 6 || len > p.size() || (fl & kAvpHidden)) return false;
    const uint16_t vendor = load16(p.data() + 2), type = load16(p.data() + 4);
    const auto v = p.subspan(6, len - 6);
    if (vendor == 0 && v.size() == 2) {
      if (type == kAvpMessageType) out->type = load16(v.data());
      if (type == kAvpTunnelId) out->tunnel_id = load16(v.data());
      if (type == kAvpSessionId) out->session_id = load16(v.data());
    }
    p = p.subspan(len);
  }
  return true;
}

class L2tp final : public Tunnel {
 public:
  explicit L2tp(Daemon& d) : d_(d) {}
  ~L2tp() override { stop(); }
  const char* name() const override { return "l2tp"; }

  Status open() {
    ns::Tree& t = d_.tree();
    const ns::User root{"root", true};
    auto q = t.walk_path("udp/clone");
    if (!q) return q.error();
    auto ctl = t.open(*q, O_RDWR, root);
    if (!ctl) return ctl.error();
    ctl_ = std::move(*ctl);
    auto n = ctl_->read_all();
    if (!n) return n.error();
    while (!n->empty() && (n->back() == '\n' || n->back() == ' '))
      n->pop_back();
    if (auto r = ctl_->write("headers"); !r) return r.error();
    if (auto r = ctl_->write("announce 1701"); !r) return r.error();
    auto dq = t.walk_path("udp/" + *n + "/data");
    if (!dq) return dq.error();
    auto data = t.open(*dq, O_RDWR, root);
    if (!data) return data.error();
    data_ = std::move(*data);
    thread_ = std::thread([this] { loop(); });
    return {};
  }

  void stop() override {
    if (stop_.exchange(true)) return;
    if (data_) data_->interrupt();
    if (thread_.joinable()) thread_.join();
  }

  void send_ppp(Session& s, uint16_t protocol, const Bytes& info) override {
    // A data message with L (as pipex sends them), the peer's ids, ff 03.
    Bytes m(8);
    m.push_back(wire::ppp::kAddress);
    m.push_back(wire::ppp::kControl);
    append16(m, protocol);
    m.insert(m.end(), info.begin(), info.end());
    wire::L2tpRepr h;
    h.has_length = true;
    h.tunnel_id = s.tunnel.pr_proto.l2tp.peer_tunnel_id;
    h.session_id = s.peer_id;
    h.emit(m);
    send(s.tunnel.pr_peer_address, m);
  }

  void closed(Session& s) override {
    // CDN (RFC 2661 5.11): Result Code 3 (administrative), our session id.
    auto it = tunnels_.find(s.tunnel.pr_proto.l2tp.tunnel_id);
    if (it == tunnels_.end()) return;
    Bytes a;
    avp16(a, kAvpMessageType, kCdn);
    avp16(a, kAvpResultCode, 3);
    avp16(a, kAvpSessionId, s.id);
    control(it->second, s.peer_id, a);
  }

  void fill(Session& s, pipex_session_req& r) override {
    auto& local = reinterpret_cast<sockaddr_in&>(r.pr_local_address);
    local.sin_family = AF_INET;
    local.sin_port = htons(wire::l2tp::kPort);
    local.sin_addr = local_;
  }

 private:
  struct Tun {
    uint16_t id = 0, peer_id = 0;
    sockaddr_storage peer{};
    uint16_t ns = 0, nr = 0;  // our next Ns; the peer's next expected
  };

  void send(const sockaddr_storage& to, const Bytes& msg) {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(to);
    Bytes d(kUdpHdr, 0);
    const Ipaddr ra = Ipaddr::v4(ntohl(sin.sin_addr.s_addr));
    const Ipaddr la = Ipaddr::v4(ntohl(local_.s_addr));
    std::memcpy(d.data(), ra.data(), 16);
    std::memcpy(d.data() + 16, la.data(), 16);
    std::memcpy(d.data() + 32, la.data(), 16);
    d[48] = uint8_t(ntohs(sin.sin_port) >> 8);
    d[49] = uint8_t(ntohs(sin.sin_port));
    d[50] = uint8_t(wire::l2tp::kPort >> 8);
    d[51] = uint8_t(wire::l2tp::kPort);
    d.insert(d.end(), msg.begin(), msg.end());
    (void)data_->write(d, 0);
  }

  // A control message (avps empty: a ZLB acknowledgement) on tunnel t.
  void control(Tun& t, uint16_t session, const Bytes& avps) {
    Bytes m(12);
    m.insert(m.end(), avps.begin(), avps.end());
    wire::L2tpRepr h;
    h.control = h.has_length = h.has_seq = true;
    h.tunnel_id = t.peer_id;
    h.session_id = session;
    h.ns = t.ns;
    h.nr = t.nr;
    h.emit(m);
    if (!avps.empty()) t.ns++;
    send(t.peer, m);
  }

  void loop() {
    uint8_t buf[4096];
    while (!stop_) {
      auto n = data_->read(buf, 0);
      if (!n) {
        if (n.error().code() == Err::Interrupted) break;
        continue;
      }
      if (*n < kUdpHdr) continue;
      std::lock_guard<std::mutex> g(d_.mu);
      input(std::span<const uint8_t>(buf, *n));
    }
  }

  void input(std::span<const uint8_t> d) {
    const Ipaddr from(d.data()), to(d.data() + 16);
    sockaddr_storage peer{};
    auto& sin = reinterpret_cast<sockaddr_in&>(peer);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(from.v4());
    sin.sin_port = htons(load16(d.data() + 48));
    local_.s_addr = htonl(to.v4());
    auto m = wire::L2tpRepr::parse(d.subspan(kUdpHdr));
    if (!m) return;
    if (!m->control) {
      Session* s = d_.find(PIPEX_PROTO_L2TP, m->session_id);
      if (!s || s->tunnel.pr_proto.l2tp.tunnel_id != m->tunnel_id) return;
      auto ppp = wire::PppRepr::parse(m->payload);
      if (ppp) d_.ppp_input(*this, *s, ppp->protocol, ppp->payload);
      return;
    }
    Avps a;
    if (!parse_avps(m->payload, &a)) return;
    if (a.type == kSccrq) return sccrq(peer, *m, a);
    auto it = tunnels_.find(m->tunnel_id);
    if (it == tunnels_.end()) return;
    Tun& t = it->second;
    if (a.type == 0xffff) return;  // a ZLB: the peer acknowledges
    if (m->ns != t.nr) {           // a repeat (RFC 2661 5.8): acknowledge it again
      control(t, 0, {});
      return;
    }
    t.nr++;
    Bytes r;
    switch (a.type) {
      case kIcrq: {
        const uint16_t sid = next_session_++;
        Session* s = d_.new_session(*this, PIPEX_PROTO_L2TP, sid);
        s->peer_id = a.session_id;
        s->tunnel.pr_peer_address = t.peer;
        s->tunnel.pr_proto.l2tp.tunnel_id = t.id;
        s->tunnel.pr_proto.l2tp.peer_tunnel_id = t.peer_id;
        avp16(r, kAvpMessageType, kIcrp);
        avp16(r, kAvpSessionId, sid);
        return control(t, a.session_id, r);
      }
      case kIccn:
        control(t, 0, {});
        if (Session* s = d_.find(PIPEX_PROTO_L2TP, m->session_id)) {
          d_.log("l2tp " + std::to_string(s->id) + " ICCN");
          s->ppp->start();
        }
        return;
      case kCdn:
        control(t, 0, {});
        if (Session* s = d_.find(PIPEX_PROTO_L2TP, m->session_id)) d_.close(*this, *s, "CDN");
        return;
      case kStopccn:
        control(t, 0, {});
        for (uint16_t id = 1; id < next_session_; id++)
          if (Session* s = d_.find(PIPEX_PROTO_L2TP, id))
            if (s->tunnel.pr_proto.l2tp.tunnel_id == t.id) d_.close(*this, *s, "StopCCN");
        tunnels_.erase(it);
        return;
      default:  // SCCCN, HELLO, and what ctld does not know
        return control(t, 0, {});
    }
  }

  // SCCRQ -> SCCRP (RFC 2661 6.2): a tunnel of ours for the peer's.
  void sccrq(const sockaddr_storage& peer, const wire::L2tpRepr& m, const Avps& a) {
    for (auto& [id, t] : tunnels_)
      if (t.peer_id == a.tunnel_id && std::memcmp(&t.peer, &peer, sizeof peer) == 0) {
        if (m.ns != t.nr) control(t, 0, {});  // a repeat whose SCCRP went before
        return;
      }
    Tun t;
    t.id = next_tunnel_++;
    t.peer_id = a.tunnel_id;
    t.peer = peer;
    t.nr = uint16_t(m.ns + 1);
    Bytes r;
    avp16(r, kAvpMessageType, kSccrp);
    avp16(r, kAvpProtocolVersion, 0x0100);
    const uint8_t framing[4] = {0, 0, 0, 3};  // synchronous and asynchronous
    avp(r, kAvpFramingCaps, framing);
    const std::string host = "ctld";
    avp(r, kAvpHostName, {reinterpret_cast<const uint8_t*>(host.data()), host.size()});
    avp16(r, kAvpTunnelId, t.id);
    avp16(r, kAvpWindow, 8);
    Tun& tt = tunnels_[t.id] = t;
    d_.log("l2tp tunnel " + std::to_string(t.id) + " for the peer's " + std::to_string(t.peer_id));
    control(tt, 0, r);
  }

  Daemon& d_;
  std::unique_ptr<ns::Handle> ctl_, data_;
  in_addr local_{};
  std::map<uint16_t, Tun> tunnels_;
  uint16_t next_tunnel_ = 1, next_session_ = 1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

Result<std::unique_ptr<Tunnel>> make_l2tp(Daemon& d) {
  auto t = std::make_unique<L2tp>(d);
  if (auto st = t->open(); !st) return st.error();
  return std::unique_ptr<Tunnel>(std::move(t));
}

}  // namespace ninet::ctld
