#include "ip/arp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <list>
#include <new>
#include <random>

// Counts heap allocations while armed, to check that a resolve hit does not
// allocate. Replacing the global operator new is the standard hook for this;
// every non-aligned form is replaced so that news and deletes pair up (ASan
// checks that).
namespace {
std::atomic<bool> g_count_allocs{false};
std::atomic<int> g_allocs{0};

void* counted_alloc(std::size_t n) noexcept {
  if (g_count_allocs.load(std::memory_order_relaxed)) g_allocs++;
  return std::malloc(n ? n : 1);
}
void* counted_alloc_or_throw(std::size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) {
  return counted_alloc_or_throw(n);
}
void* operator new[](std::size_t n) {
  return counted_alloc_or_throw(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return counted_alloc(n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return counted_alloc(n);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

namespace ninet {
namespace {

Ipaddr A(int n) {
  return Ipaddr::v4(0x0a000000u + uint32_t(n));
}
Mac M(int n) {
  uint8_t b[6] = {2, 0, 0, 0, uint8_t(n >> 8), uint8_t(n)};
  return Mac(b);
}

struct ArpTest : ::testing::Test {
  Pool pool;
  TimerWheel wheel;
  BlockPtr pkt(uint8_t tag) { return pool.copy(&tag, 1); }
  std::vector<Ipaddr> ips(const ArpCache& c) {
    std::vector<Ipaddr> v;
    for (const ArpEntryInfo& e : c.entries())
      v.push_back(e.ip);
    return v;
  }
};

TEST_F(ArpTest, MissQueuesThenUpdateReleasesInOrder) {
  ArpCache c(wheel);
  Mac m;
  BlockPtr p = pkt(1);
  EXPECT_EQ(c.resolve(A(1), 0, 0, p, &m), Resolve::kQueuedSendRequest);
  EXPECT_EQ(p, nullptr) << "the packet was taken";
  for (uint8_t tag = 2; tag <= 4; tag++) {
    p = pkt(tag);
    EXPECT_EQ(c.resolve(A(1), 0, 0, p, &m), Resolve::kQueued) << "only the first miss asks";
    EXPECT_EQ(p, nullptr);
  }
  ASSERT_EQ(c.size(), 1u);
  EXPECT_FALSE(c.entries()[0].ok);
  Batch out = c.update(A(1), M(1), 0, false, 0);
  ASSERT_EQ(out.size(), 4u);
  for (size_t i = 0; i < out.size(); i++)
    EXPECT_EQ(out[i]->data()[0], i + 1) << "released in the order they were queued";
  EXPECT_TRUE(c.entries()[0].ok);
  EXPECT_TRUE(c.update(A(1), M(1), 0, false, 0).empty()) << "the queue was handed over";
  p = pkt(9);
  EXPECT_EQ(c.resolve(A(1), 0, 0, p, &m), Resolve::kOk);
  EXPECT_EQ(m, M(1));
  ASSERT_NE(p, nullptr) << "a hit leaves the packet with the caller";
  EXPECT_EQ(p->data()[0], 9);
}

TEST_F(ArpTest, MissOnOneAddressDoesNotResolveAnother) {
  ArpCache c(wheel);
  (void)c.add(A(1), M(1), 0, 0);
  Mac m;
  BlockPtr p = pkt(1);
  EXPECT_EQ(c.resolve(A(2), 0, 0, p, &m), Resolve::kQueuedSendRequest);
  EXPECT_EQ(c.size(), 2u);
  // v4-mapped 10.0.0.1 and the IPv6 address with the same low bytes are distinct keys.
  Ipaddr v6 = A(1);
  v6[10] = v6[11] = 0;
  p = pkt(2);
  EXPECT_EQ(c.resolve(v6, 0, 0, p, &m), Resolve::kQueuedSendRequest);
}

TEST_F(ArpTest, QueueIsBoundedAndDropsTheOldest) {
  ArpCache c(wheel);
  Mac m;
  for (int i = 0; i < 20; i++) {
    BlockPtr p = pkt(uint8_t(i));
    (void)c.resolve(A(1), 0, 0, p, &m);
  }
  Batch out = c.update(A(1), M(1), 0, false, 0);
  ASSERT_EQ(out.size(), ArpCache::kMaxQueued);
  for (size_t i = 0; i < out.size(); i++)
    EXPECT_EQ(out[i]->data()[0], 20 - ArpCache::kMaxQueued + i);
  EXPECT_EQ(pool.outstanding(), ArpCache::kMaxQueued) << "the dropped packets were freed";
}

TEST_F(ArpTest, UpdateWithoutCreateOnlyTouchesKnownEntries) {
  ArpCache c(wheel);
  EXPECT_TRUE(c.update(A(5), M(5), 0, false, 0).empty());
  EXPECT_EQ(c.size(), 0u);
  EXPECT_FALSE(c.find(A(5)));
  (void)c.update(A(5), M(5), 2, true, 0);
  ASSERT_EQ(c.size(), 1u);
  (void)c.update(A(5), M(6), 2, false, 0);
  auto e = c.find(A(5));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->mac, M(6));
  EXPECT_EQ(e->ifc, 2);
  EXPECT_TRUE(e->ok);
}

TEST_F(ArpTest, LeastRecentlyUsedIsReplaced) {
  ArpCache c(wheel, 4);
  for (int i = 1; i <= 4; i++)
    (void)c.add(A(i), M(i), 0, 0);
  EXPECT_EQ(ips(c), (std::vector<Ipaddr>{A(4), A(3), A(2), A(1)}));
  Mac m;
  BlockPtr p = pkt(0);
  ASSERT_EQ(c.resolve(A(1), 0, 0, p, &m), Resolve::kOk);  // 1 is now most recent
  (void)c.find(A(2));                                     // a look does not count
  (void)c.add(A(5), M(5), 0, 0);
  EXPECT_EQ(ips(c), (std::vector<Ipaddr>{A(5), A(1), A(4), A(3)})) << "2 was least recently used";
}

TEST_F(ArpTest, FullDefaultCacheReplacesOneEntryAtATime) {
  ArpCache c(wheel);
  Mac m;
  for (int i = 0; i < int(ArpCache::kCapacity); i++)
    (void)c.add(A(i), M(i), 0, 0);
  ASSERT_EQ(c.size(), 256u);
  BlockPtr p = pkt(0);
  ASSERT_EQ(c.resolve(A(0), 0, 0, p, &m), Resolve::kOk);
  for (int i = 0; i < 10; i++) {
    p = pkt(0);
    EXPECT_EQ(c.resolve(A(1000 + i), 0, 0, p, &m), Resolve::kQueuedSendRequest);
  }
  EXPECT_EQ(c.size(), 256u);
  EXPECT_TRUE(c.find(A(0))) << "used recently";
  for (int i = 1; i <= 10; i++)
    EXPECT_FALSE(c.find(A(i))) << i;
  EXPECT_TRUE(c.find(A(11)));
}

TEST_F(ArpTest, ResolveHitDoesNotAllocate) {
  ArpCache c(wheel);
  for (int i = 0; i < 200; i++)
    (void)c.add(A(i), M(i), 0, 0);
  BlockPtr p = pkt(0);
  Mac m;
  g_allocs = 0;
  g_count_allocs = true;
  int ok = 0;
  for (int round = 0; round < 10; round++)
    for (int i = 0; i < 200; i++)
      ok += c.resolve(A(i), 0, 0, p, &m) == Resolve::kOk;
  g_count_allocs = false;
  EXPECT_EQ(ok, 2000);
  EXPECT_EQ(g_allocs.load(), 0);
}

TEST_F(ArpTest, RetransmitsOnItsTimerThenGivesUp) {
  ManualClock clock(sec(1000) + ms(3));
  TimerWheel w(clock.now());
  ArpCache c(w);
  Time t0 = clock.now();
  std::vector<Time> requests;
  std::vector<int> dropped;
  Time gave_up_at = 0;
  c.set_handlers(
      [&](const Ipaddr& ip, int ifc) {
        EXPECT_EQ(ip, A(9));
        EXPECT_EQ(ifc, 3);
        requests.push_back(clock.now());
      },
      [&](BlockPtr b) {
        dropped.push_back(b->data()[0]);
        gave_up_at = clock.now();
      });
  Mac m;
  for (uint8_t tag = 7; tag <= 9; tag++) {
    BlockPtr p = pkt(tag);
    (void)c.resolve(A(9), 3, t0, p, &m);
  }
  (void)c.add(A(1), M(1), 0, t0);  // OK entries are left alone
  EXPECT_EQ(c.waiting(), 1u);
  EXPECT_EQ(w.armed(), 1u) << "one timer for the cache";
  // The engine: sleep until the next deadline, run what is due.
  while (w.next() != kNever) {
    ASSERT_GT(w.next(), clock.now());
    clock.set(w.next());
    w.run(clock.now());
  }
  // The caller sent request 1 at t0; the cache asks again each kRetransmit
  // until kMaxTries requests are out, and gives up kRetransmit after the last.
  ASSERT_EQ(requests.size(), size_t(ArpCache::kMaxTries - 1));
  for (size_t i = 0; i < requests.size(); i++)
    EXPECT_EQ(requests[i], t0 + ArpCache::kRetransmit * Time(i + 1));
  EXPECT_EQ(gave_up_at, t0 + ArpCache::kRetransmit * ArpCache::kMaxTries);
  EXPECT_EQ(dropped, (std::vector<int>{7, 8, 9})) << "queued packets go to give_up in order";
  EXPECT_EQ(c.size(), 1u);
  EXPECT_FALSE(c.find(A(9)));
  EXPECT_EQ(c.waiting(), 0u);
  EXPECT_EQ(w.armed(), 0u) << "nothing waits: nothing armed";
}

TEST_F(ArpTest, EntriesWaitingFromDifferentTimesRetransmitOnTheirOwnSchedule) {
  ArpCache c(wheel);
  std::vector<std::pair<Ipaddr, Time>> requests;
  Time now = 0;
  c.set_handlers([&](const Ipaddr& ip, int) { requests.emplace_back(ip, now); }, nullptr);
  Mac m;
  BlockPtr p = pkt(1);
  (void)c.resolve(A(1), 0, ms(100), p, &m);
  p = pkt(2);
  (void)c.resolve(A(2), 0, ms(700), p, &m);
  for (now = ms(100); now <= ms(2500); now += ms(50))
    wheel.run(now);
  EXPECT_EQ(requests, (std::vector<std::pair<Ipaddr, Time>>{
                          {A(1), ms(1100)}, {A(2), ms(1700)}, {A(1), ms(2100)}}))
      << "each a second after its own last request";
}

TEST_F(ArpTest, AnswerBeforeGiveUpStopsRetransmits) {
  ArpCache c(wheel);
  int requests = 0, dropped = 0;
  c.set_handlers([&](const Ipaddr&, int) { requests++; }, [&](BlockPtr) { dropped++; });
  Mac m;
  BlockPtr p = pkt(1);
  (void)c.resolve(A(9), 0, 0, p, &m);
  wheel.run(sec(1));
  EXPECT_EQ(requests, 1);
  EXPECT_EQ(c.update(A(9), M(9), 0, false, sec(1)).size(), 1u);
  EXPECT_EQ(wheel.armed(), 0u) << "the answer disarms the timer";
  for (int s = 2; s < 10; s++)
    wheel.run(sec(s));
  EXPECT_EQ(requests, 1);
  EXPECT_EQ(dropped, 0);
  EXPECT_TRUE(c.find(A(9))->ok);
}

TEST_F(ArpTest, HandlersMayUseTheCache) {
  // ip.cc answers a given-up packet with an ICMP error, which is routed and
  // resolved: the handlers run when the table is consistent again.
  ArpCache c(wheel, 4);
  Mac m;
  for (int i = 0; i < 4; i++) {
    BlockPtr p = pkt(uint8_t(i));
    (void)c.resolve(A(i), 0, 0, p, &m);
  }
  // Each request makes a new entry, which replaces one of those being asked
  // for (cap 4): the iteration must not trip over it.
  int phase = 1, asked = 0, gave_up = 0;
  c.set_handlers(
      [&](const Ipaddr&, int) {
        if (phase != 1) return;
        BlockPtr b = pkt(0);
        (void)c.resolve(A(50 + asked++), 0, sec(1), b, &m);
      },
      [&](BlockPtr b) {
        if (phase != 2) return;
        gave_up++;
        (void)c.resolve(A(100 + gave_up), 0, sec(9), b, &m);
      });
  wheel.run(sec(1));
  EXPECT_EQ(asked, 4);
  EXPECT_EQ(c.size(), 4u);
  phase = 2;
  for (int s = 2; s <= 4; s++)
    wheel.run(sec(s));
  EXPECT_EQ(gave_up, 4) << "the four made at 1 s, after their three tries";
  EXPECT_EQ(c.size(), 4u);
  for (int i = 1; i <= 4; i++)
    EXPECT_TRUE(c.find(A(100 + i))) << i;
  EXPECT_EQ(c.waiting(), 4u);
  EXPECT_LE(wheel.next(), sec(10));
  EXPECT_GT(wheel.next(), sec(4));
}

TEST_F(ArpTest, DelFlushAndFlushIfc) {
  ArpCache c(wheel);
  (void)c.add(A(1), M(1), 0, 0);
  (void)c.add(A(2), M(2), 1, 0);
  Mac m;
  BlockPtr p = pkt(1);
  (void)c.resolve(A(3), 1, 0, p, &m);
  Status st = c.del(A(7));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Err::NoSuchEntry);
  c.flush_ifc(1);
  EXPECT_EQ(ips(c), std::vector<Ipaddr>{A(1)});
  EXPECT_EQ(wheel.armed(), 0u) << "the WAIT entry's timer went with it";
  EXPECT_EQ(pool.outstanding(), 0u) << "the WAIT entry's packet was freed";
  ASSERT_TRUE(c.del(A(1)).ok());
  EXPECT_FALSE(c.del(A(1)).ok());
  (void)c.add(A(3), M(3), 0, 0);
  (void)c.add(A(4), M(4), 0, 0);
  c.flush();
  EXPECT_EQ(c.size(), 0u);
  EXPECT_TRUE(c.entries().empty());
  (void)c.add(A(3), M(3), 0, 0);
  EXPECT_EQ(ips(c), std::vector<Ipaddr>{A(3)}) << "usable after a flush";
}

TEST_F(ArpTest, AddReplacesAndReleasesWaitingPackets) {
  ArpCache c(wheel);
  Mac m;
  BlockPtr p = pkt(5);
  (void)c.resolve(A(1), 0, 0, p, &m);
  Batch out = c.add(A(1), M(7), 2, 0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]->data()[0], 5);
  (void)c.add(A(1), M(8), 2, 0);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.find(A(1))->mac, M(8));
}

// Random operations against a plain list model: exercises the hash table's
// collisions and deletions (backward shift) and the use order together.
TEST_F(ArpTest, MatchesAListModel) {
  constexpr size_t kCap = 16;
  ArpCache c(wheel, kCap);
  struct Model {
    Ipaddr ip;
    Mac mac;
    int ifc;
    bool ok;
  };
  std::list<Model> model;  // front = most recent
  auto at = [&](const Ipaddr& ip) {
    return std::find_if(model.begin(), model.end(), [&](const Model& x) { return x.ip == ip; });
  };
  auto front = [&](std::list<Model>::iterator it) { model.splice(model.begin(), model, it); };
  auto make = [&](const Ipaddr& ip) {
    if (model.size() == kCap) model.pop_back();
    model.push_front({ip, Mac(), 0, false});
    return model.begin();
  };
  std::mt19937 rng(7);
  for (int step = 0; step < 20000; step++) {
    Ipaddr ip = A(int(rng() % 48));
    if (rng() % 3 == 0) ip[0] = 0xfe, ip[1] = 0x80;  // some v6 keys
    int ifc = int(rng() % 3);
    Mac mac = M(int(rng() % 1000));
    switch (rng() % 8) {
      case 0:
      case 1:
      case 2: {
        BlockPtr p = pkt(0);
        Mac got;
        Resolve r = c.resolve(ip, ifc, 0, p, &got);
        auto it = at(ip);
        if (it == model.end()) {
          ASSERT_EQ(r, Resolve::kQueuedSendRequest);
          it = make(ip);
          it->ifc = ifc;
        } else {
          ASSERT_EQ(r, it->ok ? Resolve::kOk : Resolve::kQueued);
          if (it->ok) ASSERT_EQ(got, it->mac);
          front(it);
        }
        break;
      }
      case 3:
      case 4: {
        bool create = rng() % 2;
        (void)c.update(ip, mac, ifc, create, 0);
        auto it = at(ip);
        if (it == model.end() && !create) break;
        if (it == model.end()) it = make(ip);
        *it = {ip, mac, ifc, true};
        front(it);
        break;
      }
      case 5:
      case 6: {
        auto it = at(ip);
        ASSERT_EQ(c.del(ip).ok(), it != model.end());
        if (it != model.end()) model.erase(it);
        break;
      }
      case 7:
        if (rng() % 8 == 0) {
          c.flush_ifc(ifc);
          model.remove_if([&](const Model& x) { return x.ifc == ifc; });
        }
        break;
    }
    auto got = c.entries();
    ASSERT_EQ(got.size(), model.size()) << step;
    size_t waiting =
        size_t(std::count_if(model.begin(), model.end(), [](const Model& x) { return !x.ok; }));
    ASSERT_EQ(c.waiting(), waiting) << step;
    ASSERT_EQ(wheel.armed(), waiting ? 1u : 0u) << step;
    auto it = model.begin();
    for (size_t i = 0; i < got.size(); i++, ++it) {
      ASSERT_EQ(got[i].ip, it->ip) << step;
      ASSERT_EQ(got[i].ok, it->ok) << step;
      if (it->ok) ASSERT_EQ(got[i].mac, it->mac) << step;
      ASSERT_EQ(got[i].ifc, it->ifc) << step;
      ASSERT_TRUE(c.find(it->ip)) << step;
    }
  }
}

}  // namespace
}  // namespace ninet
