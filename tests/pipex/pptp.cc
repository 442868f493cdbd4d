// pptp.cc — ctld's PPTP network server (RFC 2637): the control connection
// on ninet's TCP port 1723 (Start-Control-Connection, Outgoing-Call, Echo,
// Set-Link-Info, Call-Clear, Stop-Control-Connection), and the session's
// PPP in enhanced GRE through ninet's `gre` directory: one conversation per
// client address (`connect ADDR!34827`), kept for ctld's life, as the
// directory allows one per address and protocol type. What pipex's PPTP hook
// leaves (LCP, CHAP, IPCP, CCP's negotiation) arrives there, renumbered into
// the daemon's share of the sequence space. What ctld sends after
// registration takes its numbers from the pipex session unless pipex hooks
// the conversation and renumbers it itself (send_ppp), so that the two
// shares form one space (NOTES.md).
#include <arpa/inet.h>
#include <fcntl.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <list>

#include "base/endian.h"
#include "ctld.h"
#include "pipex/sessions.h"
#include "wire/gre.h"
#include "wire/ppp.h"

namespace ninet::ctld {

namespace {

constexpr uint32_t kMagic = 0x1a2b3c4d;  // RFC 2637 2.1
enum : uint16_t {
  kSccrq = 1,
  kSccrp = 2,
  kStopccrq = 3,
  kStopccrp = 4,
  kEchoRq = 5,
  kEchoRp = 6,
  kOcrq = 7,
  kOcrp = 8,
  kCcrq = 12,
  kCdn = 13,
  kSli = 15,
};
constexpr uint16_t kWindow = 64;         // our receive window (OCRP)
constexpr uint16_t kPptpEproto = 34827;  // 0x880b, the gre directory's port

void set16(Bytes& b, size_t at, uint16_t v) {
  b[at] = uint8_t(v >> 8);
  b[at + 1] = uint8_t(v);
}
void set32(Bytes& b, size_t at, uint32_t v) {
  set16(b, at, uint16_t(v >> 16));
  set16(b, at + 2, uint16_t(v));
}
// A control message of `len` bytes: Length, Message Type 1, Magic Cookie,
// Control Message Type, Reserved0 (RFC 2637 2.1); the body is zeros.
Bytes message(uint16_t type, size_t len) {
  Bytes m(len, 0);
  set16(m, 0, uint16_t(len));
  set16(m, 2, 1);
  set32(m, 4, kMagic);
  set16(m, 8, type);
  return m;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

class Pptp;

// One control connection.
struct Conn {
  std::unique_ptr<ns::Handle> ctl, data;
  Ipaddr peer;
  std::thread control_thread;
};

// The GRE conversation to one client address.
struct Gre {
  std::unique_ptr<ns::Handle> ctl, data;
  Ipaddr peer;
  int conv = -1;  // its number in the gre directory
  std::thread thread;
};

struct CallSeq {  // the daemon's GRE numbers before registration
  uint32_t snd_nxt = 0, rcv_nxt = 0, rcv_acked = 0;
  bool got = false;
};

class Pptp final : public Tunnel {
 public:
  explicit Pptp(Daemon& d) : d_(d) {}
  ~Pptp() override { stop(); }
  const char* name() const override { return "pptp"; }

  Status open() {
    ns::Tree& t = d_.tree();
    if (!t.walk_path("gre")) return Error(Err::NotFound, "no gre directory in this stack");
    auto q = t.walk_path("tcp/clone");
    if (!q) return q.error();
    auto ctl = t.open(*q, O_RDWR, root_);
    if (!ctl) return ctl.error();
    ctl_ = std::move(*ctl);
    auto n = ctl_->read_all();
    if (!n) return n.error();
    if (auto r = ctl_->write("announce 1723"); !r) return r.error();
    auto lq = t.walk_path("tcp/" + trim(*n) + "/listen");
    if (!lq) return lq.error();
    listen_q_ = *lq;
    thread_ = std::thread([this] { accept_loop(); });
    return {};
  }

  void stop() override {
    if (stop_.exchange(true)) return;
    cancel_.cancel();
    if (thread_.joinable()) thread_.join();
    {
      std::lock_guard<std::mutex> g(d_.mu);
      for (auto& c : conns_)
        if (c->data) c->data->interrupt();
    }
    for (auto& c : conns_)
      if (c->control_thread.joinable()) c->control_thread.join();
    for (auto& [a, g] : gres_) {
      g->data->interrupt();
      if (g->thread.joinable()) g->thread.join();
    }
  }

  void send_ppp(Session& s, uint16_t protocol, const Bytes& info) override {
    Conn* c = conn_of(s);
    Gre* gre = c ? gre_of(c->peer) : nullptr;
    if (!gre) return;
    std::optional<uint32_t> ack;
    uint32_t seq;
    if (s.registered && !pipex_renumbers(*gre)) {
      // The numbers are pipex's now: the next of the shared counter, and an
      // acknowledgement of what the wire has received (what datapath.cc's
      // daemon_output does for a conversation pipex hooks; it does not hook
      // the gre directory's).
      std::lock_guard<std::mutex> g(d_.stack().ip().mu);
      pipex::Session* ps = d_.stack().pipex().find(PIPEX_PROTO_PPTP, s.id);
      if (!ps) return;
      auto& st = ps->proto.pptp;
      seq = st.snd_nxt++;
      if (st.rcv_nxt != st.rcv_acked) ack = st.rcv_nxt - 1;
      st.rcv_acked = st.rcv_nxt;
    } else if (s.registered) {
      seq = 0;  // pipex writes both (daemon_output)
      ack = 0;
    } else {
      CallSeq& q = seq_[s.id];
      seq = q.snd_nxt++;
      if (q.got && q.rcv_nxt != q.rcv_acked) ack = q.rcv_nxt - 1;
      q.rcv_acked = q.rcv_nxt;
    }
    Bytes p = {wire::ppp::kAddress, wire::ppp::kControl, uint8_t(protocol >> 8), uint8_t(protocol)};
    p.insert(p.end(), info.begin(), info.end());
    wire::GreRepr h = wire::GreRepr::pptp(s.peer_id, seq, ack);
    Bytes m(h.header_len());
    m.insert(m.end(), p.begin(), p.end());
    h.emit(m);
    (void)gre->data->write(m, 0);
  }

  void closed(Session& s) override {
    // Call-Disconnect-Notify (RFC 2637 2.13): our call id, result 3 (admin).
    Conn* c = conn_of(s);
    seq_.erase(s.id);
    call_conn_.erase(s.id);
    if (!c || !c->data) return;
    Bytes m = message(kCdn, 148);
    set16(m, 12, s.id);
    m[14] = 3;
    (void)c->data->write(m, 0);
  }

  void fill(Session& s, pipex_session_req& r) override {
    auto& local = reinterpret_cast<sockaddr_in&>(r.pr_local_address);
    local.sin_family = AF_INET;
    local.sin_addr = local_;
    CallSeq& q = seq_[s.id];
    auto& p = r.pr_proto.pptp;
    p.snd_nxt = q.snd_nxt;
    p.snd_una = q.snd_nxt;  // the client acknowledges everything at once
    p.rcv_nxt = q.rcv_nxt;
    p.rcv_acked = q.rcv_acked;
    p.maxwinsz = kWindow;
  }

 private:
  Conn* conn_of(const Session& s) {
    auto it = call_conn_.find(s.id);
    return it == call_conn_.end() ? nullptr : it->second;
  }

  void accept_loop() {
    while (!stop_) {
      auto h = d_.tree().open(listen_q_, O_RDWR, root_, &cancel_);
      if (!h) {
        if (stop_ || h.error().code() == Err::Interrupted) return;
        continue;
      }
      auto n = (*h)->read_all();
      auto dq = n ? d_.tree().walk_path("tcp/" + trim(*n) + "/data") : Result<ns::Qid>(n.error());
      auto rq = n ? d_.tree().walk_path("tcp/" + trim(*n) + "/remote") : dq;
      if (!dq || !rq) continue;
      auto data = d_.tree().open(*dq, O_RDWR, root_);
      auto remote = d_.tree().open(*rq, O_RDONLY, root_);
      if (!data || !remote) continue;
      // Our address on the client's side: the control connection's.
      if (auto lq = d_.tree().walk_path("tcp/" + trim(*n) + "/local"))
        if (auto lh = d_.tree().open(*lq, O_RDONLY, root_))
          if (auto lt = (*lh)->read_all())
            if (auto la = Ipaddr::parse(lt->substr(0, lt->find('!'))); la && la->is_v4())
              local_.s_addr = htonl(la->v4());
      auto rtext = (*remote)->read_all();
      auto addr =
          rtext ? Ipaddr::parse(rtext->substr(0, rtext->find('!'))) : Result<Ipaddr>(rtext.error());
      if (!addr) continue;
      std::lock_guard<std::mutex> g(d_.mu);
      auto c = std::make_unique<Conn>();
      c->ctl = std::move(*h);
      c->data = std::move(*data);
      c->peer = *addr;
      Conn* raw = c.get();
      conns_.push_back(std::move(c));
      raw->control_thread = std::thread([this, raw] { control_loop(*raw); });
      d_.log("pptp control connection from " + raw->peer.str());
    }
  }

  void control_loop(Conn& c) {
    Bytes buf;
    uint8_t tmp[2048];
    while (!stop_) {
      auto n = c.data->read(tmp, 0);
      if (!n || *n == 0) break;
      buf.insert(buf.end(), tmp, tmp + *n);
      while (buf.size() >= 12) {
        const uint16_t len = load16(buf.data());
        if (len < 12) return end(c, "bad length");
        if (buf.size() < len) break;
        {
          std::lock_guard<std::mutex> g(d_.mu);
          control(c, std::span<const uint8_t>(buf.data(), len));
        }
        buf.erase(buf.begin(), buf.begin() + len);
      }
    }
    end(c, "control connection closed");
  }

  void end(Conn& c, const std::string& why) {
    std::lock_guard<std::mutex> g(d_.mu);
    std::vector<uint16_t> calls;
    for (auto& [id, cc] : call_conn_)
      if (cc == &c) calls.push_back(id);
    for (uint16_t id : calls)
      if (Session* s = d_.find(PIPEX_PROTO_PPTP, id)) d_.close(*this, *s, why);
    c.data.reset();  // the TCP conversation closes with its files
    c.ctl.reset();
  }

  void control(Conn& c, std::span<const uint8_t> m) {
    if (load16(m.data() + 2) != 1 || load32(m.data() + 4) != kMagic) return;
    const uint16_t type = load16(m.data() + 8);
    Bytes r;
    switch (type) {
      case kSccrq: {
        r = message(kSccrp, 156);
        set16(r, 12, 0x0100);  // protocol version 1.0
        r[14] = 1;             // result: successful channel establishment
        set32(r, 16, 3);       // framing: asynchronous and synchronous
        set32(r, 20, 3);       // bearer: analog and digital
        std::memcpy(r.data() + 28, "ctld", 4);
        break;
      }
      case kOcrq: {
        if (m.size() < 168) return;
        const uint16_t sid = next_call_++;
        Session* s = d_.new_session(*this, PIPEX_PROTO_PPTP, sid);
        s->peer_id = load16(m.data() + 12);
        auto& peer = reinterpret_cast<sockaddr_in&>(s->tunnel.pr_peer_address);
        peer.sin_family = AF_INET;
        peer.sin_addr.s_addr = htonl(c.peer.v4());
        s->tunnel.pr_proto.pptp.peer_maxwinsz = load16(m.data() + 28);
        s->tunnel.pr_proto.pptp.winsz = load16(m.data() + 28);
        call_conn_[sid] = &c;
        seq_[sid] = {};
        if (!open_gre(c.peer)) {
          d_.close(*this, *s, "no gre conversation");
          return;
        }
        r = message(kOcrp, 32);
        set16(r, 12, sid);
        set16(r, 14, s->peer_id);
        r[16] = 1;  // result: connected
        set32(r, 20, 64000);
        set16(r, 24, kWindow);
        (void)c.data->write(r, 0);
        d_.log("pptp " + std::to_string(sid) + " OCRP for the peer's call " +
               std::to_string(s->peer_id));
        s->ppp->start();
        return;
      }
      case kEchoRq:
        if (m.size() < 16) return;
        r = message(kEchoRp, 20);
        std::memcpy(r.data() + 12, m.data() + 12, 4);
        r[16] = 1;
        break;
      case kCcrq: {
        if (m.size() < 16) return;
        // The client names its own call id; close the call that has it.
        const uint16_t peer_call = load16(m.data() + 12);
        for (auto& [id, cc] : call_conn_)
          if (cc == &c)
            if (Session* s = d_.find(PIPEX_PROTO_PPTP, id); s && s->peer_id == peer_call)
              return d_.close(*this, *s, "Call-Clear-Request");
        return;
      }
      case kStopccrq:
        r = message(kStopccrp, 16);
        r[12] = 1;
        break;
      default:  // Set-Link-Info, replies, what ctld does not know
        return;
    }
    (void)c.data->write(r, 0);
  }

  // The GRE conversation to the client (one for all its calls).
  // Whether pipex has a hook on the gre conversation, which then renumbers
  // what ctld sends into the sequence space it shares with ctld.
  bool pipex_renumbers(const Gre& g) {
    std::lock_guard<std::mutex> l(d_.stack().ip().mu);
    Proto* p = d_.stack().ip().proto("gre");
    if (!p || g.conv < 0 || size_t(g.conv) >= p->convs.size() || !p->convs[size_t(g.conv)])
      return false;
    return !p->convs[size_t(g.conv)]->hooks.empty();
  }

  Gre* gre_of(const Ipaddr& a) {
    auto it = gres_.find(a.str());
    return it == gres_.end() ? nullptr : it->second.get();
  }

  bool open_gre(const Ipaddr& peer) {
    if (gre_of(peer)) return true;
    ns::Tree& t = d_.tree();
    auto q = t.walk_path("gre/clone");
    if (!q) return false;
    auto ctl = t.open(*q, O_RDWR, root_);
    if (!ctl) return false;
    auto n = (*ctl)->read_all();
    if (!n) return false;
    if (!(*ctl)->write("connect " + peer.str() + "!" + std::to_string(kPptpEproto))) return false;
    auto dq = t.walk_path("gre/" + trim(*n) + "/data");
    if (!dq) return false;
    auto data = t.open(*dq, O_RDWR, root_);
    if (!data) return false;
    auto g = std::make_unique<Gre>();
    g->ctl = std::move(*ctl);
    g->data = std::move(*data);
    g->peer = peer;
    g->conv = std::atoi(trim(*n).c_str());
    Gre* raw = g.get();
    gres_[peer.str()] = std::move(g);
    raw->thread = std::thread([this, raw] { gre_loop(*raw); });
    return true;
  }

  void gre_loop(Gre& gre) {
    uint8_t buf[4096];
    while (!stop_) {
      auto n = gre.data->read(buf, 0);
      if (!n) {
        if (n.error().code() == Err::Interrupted) return;
        continue;
      }
      if (*n == 0) return;
      auto g = wire::GreRepr::parse(std::span<const uint8_t>(buf, *n));
      if (!g || g->version != wire::gre::kPptpVersion) continue;
      std::lock_guard<std::mutex> l(d_.mu);
      Session* s = d_.find(PIPEX_PROTO_PPTP, g->call_id);
      Conn* c = s ? conn_of(*s) : nullptr;
      if (!c || c->peer != gre.peer) continue;
      if (g->seq && !s->registered) {  // renumbered into our share once registered
        CallSeq& q = seq_[s->id];
        if (!q.got || int32_t(*g->seq - q.rcv_nxt) >= 0) q.rcv_nxt = *g->seq + 1;
        q.got = true;
      }
      if (g->payload.empty()) continue;
      auto ppp = wire::PppRepr::parse(g->payload);
      if (ppp) d_.ppp_input(*this, *s, ppp->protocol, ppp->payload);
    }
  }

  Daemon& d_;
  const ns::User root_{"root", true};
  std::unique_ptr<ns::Handle> ctl_;
  ns::Qid listen_q_ = 0;
  ns::OpenCancel cancel_;
  in_addr local_{};
  std::list<std::unique_ptr<Conn>> conns_;
  std::map<uint16_t, Conn*> call_conn_;
  std::map<std::string, std::unique_ptr<Gre>> gres_;  // by client address
  std::map<uint16_t, CallSeq> seq_;
  uint16_t next_call_ = 1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

Result<std::unique_ptr<Tunnel>> make_pptp(Daemon& d) {
  auto t = std::make_unique<Pptp>(d);
  if (auto st = t->open(); !st) return st.error();
  return std::unique_ptr<Tunnel>(std::move(t));
}

}  // namespace ninet::ctld
