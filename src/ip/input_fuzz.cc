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

namespace ninet {
namespace {

class SinkMedium : public Medium {
 public:
  SinkMedium(bool ether) : ether_(ether) {}
  std::string_view name() const override { return ether_ ? "ether" : "pkt"; }
  bool link_header() const override { return ether_; }
  Mac hwaddr() const override {
    uint8_t m[6] = {2, 0, 0, 0, 0, uint8_t(ether_)};
    return Mac(m);
  }
  int default_mtu() const override { return ether_ ? 1514 : 1280; }
  size_t recv(Batch&, Pool&, size_t) override { return 0; }
  void send(Batch& b) override {
    sent += b.size();
    b.clear();
  }
  Status add_multi(const Mac&) override { return {}; }
  Status rem_multi(const Mac&) override { return {}; }
  size_t sent = 0;

 private:
  bool ether_;
};

struct World {
  ManualClock clock;
  Pool pool;
  Ip ip{clock, pool, [](std::string_view kind, std::string_view) {
          return Result<std::unique_ptr<Medium>>(
              std::unique_ptr<Medium>(std::make_unique<SinkMedium>(kind == "ether")));
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
