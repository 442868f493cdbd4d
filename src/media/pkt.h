// pkt.h — `bind pkt` (ip(3)): a user program reads and writes IP packets on the
// interface's `data` file; this is how ppp(8) mediates packets between the
// stack and a PPP encoded device.
//
// Two sides, two kinds of thread:
//   stack side (the engine thread, or a thread holding the stack lock):
//     send()  queues packets for the user (bounded; drops counted in out_errors)
//     recv()  returns what the user wrote
//   user side (FUSE/9P worker threads, never the engine):
//     read_packet()   blocks until a packet is queued for the user, the medium
//                     is closed (Err::Hangup) or the read is interrupted
//                     (Err::Interrupted)
//     write_packet()  copies one packet into a Block, queues it for recv() and
//                     calls notify() (bounded; drops counted in in_errors)
// Everything here is thread-safe between the two sides; one mutex guards both
// queues and is never held across a wait or a notify().
//
//   PktMedium m(stack_pool);
//   m.set_notify([&] { wake_engine(); });
//   // user thread:                       // engine thread:
//   m.write_packet(bytes);                 m.recv(in, pool, 64);
//   auto b = m.read_packet();  (blocks)    m.send(out);   // wakes the reader
//   // another thread, e.g. on a FUSE interrupt:
//   m.interrupt();                         // the blocked read fails, Err::Interrupted
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
  // Packets waiting in each direction; beyond this, packets are dropped.
  static constexpr size_t kQueueLimit = 1024;
  // The largest packet a user may write (an IPv4 datagram's limit).
  static constexpr size_t kMaxPacket = 65535;

  // Written packets are copied into blocks of `pool` (the stack's: they may
  // outlive this medium anywhere in the stack), which must outlive every
  // block the medium hands out.
  explicit PktMedium(Pool& pool) : pool_(pool) { caps.user_data = true; }

  std::string_view name() const override { return "pkt"; }
  int default_mtu() const override { return 4096; }  // ip(3): "4096 for packet media"

  // Stack side.
  size_t recv(Batch& out, Pool& pool, size_t max) override;
  void send(Batch& batch) override;
  // Drops both queues; blocked and later reads fail with Err::Hangup, writes too.
  void close() override;

  // User side. Returns the next packet queued for the user. Blocks while there
  // is none, unless nonblock (then a null BlockPtr means "nothing queued").
  // Fails with Err::Hangup once closed, and with Err::Interrupted if
  // interrupt() is called while it waits or *cancel is true (set it, then
  // call wake()). A packet already queued is returned even if interrupted.
  Result<BlockPtr> read_packet(bool nonblock = false, const std::atomic<bool>* cancel = nullptr);
  // Same as read_packet(false, cancel); kept for callers that pass only a flag.
  Result<BlockPtr> read_packet(const std::atomic<bool>* cancel) {
    return read_packet(false, cancel);
  }
  // Copies one IP packet and queues it for recv(). Fails on an empty packet
  // (Err::TooShort), one over kMaxPacket bytes (Err::TooBig) or after close
  // (Err::Hangup). A full queue drops the packet (counted), as a link would.
  Status write_packet(std::span<const uint8_t> p);
  // Same, copying into blocks of `pool` instead of the medium's.
  Status write_packet(std::span<const uint8_t> p, Pool& pool);

  // Makes every read_packet() waiting now return Err::Interrupted. Reads that
  // start afterwards are not affected.
  void interrupt();
  // Wakes blocked readers so they re-check their cancel flags.
  void wake() { cv_.notify_all(); }

  // For tests and status: readers blocked in read_packet(), packets queued.
  size_t readers_waiting() const;
  size_t queued_for_user() const;
  size_t queued_for_stack() const;

 private:
  Pool& pool_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<BlockPtr> to_user_;    // guarded by mu_
  std::deque<BlockPtr> from_user_;  // guarded by mu_
  bool closed_ = false;             // guarded by mu_
  uint64_t interrupts_ = 0;         // guarded by mu_; bumped by interrupt()
  size_t waiting_ = 0;              // guarded by mu_
  // Written packets dropped for a full queue; folded into stats_.in_errors by
  // recv() so that stats_ is only touched on the stack side.
  std::atomic<uint64_t> write_drops_{0};
};

// The pkt medium behind m, if m is one (MediumCaps::user_data), else nullptr:
// how the tree reaches the user side of `bind pkt` without a dynamic_cast.
inline PktMedium* as_pkt(Medium* m) {
  return m && m->caps.user_data ? static_cast<PktMedium*>(m) : nullptr;
}

}  // namespace ninet
