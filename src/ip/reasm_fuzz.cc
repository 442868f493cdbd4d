// reasm_fuzz — the Reassembler under hostile fragment streams. The input is a
// sequence of records:
//
//   00xxxxxx off:2 len:2   a fragment; x: bit 0 IPv6, bit 1 MF, bit 2 corrupt
//                          the payload, bits 3-4 datagram id, bit 5 a longer
//                          first header (IPv4 options / IPv6 Hop-by-Hop)
//   10tttttt               time passes (t seconds): the timers run
//   11xxxxxx size:2 mtu:2 seed:1
//                          fragment_v4/_v6 a datagram (x bit 0: IPv6) and
//                          reassemble it in a shuffled order
//
// Payload bytes are a function of (datagram id, position), so honest
// overlaps carry the same data and a reassembled datagram can be checked
// byte for byte unless a corrupt fragment was fed for its id. Invariants:
// nothing crashes or leaks (ASan); memory() never exceeds the bound by more
// than one fragment; a returned datagram parses and its lengths match; the
// counters add up; everything is gone after the last timeout.
//
//   tests/fuzz/run.sh        (builds with -DNINET_FUZZ=ON and runs every target)
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

#include "base/endian.h"
#include "base/timer.h"
#include "ip/frag.h"

namespace ninet {
namespace {

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c)) {                                                                \
      std::fprintf(stderr, "reasm_fuzz:%d: check failed: %s\n", __LINE__, #c); \
      std::abort();                                                            \
    }                                                                          \
  } while (0)

const Ipaddr kSrc4 = Ipaddr::v4(10, 0, 0, 1), kDst4 = Ipaddr::v4(10, 0, 0, 2);
const Ipaddr kSrc6 = *Ipaddr::parse("fd00::1"), kDst6 = *Ipaddr::parse("fd00::2");

class Reader {
 public:
  Reader(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  bool empty() const { return n_ == 0; }
  uint8_t u8() {
    if (n_ == 0) return 0;
    n_--;
    return *p_++;
  }
  uint16_t u16() { return uint16_t(u8() << 8 | u8()); }

 private:
  const uint8_t* p_;
  size_t n_;
};

uint8_t gen(unsigned id, uint32_t pos) {
  return uint8_t(pos * 131 + (pos >> 8) * 7 + id * 29 + 1);
}

struct Fuzz {
  Pool pool;
  TimerWheel wheel;
  size_t limit;
  Reassembler r;
  Time now = sec(1000);
  bool tainted[2][4] = {};

  explicit Fuzz(size_t l) : limit(l), r(pool, wheel, l) {
    r.set_on_timeout([](BlockPtr first, bool v6) {
      // The first fragment, as it arrived.
      if (v6) {
        auto h = wire::Ip6Repr::parse(first->span());
        CHECK(h.ok());
        auto w = wire::ip6_walk(first->span().subspan(wire::Ip6Repr::kLen), h->next_header);
        CHECK(w.ok() && w->frag && w->frag->offset == 0 && w->frag->more);
      } else {
        auto h = wire::Ip4Repr::parse(first->span());
        CHECK(h.ok() && h->frag_offset == 0 && h->mf);
      }
    });
  }

  // What input.cc does with a fragment: parse, then hand it over.
  BlockPtr deliver(Reassembler& to, BlockPtr b) {
    if ((b->data()[0] >> 4) == 4) {
      auto h = wire::Ip4Repr::parse(b->span());
      CHECK(h.ok());
      if (!h->is_fragment()) return b;
      return to.add_v4(std::move(b), *h, now);
    }
    auto h = wire::Ip6Repr::parse(b->span());
    CHECK(h.ok());
    auto w = wire::ip6_walk(b->span().subspan(wire::Ip6Repr::kLen), h->next_header);
    CHECK(w.ok() && w->frag);
    return to.add_v6(std::move(b), *h, *w, now);
  }

  BlockPtr make_fragment(uint8_t x, uint16_t off_units, uint16_t len) {
    bool v6 = x & 1, more = x & 2, corrupt = x & 4, longer = x & 32;
    unsigned id = (x >> 3) & 3;
    uint32_t off = uint32_t(off_units & 0x1fff) * 8;
    BlockPtr b = pool.alloc(uint32_t(len) + 64);
    uint8_t* d = b->put(v6 ? 40 + (longer ? 8 : 0) + 8 : 20 + (longer ? 4 : 0));
    if (v6) {
      wire::Ip6Repr h;
      h.src = kSrc6;
      h.dst = kDst6;
      h.next_header = longer ? wire::ipproto::kHopOpts : wire::ipproto::kFragment;
      h.payload_len = uint16_t(b->size() - 40 + len);
      h.emit(d);
      if (longer) {
        uint8_t hbh[8] = {wire::ipproto::kFragment, 0, 1, 4, 0, 0, 0, 0};  // PadN
        std::memcpy(d + 40, hbh, 8);
      }
      wire::Ip6FragRepr{wire::ipproto::kNoNext, uint16_t(off), more, id}.emit(d + b->size() - 8);
    } else {
      wire::Ip4Repr h;
      h.src = kSrc4;
      h.dst = kDst4;
      h.proto = wire::ipproto::kUdp;
      h.id = uint16_t(id);
      h.mf = more;
      h.frag_offset = uint16_t(off);
      h.total_len = uint16_t(b->size() + len);
      h.emit(d);
      if (longer) {
        d[0] = 0x46;
        d[20] = d[21] = d[22] = 1;  // NOP NOP NOP EOL
        d[23] = 0;
        wire::Ip4View(d).update_checksum();
      }
    }
    uint8_t* p = b->put(len);
    for (uint32_t i = 0; i < len; i++)
      p[i] = uint8_t(gen(id, off + i) ^ (corrupt ? 0x5a : 0));
    return b;
  }

  // Checks a reassembled datagram; its payload too unless a corrupt fragment
  // may be in it.
  void check_datagram(const Block& b, bool v6, unsigned id, bool clean) {
    size_t at = 0;
    if (v6) {
      auto h = wire::Ip6Repr::parse(b.span());
      CHECK(h.ok());
      CHECK(wire::Ip6Repr::kLen + h->payload_len == b.size());
      auto w = wire::ip6_walk(b.span().subspan(wire::Ip6Repr::kLen), h->next_header);
      CHECK(w.ok());
      CHECK(!w->frag);
      CHECK(w->proto == wire::ipproto::kNoNext);
      at = wire::Ip6Repr::kLen + w->offset;
    } else {
      auto h = wire::Ip4Repr::parse(b.span());
      CHECK(h.ok());
      CHECK(!h->is_fragment());
      CHECK(h->total_len == b.size());
      CHECK(h->id == id);
      at = h->header_len;
    }
    if (clean)
      for (size_t i = at; i < b.size(); i++)
        CHECK(b.data()[i] == gen(id, uint32_t(i - at)));
  }

  void fragment(uint8_t x, uint16_t off, uint16_t len) {
    bool v6 = x & 1, more = x & 2, corrupt = x & 4;
    unsigned id = (x >> 3) & 3;
    if ((off & 0x1fff) == 0 && !more) {
      // Offset 0 and no MF: IPv4 calls that no fragment (input.cc does not
      // reassemble it); IPv6 returns it at once, apart from any queue.
      if (!v6) return;
      BlockPtr whole = deliver(r, make_fragment(uint8_t(x & ~4), off, len));
      CHECK(whole != nullptr);
      check_datagram(*whole, true, id, true);
      return;
    }
    BlockPtr b = make_fragment(x, off, len);
    if (corrupt) tainted[v6][id] = true;
    uint32_t cost = b->capacity();
    BlockPtr whole = deliver(r, std::move(b));
    CHECK(r.memory() <= limit + cost);
    if (whole) {
      check_datagram(*whole, v6, id, !tainted[v6][id]);
      tainted[v6][id] = false;  // its queue is gone; the next one starts clean
    }
  }

  void pass_time(unsigned s) {
    now += sec(s);
    wheel.run(now);
  }

  void round_trip(uint8_t x, uint16_t size, uint16_t mtu, uint8_t seed) {
    bool v6 = x & 1;
    size = uint16_t(std::min<unsigned>(size, 65515));
    BlockPtr b = pool.alloc(uint32_t(size) + 40);
    uint8_t* d = b->put(uint32_t(size) + (v6 ? 40 : 20));
    for (uint32_t i = 0; i < size; i++)
      d[(v6 ? 40 : 20) + i] = gen(3, i);
    if (v6) {
      wire::Ip6Repr h;
      h.src = kSrc6;
      h.dst = kDst6;
      h.next_header = wire::ipproto::kNoNext;
      h.payload_len = size;
      h.emit(d);
    } else {
      wire::Ip4Repr h;
      h.src = kSrc4;
      h.dst = kDst4;
      h.proto = wire::ipproto::kUdp;
      h.total_len = uint16_t(size + 20);
      h.emit(d);
    }
    std::vector<uint8_t> want(b->data(), b->data() + b->size());
    int m = v6 ? 1280 + mtu % 8000 : 68 + mtu % 9000;
    Batch frags;
    Status st = v6 ? fragment_v6(std::move(b), m, seed, pool, frags)
                   : fragment_v4(std::move(b), m, pool, frags);
    CHECK(st.ok());
    for (const BlockPtr& f : frags)
      CHECK(f->size() <= uint32_t(m) && f->headroom() >= Block::kHeadroom);
    if (frags.size() == 1) {
      CHECK(std::equal(want.begin(), want.end(), frags[0]->data(),
                       frags[0]->data() + frags[0]->size()));
      return;
    }
    std::minstd_rand rng(seed);
    std::shuffle(frags.begin(), frags.end(), rng);
    Reassembler rt(pool, wheel);
    BlockPtr whole;
    for (size_t i = 0; i < frags.size(); i++) {
      whole = deliver(rt, std::move(frags[i]));
      CHECK((whole != nullptr) == (i + 1 == frags.size()));
    }
    CHECK(std::equal(want.begin(), want.end(), whole->data(), whole->data() + whole->size()));
    CHECK(rt.memory() == 0 && rt.queues() == 0);
  }

  void finish() {
    const ReasmStats& s = r.stats();
    CHECK(s.oks + s.fails <= s.reqds);
    CHECK(s.timeouts <= s.fails);
    now += Reassembler::kTimeoutV6;
    wheel.run(now);
    CHECK(r.queues() == 0);
    CHECK(r.memory() == 0);
  }
};

}  // namespace
}  // namespace ninet

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ninet;
  Reader in(data, size);
  // A small bound: a few pool buffers' worth, so eviction is the normal case.
  Fuzz f(8192 + size_t(in.u8() % 16) * 4096);
  while (!in.empty()) {
    uint8_t op = in.u8();
    switch (op >> 6) {
      case 0:
      case 1: {
        uint16_t off = in.u16();
        uint16_t len = in.u16() % 2048;
        f.fragment(op, off, len);
        break;
      }
      case 2:
        f.pass_time(op & 0x3f);
        break;
      case 3: {
        uint16_t sz = in.u16(), mtu = in.u16();
        f.round_trip(op, sz, mtu, in.u8());
        break;
      }
    }
  }
  f.finish();
  return 0;
}
