// pipex_pcap — runs the frames of a capture through a ninet stack with
// pipex sessions and writes what the stack sends to another capture, so that
// implementations that are not ninet's can build the input (scapy) and check
// the output (scapy, tshark): tests/interop/pipex_scapy.sh.
//
//   pipex_pcap IN.pcap OUT.pcap
//
// The stack: an Ethernet interface (MAC 52:54:00:00:00:01, 192.0.2.2/24 and
// 2001:db8:1::2/64) whose peer is 192.0.2.1 at 02:00:00:00:00:01, the
// daemon's UDP conversation announced on 1701, and a `bind pipex` interface
// with three sessions from that peer:
//   L2TP  session 7 (peer tunnel 2, peer session 107), framed 10.0.0.7, 2001:db8:7::/64
//   PPTP  call 8 (peer call 108),                      framed 10.0.0.8, 2001:db8:8::/64
//   PPPoE session 9,                                   framed 10.0.0.9, 2001:db8:9::/64
// An ICMP echo to one of the stack's addresses comes back through the
// session it came from. Prints "in N out M" and each session's statistics.
#include <arpa/inet.h>
#include <pcap/pcap.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "ip/ip.h"
#include "media/testing.h"
#include "pipex/sessions.h"
#include "proto/icmp.h"
#include "proto/icmp6.h"
#include "proto/udp.h"

namespace {

using namespace ninet;
using namespace ninet::pipex;

const uint8_t kPeerMac[6] = {0x02, 0, 0, 0, 0, 0x01};

pipex_session_req session(int proto, uint16_t id) {
  pipex_session_req r{};
  r.pr_protocol = proto;
  r.pr_session_id = id;
  r.pr_peer_session_id = uint16_t(id + 100);
  r.pr_ppp_id = id;
  r.pr_peer_mru = 1460;
  r.pr_ppp_flags = PIPEX_PPP_ACFC_ACCEPTED | PIPEX_PPP_PFC_ACCEPTED;
  inet_pton(AF_INET, ("10.0.0." + std::to_string(id)).c_str(), &r.pr_ip_address);
  r.pr_ip6_address.sin6_family = AF_INET6;
  inet_pton(AF_INET6, ("2001:db8:" + std::to_string(id) + "::").c_str(),
            &r.pr_ip6_address.sin6_addr);
  r.pr_ip6_prefixlen = 64;
  if (proto == PIPEX_PROTO_PPPOE) {
    auto& p = reinterpret_cast<sockaddr&>(r.pr_peer_address);
    p.sa_family = AF_UNSPEC;
    std::memcpy(p.sa_data, kPeerMac, 6);
    std::strcpy(r.pr_proto.pppoe.over_ifname, "eth");
    return r;
  }
  r.pr_ppp_flags |= PIPEX_PPP_HAS_ACF;
  auto& p = reinterpret_cast<sockaddr_in&>(r.pr_peer_address);
  p.sin_family = AF_INET;
  p.sin_port = htons(proto == PIPEX_PROTO_L2TP ? 1701 : 0);
  inet_pton(AF_INET, "192.0.2.1", &p.sin_addr);
  auto& l = reinterpret_cast<sockaddr_in&>(r.pr_local_address);
  l.sin_family = AF_INET;
  l.sin_port = p.sin_port;
  inet_pton(AF_INET, "192.0.2.2", &l.sin_addr);
  if (proto == PIPEX_PROTO_L2TP) {
    r.pr_proto.l2tp.tunnel_id = 1;
    r.pr_proto.l2tp.peer_tunnel_id = 2;
  } else {
    r.pr_proto.pptp.maxwinsz = 64;
  }
  return r;
}

int fail(const std::string& why) {
  std::fprintf(stderr, "pipex_pcap: %s\n", why.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return fail("usage: pipex_pcap IN.pcap OUT.pcap");
  char err[PCAP_ERRBUF_SIZE];
  std::unique_ptr<pcap_t, void (*)(pcap_t*)> in(pcap_open_offline(argv[1], err), pcap_close);
  if (!in) return fail(err);
  if (pcap_datalink(in.get()) != DLT_EN10MB) return fail("the input is not Ethernet");
  std::unique_ptr<pcap_t, void (*)(pcap_t*)> dead(pcap_open_dead(DLT_EN10MB, 65535), pcap_close);
  std::unique_ptr<pcap_dumper_t, void (*)(pcap_dumper_t*)> out(pcap_dump_open(dead.get(), argv[2]),
                                                               pcap_dump_close);
  if (!out) return fail(pcap_geterr(dead.get()));

  ManualClock clock;
  Pool pool;
  std::vector<TestMedium*> media;
  std::unique_ptr<Pipex> px;
  Ip ip(clock, pool, [&](std::string_view kind, std::string_view path) {
    if (kind == "pipex") return Result<std::unique_ptr<Medium>>(px->make_medium());
    return TestMedium::factory(&media)(kind, path);
  });
  std::unique_lock<std::mutex> l(ip.mu);
  px = std::make_unique<Pipex>(ip);
  px->enabled = true;
  ip.add_proto(make_icmp(ip));
  ip.add_proto(make_icmp6(ip));
  ip.add_proto(make_udp(ip));
  Ifc* eth = *ip.ifc_clone();
  Ifc* pppac = *ip.ifc_clone();
  std::string tag;
  for (auto [f, msg] : {std::pair{eth, "bind ether eth"},
                        {eth, "add 192.0.2.2 255.255.255.0"},
                        {eth, "add 2001:db8:1::2 /64"},
                        {pppac, "bind pipex"}}) {
    if (auto st = ip.ifc_ctl(*f, msg); !st)
      return fail(std::string(msg) + ": " + st.error().text());
  }
  if (auto st = ip.arp_ctl("add 192.0.2.1 020000000001"); !st) return fail(st.error().text());
  int one = 1;
  px->ioctl(*pppac, PIPEXSMODE, &one);
  Proto* udp = ip.proto("udp");
  Conv* daemon = *udp->clone("daemon");
  if (auto st = udp->ctl_message(*daemon, "announce 1701", l, nullptr); !st)
    return fail(st.error().text());
  for (auto [p, id] :
       {std::pair{PIPEX_PROTO_L2TP, 7}, {PIPEX_PROTO_PPTP, 8}, {PIPEX_PROTO_PPPOE, 9}}) {
    auto r = session(p, uint16_t(id));
    if (int e = px->ioctl(*pppac, PIPEXASESSION, &r))
      return fail("add session: " + std::string(strerror(e)));
  }
  auto pump = [&] {
    for (int i = 0; i < 16; i++) {
      ip.flush();
      if (ip.poll() == 0) break;
    }
  };
  pump();
  media[0]->sent.clear();  // what adding addresses sent (neighbour discovery)

  int nin = 0, nout = 0;
  pcap_pkthdr* h;
  const u_char* data;
  while (pcap_next_ex(in.get(), &h, &data) == 1) {
    nin++;
    media[0]->in.push_back(pool.copy(data, h->caplen));
    pump();
    for (auto& b : media[0]->sent) {
      pcap_pkthdr oh = *h;
      oh.caplen = oh.len = b->size();
      pcap_dump(reinterpret_cast<u_char*>(out.get()), &oh, b->data());
      nout++;
    }
    media[0]->sent.clear();
  }
  std::printf("in %d out %d\n", nin, nout);
  px->for_each([](const Session& s) {
    std::printf("session %d.%u ipackets %llu ierrors %llu opackets %llu oerrors %llu\n", s.protocol,
                s.id, (unsigned long long)s.stats.ipackets, (unsigned long long)s.stats.ierrors,
                (unsigned long long)s.stats.opackets, (unsigned long long)s.stats.oerrors);
  });
  px.reset();  // before ip: its sessions' routes and hooks are ip's
  return 0;
}
