// route.cc — the route table: its entries, and lookup structures that
// every change updates in place. A lookup never builds anything, and a change
// costs work bounded by the prefix changed (below), not by the size of the
// table. Lookups and changes still serialize on the stack lock: bounded, not
// lock-free.
//
// Entries: one array, in address space reserved for 4M of them, so that an
// entry never moves: the lookup structures name entries by index and the
// IPv4 fast path reads routes + index. A removed entry leaves a hole that the
// next add reuses. IPv4 entries are indexed by a hash of (address, length),
// IPv6 ones by an ordered map (its ranges give the prefixes under a prefix);
// only changes use them. Replacing an entry (same target and mask) changes
// no lookup structure.
//
// IPv4: DIR-16-8-8 (Gupta, Lin and McKeown's DIR-24-8 with 16-8-8 strides),
// a 65536-slot first level and 256-slot nodes under it, leaf-pushed: every
// slot holds the index of the longest prefix covering its addresses, or a
// node. A lookup is two or three dependent loads, inline in route.h
// (RouteTable::lookup_v4). 0.0.0.0/0 is held apart and answers where a slot
// holds no route, so adding or removing it is O(1). Adding a prefix of
// length L sets the slots it covers whose prefix is shorter than L;
// removing it sets the slots holding it to the longest shorter prefix that
// covers it (at most L-1 hash probes find it). A node lives while a prefix
// longer than its /16 or /24 lies under it (counted per node); when the last
// one goes, the node's slots all hold one route, which goes back into the
// parent slot, and the last node of the arena moves into its place (a parent
// pointer per node says which slot to repoint), so the nodes in use are
// always exactly those the prefixes need. Each node also keeps its base, the
// longest prefix covering all of it, which every slot not under a longer
// prefix holds: a prefix covering a node whole can only replace the base or
// be it, so a short prefix compares slots with the base instead of looking
// up lengths, and skips a node and all under it when its base is longer
// (add) or not the prefix (removal). Worst case per change, in slots:
//   L <= 16: the 2^(16-L) first-level slots it covers and the nodes under
//            them whose base changes: for a /8, 256 slots and at most 256
//            level-2 and 65,536 level-3 nodes of 256 slots (were the /8 full
//            of /25-/32s and nothing /9-/16 in it); at BENCHMARKS.md's million
//            prefixes a /8 took 0.04-0.07 ms, the longest change there, and
//            over a /8 full of /24s and 20,000 /32s, 0.2 ms;
//   L 17-24: 2^(24-L) slots of one node (a length looked up for each) and
//            the level-3 nodes under them, and at most one node made or freed;
//   L 25-32: at most 128 slots, and up to two nodes made or freed (a 1 KiB
//            copy each, and for a level-2 node 256 parent pointers).
// The first prefix longer than /0 allocates the first level (256 KiB).
//
// IPv6: binary search on prefix lengths (Waldvogel et al., SIGCOMM 1997):
// one hash table per length, holding the prefixes of that length and
// "markers" that guide the search to longer lengths, each entry carrying the
// best matching prefix (bmp) of its key. The search tree over lengths is
// fixed rather than built from the lengths present, so that no marker moves
// when a length appears or goes: 64 at the root, 48 and 128 under it, then
// 32 (RFC 4291's /64 subnets and /128 hosts, RFC 6177's /48 sites, the usual
// /32 allocation), each range between them a balanced subtree: at most 8
// probes, and a length with an empty table is skipped without one. ::/0 is
// held apart as for IPv4. A change of prefix p changes the markers on p's
// path (at most 7) and the bmp of entries under p: for each maximal prefix q
// under p (the ordered index gives them in a range, skipping what lies under
// q), q's markers longer than p (at most 7); deeper entries have q or a
// longer prefix as their bmp. Worst case: a step of the ordered index and up
// to 7 probes per maximal prefix under p (a /32 over 1,000 /48s took 6 us,
// a /16 over 100,000 /48s 0.5 ms), and up to 128 probes (about 16 at
// BENCHMARKS.md's table) to find a new marker's bmp.
//
// Hash tables (the IPv4 index, the IPv6 lengths) are open-addressed with
// linear probing and Knuth's Algorithm R for deletion (6.4), and resize in
// three phases of a bounded step per change (FlatTable), so no change
// rehashes a table. New memory is touched a piece per change, and memory is
// given back a piece per change (see "memory"). What is not bounded: flush()
// costs one removal per entry removed, and past 4M entries (or where less
// address space is granted) the entries move once per doubling.
#include "ip/route.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <new>

namespace ninet {

std::string route::flags_str(uint32_t f) {
  std::string s;
  if (f & kV4) s += '4';
  if (f & kV6) s += '6';
  if (f & kIfc) s += 'i';
  if (f & kBcast) s += 'b';
  if (f & kUnicast) s += 'u';
  if (f & kMcast) s += 'm';
  if (f & kP2p) s += 'p';
  return s;
}

namespace {

using route::dir16::kChild;
constexpr uint32_t kNone = route::dir16::kNone;  // no route (both families)

// ---- memory ----
// Fresh pages are touched a few per change before they are used, and given
// back a piece per change: each first touch of a page traps (about 25 us in
// the VM of BENCHMARKS.md, where populating ahead with madvise does not
// spare the trap), and each call that gives memory back flushes the TLB.
constexpr size_t kSmall = 64 << 10;     // arrays smaller come from the heap, whole
constexpr size_t kPiece = 16 << 10;     // touched per step
constexpr size_t kRelease = 256 << 10;  // given back per step

template <typename V>
void release(V& v) {  // empties v and frees its memory
  V().swap(v);
}

size_t page_size() {
  static const size_t n = size_t(sysconf(_SC_PAGESIZE));
  return n;
}

size_t round_up(size_t b) {
  return (b + page_size() - 1) & ~(page_size() - 1);
}

void touch(char* p, size_t n) {  // p: fresh zero pages
  for (size_t i = 0; i < n; i += page_size())
    *reinterpret_cast<volatile char*>(p + i) = 0;
}

char* map(size_t n) {
  void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return static_cast<char*>(p);
}

// Zeroed memory for an array: under kSmall from the heap, ready at once;
// larger, a mapping made ready (touched) and given back a piece at a time.
class Region {
 public:
  Region() = default;
  explicit Region(size_t bytes) : bytes_(bytes) {
    if (bytes < kSmall) {
      p_ = static_cast<char*>(std::calloc(1, bytes));
      if (!p_) throw std::bad_alloc();
      ready_ = bytes;
    } else {
      bytes_ = round_up(bytes);
      p_ = map(bytes_);
      mapped_ = true;
    }
  }
  Region(Region&& o) noexcept { *this = std::move(o); }
  Region& operator=(Region&& o) noexcept {
    std::swap(p_, o.p_);
    std::swap(bytes_, o.bytes_);
    std::swap(ready_, o.ready_);
    std::swap(mapped_, o.mapped_);
    return *this;
  }
  ~Region() { free(); }

  char* data() const { return p_; }
  size_t bytes() const { return bytes_; }
  bool ready() const { return ready_ == bytes_; }
  void prepare(size_t n = kPiece) {
    n = std::min(n, bytes_ - ready_);
    touch(p_ + ready_, n);
    ready_ += n;
  }
  // Gives back a piece from the end; true once all of it is gone.
  bool release_piece() {
    if (!mapped_ || bytes_ <= kRelease) {
      free();
      return true;
    }
    bytes_ -= kRelease;
    munmap(p_ + bytes_, kRelease);
    ready_ = std::min(ready_, bytes_);
    return false;
  }
  void free() {
    if (!p_) return;
    if (mapped_)
      munmap(p_, bytes_);
    else
      std::free(p_);
    p_ = nullptr;
    bytes_ = ready_ = 0;
    mapped_ = false;
  }
  bool mapped() const { return mapped_; }

 private:
  char* p_ = nullptr;
  size_t bytes_ = 0, ready_ = 0;
  bool mapped_ = false;  // else from the heap
};

// Address space for an array to grow into without moving: want bytes (at
// least need), halved until the system grants it (strict overcommit
// accounts the whole of it); untouched pages cost nothing.
char* reserve(size_t want, size_t need, size_t* got) {
  for (size_t r = round_up(std::max(want, need));; r = round_up(std::max(r / 2, need))) {
    void* p = mmap(nullptr, r, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p != MAP_FAILED) {
      *got = r;
      return static_cast<char*>(p);
    }
    if (r <= round_up(need)) throw std::bad_alloc();
  }
}

// A growable array in one mapping of its own, reserved large enough up front
// (address space only: MAP_NORESERVE, untouched pages cost nothing) that it
// never moves in practice; past that it doubles with mremap (the kernel
// moves page tables, not bytes). Pages are touched as the array grows, and
// given back a piece per call once well past its end.
template <typename T>
class MappedArray {
 public:
  explicit MappedArray(size_t reserve) : reserve_(reserve) {}
  MappedArray(const MappedArray&) = delete;
  MappedArray& operator=(const MappedArray&) = delete;
  ~MappedArray() { clear(); }

  T* data() const { return base_; }
  T& operator[](size_t i) const { return base_[i]; }
  size_t size() const { return size_; }
  size_t bytes() const { return size_ * sizeof(T); }  // in use
  size_t resident() const { return high_; }           // touched and not given back

  // New elements hold zeros or old values: the caller sets them.
  void resize(size_t n) {
    if (n == 0) {
      clear();
      return;
    }
    size_t need = round_up(n * sizeof(T));
    if (need > cap_) grow(need);
    size_ = n;
    if (need > high_) {
      high_ = need;
    } else if (high_ - need > std::max(kRelease, need / 4)) {
      size_t cut = std::min(kRelease, high_ - need);
      madvise(reinterpret_cast<char*>(base_) + high_ - cut, cut, MADV_DONTNEED);
      high_ -= cut;
    }
  }
  void clear() {
    if (base_) munmap(base_, cap_);
    base_ = nullptr;
    cap_ = size_ = high_ = 0;
  }

 private:
  void grow(size_t need) {
    if (!base_) {
      base_ = reinterpret_cast<T*>(reserve(reserve_, need, &cap_));
      return;
    }
    size_t cap = std::max(need, cap_ * 2);
    void* p = mremap(base_, cap_, cap, MREMAP_MAYMOVE);
    if (p == MAP_FAILED) throw std::bad_alloc();
    base_ = static_cast<T*>(p);
    cap_ = cap;
  }

  size_t reserve_;
  T* base_ = nullptr;
  size_t cap_ = 0, size_ = 0, high_ = 0;  // cap_ and high_ in bytes
};

// ---- entries: in place for good, holes reused ----
// Up to kReserveRoutes entries never move: the lookup structures name them
// by index and the IPv4 fast path reads routes + index, one contiguous
// array. Past that (or where less address space was granted) the array
// moves once per doubling, every entry move-constructed: a stall, but only
// for tables of several million routes.
constexpr size_t kReserveRoutes = 4 << 20;  // 384 MiB of address space
constexpr uint8_t kHole = 0xff;

class RouteStore {
 public:
  RouteStore() = default;
  RouteStore(const RouteStore&) = delete;
  RouteStore& operator=(const RouteStore&) = delete;
  ~RouteStore() { clear(); }

  uint32_t put(Route&& r, int len) {
    uint32_t i;
    if (!free_.empty()) {
      i = free_.back();
      free_.pop_back();
      base_[i] = std::move(r);
    } else {
      i = end_;
      if (i == kNone) throw std::bad_alloc();  // indexes are 31 bits
      if (size_t(i + 1) * sizeof(Route) > cap_) grow();
      new (base_ + i) Route(std::move(r));
      end_++;
      len_.resize(end_);
    }
    len_[i] = uint8_t(len);
    live_++;
    return i;
  }
  void drop(uint32_t i) {
    base_[i] = Route{};
    len_[i] = kHole;
    free_.push_back(i);
    if (--live_ == 0) clear();
  }
  void clear() {
    for (uint32_t i = 0; i < end_; i++)
      base_[i].~Route();
    if (base_) munmap(base_, cap_);
    base_ = nullptr;
    cap_ = 0;
    end_ = 0;
    live_ = 0;
    len_.clear();
    release(free_);
  }
  Route& at(uint32_t i) { return base_[i]; }
  const Route& at(uint32_t i) const { return base_[i]; }
  int len(uint32_t i) const { return len_[i]; }
  bool live(uint32_t i) const { return len_[i] != kHole; }
  uint32_t end() const { return end_; }
  size_t size() const { return live_; }
  const Route* data() const { return base_; }
  size_t bytes() const {
    size_t b = round_up(end_ * sizeof(Route)) + len_.resident() + free_.capacity() * 4;
    for (uint32_t i = 0; i < end_; i++)
      if (base_[i].tag.capacity() > 15) b += base_[i].tag.capacity();
    return b;
  }

 private:
  void grow() {
    size_t cap = 0;
    Route* n = reinterpret_cast<Route*>(reserve(base_ ? cap_ * 2 : kReserveRoutes * sizeof(Route),
                                                (end_ + 1) * sizeof(Route), &cap));
    for (uint32_t i = 0; i < end_; i++) {
      new (n + i) Route(std::move(base_[i]));
      base_[i].~Route();
    }
    if (base_) munmap(base_, cap_);
    base_ = n;
    cap_ = cap;
  }

  Route* base_ = nullptr;
  size_t cap_ = 0;  // bytes
  uint32_t end_ = 0;
  size_t live_ = 0;
  MappedArray<uint8_t> len_{kReserveRoutes};  // per entry: prefix length, or kHole
  std::vector<uint32_t> free_;
};

// ---- hash tables: linear probing, progressive resizing ----
// Slot: Key, key(), empty() (all-zero bytes are empty), tomb(), set_tomb(),
// static hash(Key). Tombstones occur only in the array being drained.
//
// A resize takes three phases, each a bounded step per change: the new
// array is touched (from 3/8 full when growing, under 1/16 when
// shrinking), then entries move across 64 slots per change while lookups
// probe both arrays, then the old array is given back a piece per change.
template <typename Slot>
class FlatTable {
 public:
  using Key = typename Slot::Key;
  FlatTable() = default;
  FlatTable(const FlatTable&) = delete;
  FlatTable& operator=(const FlatTable&) = delete;

  size_t size() const { return cur_.live + old_.live; }
  size_t bytes() const {
    return cur_.mem.bytes() + old_.mem.bytes() + next_.bytes() + dead_.bytes();
  }
  void clear() {
    cur_ = {};
    old_ = {};
    next_.free();
    dead_.free();
  }

  const Slot* find(const Key& k) const {
    if (const Slot* s = probe(cur_, k)) return s;
    if (old_.s) [[unlikely]]
      return probe_old(k);
    return nullptr;
  }
  // The entry for k, moved into the current array if it was in the old one,
  // so that it can be changed or erased; nullptr if absent.
  Slot* find_mut(const Key& k) {
    work();
    if (Slot* s = const_cast<Slot*>(probe(cur_, k))) return s;
    if (!old_.s) return nullptr;
    Slot* o = const_cast<Slot*>(probe_old(k));
    if (!o) return nullptr;
    Slot copy = *o;
    o->set_tomb();
    old_.live--;
    cur_.live++;
    return place(cur_, copy);
  }
  // Adds s, whose key must be absent.
  Slot* insert(const Slot& s) {
    work();
    if (!cur_.s) {
      cur_ = Array(Region(16 * sizeof(Slot)), 16);
    } else if ((size() + 1) * 2 > cur_.cap()) {
      // Half full before the new array was ready (not reached: it is
      // planned at 3/8 and takes far fewer changes than that to touch).
      finish();
      if (!next_.data() || next_cap_ <= cur_.cap()) plan(cur_.cap() * 2);  // small: starts
      if (next_.data()) {
        next_.prepare(next_.bytes());
        start();
      }
    } else if (!old_.s && !next_.data() && size() * 8 >= cur_.cap() * 3) {
      plan(cur_.cap() * 2);
    }
    cur_.live++;
    return place(cur_, s);
  }
  // Erases s, a slot find_mut or insert returned (Knuth 6.4, Algorithm R:
  // later entries of the cluster move back, so no tombstone is left).
  void erase(Slot* s) {
    size_t i = size_t(s - cur_.s), j = i;
    for (;;) {
      cur_.s[i] = Slot{};
      for (;;) {
        j = (j + 1) & cur_.mask;
        if (cur_.s[j].empty()) goto done;
        size_t h = Slot::hash(cur_.s[j].key()) & cur_.mask;
        // Slot j stays unless its home h lies cyclically outside (i, j].
        if (i <= j ? (i < h && h <= j) : (i < h || h <= j)) continue;
        cur_.s[i] = cur_.s[j];
        i = j;
        break;
      }
    }
  done:
    cur_.live--;
    if (size() == 0) {
      clear();
      return;
    }
    if (!old_.s && !next_.data() && cur_.cap() > 16 && size() * 16 < cur_.cap())
      plan(std::max<size_t>(16, cur_.cap() / 4));
  }

 private:
  struct Array {
    Region mem;
    Slot* s = nullptr;
    size_t mask = 0, live = 0;
    Array() = default;
    Array(Region m, size_t cap)
        : mem(std::move(m)), s(reinterpret_cast<Slot*>(mem.data())), mask(cap - 1) {}
    size_t cap() const { return s ? mask + 1 : 0; }
  };
  // Slots of the old array moved per change: a growth to 2C slots finishes
  // after C/64 changes, long before the new array is half full (C/2 more
  // entries); a shrink to C/4 at under C/16 entries likewise.
  static constexpr size_t kStep = 64;

  static const Slot* probe(const Array& a, const Key& k) {
    if (!a.s) return nullptr;
    for (size_t i = Slot::hash(k) & a.mask;; i = (i + 1) & a.mask) {
      const Slot& s = a.s[i];
      if (s.empty()) return nullptr;
      if (s.key() == k) return &s;
    }
  }
  const Slot* probe_old(const Key& k) const {
    for (size_t i = Slot::hash(k) & old_.mask;; i = (i + 1) & old_.mask) {
      const Slot& s = old_.s[i];
      if (s.empty()) return nullptr;
      if (!s.tomb() && s.key() == k) return &s;
    }
  }
  static Slot* place(Array& a, const Slot& s) {
    size_t i = Slot::hash(s.key()) & a.mask;
    while (!a.s[i].empty())
      i = (i + 1) & a.mask;
    a.s[i] = s;
    return &a.s[i];
  }

  // One step of whichever phase is under way; once per change.
  void work() {
    if (old_.s) {
      migrate(kStep);
    } else if (next_.data()) {
      next_.prepare();
      if (next_.ready()) start();
    }
    if (dead_.data()) dead_.release_piece();
  }
  // Prepares an array of cap slots to move into.
  void plan(size_t cap) {
    next_ = Region(cap * sizeof(Slot));
    next_cap_ = cap;
    if (next_.ready()) start();
  }
  // Moves into the prepared array, if everything fits there at most half full.
  void start() {
    Region next = std::move(next_);
    if (size() * 2 > next_cap_) {
      retire(std::move(next));
      return;
    }
    old_ = std::move(cur_);
    cur_ = Array(std::move(next), next_cap_);
    cursor_ = 0;
    if (!old_.mem.mapped()) migrate(old_.cap());  // small: at once
  }
  void migrate(size_t n) {
    for (; n > 0 && cursor_ <= old_.mask; n--, cursor_++) {
      Slot& s = old_.s[cursor_];
      if (s.empty() || s.tomb()) continue;
      place(cur_, s);
      cur_.live++;
      old_.live--;
      s.set_tomb();  // not emptied: later keys of its cluster must stay reachable
    }
    if (cursor_ > old_.mask) {
      retire(std::move(old_.mem));
      old_ = {};
    }
  }
  void finish() {
    while (old_.s)
      migrate(old_.cap());
  }
  void retire(Region r) {
    dead_.free();  // the one before, if still there (not reached in practice)
    dead_ = std::move(r);
    if (!dead_.mapped()) dead_.free();
  }

  Array cur_, old_;
  size_t cursor_ = 0;
  Region next_, dead_;
  size_t next_cap_ = 0;
};

// ---- IPv4: the index, and the DIR-16-8-8 levels ----
uint64_t mix(uint64_t x) {  // splitmix64's finalizer
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

struct Slot4 {  // (address, length) -> entry
  using Key = uint64_t;
  uint64_t k = 0;
  uint32_t entry = 0, state = 0;  // 0 empty, 1 used, 2 tombstone
  Key key() const { return k; }
  bool empty() const { return state == 0; }
  bool tomb() const { return state == 2; }
  void set_tomb() { state = 2; }
  static uint64_t hash(Key k) { return mix(k); }
};

uint64_t key4(uint32_t a, int len) {
  return uint64_t(a) << 8 | uint64_t(len);
}
uint32_t mask4(int len) {
  return len == 0 ? 0 : ~0u << (32 - len);
}

// Address space reserved for nodes: a million (1 GiB), 12 times what the
// million prefixes of BENCHMARKS.md need.
constexpr size_t kReserveNodes = 1 << 20;

// The 256-slot nodes of a table, numbered from 0, dense.
class NodeArena {
 public:
  uint32_t* at(uint32_t n) const { return slots_.data() + size_t(n) * 256; }
  const uint32_t* data() const { return slots_.data(); }
  uint32_t size() const { return uint32_t(slots_.size() / 256); }
  size_t bytes() const { return slots_.bytes(); }
  size_t resident() const { return slots_.resident(); }
  uint32_t push() {  // a new node at the end, its slots the caller's to fill; may move
    uint32_t n = size();
    slots_.resize(size_t(n + 1) * 256);
    return n;
  }
  void pop() { slots_.resize(slots_.size() - 256); }
  void clear() { slots_.clear(); }

 private:
  MappedArray<uint32_t> slots_{kReserveNodes * 1024};
};

class V4Table {
 public:
  // Prefix a/len (1 <= len <= 32) is entry r, new.
  void add(uint32_t a, int len, uint32_t r, const RouteStore& st) {
    if (l1_.empty()) l1_.assign(1u << 16, kNone);
    prefixes_++;
    if (len <= 16) {
      for (uint32_t i = a >> 16, e = i + (1u << (16 - len)); i < e; i++)
        fill(l1_[i], r, len, st);
      return;
    }
    uint32_t n2 = child(kInL1 | (a >> 16));
    refs_[n2]++;
    if (len <= 24) {
      for (uint32_t i = (a >> 8) & 0xff, e = i + (1u << (24 - len)); i < e; i++)
        fill(nodes_.at(n2)[i], r, len, st);
      return;
    }
    uint32_t n3 = child(uint64_t(n2) * 256 + ((a >> 8) & 0xff));
    refs_[n3]++;
    for (uint32_t i = a & 0xff, e = i + (1u << (32 - len)); i < e; i++)
      fill(nodes_.at(n3)[i], r, len, st);
  }

  // Entry r, prefix a/len, goes; next is the longest shorter prefix covering
  // it (kNone: none but the default).
  void remove(uint32_t a, int len, uint32_t r, uint32_t next) {
    if (len <= 16) {
      for (uint32_t i = a >> 16, e = i + (1u << (16 - len)); i < e; i++)
        refill(l1_[i], r, next);
    } else {
      uint32_t n2 = l1_[a >> 16] & ~kChild;
      if (len <= 24) {
        for (uint32_t i = (a >> 8) & 0xff, e = i + (1u << (24 - len)); i < e; i++)
          refill(nodes_.at(n2)[i], r, next);
      } else {
        uint32_t n3 = nodes_.at(n2)[(a >> 8) & 0xff] & ~kChild;
        for (uint32_t i = a & 0xff, e = i + (1u << (32 - len)); i < e; i++)
          refill(nodes_.at(n3)[i], r, next);
        unref(n3);  // may move the level-2 node: found again below
      }
      unref(l1_[a >> 16] & ~kChild);
    }
    if (--prefixes_ == 0) {
      assert(nodes_.size() == 0);
      release(l1_);
    }
  }

  void clear() {
    release(l1_);
    nodes_.clear();
    parent_.clear();
    refs_.clear();
    base_.clear();
    prefixes_ = 0;
  }

  const uint32_t* l1() const {
    static const std::vector<uint32_t> no_routes(1u << 16, kNone);
    return l1_.empty() ? no_routes.data() : l1_.data();
  }
  const uint32_t* nodes() const { return nodes_.data(); }
  size_t bytes() const {  // in use
    return l1_.capacity() * sizeof(uint32_t) + nodes_.bytes() + parent_.bytes() + refs_.bytes() +
           base_.bytes();
  }
  size_t resident() const {  // with the pages not yet given back
    return l1_.capacity() * sizeof(uint32_t) + nodes_.resident() + parent_.resident() +
           refs_.resident() + base_.resident();
  }

 private:
  // Where a node hangs: kInL1 | first-level index, or parent node * 256 + slot.
  static constexpr uint64_t kInL1 = 1ull << 63;

  uint32_t& slot(uint64_t where) {
    return where & kInL1 ? l1_[where & 0xffff] : nodes_.at(uint32_t(where >> 8))[where & 0xff];
  }

  // The node under the slot at where, made (holding the slot's route) if
  // there is none.
  uint32_t child(uint64_t where) {
    uint32_t s = slot(where);
    if (s & kChild) return s & ~kChild;
    uint32_t n = nodes_.push();
    std::fill_n(nodes_.at(n), 256, s);
    parent_.resize(n + 1);
    parent_[n] = where;
    refs_.resize(n + 1);
    refs_[n] = 0;
    base_.resize(n + 1);
    base_[n] = s;
    slot(where) = n | kChild;
    return n;
  }

  // One prefix fewer under node n; with none left its slots all hold the
  // same route, which goes back into its parent's slot, and the last node
  // of the arena moves into its place.
  void unref(uint32_t n) {
    if (--refs_[n] > 0) return;
    uint32_t v = base_[n];
    assert(std::all_of(nodes_.at(n), nodes_.at(n) + 256, [v](uint32_t s) { return s == v; }));
    slot(parent_[n]) = v;
    uint32_t last = nodes_.size() - 1;
    if (n != last) {
      std::memcpy(nodes_.at(n), nodes_.at(last), 256 * sizeof(uint32_t));
      parent_[n] = parent_[last];
      refs_[n] = refs_[last];
      base_[n] = base_[last];
      slot(parent_[n]) = n | kChild;
      if (parent_[n] & kInL1)  // a level-2 node: its children's parent moved
        for (uint32_t i = 0; i < 256; i++)
          if (uint32_t s = nodes_.at(n)[i]; s & kChild)
            parent_[s & ~kChild] = uint64_t(n) * 256 + i;
    }
    nodes_.pop();
    parent_.resize(last);
    refs_.resize(last);
    base_.resize(last);
  }

  static bool shorter(uint32_t s, int len, const RouteStore& st) {
    return s == kNone || st.len(s) < len;
  }

  // A slot of the range a prefix r of length len covers: a route shorter
  // than len gives way to r; a node is covered whole.
  void fill(uint32_t& s, uint32_t r, int len, const RouteStore& st) {
    if (s & kChild)
      cover(s & ~kChild, r, len, st);
    else if (shorter(s, len, st))
      s = r;
  }

  // Prefix r of length len covers node n whole. The node's slots hold its
  // base (the longest prefix covering all of it) or prefixes inside it, and
  // its children's bases are that base or longer: only the base can give way,
  // and when it does not, nothing under the node changes.
  void cover(uint32_t n, uint32_t r, int len, const RouteStore& st) {
    uint32_t old = base_[n];
    if (!shorter(old, len, st)) return;
    base_[n] = r;
    uint32_t* x = nodes_.at(n);
    for (uint32_t i = 0; i < 256; i++)
      if (x[i] == old)
        x[i] = r;
      else if (x[i] & kChild)
        cover(x[i] & ~kChild, r, len, st);
  }

  // A slot of the range of a prefix r going away: r gives way to next.
  void refill(uint32_t& s, uint32_t r, uint32_t next) {
    if (s & kChild)
      uncover(s & ~kChild, r, next);
    else if (s == r)
      s = next;
  }

  // As cover: r covers node n whole, so if it is anywhere there, it is the base.
  void uncover(uint32_t n, uint32_t r, uint32_t next) {
    if (base_[n] != r) return;
    base_[n] = next;
    uint32_t* x = nodes_.at(n);
    for (uint32_t i = 0; i < 256; i++)
      if (x[i] == r)
        x[i] = next;
      else if (x[i] & kChild)
        uncover(x[i] & ~kChild, r, next);
  }

  std::vector<uint32_t> l1_;  // empty while no prefix longer than /0
  NodeArena nodes_;
  MappedArray<uint64_t> parent_{kReserveNodes * sizeof(uint64_t)};  // per node
  // Per node: prefixes longer than its /16 (/24) under it, and its base.
  MappedArray<uint32_t> refs_{kReserveNodes * sizeof(uint32_t)};
  MappedArray<uint32_t> base_{kReserveNodes * sizeof(uint32_t)};
  size_t prefixes_ = 0;
};

// ---- IPv6: binary search on prefix lengths over a fixed tree ----
struct Key {
  uint64_t hi = 0, lo = 0;
  auto operator<=>(const Key&) const = default;
};

Key key_of(const Ipaddr& a) {
  Key k;
  for (size_t i = 0; i < 8; i++)
    k.hi = k.hi << 8 | a[i];
  for (size_t i = 8; i < 16; i++)
    k.lo = k.lo << 8 | a[i];
  return k;
}

Key masked(Key k, int len) {
  if (len <= 0) return {};
  if (len < 64) return {k.hi & (~0ull << (64 - len)), 0};
  if (len == 64) return {k.hi, 0};
  if (len < 128) return {k.hi, k.lo & (~0ull << (128 - len))};
  return k;
}

Key last_of(Key k, int len) {  // the last address of prefix k/len
  Key m = masked({~0ull, ~0ull}, len);
  return {k.hi | ~m.hi, k.lo | ~m.lo};
}

struct Slot6 {
  using Key = ninet::Key;
  static constexpr uint32_t kReal = 1, kMarker = 2, kTomb = ~0u;
  Key k;
  uint32_t bmp = kNone;  // the longest prefix of this length or shorter (not /0) covering k
  uint32_t meta = 0;     // kReal | markers * kMarker; 0 empty
  Key key() const { return k; }
  bool empty() const { return meta == 0; }
  bool tomb() const { return meta == kTomb; }
  void set_tomb() { meta = kTomb; }
  static uint64_t hash(const Key& k) {
    uint64_t h =
        k.hi * 0x9e3779b97f4a7c15ull ^ (k.lo + 0x632be59bd9b4e019ull) * 0xc2b2ae3d27d4eb4full;
    return h ^ (h >> 29);
  }
};

// The search tree over lengths 1-128 (0 means no node). Fixed, so that
// markers never move: 64 at the root, 48 and 128 under it, then 32; every
// other range is a balanced subtree. Depth 8.
struct LenTree {
  std::array<uint8_t, 129> left{}, right{};
  int root;
  LenTree() { root = make(1, 128); }
  int make(int lo, int hi) {
    if (lo > hi) return 0;
    int m = (lo + hi) / 2;
    for (int p : {64, 48, 128, 32})
      if (lo <= p && p <= hi) {
        m = p;
        break;
      }
    left[size_t(m)] = uint8_t(make(lo, m - 1));
    right[size_t(m)] = uint8_t(make(m + 1, hi));
    return m;
  }
};

const LenTree& len_tree() {
  static const LenTree t;
  return t;
}

struct PKey {  // an IPv6 prefix, ordered by address then length
  Key k;
  int len;
  auto operator<=>(const PKey&) const = default;
};

class V6Table {
 public:
  V6Table() { link(); }

  // The entry of prefix k/len (k masked), or nullptr.
  const uint32_t* find(const Key& k, int len) const {
    auto it = index_.find({k, len});
    return it == index_.end() ? nullptr : &it->second;
  }

  // Prefix k/len is entry r, new. Length 0 is only indexed: the default
  // route is the caller's.
  void add(const Key& k, int len, uint32_t r, const RouteStore& st) {
    index_.emplace(PKey{k, len}, r);
    if (len == 0) return;
    reals_[size_t(len)]++;
    bool relink = false;
    const LenTree& t = len_tree();
    for (int n = t.root; n != len; n = len < n ? t.left[size_t(n)] : t.right[size_t(n)]) {
      if (len < n) continue;
      Key m = masked(k, n);
      if (Slot6* e = table(n).find_mut(m)) {
        e->meta += Slot6::kMarker;
      } else {
        relink |= table(n).size() == 0;
        table(n).insert({m, best(k, n), Slot6::kMarker});
      }
    }
    if (Slot6* e = table(len).find_mut(k)) {
      e->meta |= Slot6::kReal;
      e->bmp = r;
    } else {
      relink |= table(len).size() == 0;
      table(len).insert({k, r, Slot6::kReal});
    }
    under(k, len, [&](Slot6& e) {
      if (e.bmp == kNone || st.len(e.bmp) < len) e.bmp = r;
    });
    if (relink) link();
  }

  // Entry r, prefix k/len, goes.
  void remove(const Key& k, int len, uint32_t r) {
    index_.erase({k, len});
    if (len == 0) return;
    uint32_t next = best(k, len - 1);
    reals_[size_t(len)]--;
    bool relink = false;
    auto drop = [&](int n, Slot6* e, uint32_t what) {
      e->meta -= what;
      if (e->meta) return;
      table(n).erase(e);
      relink |= table(n).size() == 0;
    };
    Slot6* e = table(len).find_mut(k);
    e->bmp = next;
    drop(len, e, Slot6::kReal);
    const LenTree& t = len_tree();
    for (int n = t.root; n != len; n = len < n ? t.left[size_t(n)] : t.right[size_t(n)])
      if (len > n) drop(n, table(n).find_mut(masked(k, n)), Slot6::kMarker);
    under(k, len, [&](Slot6& e) {
      if (e.bmp == r) e.bmp = next;
    });
    if (relink) link();
  }

  uint32_t lookup(const Key& k, uint32_t best) const {
    for (int n = root_; n;) {
      if (const Slot6* e = tables_[size_t(n)].find(masked(k, n))) {
        if (e->bmp != kNone) best = e->bmp;
        n = right_[size_t(n)];
      } else {
        n = left_[size_t(n)];
      }
    }
    return best;
  }

  void clear() {
    for (auto& t : tables_)
      t.clear();
    index_.clear();
    reals_ = {};
    link();
  }

  size_t bytes() const {
    size_t b = 0;
    for (auto& t : tables_)
      b += t.bytes();
    return b;
  }
  // A red-black tree node: the value, three pointers and a colour.
  size_t index_bytes() const { return index_.size() * (sizeof(PKey) + 8 + 32); }

  template <typename F>
  void each(F f) const {
    for (auto& [p, r] : index_)
      f(r);
  }

 private:
  FlatTable<Slot6>& table(int n) { return tables_[size_t(n)]; }

  // The longest real prefix of length 1..n covering k, or kNone.
  uint32_t best(const Key& k, int n) const {
    for (; n > 0; n--) {
      if (!reals_[size_t(n)]) continue;
      const Slot6* e = tables_[size_t(n)].find(masked(k, n));
      if (e && (e->meta & Slot6::kReal)) return e->bmp;
    }
    return kNone;
  }

  // Calls f on every entry longer than len under prefix k/len whose bmp may
  // be k/len's: for each maximal prefix q under it, q's markers longer than
  // len. Entries under q at q's length or longer have q or a longer prefix
  // as bmp; those shorter than q lie on q's own path.
  template <typename F>
  void under(const Key& k, int len, F f) {
    const LenTree& t = len_tree();
    Key last = last_of(k, len);
    auto it = index_.lower_bound({k, len + 1});
    while (it != index_.end() && it->first.k <= last) {
      auto [q, ql] = it->first;
      // q's own entry has q as its bmp, longer than len: only its markers.
      for (int n = t.root; n != ql; n = ql < n ? t.left[size_t(n)] : t.right[size_t(n)])
        if (n > len && ql > n) f(*table(n).find_mut(masked(q, n)));
      // Past what lies under q: usually nothing, so the next entry.
      Key q_last = last_of(q, ql);
      if (++it != index_.end() && it->first.k <= q_last) it = index_.upper_bound({q_last, 255});
    }
  }

  // The search skips lengths whose tables are empty: such a length holds no
  // prefix and, having no markers, none under its right subtree either.
  void link() {
    const LenTree& t = len_tree();
    auto live = [&](int n) {
      while (n && tables_[size_t(n)].size() == 0)
        n = t.left[size_t(n)];
      return uint8_t(n);
    };
    for (size_t n = 1; n <= 128; n++) {
      left_[n] = live(t.left[n]);
      right_[n] = live(t.right[n]);
    }
    root_ = live(t.root);
  }

  std::array<FlatTable<Slot6>, 129> tables_;  // by length; 0 unused
  std::array<uint32_t, 129> reals_{};         // prefixes per length
  std::array<uint8_t, 129> left_{}, right_{};
  int root_ = 0;
  std::map<PKey, uint32_t> index_;
};

}  // namespace

struct RouteTable::Impl {
  RouteStore store;
  FlatTable<Slot4> index4;
  std::array<uint32_t, 33> count4{};  // IPv4 prefixes per length
  V4Table v4;
  V6Table v6;
  uint32_t dflt4 = kNone, dflt6 = kNone;  // the /0 routes

  // The longest IPv4 prefix of length 1..len-1 covering a, or kNone.
  uint32_t shorter4(uint32_t a, int len) const {
    for (int l = len - 1; l > 0; l--)
      if (count4[size_t(l)])
        if (const Slot4* s = index4.find(key4(a & mask4(l), l))) return s->entry;
    return kNone;
  }

  void remove_at(uint32_t i) {
    const Route& r = store.at(i);
    int len = store.len(i);
    if (r.target.is_v4()) {
      uint32_t a = r.target.v4();
      if (len == 0)
        dflt4 = kNone;
      else
        v4.remove(a, len, i, shorter4(a, len));
      index4.erase(index4.find_mut(key4(a, len)));
      count4[size_t(len)]--;
    } else {
      if (len == 0) dflt6 = kNone;
      v6.remove(key_of(r.target), len, i);
    }
    store.drop(i);
  }
};

RouteTable::RouteTable() : impl_(std::make_unique<Impl>()) {
  sync_v4_view();
}
RouteTable::~RouteTable() = default;

Status RouteTable::add(const Route& r) {
  bool v4 = r.target.is_v4();
  int len = r.mask.prefix_len(v4);
  if (len < 0) return Error(Err::BadMask, r.mask.mask_str(v4));
  Impl& m = *impl_;
  Route e = r;
  e.target = r.target & r.mask;
  if (e.tag.size() > 4) e.tag.resize(4);
  // Replacing an entry keeps its index: the lookup structures do not change.
  if (v4) {
    uint32_t a = e.target.v4();
    if (Slot4* s = m.index4.find_mut(key4(a, len))) {
      m.store.at(s->entry) = std::move(e);
      return {};
    }
    uint32_t i = m.store.put(std::move(e), len);
    m.index4.insert({key4(a, len), i, 1});
    m.count4[size_t(len)]++;
    if (len == 0)
      m.dflt4 = i;
    else
      m.v4.add(a, len, i, m.store);
  } else {
    Key k = key_of(e.target);
    if (const uint32_t* i = m.v6.find(k, len)) {
      m.store.at(*i) = std::move(e);
      return {};
    }
    uint32_t i = m.store.put(std::move(e), len);
    m.v6.add(k, len, i, m.store);
    if (len == 0) m.dflt6 = i;
  }
  sync_v4_view();
  return {};
}

Status RouteTable::remove(const Ipaddr& target, const Ipaddr& mask) {
  Impl& m = *impl_;
  bool v4 = target.is_v4();
  int len = mask.prefix_len(v4);
  Ipaddr t = target & mask;
  const uint32_t* i = nullptr;
  if (len >= 0 && v4) {
    if (const Slot4* s = m.index4.find(key4(t.v4(), len))) i = &s->entry;
  } else if (len >= 0) {
    i = m.v6.find(key_of(t), len);
  }
  if (!i) return Error(Err::NoSuchEntry, target.str() + " " + mask.mask_str(v4));
  m.remove_at(*i);
  sync_v4_view();
  return {};
}

void RouteTable::flush(const std::function<bool(const Route&)>& pred) {
  Impl& m = *impl_;
  if (!pred) {
    m.store.clear();
    m.index4.clear();
    m.count4 = {};
    m.v4.clear();
    m.v6.clear();
    m.dflt4 = m.dflt6 = kNone;
  } else {
    for (uint32_t i = 0, end = m.store.end(); i < end && m.store.size(); i++)
      if (m.store.live(i) && pred(m.store.at(i))) m.remove_at(i);
  }
  sync_v4_view();
}

void RouteTable::sync_v4_view() {
  const Impl& m = *impl_;
  v4_.l1 = m.v4.l1();
  v4_.nodes = m.v4.nodes();
  v4_.routes = m.store.data();
  v4_.dflt = m.dflt4 == kNone ? nullptr : &m.store.at(m.dflt4);
}

void RouteTable::lookup_v4_bulk(const uint32_t* dst, const Route** out, size_t n) const {
  const route::dir16::View v = v4_;
  constexpr size_t kStep = 64;
  uint32_t slot[kStep];
  for (size_t base = 0; base < n; base += kStep) {
    size_t k = std::min(kStep, n - base);
    const uint32_t* a = dst + base;
    for (size_t i = 0; i < k; i++)
      slot[i] = v.l1[a[i] >> 16];
    for (size_t i = 0; i < k; i++)
      if (slot[i] & kChild) slot[i] = v.nodes[(slot[i] & ~kChild) * 256 + ((a[i] >> 8) & 0xff)];
    for (size_t i = 0; i < k; i++)
      if (slot[i] & kChild) slot[i] = v.nodes[(slot[i] & ~kChild) * 256 + (a[i] & 0xff)];
    for (size_t i = 0; i < k; i++)
      out[base + i] = v.route(slot[i]);
  }
}

const Route* RouteTable::lookup_v6(const Ipaddr& dst) const {
  const Impl& m = *impl_;
  uint32_t r = m.v6.lookup(key_of(dst), m.dflt6);
  return r == kNone ? nullptr : &m.store.at(r);
}

void RouteTable::update_ifcs(const std::function<int(const Route&)>& fn) {
  RouteStore& st = impl_->store;
  for (uint32_t i = 0; i < st.end(); i++)
    if (st.live(i)) {
      int n = fn(st.at(i));
      st.at(i).ifc = n;
    }
}

std::vector<Route> RouteTable::list() const {
  const RouteStore& st = impl_->store;
  std::vector<Route> v;
  v.reserve(st.size());
  for (uint32_t i = 0; i < st.end(); i++)
    if (st.live(i)) v.push_back(st.at(i));
  std::sort(v.begin(), v.end(), [](const Route& a, const Route& b) {
    bool a4 = a.target.is_v4(), b4 = b.target.is_v4();
    if (a4 != b4) return a4;
    if (a.target != b.target) return a.target < b.target;
    return a.mask.prefix_len(a4) < b.mask.prefix_len(b4);
  });
  return v;
}

size_t RouteTable::size() const {
  return impl_->store.size();
}

size_t RouteTable::lookup_bytes() const {
  return impl_->v4.bytes() + impl_->v6.bytes();
}

size_t RouteTable::memory_bytes() const {
  const Impl& m = *impl_;
  return m.v4.resident() + m.v6.bytes() + m.store.bytes() + m.index4.bytes() + m.v6.index_bytes();
}

}  // namespace ninet
