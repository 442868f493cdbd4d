// tcp.h — the TCP header (RFC 9293 section 3.1) and the options a modern
// TCP sends and reads: MSS (RFC 9293 3.2), window scale and timestamps (RFC
// 7323), SACK-permitted and SACK blocks (RFC 2018). The checksum covers the
// IPv4 or IPv6 pseudo header, so parse and emit take the addresses.
//
//   auto s = TcpRepr::parse(src, dst, segment);   // header, options, checksum checked
//   if (s && s->syn() && s->mss) peer_mss = *s->mss;
//
//   TcpRepr h;
//   h.src_port = 80; h.dst_port = 41000; h.seq = snd_nxt; h.ack = rcv_nxt;
//   h.flags = tcp::kAck | tcp::kPsh; h.window = 65535;
//   h.ts = TcpRepr::Timestamps{now, ts_recent};
//   uint8_t* at = block->prepend(h.header_len());     // data already behind it
//   h.emit(src, dst, {at, block->size()});            // header + checksum over all
//
// Parsing follows RFC 9293 3.1: options end at the data offset or at End of
// Option List; No-Operation is skipped; an option of unknown kind is skipped
// by its length (MUST-6); a length below 2 or past the header is an error
// (MUST-7: such a segment is dropped, the connection may be reset). A known
// option with the wrong length is ignored, as Linux does, rather than
// fatal. The reserved bits are kept in `reserved` and otherwise ignored on
// receipt; emit writes them as zero (RFC 9293 3.1).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "base/error.h"
#include "base/ipaddr.h"

namespace ninet::wire {

namespace tcp {
// Flag bits in byte 13.
constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10, kUrg = 0x20,
                  kEce = 0x40, kCwr = 0x80;
// Option kinds.
constexpr uint8_t kOptEnd = 0, kOptNop = 1, kOptMss = 2, kOptWscale = 3, kOptSackPermitted = 4,
                  kOptSack = 5, kOptTimestamps = 8;
constexpr size_t kSrcPort = 0, kDstPort = 2, kSeq = 4, kAckNum = 8, kDataOff = 12, kFlags = 13,
                 kWindow = 14, kCksum = 16, kUrgPtr = 18;
constexpr size_t kMinHeader = 20, kMaxHeader = 60;
constexpr uint8_t kMaxWscale = 14;  // RFC 7323 2.3: larger shifts are used as 14
constexpr size_t kMaxSackBlocks = 4;
}  // namespace tcp

struct TcpRepr {
  struct Timestamps {
    uint32_t val = 0;  // TSval
    uint32_t ecr = 0;  // TSecr
  };
  struct SackBlock {
    uint32_t left = 0;   // first sequence number of the block
    uint32_t right = 0;  // sequence number after its last
  };

  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;     // tcp::kFin | ...
  uint8_t reserved = 0;  // the 4 reserved bits (parse only; emit sends zero)
  uint16_t window = 0;   // as on the wire (not scaled)
  uint16_t urgent = 0;

  std::optional<uint16_t> mss;
  std::optional<uint8_t> wscale;  // as received (values above 14 are kept)
  bool sack_permitted = false;
  std::optional<Timestamps> ts;
  uint8_t nsack = 0;  // SACK blocks in sack[]
  std::array<SackBlock, tcp::kMaxSackBlocks> sack{};

  // parse only
  uint8_t header_bytes = 0;          // the data offset, in bytes (20-60)
  uint8_t unknown_options = 0;       // options of kinds this parser does not know
  std::span<const uint8_t> payload;  // after the header

  bool fin() const { return flags & tcp::kFin; }
  bool syn() const { return flags & tcp::kSyn; }
  bool rst() const { return flags & tcp::kRst; }
  bool ack_set() const { return flags & tcp::kAck; }
  // Sequence space the segment takes: payload + SYN + FIN.
  uint32_t seg_len() const { return uint32_t(payload.size()) + (syn() ? 1 : 0) + (fin() ? 1 : 0); }

  // Checks the header (data offset 20..60 and within p), the options and the
  // checksum over the pseudo header of src/dst (v4-mapped for IPv4). p is the
  // whole segment: what IP says its payload is.
  static Result<TcpRepr> parse(const Ipaddr& src, const Ipaddr& dst, std::span<const uint8_t> p);
  // The same without checking the checksum (a medium verified it).
  static Result<TcpRepr> parse_unchecked(std::span<const uint8_t> p);

  // Header length emit() writes: 20 + the options, padded to a multiple of 4.
  // Options are laid out as Linux and the RFCs' examples do: MSS, then
  // SACK-permitted with timestamps (or NOP NOP before timestamps), window
  // scale after NOP, SACK blocks after NOP NOP. No more SACK blocks are
  // written than fit in 40 bytes with the others.
  size_t header_len() const;
  // How many of nsack SACK blocks emit() writes.
  size_t sack_blocks_written() const;
  // Writes the header into seg[0, header_len()) and the checksum over all
  // of seg (the header and the payload after it): seg.size() >=
  // header_len(), and seg.size() <= 65535 (the pseudo header's length).
  void emit(const Ipaddr& src, const Ipaddr& dst, std::span<uint8_t> seg) const;
  // The same, but the checksum field gets only the pseudo-header sum (folded,
  // not complemented), for a medium or IP to finish: checksum offload,
  // Block::kCsumPartial.
  void emit_partial(const Ipaddr& src, const Ipaddr& dst, std::span<uint8_t> seg) const;
};

// Sequence-number arithmetic modulo 2^32 (RFC 9293 3.4).
constexpr bool seq_lt(uint32_t a, uint32_t b) {
  return int32_t(a - b) < 0;
}
constexpr bool seq_le(uint32_t a, uint32_t b) {
  return int32_t(a - b) <= 0;
}
constexpr bool seq_gt(uint32_t a, uint32_t b) {
  return int32_t(a - b) > 0;
}
constexpr bool seq_ge(uint32_t a, uint32_t b) {
  return int32_t(a - b) >= 0;
}

}  // namespace ninet::wire
