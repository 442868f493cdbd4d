// ipmux.cc — the ipmux protocol directory (ipmux.h): connect installs a
// conversation's filter in the shared tree, the input hook hands each packet
// to the filter the tree chooses, and writes go out through Ip::output.
#include "proto/ipmux.h"

#include <cstring>

#include "base/endian.h"
#include "ip/hooks.h"
#include "ip/ifc.h"
#include "proto/ipmux_filter.h"
#include "wire/ip4.h"
#include "wire/ip6.h"

namespace ninet {

namespace {

// Plan 9's ipmux has 64; a filter per OSPF interface or 6to4 tunnel.
constexpr int kMaxConvs = 1024;
// The interface address before each packet read (Plan 9: IPaddrlen).
constexpr uint32_t kIfcAddrLen = Ipaddr::kLen;

struct IpmuxConv : ConvExt {
  ipmux::Filter filter;
};

class Ipmux : public Proto, public InputHook {
 public:
  explicit Ipmux(Ip& ip) : Proto(ip, "ipmux", 0, kMaxConvs) {}
  ~Ipmux() override {
    if (hooked_) ip.hooks.remove(this);
  }
  bool raw() const override { return true; }
  Status ctl(Conv& c, const std::vector<std::string_view>& args) override;
  Result<size_t> write(Conv& c, std::span<const uint8_t> data) override;
  void rcv(const IpRx&, BlockPtr) override {}  // never by number (raw)
  bool claim(const HookIn& in, BlockPtr& b) override;
  std::string status(const Conv& c) const override { return "Datagram " + Proto::status(c); }
  std::string local(const Conv&) const override { return "0.0.0.0!0\n"; }
  std::string remote(const Conv& c) const override;
  std::string stats() const override;
  bool close(Conv& c) override;

 private:
  Status connect_filter(Conv& c, std::string_view text);

  ipmux::Tree tree_;
  uint64_t next_seq_ = 1;
  bool hooked_ = false;
  std::vector<Ipaddr> ifc_addrs_;  // scratch for claim(), kept to avoid allocating
  uint64_t in_packets_ = 0, in_drops_ = 0, out_packets_ = 0, out_errors_ = 0;
};

Status Ipmux::ctl(Conv& c, const std::vector<std::string_view>& a) {
  if (a[0] == "connect") {
    // The filter has no spaces (NOTES.md): one argument.
    if (a.size() != 2) return Error(Err::BadFilter, "connect takes one filter, without spaces");
    return connect_filter(c, a[1]);
  }
  if (a[0] == "announce") return Err::IpmuxAnnounce;
  return Error(Err::BadCtl, std::string(a[0]));
}

Status Ipmux::connect_filter(Conv& c, std::string_view text) {
  if (c.state != ConvState::kIdle) return Err::InUse;
  auto rels = ipmux::parse_filter(text);
  if (!rels) return rels.error();
  auto x = std::make_unique<IpmuxConv>();
  x->filter = ipmux::Filter{std::move(*rels), next_seq_++, c.index};
  tree_.add(x->filter);
  c.ext = std::move(x);
  c.state = ConvState::kConnected;
  if (!hooked_) {
    ip.hooks.add_ip(this);
    hooked_ = true;
  }
  return {};
}

bool Ipmux::close(Conv& c) {
  if (auto* x = dynamic_cast<IpmuxConv*>(c.ext.get())) {
    tree_.remove(x->filter);
    c.ext.reset();
  }
  if (tree_.empty() && hooked_) {
    ip.hooks.remove(this);
    hooked_ = false;
  }
  return true;
}

bool Ipmux::claim(const HookIn& in, BlockPtr& b) {
  const IpRx& rx = *in.ip;
  if (rx.v6) return false;  // filters are IPv4's (ipmux_filter.h)
  ifc_addrs_.clear();
  for (const Lifc& l : in.ifc.lifcs)
    if (l.local.is_v4()) ifc_addrs_.push_back(l.local);
  const ipmux::Filter* f = tree_.match(ipmux::Packet{b->span(), rx.net_len, ifc_addrs_});
  if (!f) return false;
  Conv* c = conv(f->conv);
  if (!c) return false;
  // As Plan 9: the interface's address, then the IP packet.
  auto ifcaddr = ip.source_for(rx.src, rx.ifc);
  const Ipaddr& a = ifcaddr ? *ifcaddr : rx.dst;
  if (b->headroom() < kIfcAddrLen) b = ip.pool.copy(b->data(), b->size());
  std::memcpy(b->push(kIfcAddrLen), a.data(), kIfcAddrLen);
  if (c->enqueue(std::move(b)))
    in_packets_++;
  else
    in_drops_++;
  return true;
}

Result<size_t> Ipmux::write(Conv& c, std::span<const uint8_t> data) {
  auto refuse = [&](Error e) -> Result<size_t> {
    out_errors_++;
    return e;
  };
  if (data.empty()) return refuse(Error(Err::TooShort, "ip header"));
  if (data.size() > 65535) return refuse(Err::TooBig);
  int version = data[0] >> 4;
  if (version == 4) {
    size_t hl = size_t(data[0] & 15) * 4;
    if (hl < 20 || data.size() < hl) return refuse(Error(Err::TooShort, "ip header"));
  } else if (version == 6) {
    if (data.size() < wire::Ip6Repr::kLen) return refuse(Error(Err::TooShort, "ip6 header"));
  } else {
    return refuse(Error(Err::BadArg, "not an IPv4 or IPv6 packet"));
  }
  BlockPtr b = ip.pool.copy(data.data(), uint32_t(data.size()));
  if (version == 4) {
    wire::Ip4View v(b->data());
    v.set_total_len(uint16_t(data.size()));  // and the checksum
  } else {
    store16(b->data() + wire::ip6::kPayloadLen, uint16_t(data.size() - wire::Ip6Repr::kLen));
  }
  if (auto st = ip.output(std::move(b)); !st) return refuse(st.error());
  out_packets_++;
  return data.size();
}

std::string Ipmux::remote(const Conv& c) const {
  auto* x = dynamic_cast<const IpmuxConv*>(c.ext.get());
  return (x ? ipmux::filter_text(x->filter.rels) : std::string()) + "\n";
}

std::string Ipmux::stats() const {
  return "InPackets: " + std::to_string(in_packets_) + "\nInDrops: " + std::to_string(in_drops_) +
         "\nOutPackets: " + std::to_string(out_packets_) +
         "\nOutErrors: " + std::to_string(out_errors_) +
         "\nFilters: " + std::to_string(tree_.filters()) +
         "\nNodes: " + std::to_string(tree_.nodes()) + "\n";
}

}  // namespace

std::unique_ptr<Proto> make_ipmux(Ip& ip) {
  return std::make_unique<Ipmux>(ip);
}

}  // namespace ninet
