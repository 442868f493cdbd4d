// icmp.h — ICMP for IPv4 (RFC 792): the 8-byte header and the message body.
//
//   auto m = IcmpRepr::parse(payload);    // checks length >= 8 and the checksum
//   if (m->type == icmp::kEchoRequest) ...
//   IcmpRepr r{icmp::kEchoReply, 0, m->rest};   // rest: id/seq, or unused+mtu
//   r.emit(out, data);                    // writes header + data, fills checksum
#pragma once

#include <cstdint>
#include <span>

#include "base/error.h"

namespace ninet::wire {

namespace icmp {
constexpr uint8_t kEchoReply = 0, kUnreach = 3, kSourceQuench = 4, kRedirect = 5, kEchoRequest = 8,
                  kTimeExceeded = 11, kParamProblem = 12, kTimestamp = 13, kTimestampReply = 14,
                  kInfoRequest = 15, kInfoReply = 16, kMaskRequest = 17, kMaskReply = 18;
// Destination unreachable codes.
constexpr uint8_t kNetUnreach = 0, kHostUnreach = 1, kProtoUnreach = 2, kPortUnreach = 3,
                  kFragNeeded = 4, kAdminProhibited = 13;
// Time exceeded codes.
constexpr uint8_t kTtlExceeded = 0, kReasmExceeded = 1;
constexpr size_t kType = 0, kCode = 1, kCksum = 2, kRest = 4, kHeaderLen = 8;
}  // namespace icmp

struct IcmpRepr {
  uint8_t type = 0;
  uint8_t code = 0;
  uint32_t rest = 0;              // bytes 4..7: id<<16|seq, or mtu (low 16) for frag needed
  std::span<const uint8_t> data;  // after the 8-byte header (parse only)

  static Result<IcmpRepr> parse(std::span<const uint8_t> p);  // verifies checksum
  uint16_t id() const { return uint16_t(rest >> 16); }
  uint16_t seq() const { return uint16_t(rest); }
  // Writes the 8-byte header followed by body into out (out.size() >= 8 +
  // body.size()), with the checksum over both.
  void emit(std::span<uint8_t> out, std::span<const uint8_t> body) const;
};

}  // namespace ninet::wire
