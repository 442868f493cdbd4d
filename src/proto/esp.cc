// esp.cc — the esp protocol directory (esp.h): security associations on
// conversations, the packet's way out (pad, encrypt, authenticate) and in
// (anti-replay, ICV, decrypt, trailer), and the counters.
#include "proto/esp.h"

#include <unordered_map>

#include "base/fields.h"
#include "crypto/esp.h"
#include "wire/esp.h"
#include "wire/ip4.h"

namespace ninet {

namespace {

constexpr int kMaxConvs = 4096;
constexpr uint32_t kFirstSpi = 256, kSpiRange = 65536;  // incoming SPIs: 256-65791 (Plan 9)
constexpr uint32_t kWindow = 64;                        // RFC 4303 3.4.3's default

// A conversation's security association, one direction.
struct EspCb : ConvExt {
  bool incoming = false;
  bool header = false;
  uint32_t spi = 0;
  std::unique_ptr<crypto::EspCipher> cipher;
  std::unique_ptr<crypto::EspAuth> auth;
  uint32_t seq = 0;     // outgoing: the last number sent
  uint32_t top = 0;     // incoming: the highest number accepted (0: none yet)
  uint64_t window = 0;  // bit i: top - i was accepted
};

// SECRET in hex, without 0x (ip(3)).
std::optional<std::vector<uint8_t>> parse_hex(std::string_view s) {
  if (s.size() % 2) return std::nullopt;
  std::vector<uint8_t> out;
  for (size_t i = 0; i < s.size(); i += 2) {
    int v = 0;
    for (char ch : s.substr(i, 2)) {
      int d = ch >= '0' && ch <= '9'   ? ch - '0'
              : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
              : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                       : -1;
      if (d < 0) return std::nullopt;
      v = v * 16 + d;
    }
    out.push_back(uint8_t(v));
  }
  return out;
}

class Esp final : public Proto {
 public:
  explicit Esp(Ip& ip) : Proto(ip, "esp", wire::ipproto::kEsp, kMaxConvs) {}

  bool own_addresses() const override { return true; }
  Status ctl(Conv& c, const std::vector<std::string_view>& args) override;
  Result<size_t> write(Conv& c, std::span<const uint8_t> data) override;
  void rcv(const IpRx& rx, BlockPtr b) override;
  std::string status(const Conv& c) const override { return "Datagram " + Proto::status(c); }
  std::string local(const Conv& c) const override;
  std::string remote(const Conv& c) const override;
  std::string stats() const override;
  bool close(Conv& c) override;

 private:
  static EspCb* cb(const Conv& c) { return static_cast<EspCb*>(c.ext.get()); }
  Status connect_sa(Conv& c, std::string_view arg);
  Status set_alg(Conv& c, bool encryption, std::string_view alg, std::string_view secret);
  void drop(const IpRx& rx, uint64_t& counter, const std::string& why);
  static bool replay_ok(const EspCb& e, uint32_t seq);
  static void replay_update(EspCb& e, uint32_t seq);

  std::shared_ptr<const crypto::Libcrypto> lib_;  // opened with the first algorithm
  std::unordered_map<uint32_t, Conv*> incoming_;  // by SPI
  uint64_t in_packets_ = 0, in_malformed_ = 0, in_no_sa_ = 0, in_replay_ = 0, in_auth_fail_ = 0,
           in_queue_drops_ = 0, out_packets_ = 0, out_errors_ = 0;
};

Status Esp::ctl(Conv& c, const std::vector<std::string_view>& a) {
  if (a[0] == "connect") {
    if (a.size() != 2) return Error(Err::BadArg, "connect addr!spi or addr!*");
    return connect_sa(c, a[1]);
  }
  if (a[0] == "announce" || a[0] == "bind")
    return Error(Err::NotSupported, "esp connects only: addr!spi or addr!*");
  EspCb* e = cb(c);
  if (a[0] == "esp" || a[0] == "ah") {
    if (!e) return Err::NotConnected;
    if (a.size() < 2 || a.size() > 3) return Error(Err::BadArg, std::string(a[0]) + " alg secret");
    return set_alg(c, a[0] == "esp", a[1], a.size() == 3 ? a[2] : "");
  }
  if (a[0] == "header" || a[0] == "noheader") {
    if (!e) return Err::NotConnected;
    e->header = a[0] == "header";
    return {};
  }
  return Error(Err::BadCtl, std::string(a[0]));
}

Status Esp::connect_sa(Conv& c, std::string_view arg) {
  if (c.state != ConvState::kIdle) return Err::InUse;
  const size_t bang = arg.find('!');
  if (bang == std::string_view::npos) return Error(Err::BadArg, "connect addr!spi or addr!*");
  auto addr = Ipaddr::parse(arg.substr(0, bang));
  if (!addr || addr->is_zero() || addr->is_multicast()) return Error(Err::BadIp, std::string(arg));
  const std::string_view spi = arg.substr(bang + 1);
  auto e = std::make_unique<EspCb>();
  if (spi == "*") {
    e->incoming = true;
    do
      e->spi = kFirstSpi + uint32_t(ip.rng() % kSpiRange);
    while (incoming_.count(e->spi));
  } else {
    auto v = parse_int(spi, 1, 0xffffffffLL);
    if (!v) return Error(Err::BadPort, "spi: 1 to 4294967295, or *");
    e->spi = uint32_t(*v);
  }
  // Both start null/null (Plan 9's nullespinit, nullahinit).
  e->cipher = std::move(*crypto::EspCipher::create(nullptr, "null", {}));
  e->auth = std::move(*crypto::EspAuth::create(nullptr, "null", {}));
  c.raddr = *addr;
  if (auto st = Proto::connect(c); !st) {
    c.raddr = Ipaddr();
    return st;
  }
  if (e->incoming)
    incoming_[e->spi] = &c;
  else
    c.rx_done = true;  // an outgoing SA has nothing to read (Plan 9 hangs its read queue up)
  c.ext = std::move(e);
  return {};
}

Status Esp::set_alg(Conv& c, bool encryption, std::string_view alg, std::string_view secret) {
  auto key = parse_hex(secret);
  if (!key) return Error(Err::BadArg, "secret: hex digits, an even number of them");
  if (!lib_ && alg != "null") {
    auto l = crypto::Libcrypto::open();
    if (!l) return l.error();
    lib_ = *l;
  }
  EspCb* e = cb(c);
  if (encryption) {
    auto x = crypto::EspCipher::create(lib_, alg, *key);
    if (!x) return x.error();
    e->cipher = std::move(*x);
  } else {
    auto x = crypto::EspAuth::create(lib_, alg, *key);
    if (!x) return x.error();
    e->auth = std::move(*x);
  }
  return {};
}

Result<size_t> Esp::write(Conv& c, std::span<const uint8_t> data) {
  EspCb* e = cb(c);
  if (c.state != ConvState::kConnected || !e) return Err::NotConnected;
  if (e->incoming) return Error(Err::BadArg, "an incoming esp conversation only reads");
  uint8_t next = 0;
  std::span<const uint8_t> inner = data;
  if (e->header) {
    if (data.size() < 4) return Error(Err::TooShort, "esp header mode: 4 bytes first");
    next = data[0];
    inner = data.subspan(4);
  }
  if (inner.empty()) return Error(Err::TooShort, "an empty packet");
  if (!e->header) {
    const int v = inner[0] >> 4;
    if (v != 4 && v != 6) return Error(Err::BadArg, "not an IP packet");
    next = v == 4 ? wire::esp::kNextIp4 : wire::esp::kNextIp6;
  }
  if (e->seq == 0xffffffffu)
    return Error(Err::BadArg, "sequence numbers used up: make a new security association");
  const size_t iv = e->cipher->iv_len(), icv = e->auth->icv_len();
  const size_t pad = wire::esp_pad_len(inner.size(), e->cipher->block());
  const size_t plain = inner.size() + pad + wire::esp::kTrailerLen;
  const size_t total = wire::esp::kHeaderLen + iv + plain + icv;
  if (total > 65535 - 60) return Err::TooBig;
  const uint32_t seq = ++e->seq;
  BlockPtr b = ip.pool.alloc(uint32_t(total));
  uint8_t* p = b->put(uint32_t(total));
  wire::EspRepr{e->spi, seq}.emit({p, wire::esp::kHeaderLen});
  uint8_t* ivp = p + wire::esp::kHeaderLen;
  uint8_t* body = ivp + iv;
  std::memcpy(body, inner.data(), inner.size());
  wire::esp_emit_trailer(body + inner.size(), pad, next);
  Status st = e->cipher->make_iv(seq, {ivp, iv});
  if (st) st = e->cipher->encrypt({ivp, iv}, {body, plain});
  if (st) st = e->auth->icv({p, total - icv}, {body + plain, icv});
  if (!st) {
    out_errors_++;
    return st.error();
  }
  SendParams sp;
  sp.src = c.laddr;
  sp.dst = c.raddr;
  sp.proto = ipproto;
  sp.ttl = c.ttl;
  sp.tos = c.tos;
  if (auto s = ip.send(sp, std::move(b)); !s) {
    out_errors_++;
    return s.error();
  }
  out_packets_++;
  return data.size();
}

bool Esp::replay_ok(const EspCb& e, uint32_t seq) {
  if (seq == 0) return false;  // never sent without extended sequence numbers
  if (seq > e.top) return true;
  const uint32_t behind = e.top - seq;
  return behind < kWindow && !(e.window & (uint64_t(1) << behind));
}

void Esp::replay_update(EspCb& e, uint32_t seq) {
  if (seq > e.top) {
    const uint32_t shift = seq - e.top;
    e.window = shift >= kWindow ? 0 : e.window << shift;
    e.window |= 1;
    e.top = seq;
  } else {
    e.window |= uint64_t(1) << (e.top - seq);
  }
}

void Esp::drop(const IpRx& rx, uint64_t& counter, const std::string& why) {
  counter++;
  if (ip.log.enabled(LogItem::kEsp)) ip.log.print(LogItem::kEsp, rx.src, rx.dst, why);
}

void Esp::rcv(const IpRx& rx, BlockPtr b) {
  auto h = wire::EspRepr::parse(b->span());
  if (!h) return drop(rx, in_malformed_, h.error().text());
  auto it = incoming_.find(h->spi);
  if (it == incoming_.end() || it->second->raddr != rx.src)
    return drop(rx, in_no_sa_, "no security association for spi " + std::to_string(h->spi));
  Conv& c = *it->second;
  EspCb& e = *cb(c);
  const size_t iv = e.cipher->iv_len(), icv = e.auth->icv_len(), n = b->size();
  if (n < wire::esp::kHeaderLen + iv + wire::esp::kTrailerLen + icv)
    return drop(rx, in_malformed_, "esp packet too short");
  if (!replay_ok(e, h->seq))
    return drop(rx, in_replay_, "replayed or old sequence number " + std::to_string(h->seq));
  uint8_t* p = b->data();
  if (!e.auth->verify({p, n - icv}, {p + n - icv, icv}))
    return drop(rx, in_auth_fail_, "icv mismatch, spi " + std::to_string(h->spi));
  replay_update(e, h->seq);  // RFC 4303 3.4.3: only after the ICV checks
  uint8_t* ivp = p + wire::esp::kHeaderLen;
  const size_t clen = n - wire::esp::kHeaderLen - iv - icv;
  if (auto st = e.cipher->decrypt({ivp, iv}, {ivp + iv, clen}); !st)
    return drop(rx, in_malformed_, st.error().text());
  auto t = wire::EspTrailer::parse({ivp + iv, clen});
  if (!t) return drop(rx, in_malformed_, t.error().text());
  if (t->next_header == wire::esp::kNextNone) return;  // a dummy packet (RFC 4303 2.6)
  const int version = t->payload_len ? ivp[iv] >> 4 : 0;
  if (!((t->next_header == wire::esp::kNextIp4 && version == 4) ||
        (t->next_header == wire::esp::kNextIp6 && version == 6)))
    return drop(rx, in_malformed_, "next header " + std::to_string(t->next_header));
  b->pull(uint32_t(wire::esp::kHeaderLen + iv));
  b->trim(uint32_t(t->payload_len));
  if (e.header) {
    uint8_t* hp = b->push(4);
    hp[0] = t->next_header;
    hp[1] = hp[2] = hp[3] = 0;
  }
  if (!c.enqueue(std::move(b))) return drop(rx, in_queue_drops_, "read queue full");
  in_packets_++;
}

std::string Esp::local(const Conv& c) const {
  const EspCb* e = cb(c);
  return c.laddr.str() + "!" + (e && e->incoming ? std::to_string(e->spi) : "0") + "\n";
}

std::string Esp::remote(const Conv& c) const {
  const EspCb* e = cb(c);
  return c.raddr.str() + "!" + (!e ? "0" : e->incoming ? "*" : std::to_string(e->spi)) + "\n";
}

std::string Esp::stats() const {
  return "InPackets: " + std::to_string(in_packets_) +
         "\nInMalformed: " + std::to_string(in_malformed_) +
         "\nInNoSa: " + std::to_string(in_no_sa_) + "\nInReplay: " + std::to_string(in_replay_) +
         "\nInAuthFail: " + std::to_string(in_auth_fail_) +
         "\nInQueueDrops: " + std::to_string(in_queue_drops_) +
         "\nOutPackets: " + std::to_string(out_packets_) +
         "\nOutErrors: " + std::to_string(out_errors_) + "\n";
}

bool Esp::close(Conv& c) {
  if (EspCb* e = cb(c); e && e->incoming) {
    auto it = incoming_.find(e->spi);
    if (it != incoming_.end() && it->second == &c) incoming_.erase(it);
  }
  c.ext.reset();
  return true;
}

}  // namespace

std::unique_ptr<Proto> make_esp(Ip& ip) {
  return std::make_unique<Esp>(ip);
}

}  // namespace ninet
