// ctld.cc — the test control daemon (ctld.h): the stack, the session table,
// registration with pipex, statistics and the idle timer's closed list.
//
//   ctld -c stack.conf -e tapX -a 10.64.0.1 -r 10.64.0.2 [-l] [-t] [-n] [-i SECS] [-f FIFO]
//
//   -c FILE   the stack's configuration (ninetd's syntax, cmd/config.h); it
//             binds one interface with `bind pipex`, whose mode ctld sets
//   -e DEV    serve PPPoE on Ethernet device DEV (bound in FILE with `bind
//             ether`, any medium: ctld reads discovery and what pipex leaves
//             of the sessions through the stack's ether directory)
//   -l, -t    serve L2TP (udp 1701), PPTP (tcp 1723, GRE)
//   -a, -r    our IPCP address; the first session's framed address
//   -n        no MPPE (CCP is rejected)
//   -i SECS   idle timeout of the sessions (pr_timeout_sec; 0: none)
//   -f FIFO   commands, one a line: `timeout SECS` (sessions registered from
//             now on), `stats` (one line per session)
#include "ctld.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config.h"
#include "embed.h"
#include "pipex/sessions.h"

namespace ninet::ctld {

namespace {

volatile sig_atomic_t g_stop = 0;

const char* proto_name(int p) {
  switch (p) {
    case PIPEX_PROTO_PPPOE:
      return "pppoe";
    case PIPEX_PROTO_L2TP:
      return "l2tp";
    default:
      return "pptp";
  }
}

std::string addr_text(uint32_t a) {
  return Ipaddr::v4(a).str();
}

uint32_t key(int protocol, uint16_t id) {
  return uint32_t(protocol) << 16 | id;
}

}  // namespace

Daemon::Daemon(Options o) : opt_(std::move(o)), next_addr_(opt_.first_addr) {}

Daemon::~Daemon() {
  for (auto& t : tunnels_)
    t->stop();
  if (stack_) stack_->stop();
}

void Daemon::log(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

Status Daemon::start() {
  auto lib = crypto::Libcrypto::open();
  if (!lib) return lib.error();
  lib_ = *lib;
  std::ifstream in(opt_.config);
  if (!in) return Error(Err::NotFound, opt_.config);
  std::stringstream text;
  text << in.rdbuf();
  auto cfg = parse_config(text.str());
  if (!cfg) return cfg.error();
  if (cfg->stacks.size() != 1) return Error(Err::BadArg, "one stack in the configuration");
  stack_ = std::make_unique<Stack>(cfg->stacks[0].number);
  stack_->start();
  tree_ = std::make_unique<ns::StackTree>(*stack_);
  if (auto st = apply_config(cfg->stacks[0], *tree_); !st) return st;
  {
    std::lock_guard<std::mutex> g(stack_->ip().mu);
    for (auto& f : stack_->ip().ifcs())
      if (f && f->bound() && f->medium->name() == "pipex") pppac_ = f->index;
    if (pppac_ < 0) return Error(Err::BadArg, "no `bind pipex` interface in the configuration");
    pipex::Pipex& px = stack_->pipex();
    px.enabled = true;  // net.pipex.enable=1
    int one = 1;
    if (int e = px.ioctl(*stack_->ip().ifc(pppac_), PIPEXSMODE, &one))
      return Error(Err::BadArg, std::string("PIPEXSMODE: ") + std::strerror(e));
  }
  auto add = [&](Result<std::unique_ptr<Tunnel>> t, int proto) -> Status {
    if (!t) return t.error();
    tunnel_by_proto_[proto] = t->get();
    tunnels_.push_back(std::move(*t));
    return {};
  };
  if (!opt_.pppoe_dev.empty())
    if (auto st = add(make_pppoe(*this, opt_.pppoe_dev), PIPEX_PROTO_PPPOE); !st) return st;
  if (opt_.l2tp)
    if (auto st = add(make_l2tp(*this), PIPEX_PROTO_L2TP); !st) return st;
  if (opt_.pptp)
    if (auto st = add(make_pptp(*this), PIPEX_PROTO_PPTP); !st) return st;
  log("ready");
  return {};
}

Session* Daemon::new_session(Tunnel& t, int protocol, uint16_t id) {
  auto s = std::make_unique<Session>();
  s->protocol = protocol;
  s->id = id;
  s->ppp_id = next_ppp_id_++;
  s->addr = next_addr_++;
  PppConfig pc;
  pc.ours = opt_.ours;
  pc.theirs = s->addr;
  pc.allow_mppe = opt_.allow_mppe;
  Session* raw = s.get();
  s->ppp = std::make_unique<PppServer>(
      lib_, pc, [&t, raw](uint16_t p, const Bytes& info) { t.send_ppp(*raw, p, info); },
      [this, raw](const std::string& l) {
        log(std::string(proto_name(raw->protocol)) + " " + std::to_string(raw->id) + " " + l);
      });
  sessions_[key(protocol, id)] = std::move(s);
  return raw;
}

Session* Daemon::find(int protocol, uint16_t id) {
  auto it = sessions_.find(key(protocol, id));
  return it == sessions_.end() ? nullptr : it->second.get();
}

Tunnel* Daemon::tunnel_of(const Session& s) {
  auto it = tunnel_by_proto_.find(s.protocol);
  return it == tunnel_by_proto_.end() ? nullptr : it->second;
}

void Daemon::ppp_input(Tunnel& t, Session& s, uint16_t protocol, std::span<const uint8_t> info) {
  s.ppp->input(protocol, info);
  after_input(t, s);
}

void Daemon::after_input(Tunnel& t, Session& s) {
  if (s.ppp->dead()) return close(t, s, s.ppp->reason());
  if (!s.registered && s.ppp->ready()) register_session(t, s);
}

void Daemon::register_session(Tunnel& t, Session& s) {
  const PppResult& p = s.ppp->result();
  pipex_session_req r = s.tunnel;
  r.pr_protocol = s.protocol;
  r.pr_session_id = s.id;
  r.pr_peer_session_id = s.peer_id;
  r.pr_ppp_id = s.ppp_id;
  r.pr_peer_mru = p.peer_mru;
  r.pr_timeout_sec = opt_.timeout;
  r.pr_ppp_flags = PIPEX_PPP_ADJUST_TCPMSS | PIPEX_PPP_INGRESS_FILTER;
  if (p.pfc) r.pr_ppp_flags |= PIPEX_PPP_PFC_ACCEPTED;
  if (p.acfc) r.pr_ppp_flags |= PIPEX_PPP_ACFC_ACCEPTED;
  if (s.protocol != PIPEX_PROTO_PPPOE) r.pr_ppp_flags |= PIPEX_PPP_HAS_ACF;
  if (p.mppe) {
    r.pr_ppp_flags |= PIPEX_PPP_MPPE_ACCEPTED | PIPEX_PPP_MPPE_ENABLED | PIPEX_PPP_MPPE_REQUIRED;
    r.pr_ccp_id = int8_t(p.ccp_id);
    for (auto* m : {&r.pr_mppe_recv, &r.pr_mppe_send}) {
      m->stateless = 1;
      m->keylenbits = 128;
    }
    std::memcpy(r.pr_mppe_recv.master_key, p.recv_key.data(), PIPEX_MPPE_KEYLEN);
    std::memcpy(r.pr_mppe_send.master_key, p.send_key.data(), PIPEX_MPPE_KEYLEN);
  }
  r.pr_ip_srcaddr.s_addr = htonl(opt_.ours);
  r.pr_ip_address.s_addr = htonl(s.addr);
  r.pr_ip_netmask.s_addr = 0xffffffff;
  t.fill(s, r);
  int e;
  {
    std::lock_guard<std::mutex> g(stack_->ip().mu);
    e = stack_->pipex().ioctl(*stack_->ip().ifc(pppac_), PIPEXASESSION, &r);
  }
  if (e) {
    log(std::string("PIPEXASESSION failed: ") + std::strerror(e));
    s.ppp->terminate("registration failed");
    return close(t, s, "registration failed");
  }
  s.registered = s.ppp->registered = true;
  log(std::string("up ") + proto_name(s.protocol) + " " + std::to_string(s.id) + " ppp " +
      std::to_string(s.ppp_id) + " addr " + addr_text(s.addr) + " mppe " + (p.mppe ? "1" : "0") +
      " mru " + std::to_string(p.peer_mru) + " timeout " + std::to_string(opt_.timeout));
}

std::string Daemon::stats_text(const pipex_statistics& st) const {
  char b[256];
  std::snprintf(b, sizeof b,
                "ipackets %u ierrors %u ibytes %llu opackets %u oerrors %u obytes %llu idle %u",
                st.ipackets, st.ierrors, (unsigned long long)st.ibytes, st.opackets, st.oerrors,
                (unsigned long long)st.obytes, st.idle_time);
  return b;
}

void Daemon::close(Tunnel& t, Session& s, const std::string& why) {
  std::string stats = "(never registered)";
  if (s.registered) {
    pipex_session_close_req r{};
    r.pcr_protocol = s.protocol;
    r.pcr_session_id = s.id;
    int e;
    {
      std::lock_guard<std::mutex> g(stack_->ip().mu);
      e = stack_->pipex().ioctl(*stack_->ip().ifc(pppac_), PIPEXDSESSION, &r);
    }
    stats = e ? std::string("PIPEXDSESSION: ") + std::strerror(e) : stats_text(r.pcr_stat);
  }
  log(std::string("down ") + proto_name(s.protocol) + " " + std::to_string(s.id) + " ppp " +
      std::to_string(s.ppp_id) + " (" + why + ") " + stats);
  t.closed(s);
  sessions_.erase(key(s.protocol, s.id));
}

void Daemon::tick() {
  std::lock_guard<std::mutex> g(mu);
  // The idle timer's closed list (PIPEXGCLOSED): end those sessions.
  pipex_session_list_req l{};
  do {
    {
      std::lock_guard<std::mutex> g2(stack_->ip().mu);
      if (stack_->pipex().ioctl(*stack_->ip().ifc(pppac_), PIPEXGCLOSED, &l)) break;
    }
    for (int i = 0; i < l.plr_ppp_id_count; i++)
      for (auto& [k, s] : sessions_)
        if (s->ppp_id == l.plr_ppp_id[i]) {
          log(std::string("idle ") + proto_name(s->protocol) + " " + std::to_string(s->id) +
              " ppp " + std::to_string(s->ppp_id));
          s->ppp->terminate("idle timeout");
          break;
        }
  } while (l.plr_flags & PIPEX_LISTREQ_MORE);
  std::vector<Session*> all;
  for (auto& [k, s] : sessions_)
    all.push_back(s.get());
  for (Session* s : all) {
    Tunnel* t = tunnel_of(*s);
    if (!t) continue;
    s->ppp->tick();
    after_input(*t, *s);
  }
}

void Daemon::command(const std::string& line) {
  std::istringstream in(line);
  std::string verb;
  in >> verb;
  if (verb == "timeout") {
    int n = 0;
    in >> n;
    std::lock_guard<std::mutex> g(mu);
    opt_.timeout = uint16_t(n);
    log("timeout " + std::to_string(n));
  } else if (verb == "stats") {
    std::lock_guard<std::mutex> g(mu);
    for (auto& [k, s] : sessions_) {
      if (!s->registered) continue;
      pipex_session_stat_req r{};
      r.psr_protocol = s->protocol;
      r.psr_session_id = s->id;
      std::lock_guard<std::mutex> g2(stack_->ip().mu);
      if (stack_->pipex().ioctl(*stack_->ip().ifc(pppac_), PIPEXGSTAT, &r) == 0)
        log(std::string("stats ") + proto_name(s->protocol) + " " + std::to_string(s->id) +
            " ppp " + std::to_string(s->ppp_id) + " " + stats_text(r.psr_stat));
    }
    std::lock_guard<std::mutex> g2(stack_->ip().mu);
    std::string c = stack_->pipex().counters_text();
    for (char& ch : c)
      if (ch == '\n') ch = ' ';
    log("counters " + c);
  } else if (!verb.empty()) {
    log("unknown command " + verb);
  }
}

void Daemon::run() {
  int fd = -1;
  if (!opt_.commands.empty()) fd = ::open(opt_.commands.c_str(), O_RDWR | O_NONBLOCK);
  std::string pending;
  auto next = std::chrono::steady_clock::now();
  while (!g_stop) {
    pollfd p{fd, POLLIN, 0};
    const int ms = int(std::chrono::duration_cast<std::chrono::milliseconds>(
                           next - std::chrono::steady_clock::now())
                           .count());
    if (poll(&p, fd >= 0 ? 1 : 0, std::max(ms, 0)) > 0 && (p.revents & POLLIN)) {
      char buf[512];
      ssize_t n = read(fd, buf, sizeof buf);
      if (n > 0) pending.append(buf, size_t(n));
      for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
        command(pending.substr(0, nl));
        pending.erase(0, nl + 1);
      }
    }
    if (std::chrono::steady_clock::now() >= next) {
      tick();
      next += std::chrono::seconds(1);
    }
  }
  if (fd >= 0) ::close(fd);
  std::lock_guard<std::mutex> g(mu);
  std::vector<Session*> all;
  for (auto& [k, s] : sessions_)
    all.push_back(s.get());
  for (Session* s : all)
    if (Tunnel* t = tunnel_of(*s)) {
      s->ppp->terminate("ctld exits");
      close(*t, *s, "ctld exits");
    }
}

}  // namespace ninet::ctld

int main(int argc, char** argv) {
  using namespace ninet::ctld;
  Options o;
  auto addr = [](const char* s) {
    in_addr a{};
    if (inet_pton(AF_INET, s, &a) != 1) {
      std::fprintf(stderr, "ctld: bad address %s\n", s);
      std::exit(2);
    }
    return ntohl(a.s_addr);
  };
  for (int c; (c = getopt(argc, argv, "c:e:lta:r:ni:f:")) != -1;) {
    switch (c) {
      case 'c':
        o.config = optarg;
        break;
      case 'e':
        o.pppoe_dev = optarg;
        break;
      case 'l':
        o.l2tp = true;
        break;
      case 't':
        o.pptp = true;
        break;
      case 'a':
        o.ours = addr(optarg);
        break;
      case 'r':
        o.first_addr = addr(optarg);
        break;
      case 'n':
        o.allow_mppe = false;
        break;
      case 'i':
        o.timeout = uint16_t(std::atoi(optarg));
        break;
      case 'f':
        o.commands = optarg;
        break;
      default:
        std::fprintf(stderr,
                     "usage: ctld -c CONFIG [-e DEV] [-l] [-t] -a OURS -r FIRST [-n] [-i SECS] "
                     "[-f FIFO]\n");
        return 2;
    }
  }
  if (o.config.empty() || !o.ours || !o.first_addr) {
    std::fprintf(stderr, "ctld: -c, -a and -r are needed\n");
    return 2;
  }
  struct sigaction sa {};
  sa.sa_handler = [](int) { g_stop = 1; };
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  Daemon d(o);
  if (auto st = d.start(); !st) {
    std::fprintf(stderr, "ctld: %s\n", st.error().text().c_str());
    return 1;
  }
  d.run();
  return 0;
}
