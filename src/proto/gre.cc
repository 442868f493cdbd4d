// gre.cc — the gre protocol directory (gre.h): connect with one
// conversation per remote and protocol type, whole GRE datagrams in and out,
// and the counters.
//
// Demultiplexing uses the shared ConvDemux with the protocol type as the
// remote port and local port 0, so a datagram finds its conversation with
// one hash lookup of (0, source, protocol type) and the table itself keeps
// the pair unique.
#include "proto/gre.h"

#include "base/endian.h"
#include "ip/hooks.h"
#include "wire/gre.h"
#include "wire/ip4.h"

namespace ninet {

namespace {

// A PPTP server holds one conversation per client address; Plan 9's 64
// would cap it at 64 clients.
constexpr int kMaxConvs = 16384;

class Gre : public Proto {
 public:
  explicit Gre(Ip& ip) : Proto(ip, "gre", wire::ipproto::kGre, kMaxConvs) {}
  Status connect(Conv& c) override;
  Status announce(Conv& c) override { return Err::GreAnnounce; }
  Result<size_t> write(Conv& c, std::span<const uint8_t> data) override;
  void rcv(const IpRx& rx, BlockPtr b) override;
  std::string status(const Conv& c) const override;
  std::string stats() const override;

 private:
  void drop(const IpRx& rx, const std::string& why);

  uint64_t in_errors_ = 0, in_datagrams_ = 0, no_convs_ = 0, out_datagrams_ = 0;
};

Status Gre::connect(Conv& c) {
  // The generic code parsed addr!eproto into raddr and rport (and chose a
  // local port GRE does not have).
  if (c.raddr.is_zero()) return Error(Err::BadIp, "connect needs a remote address");
  if (c.rport == 0) return Error(Err::BadPort, "connect addr!eproto");
  if (!c.laddr.is_zero() && c.laddr.is_v4() != c.raddr.is_v4())
    return Error(Err::BadIp, "address families differ");
  if (Conv* other = demux.exact(0, c.raddr, c.rport); other && other != &c)
    return Err::GreConnected;
  c.lport = 0;
  demux.drop_port(c);
  return Proto::connect(c);
}

Result<size_t> Gre::write(Conv& c, std::span<const uint8_t> data) {
  if (c.state != ConvState::kConnected) return Err::NotConnected;
  if (data.size() < wire::gre::kMinHeader) return Error(Err::TooShort, "gre header");
  if (data.size() > 65535) return Err::TooBig;
  BlockPtr b = ip.pool.copy(data.data(), uint32_t(data.size()));
  // ip(3): "On write, the kernel fills in the eproto field with the port
  // number specified in the connect message."
  store16(b->data() + wire::gre::kProtocol, c.rport);
  // Hooks added on the conversation see what it sends (pipex renumbers a
  // PPTP daemon's sequence and acknowledgment numbers into the share it
  // keeps with the daemon: docs/pipex.md). Input needs no conversation
  // hooks: IP protocol 47's hooks have seen every datagram before rcv().
  if (!c.hooks.empty()) InputHooks::conv_out(c, c.raddr, c.rport, b->span());
  SendParams sp;
  sp.src = c.laddr;
  sp.dst = c.raddr;
  sp.proto = ipproto;
  sp.ttl = c.ttl;
  sp.tos = c.tos;
  auto st = ip.send(sp, std::move(b));
  if (!st) return st.error();
  out_datagrams_++;
  return data.size();
}

void Gre::drop(const IpRx& rx, const std::string& why) {
  in_errors_++;
  if (ip.log.enabled(LogItem::kGre)) ip.log.print(LogItem::kGre, rx.src, rx.dst, why);
}

void Gre::rcv(const IpRx& rx, BlockPtr b) {
  auto g = wire::GreRepr::parse(b->span());
  if (!g) {
    drop(rx, g.error().text());
    return;
  }
  Conv* c = demux.exact(0, rx.src, g->protocol);
  if (!c || c->state != ConvState::kConnected) {
    no_convs_++;
    return;
  }
  // The whole datagram from its GRE header (ip(3)); IP input has cut the
  // block to the IP length.
  if (!c->enqueue(std::move(b))) {
    drop(rx, "read queue full on conversation " + std::to_string(c->index));
    return;
  }
  in_datagrams_++;
}

std::string Gre::status(const Conv& c) const {
  // Plan 9's grestate says "Datagram", as for ICMP (NOTES.md).
  return "Datagram " + Proto::status(c);
}

std::string Gre::stats() const {
  return "InErrors: " + std::to_string(in_errors_) +
         "\nInDatagrams: " + std::to_string(in_datagrams_) +
         "\nNoConvs: " + std::to_string(no_convs_) +
         "\nOutDatagrams: " + std::to_string(out_datagrams_) + "\n";
}

}  // namespace

std::unique_ptr<Proto> make_gre(Ip& ip) {
  return std::make_unique<Gre>(ip);
}

}  // namespace ninet
