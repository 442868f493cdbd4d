// frag.h — IP fragmentation (RFC 791, RFC 8200 section 4.5) and reassembly
// with a memory bound and a timeout (RFC 791: 15 s minimum; Linux uses 30 s
// for IPv4, RFC 8200 says 60 s for IPv6).
//
// Each datagram being reassembled has its own timer on the stack's wheel,
// armed when its first fragment (in arrival order) comes and gone with it.
//
//   Reassembler r(pool, wheel);
//   r.set_on_timeout([&](BlockPtr first, bool v6) { send time exceeded (reassembly) });
//   BlockPtr whole = r.add_v4(std::move(pkt), hdr, now);   // nullptr until complete
//
//   Batch frags;
//   fragment_v4(std::move(pkt), mtu, pool, frags);          // pkt starts at IPv4 header
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "base/clock.h"
#include "base/error.h"
#include "base/timer.h"
#include "buf/block.h"
#include "wire/ip4.h"
#include "wire/ip6.h"

namespace ninet {

struct ReasmStats {
  uint64_t reqds = 0;     // fragments received (ReasmReqds)
  uint64_t oks = 0;       // datagrams reassembled (ReasmOKs)
  uint64_t fails = 0;     // failures: overlap, too big, memory (ReasmFails)
  uint64_t timeouts = 0;  // datagrams given up on timeout (ReasmTimeout)
};

class Reassembler {
 public:
  static constexpr size_t kDefaultMemLimit = 4 << 20;  // bytes held in all queues
  static constexpr Time kTimeoutV4 = sec(30);
  static constexpr Time kTimeoutV6 = sec(60);

  Reassembler(Pool& pool, TimerWheel& wheel, size_t mem_limit = kDefaultMemLimit);
  ~Reassembler();

  // Called when a datagram times out (kTimeoutV4/V6 after its first
  // fragment arrived; the queue is dropped and counted in stats().timeouts
  // and fails): with a copy of its offset-0 fragment if that had arrived
  // (RFC 792/4443: time exceeded, fragment reassembly time exceeded).
  using OnTimeout = std::function<void(BlockPtr first, bool v6)>;
  void set_on_timeout(OnTimeout fn);

  // pkt starts at the IPv4 header and is trimmed to h.total_len; h is its
  // parsed header with is_fragment() true. Returns the reassembled datagram
  // (a 20-byte-or-longer header with MF/offset cleared, total length and
  // checksum updated) or nullptr if more fragments are needed or the fragment
  // was dropped (counted in stats().fails: overlap with different data, a
  // datagram over 65535 bytes, or no memory after evicting the oldest queues).
  BlockPtr add_v4(BlockPtr pkt, const wire::Ip4Repr& h, Time now);
  // pkt starts at the IPv6 header; w is the walk that found the Fragment
  // header. The result has the Fragment header removed, the previous header's
  // next-header field set to the fragment's next header, and payload length
  // updated. Any overlap drops the datagram (RFC 5722), except an exact
  // duplicate, which is dropped alone (RFC 8200 section 4.5). An atomic
  // fragment (offset 0, M clear) is returned at once (RFC 6946).
  BlockPtr add_v6(BlockPtr pkt, const wire::Ip6Repr& h, const wire::Ip6Walk& w, Time now);

  const ReasmStats& stats() const { return stats_; }
  size_t memory() const;  // bytes currently held
  size_t queues() const;  // datagrams in progress

  struct Impl;  // public so the helpers in frag.cc can name it

 private:
  std::unique_ptr<Impl> impl_;
  ReasmStats stats_;
};

// Splits an IPv4 datagram (pkt starts at the header, DF clear) into fragments
// of at most mtu bytes each, appended to out in order. Options are copied only
// if their copy flag is set (RFC 791). Fails with TooBig if DF is set or the
// mtu cannot carry 8 bytes of payload. A datagram that fits in mtu is appended
// unchanged; so is an IPv6 packet below.
Status fragment_v4(BlockPtr pkt, int mtu, Pool& pool, Batch& out);
// Splits an IPv6 packet (pkt starts at the fixed header) by inserting Fragment
// headers after the unfragmentable part (RFC 8200 section 4.5), ident as the
// Identification. Fails with TooBig if mtu < 1280.
Status fragment_v6(BlockPtr pkt, int mtu, uint32_t ident, Pool& pool, Batch& out);

}  // namespace ninet
