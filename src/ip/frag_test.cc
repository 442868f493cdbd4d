#include "ip/frag.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "base/endian.h"

namespace ninet {
namespace {

using Bytes = std::vector<uint8_t>;

const Ipaddr kSrc4 = Ipaddr::v4(10, 0, 0, 1), kDst4 = Ipaddr::v4(10, 0, 0, 2);
const Ipaddr kSrc6 = *Ipaddr::parse("fd00::1"), kDst6 = *Ipaddr::parse("fd00::2");

Bytes bytes(const Block& b) {
  return Bytes(b.data(), b.data() + b.size());
}

struct FragTest : ::testing::Test {
  Pool pool;
  TimerWheel wheel;
  std::mt19937 rng{42};

  Bytes random_bytes(size_t n) {
    Bytes v(n);
    for (auto& x : v)
      x = uint8_t(rng());
    return v;
  }
  BlockPtr block(const Bytes& v) { return pool.copy(v.data(), uint32_t(v.size())); }

  // An IPv4 datagram: 20-byte header, then `options` (a multiple of 4), then payload.
  BlockPtr v4(const Bytes& payload, uint16_t id = 9, const Bytes& options = {}) {
    wire::Ip4Repr h;
    h.src = kSrc4;
    h.dst = kDst4;
    h.proto = 17;
    h.id = id;
    h.total_len = uint16_t(20 + options.size() + payload.size());
    Bytes d(20);
    h.emit(d.data());
    d.insert(d.end(), options.begin(), options.end());
    d.insert(d.end(), payload.begin(), payload.end());
    d[0] = uint8_t(0x40 | (20 + options.size()) / 4);
    BlockPtr b = block(d);
    wire::Ip4View(b->data()).update_checksum();
    return b;
  }
  BlockPtr v4(size_t n, uint16_t id = 9) { return v4(random_bytes(n), id); }
  // One IPv4 fragment: payload[off, off + len) of a datagram.
  BlockPtr frag4(const Bytes& payload, uint32_t off, uint32_t len, bool more, uint16_t id = 9) {
    wire::Ip4Repr h;
    h.src = kSrc4;
    h.dst = kDst4;
    h.proto = 17;
    h.id = id;
    h.mf = more;
    h.frag_offset = uint16_t(off);
    h.total_len = uint16_t(20 + len);
    Bytes d(20);
    h.emit(d.data());
    d.insert(d.end(), payload.begin() + off, payload.begin() + off + len);
    return block(d);
  }

  // An IPv6 packet: fixed header, extension headers `ext` (first type
  // `first`, their own next-header bytes filled in), then payload (UDP).
  BlockPtr v6(const Bytes& payload, uint8_t first = 17, const Bytes& ext = {}) {
    wire::Ip6Repr h;
    h.src = kSrc6;
    h.dst = kDst6;
    h.next_header = first;
    h.payload_len = uint16_t(ext.size() + payload.size());
    Bytes d(40);
    h.emit(d.data());
    d.insert(d.end(), ext.begin(), ext.end());
    d.insert(d.end(), payload.begin(), payload.end());
    return block(d);
  }
  BlockPtr v6(size_t n) { return v6(random_bytes(n)); }
  // One IPv6 fragment of payload (the fragmentable part), no other extension headers.
  BlockPtr frag6(const Bytes& payload, uint32_t off, uint32_t len, bool more, uint32_t ident = 5) {
    wire::Ip6Repr h;
    h.src = kSrc6;
    h.dst = kDst6;
    h.next_header = wire::ipproto::kFragment;
    h.payload_len = uint16_t(8 + len);
    Bytes d(48);
    h.emit(d.data());
    wire::Ip6FragRepr{17, uint16_t(off), more, ident}.emit(d.data() + 40);
    d.insert(d.end(), payload.begin() + off, payload.begin() + off + len);
    return block(d);
  }

  BlockPtr feed(Reassembler& r, BlockPtr f, Time now = 0) {
    if ((f->data()[0] >> 4) == 4) {
      auto h = wire::Ip4Repr::parse(f->span());
      EXPECT_TRUE(h.ok());
      if (!h) return nullptr;
      return r.add_v4(std::move(f), *h, now);
    }
    auto h = wire::Ip6Repr::parse(f->span());
    EXPECT_TRUE(h.ok());
    if (!h) return nullptr;
    auto w = wire::ip6_walk(f->span().subspan(40), h->next_header);
    EXPECT_TRUE(w.ok() && w->frag);
    if (!w || !w->frag) return nullptr;
    return r.add_v6(std::move(f), *h, *w, now);
  }

  // Feeds frags in a random order; expects the datagram after the last one.
  BlockPtr feed_shuffled(Reassembler& r, Batch frags) {
    std::shuffle(frags.begin(), frags.end(), rng);
    BlockPtr whole;
    for (size_t i = 0; i < frags.size(); i++) {
      whole = feed(r, std::move(frags[i]));
      if (i + 1 < frags.size()) EXPECT_EQ(whole, nullptr) << "early at " << i;
    }
    return whole;
  }
};

// Checks the fragments of an IPv4 datagram of `payload` bytes: sizes, 8-byte
// offsets that tile the payload, MF on all but the last, valid checksums, and
// headroom for the link header.
void check_v4_frags(const Batch& frags, int mtu, size_t payload) {
  uint32_t next = 0;
  for (size_t i = 0; i < frags.size(); i++) {
    const Block& f = *frags[i];
    EXPECT_LE(f.size(), uint32_t(mtu));
    EXPECT_GE(f.headroom(), Block::kHeadroom);
    auto h = wire::Ip4Repr::parse(f.span());
    ASSERT_TRUE(h.ok()) << "checksum and lengths";
    EXPECT_EQ(h->total_len, f.size());
    EXPECT_EQ(h->frag_offset, next);
    EXPECT_EQ(h->frag_offset % 8, 0);
    EXPECT_EQ(h->mf, i + 1 < frags.size());
    EXPECT_FALSE(h->df);
    if (i + 1 < frags.size()) EXPECT_EQ(h->payload_len() % 8, 0);
    next += h->payload_len();
  }
  EXPECT_EQ(next, payload);
}

TEST_F(FragTest, V4RoundTripsInAnyOrder) {
  for (size_t size : {9u, 100u, 1400u, 1481u, 5000u, 30001u, 65515u}) {
    for (int mtu : {68, 576, 1006, 1500, 4000}) {
      BlockPtr orig = v4(size);
      Bytes want = bytes(*orig);
      Batch frags;
      ASSERT_TRUE(fragment_v4(std::move(orig), mtu, pool, frags).ok());
      if (want.size() <= size_t(mtu)) {
        ASSERT_EQ(frags.size(), 1u);
        EXPECT_EQ(bytes(*frags[0]), want) << "a datagram that fits is left alone";
        continue;
      }
      check_v4_frags(frags, mtu, size);
      Reassembler r(pool, wheel);
      BlockPtr whole = feed_shuffled(r, std::move(frags));
      ASSERT_NE(whole, nullptr) << size << " " << mtu;
      EXPECT_EQ(bytes(*whole), want) << size << " " << mtu;
      EXPECT_EQ(r.queues(), 0u);
      EXPECT_EQ(r.memory(), 0u);
      EXPECT_EQ(r.stats().oks, 1u);
      EXPECT_EQ(r.stats().fails, 0u);
    }
  }
}

TEST_F(FragTest, V4OptionsOnlyCopiedOnesRepeat) {
  // Loose source route (0x83, copied), then record route (0x07, not copied),
  // then a NOP and end of list.
  Bytes opts = {0x83, 7, 4, 1, 2, 3, 4, 0x07, 7, 4, 0, 0, 0, 0, 1, 0};
  Bytes payload = random_bytes(3000);
  BlockPtr orig = v4(payload, 3, opts);
  Bytes want = bytes(*orig);
  Batch frags;
  ASSERT_TRUE(fragment_v4(std::move(orig), 1000, pool, frags).ok());
  ASSERT_GE(frags.size(), 3u);
  EXPECT_EQ(frags[0]->data()[0], 0x40 | 9) << "the first keeps all options";
  EXPECT_EQ(Bytes(frags[0]->data() + 20, frags[0]->data() + 36), opts);
  for (size_t i = 1; i < frags.size(); i++) {
    EXPECT_EQ(frags[i]->data()[0], 0x40 | 7) << "20 + 7 bytes of LSRR + 1 pad";
    EXPECT_EQ(Bytes(frags[i]->data() + 20, frags[i]->data() + 28),
              (Bytes{0x83, 7, 4, 1, 2, 3, 4, 0}));
  }
  check_v4_frags(frags, 1000, payload.size());
  Reassembler r(pool, wheel);
  BlockPtr whole = feed_shuffled(r, std::move(frags));
  ASSERT_NE(whole, nullptr);
  EXPECT_EQ(bytes(*whole), want) << "the first fragment's header, options and all";
}

TEST_F(FragTest, V4FragmentsOfAFragmentReassemble) {
  // A router with a smaller MTU splits a fragment again (RFC 791): offsets
  // continue from the fragment's, and only the very last piece has MF clear.
  BlockPtr orig = v4(4000);
  Bytes want = bytes(*orig);
  Batch first, all;
  ASSERT_TRUE(fragment_v4(std::move(orig), 1500, pool, first).ok());
  ASSERT_EQ(first.size(), 3u);
  for (BlockPtr& f : first)
    ASSERT_TRUE(fragment_v4(std::move(f), 576, pool, all).ok());
  check_v4_frags(all, 576, 4000);
  Reassembler r(pool, wheel);
  BlockPtr whole = feed_shuffled(r, std::move(all));
  ASSERT_NE(whole, nullptr);
  EXPECT_EQ(bytes(*whole), want);
}

TEST_F(FragTest, V4RefusesWhatItCannotSplit) {
  BlockPtr b = v4(2000);
  b->data()[6] |= 0x40;  // DF
  wire::Ip4View(b->data()).update_checksum();
  Batch out;
  Status st = fragment_v4(std::move(b), 576, pool, out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Err::TooBig);
  st = fragment_v4(v4(2000), 27, pool, out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Err::TooBig) << "no room for 8 bytes";
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(fragment_v4(v4(2000), 28, pool, out).ok());
  EXPECT_EQ(out.size(), 250u);
}

TEST_F(FragTest, V6RoundTripsInAnyOrder) {
  for (size_t size : {1300u, 1433u, 3000u, 60000u, 65535u}) {
    for (int mtu : {1280, 1500, 9000}) {
      BlockPtr orig = v6(size);
      Bytes want = bytes(*orig);
      Batch frags;
      ASSERT_TRUE(fragment_v6(std::move(orig), mtu, 77, pool, frags).ok());
      if (want.size() <= size_t(mtu)) {
        ASSERT_EQ(frags.size(), 1u);
        EXPECT_EQ(bytes(*frags[0]), want);
        continue;
      }
      uint32_t next = 0;
      for (size_t i = 0; i < frags.size(); i++) {
        const Block& f = *frags[i];
        EXPECT_LE(f.size(), uint32_t(mtu));
        EXPECT_GE(f.headroom(), Block::kHeadroom);
        auto h = wire::Ip6Repr::parse(f.span());
        ASSERT_TRUE(h.ok());
        EXPECT_EQ(40u + h->payload_len, f.size());
        EXPECT_EQ(h->next_header, wire::ipproto::kFragment);
        auto fr = wire::Ip6FragRepr::parse(f.span().subspan(40));
        ASSERT_TRUE(fr.ok());
        EXPECT_EQ(fr->next_header, 17);
        EXPECT_EQ(fr->ident, 77u);
        EXPECT_EQ(fr->offset, next);
        EXPECT_EQ(fr->more, i + 1 < frags.size());
        next += f.size() - 48;
      }
      EXPECT_EQ(next, size);
      Reassembler r(pool, wheel);
      BlockPtr whole = feed_shuffled(r, std::move(frags));
      ASSERT_NE(whole, nullptr) << size << " " << mtu;
      EXPECT_EQ(bytes(*whole), want) << size << " " << mtu;
      EXPECT_EQ(r.memory(), 0u);
    }
  }
  Batch none;
  EXPECT_FALSE(fragment_v6(v6(2000), 1000, 1, pool, none).ok()) << "below the IPv6 minimum";
}

TEST_F(FragTest, V6FragmentHeaderGoesAfterTheUnfragmentablePart) {
  using namespace wire::ipproto;
  // Hop-by-Hop, Destination Options (for the router), Routing, then a final
  // Destination Options header: RFC 8200 section 4.5 puts the first three in
  // the unfragmentable part and the last one in the fragmentable part.
  auto ext = [](uint8_t next, uint8_t len8, uint8_t fill) {
    Bytes h(size_t(len8 + 1) * 8, fill);
    h[0] = next;
    h[1] = len8;
    return h;
  };
  Bytes hbh = ext(kDstOpts, 0, 0xa1), dst1 = ext(kRouting, 1, 0xa2), rt = ext(kDstOpts, 0, 0xa3),
        dst2 = ext(kUdp, 0, 0xa4);
  Bytes chain;
  for (const Bytes* x : {&hbh, &dst1, &rt, &dst2})
    chain.insert(chain.end(), x->begin(), x->end());
  BlockPtr orig = v6(random_bytes(3000), kHopOpts, chain);
  Bytes want = bytes(*orig);
  Batch frags;
  ASSERT_TRUE(fragment_v6(std::move(orig), 1280, 9, pool, frags).ok());
  ASSERT_EQ(frags.size(), 3u);
  const size_t unfrag = 40 + 8 + 16 + 8;
  for (size_t i = 0; i < frags.size(); i++) {
    const uint8_t* d = frags[i]->data();
    EXPECT_EQ(Bytes(d + 40, d + 48), Bytes(want.begin() + 40, want.begin() + 48));
    EXPECT_EQ(d[40 + 8 + 16], kFragment) << "the Routing header now names the Fragment header";
    auto h = wire::Ip6Repr::parse(frags[i]->span());
    auto w = wire::ip6_walk(frags[i]->span().subspan(40), h->next_header);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w->frag);
    EXPECT_EQ(w->frag_offset, unfrag - 40);
    EXPECT_EQ(w->frag->next_header, kDstOpts);
    if (i == 0) EXPECT_EQ(w->proto, kUdp) << "the first fragment carries the final DstOpts";
    if (i == 0) EXPECT_EQ(d[unfrag + 8], kUdp);
  }
  Reassembler r(pool, wheel);
  BlockPtr whole = feed_shuffled(r, std::move(frags));
  ASSERT_NE(whole, nullptr);
  EXPECT_EQ(bytes(*whole), want);
}

TEST_F(FragTest, V6UnfragmentablePartTooBig) {
  Bytes hbh(1280 - 40 - 8, 0);  // leaves no room for 8 bytes after a Fragment header
  hbh[0] = 17;
  hbh[1] = uint8_t(hbh.size() / 8 - 1);
  Batch out;
  Status st = fragment_v6(v6(random_bytes(100), 0, hbh), 1280, 1, pool, out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Err::TooBig);
  EXPECT_TRUE(out.empty());
}

TEST_F(FragTest, HolesFillInAnyOrder) {
  // Fragments of 8..24 bytes: later, earlier, the last before the middle.
  Bytes p = random_bytes(70);
  Reassembler r(pool, wheel);
  EXPECT_EQ(feed(r, frag4(p, 24, 16, true)), nullptr);
  EXPECT_EQ(feed(r, frag4(p, 56, 14, false)), nullptr);
  EXPECT_EQ(feed(r, frag4(p, 0, 8, true)), nullptr);
  EXPECT_EQ(feed(r, frag4(p, 40, 16, true)), nullptr);
  EXPECT_EQ(r.queues(), 1u);
  BlockPtr whole = feed(r, frag4(p, 8, 16, true));
  ASSERT_NE(whole, nullptr);
  auto h = wire::Ip4Repr::parse(whole->span());
  ASSERT_TRUE(h.ok());
  EXPECT_FALSE(h->is_fragment());
  EXPECT_EQ(h->total_len, 90);
  EXPECT_EQ(Bytes(whole->data() + 20, whole->data() + 90), p);
  EXPECT_EQ(r.stats().reqds, 5u);
  EXPECT_EQ(r.stats().oks, 1u);
}

TEST_F(FragTest, V4OverlapsWithTheSameDataAreFine) {
  // Re-fragmented retransmissions can overlap what arrived (RFC 791 reassembly
  // copies over); one fragment may also span several holes at once.
  Bytes p = random_bytes(64);
  Reassembler r(pool, wheel);
  EXPECT_EQ(feed(r, frag4(p, 8, 8, true)), nullptr);
  EXPECT_EQ(feed(r, frag4(p, 24, 8, true)), nullptr);
  EXPECT_EQ(feed(r, frag4(p, 40, 8, true)), nullptr);
  EXPECT_EQ(feed(r, frag4(p, 8, 8, true)), nullptr) << "an exact duplicate";
  EXPECT_EQ(feed(r, frag4(p, 0, 48, true)), nullptr) << "fills three holes";
  EXPECT_EQ(r.stats().fails, 0u);
  BlockPtr whole = feed(r, frag4(p, 32, 32, false));  // overlaps [40,48)
  ASSERT_NE(whole, nullptr);
  EXPECT_EQ(Bytes(whole->data() + 20, whole->data() + whole->size()), p);
  EXPECT_EQ(r.stats().fails, 0u);
  EXPECT_EQ(r.memory(), 0u);
}

TEST_F(FragTest, V4OverlapWithDifferentDataFails) {
  Bytes p = random_bytes(64);
  Reassembler r(pool, wheel);
  EXPECT_EQ(feed(r, frag4(p, 0, 16, true)), nullptr);
  EXPECT_EQ(feed(r, frag4(p, 32, 16, true)), nullptr);
  Bytes q = p;
  q[40] ^= 1;
  EXPECT_EQ(feed(r, frag4(q, 8, 40, true)), nullptr) << "differs in [32,48)";
  EXPECT_EQ(r.stats().fails, 1u);
  EXPECT_EQ(r.queues(), 0u) << "the datagram was dropped";
  EXPECT_EQ(r.memory(), 0u);
  // What comes later starts a new datagram (which can complete).
  EXPECT_EQ(feed(r, frag4(p, 0, 32, true)), nullptr);
  ASSERT_NE(feed(r, frag4(p, 32, 32, false)), nullptr);
}

TEST_F(FragTest, V4InconsistentEndsFail) {
  Bytes p = random_bytes(64);
  Reassembler r(pool, wheel);
  EXPECT_EQ(feed(r, frag4(p, 0, 16, true)), nullptr);
  EXPECT_EQ(feed(r, frag4(p, 32, 16, false)), nullptr);
  EXPECT_EQ(feed(r, frag4(p, 40, 16, false)), nullptr) << "a second, different end";
  EXPECT_EQ(r.stats().fails, 1u);
  EXPECT_EQ(r.queues(), 0u);

  EXPECT_EQ(feed(r, frag4(p, 48, 8, true)), nullptr);
  EXPECT_EQ(feed(r, frag4(p, 24, 16, false)), nullptr) << "ends before data already held";
  EXPECT_EQ(r.stats().fails, 2u);
  EXPECT_EQ(r.queues(), 0u);

  EXPECT_EQ(feed(r, frag4(p, 16, 8, false)), nullptr);
  EXPECT_EQ(feed(r, frag4(p, 16, 16, true)), nullptr) << "data past the end";
  EXPECT_EQ(r.stats().fails, 3u);
  EXPECT_EQ(r.queues(), 0u);
}

TEST_F(FragTest, MisalignedFragmentIsDroppedAlone) {
  Bytes p = random_bytes(64);
  Reassembler r(pool, wheel);
  EXPECT_EQ(feed(r, frag4(p, 0, 16, true)), nullptr);
  EXPECT_EQ(feed(r, frag4(p, 16, 12, true)), nullptr) << "MF with 12 bytes";
  EXPECT_EQ(r.stats().fails, 1u);
  EXPECT_EQ(feed(r, frag4(p, 16, 16, true)), nullptr);
  ASSERT_NE(feed(r, frag4(p, 32, 32, false)), nullptr) << "the datagram was kept";
  Bytes q = random_bytes(64);
  EXPECT_EQ(feed(r, frag6(q, 0, 16, true)), nullptr);
  EXPECT_EQ(feed(r, frag6(q, 16, 12, true)), nullptr) << "RFC 8200: discard that fragment";
  EXPECT_EQ(r.stats().fails, 2u);
  EXPECT_EQ(feed(r, frag6(q, 16, 16, true)), nullptr);
  ASSERT_NE(feed(r, frag6(q, 32, 32, false)), nullptr);
}

TEST_F(FragTest, V6AnyOverlapDropsTheDatagram) {
  Bytes p = random_bytes(64);
  Reassembler r(pool, wheel);
  EXPECT_EQ(feed(r, frag6(p, 0, 16, true)), nullptr);
  EXPECT_EQ(feed(r, frag6(p, 0, 16, true)), nullptr) << "an exact duplicate";
  EXPECT_EQ(r.stats().fails, 0u) << "RFC 8200 4.5: exact duplicates may be dropped alone";
  EXPECT_EQ(r.queues(), 1u);
  EXPECT_EQ(feed(r, frag6(p, 8, 16, true)), nullptr) << "same data, but overlapping";
  EXPECT_EQ(r.stats().fails, 1u) << "RFC 5722";
  EXPECT_EQ(r.queues(), 0u);
  EXPECT_EQ(r.memory(), 0u);
  // The rest of the old datagram alone cannot complete.
  EXPECT_EQ(feed(r, frag6(p, 16, 48, false)), nullptr);
  EXPECT_EQ(r.queues(), 1u);

  Reassembler r2(pool, wheel);
  EXPECT_EQ(feed(r2, frag6(p, 16, 48, false)), nullptr);
  Bytes q = p;
  q[20] ^= 1;
  EXPECT_EQ(feed(r2, frag6(q, 16, 48, false)), nullptr) << "same range, different data";
  EXPECT_EQ(r2.stats().fails, 1u);
  EXPECT_EQ(r2.queues(), 0u);
}

TEST_F(FragTest, V6AtomicFragmentIsReturnedAtOnce) {
  Bytes p = random_bytes(40);
  Reassembler r(pool, wheel);
  EXPECT_EQ(feed(r, frag6(p, 0, 16, true, 5)), nullptr);
  BlockPtr whole = feed(r, frag6(p, 0, 40, false, 5));  // same ident: still on its own (RFC 6946)
  ASSERT_NE(whole, nullptr);
  BlockPtr plain = v6(p);
  EXPECT_EQ(bytes(*whole), bytes(*plain)) << "Fragment header removed";
  EXPECT_EQ(r.queues(), 1u) << "the other datagram is untouched";
  EXPECT_EQ(r.stats().fails, 0u);
  EXPECT_NE(feed(r, frag6(p, 16, 24, false, 5)), nullptr) << "and completes with its own";
  EXPECT_EQ(r.stats().oks, 2u);
}

TEST_F(FragTest, RandomOverlappingFragmentsCompleteExactlyWhenCovered) {
  // Random sets of overlapping fragments with the same data, fed in random
  // order: the datagram must appear exactly when every byte and the last
  // fragment have arrived, byte-identical, and not before.
  for (int round = 0; round < 300; round++) {
    uint32_t total = 1 + rng() % 3000;
    Bytes p = random_bytes(total);
    struct F {
      uint32_t off, len;
    };
    std::vector<F> fs;
    uint32_t last_off = (total - 1) / 8 * 8;
    fs.push_back({last_off - std::min<uint32_t>(last_off, 8 * (rng() % 4)), 0});
    fs.back().len = total - fs.back().off;
    for (uint32_t covered = 0; covered < last_off;) {
      uint32_t off = 8 * (rng() % (covered / 8 + 1));  // at or before the covered edge
      uint32_t len = 8 * (1 + rng() % 64);
      len = std::min(len, last_off - off);
      if (len == 0) continue;
      fs.push_back({off, len});
      covered = std::max(covered, off + len);
    }
    for (int extra = int(rng() % 5); extra > 0; extra--) {  // duplicates and overlaps
      F f = fs[rng() % fs.size()];
      fs.push_back(f);
    }
    std::shuffle(fs.begin(), fs.end(), rng);
    Reassembler r(pool, wheel);
    std::vector<bool> have(total);
    bool last = false;
    BlockPtr whole;
    for (size_t i = 0; i < fs.size() && !whole; i++) {
      bool more = fs[i].off + fs[i].len < total;
      whole = feed(r, frag4(p, fs[i].off, fs[i].len, more));
      for (uint32_t b = fs[i].off; b < fs[i].off + fs[i].len; b++)
        have[b] = true;
      last = last || !more;
      bool done = last && std::all_of(have.begin(), have.end(), [](bool x) { return x; });
      ASSERT_EQ(whole != nullptr, done) << "round " << round << " fragment " << i;
    }
    ASSERT_NE(whole, nullptr) << round;
    EXPECT_EQ(Bytes(whole->data() + 20, whole->data() + whole->size()), p);
    EXPECT_EQ(r.stats().fails, 0u);
    EXPECT_EQ(r.memory(), 0u);
  }
}

TEST_F(FragTest, TimeoutReportsTheFirstFragment) {
  Batch frags;
  ASSERT_TRUE(fragment_v4(v4(3000, 1), 1500, pool, frags).ok());
  Bytes first_bytes = bytes(*frags[0]);
  Batch later;
  ASSERT_TRUE(fragment_v4(v4(3000, 2), 1500, pool, later).ok());
  Reassembler r(pool, wheel);
  (void)feed(r, std::move(frags[0]), sec(1));
  (void)feed(r, std::move(later[1]), sec(1));  // no first fragment: no ICMP
  int calls = 0;
  r.set_on_timeout([&](BlockPtr first, bool v6) {
    calls++;
    EXPECT_FALSE(v6);
    EXPECT_EQ(bytes(*first), first_bytes) << "the fragment as it arrived";
  });
  EXPECT_EQ(wheel.armed(), 2u) << "a timer per datagram";
  wheel.run(sec(31) - 1);
  EXPECT_EQ(calls, 0) << "30 s have not passed";
  EXPECT_EQ(r.queues(), 2u);
  EXPECT_LE(wheel.next(), sec(31));
  wheel.run(sec(31));  // exactly the deadline
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(wheel.armed(), 0u);
  EXPECT_EQ(r.stats().timeouts, 2u);
  EXPECT_EQ(r.stats().fails, 2u);
  EXPECT_EQ(r.queues(), 0u);
  EXPECT_EQ(r.memory(), 0u);
  // The rest of a timed-out datagram starts over and cannot complete.
  EXPECT_EQ(feed(r, std::move(frags[1]), sec(32)), nullptr);
}

TEST_F(FragTest, V6TimesOutAfter60Seconds) {
  Batch frags;
  ASSERT_TRUE(fragment_v6(v6(3000), 1280, 3, pool, frags).ok());
  Bytes first_bytes = bytes(*frags[0]);
  Reassembler r(pool, wheel);
  (void)feed(r, std::move(frags[0]), 0);
  int calls = 0;
  r.set_on_timeout([&](BlockPtr first, bool v6) {
    calls++;
    EXPECT_TRUE(v6);
    EXPECT_EQ(bytes(*first), first_bytes);
  });
  wheel.run(sec(60) - 1);
  EXPECT_EQ(calls, 0);
  wheel.run(sec(60));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(r.stats().timeouts, 1u);
}

TEST_F(FragTest, MemoryBoundEvictsOldestQueues) {
  const size_t kBound = 30000;
  Reassembler r(pool, wheel, kBound);
  for (uint16_t id = 0; id < 50; id++) {
    Batch frags;
    ASSERT_TRUE(fragment_v4(v4(3000, id), 1500, pool, frags).ok());
    (void)feed(r, std::move(frags[0]), Time(id));
    EXPECT_LE(r.memory(), kBound);
    EXPECT_GT(r.memory(), 0u);
  }
  size_t kept = r.queues();
  EXPECT_GT(kept, 1u);
  EXPECT_LT(kept, 50u);
  EXPECT_EQ(r.stats().fails, 50u - kept) << "each eviction is a failure";
  EXPECT_EQ(wheel.armed(), kept) << "evicted datagrams took their timers";
  // The newest datagrams survived: the last one completes.
  Batch frags;
  ASSERT_TRUE(fragment_v4(v4(3000, 49), 1500, pool, frags).ok());
  EXPECT_EQ(feed(r, std::move(frags[1])), nullptr);
  EXPECT_NE(feed(r, std::move(frags[2])), nullptr);
  // The oldest were dropped: its other fragments start a new queue.
  frags.clear();
  ASSERT_TRUE(fragment_v4(v4(3000, 0), 1500, pool, frags).ok());
  EXPECT_EQ(feed(r, std::move(frags[1])), nullptr);
  EXPECT_EQ(feed(r, std::move(frags[2])), nullptr) << "its first fragment is gone";
}

TEST_F(FragTest, DatagramBiggerThanTheBoundFails) {
  Reassembler r(pool, wheel, 20000);
  Batch frags;
  ASSERT_TRUE(fragment_v4(v4(60000), 1500, pool, frags).ok());
  BlockPtr whole;
  for (BlockPtr& f : frags) {
    whole = feed(r, std::move(f));
    EXPECT_LE(r.memory(), 20000u);
  }
  EXPECT_EQ(whole, nullptr);
  EXPECT_GT(r.stats().fails, 0u);
}

TEST_F(FragTest, TinyFragmentsCostLittleMemory) {
  // 65000 bytes in 1355 fragments (MTU 68) fit the default bound: payloads
  // after the first are copied out of their pool buffers.
  BlockPtr orig = v4(65000);
  Bytes want = bytes(*orig);
  Batch frags;
  ASSERT_TRUE(fragment_v4(std::move(orig), 68, pool, frags).ok());
  ASSERT_GT(frags.size(), 1300u);
  Reassembler r(pool, wheel);
  size_t peak = 0;
  BlockPtr whole;
  for (BlockPtr& f : frags) {
    whole = feed(r, std::move(f));
    peak = std::max(peak, r.memory());
  }
  ASSERT_NE(whole, nullptr);
  EXPECT_EQ(bytes(*whole), want);
  EXPECT_LT(peak, 200000u);
  EXPECT_EQ(pool.outstanding(), 0u)
      << "every fragment's buffer went back (the result is a heap block)";
}

TEST_F(FragTest, RejectsDatagramsOver65535) {
  Bytes p = random_bytes(66000);
  Reassembler r(pool, wheel);
  EXPECT_EQ(feed(r, frag4(p, 65000, 600, false)), nullptr) << "20 + 65600 bytes";
  EXPECT_EQ(r.stats().fails, 1u);
  EXPECT_EQ(r.queues(), 0u);
  // 20 + 65515 is the largest: it completes.
  EXPECT_EQ(feed(r, frag4(p, 0, 65000, true)), nullptr);
  EXPECT_NE(feed(r, frag4(p, 65000, 515, false)), nullptr);
  EXPECT_EQ(r.stats().fails, 1u);

  // IPv6: payload length counts everything after the fixed header.
  EXPECT_EQ(feed(r, frag6(p, 65528, 8, false)), nullptr) << "8 + 65536";
  EXPECT_EQ(r.stats().fails, 2u);
  EXPECT_EQ(feed(r, frag6(p, 0, 65000, true)), nullptr);
  BlockPtr whole = feed(r, frag6(p, 65000, 535, false));
  ASSERT_NE(whole, nullptr);
  EXPECT_EQ(whole->size(), 40u + 65535u);
  EXPECT_EQ(load16(whole->data() + 4), 65535);
}

TEST_F(FragTest, ResultIsOneBlockWithTheArrivalMetadata) {
  Batch frags;
  ASSERT_TRUE(fragment_v4(v4(8000), 1500, pool, frags).ok());
  for (BlockPtr& f : frags) {
    f->ifc = 4;
    f->stamp = sec(7);
  }
  Reassembler r(pool, wheel);
  BlockPtr whole;
  for (BlockPtr& f : frags)
    whole = feed(r, std::move(f));
  ASSERT_NE(whole, nullptr);
  EXPECT_EQ(whole->size(), 8020u);
  EXPECT_GE(whole->headroom(), Block::kHeadroom);
  EXPECT_EQ(whole->ifc, 4);
  EXPECT_EQ(whole->stamp, sec(7));
}

TEST_F(FragTest, StatsCountEveryFragmentAndOutcome) {
  Reassembler r(pool, wheel);
  Bytes p = random_bytes(32);
  (void)feed(r, frag4(p, 0, 16, true, 1));
  (void)feed(r, frag4(p, 16, 16, false, 1));  // ok
  (void)feed(r, frag4(p, 0, 16, true, 2));
  (void)feed(r, frag4(p, 0, 8, true, 3));
  Bytes q = p;
  q[0] ^= 1;
  (void)feed(r, frag4(q, 0, 16, true, 2));  // conflict: fail
  wheel.run(sec(100));                      // 3 times out: fail + timeout
  EXPECT_EQ(r.stats().reqds, 5u);
  EXPECT_EQ(r.stats().oks, 1u);
  EXPECT_EQ(r.stats().fails, 2u);
  EXPECT_EQ(r.stats().timeouts, 1u);
}

TEST_F(FragTest, DifferentKeysDoNotMix) {
  // RFC 791: source, destination, protocol and identification.
  Bytes p = random_bytes(32);
  Reassembler r(pool, wheel);
  EXPECT_EQ(feed(r, frag4(p, 0, 16, true, 1)), nullptr);
  EXPECT_EQ(feed(r, frag4(p, 16, 16, false, 2)), nullptr);
  BlockPtr other = frag4(p, 16, 16, false, 1);
  other->data()[9] = 6;  // protocol
  wire::Ip4View(other->data()).update_checksum();
  EXPECT_EQ(feed(r, std::move(other)), nullptr);
  EXPECT_EQ(feed(r, frag6(p, 16, 16, false, 1)), nullptr);
  EXPECT_EQ(r.queues(), 4u);
  EXPECT_NE(feed(r, frag4(p, 16, 16, false, 1)), nullptr);
}

}  // namespace
}  // namespace ninet
