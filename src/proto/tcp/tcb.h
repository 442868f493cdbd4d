// tcb.h — the inside of TCP (tcp.h), shared by tcb.cc (one connection:
// the state machine of RFC 9293 3.10, output, timers) and tcp.cc (the
// protocol directory: demultiplexing, LISTEN, ctl, status). Not for use
// outside src/proto/tcp.
//
// One Tcb per conversation (its ConvExt). Input runs on the engine thread
// under the stack lock; so do the timers. Data written to `data` goes to a
// ring (SendBuf) from SND.UNA on, so a retransmission copies from it;
// received data goes straight to the conversation's read queue (in order)
// or to the out-of-order queue. The receive window is the room left in the
// receive buffer (rcvbuf.h: it grows with what the application reads), so
// what the window admits is always queued.
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ip/ip.h"
#include "proto/tcp/congestion.h"
#include "proto/tcp/isn.h"
#include "proto/tcp/ooo.h"
#include "proto/tcp/plpmtud.h"
#include "proto/tcp/prr.h"
#include "proto/tcp/rcvbuf.h"
#include "proto/tcp/rto.h"
#include "proto/tcp/scoreboard.h"
#include "wire/tcp.h"

namespace ninet::tcp {

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

inline const char* state_name(State s) {
  static const char* const kNames[] = {"Closed",   "Syn_sent", "Syn_received", "Established",
                                       "Finwait1", "Finwait2", "Close_wait",   "Closing",
                                       "Last_ack", "Time_wait"};
  return kNames[int(s)];
}

constexpr int kMaxConvs = 65536;
constexpr size_t kSndBuf = 1 << 20;  // bytes a writer may queue
// The receive buffer (read + out-of-order queues) is a connection's RcvBuf,
// from RcvBuf::kInitial up to RcvBuf::kMax; the read queue's limit is its
// size + kRcvSlack, and the window scale we offer lets the largest be used.
constexpr size_t kRcvSlack = 128 << 10;
constexpr uint8_t kRcvWscale = wscale_for(RcvBuf::kMax);  // 16 MiB >> 9 fits 16 bits
constexpr size_t kOooMemory = 8 << 20;  // out-of-order buffers held (whole blocks)
constexpr size_t kOooSegments = 2048;
constexpr Time kDelAck = ms(40);
constexpr Time kMinPto = ms(10);        // Linux's floor for the probe timeout
constexpr Time kWorstDelAck = ms(200);  // RFC 8985 7.2 WCDelAckT
constexpr Time kTimeWait = sec(60);     // 2 MSL, as Linux
constexpr Time kFinWait2 = sec(60);     // an orphaned FIN_WAIT_2 (Linux tcp_fin_timeout)
constexpr unsigned kSynRetries = 6;     // about 127 s, as Linux
constexpr unsigned kMaxRetries = 15;    // RFC 1122 R2 (Linux tcp_retries2)
constexpr unsigned kMaxSynBacklog = 1024;
constexpr unsigned kKeepaliveProbes = 9;
constexpr Time kDefaultKeepalive = ms(30000);  // ip(3)

// The send buffer: a ring of bytes from SND.UNA on. Its memory is taken
// as data is queued (doubling from 4 KiB up to kSndBuf) and given back
// when everything sent is acknowledged, so an idle connection holds none
// (as Linux frees an idle socket's send skbs): ten thousand idle
// connections cost no send buffers (BENCHMARKS.md section 8).
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
    if (!len_) std::vector<uint8_t>().swap(buf_);
  }
  size_t capacity() const { return buf_.size(); }

 private:
  void grow(size_t need) {
    size_t cap = std::max<size_t>(buf_.size() * 2, 4096);
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
  bool queued = false;      // passive: handed to the listener's queue
  bool in_backlog = false;  // passive: counted in the SYN backlog until established
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
  RcvBuf rbuf;  // the receive buffer's size, tuned to the reader
  // Options
  uint16_t mss = 536;      // what we send
  uint16_t adv_mss = 536;  // what we advertised
  // Offloads of the route's interface, when the connection started
  // (pick_mss): the largest IP packet of a large segment (0: none; IP cuts
  // any it gets, so a route that changes later costs speed, not bytes), and
  // whether checksums may be left partial (Block::kCsumPartial).
  uint32_t gso_max = 0;
  bool csum_offload = false;
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
  BlackHole black_hole;  // PLPMTUD's fallback (plpmtud.h)
  // Tail loss probes (RFC 8985 7): rexmt fires as the probe timeout (PTO)
  // while pto_armed; one probe at a time, until SND.UNA passes tlp_end.
  bool pto_armed = false;
  bool tlp_out = false;
  uint32_t tlp_end = 0;
  Time syn_time = 0;
  bool syn_retransmitted = false;
  bool nodelay = false;
  bool zero_checksum = false;
  // Keepalive
  Time keepalive = 0;  // 0: off
  unsigned ka_probes = 0;
  bool random_ka = false;  // a keepalive with a random sequence number went out
  Time last_rcv = 0;

  Timer rexmt, delack, reo, keep, finwait;

  // --- the machine
  void connect(Time now);
  void accept_syn(const IpRx& rx, const TcpRepr& syn, Time now);
  void input(const IpRx& rx, const TcpRepr& seg, BlockPtr b, Time now);
  void output(Time now);
  void close_request(Time now);
  // RST if synchronized, then closed with `why` in the err file.
  void abort(Time now, const std::string& why = "hangup");

  // --- helpers
  bool synchronized() const { return st >= State::kEstablished; }
  // Moves to s, keeping CurrEstab (ESTABLISHED and CLOSE-WAIT, RFC 1213).
  void set_state(State s);
  // How much of the peer's window is still ahead of SND.NXT.
  uint32_t snd_wnd_left() const {
    uint32_t end = snd_una + snd_wnd;
    return seq_gt(end, snd_nxt) ? end - snd_nxt : 0;
  }
  // A passive call counted in the SYN backlog leaves it (established, or gone).
  void leave_backlog();
  // How much of the window we advertised is still ahead of RCV.NXT.
  uint32_t adv_left() const { return seq_gt(rcv_adv, rcv_nxt) ? rcv_adv - rcv_nxt : 0; }
  uint32_t rcv_space() const;
  // Receive-buffer tuning (rcvbuf.h): a data segment arrived in order; the
  // application read.
  void rcv_measure(const TcpRepr& seg, Time now);
  void tune_rcvbuf(Time now);
  uint32_t cwnd() const { return in_recovery ? prr_cwnd : cc->cwnd(); }
  // Data per segment: the MSS less the options this segment carries (RFC
  // 6691: the MSS does not count them), so a segment fits the path MTU.
  uint32_t seg_size() const;
  // SND.UNA is the SYN's until it is acknowledged; data starts after it.
  uint32_t data_start() const { return syn_unacked ? snd_una + 1 : snd_una; }
  uint32_t data_end() const { return data_start() + uint32_t(sb.size()); }
  void set_options(const TcpRepr& syn);
  // Most new data one segment carries: seg_size(), or a whole number of
  // them in a large segment when the interface takes those (gso_max).
  uint32_t large_size() const;
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
  // On a timeout: a smaller MSS if the path drops large packets silently.
  void check_black_hole();
  void on_reo(Time now);
  void start_recovery(Time now);
  bool tlp_eligible() const;
  void send_probe(Time now);
  void on_keep(Time now);
  // The sequence number of a keepalive, random with tcpporthogdefense on;
  // and whether seg acknowledges such a one (the peer keeps no state).
  uint32_t keepalive_seq();
  bool stateless_hog(const TcpRepr& seg) const;
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
  // Sends h back to where the segment of rx came from, with no connection
  // behind it (a RST, a cookie's SYN-ACK).
  void reply(const IpRx& rx, const TcpRepr& h);
  // A connection on c: a stream conversation with TCP's read queue.
  Tcb* attach(Conv& c);
  // A call on listener for the segment of rx: its conversation and Tcb.
  Tcb* new_passive(Conv& listener, const IpRx& rx, const TcpRepr& seg);
  // SYN cookies (RFC 4987 3.6), when the SYN backlog is full: a SYN-ACK
  // whose ISN encodes the MSS and a keyed hash (and, if the SYN had
  // timestamps, whose TSval's low bits its window scale and SACK), and no
  // state; the ACK that returns it makes the connection.
  void send_cookie(const IpRx& rx, const TcpRepr& syn, Time now);
  // The ACK of a cookie: a connection on `listener`, or nothing if it is
  // not one of ours (then the caller sends a RST).
  bool take_cookie(Conv& listener, const IpRx& rx, const TcpRepr& seg, BlockPtr& b, Time now);
  uint32_t cookie(const IpRx& rx, const TcpRepr& seg, uint32_t t, uint32_t mss_index) const;
  static Tcb* tcb(const Conv& c) { return static_cast<Tcb*>(c.ext.get()); }
  Time now() const { return ip.clock.now(); }

  IsnGen isn;
  CcAlgo cc_algo = CcAlgo::kCubic;
  bool porthog = false;
  unsigned syn_backlog = 0;
  uint64_t cookies_sent = 0, cookies_taken = 0;
  uint64_t rcvq_drops = 0, ooo_drops = 0;  // segments dropped for want of room
  uint64_t hogs_killed = 0;                // connections shut down by tcpporthogdefense
  uint64_t black_holes = 0;                // MSS lowered for a path that drops large packets
  uint64_t active_opens = 0, passive_opens = 0, estab_resets = 0, curr_estab = 0, in_segs = 0,
           out_segs = 0, retrans_segs = 0, retrans_timeouts = 0, in_errs = 0, out_rsts = 0;
};

}  // namespace ninet::tcp
