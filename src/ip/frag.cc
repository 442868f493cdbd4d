// frag.cc — fragmentation and reassembly for IPv4 (RFC 791) and IPv6
// (RFC 8200 section 4.5, RFC 5722, RFC 6946).
//
// Reassembly keeps, per datagram, the first fragment's Block (its header is
// the datagram's, and it is quoted in the ICMP error on timeout), a copy of
// each later fragment's payload (pool buffers are much larger than most
// fragments), and a sorted list of disjoint pieces [start, end) of the payload
// that point into those. A new fragment contributes only the parts that fill
// holes, so fragments may come in any order and overlap; the datagram is
// complete when the pieces cover [0, total). Only then is it copied into one
// Block.
//
// A queue's timer (base/timer.h) lives in it: armed at its first fragment,
// it drops the queue kTimeoutV4/V6 later; completion or eviction destroys it.
//
// Memory is what a queue holds (the first Block's capacity, the payload
// copies) plus fixed costs for bookkeeping; after each fragment the oldest
// datagrams are dropped until the total is within the bound again, so
// memory() never exceeds it.
#include "ip/frag.h"

#include <algorithm>
#include <cstring>
#include <list>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/endian.h"

namespace ninet {

namespace {

using wire::Ip4Repr;
using wire::Ip6FragRepr;
using wire::Ip6Repr;

// What ties fragments together: RFC 791 (source, destination, protocol,
// identification); RFC 8200 section 4.5 (source, destination, identification).
struct Key {
  Ipaddr src, dst;
  uint32_t id = 0;
  uint8_t proto = 0;  // IPv4 only
  bool v6 = false;
  bool operator==(const Key&) const = default;
};

struct KeyHash {
  size_t operator()(const Key& k) const {
    IpaddrHash h;
    return h(k.src) ^ (h(k.dst) * 31) ^ (size_t(k.id) << 9 | size_t(k.proto) << 1 | k.v6);
  }
};

// Payload bytes [start, end) of the datagram, held in one of its fragments.
struct Piece {
  uint32_t start, end;
  const uint8_t* data;
};

// One datagram being reassembled.
struct Queue {
  Key key;
  Time born = 0;
  Timer timer;                                     // the reassembly timeout
  BlockPtr first;                                  // the offset-0 fragment, from its IP header
  std::vector<std::unique_ptr<uint8_t[]>> copies;  // payloads of the later fragments kept
  std::vector<Piece> pieces;                       // sorted by start, disjoint
  uint32_t have = 0;                               // payload bytes the pieces cover
  int32_t total = -1;       // payload length, known once the last fragment is in
  uint32_t first_hdr = 0;   // the first fragment's header bytes (IPv6: fixed + unfragmentable)
  uint8_t next_header = 0;  // IPv6: its Fragment header's next header
  size_t mem = 0;           // what this queue counts against the bound
};

// Bookkeeping counted against the bound (the queue's index and list nodes;
// a payload copy's heap overhead and pieces), so that floods of tiny or empty
// fragments are bounded too.
constexpr size_t kQueueCost = sizeof(Queue) + 64;
constexpr size_t kCopyCost = 64;

// One received fragment, in the family-independent terms reassembly needs.
struct Frag {
  Key key;
  uint32_t off = 0, len = 0;  // payload bytes [off, off + len)
  bool more = false;
  const uint8_t* payload = nullptr;
  uint32_t hdr = 0;  // bytes in front that a first fragment gives the datagram
  uint8_t next_header = 0;

  // The datagram's length field if this fragment's header were the first's:
  // IPv4 total length counts the header, IPv6 payload length does not.
  uint32_t length_field(uint32_t hdr_len, uint32_t payload_end) const {
    return hdr_len - (key.v6 ? uint32_t(Ip6Repr::kLen) : 0) + payload_end;
  }
};

// The offset of the Next Header field that precedes the fragmentable part:
// the fixed header's, or that of the last extension header before `end`.
// The headers in [40, end) are Hop-by-Hop/Routing/Destination Options headers
// that ip6_walk has already bounds-checked.
size_t next_header_field(const uint8_t* p, size_t end) {
  size_t at = wire::ip6::kNext;
  for (size_t off = Ip6Repr::kLen; off < end; off += (size_t(p[off + 1]) + 1) * 8)
    at = off;
  return at;
}

enum class Fit { kNew, kDuplicate, kConflict };

// Adds payload [a, b) to q: the parts not yet held become pieces pointing
// into data. Bytes already held must match (RFC 791 leaves overlaps to the
// implementation; differing data means a corrupt or forged fragment). With
// strict (IPv6, RFC 5722) any overlap is a conflict, except an exact
// duplicate, which RFC 8200 section 4.5 allows dropping alone.
Fit insert(Queue& q, uint32_t a, uint32_t b, const uint8_t* data, bool strict) {
  auto& v = q.pieces;
  // The first piece that ends after a; pieces are disjoint, so ends are sorted.
  size_t i0 = size_t(std::upper_bound(v.begin(), v.end(), a,
                                      [](uint32_t x, const Piece& p) { return x < p.end; }) -
                     v.begin());
  bool filled = true;
  uint32_t cur = a;
  for (size_t i = i0; i < v.size() && v[i].start < b; i++) {
    const Piece& p = v[i];
    if (strict) {
      bool same = p.start == a && p.end == b && std::memcmp(p.data, data, b - a) == 0;
      return same ? Fit::kDuplicate : Fit::kConflict;
    }
    uint32_t lo = std::max(a, p.start), hi = std::min(b, p.end);
    if (std::memcmp(p.data + (lo - p.start), data + (lo - a), hi - lo) != 0) return Fit::kConflict;
    if (p.start > cur) filled = false;
    cur = std::max(cur, p.end);
  }
  if (filled && cur >= b) return Fit::kDuplicate;
  // Fill each hole in [a, b) in one pass, inserting before the piece that follows it.
  cur = a;
  for (size_t i = i0; cur < b;) {
    if (i < v.size() && v[i].start <= cur) {
      cur = std::max(cur, v[i].end);
      i++;
      continue;
    }
    uint32_t end = i < v.size() ? std::min(b, v[i].start) : b;
    v.insert(v.begin() + ptrdiff_t(i), Piece{cur, end, data + (cur - a)});
    q.have += end - cur;
    cur = end;
    i++;
  }
  return Fit::kNew;
}

// Fixes the header of a datagram whose payload is now whole: IPv4 offset and
// MF cleared (DF kept), total length and checksum; IPv6 payload length and the
// Next Header field that named the Fragment header.
void finish_header(uint8_t* d, uint32_t hdr, uint32_t size, bool v6, uint8_t next_header) {
  if (v6) {
    store16(d + wire::ip6::kPayloadLen, uint16_t(size - Ip6Repr::kLen));
    d[next_header_field(d, hdr)] = next_header;
    return;
  }
  wire::Ip4View v(d);
  v.set_frag(false, 0, (load16(d + wire::ip4::kFrag) & wire::ip4::kDF) != 0);
  v.set_total_len(uint16_t(size));
}

void copy_meta(Block& to, const Block& from) {
  to.ifc = from.ifc;
  to.stamp = from.stamp;
  to.flags = from.flags;
}

}  // namespace

struct Reassembler::Impl {
  Pool& pool;
  TimerWheel& wheel;
  ReasmStats& stats;
  size_t limit;
  size_t used = 0;
  std::list<Queue> queues;  // oldest first
  std::unordered_map<Key, std::list<Queue>::iterator, KeyHash> index;
  OnTimeout on_timeout;

  Impl(Pool& p, TimerWheel& w, ReasmStats& s, size_t l) : pool(p), wheel(w), stats(s), limit(l) {}

  std::list<Queue>::iterator get(const Key& k, Time now) {
    auto found = index.find(k);
    if (found != index.end()) return found->second;
    queues.emplace_back();
    auto it = std::prev(queues.end());
    it->key = k;
    it->born = now;
    it->timer.set(wheel, [this, q = &*it](Time) { timeout(*q); });
    it->timer.arm(now + (k.v6 ? kTimeoutV6 : kTimeoutV4));
    it->mem = kQueueCost;
    used += kQueueCost;
    index.emplace(k, it);
    return it;
  }

  void drop(std::list<Queue>::iterator it) {
    used -= it->mem;
    index.erase(it->key);
    queues.erase(it);
  }

  BlockPtr assemble(Queue& q, const Block& last) {
    uint32_t size = q.first_hdr + uint32_t(q.total);
    BlockPtr out = pool.alloc(size);
    uint8_t* d = out->put(size);
    std::memcpy(d, q.first->data(), q.first_hdr);
    for (const Piece& p : q.pieces)
      std::memcpy(d + q.first_hdr + p.start, p.data, p.end - p.start);
    finish_header(d, q.first_hdr, size, q.key.v6, q.next_header);
    copy_meta(*out, last);
    return out;
  }

  BlockPtr add(const Frag& f, BlockPtr pkt, Time now, ReasmStats& st);

  void timeout(Queue& q) {
    stats.timeouts++;
    stats.fails++;  // RFC 2011 ipReasmFails: "for whatever reason: timed out, errors, etc."
    // RFC 792 / RFC 4443 section 3.3: only if the first fragment arrived.
    BlockPtr first = std::move(q.first);
    bool v6 = q.key.v6;
    drop(index.find(q.key)->second);  // and q's timer, which is firing
    if (first && on_timeout) on_timeout(std::move(first), v6);
  }
};

BlockPtr Reassembler::Impl::add(const Frag& f, BlockPtr pkt, Time now, ReasmStats& st) {
  uint32_t end = f.off + f.len;
  // Malformed on its own: dropped without touching the datagram. Non-last
  // fragments carry multiples of 8 bytes (RFC 791; RFC 8200 section 4.5), and
  // no datagram may exceed 65535 bytes (RFC 8200: "that fragment must be
  // discarded").
  if ((f.more && (f.len == 0 || f.len % 8 != 0)) || f.length_field(f.hdr, end) > 65535) {
    st.fails++;
    return nullptr;
  }
  if (f.key.v6 && f.off == 0 && !f.more) {
    // An atomic fragment is a whole packet, reassembled on its own (RFC 6946).
    uint32_t size = f.hdr + f.len;
    BlockPtr out = pool.alloc(size);
    uint8_t* d = out->put(size);
    std::memcpy(d, pkt->data(), f.hdr);
    std::memcpy(d + f.hdr, f.payload, f.len);
    finish_header(d, f.hdr, size, true, f.next_header);
    copy_meta(*out, *pkt);
    st.oks++;
    return out;
  }
  auto it = get(f.key, now);
  Queue& q = *it;
  // A last fragment fixes the length; nothing may lie beyond it, and two last
  // fragments must agree.
  bool conflict = f.more ? (q.total >= 0 && end > uint32_t(q.total))
                         : ((q.total >= 0 && end != uint32_t(q.total)) ||
                            (!q.pieces.empty() && q.pieces.back().end > end));
  // The pieces a fragment adds point into what the queue keeps: the first
  // fragment's Block, or a copy of a later fragment's payload.
  bool is_first = f.off == 0 && !q.first;
  std::unique_ptr<uint8_t[]> copy;
  const uint8_t* data = f.payload;
  if (!is_first && f.len > 0) {
    copy.reset(new uint8_t[f.len]);
    std::memcpy(copy.get(), f.payload, f.len);
    data = copy.get();
  }
  Fit fit = conflict ? Fit::kConflict : insert(q, f.off, end, data, f.key.v6);
  if (fit == Fit::kConflict) {
    st.fails++;
    drop(it);
    return nullptr;
  }
  if (!f.more) q.total = int32_t(end);
  if (fit == Fit::kNew) {
    size_t cost = is_first ? pkt->capacity() : f.len + kCopyCost;
    q.mem += cost;
    used += cost;
    if (is_first) {
      q.first_hdr = f.hdr;
      q.next_header = f.next_header;
      q.first = std::move(pkt);
    } else {
      q.copies.push_back(std::move(copy));
    }
  }
  if (q.total >= 0 && q.have == uint32_t(q.total) && q.first) {
    // The first fragment's header decides the length (its options or
    // extension headers may be longer than the others').
    BlockPtr out;
    if (f.length_field(q.first_hdr, q.have) <= 65535) {
      out = assemble(q, pkt ? *pkt : *q.first);
      st.oks++;
    } else {
      st.fails++;
    }
    drop(it);
    return out;
  }
  // Over the bound: the oldest datagrams go first, this one last.
  while (used > limit) {
    auto victim = queues.begin();
    if (victim == it && queues.size() > 1) victim = std::next(victim);
    st.fails++;
    bool self = victim == it;
    drop(victim);
    if (self) break;
  }
  return nullptr;
}

Reassembler::Reassembler(Pool& pool, TimerWheel& wheel, size_t mem_limit)
    : impl_(std::make_unique<Impl>(pool, wheel, stats_, mem_limit)) {}
Reassembler::~Reassembler() = default;

void Reassembler::set_on_timeout(OnTimeout fn) {
  impl_->on_timeout = std::move(fn);
}

size_t Reassembler::memory() const {
  return impl_->used;
}
size_t Reassembler::queues() const {
  return impl_->queues.size();
}

BlockPtr Reassembler::add_v4(BlockPtr pkt, const wire::Ip4Repr& h, Time now) {
  stats_.reqds++;
  if (pkt->size() < h.total_len) {
    stats_.fails++;
    return nullptr;
  }
  Frag f;
  f.key = {h.src, h.dst, h.id, h.proto, false};
  f.off = h.frag_offset;
  f.len = h.payload_len();
  f.more = h.mf;
  f.hdr = h.header_len;
  f.payload = pkt->data() + h.header_len;
  return impl_->add(f, std::move(pkt), now, stats_);
}

BlockPtr Reassembler::add_v6(BlockPtr pkt, const wire::Ip6Repr& h, const wire::Ip6Walk& w,
                             Time now) {
  stats_.reqds++;
  size_t hdr = Ip6Repr::kLen + w.frag_offset;
  size_t start = hdr + Ip6FragRepr::kLen, end = Ip6Repr::kLen + h.payload_len;
  if (!w.frag || start > end || pkt->size() < end) {
    stats_.fails++;
    return nullptr;
  }
  Frag f;
  f.key = {h.src, h.dst, w.frag->ident, 0, true};
  f.off = w.frag->offset;
  f.len = uint32_t(end - start);
  f.more = w.frag->more;
  f.hdr = uint32_t(hdr);
  f.payload = pkt->data() + start;
  f.next_header = w.frag->next_header;
  return impl_->add(f, std::move(pkt), now, stats_);
}

namespace {

// The options of an IPv4 header that every fragment carries: those with the
// copied flag (RFC 791 section 3.1, "Options"), padded to 4 bytes.
std::vector<uint8_t> copied_options(const uint8_t* p, uint32_t hl) {
  std::vector<uint8_t> opts;
  for (uint32_t i = wire::ip4::kMinHeader; i < hl;) {
    uint8_t type = p[i];
    if (type == 0) break;  // end of option list
    if (type == 1) {       // no operation
      i++;
      continue;
    }
    if (i + 1 >= hl || p[i + 1] < 2 || i + p[i + 1] > hl) break;  // malformed: copy no more
    if (type & 0x80) opts.insert(opts.end(), p + i, p + i + p[i + 1]);
    i += p[i + 1];
  }
  while (opts.size() % 4)
    opts.push_back(0);
  return opts;
}

BlockPtr new_fragment(Pool& pool, const Block& from, uint32_t size) {
  BlockPtr f = pool.alloc(size);  // with Block::kHeadroom for the link header
  (void)f->put(size);
  f->ifc = from.ifc;
  f->stamp = from.stamp;
  return f;
}

}  // namespace

Status fragment_v4(BlockPtr pkt, int mtu, Pool& pool, Batch& out) {
  auto h = Ip4Repr::parse(pkt->span());
  if (!h) return h.error();
  if (int(h->total_len) <= mtu) {
    out.push_back(std::move(pkt));
    return {};
  }
  if (h->df) return Error(Err::TooBig, "DF set");
  const uint8_t* p = pkt->data();
  uint32_t hl = h->header_len;
  if (h->frag_offset + h->payload_len() > 65535)
    return Error(Err::BadArg, "ip fragment past 65535");
  if (mtu < int(hl) + 8) return Error(Err::TooBig, "mtu too small to fragment");
  std::vector<uint8_t> later_opts = copied_options(p, hl);
  uint32_t later_hl = wire::ip4::kMinHeader + uint32_t(later_opts.size());
  uint32_t payload = h->payload_len();
  for (uint32_t off = 0; off < payload;) {
    uint32_t fhl = off == 0 ? hl : later_hl;
    uint32_t n = std::min((uint32_t(mtu) - fhl) & ~7u, payload - off);
    // A fragment of a fragment keeps its place and, if last, the original MF.
    bool more = off + n < payload || h->mf;
    BlockPtr f = new_fragment(pool, *pkt, fhl + n);
    uint8_t* d = f->data();
    if (off == 0) {
      std::memcpy(d, p, hl);
    } else {
      std::memcpy(d, p, wire::ip4::kMinHeader);
      d[wire::ip4::kVerIhl] = uint8_t(0x40 | later_hl / 4);
      if (!later_opts.empty())
        std::memcpy(d + wire::ip4::kMinHeader, later_opts.data(), later_opts.size());
    }
    std::memcpy(d + fhl, p + hl + off, n);
    wire::Ip4View v(d);
    store16(d + wire::ip4::kLen, uint16_t(fhl + n));
    v.set_frag(more, uint16_t(h->frag_offset + off), false);  // also the checksum
    out.push_back(std::move(f));
    off += n;
  }
  return {};
}

Status fragment_v6(BlockPtr pkt, int mtu, uint32_t ident, Pool& pool, Batch& out) {
  if (mtu < 1280) return Error(Err::TooBig, "ipv6 mtu below 1280");
  auto h = Ip6Repr::parse(pkt->span());
  if (!h) return h.error();
  uint32_t size = uint32_t(Ip6Repr::kLen) + h->payload_len;
  if (int(size) <= mtu) {
    out.push_back(std::move(pkt));
    return {};
  }
  auto w = wire::ip6_walk(pkt->span().subspan(Ip6Repr::kLen, h->payload_len), h->next_header);
  if (!w) return w.error();
  if (w->frag) return Error(Err::BadArg, "already a fragment");
  // The unfragmentable part (RFC 8200 section 4.5): the fixed header and the
  // extension headers through the last Hop-by-Hop or Routing header, which
  // takes in Destination Options headers before a Routing header. ip6_walk
  // stopped after the last of these kinds of header.
  const uint8_t* p = pkt->data();
  uint32_t unfrag = Ip6Repr::kLen;
  size_t nh_at = wire::ip6::kNext;  // the Next Header field that will name the Fragment header
  uint8_t nh = h->next_header;
  for (size_t off = Ip6Repr::kLen; off < Ip6Repr::kLen + w->offset;) {
    size_t len = (size_t(p[off + 1]) + 1) * 8;
    if (nh != wire::ipproto::kDstOpts) {
      unfrag = uint32_t(off + len);
      nh_at = off;
    }
    nh = p[off];
    off += len;
  }
  int room = (mtu - int(unfrag) - int(Ip6FragRepr::kLen)) & ~7;
  if (room < 8) return Error(Err::TooBig, "ipv6 unfragmentable part too long");
  uint32_t rest = size - unfrag;
  for (uint32_t off = 0; off < rest;) {
    uint32_t n = std::min(uint32_t(room), rest - off);
    uint32_t flen = unfrag + uint32_t(Ip6FragRepr::kLen) + n;
    BlockPtr f = new_fragment(pool, *pkt, flen);
    uint8_t* d = f->data();
    std::memcpy(d, p, unfrag);
    d[nh_at] = wire::ipproto::kFragment;
    Ip6FragRepr{p[nh_at], uint16_t(off), off + n < rest, ident}.emit(d + unfrag);
    std::memcpy(d + unfrag + Ip6FragRepr::kLen, p + unfrag + off, n);
    store16(d + wire::ip6::kPayloadLen, uint16_t(flen - Ip6Repr::kLen));
    out.push_back(std::move(f));
    off += n;
  }
  return {};
}

}  // namespace ninet
