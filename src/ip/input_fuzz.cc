// input_fuzz — the whole receive path of a configured stack under hostile
// input: each fuzzer input is split into packets, fed as Ethernet frames to an
// ether interface and as IP packets to a pkt interface, with forwarding,
// ARP/ND, reassembly, ICMP errors and timers all live. Nothing may crash,
// leak (ASan) or grow without bound.
//
//   tests/fuzz/run.sh 60        (builds with -DNINET_FUZZ=ON, runs every target)
#include <cstdint>
#include <cstring>
#include <deque>

#include "ip/ip.h"
#include "media/testing.h"

namespace ninet {
namespace {

struct World {
  ManualClock clock;
  Pool pool;
  std::vector<TestMedium*> media;
  Ip ip{clock, pool, [this](std::string_view kind, std::string_view path) {
          auto m = TestMedium::factory(&media)(kind, path);
          media.back()->keep_sent = false;  // count what is sent, keep nothing
          return m;
        }};
  Ifc* eth;
  Ifc* pkt;
  World() {
    eth = *ip.ifc_clone();
    (void)ip.ifc_ctl(*eth, "bind ether fuzz0");
    (void)ip.ifc_ctl(*eth, "add 10.0.0.1 255.255.255.0");
    (void)ip.ifc_ctl(*eth, "add6 fd00::1 64");
    (void)ip.ifc_ctl(*eth, "iprouting 1");
    (void)ip.ifc_ctl(*eth, "ra6 recvra 1 sendra 1");
    pkt = *ip.ifc_clone();
    (void)ip.ifc_ctl(*pkt, "bind pkt");
    (void)ip.ifc_ctl(*pkt, "add 10.1.0.1 255.255.255.0 10.1.0.2 1280 proxy");
    (void)ip.ifc_ctl(*pkt, "add6 fd01::1 64");
    (void)ip.ifc_ctl(*pkt, "iprouting 1");
    std::string tag;
    (void)ip.route_ctl("add 0.0.0.0 0.0.0.0 10.0.0.2", tag);
    (void)ip.route_ctl("add :: /0 fd00::2", tag);
  }
};

}  // namespace
}  // namespace ninet

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ninet::World* w = new ninet::World;  // state carries over, as in a real stack
  using namespace ninet;
  std::lock_guard<std::mutex> g(w->ip.mu);
  // Packets: [flags:1][len:2][bytes...] repeated.
  size_t i = 0;
  while (i + 3 <= size) {
    uint8_t flags = data[i];
    size_t len = size_t(data[i + 1]) << 8 | data[i + 2];
    i += 3;
    len = std::min(len, size - i);
    Batch b;
    b.push_back(w->pool.copy(data + i, uint32_t(len)));
    w->ip.input((flags & 1) ? *w->pkt : *w->eth, b);
    i += len;
    if (flags & 2) {
      w->clock.advance(ms(flags & 0x80 ? 40000 : 700));
      w->ip.tick();
    }
  }
  w->ip.flush();
  // Bounded state: reassembly within its memory bound, ARP table bounded.
  if (w->ip.reasm.memory() > Reassembler::kDefaultMemLimit + 70000) __builtin_trap();
  if (w->ip.arp.size() > ArpCache::kCapacity) __builtin_trap();
  return 0;
}
