// loopback.h — `bind loopback` (ip(3): "anything written to it will be looped
// back"): every block sent is queued and comes back, in order, from recv().
//
// There is no descriptor to poll: send() calls notify() when it queued
// something, and the engine then calls recv(). The queue is bounded; what does
// not fit is dropped and counted in out_errors, as a full transmit queue would.
//
//   LoopbackMedium m;
//   m.set_notify([&] { wake_engine(); });
//   m.send(batch);               // batch is left empty
//   m.recv(in, pool, 64);        // the same blocks, as input
#pragma once

#include <deque>
#include <mutex>

#include "media/medium.h"

namespace ninet {

class LoopbackMedium final : public Medium {
 public:
  // Blocks waiting to be received; beyond this, send() drops.
  static constexpr size_t kQueueLimit = 4096;

  // No wire: checksums stay partial (the receiver does not check them) and
  // large segments stay whole, as on Linux's lo.
  LoopbackMedium() {
    caps.loopback = true;
    caps.csum_offload = true;
    caps.gso_max = 65535;
  }
  std::string_view name() const override { return "loopback"; }
  // Plan 9's loopbackmedium uses a large maximum transfer unit too: nothing on
  // a loopback ever needs fragmenting, and big packets mean fewer of them per
  // byte for local TCP. 16 KiB keeps a full-size packet (a heap block; pooled
  // blocks hold ~4 KiB) well under IPv4's 65535-byte limit and bounds the
  // queue's worst case at 64 MiB. `mtu n` may raise it to 65535.
  int default_mtu() const override { return 16384; }

  size_t recv(Batch& out, Pool& pool, size_t max) override;
  void send(Batch& batch) override;
  // Drops whatever is still queued.
  void close() override;

  // Blocks queued and not yet received.
  size_t queued() const;

 private:
  mutable std::mutex mu_;
  std::deque<BlockPtr> q_;  // guarded by mu_
};

}  // namespace ninet
