// rudp.cc — the rudp protocol directory (rudp.h): per-remote sequence and
// generation state, acknowledgements, retransmission on the stack's timer
// wheel, the reboot and hangup rules, the headers mode and the counters.
#include "proto/rudp.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <list>
#include <map>
#include <utility>

#include "base/endian.h"
#include "base/fields.h"
#include "wire/ip4.h"
#include "wire/rudp.h"

namespace ninet {

namespace {

// ip(3)'s Udphdr, as UDP's headers mode.
namespace udphdr {
constexpr size_t kRaddr = 0, kLaddr = 16, kIfcaddr = 32, kRport = 48, kLport = 50, kLen = 52;
}

constexpr int kMaxConvs = 1024;
constexpr size_t kMaxUnacked = 100;  // NOTES.md: a sender blocks above 100
constexpr Time kRexmitUnit = ms(200);
constexpr int kMaxTries = 10;  // retransmissions before the remote counts as rebooted
constexpr size_t kMaxMessage = 65535 - wire::rudp::kHeaderLen;
// Remotes one conversation keeps (Plan 9 keeps every remote ever heard, so
// a flood of spoofed sources grows it without end). At the limit a new
// remote takes the place of the least recently active quiet one (nothing
// unacknowledged or held either way) among the kEvictScan oldest; if none
// is quiet, its packet is dropped (a write to it fails).
constexpr size_t kMaxRemotes = 4096;
constexpr int kEvictScan = 64;

// Whether c's read queue has room for a message of len bytes as a reader
// gets it (behind the Udphdr in headers mode).
bool read_queue_takes(const Conv& c, size_t len) {
  return c.rq_bytes + len + (c.headers ? udphdr::kLen : 0) <= c.rq_limit;
}

// The sequence number after s: 0 means "no message", so it is skipped.
uint32_t next_seq(uint32_t s) {
  return s + 1 == 0 ? 1 : s + 1;
}
// How many next_seq steps lead from `from` to `to` (to != 0); a number
// behind `from` gives a huge one.
uint32_t seq_distance(uint32_t from, uint32_t to) {
  return to - from - (to < from ? 1 : 0);
}

class Rudp;
struct RudpConv;

// What a conversation knows of one remote (Plan 9's Reliable).
struct Remote {
  Remote(Rudp& p, Conv& c, RudpConv& x, const Ipaddr& addr, uint16_t port);
  ~Remote();
  Remote(const Remote&) = delete;
  Remote& operator=(const Remote&) = delete;
  // Nothing in flight either way: forgetting it loses nothing but the
  // numbering, which the reboot rule restores.
  bool quiet() const { return unacked.empty() && held == 0 && !ack_due; }
  Rudp& proto;
  Conv& conv;
  RudpConv& cx;
  std::list<Remote*>::iterator lru;  // in cx.lru
  const Ipaddr addr;
  const uint16_t port;
  Ipaddr laddr;  // our address towards it (chosen at the first send)
  // Ours: the generation, the last message sent and the last acknowledged.
  uint32_t sndgen = 0, sndseq = 0, ackrcvd = 0;
  // Theirs (0: none heard yet): the generation and the last message
  // delivered in order, which we acknowledge.
  uint32_t rcvgen = 0, rcvseq = 0;
  bool ack_due = false;  // an ack-only packet is to be sent (ack timer armed)
  // Messages received ahead of the next one: ahead[i] is number rcvseq +
  // 1 + i (null: not here yet). ahead[0] is there only while the read
  // queue has no room for it.
  std::deque<BlockPtr> ahead;
  size_t held = 0;  // bytes in `ahead`
  // Messages sent and not acknowledged, oldest first, with their numbers.
  std::deque<std::pair<uint32_t, BlockPtr>> unacked;
  size_t unacked_bytes = 0;
  int tries = 0;  // retransmissions since the last progress
  // Fast retransmission: after a repeated ack, the first unacknowledged
  // message went again; until `recover` (the last sent then) is
  // acknowledged, each ack that advances short of it sends the next hole.
  bool recovering = false;
  uint32_t recover = 0;
  Timer rexmit, ack;
};

struct RudpConv : ConvExt {
  // Declared before `remotes`, which is destroyed first and whose Remotes
  // leave them.
  std::list<Remote*> lru;  // least recently active first
  size_t held_bytes = 0;   // every remote's `held`: at most the read queue's size
  std::map<std::pair<Ipaddr, uint16_t>, std::unique_ptr<Remote>> remotes;
  int randdrop = 0;      // percent of outgoing packets dropped (ctl randdrop)
  bool stalled = false;  // a remote's next message waits for room in the read queue
};

class Rudp : public Proto {
 public:
  explicit Rudp(Ip& ip) : Proto(ip, "rudp", wire::ipproto::kRudp, kMaxConvs) {}
  Status connect(Conv& c) override;
  Status announce(Conv& c) override;
  Status ctl(Conv& c, const std::vector<std::string_view>& args) override;
  Result<size_t> write(Conv& c, std::span<const uint8_t> data) override;
  bool message_fits(const Conv& c, std::span<const uint8_t> msg) const override;
  size_t qout(const Conv& c) const override;
  void consumed(Conv& c) override;
  void rcv(const IpRx& rx, BlockPtr b) override;
  void advise(const Advice& a) override;
  std::string status(const Conv& c) const override;
  std::string stats() const override;

  void on_rexmit(Remote& r, Time now);
  void on_ack(Remote& r);

 private:
  static RudpConv& ext(Conv& c);
  static const RudpConv* ext(const Conv& c) { return static_cast<const RudpConv*>(c.ext.get()); }
  // Where a write goes: the header's remote in headers mode, else the
  // connected one; body is what follows the header.
  struct Dest {
    Ipaddr raddr, laddr;
    uint16_t rport = 0;
    std::span<const uint8_t> body;
  };
  static Result<Dest> dest(const Conv& c, std::span<const uint8_t> data);
  // The remote's state, made if new; null when the conversation has
  // kMaxRemotes and none of the oldest is quiet.
  Remote* state_for(Conv& c, const Ipaddr& addr, uint16_t port);
  static void touch(Remote& r) { r.cx.lru.splice(r.cx.lru.end(), r.cx.lru, r.lru); }
  uint32_t new_gen();
  // Sends one packet to r: message seq (0: an ack only) of generation gen,
  // carrying the current acknowledgement.
  void transmit(Remote& r, uint32_t seq, uint32_t gen, std::span<const uint8_t> body);
  void schedule_ack(Remote& r);
  // Drops what ack acknowledges; false if that is nothing.
  bool acked_through(Remote& r, uint32_t ack);
  void fast_retransmit(Remote& r);
  // A message of r's current generation: kept, then what is in order is
  // delivered, as far as the read queue takes it.
  void accept(Remote& r, uint32_t seq, BlockPtr b);
  void deliver_in_order(Remote& r);
  // The remote rebooted, or must be treated so: tell err, drop what is
  // queued to it, start a new generation.
  void reboot(Remote& r, std::string_view why);
  void deliver(Remote& r, BlockPtr b);
  void no_port(const IpRx& rx, BlockPtr b);
  void drop(const IpRx& rx, const std::string& why);
  void log(const Remote& r, const std::string& what);

  uint64_t in_datagrams_ = 0, no_ports_ = 0, in_errors_ = 0, out_datagrams_ = 0;
  uint64_t retransmits_ = 0, acks_out_ = 0, out_of_order_ = 0, stale_gen_ = 0;
  uint64_t timeouts_ = 0, new_gen_ = 0, hangups_ = 0, rand_drops_ = 0;
  uint64_t fast_retransmits_ = 0, duplicates_ = 0, unreachable_ = 0;
  uint64_t overflows_ = 0, evictions_ = 0, too_many_remotes_ = 0;
};

Remote::Remote(Rudp& p, Conv& c, RudpConv& x, const Ipaddr& addr, uint16_t port)
    : proto(p),
      conv(c),
      cx(x),
      lru(x.lru.insert(x.lru.end(), this)),
      addr(addr),
      port(port),
      rexmit(p.ip.timers, [this](Time now) { proto.on_rexmit(*this, now); }),
      ack(p.ip.timers, [this](Time) { proto.on_ack(*this); }) {}

Remote::~Remote() {
  cx.held_bytes -= held;
  cx.lru.erase(lru);
}

RudpConv& Rudp::ext(Conv& c) {
  if (!c.ext) c.ext = std::make_unique<RudpConv>();
  return *static_cast<RudpConv*>(c.ext.get());
}

uint32_t Rudp::new_gen() {
  // Never 0 (nothing heard) nor kHangupGen; random, so that a restarted
  // stack does not reuse its previous life's generation.
  return uint32_t(ip.rng() % 0xfffffffeu) + 1;
}

Remote* Rudp::state_for(Conv& c, const Ipaddr& addr, uint16_t port) {
  RudpConv& x = ext(c);
  auto it = x.remotes.find({addr, port});
  if (it != x.remotes.end()) return it->second.get();
  if (x.remotes.size() >= kMaxRemotes) {
    auto old = x.lru.begin();
    for (int i = 0; i < kEvictScan && old != x.lru.end() && !(*old)->quiet(); i++)
      ++old;
    if (old == x.lru.end() || !(*old)->quiet()) {
      too_many_remotes_++;
      return nullptr;
    }
    evictions_++;
    log(**old, "forgotten for a new remote (" + std::to_string(kMaxRemotes) + " remotes)");
    x.remotes.erase({(*old)->addr, (*old)->port});
  }
  auto r = std::make_unique<Remote>(*this, c, x, addr, port);
  r->sndgen = new_gen();
  return x.remotes.emplace(std::pair{addr, port}, std::move(r)).first->second.get();
}

Status Rudp::connect(Conv& c) {
  if (!c.laddr.is_zero() && c.laddr.is_v4() != c.raddr.is_v4())
    return Error(Err::BadIp, "address families differ");
  if (c.rport == 0) return Error(Err::BadPort, "connect needs a remote port");
  if (c.raddr.is_multicast() || c.raddr.is_v4_broadcast())
    return Error(Err::BadIp, "rudp is unicast");
  return Proto::connect(c);
}

Status Rudp::announce(Conv& c) {
  // Every remote's state hangs off the one announced conversation and its
  // port; `announce *` would answer from many ports.
  if (c.lport == 0) return Error(Err::BadPort, "rudp announces a port, not *");
  return Proto::announce(c);
}

Status Rudp::ctl(Conv& c, const std::vector<std::string_view>& a) {
  if (a[0] == "headers" && a.size() == 1) {
    c.headers = true;
    return {};
  }
  if (a[0] == "randdrop" && a.size() <= 2) {
    int pct = 10;  // ip(3): "Default is 10%"
    if (a.size() == 2) {
      auto v = parse_int(a[1], 0, 100);
      if (!v) return Error(Err::BadArg, "randdrop percent " + std::string(a[1]));
      pct = int(*v);
    }
    ext(c).randdrop = pct;
    return {};
  }
  if (a[0] == "hangup" && a.size() == 3) {
    auto addr = Ipaddr::parse(a[1]);
    if (!addr) return addr.error();
    auto port = parse_int(a[2], 0, 65535);
    if (!port) return Error(Err::BadPort, std::string(a[2]));
    auto& rs = ext(c).remotes;
    auto it = rs.find({*addr, uint16_t(*port)});
    if (it == rs.end()) return {};  // nothing to forget (Plan 9's relforget)
    Remote& r = *it->second;
    // Tell the remote to forget us too: it does if agen is its generation.
    if (!r.laddr.is_zero()) transmit(r, 0, wire::rudp::kHangupGen, {});
    hangups_++;
    log(r, "hangup by ctl");
    rs.erase(it);
    c.wake();
    return {};
  }
  return Proto::ctl(c, a);
}

Result<Rudp::Dest> Rudp::dest(const Conv& c, std::span<const uint8_t> data) {
  Dest d;
  if (c.headers) {
    if (data.size() < udphdr::kLen) return Error(Err::TooShort, "rudp headers");
    d.raddr = Ipaddr(data.data() + udphdr::kRaddr);
    d.laddr = Ipaddr(data.data() + udphdr::kLaddr);
    d.rport = load16(data.data() + udphdr::kRport);
    d.body = data.subspan(udphdr::kLen);
  } else {
    if (c.state != ConvState::kConnected) return Err::NotConnected;
    d.raddr = c.raddr;
    d.laddr = c.laddr;
    d.rport = c.rport;
    d.body = data;
  }
  if (d.raddr.is_zero()) return Error(Err::BadIp, "no remote address");
  if (d.rport == 0) return Error(Err::BadPort, "remote port 0");
  return d;
}

bool Rudp::message_fits(const Conv& c, std::span<const uint8_t> msg) const {
  const RudpConv* x = ext(c);
  auto d = dest(c, msg);
  if (!x || !d) return true;  // write() takes it or says what is wrong
  auto it = x->remotes.find({d->raddr, d->rport});
  return it == x->remotes.end() || it->second->unacked.size() < kMaxUnacked;
}

size_t Rudp::qout(const Conv& c) const {
  size_t n = 0;
  if (const RudpConv* x = ext(c))
    for (auto& [k, r] : x->remotes)
      n += r->unacked_bytes;
  return n;
}

Result<size_t> Rudp::write(Conv& c, std::span<const uint8_t> data) {
  // Hung up by an ICMP error (advise): writes fail too, as Plan 9's
  // qhangup of the write queue makes them.
  if (c.hungup) return Error(Err::Hangup, c.err);
  auto d = dest(c, data);
  if (!d) return d.error();
  if (c.lport == 0) return Error(Err::BadPort, "no local port");
  if (d->body.size() > kMaxMessage) return Err::TooBig;
  if (d->raddr.is_multicast() || d->raddr.is_v4_broadcast())
    return Error(Err::BadIp, "rudp is unicast");
  Remote* rp = state_for(c, d->raddr, d->rport);
  if (!rp)
    return Error(Err::NoFree, "rudp: " + std::to_string(kMaxRemotes) + " remotes, none quiet");
  Remote& r = *rp;
  touch(r);
  // write_data waits for room (message_fits); a caller of write() itself
  // that did not is refused rather than let the queue grow.
  if (r.unacked.size() >= kMaxUnacked)
    return Error(Err::Interrupted, "rudp: 100 messages unacknowledged");
  if (r.laddr.is_zero()) {
    // ip(3): a local address that is not one of our unicast addresses is
    // overridden.
    const SelfEntry* se = ip.self(d->laddr);
    if (se && (se->flags & route::kUnicast) && d->laddr.is_v4() == d->raddr.is_v4()) {
      r.laddr = d->laddr;
    } else {
      auto s = ip.source_for(d->raddr);
      if (!s) return s.error();
      r.laddr = *s;
    }
  }
  r.sndseq = next_seq(r.sndseq);
  BlockPtr m = ip.pool.copy(d->body.data(), uint32_t(d->body.size()));
  r.unacked_bytes += d->body.size();
  r.unacked.emplace_back(r.sndseq, std::move(m));
  if (!r.rexmit.armed()) {
    r.tries = 0;
    r.rexmit.arm(ip.clock.now() + kRexmitUnit);
  }
  out_datagrams_++;
  transmit(r, r.sndseq, r.sndgen, d->body);
  return data.size();
}

void Rudp::transmit(Remote& r, uint32_t seq, uint32_t gen, std::span<const uint8_t> body) {
  // Whatever leaves carries the acknowledgement, so no ack-only packet is due.
  r.ack_due = false;
  r.ack.cancel();
  int drop_pct = ext(r.conv).randdrop;
  if (drop_pct && int(ip.rng() % 100) < drop_pct) {
    rand_drops_++;
    return;
  }
  SendParams sp;
  sp.proto = ipproto;
  sp.ttl = r.conv.ttl;
  sp.tos = r.conv.tos;
  sp.src = r.laddr;
  sp.dst = r.addr;
  uint32_t n = uint32_t(wire::rudp::kHeaderLen + body.size());
  BlockPtr b = ip.pool.alloc(n);
  uint8_t* out = b->put(n);
  wire::RudpRepr{r.conv.lport, r.port, seq, gen, r.rcvseq, r.rcvgen, {}, true}.emit(sp.src, sp.dst,
                                                                                    {out, n}, body);
  // A send that fails (no route for now) is a lost packet: retransmitted.
  (void)ip.send(sp, std::move(b));
}

void Rudp::schedule_ack(Remote& r) {
  r.ack_due = true;
  // Due now: the engine runs due timers after the batch of input it is
  // handling, so a burst of messages is acknowledged once.
  if (!r.ack.armed()) r.ack.arm(ip.clock.now());
}

void Rudp::on_ack(Remote& r) {
  if (!r.ack_due || r.laddr.is_zero()) return;
  acks_out_++;
  transmit(r, 0, r.sndgen, {});
}

void Rudp::on_rexmit(Remote& r, Time now) {
  if (r.unacked.empty()) return;
  if (r.tries >= kMaxTries) {
    timeouts_++;
    reboot(r, "no ack after " + std::to_string(kMaxTries) + " retransmissions");
    return;
  }
  r.tries++;
  r.recovering = false;
  // Go back N, as Plan 9: its receivers refuse anything but the next
  // message, so every unacknowledged one goes again, in order.
  for (auto& [seq, m] : r.unacked) {
    retransmits_++;
    transmit(r, seq, r.sndgen, m->span());
  }
  r.rexmit.arm(now + kRexmitUnit * (r.tries + 1));
}

bool Rudp::acked_through(Remote& r, uint32_t ack) {
  if (r.unacked.empty()) return false;
  // The position of `ack` in the queue, allowing for the skipped 0.
  uint32_t d = ack - r.unacked.front().first;
  size_t n = 0;
  if (d < r.unacked.size() && r.unacked[d].first == ack)
    n = d + 1;
  else if (d >= 1 && d - 1 < r.unacked.size() && r.unacked[d - 1].first == ack)
    n = d;
  if (n == 0) return false;  // an old ack, or one for nothing we sent
  for (size_t i = 0; i < n; i++) {
    r.unacked_bytes -= r.unacked.front().second->size();
    r.unacked.pop_front();
  }
  r.ackrcvd = ack;
  r.tries = 0;
  if (r.unacked.empty())
    r.rexmit.cancel();
  else
    r.rexmit.arm(ip.clock.now() + kRexmitUnit);
  if (r.recovering) {
    // A partial ack (RFC 6582's NewReno): the receiver has everything up
    // to the next hole, which goes now rather than after a timeout.
    if (!r.unacked.empty() && seq_distance(r.unacked.front().first, r.recover) < kMaxUnacked) {
      fast_retransmits_++;
      transmit(r, r.unacked.front().first, r.sndgen, r.unacked.front().second->span());
    } else {
      r.recovering = false;
    }
  }
  r.conv.wake();  // writers waiting for room
  return true;
}

void Rudp::fast_retransmit(Remote& r) {
  // The receiver acknowledged again what it had acknowledged: something
  // after a hole (or a duplicate) reached it. Send the hole once; partial
  // acks send the next ones (acked_through).
  if (r.recovering || r.unacked.empty()) return;
  r.recovering = true;
  r.recover = r.sndseq;
  fast_retransmits_++;
  transmit(r, r.unacked.front().first, r.sndgen, r.unacked.front().second->span());
}

void Rudp::reboot(Remote& r, std::string_view why) {
  // ip(3): "A reboot can be detected by reading the err file."
  r.conv.err = "hangup " + r.addr.str() + "!" + std::to_string(r.port);
  log(r, std::string(why) + ": new generation");
  r.unacked.clear();
  r.unacked_bytes = 0;
  r.ahead.clear();
  r.cx.held_bytes -= r.held;
  r.held = 0;
  r.recovering = false;
  r.rexmit.cancel();
  r.ack.cancel();
  r.ack_due = false;
  r.tries = 0;
  r.sndgen = new_gen();
  r.sndseq = r.ackrcvd = 0;
  r.rcvgen = r.rcvseq = 0;
  r.conv.wake();
}

void Rudp::log(const Remote& r, const std::string& what) {
  if (ip.log.enabled(LogItem::kUdp))
    ip.log.print(LogItem::kUdp, r.addr, r.laddr,
                 "rudp conversation " + std::to_string(r.conv.index) + ": " + what);
}

void Rudp::drop(const IpRx& rx, const std::string& why) {
  in_errors_++;
  if (ip.log.enabled(LogItem::kUdp)) ip.log.print(LogItem::kUdp, rx.src, rx.dst, "rudp: " + why);
}

void Rudp::no_port(const IpRx& rx, BlockPtr b) {
  no_ports_++;
  if (rx.to_mcast() || rx.to_bcast || (rx.link & (Block::kLinkBcast | Block::kLinkMcast))) return;
  b->push(rx.net_len);  // the error quotes the IP header
  ip.icmp_error(*b, IcmpErr::kPortUnreach);
}

void Rudp::deliver(Remote& r, BlockPtr b) {
  Conv& c = r.conv;
  if (c.headers) {
    if (b->headroom() < udphdr::kLen) b = ip.pool.copy(b->data(), b->size());
    uint8_t* h = b->push(udphdr::kLen);
    // ifcaddr: our address towards the sender (ip(3): "V6 interface
    // address (receive only)").
    auto ifcaddr = ip.source_for(r.addr);
    std::memcpy(h + udphdr::kRaddr, r.addr.data(), Ipaddr::kLen);
    std::memcpy(h + udphdr::kLaddr, r.laddr.data(), Ipaddr::kLen);
    std::memcpy(h + udphdr::kIfcaddr, (ifcaddr ? *ifcaddr : r.laddr).data(), Ipaddr::kLen);
    store16(h + udphdr::kRport, r.port);
    store16(h + udphdr::kLport, c.lport);
  }
  bool ok = c.enqueue(std::move(b));
  (void)ok;  // deliver_in_order checked the room
  in_datagrams_++;
}

void Rudp::accept(Remote& r, uint32_t seq, BlockPtr b) {
  // Plan 9's receiver refuses all but the next message, so one loss costs
  // the sender a timeout and the whole window again. Keeping what comes
  // ahead (at most 100: the sender's limit) and acknowledging the last in
  // order lets one retransmission fill the hole; the wire is the same.
  // What is kept rather than delivered at once (ahead of a hole, or with
  // no room to read it) is at most the read queue's size per
  // conversation, whatever the number of remotes; beyond it a message is
  // dropped unacknowledged, and comes again.
  uint32_t k = seq_distance(r.rcvseq, seq);
  Conv& c = r.conv;
  const size_t len = b->size();
  const bool at_once = k == 1 && read_queue_takes(c, len);
  if (k == 0 || k > kMaxUnacked) {
    duplicates_++;  // delivered before (our ack was lost), or beyond any window
  } else if (k <= r.ahead.size() && r.ahead[k - 1]) {
    duplicates_++;
  } else if (!at_once && r.cx.held_bytes + len > c.rq_limit) {
    overflows_++;
  } else {
    if (r.ahead.size() < k) r.ahead.resize(k);
    if (k > 1) out_of_order_++;
    r.ahead[k - 1] = std::move(b);
    r.held += len;
    r.cx.held_bytes += len;
  }
  deliver_in_order(r);
  // Every message is answered: the ack says how far we are, and an
  // unchanged one tells the sender of a hole (fast_retransmit).
  schedule_ack(r);
}

void Rudp::deliver_in_order(Remote& r) {
  Conv& c = r.conv;
  while (!r.ahead.empty() && r.ahead.front()) {
    if (!read_queue_takes(c, r.ahead.front()->size())) {
      // Kept, and not acknowledged, until a reader makes room (consumed).
      ext(c).stalled = true;
      return;
    }
    r.held -= r.ahead.front()->size();
    r.cx.held_bytes -= r.ahead.front()->size();
    deliver(r, std::move(r.ahead.front()));
    r.ahead.pop_front();
    r.rcvseq = next_seq(r.rcvseq);
  }
}

void Rudp::consumed(Conv& c) {
  RudpConv& x = ext(c);
  if (!x.stalled) return;
  x.stalled = false;
  for (auto& [k, r] : x.remotes) {
    uint32_t before = r->rcvseq;
    deliver_in_order(*r);
    if (r->rcvseq != before) schedule_ack(*r);
  }
}

void Rudp::rcv(const IpRx& rx, BlockPtr b) {
  auto u = wire::RudpRepr::parse(rx.src, rx.dst, b->span(), !checksum_known(*b));
  if (!u) {
    drop(rx, u.error().text());
    return;
  }
  Conv* c = u->dst_port ? demux.find(u->dst_port, rx.src, u->src_port, rx.dst) : nullptr;
  if (!c) {
    no_port(rx, std::move(b));
    return;
  }
  RudpConv& x = ext(*c);
  auto it = x.remotes.find({rx.src, u->src_port});
  if (u->sgen == wire::rudp::kHangupGen) {
    // The remote forgot us (its ctl hangup): so do we, if it is about our
    // generation.
    if (it != x.remotes.end() && u->agen == it->second->sndgen) {
      hangups_++;
      log(*it->second, "hangup by the remote");
      x.remotes.erase(it);
      c->wake();
    }
    return;
  }
  Remote* rp = it != x.remotes.end() ? it->second.get() : state_for(*c, rx.src, u->src_port);
  if (!rp) return;  // counted: TooManyRemotes
  Remote& r = *rp;
  touch(r);
  if (r.laddr.is_zero()) r.laddr = rx.dst;
  if (u->ack && u->agen != r.sndgen) {
    // Acknowledges a generation of ours it cannot know (we rebooted since,
    // or it is another life's): ignored, as Plan 9 does; our ack tells it
    // our generation, so it starts anew at once instead of after 10 tries.
    stale_gen_++;
    schedule_ack(r);
    return;
  }
  if (r.rcvgen != u->sgen) {
    // Only the start of a generation (an ack, or its first message) may
    // introduce it; the rest of an unknown one is from a life of the
    // remote we do not know (we restarted): refused, and our ack tells it
    // our new generation.
    if (u->seq > 1) {
      stale_gen_++;
      schedule_ack(r);
      return;
    }
    if (r.rcvgen != 0) {
      new_gen_++;
      reboot(r, "new generation from the remote");
    }
    r.rcvgen = u->sgen;
  }
  if (u->ack) {
    // An ack-only packet that repeats the last ack: a hole at the peer.
    if (!acked_through(r, u->ack) && u->seq == 0 && u->ack == r.ackrcvd) fast_retransmit(r);
  }
  if (u->seq == 0) return;  // an ack only
  b->trim(uint32_t(wire::rudp::kHeaderLen + u->data.size()));
  b->pull(wire::rudp::kHeaderLen);
  accept(r, u->seq, std::move(b));
}

// An ICMP error about a message we sent. A connected conversation hangs up
// with the error's text, as Plan 9's rudpadvise does (unless
// `ignoreadvice`). An announced one may talk to many remotes: a hard error
// (RFC 1122 4.2.3.9: protocol or port unreachable) ends that remote's
// state by the reboot rule, so err says `hangup addr!port` and its queue
// goes instead of ten more tries; a soft one is left to retransmission.
void Rudp::advise(const Advice& a) {
  if (a.transport.size() < 4 || a.kind == Advice::kPacketTooBig) return;  // we fragment
  const uint16_t sport = load16(a.transport.data()), dport = load16(a.transport.data() + 2);
  Conv* c = demux.find(sport, a.dst, dport, a.src);
  if (!c || c->ignoreadvice || c->hungup) return;
  if (!c->laddr.is_zero() && c->laddr != a.src) return;
  RudpConv& x = ext(*c);
  auto it = x.remotes.find({a.dst, dport});
  const std::string what = a.text() + " from " + a.reporter.str();
  if (c->state == ConvState::kConnected) {
    unreachable_++;
    c->err = a.text();
    c->hungup = true;
    if (it != x.remotes.end()) {
      log(*it->second, what + ": hung up");
      x.remotes.erase(it);
    }
    c->wake();
  } else if (it != x.remotes.end() && a.hard()) {
    unreachable_++;
    reboot(*it->second, what);
  }
}

std::string Rudp::status(const Conv& c) const {
  return "Open qin " + std::to_string(c.rq_bytes) + " qout " + std::to_string(qout(c)) + "\n";
}

std::string Rudp::stats() const {
  std::string s;
  auto line = [&](const char* name, uint64_t v) {
    s += name;
    s += ": " + std::to_string(v) + "\n";
  };
  line("InDatagrams", in_datagrams_);
  line("NoPorts", no_ports_);
  line("InErrors", in_errors_);
  line("OutDatagrams", out_datagrams_);
  line("Retransmits", retransmits_);
  line("FastRetransmits", fast_retransmits_);
  line("AcksOut", acks_out_);
  line("OutOfOrder", out_of_order_);
  line("Duplicates", duplicates_);
  line("StaleGen", stale_gen_);
  line("Timeouts", timeouts_);
  line("NewGen", new_gen_);
  line("Hangups", hangups_);
  line("RandDrops", rand_drops_);
  line("Unreachable", unreachable_);
  line("Overflows", overflows_);
  line("Evictions", evictions_);
  line("TooManyRemotes", too_many_remotes_);
  return s;
}

}  // namespace

std::unique_ptr<Proto> make_rudp(Ip& ip) {
  return std::make_unique<Rudp>(ip);
}

}  // namespace ninet
