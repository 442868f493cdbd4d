// ether.cc — the ether directory (ether.h): conversations of one frame
// type on one interface, fed by an input hook on each type in use.
//
// Demultiplexing uses the shared ConvDemux with the interface's number as
// the local port and the type as the remote port (remote address zero), so
// a frame finds its conversation with one hash lookup and the table keeps
// the pair unique.
#include "proto/ether.h"

#include <map>

#include "base/endian.h"
#include "base/fields.h"
#include "ip/hooks.h"
#include "wire/ether.h"

namespace ninet {

namespace {

constexpr int kMaxConvs = 256;
constexpr size_t kMinFrame = 60;  // without the FCS
// After every other hook of a type: pipex's PPPoE claims its sessions first.
constexpr int kHookOrder = 1000;

class Ether final : public Proto, public InputHook {
 public:
  explicit Ether(Ip& ip) : Proto(ip, "ether", 0, kMaxConvs) {}
  ~Ether() override { ip.hooks.remove(this); }

  bool link_level() const override { return true; }
  Status ctl(Conv& c, const std::vector<std::string_view>& args) override;
  Result<size_t> write(Conv& c, std::span<const uint8_t> data) override;
  void rcv(const IpRx&, BlockPtr) override {}  // IP delivers nothing (link_level)
  std::string status(const Conv& c) const override { return "Datagram " + Proto::status(c); }
  std::string local(const Conv& c) const override;
  std::string remote(const Conv& c) const override;
  std::string stats() const override;
  bool close(Conv& c) override;

  bool claim(const HookIn& in, BlockPtr& b) override;

 private:
  Status connect_type(Conv& c, std::string_view arg);
  void hook_types();

  std::map<uint16_t, int> types_;  // connected conversations per type
  uint64_t in_frames_ = 0, in_drops_ = 0, out_frames_ = 0;
};

// "1!0x8863" or "1!34915".
bool parse_ifc_type(std::string_view s, int* ifc, uint16_t* type) {
  size_t bang = s.find('!');
  if (bang == std::string_view::npos) return false;
  auto n = parse_int(s.substr(0, bang), 0, 65535);
  std::string_view t = s.substr(bang + 1);
  std::optional<int64_t> v;
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    int64_t x = 0;
    for (char ch : t.substr(2)) {
      int d = ch >= '0' && ch <= '9'   ? ch - '0'
              : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
              : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                       : -1;
      if (d < 0 || x > 0xffff) return false;
      x = x * 16 + d;
    }
    if (t.size() <= 6) v = x;
  } else {
    v = parse_int(t, 0, 65535);
  }
  if (!n || !v || *v > 0xffff) return false;
  *ifc = int(*n);
  *type = uint16_t(*v);
  return true;
}

Status Ether::ctl(Conv& c, const std::vector<std::string_view>& args) {
  if (args[0] == "connect") {
    if (args.size() != 2) return Error(Err::BadArg, "connect ifc!type");
    return connect_type(c, args[1]);
  }
  if (args[0] == "announce" || args[0] == "bind")
    return Error(Err::NotSupported, std::string(args[0]) + ": ether connects to ifc!type");
  return Error(Err::BadCtl, std::string(args[0]));
}

Status Ether::connect_type(Conv& c, std::string_view arg) {
  int n;
  uint16_t type;
  if (!parse_ifc_type(arg, &n, &type)) return Error(Err::BadArg, "connect ifc!type");
  if (c.state != ConvState::kIdle) return Err::InUse;
  Ifc* f = ip.ifc(n);
  if (!f || !f->ether())
    return Error(Err::NoDevice, "ipifc " + std::to_string(n) + " is not an Ethernet interface");
  if (type < 0x0600) return Error(Err::BadPort, "type below 0x0600 is an 802.3 length");
  if (type == wire::ethertype::kIp4 || type == wire::ethertype::kArp ||
      type == wire::ethertype::kIp6)
    return Error(Err::BadPort, "the stack handles that type itself");
  c.lport = uint16_t(n);
  c.rport = type;
  c.raddr = Ipaddr();
  c.laddr = Ipaddr();
  if (!hash(c)) {
    c.lport = c.rport = 0;
    return Error(Err::AddrInUse, std::string(arg));
  }
  c.state = ConvState::kConnected;
  if (types_[type]++ == 0) hook_types();
  return {};
}

// One hook entry per type in use (InputHooks keys entries by type).
void Ether::hook_types() {
  ip.hooks.remove(this);
  for (auto [type, n] : types_)
    if (n > 0) ip.hooks.add_ether(type, this, kHookOrder);
}

bool Ether::close(Conv& c) {
  if (c.state == ConvState::kConnected) {
    auto it = types_.find(c.rport);
    if (it != types_.end() && --it->second == 0) {
      types_.erase(it);
      hook_types();
    }
  }
  return true;
}

bool Ether::claim(const HookIn& in, BlockPtr& b) {
  Conv* c = demux.exact(uint16_t(in.ifc.index), Ipaddr(), in.ethertype);
  if (!c || c->state != ConvState::kConnected || c->hungup) return false;
  if (c->enqueue(std::move(b)))
    in_frames_++;
  else
    in_drops_++;
  b.reset();
  return true;
}

Result<size_t> Ether::write(Conv& c, std::span<const uint8_t> data) {
  if (c.state != ConvState::kConnected) return Err::NotConnected;
  if (c.hungup) return Err::Hangup;
  Ifc* f = ip.ifc(c.lport);
  if (!f || !f->ether()) return Err::NoMedium;
  if (data.size() < wire::EtherRepr::kLen) return Error(Err::TooShort, "ether header");
  if (data.size() > size_t(f->mtu > 0 ? f->mtu : 1514)) return Err::TooBig;
  if (load16(data.data() + 12) != c.rport)
    return Error(Err::BadArg, "frame type is not the conversation's");
  BlockPtr b = ip.pool.copy(data.data(), uint32_t(data.size()));
  if (data.size() < kMinFrame) {
    const uint32_t pad = uint32_t(kMinFrame - data.size());
    std::memset(b->put(pad), 0, pad);
  }
  std::memcpy(b->data() + 6, f->mac.data(), Mac::kLen);
  ip.queue_frame(*f, std::move(b));
  out_frames_++;
  return data.size();
}

std::string Ether::local(const Conv& c) const {
  Ifc* f = ip.ifc(c.lport);
  std::string mac = f && c.state == ConvState::kConnected ? f->mac.str() : Mac().str();
  return mac + "!" + std::to_string(c.rport) + "\n";
}

std::string Ether::remote(const Conv& c) const {
  return std::to_string(c.lport) + "!" + std::to_string(c.rport) + "\n";
}

std::string Ether::stats() const {
  return "InFrames: " + std::to_string(in_frames_) + "\nInDrops: " + std::to_string(in_drops_) +
         "\nOutFrames: " + std::to_string(out_frames_) + "\n";
}

}  // namespace

std::unique_ptr<Proto> make_ether(Ip& ip) {
  return std::make_unique<Ether>(ip);
}

void ether_unbound(Proto& ether, int ifc) {
  for (auto& c : ether.convs)
    if (c->state == ConvState::kConnected && c->lport == ifc && !c->hungup) {
      c->hungup = true;
      c->wake();
    }
}

}  // namespace ninet
