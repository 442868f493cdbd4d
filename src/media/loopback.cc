#include "media/loopback.h"

namespace ninet {

size_t LoopbackMedium::recv(Batch& out, Pool& pool, size_t max) {
  std::lock_guard<std::mutex> g(mu_);
  size_t n = 0;
  while (n < max && !q_.empty()) {
    out.push_back(std::move(q_.front()));
    q_.pop_front();
    n++;
  }
  stats_.in_packets += n;
  return n;
}

void LoopbackMedium::send(Batch& batch) {
  bool any = false;
  {
    std::lock_guard<std::mutex> g(mu_);
    for (BlockPtr& b : batch) {
      if (!b) continue;
      if (q_.size() >= kQueueLimit) {
        stats_.out_errors++;
        continue;
      }
      stats_.out_packets++;
      stats_.out_bytes += b->size();
      q_.push_back(std::move(b));
      any = true;
    }
  }
  batch.clear();
  if (any) notify();
}

}  // namespace ninet
