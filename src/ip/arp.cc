// arp.cc — the ARP/ND cache (ip(3): "an LRU cache of 256 entries").
//
// All entries live in one array allocated at construction. An open-addressed
// hash table (linear probing, backward-shift deletion) maps an address to its
// slot, and an intrusive doubly linked list through the slots keeps them in
// use order, most recently used at the head. A resolve hit is a probe plus a
// relink: no allocation. Replacement takes the tail.
//
// WAIT entries are also on a second list, the retransmit queue, in the order
// of their last request (each request is kRetransmit after the previous one,
// so a request moves its entry to the tail). One timer, armed at the head's
// deadline, serves them all: O(1) per request, nothing armed while no entry
// waits. Its handlers run after the table is updated, so they may call back
// into the cache (an ICMP error for a given-up packet is routed and resolved).
#include "ip/arp.h"

#include <bit>
#include <utility>

namespace ninet {

namespace {
constexpr uint32_t kNil = UINT32_MAX;
}  // namespace

struct ArpCache::Impl {
  struct Entry {
    Ipaddr ip;
    Mac mac;
    int ifc = -1;
    bool ok = false;
    int tries = 0;  // requests sent, counting the caller's first one
    Time last_request = 0;
    Batch queue;                        // packets waiting for the address, oldest first (WAIT only)
    uint32_t prev = kNil, next = kNil;  // use order; next also links the free list
    bool waiting = false;               // on the retransmit queue
    uint32_t wprev = kNil, wnext = kNil;
  };

  std::vector<Entry> slots;
  std::vector<uint32_t> table;  // hash slot -> entry index, kNil when empty
  uint32_t mask = 0;            // table.size() - 1
  uint32_t head = kNil, tail = kNil, free = kNil;
  uint32_t whead = kNil, wtail = kNil;  // the retransmit queue, oldest request first
  size_t count = 0, nwaiting = 0;
  Timer retransmit;
  SendRequest send_request;
  GiveUp give_up;

  Impl(TimerWheel& wheel, size_t capacity)
      : slots(capacity), retransmit(wheel, [this](Time now) { expire(now); }) {
    table.assign(std::bit_ceil(capacity * 2), kNil);
    mask = uint32_t(table.size() - 1);
    for (uint32_t i = 0; i < slots.size(); i++)
      slots[i].next = i + 1 < slots.size() ? i + 1 : kNil;
    free = 0;
  }

  uint32_t home(const Ipaddr& ip) const { return uint32_t(IpaddrHash()(ip)) & mask; }

  // The table position holding ip, or kNil.
  uint32_t probe(const Ipaddr& ip) const {
    for (uint32_t h = home(ip);; h = (h + 1) & mask) {
      if (table[h] == kNil) return kNil;
      if (slots[table[h]].ip == ip) return h;
    }
  }

  Entry* find(const Ipaddr& ip) {
    uint32_t h = probe(ip);
    return h == kNil ? nullptr : &slots[table[h]];
  }

  uint32_t index(const Entry& e) const { return uint32_t(&e - slots.data()); }

  void unlink(uint32_t i) {
    Entry& e = slots[i];
    (e.prev == kNil ? head : slots[e.prev].next) = e.next;
    (e.next == kNil ? tail : slots[e.next].prev) = e.prev;
    e.prev = e.next = kNil;
  }
  void link_front(uint32_t i) {
    Entry& e = slots[i];
    e.prev = kNil;
    e.next = head;
    (head == kNil ? tail : slots[head].prev) = i;
    head = i;
  }
  void touch(Entry& e) {
    uint32_t i = index(e);
    if (head == i) return;
    unlink(i);
    link_front(i);
  }

  // Removes ip's table position h, shifting later members of its probe run
  // back so that every lookup still finds its key (Knuth 6.4, algorithm R).
  void table_erase(uint32_t h) {
    table[h] = kNil;
    for (uint32_t j = (h + 1) & mask; table[j] != kNil; j = (j + 1) & mask) {
      uint32_t want = home(slots[table[j]].ip);
      // Move j into the hole unless its home lies cyclically in (h, j].
      bool stays = h <= j ? (h < want && want <= j) : (h < want || want <= j);
      if (stays) continue;
      table[h] = table[j];
      table[j] = kNil;
      h = j;
    }
  }

  // Queues e by its last request, from the tail (normally it goes last).
  void wait_link(Entry& e) {
    uint32_t i = index(e), after = wtail;
    while (after != kNil && slots[after].last_request > e.last_request)
      after = slots[after].wprev;
    e.wprev = after;
    e.wnext = after == kNil ? whead : slots[after].wnext;
    (after == kNil ? whead : slots[after].wnext) = i;
    (e.wnext == kNil ? wtail : slots[e.wnext].wprev) = i;
    e.waiting = true;
    nwaiting++;
  }
  void wait_unlink(Entry& e) {
    if (!e.waiting) return;
    (e.wprev == kNil ? whead : slots[e.wprev].wnext) = e.wnext;
    (e.wnext == kNil ? wtail : slots[e.wnext].wprev) = e.wprev;
    e.wprev = e.wnext = kNil;
    e.waiting = false;
    nwaiting--;
  }
  // The timer follows the queue's head.
  void rearm() {
    if (whead == kNil)
      retransmit.cancel();
    else if (Time when = slots[whead].last_request + kRetransmit;
             when != retransmit.when() || !retransmit.armed())
      retransmit.arm(when);
  }
  void expire(Time now);

  void erase(Entry& e) {
    uint32_t i = index(e);
    wait_unlink(e);
    table_erase(probe(e.ip));
    unlink(i);
    e = Entry{};
    e.next = free;
    free = i;
    count--;
  }

  // A new entry at the head of the use order, replacing the least recently
  // used one when full (its queued packets are dropped, as in Plan 9).
  Entry& make(const Ipaddr& ip) {
    if (free == kNil) erase(slots[tail]);
    uint32_t i = free;
    free = slots[i].next;
    Entry& e = slots[i];
    e.ip = ip;
    uint32_t h = home(ip);
    while (table[h] != kNil)
      h = (h + 1) & mask;
    table[h] = i;
    link_front(i);
    count++;
    return e;
  }
};

ArpCache::ArpCache(TimerWheel& wheel, size_t capacity)
    : impl_(std::make_unique<Impl>(wheel, capacity ? capacity : 1)) {}
ArpCache::~ArpCache() = default;

void ArpCache::set_handlers(SendRequest send_request, GiveUp give_up) {
  impl_->send_request = std::move(send_request);
  impl_->give_up = std::move(give_up);
}

Resolve ArpCache::resolve(const Ipaddr& ip, int ifc, Time now, BlockPtr& pkt, Mac* mac) {
  Impl::Entry* e = impl_->find(ip);
  if (e) impl_->touch(*e);
  if (e && e->ok) {
    *mac = e->mac;
    return Resolve::kOk;
  }
  bool fresh = e == nullptr;
  if (fresh) {
    e = &impl_->make(ip);
    e->ifc = ifc;
    e->last_request = now;
    e->tries = 1;  // the caller sends the first request
    impl_->wait_link(*e);
    impl_->rearm();
  }
  if (e->queue.size() >= kMaxQueued) e->queue.erase(e->queue.begin());
  e->queue.push_back(std::move(pkt));
  return fresh ? Resolve::kQueuedSendRequest : Resolve::kQueued;
}

Batch ArpCache::update(const Ipaddr& ip, const Mac& mac, int ifc, bool create, Time now) {
  Impl::Entry* e = impl_->find(ip);
  if (e) {
    impl_->touch(*e);
  } else {
    if (!create) return {};
    e = &impl_->make(ip);
  }
  e->mac = mac;
  e->ifc = ifc;
  e->ok = true;
  e->tries = 0;
  impl_->wait_unlink(*e);
  impl_->rearm();  // the queue's head may have gone (answered, or replaced by make)
  Batch ready;
  ready.swap(e->queue);
  return ready;
}

Batch ArpCache::add(const Ipaddr& ip, const Mac& mac, int ifc, Time now) {
  return update(ip, mac, ifc, true, now);
}

Status ArpCache::del(const Ipaddr& ip) {
  Impl::Entry* e = impl_->find(ip);
  if (!e) return Error(Err::NoSuchEntry, ip.str());
  impl_->erase(*e);
  impl_->rearm();
  return {};
}

void ArpCache::flush() {
  while (impl_->head != kNil)
    impl_->erase(impl_->slots[impl_->head]);
  impl_->rearm();
}

void ArpCache::flush_ifc(int ifc) {
  for (uint32_t i = impl_->head; i != kNil;) {
    Impl::Entry& e = impl_->slots[i];
    i = e.next;
    if (e.ifc == ifc) impl_->erase(e);
  }
  impl_->rearm();
}

// The retransmit timer: the queue's entries whose last request is
// kRetransmit old, oldest first.
void ArpCache::Impl::expire(Time now) {
  std::vector<std::pair<Ipaddr, int>> requests;
  Batch dead;
  while (whead != kNil) {
    Entry& e = slots[whead];
    if (e.last_request + kRetransmit > now) break;
    wait_unlink(e);
    if (e.tries >= kMaxTries) {
      for (BlockPtr& b : e.queue)
        dead.push_back(std::move(b));
      erase(e);
      continue;
    }
    e.tries++;
    e.last_request = now;
    wait_link(e);
    requests.emplace_back(e.ip, e.ifc);
  }
  rearm();
  if (send_request)
    for (const auto& [ip, ifc] : requests)
      send_request(ip, ifc);
  if (give_up)
    for (BlockPtr& b : dead)
      give_up(std::move(b));
}

std::vector<ArpEntryInfo> ArpCache::entries() const {
  std::vector<ArpEntryInfo> v;
  v.reserve(impl_->count);
  for (uint32_t i = impl_->head; i != kNil; i = impl_->slots[i].next) {
    const Impl::Entry& e = impl_->slots[i];
    v.push_back({e.ip, e.mac, e.ifc, e.ok});
  }
  return v;
}

std::optional<ArpEntryInfo> ArpCache::find(const Ipaddr& ip) const {
  uint32_t h = impl_->probe(ip);
  if (h == kNil) return std::nullopt;
  const Impl::Entry& e = impl_->slots[impl_->table[h]];
  return ArpEntryInfo{e.ip, e.mac, e.ifc, e.ok};
}

size_t ArpCache::size() const {
  return impl_->count;
}

size_t ArpCache::waiting() const {
  return impl_->nwaiting;
}

}  // namespace ninet
