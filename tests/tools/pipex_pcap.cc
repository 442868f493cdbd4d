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
#include <pcap/pcap.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "ip/ip.h"
#include "media/testing.h"
#include "pipex/sessions.h"
#include "pipex/testing.h"
#include "proto/icmp.h"
#include "proto/icmp6.h"
#include "proto/udp.h"

namespace {

using namespace ninet;
using namespace ninet::pipex;

// The test network's session (pipex/testing.h) with a peer MRU of 1460, on
// interface "eth", and an IPv6 prefix 2001:db8:id::/64.
pipex_session_req session(int proto, uint16_t id) {
  pipex_session_req r = pipextest::session_req(proto, id, "eth");
  r.pr_peer_mru = 1460;
  pipextest::set_ip6_prefix(r, "2001:db8:" + std::to_string(id) + "::", 64);
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
