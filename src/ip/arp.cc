// arp.cc — the ARP/ND cache: a hash map from address to entry plus an
// intrusive LRU list through the entries (most recently used at the front).
#include "ip/arp.h"

#include <list>
#include <unordered_map>

namespace ninet {

struct ArpCache::Impl {
  struct Entry {
    Ipaddr ip;
    Mac mac;
    int ifc = -1;
    bool ok = false;
    Time last_request = 0;
    int tries = 0;
    Batch queue;  // packets waiting for the address (WAIT only)
  };
  size_t capacity;
  std::list<Entry> lru;  // front = most recently used
  std::unordered_map<Ipaddr, std::list<Entry>::iterator, IpaddrHash> map;

  Entry* find(const Ipaddr& ip) {
    auto it = map.find(ip);
    if (it == map.end()) return nullptr;
    lru.splice(lru.begin(), lru, it->second);  // touch
    return &*it->second;
  }
  Entry& make(const Ipaddr& ip) {
    if (lru.size() >= capacity) {
      // Replace the least recently used entry.
      map.erase(lru.back().ip);
      lru.pop_back();
    }
    lru.emplace_front();
    lru.front().ip = ip;
    map[ip] = lru.begin();
    return lru.front();
  }
  void erase(const Ipaddr& ip) {
    auto it = map.find(ip);
    if (it == map.end()) return;
    lru.erase(it->second);
    map.erase(it);
  }
};

ArpCache::ArpCache(size_t capacity) : impl_(std::make_unique<Impl>()) {
  impl_->capacity = capacity ? capacity : 1;
  impl_->map.reserve(capacity * 2);
}
ArpCache::~ArpCache() = default;

Resolve ArpCache::resolve(const Ipaddr& ip, int ifc, Time now, BlockPtr& pkt, Mac* mac) {
  Impl::Entry* e = impl_->find(ip);
  if (e && e->ok) {
    *mac = e->mac;
    return Resolve::kOk;
  }
  bool fresh = false;
  if (!e) {
    e = &impl_->make(ip);
    e->ifc = ifc;
    e->last_request = now;
    e->tries = 1;
    fresh = true;
  }
  if (e->queue.size() >= kMaxQueued) e->queue.erase(e->queue.begin());
  e->queue.push_back(std::move(pkt));
  return fresh ? Resolve::kQueuedSendRequest : Resolve::kQueued;
}

Batch ArpCache::update(const Ipaddr& ip, const Mac& mac, int ifc, bool create, Time now) {
  Impl::Entry* e = impl_->find(ip);
  if (!e) {
    if (!create) return {};
    e = &impl_->make(ip);
  }
  e->mac = mac;
  e->ifc = ifc;
  e->ok = true;
  e->tries = 0;
  Batch out;
  out.swap(e->queue);
  return out;
}

Batch ArpCache::add(const Ipaddr& ip, const Mac& mac, int ifc, Time now) {
  return update(ip, mac, ifc, true, now);
}

Status ArpCache::del(const Ipaddr& ip) {
  if (!impl_->map.count(ip)) return Error(Err::NoSuchEntry, ip.str());
  impl_->erase(ip);
  return {};
}

void ArpCache::flush() {
  impl_->lru.clear();
  impl_->map.clear();
}

void ArpCache::flush_ifc(int ifc) {
  for (auto it = impl_->lru.begin(); it != impl_->lru.end();) {
    if (it->ifc == ifc) {
      impl_->map.erase(it->ip);
      it = impl_->lru.erase(it);
    } else {
      ++it;
    }
  }
}

void ArpCache::tick(Time now, const std::function<void(const Ipaddr&, int)>& send_request,
                    const std::function<void(BlockPtr)>& give_up) {
  std::vector<Ipaddr> dead;
  for (auto& e : impl_->lru) {
    if (e.ok || now - e.last_request < kRetransmit) continue;
    if (e.tries >= kMaxTries) {
      dead.push_back(e.ip);
      continue;
    }
    e.tries++;
    e.last_request = now;
    if (send_request) send_request(e.ip, e.ifc);
  }
  for (const Ipaddr& ip : dead) {
    auto it = impl_->map.find(ip);
    Batch q;
    q.swap(it->second->queue);
    impl_->erase(ip);
    if (give_up)
      for (BlockPtr& b : q)
        give_up(std::move(b));
  }
}

std::vector<ArpEntryInfo> ArpCache::entries() const {
  std::vector<ArpEntryInfo> v;
  v.reserve(impl_->lru.size());
  for (const auto& e : impl_->lru)
    v.push_back({e.ip, e.mac, e.ifc, e.ok});
  return v;
}

size_t ArpCache::size() const {
  return impl_->lru.size();
}

}  // namespace ninet
