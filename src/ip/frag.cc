// frag.cc — fragmentation and reassembly for IPv4 (RFC 791, RFC 815 hole
// list in spirit) and IPv6 (RFC 8200 section 4.5; RFC 5722: overlapping
// fragments drop the datagram).
//
// A queue keeps its fragments' payload bytes in one growing buffer (the
// datagram as it will be) plus a sorted list of received [start, end)
// ranges; completion is when the ranges cover [0, total). Memory is counted
// as the bytes of the buffers; over the bound the oldest queues are dropped.
#include "ip/frag.h"

#include <algorithm>
#include <cstring>
#include <list>
#include <map>
#include <vector>

#include "base/endian.h"

namespace ninet {

namespace {

struct Key {
  bool v6;
  Ipaddr src, dst;
  uint32_t id;
  uint8_t proto;  // v4 only
  bool operator<(const Key& o) const {
    return std::tie(v6, src, dst, id, proto) < std::tie(o.v6, o.src, o.dst, o.id, o.proto);
  }
};

struct Queue {
  Key key;
  Time start = 0;
  std::vector<uint8_t> header;  // first fragment's header (v4: IP header; v6: unfragmentable part)
  uint8_t next_header = 0;      // v6: the fragment header's next header
  bool have_first = false;
  std::vector<uint8_t> payload;                       // bytes at their offsets
  std::vector<std::pair<uint32_t, uint32_t>> ranges;  // sorted, merged
  int64_t total = -1;                                 // known when the last fragment arrived
  BlockPtr first;  // a copy of the first fragment, for ICMP time exceeded
  size_t mem() const { return payload.capacity() + header.capacity() + 256; }
};

}  // namespace

struct Reassembler::Impl {
  Pool& pool;
  size_t limit;
  size_t used = 0;
  std::list<Queue> queues;  // oldest first
  std::map<Key, std::list<Queue>::iterator> index;

  Impl(Pool& p, size_t l) : pool(p), limit(l) {}

  void drop(std::list<Queue>::iterator it) {
    used -= it->mem();
    index.erase(it->key);
    queues.erase(it);
  }
};

Reassembler::Reassembler(Pool& pool, size_t mem_limit)
    : impl_(std::make_unique<Impl>(pool, mem_limit)) {}
Reassembler::~Reassembler() = default;

size_t Reassembler::memory() const {
  return impl_->used;
}
size_t Reassembler::queues() const {
  return impl_->queues.size();
}

namespace {

// Adds [a, b) to the queue's ranges. Returns false on an overlap that
// changes bytes already received (or any overlap, for v6).
bool add_range(Queue& q, uint32_t a, uint32_t b, const uint8_t* data, bool strict) {
  for (auto& [s, e] : q.ranges) {
    if (a < e && s < b) {
      if (strict) return false;
      uint32_t lo = std::max(a, s), hi = std::min(b, e);
      if (std::memcmp(q.payload.data() + lo, data + (lo - a), hi - lo) != 0) return false;
    }
  }
  if (q.payload.size() < b) q.payload.resize(b);
  std::memcpy(q.payload.data() + a, data, b - a);
  q.ranges.push_back({a, b});
  std::sort(q.ranges.begin(), q.ranges.end());
  std::vector<std::pair<uint32_t, uint32_t>> merged;
  for (auto r : q.ranges) {
    if (!merged.empty() && r.first <= merged.back().second)
      merged.back().second = std::max(merged.back().second, r.second);
    else
      merged.push_back(r);
  }
  q.ranges.swap(merged);
  return true;
}

bool complete(const Queue& q) {
  return q.have_first && q.total >= 0 && q.ranges.size() == 1 && q.ranges[0].first == 0 &&
         q.ranges[0].second == uint32_t(q.total);
}

}  // namespace

// The common part of add_v4/add_v6: finds or makes the queue, stores the
// bytes, enforces the limits. Returns the queue if complete.
static std::list<Queue>::iterator feed(Reassembler::Impl& m, ReasmStats& st, const Key& k, Time now,
                                       uint32_t off, bool more, const uint8_t* data, uint32_t len,
                                       bool strict, bool* done, bool* failed) {
  *done = *failed = false;
  auto found = m.index.find(k);
  std::list<Queue>::iterator it;
  if (found == m.index.end()) {
    m.queues.push_back(Queue{});
    it = std::prev(m.queues.end());
    it->key = k;
    it->start = now;
    m.index[k] = it;
    m.used += it->mem();
  } else {
    it = found->second;
  }
  Queue& q = *it;
  uint32_t end = off + len;
  bool bad = end > 65535 || (q.total >= 0 && (end > q.total || (!more && end != q.total))) ||
             (!more && q.payload.size() > end);
  if (!bad && !more) q.total = end;
  size_t before = q.mem();
  if (bad || !add_range(q, off, end, data, strict)) {
    st.fails++;
    m.used -= before;
    m.index.erase(k);
    m.queues.erase(it);
    *failed = true;
    return m.queues.end();
  }
  m.used += q.mem() - before;
  // Over the memory bound: drop the oldest queues (not this one if possible).
  while (m.used > m.limit && m.queues.size() > 1) {
    auto oldest = m.queues.begin();
    if (oldest == it) oldest = std::next(oldest);
    st.fails++;
    m.drop(oldest);
  }
  if (m.used > m.limit) {
    st.fails++;
    m.drop(it);
    *failed = true;
    return m.queues.end();
  }
  *done = false;  // the caller decides, after recording the first fragment
  return it;
}

BlockPtr Reassembler::add_v4(BlockPtr pkt, const wire::Ip4Repr& h, Time now) {
  stats_.reqds++;
  Impl& m = *impl_;
  Key k{false, h.src, h.dst, h.id, h.proto};
  const uint8_t* p = pkt->data();
  uint32_t len = h.total_len - h.header_len;
  bool done, failed;
  auto it =
      feed(m, stats_, k, now, h.frag_offset, h.mf, p + h.header_len, len, false, &done, &failed);
  if (failed) return nullptr;
  Queue& q = *it;
  if (h.frag_offset == 0 && !q.have_first) {
    q.have_first = true;
    q.header.assign(p, p + h.header_len);
    q.first = m.pool.copy(p, pkt->size());
    m.used += q.header.capacity();
  }
  done = complete(q);
  if (!done) return nullptr;
  uint32_t hl = uint32_t(q.header.size());
  uint32_t total = hl + uint32_t(q.total);
  BlockPtr out = m.pool.alloc(total);
  uint8_t* d = out->put(total);
  std::memcpy(d, q.header.data(), hl);
  std::memcpy(d + hl, q.payload.data(), size_t(q.total));
  wire::Ip4View v(d);
  store16(d + wire::ip4::kLen, uint16_t(total));
  store16(d + wire::ip4::kFrag, uint16_t(load16(d + wire::ip4::kFrag) & wire::ip4::kDF));
  v.update_checksum();
  out->ifc = pkt->ifc;
  out->stamp = pkt->stamp;
  out->flags = pkt->flags;
  m.drop(it);
  stats_.oks++;
  return out;
}

BlockPtr Reassembler::add_v6(BlockPtr pkt, const wire::Ip6Repr& h, const wire::Ip6Walk& w,
                             Time now) {
  stats_.reqds++;
  Impl& m = *impl_;
  const wire::Ip6FragRepr& f = *w.frag;
  Key k{true, h.src, h.dst, f.ident, 0};
  const uint8_t* p = pkt->data();
  size_t data_off = wire::Ip6Repr::kLen + w.frag_offset + wire::Ip6FragRepr::kLen;
  size_t end = wire::Ip6Repr::kLen + h.payload_len;
  if (data_off > end) {
    stats_.fails++;
    return nullptr;
  }
  uint32_t len = uint32_t(end - data_off);
  if (f.more && len % 8 != 0) {  // RFC 8200: non-last fragments are multiples of 8
    stats_.fails++;
    return nullptr;
  }
  bool done, failed;
  auto it = feed(m, stats_, k, now, f.offset, f.more, p + data_off, len, true, &done, &failed);
  if (failed) return nullptr;
  Queue& q = *it;
  if (f.offset == 0 && !q.have_first) {
    q.have_first = true;
    q.header.assign(p, p + wire::Ip6Repr::kLen + w.frag_offset);
    q.next_header = f.next_header;
    q.first = m.pool.copy(p, pkt->size());
    m.used += q.header.capacity();
  }
  done = complete(q);
  if (!done) return nullptr;
  uint32_t hl = uint32_t(q.header.size());
  uint32_t total = hl + uint32_t(q.total);
  if (total - wire::Ip6Repr::kLen > 65535) {
    stats_.fails++;
    m.drop(it);
    return nullptr;
  }
  BlockPtr out = m.pool.alloc(total);
  uint8_t* d = out->put(total);
  std::memcpy(d, q.header.data(), hl);
  std::memcpy(d + hl, q.payload.data(), size_t(q.total));
  store16(d + wire::ip6::kPayloadLen, uint16_t(total - wire::Ip6Repr::kLen));
  // The header before the Fragment header now names what followed it.
  if (hl == wire::Ip6Repr::kLen) {
    d[wire::ip6::kNext] = q.next_header;
  } else {
    // Walk the unfragmentable headers to the last one.
    size_t off = wire::Ip6Repr::kLen;
    uint8_t* nextp = d + wire::ip6::kNext;
    while (off < hl) {
      nextp = d + off;
      off += (size_t(d[off + 1]) + 1) * 8;
    }
    *nextp = q.next_header;
  }
  out->ifc = pkt->ifc;
  out->stamp = pkt->stamp;
  out->flags = pkt->flags;
  m.drop(it);
  stats_.oks++;
  return out;
}

void Reassembler::expire(Time now, const std::function<void(BlockPtr, bool)>& on_timeout) {
  Impl& m = *impl_;
  for (auto it = m.queues.begin(); it != m.queues.end();) {
    Time limit = it->key.v6 ? kTimeoutV6 : kTimeoutV4;
    if (now - it->start < limit) {
      ++it;
      continue;
    }
    stats_.timeouts++;
    stats_.fails++;
    BlockPtr first = std::move(it->first);
    bool v6 = it->key.v6;
    auto dead = it++;
    m.drop(dead);
    if (first && on_timeout) on_timeout(std::move(first), v6);
  }
}

Status fragment_v4(BlockPtr pkt, int mtu, Pool& pool, Batch& out) {
  auto h = wire::Ip4Repr::parse(pkt->span());
  if (!h) return h.error();
  if (h->df) return Error(Err::TooBig, "DF set");
  const uint8_t* p = pkt->data();
  uint32_t hl = h->header_len;
  // Options copied into later fragments: those with the copy bit (RFC 791).
  std::vector<uint8_t> later_opts;
  for (uint32_t i = 20; i < hl;) {
    uint8_t t = p[i];
    if (t == 0) break;
    if (t == 1) {
      i++;
      continue;
    }
    if (i + 1 >= hl || p[i + 1] < 2 || i + p[i + 1] > hl) break;
    if (t & 0x80) later_opts.insert(later_opts.end(), p + i, p + i + p[i + 1]);
    i += p[i + 1];
  }
  while (later_opts.size() % 4)
    later_opts.push_back(0);
  uint32_t later_hl = 20 + uint32_t(later_opts.size());
  uint32_t payload = h->total_len - hl;
  uint32_t off = 0;
  bool first = true;
  while (off < payload) {
    uint32_t fhl = first ? hl : later_hl;
    if (mtu < int(fhl) + 8) return Error(Err::TooBig, "mtu too small to fragment");
    uint32_t room = (uint32_t(mtu) - fhl) & ~7u;
    uint32_t n = std::min(room, payload - off);
    bool more = off + n < payload || h->mf;
    BlockPtr f = pool.alloc(fhl + n);
    uint8_t* d = f->put(fhl + n);
    if (first) {
      std::memcpy(d, p, hl);
    } else {
      std::memcpy(d, p, 20);
      d[0] = uint8_t(0x40 | (later_hl / 4));
      if (!later_opts.empty()) std::memcpy(d + 20, later_opts.data(), later_opts.size());
    }
    std::memcpy(d + fhl, p + hl + off, n);
    store16(d + wire::ip4::kLen, uint16_t(fhl + n));
    uint16_t foff = uint16_t((h->frag_offset + off) / 8);
    store16(d + wire::ip4::kFrag, uint16_t((more ? wire::ip4::kMF : 0) | foff));
    wire::Ip4View(d).update_checksum();
    f->ifc = pkt->ifc;
    out.push_back(std::move(f));
    off += n;
    first = false;
  }
  return {};
}

Status fragment_v6(BlockPtr pkt, int mtu, uint32_t ident, Pool& pool, Batch& out) {
  if (mtu < 1280) return Error(Err::TooBig, "ipv6 mtu below 1280");
  auto h = wire::Ip6Repr::parse(pkt->span());
  if (!h) return h.error();
  auto w = wire::ip6_walk(pkt->span().subspan(wire::Ip6Repr::kLen), h->next_header);
  if (!w) return w.error();
  if (w->frag) return Error(Err::BadArg, "already a fragment");
  const uint8_t* p = pkt->data();
  // Unfragmentable part: the fixed header plus Hop-by-Hop and Routing headers
  // (and Destination Options before a Routing header). Keep it simple and
  // RFC-conformant for what ninet sends: headers up to the last Hop-by-Hop or
  // Routing header.
  size_t unfrag = wire::Ip6Repr::kLen;
  uint8_t first_next = h->next_header;
  uint8_t* dummy = nullptr;
  (void)dummy;
  size_t off = wire::Ip6Repr::kLen;
  uint8_t nh = h->next_header;
  size_t last_next_at = wire::ip6::kNext;
  size_t unfrag_next_at = wire::ip6::kNext;
  while (nh == wire::ipproto::kHopOpts || nh == wire::ipproto::kRouting ||
         nh == wire::ipproto::kDstOpts) {
    size_t len = (size_t(p[off + 1]) + 1) * 8;
    if (nh != wire::ipproto::kDstOpts) {
      unfrag = off + len;
      unfrag_next_at = off;
    }
    last_next_at = off;
    nh = p[off];
    off += len;
  }
  (void)last_next_at;
  first_next = p[unfrag_next_at];
  size_t total = wire::Ip6Repr::kLen + h->payload_len;
  size_t rest = total - unfrag;
  uint32_t room = uint32_t(mtu - int(unfrag) - int(wire::Ip6FragRepr::kLen)) & ~7u;
  for (size_t o = 0; o < rest; o += room) {
    uint32_t n = uint32_t(std::min<size_t>(room, rest - o));
    bool more = o + n < rest;
    uint32_t flen = uint32_t(unfrag + wire::Ip6FragRepr::kLen + n);
    BlockPtr f = pool.alloc(flen);
    uint8_t* d = f->put(flen);
    std::memcpy(d, p, unfrag);
    d[unfrag_next_at] = wire::ipproto::kFragment;
    wire::Ip6FragRepr fr{first_next, uint16_t(o), more, ident};
    fr.emit(d + unfrag);
    std::memcpy(d + unfrag + wire::Ip6FragRepr::kLen, p + unfrag + o, n);
    store16(d + wire::ip6::kPayloadLen, uint16_t(flen - wire::Ip6Repr::kLen));
    f->ifc = pkt->ifc;
    out.push_back(std::move(f));
  }
  return {};
}

}  // namespace ninet
