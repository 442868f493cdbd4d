#include "media/pkt.h"

namespace ninet {

size_t PktMedium::recv(Batch& out, Pool& pool, size_t max) {
  std::lock_guard<std::mutex> g(mu_);
  size_t n = 0;
  while (n < max && !from_user_.empty()) {
    out.push_back(std::move(from_user_.front()));
    from_user_.pop_front();
    n++;
  }
  stats_.in_packets += n;
  return n;
}

void PktMedium::send(Batch& batch) {
  {
    std::lock_guard<std::mutex> g(mu_);
    for (BlockPtr& b : batch) {
      if (!b) continue;
      if (closed_ || to_user_.size() >= kQueueLimit) {
        stats_.out_errors++;  // nobody reads fast enough: drop, as a link would
        continue;
      }
      stats_.out_packets++;
      stats_.out_bytes += b->size();
      to_user_.push_back(std::move(b));
    }
  }
  batch.clear();
  cv_.notify_all();
}

void PktMedium::close() {
  {
    std::lock_guard<std::mutex> g(mu_);
    closed_ = true;
    to_user_.clear();
    from_user_.clear();
  }
  cv_.notify_all();
}

Result<BlockPtr> PktMedium::read_packet(const std::atomic<bool>* cancel) {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [&] { return !to_user_.empty() || closed_ || (cancel && cancel->load()); });
  if (!to_user_.empty()) {
    BlockPtr b = std::move(to_user_.front());
    to_user_.pop_front();
    return b;
  }
  if (closed_) return Err::Hangup;
  return Err::Interrupted;
}

Status PktMedium::write_packet(std::span<const uint8_t> p, Pool& pool) {
  if (p.empty()) return Error(Err::TooShort, "empty packet");
  if (p.size() > 65535) return Error(Err::TooBig, "packet over 65535 bytes");
  {
    std::lock_guard<std::mutex> g(mu_);
    if (closed_) return Err::Hangup;
    if (from_user_.size() >= kQueueLimit) {
      stats_.in_errors++;
      return Error(Err::NoMem, "input queue full");
    }
    from_user_.push_back(pool.copy(p.data(), uint32_t(p.size())));
  }
  notify();
  return {};
}

}  // namespace ninet
