// tcp_input_fuzz — TCP's state machine under hostile segments. A stack with
// a pkt interface (10.0.0.1, fd00::1), a listener on port 80 and a
// connection it opens to 10.0.0.9!7 gets segments from the input, each
// wrapped by the harness in an IP header from 10.0.0.9 (or fd00::9) with a
// correct TCP checksum, so the fuzzer spends its effort on TCP, not on
// checksums. Between segments the clock moves and timers run; data written
// and read on the conversations keeps both directions busy. Nothing may
// crash, leak (ASan) or hang, and the counters must stay consistent.
//
//   sh tests/fuzz/run.sh 60 tcp_input_fuzz
//
// Input: [ctl:1][len:2][tcp segment: len bytes] repeated. ctl bit 0: IPv6;
// bits 1-3: clock step (0, 1 ms, 40 ms, 200 ms, 1 s, 3 s, 60 s, 130 s);
// bit 4: write 3000 bytes on every conversation; bit 5: read all.
#include <atomic>
#include <cstdint>
#include <cstring>
#include <vector>

#include "base/checksum.h"
#include "base/endian.h"
#include "base/fuzz_check.h"
#include "ip/ip.h"
#include "media/testing.h"
#include "proto/tcp/tcp.h"
#include "wire/ip4.h"
#include "wire/ip6.h"

namespace ninet {
namespace {

const std::atomic<bool> kNoWait{true};

struct World {
  ManualClock clock;
  Pool pool;
  std::vector<TestMedium*> media;
  Ip ip{clock, pool, [this](std::string_view kind, std::string_view path) {
          auto m = TestMedium::factory(&media)(kind, path);
          media.back()->keep_sent = false;
          return m;
        }};
  Proto* tcp;
  std::unique_lock<std::mutex> l{ip.mu};
  World() {
    ip.rng.seed(1);
    ip.add_proto(make_tcp(ip));
    tcp = ip.proto("tcp");
    Ifc* f = *ip.ifc_clone();
    (void)ip.ifc_ctl(*f, "bind pkt");
    (void)ip.ifc_ctl(*f, "add 10.0.0.1 255.255.255.0");
    (void)ip.ifc_ctl(*f, "add6 fd00::1 64");
    Conv* lis = *tcp->clone("fuzz");
    (void)tcp->ctl_message(*lis, "announce 80", l, nullptr);
    Conv* c = *tcp->clone("fuzz");
    (void)tcp->ctl_message(*c, "connect 10.0.0.9!7 4000", l, &kNoWait);
  }
};

// Wraps seg in an IP header from the peer to us, fixing the TCP checksum
// if the segment is long enough to have one.
BlockPtr packet(World& w, bool v6, const uint8_t* seg, size_t n) {
  Ipaddr src = *Ipaddr::parse(v6 ? "fd00::9" : "10.0.0.9");
  Ipaddr dst = *Ipaddr::parse(v6 ? "fd00::1" : "10.0.0.1");
  std::vector<uint8_t> tcp(seg, seg + n);
  if (n >= 18) {
    store16(tcp.data() + 16, 0);
    uint32_t sum = csum_pseudo(src, dst, 6, uint32_t(n));
    store16(tcp.data() + 16, csum_fold(csum_partial(tcp.data(), n, sum)));
  }
  BlockPtr b = w.pool.alloc();
  if (v6) {
    wire::Ip6Repr h;
    h.src = src;
    h.dst = dst;
    h.next_header = 6;
    h.hop_limit = 64;
    h.payload_len = uint16_t(n);
    h.emit(b->put(40));
  } else {
    wire::Ip4Repr h;
    h.src = src;
    h.dst = dst;
    h.proto = 6;
    h.ttl = 64;
    h.total_len = uint16_t(20 + n);
    h.header_len = 20;
    h.emit(b->put(20));
  }
  b->append(tcp.data(), uint32_t(n));
  return b;
}

}  // namespace
}  // namespace ninet

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ninet;
  static World* w = new World;  // state carries over, as in a real stack
  static const Time kSteps[8] = {0, ms(1), ms(40), ms(200), sec(1), sec(3), sec(60), sec(130)};
  size_t i = 0;
  while (i + 3 <= size) {
    uint8_t ctl = data[i];
    size_t len = std::min<size_t>(size_t(data[i + 1]) << 8 | data[i + 2], size - i - 3);
    i += 3;
    len = std::min<size_t>(len, 1400);
    w->media[0]->in.push_back(packet(*w, ctl & 1, data + i, len));
    i += len;
    w->clock.advance(kSteps[(ctl >> 1) & 7]);
    w->ip.poll();
    w->ip.tick();
    for (auto& c : w->tcp->convs) {
      if (!c->inuse || !c->ext) continue;
      if (ctl & 0x10) {
        static const std::vector<uint8_t> junk(3000, 'x');
        if (size_t room = w->tcp->send_space(*c))
          (void)w->tcp->write(*c, {junk.data(), std::min(room, junk.size())});
      }
      if (ctl & 0x20) {
        std::vector<uint8_t> buf(65536);
        while (c->rq_bytes) {
          auto n = c->read(w->l, buf, &kNoWait);
          if (!n.ok() || *n == 0) break;
        }
      }
      FUZZ_CHECK(c->rq_bytes <= c->rq_limit);
    }
    w->ip.tick();
  }
  return 0;
}
