// pppoe.cc — ctld's PPPoE access concentrator (RFC 2516): discovery (PADI ->
// PADO, PADR -> PADS, PADT) and the session's PPP control frames, through
// the stack's own ether directory (proto/ether.h): two conversations on the
// interface bound to the device, connected to 0x8863 and 0x8864, as a
// daemon over 9P would hold them. pipex's PPPoE hook takes a session's IP
// and MPPE before the 0x8864 conversation sees anything, so only what pipex
// leaves (LCP, CHAP, IPCP, CCP, unknown sessions) arrives here.
#include <fcntl.h>

#include <atomic>
#include <cstring>

#include "ctld.h"
#include "wire/ppp.h"
#include "wire/pppoe.h"

namespace ninet::ctld {

namespace {

constexpr size_t kEtherLen = 14;
constexpr uint16_t kDiscovery = 0x8863, kSession = 0x8864;

class Pppoe final : public Tunnel {
 public:
  Pppoe(Daemon& d, std::string dev) : d_(d), dev_(std::move(dev)) {}
  ~Pppoe() override { stop(); }
  const char* name() const override { return "pppoe"; }

  Status open() {
    {
      std::lock_guard<std::mutex> g(d_.stack().ip().mu);
      for (auto& f : d_.stack().ip().ifcs())
        if (f && f->ether() && (f->dev == dev_ || f->dev.ends_with(":" + dev_))) ifc_ = f->index;
    }
    if (ifc_ < 0) return Error(Err::NoDevice, dev_ + ": no Ethernet interface bound to it");
    for (int i = 0; i < 2; i++) {
      auto c = connect(i == 0 ? kDiscovery : kSession, &ctl_[i], &data_[i]);
      if (!c) return c;
    }
    for (int i = 0; i < 2; i++)
      threads_[i] = std::thread([this, i] { loop(*data_[i]); });
    return {};
  }

  void stop() override {
    if (stop_.exchange(true)) return;
    for (auto& d : data_)
      if (d) d->interrupt();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

  void send_ppp(Session& s, uint16_t protocol, const Bytes& info) override {
    // RFC 2516 section 7: no address and control field, two-byte protocol.
    Bytes p = {uint8_t(protocol >> 8), uint8_t(protocol)};
    p.insert(p.end(), info.begin(), info.end());
    send_frame(peer(s), kSession, wire::pppoe::kSessionData, s.id, p);
  }

  void closed(Session& s) override {
    send_frame(peer(s), kDiscovery, wire::pppoe::kPadt, s.id, {});
  }

  void fill(Session& s, pipex_session_req& r) override {
    // pipex.4: the peer is AF_UNSPEC with the peer's MAC as the destination
    // of an Ethernet header in sa_data (docs/pipex.md). over_ifname by the
    // interface's number: sessions.cc also takes what `bind` named.
    std::string over = std::to_string(ifc_);
    std::memcpy(r.pr_proto.pppoe.over_ifname, over.c_str(),
                std::min(over.size(), sizeof r.pr_proto.pppoe.over_ifname - 1));
  }

 private:
  static const uint8_t* peer(const Session& s) {
    return reinterpret_cast<const uint8_t*>(
        reinterpret_cast<const sockaddr&>(s.tunnel.pr_peer_address).sa_data);
  }

  // ether/clone, `connect IFC!TYPE`, and its data file, as the stack's owner.
  Status connect(uint16_t type, std::unique_ptr<ns::Handle>* ctl,
                 std::unique_ptr<ns::Handle>* data) {
    ns::Tree& t = d_.tree();
    const ns::User root{"root", true};
    auto q = t.walk_path("ether/clone");
    if (!q) return q.error();
    auto c = t.open(*q, O_RDWR, root);
    if (!c) return c.error();
    *ctl = std::move(*c);
    auto n = (*ctl)->read_all();
    if (!n) return n.error();
    while (!n->empty() && (n->back() == '\n' || n->back() == ' '))
      n->pop_back();
    if (auto r = (*ctl)->write("connect " + std::to_string(ifc_) + "!" + std::to_string(type)); !r)
      return r.error();
    auto dq = t.walk_path("ether/" + *n + "/data");
    if (!dq) return dq.error();
    auto h = t.open(*dq, O_RDWR, root);
    if (!h) return h.error();
    *data = std::move(*h);
    return {};
  }

  // The stack puts the interface's MAC in the source and pads the frame.
  void send_frame(const uint8_t* dst, uint16_t type, uint8_t code, uint16_t sid,
                  const Bytes& payload) {
    Bytes f(kEtherLen + wire::pppoe::kHeaderLen);
    std::memcpy(f.data(), dst, 6);
    f[12] = uint8_t(type >> 8);
    f[13] = uint8_t(type);
    f.insert(f.end(), payload.begin(), payload.end());
    wire::PppoeRepr h;
    h.code = code;
    h.session_id = sid;
    h.emit(std::span(f).subspan(kEtherLen));
    (void)data_[type == kSession]->write(f, 0);
  }

  void loop(ns::Handle& data) {
    uint8_t buf[2048];
    while (!stop_) {
      auto n = data.read(buf, 0);
      if (!n) {
        if (n.error().code() == Err::Interrupted) break;
        continue;
      }
      if (*n == 0) break;  // the interface was unbound
      if (*n < kEtherLen) continue;
      std::lock_guard<std::mutex> g(d_.mu);
      input(std::span<const uint8_t>(buf, *n));
    }
  }

  void input(std::span<const uint8_t> f) {
    const uint16_t type = uint16_t(f[12] << 8 | f[13]);
    const uint8_t* src = f.data() + 6;
    auto h = wire::PppoeRepr::parse(type, f.subspan(kEtherLen));
    if (!h) return;
    if (type == kSession) {
      Session* s = d_.find(PIPEX_PROTO_PPPOE, h->session_id);
      if (!s || std::memcmp(peer(*s), src, 6) != 0) return;
      auto ppp = wire::PppRepr::parse(h->payload);
      if (ppp) d_.ppp_input(*this, *s, ppp->protocol, ppp->payload);
      return;
    }
    switch (h->code) {
      case wire::pppoe::kPadi:
        return reply(src, *h, wire::pppoe::kPado, 0);
      case wire::pppoe::kPadr: {
        const uint16_t sid = next_sid_++;
        Session* s = d_.new_session(*this, PIPEX_PROTO_PPPOE, sid);
        s->peer_id = sid;
        auto& peer = reinterpret_cast<sockaddr&>(s->tunnel.pr_peer_address);
        peer.sa_family = AF_UNSPEC;
        std::memcpy(peer.sa_data, src, 6);
        reply(src, *h, wire::pppoe::kPads, sid);
        d_.log("pppoe " + std::to_string(sid) + " PADS");
        s->ppp->start();
        return;
      }
      case wire::pppoe::kPadt:
        if (Session* s = d_.find(PIPEX_PROTO_PPPOE, h->session_id))
          if (std::memcmp(peer(*s), src, 6) == 0) d_.close(*this, *s, "PADT");
        return;
      default:
        return;
    }
  }

  // PADO or PADS (RFC 2516 5.2, 5.4): our AC-Name, and the client's
  // Service-Name, Host-Uniq and Relay-Session-Id echoed.
  void reply(const uint8_t* dst, const wire::PppoeRepr& req, uint8_t code, uint16_t sid) {
    Bytes tags(1500);
    size_t n = 0;
    static const std::string kAcName = "ctld";
    if (code == wire::pppoe::kPado)
      n += wire::emit_pppoe_tag(tags.data() + n, wire::pppoe::kAcName,
                                {reinterpret_cast<const uint8_t*>(kAcName.data()), kAcName.size()});
    bool service = false;
    for (const wire::PppoeTag& t : req.tags()) {
      if (t.type != wire::pppoe::kServiceName && t.type != wire::pppoe::kHostUniq &&
          t.type != wire::pppoe::kRelaySessionId)
        continue;
      if (t.type == wire::pppoe::kServiceName) {
        if (service) continue;
        service = true;
      }
      if (n + 4 + t.value.size() > tags.size()) break;
      n += wire::emit_pppoe_tag(tags.data() + n, t.type, t.value);
    }
    if (!service) n += wire::emit_pppoe_tag(tags.data() + n, wire::pppoe::kServiceName, {});
    tags.resize(n);
    send_frame(dst, kDiscovery, code, sid, tags);
  }

  Daemon& d_;
  std::string dev_;
  int ifc_ = -1;                                  // the interface bound to dev_
  std::unique_ptr<ns::Handle> ctl_[2], data_[2];  // discovery, session
  uint16_t next_sid_ = 1;
  std::atomic<bool> stop_{false};
  std::thread threads_[2];
};

}  // namespace

Result<std::unique_ptr<Tunnel>> make_pppoe(Daemon& d, const std::string& dev) {
  auto t = std::make_unique<Pppoe>(d, dev);
  if (auto st = t->open(); !st) return st.error();
  return std::unique_ptr<Tunnel>(std::move(t));
}

}  // namespace ninet::ctld
