// tcb.cc — one TCP connection (tcb.h): handshakes, the checks of RFC 9293
// 3.10.7.4 on every segment, ACK processing with SACK, RACK and PRR, data
// and FIN, output with Nagle and the windows, and the timers.
#include "proto/tcp/tcb.h"

#include "base/endian.h"
#include "wire/ip4.h"

namespace ninet::tcp {

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

uint32_t Tcb::large_size() const {
  // As many whole segments as a large segment of gso_max bytes carries
  // (room left for the IP header and TCP's options), at least one.
  uint32_t smss = seg_size();
  uint32_t room = gso_max > 120 ? gso_max - 120 : 0;
  return std::max(smss, room / smss * smss);
}

uint32_t Tcb::rcv_space() const {
  size_t used = c.rq_bytes + ooo.bytes();
  return used >= rbuf.size() ? 0 : uint32_t(rbuf.size() - used);
}

void Tcb::rcv_measure(const TcpRepr& seg, Time now) {
  // A data segment that echoes a TSval of ours: the round trip since we
  // sent it (RFC 7323 4.1; our TSval is milliseconds + ts_offset).
  if (ts_ok && seg.ts && seg.ts->ecr) {
    int32_t sent_ago = int32_t(uint32_t(now / ms(1)) + ts_offset - seg.ts->ecr);
    if (sent_ago >= 0) rbuf.rtt_sample(ms(sent_ago));
  }
  // Without timestamps: the time until data beyond the edge offered now
  // arrives (it needs an ACK not yet sent: a round trip at least).
  rbuf.on_data(rcv_nxt, std::max(adv_left(), rcv_space()), now, ts_ok);
}

void Tcb::tune_rcvbuf(Time now) {
  // Before our FIN's peer sent its own: RCV.NXT less what is queued is
  // where the application has read to.
  if (st != State::kEstablished && st != State::kFinWait1 && st != State::kFinWait2) return;
  if (rbuf.on_read(rcv_nxt - uint32_t(c.rq_bytes), mss, rto.srtt(), now))
    c.rq_limit = rbuf.size() + kRcvSlack;
}

void Tcb::pick_mss() {
  // The route's interface MTU less the IP and TCP headers (RFC 9293 3.7.1).
  int mtu = 0;
  gso_max = 0;
  csum_offload = false;
  if (const Route* r = p.ip.routes.lookup(c.raddr)) {
    if (r->flags & route::kUnicast) {
      // To ourselves: IP loops it back whole, no medium, no wire.
      gso_max = 65535;
      csum_offload = true;
    }
    if (Ifc* f = p.ip.hop(*r, c.raddr).ifc) {
      mtu = f->ip_mtu();
      if (f->medium && !(r->flags & route::kUnicast)) {
        gso_max = f->medium->caps.gso_max;
        csum_offload = f->medium->caps.csum_offload;
      }
    }
  }
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

bool Tcb::tlp_eligible() const {
  // RFC 8985 7.2: with SACK, an RTT known, not in recovery and no probe
  // out, while data is in flight.
  return sack_ok && rto.has_sample() && !in_recovery && !tlp_out && retries == 0 &&
         (st == State::kEstablished || st == State::kCloseWait) && !board.empty() &&
         board.lost_bytes() == 0;
}

void Tcb::arm_rexmt(Time now) {
  Time rto_at = now + rto.timeout();
  pto_armed = false;
  if (tlp_eligible()) {
    Time pto = std::max(2 * rto.srtt(), kMinPto);
    if (snd_nxt - snd_una <= mss) pto += kWorstDelAck;  // one segment: its ACK may be delayed
    if (now + pto < rto_at) {
      rexmt.arm(now + pto);
      pto_armed = true;
      return;
    }
  }
  rexmt.arm(rto_at);
}

void Tcb::send_probe(Time now) {
  // RFC 8985 7.3: new data if the peer's window allows, else the last
  // segment again; either way its SACK tells RACK what was lost.
  tlp_out = true;
  uint32_t unsent = fin_sent ? 0 : data_end() - snd_nxt;
  uint32_t wnd_left = snd_wnd_left();
  if (unsent && wnd_left) {
    uint32_t len = std::min({seg_size(), unsent, wnd_left});
    send_segment(snd_nxt, len, wt::kAck | wt::kPsh, now, false);
    board.sent(snd_nxt, snd_nxt + len, now);
    snd_nxt += len;
  } else if (!board.empty()) {
    const auto& last = board.segs().back();
    uint32_t len = std::min(last.end - last.seq, seg_size());
    uint32_t from = last.end - len, to = last.end;
    send_segment(from, len, wt::kAck | wt::kPsh, now, true);
    board.retransmitted(from, to, now);
  }
  tlp_end = snd_nxt;
  arm_rexmt(now);
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
  BlockPtr b = p.ip.pool.alloc(len + wt::kMaxHeader);  // a heap block for a large segment
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
  if (zero_checksum) {
    h.emit_partial(c.laddr, c.raddr, {hdr, b->size()});
    store16(hdr + wt::kCksum, 0);
  } else if (csum_offload) {
    h.emit_partial(c.laddr, c.raddr, {hdr, b->size()});
    b->flags |= Block::kCsumPartial;
  } else {
    h.emit(c.laddr, c.raddr, {hdr, b->size()});
  }
  if (len > seg_size()) b->gso_size = uint16_t(seg_size());
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
  rbuf.start(rcv_nxt, mss, now);
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
  bool sent_new = false;
  if (!fin_sent) {
    for (;;) {
      uint32_t unsent = data_end() - snd_nxt;
      if (unsent == 0) break;
      uint32_t wnd_left = snd_wnd_left();
      uint32_t cw = cwnd(), pipe = board.pipe();
      uint32_t cwnd_left = cw > pipe ? cw - pipe : 0;
      uint32_t smss = seg_size();
      uint32_t len = std::min({large_size(), unsent, wnd_left, cwnd_left});
      if (len > smss) {
        // Whole segments only, unless the short tail is all there is and
        // Nagle would let it go (RFC 896; as Linux's tcp_mss_split_point).
        uint32_t tail = len % smss;
        if (tail && !(len == unsent && (nodelay || fin_queued))) len -= tail;
      }
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
      // The scoreboard counts wire segments (RACK's and RFC 6675's
      // DupThresh count SACKed segments), so a large one goes in as such.
      for (uint32_t off = 0; off < len; off += smss)
        board.sent(snd_nxt + off, snd_nxt + std::min(off + smss, len), now);
      snd_nxt += len;
      sent_new = true;
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
  // RFC 6298 5.1 starts the timer if it is not running; RFC 8985 7.2
  // restarts the probe timeout after new data.
  if (snd_nxt != snd_una && (!rexmt.armed() || (sent_new && tlp_eligible()))) arm_rexmt(now);
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

void Tcb::abort(Time now, const std::string& why) {
  if (synchronized() || st == State::kSynReceived) {
    send_segment(snd_nxt, 0, wt::kRst | wt::kAck, now, false);
    p.out_rsts++;
  }
  closed(why);
}

void Tcb::leave_backlog() {
  if (!in_backlog) return;
  in_backlog = false;
  p.syn_backlog--;
}

void Tcb::closed(const std::string& why) {
  leave_backlog();
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
    if (tlp_out && seq_ge(snd_una, tlp_end)) tlp_out = false;
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
  if (!in_recovery && board.lost_bytes() > 0) start_recovery(now);
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
    // The window counts held out-of-order bytes; a segment that overlaps
    // them is counted twice until take() below drops the overlap, which the
    // read queue's slack (kRcvSlack) absorbs.
    if (!c.enqueue(std::move(b))) {
      p.rcvq_drops++;
      send_ack(now);  // no room after all: dropped, and sent again by the peer
      return;
    }
    rcv_nxt += len;
    if (!ooo.empty()) {
      std::vector<BlockPtr> more;
      rcv_nxt = ooo.take(rcv_nxt, more);
      for (auto& m : more)
        c.enqueue(std::move(m));
      ack_now = true;  // a hole filled: tell the sender at once (RFC 5681 4.2)
    }
    rcv_measure(seg, now);
    if (++ack_pending >= 2) ack_now = true;  // every second full segment (RFC 9293 3.8.6.3)
    c.wake();
  } else {
    if (!ooo.add(seq, std::move(b))) p.ooo_drops++;
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
    bool listening =
        listener && listener->state == ConvState::kAnnounced && listener->lport == listener_port;
    if (passive && !listening) {
      abort(now);  // nobody to take it
      return;
    }
    // A full listen queue: as Linux, drop the ACK and stay in SYN_RECEIVED;
    // the SYN-ACK is sent again and the peer's ACK comes back later, when
    // the server may have taken calls.
    if (passive && listener->incall.size() >= Conv::kListenQueue) return;
    snd_una = seg.ack;
    snd_wnd = uint32_t(seg.window) << snd_wscale;
    max_snd_wnd = snd_wnd;
    snd_wl1 = seg.seq;
    snd_wl2 = seg.ack;
    leave_backlog();
    established(now);
    c.state = ConvState::kConnected;
    if (passive) {
      p.passive_opens++;
      if (!p.queue_call(*listener, c)) {
        abort(now);
        return;
      }
      queued = true;
    }
    c.wake();
  }
  if (stateless_hog(seg)) {
    p.hogs_killed++;
    abort(now, "stateless hog");
    return;
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
  if (pto_armed) {
    pto_armed = false;
    send_probe(now);
    return;
  }
  p.retrans_timeouts++;
  if (++retries > kMaxRetries) {
    abort(now, "connection timed out");
    return;
  }
  rto.backoff();
  check_black_hole();
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

void Tcb::check_black_hole() {
  if (board.empty()) return;
  const Scoreboard::Seg& head = board.segs().front();
  uint32_t opts = mss - seg_size();
  uint16_t m = black_hole.on_timeout(snd_una, head.end - head.seq + opts, mss, !c.raddr.is_v4());
  if (m == mss) return;
  mss = m;
  cc->set_mss(mss);
  p.black_holes++;
}

void Tcb::start_recovery(Time now) {
  // Loss recovery (RFC 6675) until the ACK that covers what is in flight
  // now; the window comes down by PRR (RFC 6937).
  in_recovery = true;
  recover = snd_nxt;
  uint32_t flight = snd_nxt - snd_una;
  cc->on_congestion(now, flight);
  prr.start(flight, mss);
}

void Tcb::on_reo(Time now) {
  board.detect_loss(now, rto.srtt(), in_recovery);
  if (!in_recovery && board.lost_bytes() > 0) {
    start_recovery(now);
    prr_cwnd = prr.on_ack(0, board.pipe(), cc->ssthresh());
  }
  output(now);
}

uint32_t Tcb::keepalive_seq() {
  // A probe the peer must answer: SEQ = SND.UNA - 1 (RFC 1122 4.2.3.6).
  if (!p.porthog) return snd_una - 1;
  // The port-hog defense (ip(3) tcpporthogdefense): a sequence number at
  // random, a quarter of the sequence space behind. A peer that keeps state
  // answers with its RCV.NXT; a stateless one (a hog staking out the port)
  // acknowledges what it was sent.
  random_ka = true;
  return snd_una - (1u << 30) - uint32_t(p.ip.rng() & ((1u << 20) - 1));
}

bool Tcb::stateless_hog(const TcpRepr& seg) const {
  // An acknowledgment of a random keepalive: from a quarter to half of the
  // sequence space behind SND.UNA, where no ACK of a live peer can be.
  return random_ka && p.porthog && seq_ge(seg.ack, snd_una - (1u << 31)) &&
         seq_le(seg.ack, snd_una - (1u << 29));
}

void Tcb::on_keep(Time now) {
  if (!keepalive || !synchronized() || st == State::kTimeWait) return;
  if (now - last_rcv < keepalive) {
    keep.arm(last_rcv + keepalive);
    return;
  }
  if (ka_probes++ >= kKeepaliveProbes) {
    abort(now, "connection timed out");
    return;
  }
  send_segment(keepalive_seq(), 0, wt::kAck, now, false);
  keep.arm(now + keepalive);
}

}  // namespace ninet::tcp
