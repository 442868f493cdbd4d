#include "media/loopback.h"

namespace ninet {

size_t LoopbackMedium::recv(Batch& out, Pool& /*pool*/, size_t max) {
  std::lock_guard<std::mutex> g(mu_);
  size_t n = 0;
  while (n < max && !q_.empty()) {
    stats_.in_bytes += q_.front()->size();
    out.push_back(std::move(q_.front()));
    q_.pop_front();
    n++;
  }
  stats_.in_packets += n;
  return n;
}

void LoopbackMedium::send(Batch& batch) {
  bool queued = false;
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
      // It arrives as a new packet: forget what output marked on it, but
      // for a checksum left partial, which nothing on the way could break.
      b->flags &= Block::kCsumPartial;
      b->net_off = 0;
      b->ifc = -1;
      q_.push_back(std::move(b));
      queued = true;
    }
  }
  batch.clear();
  if (queued) notify();
}

void LoopbackMedium::close() {
  std::lock_guard<std::mutex> g(mu_);
  q_.clear();
}

size_t LoopbackMedium::queued() const {
  std::lock_guard<std::mutex> g(mu_);
  return q_.size();
}

}  // namespace ninet
