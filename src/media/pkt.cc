#include "media/pkt.h"

namespace ninet {

size_t PktMedium::recv(Batch& out, Pool& /*pool*/, size_t max) {
  size_t n = 0;
  {
    std::lock_guard<std::mutex> g(mu_);
    while (n < max && !from_user_.empty()) {
      stats_.in_bytes += from_user_.front()->size();
      out.push_back(std::move(from_user_.front()));
      from_user_.pop_front();
      n++;
    }
  }
  stats_.in_packets += n;
  stats_.in_errors += write_drops_.exchange(0, std::memory_order_relaxed);
  return n;
}

void PktMedium::send(Batch& batch) {
  bool queued = false;
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
      queued = true;
    }
  }
  batch.clear();
  if (queued) cv_.notify_all();
}

void PktMedium::close() {
  std::deque<BlockPtr> drop_in, drop_out;  // freed outside the lock
  {
    std::lock_guard<std::mutex> g(mu_);
    closed_ = true;
    drop_in.swap(from_user_);
    drop_out.swap(to_user_);
  }
  cv_.notify_all();
}

Result<BlockPtr> PktMedium::read_packet(bool nonblock, const std::atomic<bool>* cancel) {
  std::unique_lock<std::mutex> l(mu_);
  const uint64_t gen = interrupts_;
  auto ready = [&] {
    return !to_user_.empty() || closed_ || interrupts_ != gen || (cancel && cancel->load());
  };
  if (!nonblock && !ready()) {
    waiting_++;
    cv_.wait(l, ready);
    waiting_--;
  }
  if (!to_user_.empty()) {
    BlockPtr b = std::move(to_user_.front());
    to_user_.pop_front();
    return b;
  }
  if (closed_) return Err::Hangup;
  if (interrupts_ != gen || (cancel && cancel->load())) return Err::Interrupted;
  return BlockPtr();  // nonblock and nothing queued
}

Status PktMedium::write_packet(std::span<const uint8_t> p) {
  return write_packet(p, pool_);
}

Status PktMedium::write_packet(std::span<const uint8_t> p, Pool& pool) {
  if (p.empty()) return Error(Err::TooShort, "empty packet");
  if (p.size() > kMaxPacket) return Error(Err::TooBig, "packet over 65535 bytes");
  // Copy before taking the lock: the copy is the expensive part.
  BlockPtr b = pool.copy(p.data(), uint32_t(p.size()));
  {
    std::lock_guard<std::mutex> g(mu_);
    if (closed_) return Err::Hangup;
    if (from_user_.size() >= kQueueLimit) {
      write_drops_.fetch_add(1, std::memory_order_relaxed);
      return {};  // dropped, as a link whose receiver is busy would
    }
    from_user_.push_back(std::move(b));
  }
  notify();
  return {};
}

void PktMedium::interrupt() {
  {
    std::lock_guard<std::mutex> g(mu_);
    interrupts_++;
  }
  cv_.notify_all();
}

size_t PktMedium::readers_waiting() const {
  std::lock_guard<std::mutex> g(mu_);
  return waiting_;
}

size_t PktMedium::queued_for_user() const {
  std::lock_guard<std::mutex> g(mu_);
  return to_user_.size();
}

size_t PktMedium::queued_for_stack() const {
  std::lock_guard<std::mutex> g(mu_);
  return from_user_.size();
}

}  // namespace ninet
