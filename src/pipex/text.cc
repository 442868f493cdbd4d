#include "pipex/text.h"

#include <cstdio>
#include <cstring>
#include <set>

#include "base/endian.h"
#include "base/fields.h"
#include "base/ipaddr.h"

namespace ninet::pipex {

namespace {

struct Flag {
  const char* name;
  uint32_t bit;
};
constexpr Flag kFlags[] = {
    {"acfc-accepted", PIPEX_PPP_ACFC_ACCEPTED}, {"pfc-accepted", PIPEX_PPP_PFC_ACCEPTED},
    {"acfc-enabled", PIPEX_PPP_ACFC_ENABLED},   {"pfc-enabled", PIPEX_PPP_PFC_ENABLED},
    {"mppe-accepted", PIPEX_PPP_MPPE_ACCEPTED}, {"mppe-enabled", PIPEX_PPP_MPPE_ENABLED},
    {"mppe-required", PIPEX_PPP_MPPE_REQUIRED}, {"has-acf", PIPEX_PPP_HAS_ACF},
    {"adjust-tcpmss", PIPEX_PPP_ADJUST_TCPMSS}, {"ingress-filter", PIPEX_PPP_INGRESS_FILTER}};

Error bad(std::string_view word) {
  return Error(Err::BadArg, "bad pipex request: " + std::string(word));
}

bool num(std::string_view s, int64_t hi, uint32_t* out) {
  auto v = parse_int(s, 0, hi);
  if (!v) return false;
  *out = uint32_t(*v);
  return true;
}

// "ADDR!PORT" into a sockaddr_in or sockaddr_in6.
bool endpoint(std::string_view s, sockaddr_storage* ss) {
  size_t bang = s.rfind('!');
  if (bang == std::string_view::npos) return false;
  auto a = Ipaddr::parse(s.substr(0, bang));
  auto port = parse_int(s.substr(bang + 1), 0, 65535);
  if (!a || !port) return false;
  std::memset(ss, 0, sizeof *ss);
  if (a->is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(ss);
    sin->sin_family = AF_INET;
    store16(reinterpret_cast<uint8_t*>(&sin->sin_port), uint16_t(*port));
    store32(reinterpret_cast<uint8_t*>(&sin->sin_addr), a->v4());
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(ss);
    sin6->sin6_family = AF_INET6;
    store16(reinterpret_cast<uint8_t*>(&sin6->sin6_port), uint16_t(*port));
    std::memcpy(&sin6->sin6_addr, a->data(), 16);
  }
  return true;
}

bool v4addr(std::string_view s, in_addr* out) {
  auto a = Ipaddr::parse(s);
  if (!a || !a->is_v4()) return false;
  store32(reinterpret_cast<uint8_t*>(out), a->v4());
  return true;
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "stateless|stateful,BITS,HEX32"
bool mppe(std::string_view s, pipex_mppe_req* m) {
  size_t c1 = s.find(','), c2 = c1 == std::string_view::npos ? c1 : s.find(',', c1 + 1);
  if (c2 == std::string_view::npos) return false;
  std::string_view mode = s.substr(0, c1), bits = s.substr(c1 + 1, c2 - c1 - 1),
                   key = s.substr(c2 + 1);
  if (mode == "stateless")
    m->stateless = 1;
  else if (mode == "stateful")
    m->stateless = 0;
  else
    return false;
  auto b = parse_int(bits, 0, 32767);
  if (!b || key.size() != 2 * PIPEX_MPPE_KEYLEN) return false;
  m->keylenbits = int16_t(*b);
  for (size_t i = 0; i < PIPEX_MPPE_KEYLEN; i++) {
    int hi = hexval(key[2 * i]), lo = hexval(key[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    m->master_key[i] = uint8_t(hi << 4 | lo);
  }
  return true;
}

std::string addr_text(const sockaddr_storage& ss) {
  Ipaddr a;
  uint16_t port = 0;
  from_sockaddr(ss, &a, &port);
  return a.str() + "!" + std::to_string(port);
}

std::string mppe_text(const pipex_mppe_req& m) {
  std::string s = m.stateless ? "stateless," : "stateful,";
  s += std::to_string(m.keylenbits) + ",";
  char h[3];
  for (uint8_t b : m.master_key) {
    std::snprintf(h, sizeof h, "%02x", b);
    s += h;
  }
  return s;
}

}  // namespace

Ipaddr from_in_addr(const in_addr& a) {
  return Ipaddr::from_v4_bytes(reinterpret_cast<const uint8_t*>(&a));
}

bool from_sockaddr(const sockaddr_storage& ss, Ipaddr* addr, uint16_t* port) {
  if (ss.ss_family == AF_INET) {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(ss);
    *addr = from_in_addr(sin.sin_addr);
    *port = load16(reinterpret_cast<const uint8_t*>(&sin.sin_port));
    return true;
  }
  if (ss.ss_family == AF_INET6) {
    const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(ss);
    *addr = Ipaddr(reinterpret_cast<const uint8_t*>(&sin6.sin6_addr));
    *port = load16(reinterpret_cast<const uint8_t*>(&sin6.sin6_port));
    return true;
  }
  return false;
}

int parse_proto(std::string_view s) {
  if (s == "l2tp" || s == "1") return PIPEX_PROTO_L2TP;
  if (s == "pptp" || s == "2") return PIPEX_PROTO_PPTP;
  if (s == "pppoe" || s == "3") return PIPEX_PROTO_PPPOE;
  return 0;
}

const char* proto_name(int proto) {
  switch (proto) {
    case PIPEX_PROTO_L2TP:
      return "l2tp";
    case PIPEX_PROTO_PPTP:
      return "pptp";
    case PIPEX_PROTO_PPPOE:
      return "pppoe";
    default:
      return "?";
  }
}

Result<pipex_session_req> parse_session_req(std::string_view words) {
  pipex_session_req r{};
  std::set<std::string_view> seen;
  bool have_id = false;
  // The first key given of each protocol's own (the union's members, and
  // the tunnel's addresses), checked against proto at the end: a PPTP key
  // in a PPPoE request would write over the interface name.
  std::string_view only_l2tp, only_pptp, only_pppoe, only_tunnel;
  for (std::string_view w : ctl_fields(words)) {
    size_t eq = w.find('=');
    if (eq == std::string_view::npos || eq == 0) return bad(w);
    std::string_view k = w.substr(0, eq), v = w.substr(eq + 1);
    if (!seen.insert(k).second) return bad(w);  // repeated
    uint32_t n = 0;
    bool ok = true;
    std::string_view* group = nullptr;  // the protocol the key belongs to, if one
    auto& l2 = r.pr_proto.l2tp;
    auto& pp = r.pr_proto.pptp;
    if (k == "proto") {
      r.pr_protocol = parse_proto(v);
      ok = r.pr_protocol != 0;
    } else if (k == "id") {
      ok = have_id = num(v, 65535, &n);
      r.pr_session_id = uint16_t(n);
    } else if (k == "peer-id") {
      ok = num(v, 65535, &n);
      r.pr_peer_session_id = uint16_t(n);
    } else if (k == "ppp-id") {
      auto x = parse_int(v, INT32_MIN, INT32_MAX);
      ok = x.has_value();
      if (ok) r.pr_ppp_id = int(*x);
    } else if (k == "ccp-id") {
      auto x = parse_int(v, -128, 255);
      ok = x.has_value();
      if (ok) r.pr_ccp_id = int8_t(*x);
    } else if (k == "mru") {
      ok = num(v, 65535, &n);
      r.pr_peer_mru = uint16_t(n);
    } else if (k == "timeout") {
      ok = num(v, 65535, &n);
      r.pr_timeout_sec = uint16_t(n);
    } else if (k == "flags") {
      size_t at = 0;
      while (ok && at <= v.size()) {
        size_t c = v.find(',', at);
        std::string_view f = v.substr(at, c == std::string_view::npos ? v.npos : c - at);
        ok = false;
        for (const Flag& fl : kFlags)
          if (f == fl.name) {
            r.pr_ppp_flags |= fl.bit;
            ok = true;
          }
        if (c == std::string_view::npos) break;
        at = c + 1;
      }
    } else if (k == "src") {
      ok = v4addr(v, &r.pr_ip_srcaddr);
    } else if (k == "framed") {
      ok = v4addr(v, &r.pr_ip_address);
    } else if (k == "netmask") {
      ok = v4addr(v, &r.pr_ip_netmask);
    } else if (k == "framed6") {
      size_t slash = v.find('/');
      auto a = Ipaddr::parse(v.substr(0, slash));
      auto len =
          slash == std::string_view::npos ? std::nullopt : parse_int(v.substr(slash + 1), 1, 128);
      ok = a && !a->is_v4() && len;
      if (ok) {
        r.pr_ip6_address.sin6_family = AF_INET6;
        std::memcpy(&r.pr_ip6_address.sin6_addr, a->data(), 16);
        r.pr_ip6_prefixlen = int(*len);
      }
    } else if (k == "peer" || k == "local") {
      ok = endpoint(v, k == "peer" ? &r.pr_peer_address : &r.pr_local_address);
      group = &only_tunnel;
    } else if (k == "over") {
      ok = !v.empty() && v.size() < IF_NAMESIZE;  // an interface name: printable, no NUL
      for (char c : v)
        ok = ok && c > ' ' && c < 0x7f;
      if (ok) std::memcpy(r.pr_proto.pppoe.over_ifname, v.data(), v.size());
      group = &only_pppoe;
    } else if (k == "peer-mac") {
      auto m = Mac::parse(v);
      ok = bool(m);
      if (ok) {
        r.pr_peer_address.ss_family = AF_UNSPEC;
        std::memcpy(reinterpret_cast<sockaddr&>(r.pr_peer_address).sa_data, m->data(), 6);
      }
      group = &only_pppoe;
    } else if (k == "tunnel-id" || k == "peer-tunnel-id") {
      ok = num(v, 65535, &n);
      (k == "tunnel-id" ? l2.tunnel_id : l2.peer_tunnel_id) = uint16_t(n);
      group = &only_l2tp;
    } else if (k == "sequencing") {
      ok = v == "on" || v == "off";
      if (v == "on") l2.option_flags |= PIPEX_L2TP_USE_SEQUENCING;
      group = &only_l2tp;
    } else if (k == "ns" || k == "nr" || k == "ns-una" || k == "nr-acked") {
      ok = num(v, UINT32_MAX, &n);
      (k == "ns" ? l2.ns_nxt : k == "nr" ? l2.nr_nxt : k == "ns-una" ? l2.ns_una : l2.nr_acked) = n;
      group = &only_l2tp;
    } else if (k == "snd-nxt" || k == "rcv-nxt" || k == "snd-una" || k == "rcv-acked") {
      ok = num(v, UINT32_MAX, &n);
      group = &only_pptp;
      (k == "snd-nxt"   ? pp.snd_nxt
       : k == "rcv-nxt" ? pp.rcv_nxt
       : k == "snd-una" ? pp.snd_una
                        : pp.rcv_acked) = n;
    } else if (k == "winsz" || k == "maxwinsz" || k == "peer-maxwinsz") {
      ok = num(v, INT32_MAX, &n);
      (k == "winsz" ? pp.winsz : k == "maxwinsz" ? pp.maxwinsz : pp.peer_maxwinsz) = int(n);
      group = &only_pptp;
    } else if (k == "mppe-recv") {
      ok = mppe(v, &r.pr_mppe_recv);
    } else if (k == "mppe-send") {
      ok = mppe(v, &r.pr_mppe_send);
    } else {
      ok = false;  // unknown key
    }
    if (!ok) return bad(w);
    if (group && group->empty()) *group = w;
  }
  if (!r.pr_protocol) return bad("proto missing");
  if (!have_id) return bad("id missing");
  const int p = r.pr_protocol;
  for (auto [word, ok] :
       {std::pair{only_l2tp, p == PIPEX_PROTO_L2TP}, std::pair{only_pptp, p == PIPEX_PROTO_PPTP},
        std::pair{only_pppoe, p == PIPEX_PROTO_PPPOE},
        std::pair{only_tunnel, p != PIPEX_PROTO_PPPOE}})
    if (!word.empty() && !ok) return bad(word);
  return r;
}

std::string session_req_text(const pipex_session_req& r) {
  std::string s = std::string("proto=") + proto_name(r.pr_protocol);
  auto add = [&s](const char* k, const std::string& v) { s += std::string(" ") + k + "=" + v; };
  add("id", std::to_string(r.pr_session_id));
  add("peer-id", std::to_string(r.pr_peer_session_id));
  add("ppp-id", std::to_string(r.pr_ppp_id));
  add("ccp-id", std::to_string(r.pr_ccp_id));
  add("mru", std::to_string(r.pr_peer_mru));
  add("timeout", std::to_string(r.pr_timeout_sec));
  std::string flags;
  for (const Flag& f : kFlags)
    if (r.pr_ppp_flags & f.bit) flags += (flags.empty() ? "" : ",") + std::string(f.name);
  if (!flags.empty()) add("flags", flags);
  add("src", from_in_addr(r.pr_ip_srcaddr).str());
  add("framed", from_in_addr(r.pr_ip_address).str());
  add("netmask", from_in_addr(r.pr_ip_netmask).str());
  if (r.pr_ip6_address.sin6_family == AF_INET6)
    add("framed6", Ipaddr(reinterpret_cast<const uint8_t*>(&r.pr_ip6_address.sin6_addr)).str() +
                       "/" + std::to_string(r.pr_ip6_prefixlen));
  if (r.pr_protocol == PIPEX_PROTO_PPPOE) {
    const std::string over(r.pr_proto.pppoe.over_ifname,
                           strnlen(r.pr_proto.pppoe.over_ifname, IF_NAMESIZE));
    if (!over.empty()) add("over", over);
    add("peer-mac", Mac(reinterpret_cast<const uint8_t*>(
                            reinterpret_cast<const sockaddr&>(r.pr_peer_address).sa_data))
                        .str());
  } else {
    if (r.pr_peer_address.ss_family == AF_INET || r.pr_peer_address.ss_family == AF_INET6)
      add("peer", addr_text(r.pr_peer_address));
    if (r.pr_local_address.ss_family == AF_INET || r.pr_local_address.ss_family == AF_INET6)
      add("local", addr_text(r.pr_local_address));
  }
  if (r.pr_protocol == PIPEX_PROTO_L2TP) {
    const auto& l = r.pr_proto.l2tp;
    add("tunnel-id", std::to_string(l.tunnel_id));
    add("peer-tunnel-id", std::to_string(l.peer_tunnel_id));
    add("sequencing", l.option_flags & PIPEX_L2TP_USE_SEQUENCING ? "on" : "off");
    add("ns", std::to_string(l.ns_nxt));
    add("nr", std::to_string(l.nr_nxt));
    add("ns-una", std::to_string(l.ns_una));
    add("nr-acked", std::to_string(l.nr_acked));
  } else if (r.pr_protocol == PIPEX_PROTO_PPTP) {
    const auto& p = r.pr_proto.pptp;
    add("snd-nxt", std::to_string(p.snd_nxt));
    add("rcv-nxt", std::to_string(p.rcv_nxt));
    add("snd-una", std::to_string(p.snd_una));
    add("rcv-acked", std::to_string(p.rcv_acked));
    add("winsz", std::to_string(p.winsz));
    add("maxwinsz", std::to_string(p.maxwinsz));
    add("peer-maxwinsz", std::to_string(p.peer_maxwinsz));
  }
  if (r.pr_ppp_flags & PIPEX_PPP_MPPE_ACCEPTED) add("mppe-recv", mppe_text(r.pr_mppe_recv));
  if (r.pr_ppp_flags & PIPEX_PPP_MPPE_ENABLED) add("mppe-send", mppe_text(r.pr_mppe_send));
  return s;
}

}  // namespace ninet::pipex
