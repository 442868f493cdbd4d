// arp.h — the address resolution cache of one stack: IPv4 ARP and IPv6
// Neighbour Discovery entries in one LRU table, as ip(3)'s /net/arp shows it.
//
// Entries do not time out (ip(3)); the table holds kCapacity entries and
// replaces the least recently used. An entry is WAIT while a request is
// outstanding (packets for it are queued, a few per entry) and OK once the
// medium address is known. WAIT entries are retransmitted and given up on the
// cache's own timer, armed only while some entry waits. Protocol messages are
// built by the caller: this is only the table.
//
//   ArpCache c(wheel);
//   c.set_handlers([&](const Ipaddr& ip, int ifc) { send a request },
//                  [&](BlockPtr b) { ICMP host unreachable for b });
//   Mac m;
//   switch (c.resolve(ip, ifc, now, std::move(pkt), &m)) {
//     case Resolve::kOk: send with m; break;             // pkt was not taken
//     case Resolve::kQueuedSendRequest: send a request;   // pkt was queued
//     case Resolve::kQueued: break;
//   }
//   Batch ready = c.update(ip, mac, ifc, /*create=*/true, now);  // send these
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "base/ipaddr.h"
#include "base/timer.h"
#include "buf/block.h"

namespace ninet {

enum class Resolve { kOk, kQueued, kQueuedSendRequest };

struct ArpEntryInfo {
  Ipaddr ip;
  Mac mac;
  int ifc = -1;
  bool ok = false;  // OK or WAIT
};

class ArpCache {
 public:
  static constexpr size_t kCapacity = 256;  // NOTES.md: an LRU cache of 256 entries
  static constexpr size_t kMaxQueued = 8;   // packets held per WAIT entry
  static constexpr Time kRetransmit = sec(1);
  static constexpr int kMaxTries = 3;

  using SendRequest = std::function<void(const Ipaddr& ip, int ifc)>;
  using GiveUp = std::function<void(BlockPtr queued)>;

  explicit ArpCache(TimerWheel& wheel, size_t capacity = kCapacity);
  ~ArpCache();

  // What the retransmit timer does, kRetransmit after an entry's last
  // request: if it has had kMaxTries, the entry is removed and its queued
  // packets go to give_up (for ICMP host unreachable), in order; else the
  // try is counted and send_request(ip, ifc) asked to send one. They are
  // called after the table is updated, so they may use the cache.
  void set_handlers(SendRequest send_request, GiveUp give_up);

  // On OK: stores the MAC in *mac, marks the entry recently used, returns kOk
  // and leaves pkt untouched (the caller keeps it). Otherwise queues pkt
  // (dropping the oldest queued packet beyond kMaxQueued) and returns
  // kQueuedSendRequest when a new WAIT entry was made (the caller sends the
  // first request), else kQueued.
  Resolve resolve(const Ipaddr& ip, int ifc, Time now, BlockPtr& pkt, Mac* mac);

  // A mapping was learned from the wire. Updates an existing entry (making a
  // WAIT entry OK); creates one only if create is true. Returns the packets
  // that were waiting for it, in order, ready to send to mac.
  Batch update(const Ipaddr& ip, const Mac& mac, int ifc, bool create, Time now);

  // `add type ip mac` from /net/arp: adds or replaces; waiting packets are
  // returned as with update().
  Batch add(const Ipaddr& ip, const Mac& mac, int ifc, Time now);
  Status del(const Ipaddr& ip);  // NoSuchEntry if absent
  void flush();
  // Removes every entry of an interface (on unbind).
  void flush_ifc(int ifc);

  std::vector<ArpEntryInfo> entries() const;  // most recently used first
  // The entry for ip, if any, without counting as a use.
  std::optional<ArpEntryInfo> find(const Ipaddr& ip) const;
  size_t size() const;
  size_t waiting() const;  // WAIT entries (the retransmit timer is armed iff > 0)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ninet
