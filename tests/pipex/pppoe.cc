// pppoe.cc — ctld's PPPoE access concentrator (RFC 2516): discovery (PADI ->
// PADO, PADR -> PADS, PADT) and the session's PPP control frames, on two
// AF_PACKET sockets of its own (ethertypes 0x8863 and 0x8864) on the device
// that ninet's interface also has open with AF_PACKET (`bind ether
// afpacket:DEV`). Both sockets see every frame, so this one also sees copies
// of the session frames that pipex takes (IP, MPPE): PppServer ignores those
// once the session is registered. (With AF_XDP, ninet's XDP program would
// take the frames before any AF_PACKET socket sees them.)
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "ctld.h"
#include "wire/ppp.h"
#include "wire/pppoe.h"

namespace ninet::ctld {

namespace {

constexpr size_t kEtherLen = 14;
constexpr size_t kMinFrame = 60;

class Pppoe final : public Tunnel {
 public:
  Pppoe(Daemon& d, std::string dev) : d_(d), dev_(std::move(dev)) {}
  ~Pppoe() override {
    stop();
    for (int fd : fds_)
      if (fd >= 0) ::close(fd);
  }
  const char* name() const override { return "pppoe"; }

  Status open() {
    ifindex_ = int(if_nametoindex(dev_.c_str()));
    if (!ifindex_) return Error(Err::NoDevice, dev_);
    const uint16_t types[2] = {ETH_P_PPP_DISC, ETH_P_PPP_SES};
    for (int i = 0; i < 2; i++) {
      fds_[i] = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(types[i]));
      if (fds_[i] < 0) return Error(Err::NoDevice, std::string("AF_PACKET: ") + strerror(errno));
      sockaddr_ll sll{};
      sll.sll_family = AF_PACKET;
      sll.sll_protocol = htons(types[i]);
      sll.sll_ifindex = ifindex_;
      if (bind(fds_[i], reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0)
        return Error(Err::NoDevice, dev_ + ": bind: " + strerror(errno));
    }
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, dev_.c_str(), IFNAMSIZ - 1);
    if (ioctl(fds_[0], SIOCGIFHWADDR, &ifr) < 0) return Error(Err::NoDevice, dev_ + ": no MAC");
    std::memcpy(mac_, ifr.ifr_hwaddr.sa_data, 6);
    thread_ = std::thread([this] { loop(); });
    return {};
  }

  void stop() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  void send_ppp(Session& s, uint16_t protocol, const Bytes& info) override {
    // RFC 2516 section 7: no address and control field, two-byte protocol.
    Bytes p = {uint8_t(protocol >> 8), uint8_t(protocol)};
    p.insert(p.end(), info.begin(), info.end());
    send_frame(peer(s), ETH_P_PPP_SES, wire::pppoe::kSessionData, s.id, p);
  }

  void closed(Session& s) override {
    send_frame(peer(s), ETH_P_PPP_DISC, wire::pppoe::kPadt, s.id, {});
  }

  void fill(Session& s, pipex_session_req& r) override {
    // pipex.4: the peer is AF_UNSPEC with the peer's MAC as the destination
    // of an Ethernet header in sa_data (docs/pipex.md).
    // over_ifname by the interface's number: sessions.cc compares a name
    // with what `bind` named, "afpacket:DEV" here, not DEV.
    std::string over = dev_;
    {
      std::lock_guard<std::mutex> g(d_.stack().ip().mu);
      for (auto& f : d_.stack().ip().ifcs())
        if (f && f->ether() && (f->dev == dev_ || f->dev.ends_with(":" + dev_)))
          over = std::to_string(f->index);
    }
    std::memcpy(r.pr_proto.pppoe.over_ifname, over.c_str(),
                std::min(over.size(), sizeof r.pr_proto.pppoe.over_ifname - 1));
  }

 private:
  static const uint8_t* peer(const Session& s) {
    return reinterpret_cast<const uint8_t*>(
        reinterpret_cast<const sockaddr&>(s.tunnel.pr_peer_address).sa_data);
  }

  void send_frame(const uint8_t* dst, uint16_t type, uint8_t code, uint16_t sid,
                  const Bytes& payload) {
    Bytes f(kEtherLen + wire::pppoe::kHeaderLen);
    std::memcpy(f.data(), dst, 6);
    std::memcpy(f.data() + 6, mac_, 6);
    f[12] = uint8_t(type >> 8);
    f[13] = uint8_t(type);
    f.insert(f.end(), payload.begin(), payload.end());
    wire::PppoeRepr h;
    h.code = code;
    h.session_id = sid;
    h.emit(std::span(f).subspan(kEtherLen));
    if (f.size() < kMinFrame) f.resize(kMinFrame, 0);
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = ifindex_;
    sll.sll_halen = 6;
    std::memcpy(sll.sll_addr, dst, 6);
    (void)sendto(fds_[type == ETH_P_PPP_SES], f.data(), f.size(), 0,
                 reinterpret_cast<sockaddr*>(&sll), sizeof sll);
  }

  void loop() {
    uint8_t buf[2048];
    while (!stop_) {
      pollfd p[2] = {{fds_[0], POLLIN, 0}, {fds_[1], POLLIN, 0}};
      if (poll(p, 2, 200) <= 0) continue;
      for (int i = 0; i < 2; i++) {
        if (!(p[i].revents & POLLIN)) continue;
        sockaddr_ll from{};
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fds_[i], buf, sizeof buf, MSG_DONTWAIT,
                             reinterpret_cast<sockaddr*>(&from), &fl);
        if (n < ssize_t(kEtherLen) || from.sll_pkttype == PACKET_OUTGOING) continue;
        std::lock_guard<std::mutex> g(d_.mu);
        input(std::span<const uint8_t>(buf, size_t(n)));
      }
    }
  }

  void input(std::span<const uint8_t> f) {
    const uint16_t type = uint16_t(f[12] << 8 | f[13]);
    const uint8_t* src = f.data() + 6;
    auto h = wire::PppoeRepr::parse(type, f.subspan(kEtherLen));
    if (!h) return;
    if (type == ETH_P_PPP_SES) {
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
    send_frame(dst, ETH_P_PPP_DISC, code, sid, tags);
  }

  Daemon& d_;
  std::string dev_;
  int ifindex_ = 0;
  int fds_[2] = {-1, -1};
  uint8_t mac_[6] = {};
  uint16_t next_sid_ = 1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

Result<std::unique_ptr<Tunnel>> make_pppoe(Daemon& d, const std::string& dev) {
  auto t = std::make_unique<Pppoe>(d, dev);
  if (auto st = t->open(); !st) return st.error();
  return std::unique_ptr<Tunnel>(std::move(t));
}

}  // namespace ninet::ctld
