#include "buf/block.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstdlib>
#include <cstring>

namespace ninet {

uint8_t* Block::push(uint32_t n) {
  assert(n <= off_);
  off_ -= n;
  len_ += n;
  return data();
}

uint8_t* Block::pull(uint32_t n) {
  assert(n <= len_);
  off_ += n;
  len_ -= n;
  return data();
}

uint8_t* Block::put(uint32_t n) {
  assert(n <= tailroom());
  uint8_t* p = data() + len_;
  len_ += n;
  return p;
}

void Block::append(const void* p, uint32_t n) {
  if (n) std::memcpy(put(n), p, n);  // p may be null when n is 0
}

void Block::reset(uint32_t h) {
  off_ = h < cap_ ? h : cap_;
  len_ = 0;
  ifc = -1;
  stamp = 0;
  flags = 0;
  net_off = 0;
  gso_size = 0;
}

void BlockDeleter::operator()(Block* b) const {
  if (b->pool_) {
    b->pool_->release(b);
  } else {
    std::free(b->buf_);
    delete b;
  }
}

// One thread's cache of one pool's free blocks. Only the owning thread
// touches blocks/n while pool is set; the counters are written by it alone
// (plain load + store, no locked instruction) and read by outstanding().
struct PoolCache {
  std::atomic<Pool*> pool{nullptr};  // null once the pool is gone
  size_t n = 0;
  Block* blocks[2 * Pool::kMagazine];
  std::atomic<int64_t> allocs{0}, frees{0};
  void count(std::atomic<int64_t>& c) {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
};

namespace {

// Taken to make, detach or walk caches (a thread's first use of a pool, a
// thread's exit, outstanding(), ~Pool): never per packet. Before any pool's mu_.
std::mutex& registry_mu() {
  static std::mutex mu;
  return mu;
}

}  // namespace

// The calling thread's caches, a few pools at a time (a process has a pool
// per stack; tests make many one after another).
struct PoolCaches {
  static constexpr int kSlots = 4;
  PoolCache* slot[kSlots] = {};
  ~PoolCaches() {
    std::lock_guard<std::mutex> g(registry_mu());
    for (PoolCache*& c : slot) {
      if (!c) continue;
      if (Pool* p = c->pool.load(std::memory_order_relaxed)) p->detach(*c);
      delete c;
      c = nullptr;
    }
  }
};

namespace {
thread_local PoolCaches tls_caches;
}  // namespace

void Pool::free_block(Block* b) {
  std::free(b->buf_);
  delete b;
}

Pool::~Pool() {
  std::lock_guard<std::mutex> g(registry_mu());
  // Threads still holding a cache for this pool: take its blocks (they may no
  // longer use the pool) and mark it free for reuse.
  for (PoolCache* c : caches_) {
    for (size_t i = 0; i < c->n; i++)
      free_block(c->blocks[i]);
    c->n = 0;
    c->pool.store(nullptr, std::memory_order_relaxed);
  }
  for (Block* b : free_)
    free_block(b);
  for (Block* b : big_)
    free_block(b);
}

inline PoolCache* Pool::cache() {
  for (PoolCache* c : tls_caches.slot)
    if (c && c->pool.load(std::memory_order_relaxed) == this) return c;
  return attach();
}

PoolCache* Pool::attach() {
  std::lock_guard<std::mutex> g(registry_mu());
  PoolCache** where = nullptr;
  for (PoolCache*& c : tls_caches.slot) {
    if (!c || !c->pool.load(std::memory_order_relaxed)) {
      where = &c;
      break;
    }
  }
  if (!where) {
    // Every slot holds a live pool: give the last one's blocks back.
    where = &tls_caches.slot[PoolCaches::kSlots - 1];
    (*where)->pool.load(std::memory_order_relaxed)->detach(**where);
  }
  delete *where;
  *where = new PoolCache;
  (*where)->pool.store(this, std::memory_order_relaxed);
  caches_.push_back(*where);
  return *where;
}

void Pool::detach(PoolCache& c) {
  // Under the registry lock.
  spill(c, c.n);
  retired_ += c.allocs.load(std::memory_order_relaxed) - c.frees.load(std::memory_order_relaxed);
  std::erase(caches_, &c);
  c.pool.store(nullptr, std::memory_order_relaxed);
}

Block* Pool::refill(PoolCache& c) {
  {
    std::lock_guard<std::mutex> g(mu_);
    size_t k = std::min(kMagazine, free_.size());
    if (k) {
      std::copy(free_.end() - ptrdiff_t(k), free_.end(), c.blocks);
      free_.resize(free_.size() - k);
      c.n = k - 1;
      return c.blocks[k - 1];
    }
    pooled_++;
  }
  Block* b = new Block;
  b->cap_ = kBufSize;
  b->buf_ = static_cast<uint8_t*>(std::malloc(kBufSize));
  b->pool_ = this;
  return b;
}

void Pool::spill(PoolCache& c, size_t n) {
  Block** from = c.blocks + (c.n - n);
  size_t drop = 0;
  {
    std::lock_guard<std::mutex> g(mu_);
    size_t keep = free_.size() < max_cached_ ? std::min(n, max_cached_ - free_.size()) : 0;
    free_.insert(free_.end(), from, from + keep);
    drop = n - keep;
    pooled_ -= drop;
  }
  for (size_t i = n - drop; i < n; i++)
    free_block(from[i]);
  c.n -= n;
}

BlockPtr Pool::alloc(uint32_t size) {
  if (size + Block::kHeadroom > kBufSize && size + Block::kHeadroom <= kBigSize) {
    Block* b = nullptr;
    {
      std::lock_guard<std::mutex> g(mu_);
      if (!big_.empty()) {
        b = big_.back();
        big_.pop_back();
      }
    }
    if (!b) {
      b = new Block;
      b->cap_ = kBigSize;
      b->buf_ = static_cast<uint8_t*>(std::malloc(kBigSize));
      b->pool_ = this;
    }
    b->reset();
    return BlockPtr(b);
  }
  if (size + Block::kHeadroom > kBufSize) {
    Block* b = new Block;
    b->cap_ = size + Block::kHeadroom;
    b->buf_ = static_cast<uint8_t*>(std::malloc(b->cap_));
    b->reset();
    return BlockPtr(b);
  }
  PoolCache* c = cache();
  Block* b = c->n ? c->blocks[--c->n] : refill(*c);
  c->count(c->allocs);
  b->reset();
  return BlockPtr(b);
}

BlockPtr Pool::copy(const uint8_t* p, uint32_t n, uint32_t headroom) {
  BlockPtr b = alloc(n + headroom > Block::kHeadroom ? n + headroom - Block::kHeadroom : n);
  b->reset(headroom);
  if (n) b->append(p, n);
  return b;
}

void Pool::release(Block* b) {
  if (b->cap_ == kBigSize) {
    {
      std::lock_guard<std::mutex> g(mu_);
      if (big_.size() < kMaxBigCached) {
        big_.push_back(b);
        return;
      }
    }
    free_block(b);
    return;
  }
  PoolCache* c = cache();
  if (c->n == 2 * kMagazine) spill(*c, kMagazine);
  c->blocks[c->n++] = b;
  c->count(c->frees);
}

size_t Pool::outstanding_locked() const {
  int64_t n = retired_;
  for (const PoolCache* c : caches_)
    n += c->allocs.load(std::memory_order_relaxed) - c->frees.load(std::memory_order_relaxed);
  return size_t(n);
}

size_t Pool::outstanding() const {
  std::lock_guard<std::mutex> g(registry_mu());
  return outstanding_locked();
}

size_t Pool::cached() const {
  std::lock_guard<std::mutex> g(registry_mu());
  size_t out = outstanding_locked();
  std::lock_guard<std::mutex> g2(mu_);
  return pooled_ - out;
}

}  // namespace ninet
