// tcp.cc — TCP connections (tcp.h): the state machine of RFC 9293 3.10 on
// the parts beside it (rto, ooo, scoreboard, prr, congestion, isn).
//
// One Tcb per conversation (its ConvExt). Input runs on the engine thread
// under the stack lock; so do the timers. Data written to `data` goes to a
// ring (SendBuf) from SND.UNA on, so a retransmission copies from it;
// received data goes straight to the conversation's read queue (in order)
// or to the out-of-order queue. The receive window is the room left in the
// read queue, so what the window admits is always queued.
#include "proto/tcp/tcp.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "base/endian.h"
#include "base/fields.h"
#include "proto/tcp/congestion.h"
#include "proto/tcp/isn.h"
#include "proto/tcp/ooo.h"
#include "proto/tcp/prr.h"
#include "proto/tcp/rto.h"
#include "proto/tcp/scoreboard.h"
#include "wire/ip4.h"
#include "wire/tcp.h"

namespace ninet {
namespace tcp {
namespace {

using wire::seq_ge;
using wire::seq_gt;
using wire::seq_le;
using wire::seq_lt;
using wire::TcpRepr;
namespace wt = wire::tcp;

enum class State {
  kClosed,
  kSynSent,
  kSynReceived,
  kEstablished,
  kFinWait1,
  kFinWait2,
  kCloseWait,
  kClosing,
  kLastAck,
  kTimeWait
};

const char* state_name(State s) {
  static const char* const kNames[] = {"Closed",   "Syn_sent", "Syn_received", "Established",
                                       "Finwait1", "Finwait2", "Close_wait",   "Closing",
                                       "Last_ack", "Time_wait"};
  return kNames[int(s)];
}

constexpr int kMaxConvs = 65536;
constexpr size_t kSndBuf = 1 << 20;     // bytes a writer may queue
constexpr size_t kRcvBuf = 4 << 20;     // the read queue, and the most we advertise
constexpr uint8_t kRcvWscale = 7;       // 4 MiB >> 7 fits 16 bits
constexpr size_t kOooMemory = 8 << 20;  // out-of-order buffers held (whole blocks)
constexpr size_t kOooSegments = 2048;
constexpr Time kDelAck = ms(40);
constexpr Time kTimeWait = sec(60);   // 2 MSL, as Linux
constexpr Time kFinWait2 = sec(60);   // an orphaned FIN_WAIT_2 (Linux tcp_fin_timeout)
constexpr unsigned kSynRetries = 6;   // about 127 s, as Linux
constexpr unsigned kMaxRetries = 15;  // RFC 1122 R2 (Linux tcp_retries2)
constexpr unsigned kMaxSynBacklog = 1024;
constexpr unsigned kKeepaliveProbes = 9;
constexpr Time kDefaultKeepalive = ms(30000);  // ip(3)

// The send buffer: a ring of bytes from SND.UNA on.
class SendBuf {
 public:
  size_t size() const { return len_; }
  size_t space() const { return kSndBuf - len_; }
  size_t push(std::span<const uint8_t> d) {
    size_t n = std::min(d.size(), space());
    if (buf_.size() < len_ + n) grow(len_ + n);
    for (size_t done = 0; done < n;) {
      size_t at = (head_ + len_) % buf_.size();
      size_t k = std::min(n - done, buf_.size() - at);
      std::memcpy(buf_.data() + at, d.data() + done, k);
      done += k;
      len_ += k;
    }
    return n;
  }
  void copy(size_t off, uint8_t* to, size_t n) const {
    for (size_t done = 0; done < n;) {
      size_t at = (head_ + off + done) % buf_.size();
      size_t k = std::min(n - done, buf_.size() - at);
      std::memcpy(to + done, buf_.data() + at, k);
      done += k;
    }
  }
  void consume(size_t n) {
    n = std::min(n, len_);
    len_ -= n;
    head_ = len_ ? (head_ + n) % buf_.size() : 0;
  }

 private:
  void grow(size_t need) {
    size_t cap = std::max<size_t>(buf_.size() * 2, 16384);
    while (cap < need)
      cap *= 2;
    cap = std::min(cap, kSndBuf);
    std::vector<uint8_t> b(cap);
    copy(0, b.data(), len_);
    buf_.swap(b);
    head_ = 0;
  }
  std::vector<uint8_t> buf_;
  size_t head_ = 0, len_ = 0;
};

class TcpProto;

struct Tcb final : ConvExt {
  Tcb(TcpProto& p, Conv& c);

  TcpProto& p;
  Conv& c;
  State st = State::kClosed;
  bool passive = false;
  bool queued = false;  // passive: handed to the listener's queue
  bool syn_unacked = true;
  Conv* listener = nullptr;  // passive: the announced conversation
  uint16_t listener_port = 0;

  // Send sequence space (RFC 9293 3.3.1)
  uint32_t iss = 0, snd_una = 0, snd_nxt = 0, snd_wl1 = 0, snd_wl2 = 0;
  uint32_t snd_wnd = 0, max_snd_wnd = 0;
  SendBuf sb;
  bool fin_queued = false, fin_sent = false;
  uint32_t fin_seq = 0;
  // Receive sequence space
  uint32_t irs = 0, rcv_nxt = 0, rcv_adv = 0;
  OooQueue ooo{kOooMemory, kOooSegments};
  bool ooo_fin = false;  // a FIN arrived beyond a hole
  uint32_t ooo_fin_seq = 0;
  unsigned ack_pending = 0;
  // Options
  uint16_t mss = 536;      // what we send
  uint16_t adv_mss = 536;  // what we advertised
  uint8_t snd_wscale = 0, rcv_wscale = 0;
  bool sack_ok = false, ts_ok = false;
  uint32_t ts_recent = 0, ts_offset = 0;
  // Recovery and congestion
  Rto rto;
  Scoreboard board;
  std::unique_ptr<Congestion> cc;
  Prr prr;
  bool in_recovery = false;
  uint32_t recover = 0;
  uint32_t prr_cwnd = 0;
  unsigned dupacks = 0;
  unsigned retries = 0;  // RTO expiries in a row (SYN or data)
  Time syn_time = 0;
  bool syn_retransmitted = false;
  bool nodelay = false;
  bool zero_checksum = false;
  // Keepalive
  Time keepalive = 0;  // 0: off
  unsigned ka_probes = 0;
  Time last_rcv = 0;

  Timer rexmt, delack, reo, keep, finwait;

  // --- the machine
  void connect(Time now);
  void accept_syn(const IpRx& rx, const TcpRepr& syn, Time now);
  void input(const IpRx& rx, const TcpRepr& seg, BlockPtr b, Time now);
  void output(Time now);
  void close_request(Time now);
  void abort(Time now);  // hangup: RST if synchronized, then closed

  // --- helpers
  bool synchronized() const { return st >= State::kEstablished; }
  // Moves to s, keeping CurrEstab (ESTABLISHED and CLOSE-WAIT, RFC 1213).
  void set_state(State s);
  // How much of the window we advertised is still ahead of RCV.NXT.
  uint32_t adv_left() const { return seq_gt(rcv_adv, rcv_nxt) ? rcv_adv - rcv_nxt : 0; }
  uint32_t rcv_space() const;
  uint32_t cwnd() const { return in_recovery ? prr_cwnd : cc->cwnd(); }
  // Data per segment: the MSS less the options this segment carries (RFC
  // 6691: the MSS does not count them), so a segment fits the path MTU.
  uint32_t seg_size() const;
  // SND.UNA is the SYN's until it is acknowledged; data starts after it.
  uint32_t data_start() const { return syn_unacked ? snd_una + 1 : snd_una; }
  uint32_t data_end() const { return data_start() + uint32_t(sb.size()); }
  void set_options(const TcpRepr& syn);
  void pick_mss();
  void send_syn(Time now);
  void send_segment(uint32_t seq, uint32_t len, uint8_t flags, Time now, bool retransmit);
  void send_ack(Time now) { send_segment(snd_nxt, 0, wt::kAck, now, false); }
  void challenge_ack(Time now) { send_ack(now); }
  void arm_rexmt(Time now);
  void established(Time now);
  void process_ack(const TcpRepr& seg, Time now);
  void process_data(const TcpRepr& seg, BlockPtr b, Time now);
  void got_fin(Time now);
  void enter_time_wait(Time now);
  // The connection is over: wakes readers and writers with `why` (no text:
  // an orderly end) and frees the conversation if its files are closed.
  // The Tcb may be gone when it returns.
  void closed(const std::string& why);
  void on_rexmt(Time now);
  void on_reo(Time now);
  void on_keep(Time now);
};

class TcpProto final : public Proto {
 public:
  explicit TcpProto(Ip& ip) : Proto(ip, "tcp", wire::ipproto::kTcp, kMaxConvs), isn(ip.rng) {}

  Status connect(Conv& c) override;
  Status announce(Conv& c) override;
  Status ctl(Conv& c, const std::vector<std::string_view>& args) override;
  Result<size_t> write(Conv& c, std::span<const uint8_t> data) override;
  size_t send_space(const Conv& c) const override;
  size_t qout(const Conv& c) const override;
  void consumed(Conv& c) override;
  void rcv(const IpRx& rx, BlockPtr b) override;
  void advise(const Advice& a) override;
  std::string status(const Conv& c) const override;
  std::string stats() const override;
  bool close(Conv& c) override;
  void gc() override;

  // A RST for a segment that reached no connection (RFC 9293 3.10.7.1).
  void reset_for(const IpRx& rx, const TcpRepr& seg);
  static Tcb* tcb(const Conv& c) { return static_cast<Tcb*>(c.ext.get()); }
  Time now() const { return ip.clock.now(); }

  IsnGen isn;
  CcAlgo cc_algo = CcAlgo::kCubic;
  bool porthog = false;
  unsigned syn_backlog = 0;
  uint64_t active_opens = 0, passive_opens = 0, estab_resets = 0, curr_estab = 0, in_segs = 0,
           out_segs = 0, retrans_segs = 0, retrans_timeouts = 0, in_errs = 0, out_rsts = 0;
};

// ---- Tcb

Tcb::Tcb(TcpProto& proto, Conv& conv)
    : p(proto),
      c(conv),
      cc(make_congestion(proto.cc_algo, 536)),
      rexmt(proto.ip.timers, [this](Time t) { on_rexmt(t); }),
      delack(proto.ip.timers, [this](Time t) { send_ack(t); }),
      reo(proto.ip.timers, [this](Time t) { on_reo(t); }),
      keep(proto.ip.timers, [this](Time t) { on_keep(t); }),
      finwait(proto.ip.timers, [this](Time) { closed(""); }) {}

void Tcb::set_state(State s) {
  auto estab = [](State x) { return x == State::kEstablished || x == State::kCloseWait; };
  if (estab(st) && !estab(s)) p.curr_estab--;
  if (!estab(st) && estab(s)) p.curr_estab++;
  st = s;
}

uint32_t Tcb::seg_size() const {
  uint32_t opts = ts_ok ? 12 : 0;
  if (sack_ok && !ooo.empty()) opts += ts_ok ? 28 : 36;  // room for the blocks sent with it
  return std::max<uint32_t>(mss - opts, 64);
}

uint32_t Tcb::rcv_space() const {
  size_t used = c.rq_bytes + ooo.bytes();
  return used >= c.rq_limit ? 0 : uint32_t(c.rq_limit - used);
}

void Tcb::pick_mss() {
  // The route's interface MTU less the IP and TCP headers (RFC 9293 3.7.1).
  int mtu = 0;
  if (const Route* r = p.ip.routes.lookup(c.raddr))
    if (Ifc* f = p.ip.hop(*r, c.raddr).ifc) mtu = f->ip_mtu();
  bool v6 = !c.raddr.is_v4();
  int m = mtu > 0 ? mtu - (v6 ? 60 : 40) : (v6 ? 1220 : 536);
  adv_mss = mss = uint16_t(std::clamp(m, 88, 65495));
}

void Tcb::set_options(const TcpRepr& syn) {
  // Without the option the peer takes 536 (IPv4) or 1220 (IPv6) bytes.
  uint16_t peer = syn.mss ? std::max<uint16_t>(*syn.mss, 88) : (c.raddr.is_v4() ? 536 : 1220);
  mss = std::min(mss, peer);
  if (syn.wscale) {
    snd_wscale = std::min(*syn.wscale, wt::kMaxWscale);
    rcv_wscale = kRcvWscale;
  }
  sack_ok = syn.sack_permitted;
  if (syn.ts) {
    ts_ok = true;
    ts_recent = syn.ts->val;
  }
  cc = make_congestion(p.cc_algo, mss);
}

void Tcb::arm_rexmt(Time now) {
  rexmt.arm(now + rto.timeout());
}

void Tcb::send_syn(Time now) {
  uint8_t flags = wt::kSyn | (st == State::kSynReceived ? wt::kAck : 0);
  send_segment(iss, 0, flags, now, false);
  arm_rexmt(now);
}

void Tcb::connect(Time now) {
  pick_mss();
  iss = p.isn.next(c.laddr, c.lport, c.raddr, c.rport, now);
  ts_offset = p.isn.hash(c.laddr, c.lport, c.raddr, c.rport, 1);
  snd_una = iss;
  snd_nxt = iss + 1;
  set_state(State::kSynSent);
  syn_time = now;
  p.active_opens++;
  send_syn(now);
}

void Tcb::accept_syn(const IpRx&, const TcpRepr& syn, Time now) {
  pick_mss();
  irs = syn.seq;
  rcv_nxt = rcv_adv = syn.seq + 1;
  set_options(syn);
  // Our SYN-ACK carries window scale, SACK and timestamps only if the SYN
  // did (RFC 7323 1.3, RFC 2018 2).
  iss = p.isn.next(c.laddr, c.lport, c.raddr, c.rport, now);
  ts_offset = p.isn.hash(c.laddr, c.lport, c.raddr, c.rport, 1);
  snd_una = iss;
  snd_nxt = iss + 1;
  snd_wnd = syn.window;  // never scaled in a SYN
  snd_wl1 = syn.seq;
  snd_wl2 = iss;
  set_state(State::kSynReceived);
  syn_time = now;
  send_syn(now);
}

void Tcb::send_segment(uint32_t seq, uint32_t len, uint8_t flags, Time now, bool retransmit) {
  BlockPtr b = p.ip.pool.alloc();
  if (len) {
    uint8_t* d = b->put(len);
    size_t off = seq - data_start();
    sb.copy(off, d, len);
  }
  TcpRepr h;
  h.src_port = c.lport;
  h.dst_port = c.rport;
  h.seq = seq;
  h.flags = flags;
  if (flags & wt::kAck) h.ack = rcv_nxt;
  uint32_t space = rcv_space();
  if (flags & wt::kSyn) {
    h.window = uint16_t(std::min<uint32_t>(space, 65535));
    h.mss = adv_mss;
    // Active open offers everything; a SYN-ACK answers what the SYN offered.
    if (st == State::kSynSent || snd_wscale || rcv_wscale) h.wscale = kRcvWscale;
    if (st == State::kSynSent || sack_ok) h.sack_permitted = true;
    if (st == State::kSynSent || ts_ok)
      h.ts = TcpRepr::Timestamps{uint32_t(now / ms(1)) + ts_offset, ts_recent};
  } else {
    // Never move the right edge back (RFC 9293 3.8.6.2.2).
    uint32_t edge = rcv_nxt + space;
    if (seq_lt(edge, rcv_adv)) edge = rcv_adv;
    uint32_t wnd = std::min<uint32_t>((edge - rcv_nxt) >> rcv_wscale, 65535);
    h.window = uint16_t(wnd);
    rcv_adv = rcv_nxt + (wnd << rcv_wscale);
    if (ts_ok) h.ts = TcpRepr::Timestamps{uint32_t(now / ms(1)) + ts_offset, ts_recent};
    if (sack_ok && !ooo.empty()) h.nsack = uint8_t(ooo.sack({h.sack.data(), h.sack.size()}));
  }
  size_t hl = h.header_len();
  uint8_t* hdr = b->push(uint32_t(hl));
  h.emit(c.laddr, c.raddr, {hdr, b->size()});
  if (zero_checksum) store16(hdr + wt::kCksum, 0);
  if (flags & wt::kAck) {
    ack_pending = 0;
    delack.cancel();
  }
  SendParams sp;
  sp.src = c.laddr;
  sp.dst = c.raddr;
  sp.proto = wire::ipproto::kTcp;
  sp.ttl = c.ttl;
  sp.tos = c.tos;
  sp.df = c.raddr.is_v4();  // path MTU discovery (RFC 1191)
  p.out_segs++;
  if (retransmit) p.retrans_segs++;
  (void)p.ip.send(sp, std::move(b));
}

void Tcb::established(Time now) {
  set_state(State::kEstablished);
  syn_unacked = false;
  if (!syn_retransmitted && syn_time) rto.sample(now - syn_time);
  if (syn_retransmitted) rto.lost_syn();
  retries = 0;
  last_rcv = now;
  rexmt.cancel();
  if (keepalive) keep.arm(now + keepalive);
}

void Tcb::output(Time now) {
  if (!synchronized() || st == State::kTimeWait) return;
  // Lost segments first, as the window allows (RFC 6675 NextSeg rule 1).
  while (auto l = board.next_lost()) {
    if (board.pipe() >= cwnd()) break;
    uint32_t len = std::min<uint32_t>(l->second - l->first, seg_size());
    send_segment(l->first, len, wt::kAck | wt::kPsh, now, true);
    board.retransmitted(l->first, l->first + len, now);
    if (in_recovery) prr.sent(len);
  }
  // New data.
  if (!fin_sent) {
    for (;;) {
      uint32_t unsent = data_end() - snd_nxt;
      if (unsent == 0) break;
      uint32_t wnd_end = snd_una + snd_wnd;
      uint32_t wnd_left = seq_gt(wnd_end, snd_nxt) ? wnd_end - snd_nxt : 0;
      uint32_t cw = cwnd(), pipe = board.pipe();
      uint32_t cwnd_left = cw > pipe ? cw - pipe : 0;
      uint32_t smss = seg_size();
      uint32_t len = std::min({smss, unsent, wnd_left, cwnd_left});
      if (len == 0) {
        // A zero window with nothing in flight: probe it (the persist timer).
        if (snd_wnd == 0 && board.empty() && !rexmt.armed()) arm_rexmt(now);
        break;
      }
      // Sender SWS avoidance and Nagle (RFC 9293 3.8.6.2.1, RFC 896): a
      // short segment only if it is all there is and nothing is unacked
      // (or Nagle is off), or the window will allow no more for a while.
      if (len < smss && len < unsent && wnd_left >= smss && cwnd_left >= smss) break;
      if (len < smss && !nodelay && board.pipe() > 0 && len == unsent && !fin_queued) break;
      bool last = len == unsent;
      send_segment(snd_nxt, len, wt::kAck | (last ? wt::kPsh : 0), now, false);
      board.sent(snd_nxt, snd_nxt + len, now);
      snd_nxt += len;
      if (in_recovery) prr.sent(len);
    }
  }
  // FIN, once all data has been sent.
  if (fin_queued && !fin_sent && snd_nxt == data_end()) {
    fin_seq = snd_nxt;
    fin_sent = true;
    snd_nxt++;
    send_segment(fin_seq, 0, wt::kFin | wt::kAck, now, false);
  }
  if (snd_nxt != snd_una && !rexmt.armed()) arm_rexmt(now);
}

void Tcb::close_request(Time now) {
  switch (st) {
    case State::kSynSent:
      closed("");
      return;
    case State::kSynReceived:
    case State::kEstablished:
      set_state(State::kFinWait1);
      break;
    case State::kCloseWait:
      set_state(State::kLastAck);
      break;
    default:
      return;  // closing already
  }
  fin_queued = true;
  output(now);
}

void Tcb::abort(Time now) {
  if (synchronized() || st == State::kSynReceived) {
    send_segment(snd_nxt, 0, wt::kRst | wt::kAck, now, false);
    p.out_rsts++;
  }
  closed("hangup");
}

void Tcb::closed(const std::string& why) {
  if (st == State::kEstablished || st == State::kCloseWait) p.curr_estab--;
  if (passive && st == State::kSynReceived && p.syn_backlog) p.syn_backlog--;
  set_state(State::kClosed);
  rexmt.cancel();
  delack.cancel();
  reo.cancel();
  keep.cancel();
  finwait.cancel();
  c.hungup = true;
  if (!why.empty()) c.err = why;
  if (c.state == ConvState::kConnecting) c.state = ConvState::kIdle;  // connect failed
  c.wake();
  // Free it if its files are closed, or if it is a call nobody has seen.
  if (c.held || (passive && !queued && c.refs == 0)) {
    c.held = true;
    p.release(c);  // may delete this Tcb
  }
}

void Tcb::enter_time_wait(Time now) {
  set_state(State::kTimeWait);
  rexmt.cancel();
  reo.cancel();
  keep.cancel();
  finwait.arm(now + kTimeWait);
}

void Tcb::got_fin(Time now) {
  rcv_nxt++;
  c.rx_done = true;  // readers see the end of the stream once the queue is empty
  c.wake();
  switch (st) {
    case State::kSynReceived:
    case State::kEstablished:
      set_state(State::kCloseWait);
      break;
    case State::kFinWait1:
      // Our FIN acknowledged too: TIME_WAIT; else both closed at once.
      if (fin_sent && seq_gt(snd_una, fin_seq))
        enter_time_wait(now);
      else
        set_state(State::kClosing);
      break;
    case State::kFinWait2:
      finwait.cancel();
      enter_time_wait(now);
      break;
    case State::kTimeWait:
      finwait.arm(now + kTimeWait);  // a retransmitted FIN restarts 2 MSL
      break;
    default:
      break;
  }
  send_ack(now);
}

void Tcb::process_ack(const TcpRepr& seg, Time now) {
  // Window update (RFC 9293 3.10.7.4, fifth check).
  auto window_update = [&] {
    if (seq_lt(snd_wl1, seg.seq) || (snd_wl1 == seg.seq && seq_le(snd_wl2, seg.ack))) {
      snd_wnd = uint32_t(seg.window) << snd_wscale;
      max_snd_wnd = std::max(max_snd_wnd, snd_wnd);
      snd_wl1 = seg.seq;
      snd_wl2 = seg.ack;
    }
  };
  uint32_t old_una = snd_una;
  bool new_data = seq_gt(seg.ack, snd_una);
  std::span<const TcpRepr::SackBlock> sacks{seg.sack.data(), sack_ok ? seg.nsack : size_t(0)};
  auto r = board.on_ack(seg.ack, sacks, now);
  if (new_data) {
    uint32_t acked = seg.ack - snd_una;
    uint32_t data_acked = acked;
    if (fin_sent && seq_gt(seg.ack, fin_seq)) data_acked--;  // the FIN's sequence number
    sb.consume(std::min<size_t>(data_acked, sb.size()));
    snd_una = seg.ack;
    retries = 0;
    dupacks = 0;
    if (r.rtt >= 0) rto.sample(r.rtt);
    if (board.empty() && !(fin_sent && seq_le(snd_una, fin_seq)))
      rexmt.cancel();
    else
      arm_rexmt(now);
    c.wake();  // room in the send buffer
  } else if (seg.ack == snd_una && seg.payload.empty() && !seg.fin() && !board.empty() &&
             (uint32_t(seg.window) << snd_wscale) == snd_wnd && r.sacked == 0) {
    // A duplicate ACK (RFC 5681 2). Without SACK, the third means a loss.
    if (++dupacks == 3 && !sack_ok) board.mark_first_lost();
  }
  window_update();
  // Loss detection by time (RACK) and recovery (RFC 6675 with PRR).
  Time wait = board.detect_loss(now, rto.srtt(), in_recovery);
  if (wait > 0)
    reo.arm(now + wait);
  else
    reo.cancel();
  uint32_t delivered = (snd_una - old_una) + r.sacked;
  if (in_recovery && seq_ge(snd_una, recover)) {
    in_recovery = false;
    cc->end_recovery();
  }
  if (!in_recovery && board.lost_bytes() > 0) {
    in_recovery = true;
    recover = snd_nxt;
    uint32_t flight = snd_nxt - snd_una;
    cc->on_congestion(now, flight);
    prr.start(flight, mss);
  }
  if (in_recovery) {
    prr_cwnd = prr.on_ack(delivered, board.pipe(), cc->ssthresh());
  } else if (new_data) {
    AckEvent e;
    e.acked = snd_una - old_una;
    e.ack = seg.ack;
    e.snd_nxt = snd_nxt;
    e.rtt = r.rtt;
    e.srtt = rto.srtt();
    e.now = now;
    cc->on_ack(e);
  }
}

void Tcb::process_data(const TcpRepr& seg, BlockPtr b, Time now) {
  uint32_t seq = seg.seq;
  uint32_t len = uint32_t(seg.payload.size());
  // Cut to the window: what is before RCV.NXT, and what is past its edge.
  uint32_t wnd_end = rcv_nxt + std::max(rcv_space(), adv_left());
  if (seq_lt(seq, rcv_nxt)) {
    uint32_t cut = std::min(rcv_nxt - seq, len);
    b->pull(cut);
    seq += cut;
    len -= cut;
  }
  if (len && seq_gt(seq + len, wnd_end)) {
    len = seq_lt(seq, wnd_end) ? wnd_end - seq : 0;
    b->trim(len);
  }
  bool fin = seg.fin() && seq + len == seg.seq + uint32_t(seg.payload.size());
  bool ack_now = false;
  if (len == 0) {
    // Nothing new: a duplicate (answer it, RFC 9293), or a FIN alone.
    if (!seg.payload.empty()) ack_now = true;
  } else if (seq == rcv_nxt) {
    rcv_nxt += len;
    if (!c.enqueue(std::move(b))) ack_now = true;  // cannot happen within the window
    if (!ooo.empty()) {
      std::vector<BlockPtr> more;
      rcv_nxt = ooo.take(rcv_nxt, more);
      for (auto& m : more)
        c.enqueue(std::move(m));
      ack_now = true;  // a hole filled: tell the sender at once (RFC 5681 4.2)
    }
    if (++ack_pending >= 2) ack_now = true;  // every second full segment (RFC 9293 3.8.6.3)
    c.wake();
  } else {
    (void)ooo.add(seq, std::move(b));
    ack_now = true;  // out of order: an immediate duplicate ACK with SACK
  }
  if (fin) {
    if (seq + len == rcv_nxt || (len == 0 && seg.seq == rcv_nxt)) {
      got_fin(now);
      return;
    }
    ooo_fin = true;
    ooo_fin_seq = seg.seq + uint32_t(seg.payload.size());
  }
  if (ooo_fin && ooo_fin_seq == rcv_nxt) {
    ooo_fin = false;
    got_fin(now);
    return;
  }
  if (ack_now)
    send_ack(now);
  else if (len && !delack.armed())
    delack.arm(now + kDelAck);
}

void Tcb::input(const IpRx&, const TcpRepr& seg, BlockPtr b, Time now) {
  last_rcv = now;
  ka_probes = 0;
  if (st == State::kSynSent) {
    if (seg.ack_set() && (seq_le(seg.ack, iss) || seq_gt(seg.ack, snd_nxt))) {
      if (!seg.rst()) {
        send_segment(seg.ack, 0, wt::kRst, now, false);  // <SEQ=SEG.ACK><CTL=RST>
        p.out_rsts++;
      }
      return;
    }
    if (seg.rst()) {
      if (seg.ack_set()) closed("connection refused");
      return;
    }
    if (!seg.syn()) return;
    irs = seg.seq;
    rcv_nxt = rcv_adv = seg.seq + 1;
    set_options(seg);
    if (!seg.ack_set()) {
      // Simultaneous open (RFC 9293 3.5 figure 8).
      set_state(State::kSynReceived);
      send_syn(now);
      return;
    }
    snd_una = seg.ack;
    snd_wnd = uint32_t(seg.window);  // a SYN's window is never scaled
    max_snd_wnd = snd_wnd;
    snd_wl1 = seg.seq;
    snd_wl2 = seg.ack;
    established(now);
    c.state = ConvState::kConnected;
    c.wake();
    send_ack(now);
    output(now);
    return;
  }

  // PAWS (RFC 7323 5): a segment with an older timestamp is a duplicate.
  if (ts_ok && seg.ts && !seg.rst() && int32_t(seg.ts->val - ts_recent) < 0) {
    send_ack(now);
    return;
  }
  // First: is the segment acceptable (RFC 9293 3.10.7.4)?
  uint32_t wnd = std::max(rcv_space(), adv_left());
  uint32_t len = seg.seg_len();
  bool ok;
  if (len == 0)
    ok = wnd == 0 ? seg.seq == rcv_nxt : seq_le(rcv_nxt, seg.seq) && seq_lt(seg.seq, rcv_nxt + wnd);
  else
    ok = wnd != 0 &&
         ((seq_le(rcv_nxt, seg.seq) && seq_lt(seg.seq, rcv_nxt + wnd)) ||
          (seq_le(rcv_nxt, seg.seq + len - 1) && seq_lt(seg.seq + len - 1, rcv_nxt + wnd)));
  if (!ok) {
    if (!seg.rst()) send_ack(now);
    return;
  }
  // Timestamps to echo (RFC 7323 4.3).
  if (ts_ok && seg.ts && seq_le(seg.seq, rcv_nxt)) ts_recent = seg.ts->val;
  // Second: RST (RFC 5961 3.2: only an exact match resets; else a
  // challenge ACK).
  if (seg.rst()) {
    if (seg.seq != rcv_nxt) {
      challenge_ack(now);
      return;
    }
    if (st == State::kEstablished || st == State::kCloseWait || st == State::kFinWait1 ||
        st == State::kFinWait2)
      p.estab_resets++;
    closed(st == State::kSynReceived && !passive ? "connection refused" : "connection reset");
    return;
  }
  // Fourth: a SYN in a synchronized state (RFC 5961 4.2): challenge ACK. A
  // SYN again in SYN_RECEIVED is the peer's retransmission: answer it.
  if (seg.syn()) {
    if (st == State::kSynReceived && seg.seq == irs) {
      send_syn(now);
      return;
    }
    challenge_ack(now);
    return;
  }
  // Fifth: the ACK.
  if (!seg.ack_set()) return;
  if (st == State::kSynReceived) {
    if (!(seq_lt(snd_una, seg.ack) && seq_le(seg.ack, snd_nxt))) {
      send_segment(seg.ack, 0, wt::kRst, now, false);
      p.out_rsts++;
      return;
    }
    snd_una = seg.ack;
    snd_wnd = uint32_t(seg.window) << snd_wscale;
    max_snd_wnd = snd_wnd;
    snd_wl1 = seg.seq;
    snd_wl2 = seg.ack;
    if (passive && p.syn_backlog) p.syn_backlog--;
    established(now);
    c.state = ConvState::kConnected;
    if (passive) {
      p.passive_opens++;
      if (!listener || listener->state != ConvState::kAnnounced ||
          listener->lport != listener_port || !p.queue_call(*listener, c)) {
        abort(now);  // nobody to take it
        return;
      }
      queued = true;
    }
    c.wake();
  }
  // RFC 5961 5.2: an ACK for data never sent, or far too old.
  if (seq_gt(seg.ack, snd_nxt)) {
    send_ack(now);
    return;
  }
  if (seq_lt(seg.ack, snd_una - std::max(max_snd_wnd, 65535u))) {
    challenge_ack(now);
    return;
  }
  process_ack(seg, now);
  // Our FIN acknowledged?
  if (fin_sent && seq_gt(snd_una, fin_seq)) {
    if (st == State::kFinWait1) {
      set_state(State::kFinWait2);
      if (c.held) finwait.arm(now + kFinWait2);
    } else if (st == State::kClosing) {
      enter_time_wait(now);
    } else if (st == State::kLastAck) {
      closed("");
      return;
    }
  }
  if (st == State::kTimeWait) {
    if (seg.fin()) got_fin(now);
    return;
  }
  // Seventh: the data, and eighth: the FIN.
  if (st == State::kEstablished || st == State::kFinWait1 || st == State::kFinWait2) {
    if (!seg.payload.empty() || seg.fin()) {
      process_data(seg, std::move(b), now);
      if (st == State::kClosed) return;
    }
  } else if (seg.fin() &&
             (st == State::kCloseWait || st == State::kClosing || st == State::kLastAck)) {
    send_ack(now);  // their FIN again
  }
  output(now);
}

void Tcb::on_rexmt(Time now) {
  if (st == State::kSynSent || st == State::kSynReceived) {
    if (++retries > kSynRetries) {
      closed("connection timed out");
      return;
    }
    syn_retransmitted = true;
    rto.backoff();
    p.retrans_segs++;
    send_syn(now);
    return;
  }
  if (st == State::kClosed || st == State::kTimeWait) return;
  if (board.empty() && snd_wnd == 0 && data_end() != snd_nxt) {
    // The persist timer: a zero window probe, a segment the receiver must
    // answer with its window (SEQ = SND.UNA - 1, no data).
    send_segment(snd_una - 1, 0, wt::kAck, now, false);
    rto.backoff();
    arm_rexmt(now);
    return;
  }
  if (snd_nxt == snd_una) return;  // everything acknowledged meanwhile
  p.retrans_timeouts++;
  if (++retries > kMaxRetries) {
    abort(now);
    return;
  }
  rto.backoff();
  uint32_t flight = snd_nxt - snd_una;
  cc->on_timeout(now, flight);
  in_recovery = false;
  board.mark_all_lost();
  if (board.empty() && fin_sent && seq_le(snd_una, fin_seq)) {
    send_segment(fin_seq, 0, wt::kFin | wt::kAck, now, true);  // only the FIN is out
  }
  output(now);
  arm_rexmt(now);
}

void Tcb::on_reo(Time now) {
  board.detect_loss(now, rto.srtt(), in_recovery);
  if (!in_recovery && board.lost_bytes() > 0) {
    in_recovery = true;
    recover = snd_nxt;
    uint32_t flight = snd_nxt - snd_una;
    cc->on_congestion(now, flight);
    prr.start(flight, mss);
    prr_cwnd = prr.on_ack(0, board.pipe(), cc->ssthresh());
  }
  output(now);
}

void Tcb::on_keep(Time now) {
  if (!keepalive || !synchronized() || st == State::kTimeWait) return;
  if (now - last_rcv < keepalive) {
    keep.arm(last_rcv + keepalive);
    return;
  }
  if (ka_probes++ >= kKeepaliveProbes) {
    abort(now);
    return;
  }
  // A probe the peer must answer: SEQ = SND.UNA - 1 (RFC 1122 4.2.3.6).
  send_segment(snd_una - 1, 0, wt::kAck, now, false);
  keep.arm(now + keepalive);
}

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
  c.stream = true;
  c.rq_limit = kRcvBuf;
  c.hungup = false;
  c.err.clear();
  auto t = std::make_unique<Tcb>(*this, c);
  Tcb* tp = t.get();
  c.ext = std::move(t);
  c.state = ConvState::kConnecting;
  tp->connect(now());
  return {};
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
  // Receiver SWS avoidance (RFC 9293 3.8.6.2.2): announce a window that
  // has grown by a segment or half the buffer since it was last told.
  uint32_t told = t->adv_left();
  uint32_t now_free = t->rcv_space();
  if (now_free > told && now_free - told >= std::min<uint32_t>(t->mss, kRcvBuf / 2))
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
  BlockPtr b = ip.pool.alloc();
  uint8_t* hdr = b->push(uint32_t(h.header_len()));
  h.emit(rx.dst, rx.src, {hdr, b->size()});
  SendParams sp;
  sp.src = rx.dst;
  sp.dst = rx.src;
  sp.proto = wire::ipproto::kTcp;
  sp.ttl = Ip::kDefaultTtl;
  out_rsts++;
  out_segs++;
  (void)ip.send(sp, std::move(b));
}

void TcpProto::rcv(const IpRx& rx, BlockPtr b) {
  in_segs++;
  auto seg = TcpRepr::parse(rx.src, rx.dst, b->span());
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
      reset_for(rx, *seg);
      return;
    }
    if (!seg->syn() || rx.to_mcast() || rx.to_bcast) return;
    if (syn_backlog >= kMaxSynBacklog) {
      in_errs++;  // a SYN flood: dropped (SYN cookies are to come)
      return;
    }
    auto call = new_call(*c, rx.dst, seg->dst_port, rx.src, seg->src_port, ConvState::kConnecting);
    if (!call) return;
    Conv& n = **call;
    n.stream = true;
    n.rq_limit = kRcvBuf;
    auto tcb = std::make_unique<Tcb>(*this, n);
    Tcb* tp = tcb.get();
    n.ext = std::move(tcb);
    tp->passive = true;
    tp->listener = c;
    tp->listener_port = c->lport;
    syn_backlog++;
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

void TcpProto::advise(const Advice& a) {
  if (a.transport.size() < 8) return;
  uint16_t sport = load16(a.transport.data()), dport = load16(a.transport.data() + 2);
  Conv* c = demux.exact(sport, a.dst, dport);
  Tcb* t = c ? tcb(*c) : nullptr;
  if (!t) return;
  if (a.kind == Advice::kPacketTooBig) {
    // RFC 1191 / 8201: a smaller MSS, and resend what was too big.
    int hdr = a.v6 ? 60 : 40;
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
         std::to_string(t->rcv_space()) + ">>" + std::to_string(t->rcv_wscale) + " rto " +
         ms_of(t->rto.timeout()) + " mss " + std::to_string(t->mss) + " cc " +
         std::string(t->cc->name()) + "\n";
}

std::string TcpProto::stats() const {
  auto line = [](const char* n, uint64_t v) {
    return std::string(n) + ": " + std::to_string(v) + "\n";
  };
  return line("MaxConn", uint64_t(max_convs)) + line("ActiveOpens", active_opens) +
         line("PassiveOpens", passive_opens) + line("EstabResets", estab_resets) +
         line("CurrEstab", curr_estab) + line("InSegs", in_segs) + line("OutSegs", out_segs) +
         line("RetransSegs", retrans_segs) + line("RetransTimeouts", retrans_timeouts) +
         line("InErrs", in_errs) + line("OutRsts", out_rsts);
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
        if (syn_backlog) syn_backlog--;
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

}  // namespace
}  // namespace tcp

std::unique_ptr<Proto> make_tcp(Ip& ip) {
  return std::make_unique<tcp::TcpProto>(ip);
}

}  // namespace ninet
