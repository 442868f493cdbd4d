#include "pipex/sessions.h"

#include <cerrno>
#include <cstring>

#include "base/endian.h"
#include "ip/ip.h"
#include "pipex/text.h"

namespace ninet::pipex {

namespace {

constexpr Time kSecond = 1000000000;

bool key_bits_ok(int bits) {
  return bits == 40 || bits == 56 || bits == 128;
}

}  // namespace

Session::Session(TimerWheel& w, Pipex& px)
    : timer(w, [this, &px](Time now) { px.on_timer(*this, now); }) {}

Pipex::Pipex(Ip& ip) : ip_(ip) {}

Pipex::~Pipex() {
  // Sessions first: a pppx session's interface goes with it.
  std::vector<Session*> all;
  for (auto& [k, s] : by_id_)
    all.push_back(s.get());
  for (Session* s : all)
    free_session(s);
  unhook_all();
}

bool Pipex::mode(int ifc) const {
  auto it = mode_.find(ifc);
  return it != mode_.end() && it->second;
}

Session* Pipex::find(int protocol, uint16_t id) const {
  if (protocol < 1 || protocol > 3 || ids_[protocol].empty()) return nullptr;
  return ids_[protocol][id];
}

Session* Pipex::find_v4(const Ipaddr& a) const {
  if (!a.is_v4() || by_addr4_.empty()) return nullptr;
  const uint32_t x = a.v4();
  // Longest mask first over the lengths in use (almost always just /32).
  for (auto it = mask_lens_.rbegin(); it != mask_lens_.rend(); ++it) {
    const int len = it->first;
    const uint32_t m = len == 0 ? 0 : ~uint32_t(0) << (32 - len);
    Session* s = by_addr4_.find(x & m);
    if (s && s->mask4.v4() == m) return s;
  }
  return nullptr;
}

Session* Pipex::find_v6(const Ipaddr& a) const {
  if (a.is_v4() || by_addr6_.empty()) return nullptr;
  for (auto it = prefix_lens6_.rbegin(); it != prefix_lens6_.rend(); ++it) {
    auto s = by_addr6_.find(a & Ipaddr::mask_v6(it->first));
    if (s != by_addr6_.end() && s->second->prefix6 == it->first) return s->second;
  }
  return nullptr;
}

int Pipex::ioctl(Ifc& f, unsigned long cmd, void* arg) {
  if (!arg) return EFAULT;
  switch (cmd) {
    case PIPEXSMODE: {
      const bool on = *static_cast<int*>(arg) != 0;
      if (!on) remove_sessions(f.index, false);
      mode_[f.index] = on;
      return 0;
    }
    case PIPEXGMODE:
      *static_cast<int*>(arg) = mode(f.index) ? 1 : 0;
      return 0;
    case PIPEXASESSION:
      if (!mode(f.index) && !is_pppx(f)) return ENXIO;
      return add(f, *static_cast<pipex_session_req*>(arg));
    case PIPEXDSESSION: {
      auto* r = static_cast<pipex_session_stat_req*>(arg);
      Session* s = find(r->psr_protocol, r->psr_session_id);
      if (!s || s->ctl_ifc != f.index) return EINVAL;
      fill_stats(*s, r->psr_stat);
      free_session(s);
      return 0;
    }
    case PIPEXCSESSION: {
      auto* r = static_cast<pipex_session_config_req*>(arg);
      Session* s = find(r->pcr_protocol, r->pcr_session_id);
      if (!s || s->ctl_ifc != f.index) return EINVAL;
      s->ip_forward = r->pcr_ip_forward != 0;
      return 0;
    }
    case PIPEXGSTAT: {
      auto* r = static_cast<pipex_session_stat_req*>(arg);
      Session* s = find(r->psr_protocol, r->psr_session_id);
      if (!s || s->ctl_ifc != f.index) return EINVAL;
      fill_stats(*s, r->psr_stat);
      return 0;
    }
    case PIPEXGCLOSED: {
      auto* r = static_cast<pipex_session_list_req*>(arg);
      std::memset(r, 0, sizeof *r);
      for (auto it = closed_.begin(); it != closed_.end();) {
        Session* s = *it;
        if (s->ctl_ifc != f.index) {
          ++it;
          continue;
        }
        if (r->plr_ppp_id_count == PIPEX_MAX_LISTREQ) {
          r->plr_flags |= PIPEX_LISTREQ_MORE;
          break;
        }
        r->plr_ppp_id[r->plr_ppp_id_count++] = s->ppp_id;
        s->state = State::kCloseWait2;
        it = closed_.erase(it);
      }
      return 0;
    }
    case PIPEXSIFDESCR: {
      auto* r = static_cast<pipex_session_descr_req*>(arg);
      Session* s = find(r->pdr_protocol, r->pdr_session_id);
      if (!s || s->ctl_ifc != f.index) return EINVAL;
      s->descr.assign(r->pdr_descr, strnlen(r->pdr_descr, sizeof r->pdr_descr));
      return 0;
    }
    default:
      return ENOTTY;
  }
}

int Pipex::add(Ifc& f, const pipex_session_req& r) {
  auto s = std::make_unique<Session>(ip_.timers, *this);
  Session* raw = s.get();
  switch (r.pr_protocol) {
    case PIPEX_PROTO_PPPOE: {
      if (r.pr_peer_address.ss_family != AF_UNSPEC) return EINVAL;
      const std::string over(r.pr_proto.pppoe.over_ifname,
                             strnlen(r.pr_proto.pppoe.over_ifname, IF_NAMESIZE));
      // The device as `bind` named it ("veth0"), without a medium's prefix
      // ("afpacket:veth0", "fault(drop=1%):veth0"), or the interface number.
      auto names = [&](const Ifc& g) {
        const size_t colon = g.dev.rfind(':');
        return g.dev == over || std::to_string(g.index) == over ||
               (colon != std::string::npos &&
                g.dev.compare(colon + 1, std::string::npos, over) == 0);
      };
      for (auto& g : ip_.ifcs())
        if (g && g->inuse && g->ether() && names(*g)) {
          s->over_ifc = g->index;
          break;
        }
      if (s->over_ifc < 0) return EINVAL;
      // As npppd fills it: sa_data holds an Ethernet header whose
      // destination is the peer.
      std::memcpy(s->peer_mac, reinterpret_cast<const sockaddr&>(r.pr_peer_address).sa_data, 6);
      break;
    }
    case PIPEX_PROTO_L2TP:
    case PIPEX_PROTO_PPTP:
      if (!from_sockaddr(r.pr_peer_address, &s->peer, &s->peer_port)) return EINVAL;
      if (!from_sockaddr(r.pr_local_address, &s->local, &s->local_port)) return EINVAL;
      if (r.pr_local_address.ss_family != r.pr_peer_address.ss_family) return EINVAL;
      break;
    default:
      return EPROTONOSUPPORT;
  }
  if ((r.pr_ppp_flags & PIPEX_PPP_MPPE_ACCEPTED) && !key_bits_ok(r.pr_mppe_recv.keylenbits))
    return EINVAL;
  if ((r.pr_ppp_flags & PIPEX_PPP_MPPE_ENABLED) && !key_bits_ok(r.pr_mppe_send.keylenbits))
    return EINVAL;
  constexpr uint32_t kBoth = PIPEX_PPP_MPPE_ACCEPTED | PIPEX_PPP_MPPE_ENABLED;
  if ((r.pr_ppp_flags & PIPEX_PPP_MPPE_REQUIRED) && (r.pr_ppp_flags & kBoth) != kBoth)
    return EINVAL;
  if (find(r.pr_protocol, r.pr_session_id)) return EEXIST;

  s->protocol = r.pr_protocol;
  s->id = r.pr_session_id;
  s->peer_id = r.pr_peer_session_id;
  s->ppp_flags = r.pr_ppp_flags;
  s->ccp_id = r.pr_ccp_id;
  s->ppp_id = r.pr_ppp_id;
  s->peer_mru = r.pr_peer_mru;
  s->timeout_sec = r.pr_timeout_sec;
  s->src4 = from_in_addr(r.pr_ip_srcaddr);
  uint32_t mask = load32(reinterpret_cast<const uint8_t*>(&r.pr_ip_netmask));
  if (mask == 0) mask = ~uint32_t(0);      // netmask 0 means /32 (NOTES.md)
  if (mask & (~mask >> 1)) return EINVAL;  // not contiguous: a one after a zero
  const uint32_t addr = load32(reinterpret_cast<const uint8_t*>(&r.pr_ip_address)) & mask;
  s->mask4 = Ipaddr::v4(mask);
  if (addr != 0) {
    s->addr4 = Ipaddr::v4(addr);
    if (find_v4(s->addr4)) return EADDRINUSE;
  }
  if (r.pr_ip6_address.sin6_family == AF_INET6 && r.pr_ip6_prefixlen > 0 &&
      r.pr_ip6_prefixlen <= 128) {
    s->prefix6 = r.pr_ip6_prefixlen;
    s->addr6 = Ipaddr(reinterpret_cast<const uint8_t*>(&r.pr_ip6_address.sin6_addr)) &
               Ipaddr::mask_v6(s->prefix6);
    if (by_addr6_.count(s->addr6)) return EADDRINUSE;
  }
  s->mppe_recv = r.pr_mppe_recv;
  s->mppe_send = r.pr_mppe_send;
  s->proto = r.pr_proto;
  s->ifc = s->ctl_ifc = f.index;
  if (is_pppx(f)) {
    s->ifc = make_session_ifc(*s);
    if (s->ifc < 0) return ENOMEM;
    s->own_ifc = true;
  }
  if (int e = attach(*s)) {
    if (s->own_ifc) drop_session_ifc(s->ifc);
    return e;
  }
  const Time now = ip_.clock.now();
  s->last_active = now;
  if (s->timeout_sec) s->timer.arm(now + Time(s->timeout_sec) * kSecond);

  if (addr != 0) {
    by_addr4_.insert(addr, raw);
    mask_lens_[__builtin_popcount(mask)]++;
  }
  if (s->prefix6) {
    by_addr6_[s->addr6] = raw;
    prefix_lens6_[s->prefix6]++;
  }
  auto& on_ifc = by_ifc_[s->ifc];
  s->ifc_slot = uint32_t(on_ifc.size());
  on_ifc.push_back(raw);
  auto& ids = ids_[s->protocol];
  if (ids.empty()) ids.assign(65536, nullptr);
  ids[s->id] = raw;
  by_id_[key(s->protocol, s->id)] = std::move(s);
  return 0;
}

void Pipex::on_timer(Session& s, Time now) {
  if (s.state == State::kOpened) {
    const Time due = s.last_active + Time(s.timeout_sec) * kSecond;
    if (now < due) {  // traffic came meanwhile: file again
      s.timer.arm(due);
      return;
    }
    to_close_wait(s, now);
    return;
  }
  free_session(&s);  // 30 s of close-wait are over
}

void Pipex::to_close_wait(Session& s, Time now) {
  s.state = State::kCloseWait;
  s.close_wait_since = now;
  closed_.push_back(&s);
  s.closed_pos = std::prev(closed_.end());
  s.timer.arm(now + kCloseWaitTime);
}

void Pipex::fill_stats(const Session& s, pipex_statistics& out) const {
  std::memset(&out, 0, sizeof out);
  out.ipackets = uint32_t(s.stats.ipackets);
  out.ierrors = uint32_t(s.stats.ierrors);
  out.ibytes = s.stats.ibytes;
  out.opackets = uint32_t(s.stats.opackets);
  out.oerrors = uint32_t(s.stats.oerrors);
  out.obytes = s.stats.obytes;
  const Time now = ip_.clock.now();
  out.idle_time = s.state == State::kOpened ? s.idle_seconds(now)
                                            : uint32_t((now - s.close_wait_since) / kSecond);
}

void Pipex::free_session(Session* s) {
  const int own = s->own_ifc ? s->ifc : -1;
  detach(*s);
  if (s->state == State::kCloseWait) closed_.erase(s->closed_pos);
  if (!s->addr4.is_zero()) {
    const uint32_t mask = s->mask4.v4();
    by_addr4_.erase(s->addr4.v4());
    auto it = mask_lens_.find(__builtin_popcount(mask));
    if (it != mask_lens_.end() && --it->second == 0) mask_lens_.erase(it);
  }
  if (s->prefix6) {
    by_addr6_.erase(s->addr6);
    auto it = prefix_lens6_.find(s->prefix6);
    if (it != prefix_lens6_.end() && --it->second == 0) prefix_lens6_.erase(it);
  }
  auto on_ifc = by_ifc_.find(s->ifc);
  std::vector<Session*>& v = on_ifc->second;
  v[s->ifc_slot] = v.back();
  v[s->ifc_slot]->ifc_slot = s->ifc_slot;
  v.pop_back();
  if (v.empty()) by_ifc_.erase(on_ifc);
  ids_[s->protocol][s->id] = nullptr;
  by_id_.erase(key(s->protocol, s->id));  // destroys s (and cancels its timer)
  if (own >= 0) drop_session_ifc(own);
}

void Pipex::remove_sessions(int ifc, bool over_too) {
  std::vector<Session*> doomed;
  for (auto& [k, s] : by_id_)
    if (s->ifc == ifc || s->ctl_ifc == ifc || (over_too && s->over_ifc == ifc))
      doomed.push_back(s.get());
  for (Session* s : doomed)
    free_session(s);
}

void Pipex::remove_ifc(int ifc) {
  remove_sessions(ifc, true);
  mode_.erase(ifc);
}

}  // namespace ninet::pipex
