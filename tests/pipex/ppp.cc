// ppp.cc — the PPP server half of ctld (ppp.h).
#include "ppp.h"
#include "base/endian.h"

#include <random>

#include "crypto/mppe.h"
#include "wire/ppp.h"

namespace ninet::ctld {

namespace {

using namespace wire::ppp;  // control codes, CHAP algorithms
// CHAP codes (RFC 1994 section 4).
enum : uint8_t { kChallenge = 1, kResponse, kSuccess, kFailure };
// LCP options (RFC 1661 section 6), IPCP's (RFC 1332, RFC 1877), CCP's MPPE (RFC 3078).
enum : uint8_t {
  kOptMru = 1,
  kOptAccm = 2,
  kOptAuth = 3,
  kOptMagic = 5,
  kOptPfc = 7,
  kOptAcfc = 8,
  kOptIpAddress = 3,
  kOptMppe = 18,
};
constexpr uint32_t kMppeBits = 0x01000040;  // H (stateless) and S (128 bits), RFC 3078 2.1
constexpr size_t kMsChapResponseLen = 49;   // peer challenge, 8 reserved, NT-Response, flags
constexpr int kMaxTries = 30;               // a second apart: generous for a slow (TCG) client
constexpr int kMaxTerminate = 3;            // Terminate-Requests, a tick apart (RFC 1661: 2, 3 s)

void put_opt(Bytes& b, uint8_t type, std::span<const uint8_t> v) {
  b.push_back(type);
  b.push_back(uint8_t(2 + v.size()));
  b.insert(b.end(), v.begin(), v.end());
}

struct Opt {
  uint8_t type;
  std::span<const uint8_t> value;
  std::span<const uint8_t> whole;  // type, length and value, to echo back
};

// A Configure-* packet's options; false if one overruns the packet.
bool parse_opts(std::span<const uint8_t> d, std::vector<Opt>* out) {
  while (!d.empty()) {
    if (d.size() < 2 || d[1] < 2 || d[1] > d.size()) return false;
    out->push_back({d[0], d.subspan(2, d[1] - 2), d.first(d[1])});
    d = d.subspan(d[1]);
  }
  return true;
}

std::string proto_name(uint16_t p) {
  switch (p) {
    case wire::ppp::kLcp:
      return "LCP";
    case wire::ppp::kIpcp:
      return "IPCP";
    case wire::ppp::kCcp:
      return "CCP";
    default:
      return "proto " + std::to_string(p);
  }
}

}  // namespace

PppServer::PppServer(std::shared_ptr<const crypto::Libcrypto> lib, PppConfig cfg, Send send,
                     Log log)
    : lib_(std::move(lib)), cfg_(std::move(cfg)), send_(std::move(send)), log_(std::move(log)) {
  std::random_device rd;
  magic_ = rd() | 1;
  for (auto& c : challenge_)
    c = uint8_t(rd());
  chap_id_ = uint8_t(rd());
  lcp_.protocol = wire::ppp::kLcp;
  put_opt(lcp_.ours, kOptMru, std::array<uint8_t, 2>{uint8_t(cfg_.mru >> 8), uint8_t(cfg_.mru)});
  put_opt(lcp_.ours, kOptAuth, std::array<uint8_t, 3>{0xc2, 0x23, kMsChapV2});
  Bytes m;
  append32(m, magic_);
  put_opt(lcp_.ours, kOptMagic, m);
  ipcp_.protocol = wire::ppp::kIpcp;
  Bytes a;
  append32(a, cfg_.ours);
  put_opt(ipcp_.ours, kOptIpAddress, a);
  ccp_.protocol = wire::ppp::kCcp;
  Bytes bits;
  append32(bits, kMppeBits);
  put_opt(ccp_.ours, kOptMppe, bits);
}

void PppServer::send_cp(uint16_t protocol, uint8_t code, uint8_t id,
                        std::span<const uint8_t> data) {
  Bytes p = {code, id};
  append16(p, uint16_t(4 + data.size()));
  p.insert(p.end(), data.begin(), data.end());
  send_(protocol, p);
}

void PppServer::send_request(Ncp& n) {
  n.id = lcp_next_id_++;
  n.sent = true;
  n.tries++;
  send_cp(n.protocol, kConfReq, n.id, n.ours);
}

void PppServer::start() {
  send_request(lcp_);
}

void PppServer::tick() {
  if (dead_) return;
  if (closing_) {
    if (term_tries_ >= kMaxTerminate) return fail(closing_why_);
    term_tries_++;
    send_cp(wire::ppp::kLcp, kTermReq, lcp_next_id_++, {});
    return;
  }
  for (Ncp* n : {&lcp_, &ipcp_, &ccp_}) {
    if (!n->sent || n->acked) continue;
    if (n->tries >= kMaxTries) return fail(proto_name(n->protocol) + " request unanswered");
    send_request(*n);
  }
  if (lcp_.open() && !authed_) {
    if (chap_tries_ >= kMaxTries) return fail("no CHAP response");
    send_challenge();
  }
}

bool PppServer::ready() const {
  return !dead_ && authed_ && ipcp_.open() && (!mppe_wanted_ || ccp_.open());
}

void PppServer::fail(const std::string& why) {
  if (dead_) return;
  dead_ = true;
  reason_ = why;
  log_("ppp: " + why);
}

void PppServer::terminate(const std::string& why) {
  if (dead_ || closing_) return;
  // The tunnel stays until the peer has seen this: a PPTP or L2TP client
  // whose call is cleared first ends its pppd by a signal, and the
  // Terminate-Request would arrive to nobody.
  closing_ = true;
  closing_why_ = why;
  term_tries_ = 1;
  log_("ppp: terminating: " + why);
  send_cp(wire::ppp::kLcp, kTermReq, lcp_next_id_++, {});
}

void PppServer::protocol_reject(uint16_t protocol, std::span<const uint8_t> info) {
  Bytes d;
  append16(d, protocol);
  d.insert(d.end(), info.begin(), info.end());
  send_cp(wire::ppp::kLcp, kProtRej, lcp_next_id_++, d);
}

void PppServer::input(uint16_t protocol, std::span<const uint8_t> info) {
  if (dead_) return;
  if (closing_) {
    // Only LCP's Terminate-Ack or Terminate-Request matters now.
    if (protocol == wire::ppp::kLcp && info.size() >= 4 &&
        (info[0] == kTermAck || info[0] == kTermReq)) {
      if (info[0] == kTermReq) send_cp(wire::ppp::kLcp, kTermAck, info[1], {});
      fail(closing_why_);
    }
    return;
  }
  // What pipex takes once the session is registered (NOTES.md, "What the
  // fast path claims"); before that, IP is dropped: the session is not up.
  if (protocol == wire::ppp::kIp4 || protocol == wire::ppp::kIp6 ||
      protocol == wire::ppp::kCompressed)
    return;
  if (registered && protocol == wire::ppp::kCcp && info.size() >= 4 &&
      (info[0] == kResetReq || info[0] == kResetAck))
    return;
  if (info.size() < 4 || load16(info.data() + 2) < 4 || load16(info.data() + 2) > info.size())
    return;  // not a control packet: RFC 1661 5 says silently discard
  const uint8_t code = info[0], id = info[1];
  const auto data = info.subspan(4, load16(info.data() + 2) - 4);
  switch (protocol) {
    case wire::ppp::kLcp:
      return lcp_input(code, id, data);
    case wire::ppp::kChap:
      return chap_input(code, id, data);
    case wire::ppp::kIpcp:
      if (authed_) ipcp_input(code, id, data);
      return;
    case wire::ppp::kCcp:
      if (authed_) ccp_input(code, id, data);
      return;
    default:
      // IPV6CP and the rest (RFC 1661 5.7). Only once LCP is open.
      if (lcp_.open()) protocol_reject(protocol, info);
  }
}

bool PppServer::common_input(Ncp& n, uint8_t code, uint8_t id, std::span<const uint8_t> data) {
  switch (code) {
    case kTermReq:
      send_cp(n.protocol, kTermAck, id, {});
      if (n.protocol == wire::ppp::kLcp) fail("peer terminated");
      return true;
    case kTermAck:
      if (n.protocol == wire::ppp::kLcp) fail("terminated");
      return true;
    case kCodeRej:
    case kProtRej:
      log_("ppp: " + proto_name(n.protocol) + " code/protocol reject from the peer");
      return true;
    default:
      return false;
  }
}

void PppServer::lcp_input(uint8_t code, uint8_t id, std::span<const uint8_t> data) {
  if (common_input(lcp_, code, id, data)) return;
  switch (code) {
    case kConfReq: {
      std::vector<Opt> opts;
      if (!parse_opts(data, &opts)) return;
      Bytes rej;
      PppResult r = res_;
      r.pfc = r.acfc = false;
      for (const Opt& o : opts) {
        if (o.type == kOptMru && o.value.size() == 2)
          r.peer_mru = load16(o.value.data());
        else if (o.type == kOptPfc && o.value.empty())
          r.pfc = true;
        else if (o.type == kOptAcfc && o.value.empty())
          r.acfc = true;
        else if (!((o.type == kOptAccm && o.value.size() == 4) ||
                   (o.type == kOptMagic && o.value.size() == 4)))
          rej.insert(rej.end(), o.whole.begin(), o.whole.end());  // auth of us, callback...
      }
      if (!rej.empty()) return send_cp(lcp_.protocol, kConfRej, id, rej);
      res_.peer_mru = r.peer_mru;
      res_.pfc = r.pfc;
      res_.acfc = r.acfc;
      send_cp(lcp_.protocol, kConfAck, id, data);
      lcp_.peer_ok = true;
      if (!lcp_.sent) send_request(lcp_);
      break;
    }
    case kConfAck:
      if (id == lcp_.id) lcp_.acked = true;
      break;
    case kConfNak:
    case kConfRej: {
      if (id != lcp_.id) return;
      std::vector<Opt> opts;
      if (!parse_opts(data, &opts)) return;
      for (const Opt& o : opts)
        if (o.type == kOptAuth) return terminate("the client refuses MS-CHAPv2");
      // MRU or magic: drop them from our request and ask again.
      Bytes keep;
      std::vector<Opt> ours;
      (void)parse_opts(lcp_.ours, &ours);
      for (const Opt& o : ours) {
        bool named = false;
        for (const Opt& x : opts)
          named = named || x.type == o.type;
        if (!named) keep.insert(keep.end(), o.whole.begin(), o.whole.end());
      }
      lcp_.ours = keep;
      lcp_.tries = 0;
      send_request(lcp_);
      break;
    }
    case kEchoReq: {
      if (!lcp_.open() || data.size() < 4) return;
      Bytes d;
      append32(d, magic_);
      d.insert(d.end(), data.begin() + 4, data.end());
      send_cp(lcp_.protocol, kEchoRep, id, d);
      break;
    }
    default:
      break;  // Echo-Reply, Discard-Request
  }
  if (lcp_.open() && !authed_ && chap_tries_ == 0) send_challenge();
}

// RFC 2759 section 3: Value-Size 16 and the 16-octet challenge, then our name.
void PppServer::send_challenge() {
  chap_id_++;
  chap_tries_++;
  Bytes d = {16};
  d.insert(d.end(), challenge_.begin(), challenge_.end());
  d.insert(d.end(), cfg_.name.begin(), cfg_.name.end());
  send_cp(wire::ppp::kChap, kChallenge, chap_id_, d);
}

void PppServer::chap_input(uint8_t code, uint8_t id, std::span<const uint8_t> data) {
  if (code != kResponse || id != chap_id_) return;
  if (!chap_answer_.empty())
    return send_cp(wire::ppp::kChap, chap_answer_[0], id, std::span(chap_answer_).subspan(1));
  // RFC 2759 section 4: Value-Size 49: Peer-Challenge, 8 reserved, NT-Response, Flags.
  if (data.size() < 1 + kMsChapResponseLen || data[0] != kMsChapResponseLen) return;
  crypto::MschapChallenge peer;
  crypto::NtResponse nt;
  std::copy_n(data.begin() + 1, peer.size(), peer.begin());
  std::copy_n(data.begin() + 1 + 24, nt.size(), nt.begin());
  const std::string name(data.begin() + 1 + kMsChapResponseLen, data.end());
  const std::string_view user = crypto::mschap_user_name(name);
  auto hash = crypto::nt_password_hash(*lib_, cfg_.password);
  bool ok = false;
  if (hash && user == cfg_.user) {
    auto c = crypto::check_nt_response(*lib_, challenge_, peer, user, *hash, nt);
    ok = c && *c;
  }
  std::string msg;
  if (ok) {
    auto s = crypto::generate_authenticator_response(*lib_, *hash, nt, peer, challenge_, user);
    auto hh = crypto::hash_nt_password_hash(*lib_, *hash);
    auto master = hh ? crypto::get_master_key(*lib_, *hh, nt) : Result<crypto::Bytes16>(hh.error());
    auto send = master ? crypto::get_asymmetric_start_key(*lib_, *master, 16, true, true) : master;
    auto recv = master ? crypto::get_asymmetric_start_key(*lib_, *master, 16, false, true) : master;
    ok = s && send && recv;
    if (ok) {
      res_.send_key = *send;
      res_.recv_key = *recv;
      msg = *s + " M=Access granted";
    }
  }
  if (!ok) msg = "E=691 R=0 V=3 M=Authentication failed";  // RFC 2759 section 6
  chap_answer_ = {ok ? kSuccess : kFailure};
  chap_answer_.insert(chap_answer_.end(), msg.begin(), msg.end());
  send_cp(wire::ppp::kChap, chap_answer_[0], id, std::span(chap_answer_).subspan(1));
  if (!ok) return fail("authentication of '" + name + "' failed");
  log_("ppp: authenticated " + name);
  authed_ = true;
  network_phase();
}

void PppServer::network_phase() {
  send_request(ipcp_);
}

void PppServer::ipcp_input(uint8_t code, uint8_t id, std::span<const uint8_t> data) {
  if (common_input(ipcp_, code, id, data)) return;
  if (code == kConfAck && id == ipcp_.id) ipcp_.acked = true;
  if (code == kConfNak && id == ipcp_.id) send_request(ipcp_);  // ours is ours
  if (code != kConfReq) return;
  std::vector<Opt> opts;
  if (!parse_opts(data, &opts)) return;
  Bytes rej, nak;
  for (const Opt& o : opts) {
    if (o.type == kOptIpAddress && o.value.size() == 4) {
      if (load32(o.value.data()) != cfg_.theirs) {
        Bytes a;
        append32(a, cfg_.theirs);
        put_opt(nak, kOptIpAddress, a);
      }
    } else {
      rej.insert(rej.end(), o.whole.begin(), o.whole.end());  // VJ, DNS, NBNS...
    }
  }
  if (!rej.empty()) return send_cp(ipcp_.protocol, kConfRej, id, rej);
  if (!nak.empty()) return send_cp(ipcp_.protocol, kConfNak, id, nak);
  send_cp(ipcp_.protocol, kConfAck, id, data);
  ipcp_.peer_ok = true;
  // A client that requires MPPE opens IPCP only once CCP is up, and
  // answers our earlier request with Terminate-Ack (RFC 1661 4.2, Closed):
  // ask again now rather than at the next tick.
  if (!ipcp_.acked) send_request(ipcp_);
}

void PppServer::ccp_input(uint8_t code, uint8_t id, std::span<const uint8_t> data) {
  if (common_input(ccp_, code, id, data)) return;
  switch (code) {
    case kConfReq: {
      std::vector<Opt> opts;
      if (!parse_opts(data, &opts)) return;
      const Opt* mppe = nullptr;
      Bytes rej;
      for (const Opt& o : opts) {
        if (o.type == kOptMppe && o.value.size() == 4)
          mppe = &o;
        else
          rej.insert(rej.end(), o.whole.begin(), o.whole.end());  // deflate, BSD...
      }
      if (!cfg_.allow_mppe || (!mppe && !mppe_wanted_)) {
        // RFC 1661 5.7: no compression here at all.
        Bytes info = {kConfReq, id};
        append16(info, uint16_t(4 + data.size()));
        info.insert(info.end(), data.begin(), data.end());
        return protocol_reject(ccp_.protocol, info);
      }
      mppe_wanted_ = true;
      if (!ccp_.sent) send_request(ccp_);
      if (!rej.empty()) return send_cp(ccp_.protocol, kConfRej, id, rej);
      if (!mppe || load32(mppe->value.data()) != kMppeBits) {
        Bytes bits, nak;
        append32(bits, kMppeBits);
        put_opt(nak, kOptMppe, bits);
        return send_cp(ccp_.protocol, kConfNak, id, nak);
      }
      send_cp(ccp_.protocol, kConfAck, id, data);
      ccp_.peer_ok = true;
      break;
    }
    case kConfAck:
      if (id == ccp_.id) {
        ccp_.acked = true;
        res_.mppe = true;
        res_.ccp_id = id;
      }
      break;
    case kConfNak:
    case kConfRej:
      if (id == ccp_.id) terminate("the client refuses MPPE-128 stateless");
      break;
    case kResetReq:
      send_cp(ccp_.protocol, kResetAck, id, {});  // before pipex has the session
      break;
    default:
      break;
  }
}

}  // namespace ninet::ctld
