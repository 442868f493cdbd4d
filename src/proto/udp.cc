// udp.cc — the udp protocol directory (udp.h): demultiplexing to connected,
// announced and `announce *` conversations, calls for new remotes, the
// headers mode, port unreachable, ICMP advice and the counters.
#include "proto/udp.h"

#include <algorithm>
#include <cstring>

#include "base/endian.h"
#include "wire/ip4.h"
#include "wire/udp.h"

namespace ninet {

namespace {

// ip(3)'s Udphdr, in front of every datagram read and written in headers mode.
namespace udphdr {
constexpr size_t kRaddr = 0, kLaddr = 16, kIfcaddr = 32, kRport = 48, kLport = 50, kLen = 52;
}

// Each remote of an announced port takes a conversation; Plan 9's 1024
// would let a busy server run out.
constexpr int kMaxConvs = 16384;

class Udp : public Proto {
 public:
  explicit Udp(Ip& ip) : Proto(ip, "udp", wire::ipproto::kUdp, kMaxConvs) {}
  Status connect(Conv& c) override;
  Status ctl(Conv& c, const std::vector<std::string_view>& args) override;
  Result<size_t> write(Conv& c, std::span<const uint8_t> data) override;
  void rcv(const IpRx& rx, BlockPtr b) override;
  void advise(const Advice& a) override;
  std::string status(const Conv& c) const override;
  std::string stats() const override;

 private:
  // A datagram for a port nobody has.
  void no_port(const IpRx& rx, BlockPtr b);
  // The conversation for a new remote of listener, queued for listen.
  Conv* call(Conv& listener, const IpRx& rx, uint16_t sport, uint16_t dport);
  // Queues b (at the payload) for c's readers, with the Udphdr if wanted.
  void deliver(Conv& c, const IpRx& rx, uint16_t sport, uint16_t dport, BlockPtr b);
  // The interface a datagram to a group or a link-local address leaves by
  // (the one holding the source, or the one c joined the group on), else
  // -1: routed.
  int scoped_ifc(const Conv& c, const Ipaddr& src, const Ipaddr& dst) const;
  void drop(const IpRx& rx, const std::string& why);

  uint64_t in_datagrams_ = 0, no_ports_ = 0, in_errors_ = 0, out_datagrams_ = 0;
};

Ifc* ifc_holding(Ip& ip, const Ipaddr& a) {
  for (auto& f : ip.ifcs())
    if (f->inuse && f->find(a)) return f.get();
  return nullptr;
}

Status Udp::connect(Conv& c) {
  if (!c.laddr.is_zero() && c.laddr.is_v4() != c.raddr.is_v4())
    return Error(Err::BadIp, "address families differ");
  if (c.rport == 0) return Error(Err::BadPort, "connect needs a remote port");
  if (c.raddr.is_multicast() || c.raddr.is_v4_broadcast()) {
    // Sending to a group or a broadcast: the source is chosen per datagram
    // (a group may have no route; scoped_ifc picks the interface).
    c.state = ConvState::kConnected;
    return {};
  }
  return Proto::connect(c);
}

Status Udp::ctl(Conv& c, const std::vector<std::string_view>& a) {
  if (a[0] == "headers" && a.size() == 1) {
    c.headers = true;
    return {};
  }
  return Proto::ctl(c, a);
}

int Udp::scoped_ifc(const Conv& c, const Ipaddr& src, const Ipaddr& dst) const {
  if (!dst.is_multicast() && !dst.is_v6_linklocal()) return -1;
  for (const auto& m : c.multi)
    if (m.second == dst)
      if (Ifc* f = ifc_holding(ip, m.first)) return f->index;
  if (!src.is_zero())
    if (Ifc* f = ifc_holding(ip, src)) return f->index;
  return -1;
}

Result<size_t> Udp::write(Conv& c, std::span<const uint8_t> data) {
  if (c.hungup) return Error(Err::Hangup, c.err);
  SendParams sp;
  sp.proto = ipproto;
  sp.ttl = c.ttl;
  sp.tos = c.tos;
  Ipaddr laddr;
  uint16_t lport = c.lport, rport;
  std::span<const uint8_t> body = data;
  if (c.headers) {
    if (data.size() < udphdr::kLen) return Error(Err::TooShort, "udp headers");
    sp.dst = Ipaddr(data.data() + udphdr::kRaddr);
    laddr = Ipaddr(data.data() + udphdr::kLaddr);
    rport = load16(data.data() + udphdr::kRport);
    // ip(3): the announced port overrides the header's; `announce *` has
    // none of its own and answers from the port the datagram came to.
    if (lport == 0 && c.state == ConvState::kAnnounced)
      lport = load16(data.data() + udphdr::kLport);
    body = data.subspan(udphdr::kLen);
  } else {
    if (c.state != ConvState::kConnected) return Err::NotConnected;
    sp.dst = c.raddr;
    laddr = c.laddr;
    rport = c.rport;
  }
  if (sp.dst.is_zero()) return Error(Err::BadIp, "no remote address");
  if (rport == 0) return Error(Err::BadPort, "remote port 0");
  if (lport == 0) return Error(Err::BadPort, "no local port");
  if (body.size() > 65535 - wire::udp::kHeaderLen) return Err::TooBig;
  // ip(3): a local address that is not one of our unicast addresses is
  // overridden (a group the datagram came to, a zero one).
  const SelfEntry* se = ip.self(laddr);
  if (se && (se->flags & route::kUnicast) && laddr.is_v4() == sp.dst.is_v4()) sp.src = laddr;
  sp.ifc = scoped_ifc(c, sp.src, sp.dst);
  if (sp.src.is_zero()) {
    auto s = ip.source_for(sp.dst, sp.ifc);
    if (!s) return s.error();
    sp.src = *s;
  }
  uint32_t n = uint32_t(wire::udp::kHeaderLen + body.size());
  BlockPtr b = ip.pool.alloc(n);
  uint8_t* out = b->put(n);
  std::span<uint8_t> payload(out + wire::udp::kHeaderLen, body.size());
  std::copy(body.begin(), body.end(), payload.begin());
  if (!c.hooks.empty()) InputHooks::conv_out(c, sp.dst, rport, payload);
  wire::UdpRepr{lport, rport, {}, true}.emit(sp.src, sp.dst, {out, n}, payload);
  auto st = ip.send(sp, std::move(b));
  if (!st) return st.error();
  out_datagrams_++;
  return data.size();
}

void Udp::drop(const IpRx& rx, const std::string& why) {
  in_errors_++;
  if (ip.log.enabled(LogItem::kUdp)) ip.log.print(LogItem::kUdp, rx.src, rx.dst, why);
}

void Udp::no_port(const IpRx& rx, BlockPtr b) {
  no_ports_++;
  // RFC 1122 4.1.3.1 asks for port unreachable; never about a datagram to a
  // broadcast or multicast address (RFC 1122 3.2.2, RFC 4443 2.4 (e)).
  if (rx.to_mcast() || rx.to_bcast || (rx.link & (Block::kLinkBcast | Block::kLinkMcast))) return;
  b->push(rx.net_len);  // the error quotes the IP header
  ip.icmp_error(*b, IcmpErr::kPortUnreach);
}

Conv* Udp::call(Conv& listener, const IpRx& rx, uint16_t sport, uint16_t dport) {
  auto n = new_call(listener, rx.dst, dport, rx.src, sport, ConvState::kConnected);
  if (!n) {
    drop(rx, "no conversation for a new call: " + n.error().text());
    return nullptr;
  }
  if (!queue_call(listener, **n)) {
    release(**n);
    drop(rx, "listen queue full on port " + std::to_string(dport));
    return nullptr;
  }
  return *n;
}

void Udp::deliver(Conv& c, const IpRx& rx, uint16_t sport, uint16_t dport, BlockPtr b) {
  if (c.hungup) {
    // Plan 9 hangs up the queue: readers get what came before, then EOF.
    drop(rx, "conversation " + std::to_string(c.index) + " hung up");
    return;
  }
  if (c.headers) {
    if (b->headroom() < udphdr::kLen) b = ip.pool.copy(b->data(), b->size());
    uint8_t* h = b->push(udphdr::kLen);
    // ifcaddr: the arriving interface's address towards the sender (ip(3):
    // "V6 interface address (receive only)").
    auto ifcaddr = ip.source_for(rx.src, rx.ifc);
    std::memcpy(h + udphdr::kRaddr, rx.src.data(), Ipaddr::kLen);
    std::memcpy(h + udphdr::kLaddr, rx.dst.data(), Ipaddr::kLen);
    std::memcpy(h + udphdr::kIfcaddr, (ifcaddr ? *ifcaddr : rx.dst).data(), Ipaddr::kLen);
    store16(h + udphdr::kRport, sport);
    store16(h + udphdr::kLport, dport);
  }
  // A reader that does not keep up loses datagrams (Linux counts these in
  // InErrors too, as RcvbufErrors).
  if (!c.enqueue(std::move(b))) {
    drop(rx, "read queue full on conversation " + std::to_string(c.index));
    return;
  }
  in_datagrams_++;
}

void Udp::rcv(const IpRx& rx, BlockPtr b) {
  auto u = wire::UdpRepr::parse(rx.src, rx.dst, b->span(), !checksum_known(*b));
  if (!u) {
    drop(rx, u.error().text());
    return;
  }
  uint16_t sport = u->src_port, dport = u->dst_port;
  Conv* c = dport ? demux.find(dport, rx.src, sport, rx.dst) : nullptr;
  if (!c) {
    no_port(rx, std::move(b));
    return;
  }
  b->trim(uint32_t(wire::udp::kHeaderLen + u->data.size()));
  b->pull(wire::udp::kHeaderLen);
  // Hooks first, on the conversation the datagram found: pipex's L2TP
  // claims its sessions' data on the announced port (DESIGN.md) before any
  // call is made for the peer.
  if (!c->hooks.empty())
    if (Ifc* f = ip.ifc(rx.ifc); f && InputHooks::conv(*f, *c, rx, sport, dport, b)) {
      in_datagrams_++;
      return;
    }
  // ip(3): after announce (without headers), each new remote becomes a
  // conversation of its own.
  if (c->state == ConvState::kAnnounced && !c->headers && !(c = call(*c, rx, sport, dport))) return;
  deliver(*c, rx, sport, dport, std::move(b));
}

void Udp::advise(const Advice& a) {
  if (a.transport.size() < 4) return;
  uint16_t sport = load16(a.transport.data()), dport = load16(a.transport.data() + 2);
  Conv* c = demux.exact(sport, a.dst, dport);
  if (!c || c->state != ConvState::kConnected || c->ignoreadvice || c->hungup) return;
  if (!c->laddr.is_zero() && c->laddr != a.src) return;
  // We fragment what we send, so a smaller path MTU loses nothing.
  if (a.kind == Advice::kPacketTooBig) return;
  // Plan 9's udpadvise: the conversation hangs up with the error's text.
  c->err = a.text();
  c->hungup = true;
  c->wake();
  if (ip.log.enabled(LogItem::kUdp))
    ip.log.print(
        LogItem::kUdp, a.dst, a.src,
        "conversation " + std::to_string(c->index) + ": " + c->err + " from " + a.reporter.str());
}

std::string Udp::status(const Conv& c) const {
  return "Open qin " + std::to_string(c.rq_bytes) + " qout " + std::to_string(qout(c)) + "\n";
}

std::string Udp::stats() const {
  return "InDatagrams: " + std::to_string(in_datagrams_) +
         "\nNoPorts: " + std::to_string(no_ports_) + "\nInErrors: " + std::to_string(in_errors_) +
         "\nOutDatagrams: " + std::to_string(out_datagrams_) + "\n";
}

}  // namespace

std::unique_ptr<Proto> make_udp(Ip& ip) {
  return std::make_unique<Udp>(ip);
}

}  // namespace ninet
