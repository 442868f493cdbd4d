// ooo.h — the out-of-order queue of a TCP receiver: data that arrived
// beyond RCV.NXT, held until the gap before it fills (RFC 9293 3.10.7.4),
// and the SACK blocks that tell the sender what is held (RFC 2018 4).
//
//   OooQueue q(256 * 1024, 512);
//   if (!q.add(seg.seq, std::move(data))) stats.ooo_dropped++;   // over a limit
//   rcv_nxt = q.take(rcv_nxt, in_order);     // what now continues RCV.NXT
//   size_t n = q.sack(blocks);               // for the ACK: latest first
//
// Held segments never overlap: a new segment is cut to what the queue does
// not hold, and the held segments it covers whole are dropped for it, so
// each byte is kept once and each block stays one buffer (no copy).
// Sequence numbers compare modulo 2^32 (RFC 9293 3.4): every held byte is
// within the receive window of RCV.NXT, far less than 2^31 wide.
//
// Limits guard against a peer that sends many small segments spread over
// the window: `max_memory` counts each segment's whole buffer (a 1-byte
// segment holds a pool block), `max_segments` its number. A segment that
// would pass either is refused; the caller counts the drop, and the sender
// retransmits it later.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "buf/block.h"
#include "wire/tcp.h"

namespace ninet::tcp {

class OooQueue {
 public:
  using SackBlock = wire::TcpRepr::SackBlock;

  OooQueue(size_t max_memory, size_t max_segments)
      : max_memory_(max_memory), max_segments_(max_segments) {}

  // Holds the data of a segment that starts at seq (after RCV.NXT; the
  // caller has trimmed it to the window). Bytes already held are not
  // stored twice. False: refused by a limit (nothing changed), or empty.
  bool add(uint32_t seq, BlockPtr data);
  // Moves the held data that continues at rcv_nxt to `out`, in order, and
  // returns the new RCV.NXT. Data wholly before rcv_nxt is dropped.
  uint32_t take(uint32_t rcv_nxt, std::vector<BlockPtr>& out);
  // The SACK blocks: the block holding the segment that arrived last first
  // (RFC 2018 4: the one that triggered this ACK), then the others by how
  // recently they grew. Returns how many were written to out.
  size_t sack(std::span<SackBlock> out) const;
  // Drops everything (a reset; RFC 2018 8's reneging is not done
  // otherwise).
  void clear();

  bool empty() const { return segs_.empty(); }
  size_t segments() const { return segs_.size(); }
  size_t bytes() const { return bytes_; }    // data held
  size_t memory() const { return memory_; }  // buffers held

 private:
  struct Seg {
    uint32_t seq;
    uint32_t end;    // seq + data size
    uint64_t stamp;  // arrival order, for SACK
    BlockPtr data;
  };

  size_t max_memory_;
  size_t max_segments_;
  std::vector<Seg> segs_;  // in sequence order, none overlapping
  size_t bytes_ = 0;
  size_t memory_ = 0;
  uint64_t clock_ = 0;  // arrival counter
};

}  // namespace ninet::tcp
