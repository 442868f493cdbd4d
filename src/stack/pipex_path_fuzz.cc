// pipex_path_fuzz — pipex's data path (src/pipex/datapath.cc) under hostile
// input: a stack with L2TP (sequenced, with stateless MPPE), PPTP (stateful
// MPPE) and PPPoE sessions, the daemon's UDP conversation, and a pkt
// interface towards hosts. Each fuzzer input is split into records; each is
// wrapped as its flags say — in a valid tunnel header of one of the sessions
// (so the fuzzer reaches PPP, MPPE, CCP and IP at once), or sent raw as an
// Ethernet frame, or as an IP packet from the hosts that routes may send into
// a session — and the stack runs. Nothing may crash, leak (ASan) or break the
// invariants: a session never delivers more than it received, nor sends
// bytes it did not count.
//
//   sh tests/fuzz/run.sh 60 pipex_path_fuzz

#include <cstdint>
#include <cstring>
#include <string>

#include "base/fuzz_check.h"
#include "ip/ip.h"
#include "media/testing.h"
#include "pipex/sessions.h"
#include "pipex/testing.h"
#include "proto/icmp.h"
#include "proto/udp.h"

namespace ninet::pipex {
namespace {

using namespace pipextest;

struct World {
  ManualClock clock;
  Pool pool;
  std::vector<TestMedium*> media;
  std::unique_ptr<Pipex> px;
  Ip ip{clock, pool, [this](std::string_view kind, std::string_view path) {
          if (kind == "pipex") return Result<std::unique_ptr<Medium>>(px->make_medium());
          auto m = TestMedium::factory(&media)(kind, path);
          media.back()->keep_sent = false;
          return m;
        }};
  Ifc* eth = nullptr;
  Ifc* hosts = nullptr;
  Ifc* pppac = nullptr;

  World() {
    std::unique_lock<std::mutex> l(ip.mu);
    px = std::make_unique<Pipex>(ip);
    px->enabled = true;
    ip.add_proto(make_icmp(ip));
    ip.add_proto(make_udp(ip));
    eth = *ip.ifc_clone();
    (void)ip.ifc_ctl(*eth, "bind ether fuzz0");
    (void)ip.ifc_ctl(*eth, "add 192.0.2.2 255.255.255.0");
    (void)ip.ifc_ctl(*eth, "iprouting");
    (void)ip.arp_ctl("add 192.0.2.1 020000000001");
    hosts = *ip.ifc_clone();
    (void)ip.ifc_ctl(*hosts, "bind pkt");
    (void)ip.ifc_ctl(*hosts, "add 198.51.100.1 255.255.255.0");
    (void)ip.ifc_ctl(*hosts, "iprouting");
    pppac = *ip.ifc_clone();
    (void)ip.ifc_ctl(*pppac, "bind pipex");
    int one = 1;
    (void)px->ioctl(*pppac, PIPEXSMODE, &one);
    Proto* u = ip.proto("udp");
    Conv* c = *u->clone("daemon");
    (void)u->ctl_message(*c, "announce 1701", l, nullptr);
    add_missing();
  }

  // The three sessions, again if a timer ended one.
  void add_missing() {
    if (!px->find(PIPEX_PROTO_L2TP, 1)) add(PIPEX_PROTO_L2TP, 1, true, true);
    if (!px->find(PIPEX_PROTO_PPTP, 2)) add(PIPEX_PROTO_PPTP, 2, true, false);
    if (!px->find(PIPEX_PROTO_PPPOE, 3)) add(PIPEX_PROTO_PPPOE, 3, false, false);
  }

  // The test network's session (pipex/testing.h) with this target's own
  // settings: no PPP id, a 30 s timeout for PPPoE, MSS clamping and the
  // ingress filter, an IPv6 prefix, MPPE neither required nor keyed, UDP
  // port 1701 for PPTP too, and no L2TP tunnel ids but sequencing (the
  // union written as PPTP's snd_nxt 1 and maxwinsz 8 for both).
  void add(int proto, uint16_t id, bool mppe, bool stateless) {
    pipex_session_req r = session_req(proto, id, "fuzz0");
    r.pr_ppp_id = 0;
    r.pr_timeout_sec = proto == PIPEX_PROTO_PPPOE ? 30 : 0;
    r.pr_ppp_flags |= PIPEX_PPP_ADJUST_TCPMSS | PIPEX_PPP_INGRESS_FILTER;
    set_ip6_prefix(r, "2001:db8:" + std::to_string(id) + "::", 64);
    if (mppe) set_mppe(r, stateless, false);
    if (proto != PIPEX_PROTO_PPPOE) {
      set_sockaddr(r.pr_peer_address, kPeer, 1701);
      set_sockaddr(r.pr_local_address, kUs, 1701);
      std::memset(&r.pr_proto, 0, sizeof r.pr_proto);
      r.pr_proto.l2tp.option_flags = PIPEX_L2TP_USE_SEQUENCING;  // (pptp: snd_nxt)
      r.pr_proto.pptp.maxwinsz = 8;
    }
    (void)px->ioctl(*pppac, PIPEXASESSION, &r);
  }

  // A frame of the peer's (pipex/testing.h; IPv4's id 0) in a pool block.
  BlockPtr copy(const Bytes& f) { return pool.copy(f.data(), uint32_t(f.size())); }
};

}  // namespace
}  // namespace ninet::pipex

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ninet;
  using namespace ninet::pipex;
  static World* w = new World;  // state carries over: keys, sequence numbers, timers
  std::lock_guard<std::mutex> g(w->ip.mu);
  w->add_missing();
  // Records: [flags:1][len:2][bytes...]. flags & 7 picks the wrapping:
  // 0 raw Ethernet, 1 L2TP data of session 1, 2 PPTP GRE of session 2,
  // 3 PPPoE session 3, 4 an IP packet from the hosts; flags & 8 advances the
  // clock by 10 s and runs the timers; flags & 16 turns net.pipex.enable.
  size_t i = 0;
  while (i + 3 <= size) {
    const uint8_t flags = data[i];
    size_t len = std::min(size_t(data[i + 1]) << 8 | data[i + 2], size - i - 3);
    std::span<const uint8_t> p(data + i + 3, len);
    i += 3 + len;
    std::vector<uint8_t> body;
    BlockPtr b;
    Ifc* in = w->eth;
    switch (flags & 7) {
      case 1:  // flags, tunnel, session; the fuzzer's bytes after
        body = {0x08, 0x02, 0, 1, 0, 1};
        body.insert(body.end(), p.begin(), p.end());
        b = w->copy(l2tp_in_udp(body, {.ip_id = 0}));
        break;
      case 2: {  // K S A v1, 880b, payload length, call id; seq and ack are the fuzzer's
        const size_t pl = len >= 8 ? len - 8 : 0;
        body = {0x30, 0x81, 0x88, 0x0b, uint8_t(pl >> 8), uint8_t(pl), 0, 2};
        body.insert(body.end(), p.begin(), p.end());
        b = w->copy(gre_in_ip4(body, {.ip_id = 0}));
        break;
      }
      case 3:
        b = w->copy(pppoe_in_ether(pppoe_session(3, Bytes(p.begin(), p.end()))));
        break;
      case 4:
        b = w->pool.copy(p.data(), uint32_t(len));
        in = w->hosts;
        break;
      default:
        b = w->pool.copy(p.data(), uint32_t(len));
        break;
    }
    Batch batch;
    batch.push_back(std::move(b));
    w->ip.input(*in, batch);
    w->ip.flush();
    if (flags & 8) {
      w->clock.advance(sec(10));
      w->ip.tick();
    }
    if (flags & 16) w->px->enabled = !w->px->enabled;
  }
  w->ip.flush();
  w->px->for_each([](const Session& s) {
    // ipackets count what was delivered: never more bytes than 64 KiB each.
    FUZZ_CHECK(s.stats.ibytes <= s.stats.ipackets * 65535);
    FUZZ_CHECK(s.stats.obytes <= s.stats.opackets * 65535 + 65535);
  });
  return 0;
}
