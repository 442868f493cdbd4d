// conv.cc — the protocol-independent part of ip(3) conversations: clone,
// the generic ctl messages, blocking reads, listen, port choice and the
// default local/remote/status texts. Protocols supply the rest (conv.h).
#include "ip/conv.h"

#include <charconv>

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

bool Conv::enqueue(BlockPtr b) {
  if (rq_bytes + b->size() > kReadQueueBytes) return false;
  rq_bytes += b->size();
  rq.push_back(std::move(b));
  cv.notify_all();
  return true;
}

Result<size_t> Conv::read(std::unique_lock<std::mutex>& l, std::span<uint8_t> buf,
                          const std::atomic<bool>* cancel) {
  cv.wait(l, [&] { return !rq.empty() || hungup || (cancel && cancel->load()); });
  if (rq.empty()) {
    if (hungup) return size_t(0);
    return Err::Interrupted;
  }
  BlockPtr b = std::move(rq.front());
  rq.pop_front();
  rq_bytes -= b->size();
  size_t n = std::min<size_t>(buf.size(), b->size());
  std::memcpy(buf.data(), b->data(), n);
  return n;  // the rest of the datagram is discarded (ip(3) UDP)
}

void Conv::reset() {
  state = ConvState::kIdle;
  laddr = raddr = Ipaddr();
  lport = rport = 0;
  restricted = false;
  ttl = 255;
  tos = 0;
  ignoreadvice = headers = hungup = false;
  err.clear();
  multi.clear();
  rq.clear();
  rq_bytes = 0;
  incall.clear();
  ext.reset();
  inuse = false;
  owner = "network";
  cv.notify_all();
}

Result<Conv*> Proto::clone(std::string_view who) {
  for (auto& c : convs) {
    if (!c->inuse && c->refs == 0 && c->state == ConvState::kIdle) {
      c->reset();
      c->inuse = true;
      c->owner = std::string(who);
      return c.get();
    }
  }
  if (int(convs.size()) >= max_convs) return Err::NoFree;
  convs.push_back(std::make_unique<Conv>(*this, int(convs.size())));
  convs.back()->inuse = true;
  convs.back()->owner = std::string(who);
  return convs.back().get();
}

namespace {

std::vector<std::string_view> fields(std::string_view s) {
  std::vector<std::string_view> v;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
      i++;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != '\n' && s[j] != '\r')
      j++;
    if (j > i) v.push_back(s.substr(i, j - i));
    i = j;
  }
  return v;
}

// A port: decimal 0-65535. ip(3) says 1-32767; real programs (and Plan 9's
// own code) use the whole 16-bit space, so ninet accepts it.
bool parse_port(std::string_view s, uint16_t* out) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > 65535) return false;
  *out = uint16_t(v);
  return true;
}

bool parse_byte(std::string_view s, uint8_t* out) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > 255) return false;
  *out = uint8_t(v);
  return true;
}

}  // namespace

Status Proto::ctl_message(Conv& c, std::string_view msg, std::unique_lock<std::mutex>& l,
                          const std::atomic<bool>* cancel) {
  auto a = fields(msg);
  Status st;
  if (a.empty()) {
    st = Error(Err::BadCtl, "empty control message");
  } else if (a[0] == "connect") {
    // connect addr!port[!r] [local]
    if (a.size() < 2 || a.size() > 3) {
      st = Error(Err::BadArg, "connect addr!port[!r] [local]");
    } else if (c.state != ConvState::kIdle) {
      st = Err::InUse;
    } else {
      std::string_view s = a[1];
      size_t bang = s.find('!');
      std::string_view host = s.substr(0, bang);
      auto addr = Ipaddr::parse(host);
      uint16_t rport = 0, lport = 0;
      bool restricted = false;
      if (!addr) {
        st = addr.error();
      } else if (bang != std::string_view::npos) {
        std::string_view rest = s.substr(bang + 1);
        size_t b2 = rest.find('!');
        if (b2 != std::string_view::npos) {
          if (rest.substr(b2 + 1) != "r") st = Error(Err::BadArg, std::string(rest.substr(b2)));
          restricted = true;
          rest = rest.substr(0, b2);
        }
        if (st && !parse_port(rest, &rport)) st = Error(Err::BadPort, std::string(rest));
      }
      if (st && a.size() == 3 && !parse_port(a[2], &lport))
        st = Error(Err::BadPort, std::string(a[2]));
      if (st) {
        c.raddr = *addr;
        c.rport = rport;
        c.restricted = restricted;
        if (lport) c.lport = lport;
        st = connect(c);
        if (st && c.state == ConvState::kConnecting) {
          // ip(3): the write returns only when connected or failed.
          c.cv.wait(
              l, [&] { return c.state != ConvState::kConnecting || (cancel && cancel->load()); });
          if (c.state == ConvState::kConnecting)
            st = Err::Interrupted;
          else if (c.state != ConvState::kConnected)
            st = Error(Err::Refused, c.err.empty() ? "" : c.err);
        }
        if (!st && c.state != ConvState::kConnected) {
          c.state = ConvState::kIdle;
          c.raddr = Ipaddr();
          c.rport = 0;
        }
      }
    }
  } else if (a[0] == "announce") {
    if (a.size() != 2) {
      st = Error(Err::BadArg, "announce port|*");
    } else if (c.state != ConvState::kIdle) {
      st = Err::InUse;
    } else {
      uint16_t p = 0;
      if (a[1] != "*" && !parse_port(a[1], &p)) {
        st = Error(Err::BadPort, std::string(a[1]));
      } else if (p && port_in_use(p, Ipaddr(), 0, &c)) {
        st = Error(Err::AddrInUse, std::to_string(p));
      } else {
        c.lport = p;
        st = announce(c);
      }
    }
  } else if (a[0] == "bind") {
    uint16_t p = 0;
    if (a.size() != 2 || (a[1] != "*" && !parse_port(a[1], &p))) {
      st = Error(Err::BadArg, "bind port|*");
    } else {
      c.lport = p;
      st = bind(c);
    }
  } else if (a[0] == "ttl") {
    if (a.size() != 2 || !parse_byte(a[1], &c.ttl)) st = Error(Err::BadArg, "ttl n");
  } else if (a[0] == "tos") {
    if (a.size() != 2 || !parse_byte(a[1], &c.tos)) st = Error(Err::BadArg, "tos n");
  } else if (a[0] == "ignoreadvice") {
    c.ignoreadvice = true;
  } else if (a[0] == "addmulti") {
    if (a.size() < 2 || a.size() > 3) {
      st = Error(Err::BadArg, "addmulti ifc-ip [mcast-ip]");
    } else {
      auto ifcip = Ipaddr::parse(a[1]);
      Result<Ipaddr> mc = a.size() == 3 ? Ipaddr::parse(a[2]) : Result<Ipaddr>(Ipaddr());
      if (!ifcip)
        st = ifcip.error();
      else if (!mc)
        st = mc.error();
      else if (a.size() == 3 && !mc->is_multicast())
        st = Error(Err::BadIp, "not multicast");
      else
        c.multi.push_back({*ifcip, *mc});
    }
  } else if (a[0] == "remmulti") {
    auto ip =
        a.size() == 2 ? Ipaddr::parse(a[1]) : Result<Ipaddr>(Error(Err::BadArg, "remmulti ip"));
    if (!ip) {
      st = ip.error();
    } else {
      size_t before = c.multi.size();
      std::erase_if(c.multi, [&](auto& m) { return m.first == *ip || m.second == *ip; });
      if (c.multi.size() == before) st = Error(Err::NoSuchEntry, std::string(a[1]));
    }
  } else {
    st = ctl(c, a);
  }
  if (!st) {
    c.set_err(st.error());
    ip.log.print(name + " " + std::to_string(c.index) + ": " + std::string(msg) + ": " + c.err);
  }
  return st;
}

Result<Conv*> Proto::listen(Conv& c, std::unique_lock<std::mutex>& l,
                            const std::atomic<bool>* cancel) {
  if (c.state != ConvState::kAnnounced) return Err::NotAnnounced;
  c.cv.wait(l, [&] {
    return !c.incall.empty() || c.state != ConvState::kAnnounced || (cancel && cancel->load());
  });
  if (!c.incall.empty()) {
    int n = c.incall.front();
    c.incall.pop_front();
    if (Conv* nc = conv(n)) return nc;
    return Err::Hangup;
  }
  if (c.state != ConvState::kAnnounced) return Err::Hangup;
  return Err::Interrupted;
}

Status Proto::connect(Conv& c) {
  if (c.lport == 0) {
    c.lport = pick_port(c.restricted);
    if (c.lport == 0) return Error(Err::AddrInUse, "no free port");
  } else if (port_in_use(c.lport, c.raddr, c.rport, &c)) {
    return Error(Err::AddrInUse, std::to_string(c.lport));
  }
  auto src = ip.source_for(c.raddr);
  if (!src) return src.error();
  c.laddr = *src;
  c.state = ConvState::kConnected;
  return {};
}

Status Proto::announce(Conv& c) {
  c.state = ConvState::kAnnounced;
  return {};
}

std::string Proto::status(const Conv& c) const {
  return std::string(conv_state_name(c.state)) + " qin " + std::to_string(c.rq_bytes) + " qout 0\n";
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
  for (auto& c : convs) {
    if (c.get() == except || !c->inuse || c->lport != lport) continue;
    if (c->state == ConvState::kAnnounced || c->state == ConvState::kAnnouncing) return true;
    if (rport == 0 && raddr.is_zero()) return true;
    if (c->raddr == raddr && c->rport == rport) return true;
  }
  return false;
}

uint16_t Proto::pick_port(bool restricted) const {
  // ip(3): restricted ports are below 1024; others start at 5000.
  uint32_t lo = restricted ? 600 : 5000, hi = restricted ? 1023 : 65535;
  for (uint32_t p = lo; p <= hi; p++) {
    bool used = false;
    for (auto& c : convs)
      if (c->inuse && c->lport == p) used = true;
    if (!used) return uint16_t(p);
  }
  return 0;
}

}  // namespace ninet
