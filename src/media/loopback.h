// loopback.h — `bind loopback`: everything sent comes back as input.
//
//   LoopbackMedium m;   m.send(batch);   m.recv(out, pool, 64);   // same packets
#pragma once

#include <deque>
#include <mutex>

#include "media/medium.h"

namespace ninet {

class LoopbackMedium final : public Medium {
 public:
  static constexpr size_t kQueueLimit = 4096;
  std::string_view name() const override { return "loopback"; }
  // Large, like Plan 9's and Linux's loopback (Linux: 65536): nothing on a
  // loopback needs fragmenting, but keep it within one pool buffer's reach
  // for the common case and let big writes use heap blocks.
  int default_mtu() const override { return 16384; }
  size_t recv(Batch& out, Pool& pool, size_t max) override;
  void send(Batch& batch) override;

 private:
  std::mutex mu_;
  std::deque<BlockPtr> q_;
};

}  // namespace ninet
