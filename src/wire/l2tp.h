// l2tp.h — the L2TPv2 message header (RFC 2661 section 3.1), what follows
// the UDP header on port 1701:
//
//   |T|L|x|x|S|x|O|P|x|x|x|x|  Ver  |          Length (opt)         |
//   |           Tunnel ID           |           Session ID          |
//   |             Ns (opt)          |             Nr (opt)          |
//   |      Offset Size (opt)        |    Offset pad... (opt)
//
//   auto m = L2tpRepr::parse(udp->data);
//   if (!m) drop;
//   if (m->control) to_daemon(); else ppp_input(m->session_id, m->payload);
//
//   L2tpRepr h;                                   // a data message
//   h.has_length = true; h.tunnel_id = peer_tunnel; h.session_id = peer_session;
//   uint8_t* at = b->push(h.header_len());        // the PPP frame already behind it
//   h.emit({at, b->size()});
//
// Section 3.1's rules: Ver MUST be 2 (1 is L2F; an unknown version MUST be
// discarded); a control message MUST have L and S and MUST NOT have O; the
// x bits are ignored on receipt and sent as zero. Length is the whole
// message, header included; bytes after it are not part of the message. The
// offset pad (Offset Size bytes after the Offset Size field, contents
// undefined) is skipped, as Linux's l2tp_core does, and emitted as zeros.
// In data messages Nr is reserved and ignored on receipt; it is kept as
// read.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "base/error.h"

namespace ninet::wire {

namespace l2tp {
constexpr uint16_t kPort = 1701;
// Bits of the first 16-bit word.
constexpr uint16_t kType = 0x8000, kLength = 0x4000, kSequence = 0x0800, kOffset = 0x0200,
                   kPriority = 0x0100, kVersionMask = 0x000f;
constexpr uint16_t kVersion = 2;
// The fixed part: flags/version, tunnel id, session id (with the length
// field, if present, between the first two).
constexpr size_t kFlags = 0, kMinHeader = 6;
// Control message types (RFC 2661 section 3.2) and AVP types (section 4.4),
// what ctld and bench/session_gen exchange.
constexpr uint16_t kSccrq = 1, kSccrp = 2, kScccn = 3, kStopccn = 4, kHello = 6, kIcrq = 10,
                   kIcrp = 11, kIccn = 12, kCdn = 14;
constexpr uint16_t kAvpMessageType = 0, kAvpResultCode = 1, kAvpProtocolVersion = 2,
                   kAvpFramingCaps = 3, kAvpHostName = 7, kAvpTunnelId = 9, kAvpWindow = 10,
                   kAvpSessionId = 14, kAvpCallSerial = 15, kAvpFramingType = 19, kAvpTxSpeed = 24;
// An AVP's first 16 bits: M, H, and the length (section 4.1).
constexpr uint16_t kAvpMandatory = 0x8000, kAvpHidden = 0x4000, kAvpLenMask = 0x03ff;
}  // namespace l2tp

struct L2tpRepr {
  bool control = false;            // T: a control message (else a data message)
  bool has_length = false;         // L: the Length field is present
  bool has_seq = false;            // S: Ns and Nr are present
  bool priority = false;           // P: a data message to queue first (LCP echo)
  std::optional<uint16_t> offset;  // O: Offset Size, the pad bytes before the payload
  uint16_t tunnel_id = 0;
  uint16_t session_id = 0;
  uint16_t ns = 0, nr = 0;           // when has_seq
  std::span<const uint8_t> payload;  // parse only: after the header, up to Length

  // Checks the version, a control message's flags, that the header fits, a
  // Length field no shorter than the header and no longer than m (the UDP
  // payload), and that the offset pad ends within the message.
  static Result<L2tpRepr> parse(std::span<const uint8_t> m);

  // 6 + 2 (L) + 4 (S) + 2 + *offset (O).
  size_t header_len() const;
  // Writes the header into msg[0, header_len()); the payload is msg's rest,
  // already in place. Length, if present, is msg.size(): the caller keeps it
  // at most 65535 and at least header_len().
  void emit(std::span<uint8_t> msg) const;
};

}  // namespace ninet::wire
