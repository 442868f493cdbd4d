// ppp.h — the PPP header as L2TP, PPTP and PPPoE carry it: no flags, no FCS,
// an optional address/control pair ff 03 (RFC 1662 section 3.1) and a
// protocol of one or two bytes (RFC 1661 section 2).
//
//   auto f = PppRepr::parse(frame);           // what follows the tunnel header
//   if (f && f->protocol == ppp::kIp4) deliver(f->payload);
//
//   PppRepr h = PppRepr::for_link(ppp::kIp4, acfc, pfc);
//   h.emit(b->push(h.header_len()));          // in front of the datagram
//
// Compression is reported, not judged: parse accepts a frame without ff 03
// (Address-and-Control-Field-Compression, RFC 1661 section 6.6) and a
// one-byte protocol (Protocol-Field-Compression, section 6.5) and says so in
// `acf` and `pfc`; whether the peer was allowed to send them (pipex's
// PIPEX_PPP_ACFC_ACCEPTED, PIPEX_PPP_PFC_ACCEPTED) is the caller's rule.
#pragma once

#include <cstdint>
#include <span>

#include "base/error.h"

namespace ninet::wire {

namespace ppp {
// The address and control octets of RFC 1662 section 3.1 (All-Stations, UI).
constexpr uint8_t kAddress = 0xff, kControl = 0x03;
// Protocol numbers (RFC 1661 section 2 and the IANA PPP DLL protocol numbers).
constexpr uint16_t kIp4 = 0x0021;         // RFC 1332
constexpr uint16_t kIp6 = 0x0057;         // RFC 5072
constexpr uint16_t kCompressed = 0x00fd;  // compressed datagram: MPPE (RFC 3078)
constexpr uint16_t kIpcp = 0x8021;        // RFC 1332
constexpr uint16_t kIp6cp = 0x8057;       // RFC 5072
constexpr uint16_t kCcp = 0x80fd;         // RFC 1962
constexpr uint16_t kLcp = 0xc021;         // RFC 1661
constexpr uint16_t kPap = 0xc023;         // RFC 1334
constexpr uint16_t kChap = 0xc223;        // RFC 1994
// The one protocol value whose single-octet form would read as an address
// field: "00ff reserved (compression inefficient)", RFC 1661 section 2. Its
// two-byte form parses; emit never compresses it.
constexpr uint16_t kReservedFf = 0x00ff;
// Control protocol codes (RFC 1661 section 5; CCP's resets, RFC 1962 section 5).
constexpr uint8_t kConfReq = 1, kConfAck = 2, kConfNak = 3, kConfRej = 4, kTermReq = 5,
                  kTermAck = 6, kCodeRej = 7, kProtRej = 8, kEchoReq = 9, kEchoRep = 10,
                  kDiscardReq = 11, kResetReq = 14, kResetAck = 15;
// CHAP algorithms (RFC 1994 section 3; MS-CHAPv2, RFC 2759 section 2).
constexpr uint8_t kChapMd5 = 5, kMsChapV2 = 0x81;
}  // namespace ppp

struct PppRepr {
  uint16_t protocol = 0;
  bool acf = true;   // the address/control field ff 03 is present (parse) or sent (emit)
  bool pfc = false;  // the protocol takes one byte; emit honours it only below 0x100, not 0xff
  std::span<const uint8_t> payload;  // parse only: everything after the header

  // Reads the header. RFC 1662 section 3.2: a frame that starts with ff 03
  // has the address/control field, any other was compressed. RFC 1661
  // section 2: the protocol's last octet is odd and its first even, so an
  // odd first octet is the whole (PFC) protocol. Errors: nothing after the
  // address/control field, a two-byte protocol cut short or with an even
  // last octet, and a leading ff not followed by 03 (0x00ff is reserved, so
  // such a frame is a damaged address field, not a protocol).
  static Result<PppRepr> parse(std::span<const uint8_t> f);
  // The header for sending `protocol` on a link where the peer accepted
  // ACFC and PFC: LCP always keeps ff 03 (RFC 1661 section 6.6), and only
  // protocols below 0x100 (but 0x00ff) have a one-byte form (section 6.5).
  static PppRepr for_link(uint16_t protocol, bool acfc, bool pfc);

  // 1 to 4 bytes: what parse consumed, what emit writes.
  size_t header_len() const { return (acf ? 2 : 0) + (one_byte() ? 1 : 2); }
  // Writes header_len() bytes. protocol must be a valid one (even first
  // octet, odd last) for the header to parse back.
  void emit(uint8_t* out) const;

 private:
  bool one_byte() const { return pfc && protocol < 0x100 && protocol != ppp::kReservedFf; }
};

}  // namespace ninet::wire
