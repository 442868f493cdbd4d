// tcp.cc — the tcp protocol directory (tcp.h): demultiplexing, LISTEN and
// its SYN backlog, RSTs for segments to no connection, ctl messages, ICMP
// advice, status and stats, and when a conversation is freed. One
// connection's machine is in tcb.cc.
#include "proto/tcp/tcp.h"

#include "base/endian.h"
#include "base/fields.h"
#include "proto/tcp/tcb.h"

namespace ninet {
namespace tcp {

// ---- TcpProto

Status TcpProto::connect(Conv& c) {
  if (c.rport == 0) return Error(Err::BadPort, "connect needs a remote port");
  if (c.raddr.is_multicast() || c.raddr.is_v4_broadcast())
    return Error(Err::BadIp, "tcp cannot connect to a group");
  if (c.laddr.is_zero()) {
    auto src = ip.source_for(c.raddr);
    if (!src) return src.error();
    c.laddr = *src;
  }
  c.hungup = false;
  c.err.clear();
  Tcb* tp = attach(c);
  c.state = ConvState::kConnecting;
  tp->connect(now());
  return {};
}

Tcb* TcpProto::attach(Conv& c) {
  c.stream = true;
  auto t = std::make_unique<Tcb>(*this, c);
  Tcb* tp = t.get();
  c.rq_limit = tp->rbuf.size() + kRcvSlack;
  c.ext = std::move(t);
  return tp;
}

Tcb* TcpProto::new_passive(Conv& listener, const IpRx& rx, const TcpRepr& seg) {
  auto call =
      new_call(listener, rx.dst, seg.dst_port, rx.src, seg.src_port, ConvState::kConnecting);
  if (!call) return nullptr;
  Tcb* tp = attach(**call);
  tp->passive = true;
  tp->listener = &listener;
  tp->listener_port = listener.lport;
  return tp;
}

Status TcpProto::announce(Conv& c) {
  c.stream = true;
  c.state = ConvState::kAnnounced;
  return {};
}

Status TcpProto::ctl(Conv& c, const std::vector<std::string_view>& a) {
  Tcb* t = tcb(c);
  if (a[0] == "close" && a.size() == 1) {
    if (t) t->close_request(now());
    return {};
  }
  if (a[0] == "hangup" && a.size() == 1) {
    if (t && t->st != State::kClosed) t->abort(now());
    return {};
  }
  if (a[0] == "keepalive" && a.size() <= 2) {
    Time ka = kDefaultKeepalive;
    if (a.size() == 2) {
      auto v = parse_int(a[1], 1, 3600 * 1000);
      if (!v) return Error(Err::BadArg, "keepalive ms");
      ka = ms(*v);
    }
    if (!t) return Error(Err::NotConnected);
    t->keepalive = ka;
    if (t->synchronized()) t->keep.arm(now() + ka);
    return {};
  }
  if (a[0] == "checksum" && a.size() == 2) {
    auto v = parse_int(a[1], 0, 1);
    if (!v) return Error(Err::BadArg, "checksum 0|1");
    if (t) t->zero_checksum = *v == 0;
    return {};
  }
  if (a[0] == "tcpporthogdefense" && a.size() == 2) {
    if (a[1] != "on" && a[1] != "off") return Error(Err::BadArg, "tcpporthogdefense on|off");
    porthog = a[1] == "on";
    return {};
  }
  if (a[0] == "congestion" && a.size() == 2) {
    if (a[1] == "cubic")
      cc_algo = CcAlgo::kCubic;
    else if (a[1] == "newreno")
      cc_algo = CcAlgo::kNewReno;
    else
      return Error(Err::BadArg, "congestion cubic|newreno");
    return {};
  }
  if (a[0] == "nodelay" && a.size() == 1) {
    if (t) t->nodelay = true;
    return {};
  }
  return Proto::ctl(c, a);
}

Result<size_t> TcpProto::write(Conv& c, std::span<const uint8_t> data) {
  Tcb* t = tcb(c);
  if (!t || t->st == State::kClosed) return Error(Err::Hangup, c.err);
  if (t->st != State::kEstablished && t->st != State::kCloseWait) return Error(Err::Hangup);
  size_t n = t->sb.push(data);
  t->output(now());
  return n;
}

size_t TcpProto::send_space(const Conv& c) const {
  Tcb* t = tcb(c);
  if (!t || (t->st != State::kEstablished && t->st != State::kCloseWait)) return 0;
  return t->sb.space();
}

size_t TcpProto::qout(const Conv& c) const {
  Tcb* t = tcb(c);
  return t ? t->sb.size() : 0;
}

void TcpProto::consumed(Conv& c) {
  Tcb* t = tcb(c);
  if (!t || !t->synchronized() || t->st == State::kTimeWait) return;
  t->tune_rcvbuf(now());
  // Receiver SWS avoidance (RFC 9293 3.8.6.2.2): announce a window that
  // has grown by a segment or half the buffer since it was last told.
  uint32_t told = t->adv_left();
  uint32_t now_free = t->rcv_space();
  if (now_free > told && now_free - told >= std::min<uint32_t>(t->mss, t->rbuf.size() / 2))
    t->send_ack(now());
}

void TcpProto::reset_for(const IpRx& rx, const TcpRepr& seg) {
  if (seg.rst() || rx.to_mcast() || rx.to_bcast || rx.link) return;
  TcpRepr h;
  h.src_port = seg.dst_port;
  h.dst_port = seg.src_port;
  if (seg.ack_set()) {
    h.seq = seg.ack;
    h.flags = wt::kRst;
  } else {
    h.ack = seg.seq + seg.seg_len();
    h.flags = wt::kRst | wt::kAck;
  }
  out_rsts++;
  reply(rx, h);
}

void TcpProto::reply(const IpRx& rx, const TcpRepr& h) {
  BlockPtr b = ip.pool.alloc();
  uint8_t* hdr = b->push(uint32_t(h.header_len()));
  h.emit(rx.dst, rx.src, {hdr, b->size()});
  SendParams sp;
  sp.src = rx.dst;
  sp.dst = rx.src;
  sp.proto = wire::ipproto::kTcp;
  sp.ttl = Ip::kDefaultTtl;
  out_segs++;
  (void)ip.send(sp, std::move(b));
}

void TcpProto::rcv(const IpRx& rx, BlockPtr b) {
  in_segs++;
  auto seg = checksum_known(*b) ? TcpRepr::parse_unchecked(b->span())
                                : TcpRepr::parse(rx.src, rx.dst, b->span());
  if (!seg) {
    in_errs++;
    if (ip.log.enabled(LogItem::kTcp))
      ip.log.print(LogItem::kTcp, rx.src, rx.dst, seg.error().text());
    return;
  }
  b->pull(seg->header_bytes);
  Conv* c = demux.find(seg->dst_port, rx.src, seg->src_port, rx.dst);
  Time t = now();
  if (!c) {
    reset_for(rx, *seg);
    return;
  }
  if (c->state == ConvState::kAnnounced) {
    // LISTEN (RFC 9293 3.10.7.2).
    if (seg->rst()) return;
    if (seg->ack_set()) {
      if (!seg->syn() && take_cookie(*c, rx, *seg, b, t)) return;
      reset_for(rx, *seg);
      return;
    }
    if (!seg->syn() || rx.to_mcast() || rx.to_bcast) return;
    if (syn_backlog >= kMaxSynBacklog) {
      send_cookie(rx, *seg, t);  // a SYN flood: answer without keeping state
      return;
    }
    Tcb* tp = new_passive(*c, rx, *seg);
    if (!tp) return;
    syn_backlog++;
    tp->in_backlog = true;
    tp->accept_syn(rx, *seg, t);
    return;
  }
  Tcb* tp = tcb(*c);
  if (!tp || tp->st == State::kClosed) {
    reset_for(rx, *seg);
    return;
  }
  tp->input(rx, *seg, std::move(b), t);
}

namespace {
// The MSS values a cookie can carry (3 bits), as Linux's table.
constexpr uint16_t kCookieMss[8] = {216, 536, 1220, 1300, 1440, 1460, 4312, 8960};
constexpr Time kCookiePeriod = sec(64);  // a cookie is good for one or two periods

// When the SYN has timestamps, the options it offered ride in the low 6
// bits of our SYN-ACK's TSval, which the peer echoes in its ACK's TSecr (as
// Linux's cookie_init_timestamp): bits 0-3 its window scale (15: none), bit
// 4 SACK permitted. The TSval is moved back, never ahead of our clock, so
// the connection's later TSvals do not go back from it (RFC 7323 5.3).
constexpr uint32_t kTsOptMask = 63, kTsNoWscale = 15, kTsSack = 16;

uint32_t cookie_tsval(uint32_t clock, const TcpRepr& syn) {
  uint32_t opts = syn.wscale ? std::min(*syn.wscale, wt::kMaxWscale) : kTsNoWscale;
  if (syn.sack_permitted) opts |= kTsSack;
  uint32_t v = (clock & ~kTsOptMask) | opts;
  return seq_gt(v, clock) ? v - (kTsOptMask + 1) : v;
}

// The options of the SYN a cookie's ACK (with timestamps) answers.
void cookie_options(const TcpRepr& ack, TcpRepr& syn) {
  uint32_t opts = ack.ts->ecr & kTsOptMask;
  if ((opts & 15) != kTsNoWscale)
    syn.wscale = uint8_t(std::min<uint32_t>(opts & 15, wt::kMaxWscale));
  syn.sack_permitted = opts & kTsSack;
  syn.ts = TcpRepr::Timestamps{ack.ts->val, 0};
}
}  // namespace

uint32_t TcpProto::cookie(const IpRx& rx, const TcpRepr& seg, uint32_t t,
                          uint32_t mss_index) const {
  // t (5 bits) | MSS index (3 bits) | 24 bits of a keyed hash of the 4-tuple,
  // t, and the client's ISN (seg.seq of its SYN).
  t &= 31;  // what the cookie carries is what the hash covers
  uint32_t h = isn.hash(rx.dst, seg.dst_port, rx.src, seg.src_port, 2,
                        uint64_t(t) << 32 | uint32_t(seg.seq)) &
               0xffffff;
  return t << 27 | mss_index << 24 | h;
}

void TcpProto::send_cookie(const IpRx& rx, const TcpRepr& syn, Time now) {
  uint16_t peer = syn.mss ? *syn.mss : (rx.v6 ? 1220 : 536);
  uint32_t idx = 0;
  for (uint32_t i = 0; i < 8; i++)
    if (kCookieMss[i] <= peer) idx = i;
  TcpRepr h;
  h.src_port = syn.dst_port;
  h.dst_port = syn.src_port;
  h.seq = cookie(rx, syn, uint32_t(now / kCookiePeriod), idx);
  h.ack = syn.seq + 1;
  h.flags = wt::kSyn | wt::kAck;
  h.window = 65535;
  h.mss = kCookieMss[idx];
  if (syn.ts) {
    // Window scale and SACK only with timestamps, where the choice is kept.
    uint32_t ts_offset = isn.hash(rx.dst, syn.dst_port, rx.src, syn.src_port, 1);
    h.ts = TcpRepr::Timestamps{cookie_tsval(uint32_t(now / ms(1)) + ts_offset, syn), syn.ts->val};
    if (syn.wscale) h.wscale = kRcvWscale;
    h.sack_permitted = syn.sack_permitted;
  }
  cookies_sent++;
  reply(rx, h);
}

bool TcpProto::take_cookie(Conv& listener, const IpRx& rx, const TcpRepr& seg, BlockPtr& b,
                           Time now) {
  if (cookies_sent == 0) return false;
  uint32_t c = seg.ack - 1;
  uint32_t t = c >> 27, idx = (c >> 24) & 7, now_t = uint32_t(now / kCookiePeriod);
  if (t != (now_t & 31) && t != ((now_t - 1) & 31)) return false;
  TcpRepr syn;  // what the SYN was: its ISN is one before this ACK's SEQ
  syn.src_port = seg.src_port;
  syn.dst_port = seg.dst_port;
  syn.seq = seg.seq - 1;
  if (cookie(rx, syn, t, idx) != c) return false;
  Tcb* tp = new_passive(listener, rx, seg);
  if (!tp) return false;
  // As if the SYN had been answered from state, with the options it
  // offered if timestamps kept them (else none); the ACK completes it.
  syn.mss = kCookieMss[idx];
  if (seg.ts) cookie_options(seg, syn);
  tp->pick_mss();
  tp->set_options(syn);
  tp->ts_offset = isn.hash(rx.dst, seg.dst_port, rx.src, seg.src_port, 1);
  tp->iss = c;
  tp->irs = syn.seq;
  tp->rcv_nxt = tp->rcv_adv = seg.seq;
  tp->snd_una = c;
  tp->snd_nxt = c + 1;
  tp->snd_wl1 = seg.seq;
  tp->snd_wl2 = c;
  tp->set_state(State::kSynReceived);
  cookies_taken++;
  tp->input(rx, seg, std::move(b), now);
  return true;
}

void TcpProto::advise(const Advice& a) {
  if (a.transport.size() < 8) return;
  uint16_t sport = load16(a.transport.data()), dport = load16(a.transport.data() + 2);
  Conv* c = demux.exact(sport, a.dst, dport);
  Tcb* t = c ? tcb(*c) : nullptr;
  if (!t) return;
  if (a.kind == Advice::kPacketTooBig) {
    // RFC 1191 / 8201: a smaller MSS, and resend what was too big.
    int hdr = a.v6 ? 60 : 40;
    t->black_hole.on_ptb();
    if (a.mtu > uint32_t(hdr) + 88 && a.mtu - uint32_t(hdr) < t->mss) {
      t->mss = uint16_t(a.mtu - uint32_t(hdr));
      t->cc->set_mss(t->mss);
      t->board.mark_all_lost();
      t->output(now());
    }
    return;
  }
  if (c->ignoreadvice) return;
  // RFC 1122 4.2.3.9 / RFC 5461: hard errors end a connection attempt;
  // soft ones are remembered for the error text of a timeout.
  if (t->st == State::kSynSent && a.hard()) {
    t->closed(a.text());
    return;
  }
  if (c->err.empty()) c->err = a.text();
}

std::string TcpProto::status(const Conv& c) const {
  Tcb* t = tcb(c);
  if (!t) {
    return std::string(c.state == ConvState::kAnnounced ? "Listen" : "Closed") + " qin " +
           std::to_string(c.rq_bytes) + " qout 0\n";
  }
  auto ms_of = [](Time x) { return std::to_string(x < 0 ? 0 : x / ms(1)); };
  return std::string(state_name(t->st)) + " qin " + std::to_string(c.rq_bytes) + " qout " +
         std::to_string(t->sb.size()) + " rq " + std::to_string(t->ooo.bytes()) + " srtt " +
         ms_of(t->rto.srtt()) + " mdev " + ms_of(t->rto.rttvar()) + " sst " +
         std::to_string(t->cc->ssthresh()) + " cwin " + std::to_string(t->cc->cwnd()) + " swin " +
         std::to_string(t->snd_wnd) + ">>" + std::to_string(t->snd_wscale) + " rwin " +
         std::to_string(t->rcv_space()) + ">>" + std::to_string(t->rcv_wscale) + " rbuf " +
         std::to_string(t->rbuf.size()) + " rto " + ms_of(t->rto.timeout()) + " mss " +
         std::to_string(t->mss) + " cc " + std::string(t->cc->name()) + "\n";
}

std::string TcpProto::stats() const {
  auto line = [](const char* n, uint64_t v) {
    return std::string(n) + ": " + std::to_string(v) + "\n";
  };
  return line("MaxConn", uint64_t(max_convs)) + line("ActiveOpens", active_opens) +
         line("PassiveOpens", passive_opens) + line("EstabResets", estab_resets) +
         line("CurrEstab", curr_estab) + line("InSegs", in_segs) + line("OutSegs", out_segs) +
         line("RetransSegs", retrans_segs) + line("RetransTimeouts", retrans_timeouts) +
         line("InErrs", in_errs) + line("OutRsts", out_rsts) +
         line("SynCookiesSent", cookies_sent) + line("SynCookiesTaken", cookies_taken) +
         line("RcvQueueDrops", rcvq_drops) + line("OutOfOrderDrops", ooo_drops) +
         line("StatelessHogs", hogs_killed) + line("MtuBlackHoles", black_holes);
}

bool TcpProto::close(Conv& c) {
  Tcb* t = tcb(c);
  if (!t) return true;
  Time n = now();
  switch (t->st) {
    case State::kClosed:
      return true;
    case State::kSynSent:
      t->st = State::kClosed;
      return true;
    case State::kSynReceived:
      if (t->passive) {
        // A call nobody accepted: reset it (its listener went away).
        t->send_segment(t->snd_nxt, 0, wt::kRst | wt::kAck, n, false);
        out_rsts++;
        t->leave_backlog();
        t->st = State::kClosed;
        return true;
      }
      t->close_request(n);
      return false;
    case State::kEstablished:
    case State::kCloseWait:
      t->close_request(n);
      return false;
    case State::kFinWait2:
      t->finwait.arm(n + kFinWait2);
      return false;
    default:
      return false;  // finishing; release() when done
  }
}

void TcpProto::gc() {
  // Plan 9's tcpgc: conversations in TIME_WAIT give way to new ones.
  for (auto& c : convs) {
    if (!c->inuse || !c->held) continue;
    Tcb* t = tcb(*c);
    if (t && t->st == State::kTimeWait) {
      t->st = State::kClosed;
      release(*c);
    }
  }
}

}  // namespace tcp

std::unique_ptr<Proto> make_tcp(Ip& ip) {
  return std::make_unique<tcp::TcpProto>(ip);
}

}  // namespace ninet
