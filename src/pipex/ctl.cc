#include "pipex/ctl.h"

#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <vector>

#include "base/endian.h"
#include "base/fields.h"
#include "ip/ip.h"
#include "pipex/text.h"

namespace ninet::pipex {

namespace {

using Words = std::vector<std::string_view>;

// The Ifc object of interface number n, whether or not it is in use now (a
// session's interface, or the one a closed session was on); nullptr if the
// stack never had it.
Ifc* ifc_object(Ip& ip, int n) {
  if (n < 0 || size_t(n) >= ip.ifcs().size()) return nullptr;
  return ip.ifcs()[size_t(n)].get();
}

// The text of msg after word w (a view into msg).
std::string_view after(std::string_view msg, std::string_view w) {
  return msg.substr(size_t(w.data() + w.size() - msg.data()));
}

std::string_view trim(std::string_view s) {
  constexpr std::string_view kBlank = " \t\r\n";
  size_t a = s.find_first_not_of(kBlank);
  if (a == std::string_view::npos) return {};
  return s.substr(a, s.find_last_not_of(kBlank) - a + 1);
}

Result<bool> on_off(std::string_view w) {
  if (w == "on") return true;
  if (w == "off") return false;
  return Error(Err::BadArg, "on or off: " + std::string(w));
}

Status mode(Pipex& px, Ip& ip, const Words& w) {
  if (w.size() != 3) return Error(Err::BadArg, "usage: mode IFC on|off");
  auto n = parse_int(w[1], 0, INT32_MAX);
  Ifc* f = n ? ip.ifc(int(*n)) : nullptr;
  if (!f) return Error(Err::NoDevice, "interface " + std::string(w[1]));
  auto on = on_off(w[2]);
  if (!on) return on.error();
  // An interface that is unbound drops its mode and sessions (Ip::on_unbind);
  // one never bound would keep them when released, so it may not serve.
  if (*on && !f->bound()) return Error(Err::NoMedium, "interface " + std::string(w[1]));
  int arg = *on ? 1 : 0;
  if (int e = px.ioctl(*f, PIPEXSMODE, &arg)) return ioctl_error(e, false);
  return {};
}

Status add(Pipex& px, Ip& ip, const Words& w) {
  std::string rest;
  std::optional<int64_t> ifc;
  for (size_t i = 1; i < w.size(); i++) {
    if (!w[i].starts_with("ifc=")) {
      rest += std::string(rest.empty() ? "" : " ") + std::string(w[i]);
      continue;
    }
    if (ifc) return Error(Err::BadArg, "bad pipex request: " + std::string(w[i]));  // repeated
    ifc = parse_int(w[i].substr(4), 0, INT32_MAX);
    if (!ifc) return Error(Err::BadArg, "bad pipex request: " + std::string(w[i]));
  }
  if (!ifc) return Error(Err::BadArg, "bad pipex request: ifc missing");
  auto r = parse_session_req(rest);
  if (!r) return r.error();
  Ifc* f = ip.ifc(int(*ifc));
  if (!f) return Error(Err::NoDevice, "interface " + std::to_string(*ifc));
  if (int e = px.ioctl(*f, PIPEXASESSION, &*r)) {
    std::string detail = session_name(r->pr_protocol, r->pr_session_id);
    if (e == EADDRINUSE) detail = "framed " + from_in_addr(r->pr_ip_address).str();
    if (e == EINVAL)
      detail = "pipex refused " + detail + " (peer, local, netmask, MPPE flags and keys, over=)";
    if (e == ENXIO) detail = "interface " + std::to_string(*ifc);
    if (e == ENOMEM) detail = "no free interface for a pppx session";
    if (e == EOPNOTSUPP) detail = "MPPE: this OpenSSL has no RC4";
    return Error(ioctl_error(e, false).code(), detail);
  }
  return {};
}

// delete, config or descr of session (protocol, id): `args` are the words
// after the session, `rest` the message's text after it.
Status on_session(Pipex& px, Ip& ip, std::string_view verb, int protocol, uint16_t id,
                  const Words& args, std::string_view rest) {
  const std::string name = session_name(protocol, id);
  Session* s = px.find(protocol, id);
  Ifc* f = s ? ifc_object(ip, s->ctl_ifc) : nullptr;
  if (!f) return Error(Err::NoSession, name);
  int e = 0;
  if (verb == "delete") {
    if (!args.empty()) return Error(Err::BadArg, "delete: extra words");
    pipex_session_close_req r{};
    r.pcr_protocol = protocol;
    r.pcr_session_id = id;
    e = px.ioctl(*f, PIPEXDSESSION, &r);
  } else if (verb == "config") {
    if (args.size() != 2 || args[0] != "forward")
      return Error(Err::BadArg, "config: forward on|off");
    auto on = on_off(args[1]);
    if (!on) return on.error();
    pipex_session_config_req r{};
    r.pcr_protocol = protocol;
    r.pcr_session_id = id;
    r.pcr_ip_forward = *on ? 1 : 0;
    e = px.ioctl(*f, PIPEXCSESSION, &r);
  } else {  // descr
    std::string_view text = trim(rest);
    pipex_session_descr_req r{};
    if (text.size() >= sizeof r.pdr_descr)
      return Error(Err::TooBig, "a description holds at most 63 bytes");
    for (char c : text)
      if (uint8_t(c) < 0x20 || c == 0x7f)
        return Error(Err::BadArg, "a description is one line of printable text");
    r.pdr_protocol = protocol;
    r.pdr_session_id = id;
    if (!text.empty())
      std::memcpy(r.pdr_descr, text.data(), text.size());  // (an empty view may be null)
    e = px.ioctl(*f, PIPEXSIFDESCR, &r);
  }
  if (e) return Error(ioctl_error(e, true).code(), name);
  return {};
}

pipex_session_req request_of(const Session& s) {
  pipex_session_req r{};
  r.pr_protocol = s.protocol;
  r.pr_session_id = s.id;
  r.pr_peer_session_id = s.peer_id;
  r.pr_ppp_flags = s.ppp_flags;
  r.pr_ccp_id = s.ccp_id;
  r.pr_ppp_id = s.ppp_id;
  r.pr_peer_mru = s.peer_mru;
  r.pr_timeout_sec = s.timeout_sec;
  store32(reinterpret_cast<uint8_t*>(&r.pr_ip_srcaddr), s.src4.v4());
  store32(reinterpret_cast<uint8_t*>(&r.pr_ip_address), s.addr4.v4());
  store32(reinterpret_cast<uint8_t*>(&r.pr_ip_netmask), s.mask4.v4());
  if (s.prefix6 > 0) {
    r.pr_ip6_address.sin6_family = AF_INET6;
    std::memcpy(&r.pr_ip6_address.sin6_addr, s.addr6.data(), 16);
    r.pr_ip6_prefixlen = s.prefix6;
  }
  r.pr_proto = s.proto;  // PPPoE: the over_ifname the daemon gave
  auto endpoint = [](const Ipaddr& a, uint16_t port, sockaddr_storage* ss) {
    if (a.is_v4()) {
      auto* sin = reinterpret_cast<sockaddr_in*>(ss);
      sin->sin_family = AF_INET;
      store16(reinterpret_cast<uint8_t*>(&sin->sin_port), port);
      store32(reinterpret_cast<uint8_t*>(&sin->sin_addr), a.v4());
    } else {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(ss);
      sin6->sin6_family = AF_INET6;
      store16(reinterpret_cast<uint8_t*>(&sin6->sin6_port), port);
      std::memcpy(&sin6->sin6_addr, a.data(), 16);
    }
  };
  if (s.protocol == PIPEX_PROTO_PPPOE) {
    r.pr_peer_address.ss_family = AF_UNSPEC;
    std::memcpy(reinterpret_cast<sockaddr&>(r.pr_peer_address).sa_data, s.peer_mac, 6);
  } else {
    endpoint(s.peer, s.peer_port, &r.pr_peer_address);
    endpoint(s.local, s.local_port, &r.pr_local_address);
  }
  r.pr_mppe_recv = s.mppe_recv;
  r.pr_mppe_send = s.mppe_send;
  return r;
}

// PIPEXGSTAT of s, on its own interface.
pipex_statistics gstat(Pipex& px, const Session& s, Ip& ip) {
  pipex_session_stat_req r{};
  r.psr_protocol = s.protocol;
  r.psr_session_id = s.id;
  if (Ifc* f = ifc_object(ip, s.ctl_ifc)) (void)px.ioctl(*f, PIPEXGSTAT, &r);
  return r.psr_stat;
}

}  // namespace

Error ioctl_error(int errnum, bool about_session) {
  switch (errnum) {
    case ENXIO:
      return Err::PipexOff;
    case EEXIST:
      return Err::SessionExists;
    case EADDRINUSE:
      return Err::AddrInUse;
    case EPROTONOSUPPORT:
      return Err::NoProtoSupport;
    case EINVAL:
      return about_session ? Err::NoSession : Err::BadArg;
    case ENOTTY:
      return Err::BadCtl;
    case ENOMEM:
      return Err::NoMem;
    case EOPNOTSUPP:
      return Err::NotSupported;
    default:
      return Error(Err::BadArg, "errno " + std::to_string(errnum));
  }
}

std::string session_name(int protocol, uint16_t id) {
  return std::string(proto_name(protocol)) + "." + std::to_string(id);
}

Status ctl(Pipex& px, Ip& ip, std::string_view msg) {
  Words w = ctl_fields(msg);
  if (w.empty()) return Error(Err::BadCtl, "empty message");
  if (w[0] == "mode") return mode(px, ip, w);
  if (w[0] == "add") return add(px, ip, w);
  if (w[0] != "delete" && w[0] != "config" && w[0] != "descr")
    return Error(Err::BadCtl, std::string(w[0]));
  if (w.size() < 3) return Error(Err::BadArg, "usage: " + std::string(w[0]) + " PROTO ID ...");
  int protocol = parse_proto(w[1]);
  if (!protocol) return Error(Err::BadArg, "protocol: " + std::string(w[1]));
  auto id = parse_int(w[2], 0, 65535);
  if (!id) return Error(Err::BadArg, "session id: " + std::string(w[2]));
  return on_session(px, ip, w[0], protocol, uint16_t(*id), Words(w.begin() + 3, w.end()),
                    after(msg, w[2]));
}

Status session_ctl(Pipex& px, Ip& ip, int protocol, uint16_t id, std::string_view msg) {
  Words w = ctl_fields(msg);
  if (w.empty()) return Error(Err::BadCtl, "empty message");
  Words args(w.begin() + 1, w.end());
  if (w[0] == "delete" || w[0] == "descr")
    return on_session(px, ip, w[0], protocol, id, args, after(msg, w[0]));
  if (w[0] == "forward") return on_session(px, ip, "config", protocol, id, w, {});
  return Error(Err::BadCtl, std::string(w[0]));
}

std::string modes_text(const Pipex& px, Ip& ip) {
  std::string s;
  for (const auto& f : ip.ifcs())
    if (px.mode(f->index)) s += "mode " + std::to_string(f->index) + " on\n";
  return s;
}

std::string closed_text(Pipex& px, Ip& ip) {
  std::set<int> ifcs;  // in order
  px.for_each([&](const Session& s) {
    if (s.state == State::kCloseWait && ifc_object(ip, s.ctl_ifc)) ifcs.insert(s.ctl_ifc);
  });
  if (ifcs.empty()) return "";
  pipex_session_list_req r{};
  if (px.ioctl(*ifc_object(ip, *ifcs.begin()), PIPEXGCLOSED, &r) != 0) return "";
  std::string s;
  for (int i = 0; i < r.plr_ppp_id_count; i++)
    s += std::to_string(r.plr_ppp_id[i]) + "\n";
  if ((r.plr_flags & PIPEX_LISTREQ_MORE) || ifcs.size() > 1) s += "more\n";
  return s;
}

std::string status_text(Pipex& px, const Session& s, Ip& ip) {
  // The request's words without the MPPE keys.
  std::string words = "ifc=" + std::to_string(s.ctl_ifc);
  const std::string req = session_req_text(request_of(s));
  for (std::string_view w : ctl_fields(req))
    if (!w.starts_with("mppe-recv=") && !w.starts_with("mppe-send=")) words += " " + std::string(w);
  const char* state = s.state == State::kOpened      ? "opened"
                      : s.state == State::kCloseWait ? "close-wait"
                                                     : "close-wait2";
  std::string descr = s.descr;
  for (char& c : descr)
    if (uint8_t(c) < 0x20 || c == 0x7f) c = '?';  // one line, whatever the ioctl was given
  return words + "\nstate=" + state + " idle=" + std::to_string(gstat(px, s, ip).idle_time) +
         " forward=" + (s.ip_forward ? "on" : "off") + "\ndescr=" + descr + "\n";
}

std::string stats_text(Pipex& px, const Session& s, Ip& ip) {
  const Stats& t = s.stats;
  auto line = [](const char* k, uint64_t v) {
    return std::string(k) + ": " + std::to_string(v) + "\n";
  };
  return line("ipackets", t.ipackets) + line("ierrors", t.ierrors) + line("ibytes", t.ibytes) +
         line("opackets", t.opackets) + line("oerrors", t.oerrors) + line("obytes", t.obytes) +
         line("idle_time", gstat(px, s, ip).idle_time);
}

}  // namespace ninet::pipex
