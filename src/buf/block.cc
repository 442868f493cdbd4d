#include "buf/block.h"

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
  std::memcpy(put(n), p, n);
}

void Block::reset(uint32_t h) {
  off_ = h < cap_ ? h : cap_;
  len_ = 0;
  ifc = -1;
  stamp = 0;
  flags = 0;
  net_off = 0;
}

void BlockDeleter::operator()(Block* b) const {
  if (b->pool_) {
    b->pool_->release(b);
  } else {
    std::free(b->buf_);
    delete b;
  }
}

Pool::~Pool() {
  for (Block* b : free_) {
    std::free(b->buf_);
    delete b;
  }
}

BlockPtr Pool::alloc(uint32_t size) {
  if (size + Block::kHeadroom > kBufSize) {
    Block* b = new Block;
    b->cap_ = size + Block::kHeadroom;
    b->buf_ = static_cast<uint8_t*>(std::malloc(b->cap_));
    b->reset();
    return BlockPtr(b);
  }
  Block* b = nullptr;
  {
    std::lock_guard<std::mutex> g(mu_);
    outstanding_++;
    if (!free_.empty()) {
      b = free_.back();
      free_.pop_back();
    }
  }
  if (!b) {
    b = new Block;
    b->cap_ = kBufSize;
    b->buf_ = static_cast<uint8_t*>(std::malloc(kBufSize));
    b->pool_ = this;
  }
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
  std::lock_guard<std::mutex> g(mu_);
  outstanding_--;
  if (free_.size() < max_cached_) {
    free_.push_back(b);
    return;
  }
  std::free(b->buf_);
  delete b;
}

size_t Pool::cached() const {
  std::lock_guard<std::mutex> g(mu_);
  return free_.size();
}

size_t Pool::outstanding() const {
  std::lock_guard<std::mutex> g(mu_);
  return outstanding_;
}

}  // namespace ninet
