// gre.h — the GRE header in its two versions: version 0 (RFC 2784, with
// RFC 2890's key and sequence number), what the `gre` protocol directory
// reads and writes, and version 1, PPTP's enhanced GRE (RFC 2637 section
// 4.1), which carries PPP for pipex.
//
//   |C|R|K|S|s|Recur|A| Flags | Ver |         Protocol Type         |
//   v0: [Checksum | Reserved1] [Key] [Sequence Number]
//   v1: Payload Length | Call ID, [Sequence Number] [Acknowledgment Number]
//
//   auto g = GreRepr::parse(ip_payload);
//   if (g && g->version == gre::kPptpVersion) pptp_input(g->call_id, g->seq, g->ack, g->payload);
//
//   GreRepr h = GreRepr::pptp(peer_call_id, snd_nxt++, rcv_nxt - 1);
//   uint8_t* at = b->push(h.header_len());        // the PPP frame already behind it
//   h.emit({at, b->size()});
//
// What parse refuses: a version other than 0 and 1; R, the routing of RFC
// 1701, which RFC 2784 dropped (bits 1-5 "MUST discard", but like Linux's
// ip_gre only R is refused and s/Recur are ignored; the other reserved bits
// "MUST be ignored on receipt"); a version 0 checksum that does not verify
// (RFC 2784 2.2: a compliant implementation MUST process it); in version 1
// (RFC 2637 4.1; Linux's pptp drops these too) C, a missing K or a protocol
// other than 0x880b; a header or payload length past the bytes given. The A bit
// (0x0080) means an acknowledgment only in version 1; in version 0 it is a
// reserved bit. A version 1 payload is cut to its Payload Length.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "base/error.h"

namespace ninet::wire {

namespace gre {
// Bits of the first 16-bit word.
constexpr uint16_t kChecksum = 0x8000, kRouting = 0x4000, kKey = 0x2000, kSequence = 0x1000,
                   kAck = 0x0080, kVersionMask = 0x0007;
constexpr size_t kFlags = 0, kProtocol = 2, kMinHeader = 4;
constexpr uint8_t kPptpVersion = 1;
constexpr uint16_t kPptpProtocol = 0x880b;  // PPP (RFC 2637 4.1)
}  // namespace gre

struct GreRepr {
  uint8_t version = 0;               // 0 or gre::kPptpVersion
  uint16_t protocol = 0;             // the payload's ethertype
  bool checksum = false;             // v0 C: present (parse: verified); emit computes it
  std::optional<uint32_t> key;       // v0 K (RFC 2890)
  std::optional<uint32_t> seq;       // S, both versions
  std::optional<uint32_t> ack;       // v1 A
  uint16_t call_id = 0;              // v1: the key's low half (the receiver's call id)
  std::span<const uint8_t> payload;  // parse only; v1: Payload Length bytes

  // A version 1 header: K with call_id, S if seq, A if ack (an ack-only
  // packet has no seq and an empty payload).
  static GreRepr pptp(uint16_t call_id, std::optional<uint32_t> seq = std::nullopt,
                      std::optional<uint32_t> ack = std::nullopt);
  static Result<GreRepr> parse(std::span<const uint8_t> p);

  // 4, then v0: 4 each for C, K, S; v1: 4 for the key, 4 each for S, A.
  size_t header_len() const;
  // Writes the header into pkt[0, header_len()); the payload is pkt's rest,
  // already in place. v1: Payload Length is its size (at most 65535). v0: a
  // checksum, if asked for, covers all of pkt. Reserved bits are zero; v1
  // ignores `checksum` and `key`, v0 ignores `ack` and `call_id`.
  void emit(std::span<uint8_t> pkt) const;
};

}  // namespace ninet::wire
