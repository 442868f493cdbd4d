// flat4.h — a map from a 32-bit key to a pointer, in one flat array: open
// addressing with linear probing, at most half full, backward-shift
// deletion (no tombstones). A lookup reads one 16-byte slot, usually one
// cache line, however many entries there are; std::unordered_map reads a
// bucket and then a node elsewhere. pipex finds a session by framed IPv4
// address with it on every packet out (BENCHMARKS.md section 9: at a
// million sessions every packet's lookups miss in cache).
//
//   Flat4<Session> by_addr;
//   by_addr.insert(0x0a000007, s);     // replaces what 10.0.0.7 had
//   Session* t = by_addr.find(0x0a000007);
//   by_addr.erase(0x0a000007);
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ninet::pipex {

template <typename T>
class Flat4 {
 public:
  T* find(uint32_t key) const {
    if (used_ == 0) return nullptr;
    for (size_t i = home(key);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (!s.val) return nullptr;
      if (s.key == key) return s.val;
    }
  }

  // val must not be null (null marks an empty slot).
  void insert(uint32_t key, T* val) {
    if ((used_ + 1) * 2 > slots_.size()) grow();
    size_t i = home(key);
    for (; slots_[i].val; i = (i + 1) & mask_)
      if (slots_[i].key == key) {
        slots_[i].val = val;
        return;
      }
    slots_[i] = {key, val};
    used_++;
  }

  void erase(uint32_t key) {
    if (used_ == 0) return;
    size_t i = home(key);
    for (; slots_[i].key != key || !slots_[i].val; i = (i + 1) & mask_)
      if (!slots_[i].val) return;  // not here
    // Move back each later entry of the run that may sit at i: one whose
    // home is not cyclically within (i, j].
    for (size_t j = (i + 1) & mask_; slots_[j].val; j = (j + 1) & mask_) {
      const size_t h = home(slots_[j].key);
      const bool stays = i < j ? (h > i && h <= j) : (h > i || h <= j);
      if (stays) continue;
      slots_[i] = slots_[j];
      i = j;
    }
    slots_[i] = {};
    used_--;
  }

  size_t size() const { return used_; }
  bool empty() const { return used_ == 0; }
  size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  struct Slot {
    uint32_t key = 0;
    T* val = nullptr;
  };
  // Fibonacci hashing: the product's top bits, so that consecutive
  // addresses (a pool handed out in order) spread over the table.
  size_t home(uint32_t key) const {
    return size_t((uint64_t(key) * 0x9e3779b97f4a7c15ull) >> shift_);
  }
  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    const size_t n = old.empty() ? 16 : old.size() * 2;
    slots_.assign(n, Slot{});
    mask_ = n - 1;
    shift_ = 64 - unsigned(__builtin_ctzll(n));
    used_ = 0;
    for (const Slot& s : old)
      if (s.val) insert(s.key, s.val);
  }

  std::vector<Slot> slots_;  // a power of two in size, or empty
  size_t mask_ = 0;
  unsigned shift_ = 64;
  size_t used_ = 0;
};

}  // namespace ninet::pipex
