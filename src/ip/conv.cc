// conv.cc — the protocol-independent part of ip(3) conversations: clone,
// the generic ctl messages, blocking reads, listen, port choice and the
// default local/remote/status texts. Protocols supply the rest (conv.h).
//
// Addresses in ctl messages follow Plan 9's devip: a remote is
// `addr[!port[!r]]`, a local is `[addr!]port[!r]` where addr may be `*` (any)
// and, for announce, port may be `*` (every port no one else announced).
// ip(3) says "Port numbers must be in the range 1 to 32767"; programs use the
// whole 16-bit space (and Plan 9's own code does), so ninet accepts 0-65535,
// 0 meaning "choose one".
#include "ip/conv.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "base/fields.h"
#include "ip/hooks.h"
#include "ip/ip.h"

namespace ninet {

std::string_view conv_state_name(ConvState s) {
  switch (s) {
    case ConvState::kIdle:
      return "Idle";
    case ConvState::kAnnouncing:
      return "Announcing";
    case ConvState::kAnnounced:
      return "Announced";
    case ConvState::kConnecting:
      return "Connecting";
    case ConvState::kConnected:
      return "Connected";
  }
  return "Unknown";
}

namespace {

// ---- Multicast memberships of conversations (addmulti/remmulti) ----

Ifc* ifc_with_address(Ip& ip, const Ipaddr& a) {
  for (auto& f : ip.ifcs())
    if (f->inuse && f->find(a)) return f.get();
  return nullptr;
}

// Groups the IP layer joined for itself (ifcctl.cc, neighbor.cc): a
// conversation leaving them must not take them from the interface.
bool stack_group(const Ifc& f, const Ipaddr& g) {
  static const Ipaddr kAllNodes4 = Ipaddr::v4(224, 0, 0, 1);
  static const Ipaddr kAllNodes6 = *Ipaddr::parse("ff02::1");
  static const Ipaddr kAllRouters6 = *Ipaddr::parse("ff02::2");
  if (g == kAllNodes4 || g == kAllNodes6 || (g == kAllRouters6 && (f.ra6.sendra || f.iprouting)))
    return true;
  for (const Lifc& l : f.lifcs)
    if (!l.local.is_v4() && solicited_node(l.local) == g) return true;
  return false;
}

Mac group_mac(const Ipaddr& g) {
  return g.is_v4() ? Mac::multicast_v4(g) : Mac::multicast_v6(g);
}

// Drops the interface's membership of m.second unless another conversation
// (of any protocol) or the IP layer still wants it. `gone` is no longer in
// any conversation's list.
void leave_group(Ip& ip, const std::pair<Ipaddr, Ipaddr>& gone) {
  Ifc* f = ifc_with_address(ip, gone.first);
  if (!f || !f->has_group(gone.second) || stack_group(*f, gone.second)) return;
  for (auto& p : ip.protos())
    for (auto& c : p->convs)
      for (auto& m : c->multi)
        if (m.second == gone.second && ifc_with_address(ip, m.first) == f) return;
  std::erase(f->groups, gone.second);
  // Several groups can share one link address (RFC 1112 section 6.4: 23 bits).
  Mac mac = group_mac(gone.second);
  for (const Ipaddr& g : f->groups)
    if (group_mac(g) == mac) return;
  if (f->ether()) (void)f->medium->rem_multi(mac);
}

}  // namespace

bool Conv::enqueue(BlockPtr b) {
  if (rq_bytes + b->size() > rq_limit) return false;
  rq_bytes += b->size();
  rq.push_back(std::move(b));
  cv.notify_all();
  return true;
}

Result<size_t> Conv::read(std::unique_lock<std::mutex>& l, std::span<uint8_t> buf,
                          const std::atomic<bool>* cancel) {
  cv.wait(l, [&] { return !rq.empty() || hungup || rx_done || (cancel && cancel->load()); });
  if (rq.empty()) {
    if (hungup || rx_done) return size_t(0);
    return Err::Interrupted;
  }
  size_t n = 0;
  if (!stream) {
    BlockPtr b = std::move(rq.front());
    rq.pop_front();
    rq_bytes -= b->size();
    n = std::min<size_t>(buf.size(), b->size());
    if (n) std::memcpy(buf.data(), b->data(), n);
    // The rest of the datagram is discarded (ip(3) UDP).
  } else {
    // What is there, up to the count; a block read in part keeps the rest.
    while (n < buf.size() && !rq.empty()) {
      Block& b = *rq.front();
      size_t k = std::min<size_t>(buf.size() - n, b.size());
      std::memcpy(buf.data() + n, b.data(), k);
      b.pull(uint32_t(k));
      n += k;
      rq_bytes -= k;
      if (b.size() == 0) rq.pop_front();
    }
  }
  proto.consumed(*this);
  return n;
}

void Conv::reset() {
  // Hooks hear of it first, while the conversation still has its addresses
  // and ports (pipex forgets the port it hooked).
  auto gone = std::move(hooks);
  hooks.clear();
  for (const ConvHook& h : gone)
    h.hook->conv_closed(*this);
  auto groups = std::move(multi);
  multi.clear();
  for (auto& m : groups)
    leave_group(proto.ip, m);
  proto.demux.erase(*this);
  proto.demux.drop_port(*this);
  state = ConvState::kIdle;
  laddr = raddr = Ipaddr();
  lport = rport = 0;
  restricted = false;
  ttl = 255;
  tos = 0;
  ignoreadvice = headers = hungup = rx_done = stream = false;
  err.clear();
  rq.clear();
  rq_bytes = 0;
  rq_limit = kReadQueueBytes;
  incall.clear();
  ext.reset();
  inuse = held = false;
  owner = "network";
  perm = 0660;
  cv.notify_all();
}

// ---- ConvDemux ----

size_t ConvDemux::hash(const Ipaddr& raddr, uint16_t lport, uint16_t rport) {
  // The low 8 bytes of the address (all of an IPv4 address, the interface
  // identifier of an IPv6 one) and the high 8, with the ports, mixed by
  // multiplications (splitmix64's finalizer).
  uint64_t a, b;
  std::memcpy(&a, raddr.data(), 8);
  std::memcpy(&b, raddr.data() + 8, 8);
  uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ b ^ (uint64_t(lport) << 16 | rport);
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return size_t(h ^ (h >> 31));
}

const ConvDemux::Slot* ConvDemux::slot(uint16_t lport, const Ipaddr& raddr, uint16_t rport) const {
  if (slots_.empty()) return nullptr;
  size_t mask = slots_.size() - 1;
  for (size_t i = hash(raddr, lport, rport) & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (!s.conv) return nullptr;
    if (s.lport == lport && s.rport == rport && s.raddr == raddr) return &s;
  }
}

Conv* ConvDemux::exact(uint16_t lport, const Ipaddr& raddr, uint16_t rport) const {
  if (raddr.is_zero() && rport == 0) {
    if (lport == 0) return star_;
    return listen_.empty() ? nullptr : listen_[lport];
  }
  const Slot* s = slot(lport, raddr, rport);
  return s ? s->conv : nullptr;
}

Conv* ConvDemux::find(uint16_t dport, const Ipaddr& src, uint16_t sport, const Ipaddr& dst) const {
  auto local_ok = [&](const Conv* c) { return c && (c->laddr.is_zero() || c->laddr == dst); };
  if (const Slot* s = slot(dport, src, sport); s && (s->laddr.is_zero() || s->laddr == dst))
    return s->conv;
  if (!listen_.empty())
    if (Conv* c = listen_[dport]; local_ok(c)) return c;
  if (local_ok(star_)) return star_;
  return nullptr;
}

void ConvDemux::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 64 : old.size() * 2, Slot());
  size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (!s.conv) continue;
    size_t i = hash(s.raddr, s.lport, s.rport) & mask;
    while (slots_[i].conv)
      i = (i + 1) & mask;
    slots_[i] = s;
  }
}

bool ConvDemux::insert(Conv& c) {
  if (c.hashed_) erase(c);
  if (Conv* other = exact(c.lport, c.raddr, c.rport)) return other == &c;
  if (c.raddr.is_zero() && c.rport == 0) {
    if (c.lport == 0) {
      star_ = &c;
    } else {
      if (listen_.empty()) listen_.assign(65536, nullptr);
      listen_[c.lport] = &c;
      listeners_++;
    }
  } else {
    if ((used_ + 1) * 2 > slots_.size()) grow();
    size_t mask = slots_.size() - 1;
    size_t i = hash(c.raddr, c.lport, c.rport) & mask;
    while (slots_[i].conv)
      i = (i + 1) & mask;
    slots_[i] = Slot{c.raddr, c.laddr, c.lport, c.rport, &c};
    used_++;
  }
  c.hashed_ = true;
  c.hkey_raddr_ = c.raddr;
  c.hkey_lport_ = c.lport;
  c.hkey_rport_ = c.rport;
  return true;
}

void ConvDemux::erase(Conv& c) {
  if (!c.hashed_) return;
  c.hashed_ = false;
  const Ipaddr& raddr = c.hkey_raddr_;
  uint16_t lport = c.hkey_lport_, rport = c.hkey_rport_;
  if (raddr.is_zero() && rport == 0) {
    if (lport == 0) {
      if (star_ == &c) star_ = nullptr;
    } else if (!listen_.empty() && listen_[lport] == &c) {
      listen_[lport] = nullptr;
      listeners_--;
    }
    return;
  }
  const Slot* found = slot(lport, raddr, rport);
  if (!found || found->conv != &c) return;
  // Backward-shift deletion (Knuth 6.4, Algorithm R): move later entries of
  // the probe run into the hole so that no lookup stops early.
  size_t mask = slots_.size() - 1;
  size_t hole = size_t(found - slots_.data());
  for (size_t j = (hole + 1) & mask; slots_[j].conv; j = (j + 1) & mask) {
    size_t home = hash(slots_[j].raddr, slots_[j].lport, slots_[j].rport) & mask;
    // Move j to the hole unless its home lies cyclically in (hole, j].
    bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (stays) continue;
    slots_[hole] = slots_[j];
    hole = j;
  }
  slots_[hole] = Slot();
  used_--;
}

void ConvDemux::hold_port(Conv& c, uint16_t port) {
  drop_port(c);
  if (port == 0) return;
  if (users_.empty()) users_.assign(65536, 0);
  users_[port]++;
  c.port_held_ = port;
}

void ConvDemux::drop_port(Conv& c) {
  if (c.port_held_ == 0) return;
  users_[c.port_held_]--;
  c.port_held_ = 0;
}

// ---- Lifetime ----

Result<Conv*> Proto::clone(std::string_view who) {
  if (free_.empty() && int(convs.size()) >= max_convs) gc();
  Conv* c = nullptr;
  if (!free_.empty()) {
    c = convs[size_t(*free_.begin())].get();
    free_.erase(free_.begin());
    c->reset();
  } else {
    if (int(convs.size()) >= max_convs) return Err::NoFree;
    convs.push_back(std::make_unique<Conv>(*this, int(convs.size())));
    c = convs.back().get();
  }
  c->inuse = true;
  c->owner = std::string(who);
  return c;
}

void Proto::free_conv(Conv& c) {
  c.reset();
  free_.insert(c.index);
}

void Proto::last_close(Conv& c) {
  // Calls nobody will accept now: the protocol closes them as if their
  // files had been opened and closed (TCP resets or finishes them).
  while (!c.incall.empty()) {
    Conv* call = conv(c.incall.front());
    c.incall.pop_front();
    if (call && call->refs == 0 && call->inuse) last_close(*call);
  }
  if (close(c)) {
    free_conv(c);
  } else {
    c.held = true;
    c.wake();
  }
}

void Proto::release(Conv& c) {
  if (!c.inuse) return;
  if (c.refs > 0) {
    // A file is still open: the last close frees it (close() of a finished
    // connection returns true).
    c.held = false;
    return;
  }
  free_conv(c);
}

Result<Conv*> Proto::new_call(Conv& listener, const Ipaddr& laddr, uint16_t lport,
                              const Ipaddr& raddr, uint16_t rport, ConvState st) {
  if (demux.exact(lport, raddr, rport)) return Error(Err::AddrInUse, raddr.str());
  auto c = clone(listener.owner);
  if (!c) return c.error();
  Conv& n = **c;
  n.perm = listener.perm;
  n.laddr = laddr;
  n.lport = lport;
  n.raddr = raddr;
  n.rport = rport;
  n.state = st;
  n.ttl = listener.ttl;
  n.tos = listener.tos;
  n.headers = listener.headers;
  n.ignoreadvice = listener.ignoreadvice;
  // The call is the listener's too for the hooks on it (pipex's L2TP data
  // keeps reaching pipex after the daemon took a call for the peer).
  n.hooks = listener.hooks;
  demux.hold_port(n, lport);
  (void)demux.insert(n);
  return &n;
}

bool Proto::queue_call(Conv& listener, Conv& call) {
  if (listener.incall.size() >= Conv::kListenQueue) return false;
  listener.incall.push_back(call.index);
  listener.wake();
  return true;
}

Result<size_t> Proto::write_data(Conv& c, std::span<const uint8_t> data,
                                 std::unique_lock<std::mutex>& l, const std::atomic<bool>* cancel) {
  if (!c.stream) {
    c.cv.wait(l, [&] { return message_fits(c, data) || c.hungup || (cancel && cancel->load()); });
    if (!message_fits(c, data) && !c.hungup) return Error(Err::Interrupted);
    return write(c, data);
  }
  size_t done = 0;
  while (done < data.size()) {
    c.cv.wait(l, [&] { return send_space(c) > 0 || c.hungup || (cancel && cancel->load()); });
    size_t space = send_space(c);
    if (space == 0) {
      // A signal or a hangup: what was taken stays taken (as write(2)).
      if (done) return done;
      return c.hungup ? Error(Err::Hangup) : Error(Err::Interrupted);
    }
    auto n = write(c, data.subspan(done, std::min(space, data.size() - done)));
    if (!n) return done ? Result<size_t>(done) : n;
    done += *n;
  }
  return done;
}

namespace {

bool parse_port(std::string_view s, uint16_t* out) {
  auto v = parse_int(s, 0, 65535);
  if (v) *out = uint16_t(*v);
  return v.has_value();
}

// A remote `addr[!port[!r]]`.
struct RemoteArg {
  Ipaddr addr;
  uint16_t port = 0;
  bool restricted = false;
};
Result<RemoteArg> parse_remote(std::string_view s) {
  RemoteArg r;
  size_t bang = s.find('!');
  auto addr = Ipaddr::parse(s.substr(0, bang));
  if (!addr) return addr.error();
  r.addr = *addr;
  if (bang == std::string_view::npos) return r;  // icmp: no port
  std::string_view rest = s.substr(bang + 1);
  size_t b2 = rest.find('!');
  if (b2 != std::string_view::npos) {
    if (rest.substr(b2 + 1) != "r") return Error(Err::BadArg, std::string(s));
    r.restricted = true;
    rest = rest.substr(0, b2);
  }
  if (!parse_port(rest, &r.port)) return Error(Err::BadPort, std::string(rest));
  return r;
}

// A local `[addr!]port[!r]`: addr `*` or absent means any; port `*` is only
// meaningful to announce (star), 0 means "choose".
struct LocalArg {
  Ipaddr addr;
  uint16_t port = 0;
  bool star = false;
};
Result<LocalArg> parse_local(Ip& ip, std::string_view s) {
  LocalArg l;
  if (s.ends_with("!r")) s.remove_suffix(2);  // devip: meaningless on local ports
  size_t bang = s.find('!');
  if (bang != std::string_view::npos) {
    std::string_view a = s.substr(0, bang);
    if (a != "*") {
      auto addr = Ipaddr::parse(a);
      if (!addr) return addr.error();
      if (!ip.is_self(*addr) && !addr->is_multicast())
        return Error(Err::NoAddr, std::string(a));  // devip: "not a local IP address"
      l.addr = *addr;
    }
    s = s.substr(bang + 1);
  }
  if (s == "*")
    l.star = true;
  else if (!parse_port(s, &l.port))
    return Error(Err::BadPort, std::string(s));
  return l;
}

// A protocol reports why a connect failed in the conv's err file, with the
// texts of errors.def ("connection timed out"); the write fails with that
// error. Unknown texts are refusals.
Error connect_error(const std::string& t) {
  return error_from_text(t, Err::Refused);
}

Status ctl_connect(Proto& p, Conv& c, const std::vector<std::string_view>& a,
                   std::unique_lock<std::mutex>& l, const std::atomic<bool>* cancel) {
  // connect addr!port[!r] [[addr!]port]
  if (a.size() < 2 || a.size() > 3) return Error(Err::BadArg, "connect addr!port[!r] [local]");
  if (c.state != ConvState::kIdle) return Err::InUse;
  auto r = parse_remote(a[1]);
  if (!r) return r.error();
  LocalArg loc;
  if (a.size() == 3) {
    auto x = parse_local(p.ip, a[2]);
    if (!x) return x.error();
    if (x->star) return Error(Err::BadPort, "*");
    loc = *x;
  }
  // From `bind`: kept unless the local argument names an address or port.
  const Ipaddr bound_addr = c.laddr;
  const uint16_t bound_port = c.lport;
  c.raddr = r->addr;
  c.rport = r->port;
  c.restricted = r->restricted;
  if (a.size() == 3 && a[2].find('!') != std::string_view::npos) c.laddr = loc.addr;
  if (loc.port) c.lport = loc.port;
  Status st;
  if (c.lport == 0) {
    c.lport = p.pick_port(c.restricted);
    if (c.lport == 0) st = Error(Err::AddrInUse, "no free port");
  } else if (p.port_in_use(c.lport, c.raddr, c.rport, &c)) {
    st = Error(Err::AddrInUse, std::to_string(c.lport));
  }
  if (st) {
    p.demux.hold_port(c, c.lport);
    st = p.connect(c);
  }
  // Into the demux table with the local address connect() chose, before the
  // lock is let go (a reply cannot arrive before then).
  if (st && !p.hash(c)) st = Error(Err::AddrInUse, std::to_string(c.lport));
  if (st && c.state == ConvState::kConnecting) {
    // ip(3): the write returns only when connected or failed.
    c.cv.wait(l, [&] {
      return c.state != ConvState::kConnecting || c.hungup || (cancel && cancel->load());
    });
    if (c.state == ConvState::kConnecting)  // the protocol still owns the attempt
      return c.hungup ? Err::Hangup : Err::Interrupted;
    if (c.state != ConvState::kConnected) st = connect_error(c.err);
  }
  if (!st && c.state != ConvState::kConnected) {
    p.unhash(c);
    c.state = ConvState::kIdle;
    c.raddr = Ipaddr();
    c.rport = 0;
    c.laddr = bound_addr;
    c.lport = bound_port;
    p.demux.hold_port(c, bound_port);
    c.restricted = false;
  }
  return st;
}

Status ctl_announce(Proto& p, Conv& c, const std::vector<std::string_view>& a,
                    std::unique_lock<std::mutex>& l, const std::atomic<bool>* cancel) {
  // announce [addr!]port|*
  if (a.size() != 2) return Error(Err::BadArg, "announce [addr!]port|*");
  if (c.state != ConvState::kIdle) return Err::InUse;  // ip(3): already announced or connected
  auto loc = parse_local(p.ip, a[1]);
  if (!loc) return loc.error();
  uint16_t port = loc->port;
  if (!loc->star && port == 0) {
    port = p.pick_port(false);
    if (port == 0) return Error(Err::AddrInUse, "no free port");
  }
  // `*` is lport 0, which no other announce may hold either.
  if (p.port_in_use(port, Ipaddr(), 0, &c)) return Error(Err::AddrInUse, std::string(a[1]));
  uint16_t bound = c.lport;
  c.laddr = loc->addr;
  c.lport = port;
  p.demux.hold_port(c, port);
  Status st = p.hash(c) ? Status() : Status(Error(Err::AddrInUse, std::string(a[1])));
  if (st) st = p.announce(c);
  if (st && c.state == ConvState::kAnnouncing) {
    c.cv.wait(l, [&] {
      return c.state != ConvState::kAnnouncing || c.hungup || (cancel && cancel->load());
    });
    if (c.state == ConvState::kAnnouncing) return c.hungup ? Err::Hangup : Err::Interrupted;
    if (c.state != ConvState::kAnnounced) st = connect_error(c.err);
  }
  if (!st && c.state != ConvState::kAnnounced) {
    p.unhash(c);
    c.state = ConvState::kIdle;
    c.laddr = Ipaddr();
    c.lport = bound;
    p.demux.hold_port(c, bound);
  }
  return st;
}

Status ctl_multi(Ip& ip, Conv& c, const std::vector<std::string_view>& a) {
  if (a[0] == "addmulti") {
    // addmulti ifc-ip [mcast-ip]; without mcast-ip the group is the remote.
    if (a.size() < 2 || a.size() > 3) return Error(Err::BadArg, "addmulti ifc-ip [mcast-ip]");
    auto ifcip = Ipaddr::parse(a[1]);
    if (!ifcip) return ifcip.error();
    Result<Ipaddr> mc = a.size() == 3 ? Ipaddr::parse(a[2]) : Result<Ipaddr>(c.raddr);
    if (!mc) return mc.error();
    if (!mc->is_multicast()) return Error(Err::BadIp, "addmulti for a non multicast address");
    if (mc->is_v4() != ifcip->is_v4()) return Error(Err::BadIp, "address families differ");
    Ifc* f = ifc_with_address(ip, *ifcip);
    if (!f) return Error(Err::NoAddr, std::string(a[1]));
    std::pair<Ipaddr, Ipaddr> m{*ifcip, *mc};
    if (std::find(c.multi.begin(), c.multi.end(), m) == c.multi.end()) c.multi.push_back(m);
    ip.join_group(*f, *mc);
    return {};
  }
  // remmulti ip: drops memberships whose interface or group address is ip.
  if (a.size() != 2) return Error(Err::BadArg, "remmulti ip");
  auto x = Ipaddr::parse(a[1]);
  if (!x) return x.error();
  std::vector<std::pair<Ipaddr, Ipaddr>> gone;
  std::erase_if(c.multi, [&](auto& m) {
    if (m.first != *x && m.second != *x) return false;
    gone.push_back(m);
    return true;
  });
  if (gone.empty()) return Error(Err::NoSuchEntry, std::string(a[1]));
  for (auto& m : gone)
    leave_group(ip, m);
  return {};
}

}  // namespace

Status Proto::ctl_message(Conv& c, std::string_view msg, std::unique_lock<std::mutex>& l,
                          const std::atomic<bool>* cancel) {
  auto a = ctl_fields(msg);
  Status st;
  if (a.empty()) {
    st = Error(Err::BadCtl, "empty control message");
  } else if (own_addresses() && (a[0] == "connect" || a[0] == "announce" || a[0] == "bind")) {
    st = ctl(c, a);
  } else if (a[0] == "connect") {
    st = ctl_connect(*this, c, a, l, cancel);
  } else if (a[0] == "announce") {
    st = ctl_announce(*this, c, a, l, cancel);
  } else if (a[0] == "accept" && a.size() <= 2) {
    // dial(2)'s accept writes "accept N" on every network; IP needs none
    // (the call is taken by opening its data), so it is no error.
  } else if (a[0] == "bind") {
    // bind [addr!]port|*: BSD emulation; * and 0 choose a port (devip).
    auto loc = a.size() == 2 ? parse_local(ip, a[1])
                             : Result<LocalArg>(Error(Err::BadArg, "bind [addr!]port|*"));
    if (!loc) {
      st = loc.error();
    } else if (c.state != ConvState::kIdle) {
      st = Err::InUse;
    } else {
      uint16_t p = loc->port ? loc->port : pick_port(false);
      if (p == 0)
        st = Error(Err::AddrInUse, "no free port");
      else if (port_in_use(p, Ipaddr(), 0, &c))
        st = Error(Err::AddrInUse, std::to_string(p));
      if (st) {
        c.laddr = loc->addr;
        c.lport = p;
        demux.hold_port(c, p);
        st = bind(c);
      }
    }
  } else if (a[0] == "ttl" || a[0] == "tos") {
    auto v = a.size() == 2 ? parse_int(a[1], 0, 255) : std::nullopt;
    if (!v)
      st = Error(Err::BadArg, std::string(a[0]) + " n");
    else
      (a[0] == "ttl" ? c.ttl : c.tos) = uint8_t(*v);
  } else if (a[0] == "ignoreadvice") {
    c.ignoreadvice = true;
  } else if (a[0] == "addmulti" || a[0] == "remmulti") {
    st = ctl_multi(ip, c, a);
  } else {
    st = ctl(c, a);
  }
  if (!st) {
    c.set_err(st.error());
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r' || msg.back() == ' '))
      msg.remove_suffix(1);
    ip.log.print(name + " " + std::to_string(c.index) + ": " + std::string(msg) + ": " + c.err);
  }
  return st;
}

Result<Conv*> Proto::listen(Conv& c, std::unique_lock<std::mutex>& l,
                            const std::atomic<bool>* cancel) {
  if (c.state != ConvState::kAnnounced) return Err::NotAnnounced;
  c.cv.wait(l, [&] {
    return !c.incall.empty() || c.state != ConvState::kAnnounced || c.hungup ||
           (cancel && cancel->load());
  });
  if (!c.incall.empty()) {
    int n = c.incall.front();
    c.incall.pop_front();
    if (Conv* nc = conv(n)) return nc;
    return Err::Hangup;
  }
  if (c.state != ConvState::kAnnounced || c.hungup) return Err::Hangup;
  return Err::Interrupted;
}

Status Proto::connect(Conv& c) {
  if (c.laddr.is_zero()) {
    auto src = ip.source_for(c.raddr);
    if (!src) return src.error();
    c.laddr = *src;
  }
  c.state = ConvState::kConnected;
  return {};
}

Status Proto::announce(Conv& c) {
  c.state = ConvState::kAnnounced;
  return {};
}

std::string Proto::status(const Conv& c) const {
  return std::string(conv_state_name(c.state)) + " qin " + std::to_string(c.rq_bytes) + " qout " +
         std::to_string(qout(c)) + "\n";
}

namespace {
std::string addr_port(const Ipaddr& a, uint16_t p) {
  std::string s = a.is_zero() && !a.is_v4() ? "::" : a.str();
  return s + "!" + std::to_string(p) + "\n";
}
}  // namespace

std::string Proto::local(const Conv& c) const {
  return addr_port(c.laddr, c.lport);
}
std::string Proto::remote(const Conv& c) const {
  return addr_port(c.raddr, c.rport);
}

bool Proto::port_in_use(uint16_t lport, const Ipaddr& raddr, uint16_t rport,
                        const Conv* except) const {
  // devip's setluniqueport: only conversations that are announced or
  // connected (the ones in the demux table) hold a port, and only for
  // their own remote.
  const Conv* c = demux.exact(lport, raddr, rport);
  return c && c != except;
}

uint16_t Proto::pick_port(bool restricted) {
  // ip(3): restricted ports are below 1024 (devip uses 600-1023); others
  // start at 5000. The search goes on from the last port given, so a port
  // just freed is not handed out again at once (a peer may still hold
  // state for it, TCP's TIME-WAIT or late echo replies).
  const uint32_t lo = restricted ? 600 : 5000, hi = restricted ? 1023 : 65535;
  uint16_t& next = restricted ? next_restricted_port_ : next_port_;
  if (next < lo || next > hi) next = uint16_t(lo);
  for (uint32_t i = 0, n = hi - lo + 1; i < n; i++) {
    uint32_t p = lo + (next - lo + i) % n;
    if (!demux.port_used(uint16_t(p))) {
      next = uint16_t(p == hi ? lo : p + 1);
      return uint16_t(p);
    }
  }
  return 0;
}

}  // namespace ninet
