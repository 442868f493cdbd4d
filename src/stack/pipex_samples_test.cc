// The recorded Linux sessions of ../shared/peers/samples (capture-samples.sh:
// pppd with rp-pppoe, pptp/pptpd and xl2tpd, MS-CHAPv2 for user "client"
// with password "secret123", MPPE-128 stateless, 20 pings and a 200 kB TCP
// transfer each) fed through pipex's data path (src/pipex/datapath.cc).
//
// For each capture the test
// 1. takes the session apart itself (wire/ parsers, outer IPv4 fragments put
//    together): LCP's compression options, the MS-CHAPv2 Challenge, Response
//    and Success, CCP's MPPE option, IPCP's addresses, the tunnel's ids;
// 2. derives the MPPE start keys from the recorded exchange (RFC 3079) with
//    src/crypto, after checking the NT-Response and the "S=" authenticator
//    response against the password, so the keys are known to be the ones the
//    peers used;
// 3. decrypts every MPPE frame of each direction with crypto::Mppe: the
//    reference, in which every inner packet must be IPv4 or IPv6 with valid
//    checksums, the pings echo requests 1..20 answered one for one, and the
//    TCP stream 200000 bytes from SYN to FIN, acknowledged to its end;
// 4. registers the session in a stack as the server would (then, in another
//    stack, as the client would: ids, keys and addresses swapped), feeds the
//    other side's frames from the moment CCP opened into the stack's Ethernet
//    interface, and checks that the data path injected exactly the
//    reference's packets (session statistics; the IPv4 ones byte for byte,
//    seen by an input hook on the session's interface), and that the stack's
//    own echo replies leave through the session and decrypt, with the peer's
//    receive key, to what the recorded server answered;
// 5. registers it once more as the server, where npppd would (once IPCP
//    opened, after the first MPPE packets), so that the stateless receiver
//    must catch up with the count.
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "base/endian.h"
#include "crypto/mppe.h"
#include "crypto/mschap.h"
#include "ip/ip.h"
#include "media/testing.h"
#include "pipex/sessions.h"
#include "pipex/testing.h"
#include "proto/icmp.h"
#include "proto/udp.h"
#include "wire/ether.h"
#include "wire/gre.h"
#include "wire/icmp.h"
#include "wire/icmp6.h"
#include "wire/ip4.h"
#include "wire/ip6.h"
#include "wire/l2tp.h"
#include "wire/ppp.h"
#include "wire/pppoe.h"
#include "wire/tcp.h"
#include "wire/udp.h"

namespace ninet::pipex {
namespace {

using Bytes = std::vector<uint8_t>;
using crypto::Bytes16;

constexpr std::string_view kUser = "client", kPassword = "secret123";
constexpr uint8_t kChallenge = 1, kResponse = 2, kSuccess = 3;  // CHAP codes (RFC 1994)
constexpr uint8_t kConfAck = 2;                                 // RFC 1661 section 5.2
constexpr uint8_t kCcpMppe = 18;                                // RFC 3078 section 2
constexpr uint32_t kMppeStateless128 = 0x01000040;              // H (stateless) and S (128-bit)
constexpr uint8_t kLcpPfc = 7, kLcpAcfc = 8, kIpcpAddress = 3;
constexpr int kPings = 20;
constexpr size_t kTcpBytes = 200000;

struct Frame {
  Time t = 0;
  Bytes data;
};

// An Ethernet capture, or an empty vector and the reason in *err.
std::vector<Frame> read_pcap(const std::string& path, std::string* err) {
  char ebuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline(path.c_str(), ebuf);
  std::vector<Frame> out;
  if (!p) {
    *err = ebuf;
    return out;
  }
  if (pcap_datalink(p) != DLT_EN10MB) {
    *err = "not an Ethernet capture";
  } else {
    pcap_pkthdr* h;
    const u_char* d;
    while (pcap_next_ex(p, &h, &d) == 1) {
      EXPECT_EQ(h->caplen, h->len) << "a frame cut short by the snap length";
      out.push_back(
          {Time(h->ts.tv_sec) * 1000000000 + Time(h->ts.tv_usec) * 1000, Bytes(d, d + h->caplen)});
    }
  }
  pcap_close(p);
  return out;
}

// One PPP frame (or PPTP acknowledgement) of the session, as a peer sent it.
struct PppFrame {
  size_t frame = 0;  // the capture frame that carried it (its last fragment)
  Mac src_mac;
  Ipaddr src;                        // outer source (PPTP, L2TP)
  uint16_t id = 0, tunnel = 0;       // PPPoE session, PPTP call or L2TP session id; L2TP tunnel id
  std::optional<uint32_t> seq, ack;  // PPTP
  uint16_t protocol = 0;             // 0: a PPTP acknowledgement alone
  Bytes info;                        // after the PPP header
  bool from_server = false;
};

// The PPP frames of protocol `proto` in the Ethernet frames, outer IPv4
// fragments put together (those of a datagram arrive in order here).
std::vector<PppFrame> ppp_frames(const std::vector<Frame>& frames, int proto) {
  std::vector<PppFrame> out;
  std::map<std::tuple<Ipaddr, uint16_t>, Bytes> partial;  // (source, IP id): payload so far
  for (size_t i = 0; i < frames.size(); i++) {
    std::span<const uint8_t> f = frames[i].data;
    auto e = wire::EtherRepr::parse(f);
    if (!e) continue;
    PppFrame p;
    p.frame = i;
    p.src_mac = e->src;
    std::span<const uint8_t> ppp;
    Bytes whole;  // a reassembled outer payload
    if (proto == PIPEX_PROTO_PPPOE) {
      auto s = wire::PppoeRepr::parse(e->type, f.subspan(wire::EtherRepr::kLen));
      if (e->type != wire::ethertype::kPppoeSession || !s || !s->session()) continue;
      p.id = s->session_id;
      ppp = s->payload;
    } else {
      if (e->type != wire::ethertype::kIp4) continue;
      std::span<const uint8_t> ipb = f.subspan(wire::EtherRepr::kLen);
      auto h = wire::Ip4Repr::parse(ipb);
      if (!h) continue;
      std::span<const uint8_t> body = ipb.subspan(h->header_len, h->payload_len());
      if (h->is_fragment()) {
        Bytes& acc = partial[{h->src, h->id}];
        if (acc.size() != h->frag_offset) {
          ADD_FAILURE() << "fragment out of order in frame " << i;
          continue;
        }
        acc.insert(acc.end(), body.begin(), body.end());
        if (h->mf) continue;
        whole = std::move(acc);
        partial.erase({h->src, h->id});
        body = whole;
      }
      p.src = h->src;
      if (proto == PIPEX_PROTO_PPTP) {
        auto g = wire::GreRepr::parse(body);
        if (h->proto != wire::ipproto::kGre || !g || g->version != wire::gre::kPptpVersion)
          continue;
        p.id = g->call_id;
        p.seq = g->seq;
        p.ack = g->ack;
        if (g->payload.empty()) {
          out.push_back(p);
          continue;
        }
        ppp = g->payload;
      } else {
        auto u = wire::UdpRepr::parse(h->src, h->dst, body);
        if (h->proto != wire::ipproto::kUdp || !u || u->dst_port != wire::l2tp::kPort) continue;
        auto l = wire::L2tpRepr::parse(u->data);
        if (!l || l->control) continue;
        p.id = l->session_id;
        p.tunnel = l->tunnel_id;
        ppp = l->payload;
      }
    }
    auto h = wire::PppRepr::parse(ppp);
    if (!h) {
      ADD_FAILURE() << "bad PPP header in frame " << i;
      continue;
    }
    p.protocol = h->protocol;
    p.info.assign(h->payload.begin(), h->payload.end());
    out.push_back(std::move(p));
  }
  return out;
}

// The options of an LCP/IPCP/CCP Configure packet (RFC 1661 section 5):
// type -> value.
std::map<uint8_t, Bytes> options(const Bytes& info) {
  std::map<uint8_t, Bytes> o;
  if (info.size() < 4) return o;
  const size_t len = std::min<size_t>(load16(&info[2]), info.size());
  for (size_t at = 4; at + 2 <= len && info[at + 1] >= 2 && at + info[at + 1] <= len;
       at += info[at + 1])
    o[info[at]] = Bytes(info.begin() + at + 2, info.begin() + at + info[at + 1]);
  return o;
}

// One end of the recorded session.
struct Side {
  Mac mac;
  Ipaddr outer;            // tunnel endpoint (PPTP, L2TP)
  Ipaddr inner;            // its IPCP address
  uint16_t id = 0;         // the id it receives on: PPPoE session, PPTP call, L2TP session
  uint16_t tunnel = 0;     // L2TP: its tunnel id
  bool acked_pfc = false;  // it acknowledged the other's PFC and ACFC (LCP)
  bool acked_acfc = false;
  Bytes16 send_key{}, recv_key{};  // MPPE start keys
};

// An inner packet, decrypted by the test from one MPPE frame.
struct Inner {
  size_t frame = 0;
  uint16_t count = 0;  // MPPE coherency count
  Bytes ip;
};

struct Capture {
  int proto = 0;
  std::vector<Frame> frames;
  std::vector<PppFrame> ppp;
  Side server, client;
  size_t ccp_opened = 0;   // the capture frame after which both ends had MPPE
  size_t ipcp_opened = 0;  // and IPCP (where npppd registers a session)
  std::vector<Inner> to_server, to_client;
};

// What a frame the test decrypted holds, or a failure.
testing::AssertionResult valid_ip(const Bytes& p) {
  if (!p.empty() && p[0] >> 4 == 4) {
    auto h = wire::Ip4Repr::parse(p);
    if (!h) return testing::AssertionFailure() << "IPv4: " << h.error().text();
    if (h->total_len != p.size()) return testing::AssertionFailure() << "IPv4 length";
    if (h->is_fragment()) return testing::AssertionFailure() << "an inner fragment";
    std::span<const uint8_t> t = std::span(p).subspan(h->header_len);
    bool ok = h->proto == wire::ipproto::kIcmp  ? bool(wire::IcmpRepr::parse(t))
              : h->proto == wire::ipproto::kTcp ? bool(wire::TcpRepr::parse(h->src, h->dst, t))
              : h->proto == wire::ipproto::kUdp ? bool(wire::UdpRepr::parse(h->src, h->dst, t))
                                                : false;
    if (!ok) return testing::AssertionFailure() << "IPv4 protocol " << int(h->proto) << " checksum";
    return testing::AssertionSuccess();
  }
  auto h = wire::Ip6Repr::parse(p);
  if (!h) return testing::AssertionFailure() << "neither IPv4 nor IPv6";
  std::span<const uint8_t> rest = std::span(p).subspan(wire::Ip6Repr::kLen);
  auto w = wire::ip6_walk(rest, h->next_header);
  if (!w || w->proto != wire::ipproto::kIcmp6)
    return testing::AssertionFailure() << "IPv6 other than ICMPv6";
  if (!wire::Icmp6Repr::parse(h->src, h->dst, rest.subspan(w->offset)))
    return testing::AssertionFailure() << "ICMPv6 checksum";
  return testing::AssertionSuccess();
}

// The capture, taken apart; fails the test where it is not the session the
// README describes.
void analyse(Capture& c) {
  c.ppp = ppp_frames(c.frames, c.proto);
  auto challenge = std::find_if(c.ppp.begin(), c.ppp.end(), [](const PppFrame& p) {
    return p.protocol == wire::ppp::kChap && !p.info.empty() && p.info[0] == kChallenge;
  });
  ASSERT_NE(challenge, c.ppp.end()) << "no CHAP Challenge";
  c.server.mac = challenge->src_mac;
  c.server.outer = challenge->src;
  for (PppFrame& p : c.ppp) {
    p.from_server = p.src_mac == c.server.mac;
    Side& from = p.from_server ? c.server : c.client;
    Side& to = p.from_server ? c.client : c.server;
    if (!p.from_server) {
      c.client.mac = p.src_mac;
      c.client.outer = p.src;
    }
    to.id = p.id;  // each sends the id the other receives on
    to.tunnel = p.tunnel;
    const bool ack = !p.info.empty() && p.info[0] == kConfAck;
    if (p.protocol == wire::ppp::kLcp && ack) {
      auto o = options(p.info);
      from.acked_pfc = o.count(kLcpPfc);
      from.acked_acfc = o.count(kLcpAcfc);
    }
    if (p.protocol == wire::ppp::kIpcp && ack) {
      // A Configure-Ack repeats the other end's request: its address.
      auto o = options(p.info);
      ASSERT_EQ(o[kIpcpAddress].size(), 4u);
      to.inner = Ipaddr::from_v4_bytes(o[kIpcpAddress].data());
      c.ipcp_opened = std::max(c.ipcp_opened, p.frame);
    }
    if (p.protocol == wire::ppp::kCcp && ack) {
      auto o = options(p.info);
      ASSERT_EQ(o[kCcpMppe].size(), 4u) << "CCP acknowledged without MPPE";
      EXPECT_EQ(load32(o[kCcpMppe].data()), kMppeStateless128) << "MPPE-128, stateless";
      c.ccp_opened = std::max(c.ccp_opened, p.frame);
    }
  }
  ASSERT_NE(c.ccp_opened, 0u) << "CCP never opened";
  EXPECT_FALSE(c.server.inner.is_zero() || c.client.inner.is_zero()) << "IPCP addresses";
}

// The MS-CHAPv2 exchange (RFC 2759 section 4), checked against the password,
// and the MPPE start keys it gives each end (RFC 3079 section 3.4).
void derive_keys(Capture& c, const crypto::Libcrypto& lib) {
  auto find = [&](uint8_t code) -> const PppFrame* {
    for (const PppFrame& p : c.ppp)
      if (p.protocol == wire::ppp::kChap && p.info.size() >= 4 && p.info[0] == code) return &p;
    return nullptr;
  };
  const PppFrame *ch = find(kChallenge), *re = find(kResponse), *ok = find(kSuccess);
  ASSERT_TRUE(ch && re && ok) << "Challenge, Response and Success";
  ASSERT_TRUE(ch->from_server && !re->from_server && ok->from_server);
  // Challenge: value-size 16, the authenticator challenge, the server's name.
  ASSERT_EQ(ch->info[4], 16);
  crypto::MschapChallenge auth, peer;
  std::copy_n(&ch->info[5], 16, auth.begin());
  // Response: value-size 49: peer challenge, 8 zeros, NT-Response, flags; the name.
  ASSERT_EQ(re->info[4], 49);
  ASSERT_GE(re->info.size(), 5u + 49);
  std::copy_n(&re->info[5], 16, peer.begin());
  crypto::NtResponse nt;
  std::copy_n(&re->info[5 + 24], 24, nt.begin());
  const std::string user(re->info.begin() + 5 + 49, re->info.begin() + load16(&re->info[2]));
  EXPECT_EQ(user, kUser);
  EXPECT_EQ(ch->info[1], re->info[1]) << "the Response answers the Challenge's identifier";

  auto hash = crypto::nt_password_hash(lib, kPassword);
  ASSERT_TRUE(hash);
  auto right = crypto::check_nt_response(lib, auth, peer, user, *hash, nt);
  ASSERT_TRUE(right && *right) << "the recorded NT-Response is secret123's";
  auto s = crypto::generate_authenticator_response(lib, *hash, nt, peer, auth, user);
  ASSERT_TRUE(s);
  const std::string success(ok->info.begin() + 4, ok->info.begin() + load16(&ok->info[2]));
  EXPECT_EQ(success.substr(0, 42), *s) << "the server's Success message: " << success;

  auto hh = crypto::hash_nt_password_hash(lib, *hash);
  ASSERT_TRUE(hh);
  auto master = crypto::get_master_key(lib, *hh, nt);
  ASSERT_TRUE(master);
  auto key = [&](bool send, bool server) {
    auto k = crypto::get_asymmetric_start_key(lib, *master, 16, send, server);
    EXPECT_TRUE(k);
    return k ? *k : Bytes16{};
  };
  c.server.send_key = key(true, true);
  c.server.recv_key = key(false, true);
  c.client.send_key = key(true, false);
  c.client.recv_key = key(false, false);
  EXPECT_EQ(c.server.send_key, c.client.recv_key);
  EXPECT_EQ(c.server.recv_key, c.client.send_key);
  EXPECT_NE(c.server.send_key, c.server.recv_key);
}

// The test's own decryption of one direction's MPPE frames (with the
// sender's send key), each a valid inner packet.
std::vector<Inner> decrypt_all(const Capture& c, bool from_server,
                               std::shared_ptr<const crypto::Libcrypto> lib) {
  const Side& sender = from_server ? c.server : c.client;
  auto rx = crypto::Mppe::create(lib, {128, true, sender.send_key});
  EXPECT_TRUE(rx);
  std::vector<Inner> out;
  for (const PppFrame& p : c.ppp) {
    if (p.from_server != from_server || p.protocol != wire::ppp::kCompressed) continue;
    Bytes m = p.info;
    auto in = rx->decrypt(m);
    EXPECT_TRUE(in.ok()) << crypto::mppe_verdict_text(in.verdict) << " in frame " << p.frame;
    EXPECT_EQ(in.lost, 0) << "frame " << p.frame;
    if (!in.ok()) continue;
    const size_t pl = in.data[0] & 1 ? 1 : 2;  // the inner protocol, compressed (PFC) if odd
    EXPECT_GT(in.data.size(), pl) << "frame " << p.frame;
    if (in.data.size() <= pl) continue;
    const uint16_t proto = pl == 1 ? in.data[0] : load16(in.data.data());
    EXPECT_TRUE(proto == wire::ppp::kIp4 || proto == wire::ppp::kIp6) << proto;
    Inner i{p.frame, in.header.count, Bytes(in.data.begin() + pl, in.data.end())};
    EXPECT_TRUE(valid_ip(i.ip)) << "frame " << p.frame;
    out.push_back(std::move(i));
  }
  return out;
}

// Inner IPv4 packets of protocol proto, and their transport part.
std::vector<std::pair<wire::Ip4Repr, Bytes>> v4(const std::vector<Inner>& in, uint8_t proto) {
  std::vector<std::pair<wire::Ip4Repr, Bytes>> out;
  for (const Inner& i : in) {
    auto h = wire::Ip4Repr::parse(i.ip);
    if (h && h->proto == proto)
      out.emplace_back(*h, Bytes(i.ip.begin() + h->header_len, i.ip.end()));
  }
  return out;
}

// What the reference holds: the client's 20 echo requests and the server's
// 20 replies; the client's 200000 bytes from SYN to FIN, and the server's
// acknowledgement of all of them.
void check_traffic(const Capture& c) {
  auto requests = v4(c.to_server, wire::ipproto::kIcmp);
  auto replies = v4(c.to_client, wire::ipproto::kIcmp);
  ASSERT_EQ(requests.size(), size_t(kPings));
  ASSERT_EQ(replies.size(), size_t(kPings));
  for (int i = 0; i < kPings; i++) {
    auto q = wire::IcmpRepr::parse(requests[i].second);
    auto r = wire::IcmpRepr::parse(replies[i].second);
    ASSERT_TRUE(q && r);
    EXPECT_EQ(q->type, wire::icmp::kEchoRequest);
    EXPECT_EQ(r->type, wire::icmp::kEchoReply);
    EXPECT_EQ(q->seq(), i + 1);
    EXPECT_EQ(r->rest, q->rest) << "the reply's id and sequence";
    EXPECT_EQ(requests[i].first.src, c.client.inner);
    EXPECT_EQ(requests[i].first.dst, c.server.inner);
  }
  std::optional<uint32_t> isn;
  std::vector<bool> have(kTcpBytes);
  bool fin = false;
  for (auto& [h, t] : v4(c.to_server, wire::ipproto::kTcp)) {
    auto s = wire::TcpRepr::parse_unchecked(t);
    ASSERT_TRUE(s);
    if (s->syn()) isn = s->seq;
    ASSERT_TRUE(isn) << "data before the SYN";
    const uint32_t at = s->seq - *isn - 1;
    for (size_t k = 0; k < s->payload.size(); k++) {
      ASSERT_LT(at + k, kTcpBytes);
      have[at + k] = true;
    }
    fin |= s->fin() && at + s->payload.size() == kTcpBytes;
  }
  ASSERT_TRUE(isn);
  EXPECT_EQ(std::count(have.begin(), have.end(), false), 0) << "every byte of the 200 kB";
  EXPECT_TRUE(fin);
  uint32_t acked = 0;
  for (auto& [h, t] : v4(c.to_client, wire::ipproto::kTcp)) {
    auto s = wire::TcpRepr::parse_unchecked(t);
    if (s && s->ack_set() && wire::seq_gt(s->ack - *isn, acked)) acked = s->ack - *isn;
  }
  EXPECT_EQ(acked, kTcpBytes + 2) << "the server acknowledged the SYN, the data and the FIN";
}

Capture load(const std::string& name, int proto, std::shared_ptr<const crypto::Libcrypto> lib) {
  Capture c;
  c.proto = proto;
  std::string err;
  c.frames = read_pcap(std::string(NINET_PEER_SAMPLES) + "/" + name, &err);
  EXPECT_FALSE(c.frames.empty()) << name << ": " << err;
  if (c.frames.empty()) return c;
  analyse(c);
  if (testing::Test::HasFatalFailure()) return c;
  derive_keys(c, *lib);
  if (testing::Test::HasFatalFailure()) return c;
  c.to_server = decrypt_all(c, false, lib);
  c.to_client = decrypt_all(c, true, lib);
  return c;
}

// Records what IP delivers on the session's interface (b at the transport
// header, the IP header before it), and leaves echo requests to ICMP, which
// answers them through the session. The rest it takes: the test's stack has
// no TCP.
struct Recorder : InputHook {
  int ifc = -1;
  std::vector<Bytes> packets;
  bool claim(const HookIn& in, BlockPtr& b) override {
    if (in.ifc.index != ifc || !in.ip) return false;
    const uint8_t* p = b->push(in.ip->net_len);
    packets.emplace_back(p, p + b->size());
    b->pull(in.ip->net_len);
    if (in.ip->proto == wire::ipproto::kIcmp && b->size() > 0 &&
        b->data()[0] == wire::icmp::kEchoRequest)
      return false;
    b.reset();
    return true;
  }
};

// A stack playing one end of the capture (us) towards the other (peer).
struct Stack {
  Recorder rec;  // outlives ip, whose hook table points at it
  ManualClock clock;
  Pool pool;
  std::vector<TestMedium*> media;
  std::unique_ptr<Pipex> px;
  Ip ip;
  std::unique_lock<std::mutex> l{ip.mu};
  Ifc* eth = nullptr;
  Ifc* pppac = nullptr;

  explicit Stack(const Mac& mac)
      : ip(clock, pool, [this, mac](std::string_view kind, std::string_view) {
          if (kind == "pipex") return Result<std::unique_ptr<Medium>>(px->make_medium());
          auto t = std::make_unique<TestMedium>(true, mac);
          media.push_back(t.get());
          return Result<std::unique_ptr<Medium>>(std::move(t));
        }) {
    px = std::make_unique<Pipex>(ip);
  }
  ~Stack() { px.reset(); }

  void setup(int proto, const Side& us, const Side& peer) {
    px->enabled = true;
    ip.add_proto(make_icmp(ip));
    ip.add_proto(make_udp(ip));
    eth = *ip.ifc_clone();
    ASSERT_TRUE(ip.ifc_ctl(*eth, "bind ether eth0"));
    if (proto != PIPEX_PROTO_PPPOE) {
      ASSERT_TRUE(ip.ifc_ctl(*eth, "add " + us.outer.str() + " 255.255.255.0"));
      ASSERT_TRUE(ip.arp_ctl("add " + peer.outer.str() + " " + peer.mac.str()));
    }
    pppac = *ip.ifc_clone();
    ASSERT_TRUE(ip.ifc_ctl(*pppac, "bind pipex"));
    ASSERT_TRUE(ip.ifc_ctl(*pppac, "add " + us.inner.str() + " 255.255.255.255"));
    int one = 1;
    ASSERT_EQ(px->ioctl(*pppac, PIPEXSMODE, &one), 0);
    if (proto == PIPEX_PROTO_L2TP) {  // the daemon's conversation
      Proto* u = ip.proto("udp");
      Conv* c = *u->clone("l2tpd");
      ASSERT_TRUE(u->ctl_message(*c, "announce 1701", l, nullptr));
    }
    rec.ifc = pppac->index;
    for (uint8_t p :
         {wire::ipproto::kIcmp, wire::ipproto::kTcp, wire::ipproto::kUdp, wire::ipproto::kIcmp6})
      ip.hooks.add_ipproto(p, &rec);
    pump();
    media[0]->sent.clear();
  }
  void pump() {
    for (int i = 0; i < 16; i++) {
      ip.flush();
      if (ip.poll() == 0) break;
    }
  }
  std::vector<Frame> sent() {
    std::vector<Frame> v;
    for (auto& b : media[0]->sent)
      v.push_back({0, Bytes(b->data(), b->data() + b->size())});
    media[0]->sent.clear();
    return v;
  }
};

// The request a daemon on `us` would make after capture frame `start`: the
// ids, addresses and keys of the recording; PPTP's sequence state as the
// daemon left it.
pipex_session_req request(const Capture& c, const Side& us, const Side& peer, bool as_server,
                          size_t start) {
  pipex_session_req r{};
  r.pr_protocol = c.proto;
  r.pr_session_id = us.id;
  r.pr_peer_session_id = peer.id;
  r.pr_ppp_id = 1;
  r.pr_peer_mru = 1500;
  r.pr_ppp_flags = PIPEX_PPP_MPPE_ACCEPTED | PIPEX_PPP_MPPE_ENABLED | PIPEX_PPP_MPPE_REQUIRED |
                   PIPEX_PPP_INGRESS_FILTER;
  if (us.acked_pfc) r.pr_ppp_flags |= PIPEX_PPP_PFC_ACCEPTED;
  if (us.acked_acfc) r.pr_ppp_flags |= PIPEX_PPP_ACFC_ACCEPTED;
  if (peer.acked_pfc) r.pr_ppp_flags |= PIPEX_PPP_PFC_ENABLED;
  if (peer.acked_acfc) r.pr_ppp_flags |= PIPEX_PPP_ACFC_ENABLED;
  pipextest::put_addr(us.inner, &r.pr_ip_srcaddr);
  pipextest::put_addr(peer.inner, &r.pr_ip_address);
  r.pr_ip_netmask.s_addr = 0xffffffff;
  r.pr_mppe_recv.stateless = r.pr_mppe_send.stateless = 1;
  r.pr_mppe_recv.keylenbits = r.pr_mppe_send.keylenbits = 128;
  std::memcpy(r.pr_mppe_recv.master_key, us.recv_key.data(), 16);
  std::memcpy(r.pr_mppe_send.master_key, us.send_key.data(), 16);
  switch (c.proto) {
    case PIPEX_PROTO_PPPOE:
      pipextest::set_peer_mac(r, peer.mac);
      std::strcpy(r.pr_proto.pppoe.over_ifname, "eth0");
      break;
    case PIPEX_PROTO_PPTP: {
      r.pr_ppp_flags |= PIPEX_PPP_HAS_ACF;
      pipextest::set_sockaddr(r.pr_peer_address, peer.outer, 0);
      pipextest::set_sockaddr(r.pr_local_address, us.outer, 0);
      auto& st = r.pr_proto.pptp;
      for (const PppFrame& p : c.ppp) {
        if (p.frame > start) break;
        const bool ours = p.from_server == as_server;
        if (p.seq) (ours ? st.snd_nxt : st.rcv_nxt) = *p.seq + 1;
        if (p.ack) (ours ? st.rcv_acked : st.snd_una) = *p.ack + 1;
      }
      break;
    }
    default:
      r.pr_ppp_flags |= PIPEX_PPP_HAS_ACF;
      pipextest::set_sockaddr(r.pr_peer_address, peer.outer, wire::l2tp::kPort);
      pipextest::set_sockaddr(r.pr_local_address, us.outer, wire::l2tp::kPort);
      r.pr_proto.l2tp.tunnel_id = us.tunnel;
      r.pr_proto.l2tp.peer_tunnel_id = peer.tunnel;
      break;
  }
  return r;
}

// The packets of `in` that came after capture frame `start`.
std::vector<Inner> after(const std::vector<Inner>& in, size_t start) {
  std::vector<Inner> out;
  std::copy_if(in.begin(), in.end(), std::back_inserter(out),
               [&](const Inner& i) { return i.frame > start; });
  return out;
}

// Plays one end: registers its session after capture frame `start`, feeds
// the peer's frames from there on, and checks what the data path made of
// them.
void play(const Capture& c, bool as_server, size_t start,
          std::shared_ptr<const crypto::Libcrypto> lib) {
  SCOPED_TRACE(std::string(as_server ? "as the server" : "as the client") +
               " registered after frame " + std::to_string(start + 1) + " (tshark's numbering)");
  const Side& us = as_server ? c.server : c.client;
  const Side& peer = as_server ? c.client : c.server;
  const std::vector<Inner> expect = after(as_server ? c.to_server : c.to_client, start);
  const std::vector<Inner> answered = after(as_server ? c.to_client : c.to_server, start);
  Stack st(us.mac);
  ASSERT_NO_FATAL_FAILURE(st.setup(c.proto, us, peer));
  pipex_session_req r = request(c, us, peer, as_server, start);
  ASSERT_EQ(st.px->ioctl(*st.pppac, PIPEXASESSION, &r), 0);

  const uint64_t receives = st.ip.stats.InReceives;
  size_t outer_ip = 0;
  std::vector<Frame> out;
  for (size_t i = start + 1; i < c.frames.size(); i++) {
    const Frame& f = c.frames[i];
    if (Mac(f.data.data() + wire::ether::kSrc) != peer.mac) continue;
    const uint16_t type = load16(f.data.data() + wire::ether::kType);
    outer_ip += type == wire::ethertype::kIp4 || type == wire::ethertype::kIp6;
    st.clock.set(f.t);
    st.media[0]->in.push_back(st.pool.copy(f.data.data(), uint32_t(f.data.size())));
    st.pump();
    for (Frame& s : st.sent())
      out.push_back(std::move(s));
  }

  // The session took every MPPE frame and injected what it held.
  Session* s = st.px->find(c.proto, us.id);
  ASSERT_TRUE(s);
  uint64_t bytes = 0;
  for (const Inner& i : expect)
    bytes += i.ip.size();
  EXPECT_EQ(s->stats.ipackets, expect.size());
  EXPECT_EQ(s->stats.ibytes, bytes);
  EXPECT_EQ(s->stats.ierrors, 0u);
  EXPECT_EQ(st.ip.stats.InReceives - receives, outer_ip + expect.size())
      << "each injected packet reached IP input";
  EXPECT_EQ(st.px->counters.InWrongPeer + st.px->counters.InNoSession +
                st.px->counters.InMalformed + st.px->counters.InSeqDrops,
            0u)
      << st.px->counters_text();
  if (c.proto == PIPEX_PROTO_L2TP) {
    // What the fast path does not carry (IPCP and IPV6CP after CCP) went on
    // to the daemon's conversation, whole.
    std::vector<Bytes> to_daemon, queued;
    for (const PppFrame& p : c.ppp)
      if (p.frame > start && p.from_server != as_server && p.protocol != wire::ppp::kCompressed)
        to_daemon.push_back(p.info);
    for (auto& cv : st.ip.proto("udp")->convs)
      if (cv && cv->inuse && cv->lport == wire::l2tp::kPort)
        for (auto& b : cv->rq) {
          auto l = wire::L2tpRepr::parse(b->span());
          auto h = l ? wire::PppRepr::parse(l->payload) : Result<wire::PppRepr>(Err::BadArg);
          ASSERT_TRUE(h);
          queued.emplace_back(h->payload.begin(), h->payload.end());
        }
    if (start == c.ccp_opened) EXPECT_FALSE(to_daemon.empty()) << "IPCP came after CCP";
    EXPECT_EQ(queued, to_daemon);
  }
  // The IPv4 packets IP delivered, byte for byte. (The IPv6 ones, the
  // peers' router solicitations to ff02::2, are not for the stack; the
  // counts above cover them.)
  std::vector<const Inner*> want4;
  for (const Inner& i : expect)
    if (i.ip[0] >> 4 == 4) want4.push_back(&i);
  std::vector<const Bytes*> got4;
  for (const Bytes& p : st.rec.packets)
    if (p[0] >> 4 == 4) got4.push_back(&p);
  EXPECT_EQ(got4.size(), want4.size());
  for (size_t i = 0; i < std::min(got4.size(), want4.size()); i++)
    if (*got4[i] != want4[i]->ip) {
      ADD_FAILURE() << "injected packet " << i << " differs from capture frame "
                    << want4[i]->frame + 1 << "'s";
      break;
    }

  // The stack answered the echo requests through the session; the peer
  // decrypts them with its receive key, to what the recorded server sent.
  auto rx = crypto::Mppe::create(lib, {128, true, peer.recv_key});
  ASSERT_TRUE(rx);
  std::vector<Bytes> replies;
  uint32_t seq = r.pr_proto.pptp.snd_nxt;  // PPTP: the daemon's numbering continues
  for (PppFrame& p : ppp_frames(out, c.proto)) {
    if (p.protocol != wire::ppp::kCompressed) continue;
    EXPECT_EQ(p.id, peer.id) << "sent to the peer's id";
    EXPECT_EQ(p.tunnel, peer.tunnel);
    if (c.proto == PIPEX_PROTO_PPTP) {
      ASSERT_TRUE(p.seq);
      EXPECT_EQ(*p.seq, seq++);
    }
    auto in = rx->decrypt(p.info);
    ASSERT_TRUE(in.ok()) << crypto::mppe_verdict_text(in.verdict);
    EXPECT_EQ(in.lost, 0);
    ASSERT_EQ(load16(in.data.data()), wire::ppp::kIp4);
    Bytes ip(in.data.begin() + 2, in.data.end());
    ASSERT_TRUE(valid_ip(ip));
    auto h = wire::Ip4Repr::parse(ip);
    EXPECT_EQ(h->src, us.inner);
    EXPECT_EQ(h->dst, peer.inner);
    replies.emplace_back(ip.begin() + h->header_len, ip.end());
  }
  if (as_server) {
    auto recorded = v4(answered, wire::ipproto::kIcmp);
    ASSERT_EQ(replies.size(), recorded.size()) << "one reply per echo request";
    for (size_t i = 0; i < replies.size(); i++)
      EXPECT_EQ(replies[i], recorded[i].second) << "reply " << i << ": ICMP as Linux's";
  } else {
    EXPECT_TRUE(replies.empty()) << "the client's stack was asked nothing";
  }
}

void run(const std::string& name, int proto) {
  const std::string path = std::string(NINET_PEER_SAMPLES) + "/" + name;
  if (access(path.c_str(), R_OK) != 0) GTEST_SKIP() << path << " is absent";
  auto lib = crypto::Libcrypto::open();
  ASSERT_TRUE(lib) << lib.error().text();
  Capture c = load(name, proto, *lib);
  ASSERT_FALSE(testing::Test::HasFailure());
  ASSERT_NO_FATAL_FAILURE(check_traffic(c));
  // Registered as soon as CCP opened, the session sees every MPPE packet
  // from the first (count 0).
  ASSERT_EQ(c.to_server.front().count, 0);
  ASSERT_EQ(c.to_client.front().count, 0);
  ASSERT_LT(c.ccp_opened, c.to_server.front().frame);
  ASSERT_LT(c.ccp_opened, c.to_client.front().frame);
  play(c, true, c.ccp_opened, *lib);
  play(c, false, c.ccp_opened, *lib);
  // npppd registers it when IPCP opened. MPPE packets went before that (the
  // peers' IPv6 once IPV6CP opened), which the daemon had: the data path's
  // first packet has a count above 0 and its stateless receiver catches up.
  auto late = after(c.to_server, c.ipcp_opened);
  ASSERT_FALSE(late.empty());
  EXPECT_GT(late.front().count, 0) << "this capture does not make the receiver catch up";
  play(c, true, c.ipcp_opened, *lib);
}

TEST(PipexSamples, Pppoe) {
  run("pppoe.pcap", PIPEX_PROTO_PPPOE);
}

TEST(PipexSamples, Pptp) {
  run("pptp.pcap", PIPEX_PROTO_PPTP);
}

TEST(PipexSamples, L2tp) {
  run("l2tp.pcap", PIPEX_PROTO_L2TP);
}

}  // namespace
}  // namespace ninet::pipex
