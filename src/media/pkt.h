// pkt.h — `bind pkt`: a user program reads and writes IP packets on the
// interface's `data` file (ip(3); how ppp(8) mediates packets).
//
// Stack side (engine thread, stack lock held): send() queues packets for the
// user, recv() returns what the user wrote. User side (FUSE/9P workers):
// read_packet() blocks for the next packet, write_packet() queues one.
//
//   PktMedium m;
//   m.write_packet(bytes);               // user -> stack
//   auto b = m.read_packet(&cancel);      // stack -> user (blocks)
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <span>

#include "media/medium.h"

namespace ninet {

class PktMedium final : public Medium {
 public:
  static constexpr size_t kQueueLimit = 1024;
  std::string_view name() const override { return "pkt"; }
  int default_mtu() const override { return 4096; }  // ip(3)
  size_t recv(Batch& out, Pool& pool, size_t max) override;
  void send(Batch& batch) override;
  void close() override;

  // Blocks until a packet is queued for the user (returns it), the medium is
  // closed (Err::Hangup) or *cancel turns true (Err::Interrupted; call wake()
  // after setting it).
  Result<BlockPtr> read_packet(const std::atomic<bool>* cancel);
  // Copies one IP packet written by the user and queues it as input.
  Status write_packet(std::span<const uint8_t> p, Pool& pool);
  void wake() { cv_.notify_all(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<BlockPtr> to_user_, from_user_;
  bool closed_ = false;
};

}  // namespace ninet
