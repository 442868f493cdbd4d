// block.h — Block: one packet in one buffer, with headroom to push headers in
// front and tailroom to append; and Pool, which recycles fixed-size buffers so
// the packet path does not allocate.
//
//   Pool pool;
//   BlockPtr b = pool.alloc();          // empty, kHeadroom bytes of headroom
//   uint8_t* p = b->put(payload_len);   // append payload
//   uint8_t* ip = b->push(20);          // prepend an IPv4 header
//   b->pull(14);                        // strip an Ethernet header on input
//   b->trim(total_len);                 // drop Ethernet padding
//
// A Block is owned by exactly one BlockPtr; freeing the BlockPtr returns the
// buffer to its pool. Blocks larger than Pool::kBufSize (reassembled datagrams,
// writes of big messages) come from the heap and are freed, not pooled.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "base/clock.h"

namespace ninet {

class Pool;
struct PoolCache;

class Block {
 public:
  // Room in front for the deepest encapsulation ninet builds:
  // Ethernet 14 + IPv6 40 + UDP 8 + L2TP 16 + PPP 4 + MPPE 2, rounded up.
  static constexpr uint32_t kHeadroom = 128;

  uint8_t* data() { return buf_ + off_; }
  const uint8_t* data() const { return buf_ + off_; }
  uint32_t size() const { return len_; }
  std::span<uint8_t> span() { return {data(), len_}; }
  std::span<const uint8_t> span() const { return {data(), len_}; }
  uint32_t headroom() const { return off_; }
  uint32_t tailroom() const { return cap_ - off_ - len_; }
  uint32_t capacity() const { return cap_; }

  // Prepends n bytes (n <= headroom()); returns the new start.
  uint8_t* push(uint32_t n);
  // Removes n bytes from the front (n <= size()); returns the new start.
  uint8_t* pull(uint32_t n);
  // Appends n bytes (n <= tailroom()); returns where they start.
  uint8_t* put(uint32_t n);
  // Shortens to n bytes (no-op if already shorter).
  void trim(uint32_t n) {
    if (n < len_) len_ = n;
  }
  // Empties the block and resets headroom to h.
  void reset(uint32_t h = kHeadroom);
  // Appends bytes (must fit in tailroom()).
  void append(const void* p, uint32_t n);

  // Per-packet metadata, set by the code that handles the block.
  int ifc = -1;        // receiving (input) or sending (output) interface number
  Time stamp = 0;      // when it arrived
  uint32_t flags = 0;  // kLink* below
  // On input, once IP hands the block to a protocol: the length of the IP
  // header(s) in front of data() (push(net_off) gets the IP packet back).
  uint16_t net_off = 0;
  // A TCP large segment (Linux's GSO/TSO, a GRO'd frame on input): the
  // payload goes on the wire in segments of gso_size bytes each (the last may
  // be shorter), cut by the medium (MediumCaps::gso_max) or by IP in software
  // (media/offload.h). 0: an ordinary packet.
  uint16_t gso_size = 0;
  static constexpr uint32_t kLinkBcast = 1;  // arrived as link broadcast
  static constexpr uint32_t kLinkMcast = 2;  // arrived as link multicast
  static constexpr uint32_t kLinkOther = 4;  // link dest was not us (promiscuous)
  static constexpr uint32_t kForwarded = 8;  // being forwarded, not sent by this stack
  // Checksum offload, as Linux's CHECKSUM_PARTIAL and CHECKSUM_UNNECESSARY:
  // the TCP/UDP checksum field holds only the pseudo-header sum, to be
  // finished by whoever puts the packet on a wire (a medium with
  // MediumCaps::csum_offload, else IP before it hands the packet over). On
  // input it means the packet never left this host's kernel: not checked.
  static constexpr uint32_t kCsumPartial = 16;
  // On input: a medium (the kernel) checked the TCP/UDP checksum already.
  static constexpr uint32_t kCsumValid = 32;

 private:
  friend class Pool;
  friend struct BlockDeleter;
  Block() = default;
  uint8_t* buf_ = nullptr;
  uint32_t cap_ = 0;
  uint32_t off_ = 0;
  uint32_t len_ = 0;
  Pool* pool_ = nullptr;  // null: heap block
};

// True if the TCP/UDP checksum of a received block needs no check (a medium
// checked it, or it never left this host).
inline bool checksum_known(const Block& b) {
  return b.flags & (Block::kCsumValid | Block::kCsumPartial);
}

struct BlockDeleter {
  void operator()(Block* b) const;
};
using BlockPtr = std::unique_ptr<Block, BlockDeleter>;

// A batch of packets moving through input or output together.
using Batch = std::vector<BlockPtr>;

// Pool: fixed-size buffers recycled without a lock or an allocation per
// packet. Every thread that allocates or frees a pool's blocks keeps a small
// cache of them (up to 2 * kMagazine, in thread-local storage), so the engine
// thread, which allocates a block per received frame and frees it after
// sending, never takes a lock in steady state. Blocks move between a thread's
// cache and the pool's shared free list kMagazine at a time under the pool's
// mutex: a thread that only frees (a FUSE reader that consumed a queue) hands
// back a batch every kMagazine frees, one that only allocates takes a batch.
// Blocks may be freed on any thread. The pool must outlive its blocks and the
// threads' use of it; a thread's cache goes back to the pool when the thread
// exits, and a pool's destructor frees what threads still cache for it.
class Pool {
 public:
  // Room for a 1500-byte Ethernet payload or a 4096-byte pkt MTU plus headers.
  static constexpr uint32_t kBufSize = 4096 + 256;
  // Blocks moved between a thread's cache and the shared free list at once.
  static constexpr size_t kMagazine = 64;
  // A large segment (64 KiB of IP packet: GSO/GRO, jumbo frames) with its
  // link and virtio-net headers. Blocks this big are recycled too, on a
  // list of their own (a lock per block: there are 40x fewer of them per
  // byte), since a fresh 64 KiB from malloc is a page fault per 4 KiB when
  // the kernel copies a frame into it. Anything larger is a heap block.
  static constexpr uint32_t kBigSize = 65536 + 512;
  static constexpr size_t kMaxBigCached = 128;

  // max_cached: most free blocks kept on the shared list (beyond that,
  // freed blocks go back to the heap); threads' caches hold up to
  // 2 * kMagazine more each.
  explicit Pool(size_t max_cached = 8192) : max_cached_(max_cached) {}
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A block that can hold at least `size` bytes after kHeadroom.
  BlockPtr alloc(uint32_t size = kBufSize - Block::kHeadroom);
  // Copies bytes into a new block.
  BlockPtr copy(const uint8_t* p, uint32_t n, uint32_t headroom = Block::kHeadroom);

  // Free pool blocks (shared list and every thread's cache).
  size_t cached() const;
  // Pool blocks handed out and not yet freed. Exact when no other thread is
  // allocating or freeing at the same time.
  size_t outstanding() const;

 private:
  friend struct BlockDeleter;
  friend struct PoolCache;
  friend struct PoolCaches;
  void release(Block* b);
  PoolCache* cache();                  // this thread's cache for this pool
  PoolCache* attach();                 // makes it (slow path)
  Block* refill(PoolCache& c);         // a batch from the shared list, or a new block
  void spill(PoolCache& c, size_t n);  // n blocks from the cache to the shared list
  void detach(PoolCache& c);           // the cache's blocks and counts back to the pool
  size_t outstanding_locked() const;
  static void free_block(Block* b);  // back to the heap

  mutable std::mutex mu_;  // guards free_, big_ and pooled_
  std::vector<Block*> free_;
  std::vector<Block*> big_;  // free blocks of kBigSize
  size_t max_cached_;
  size_t pooled_ = 0;  // pool blocks that exist (outstanding or free)
  // Guarded by the process-wide cache registry lock (block.cc).
  std::vector<PoolCache*> caches_;
  int64_t retired_ = 0;  // allocs - frees of caches already detached
};

}  // namespace ninet
