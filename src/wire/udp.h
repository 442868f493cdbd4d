// udp.h — UDP (RFC 768): the 8-byte header, with the checksum over the IPv4
// or IPv6 pseudo header (RFC 768, RFC 8200 section 8.1).
//
//   auto u = UdpRepr::parse(src, dst, payload);  // length and checksum checked
//   if (u) deliver(u->dst_port, u->data);
//   UdpRepr{5000, 53}.emit(src, dst, out, body); // header + body, checksum filled
//
// The checksum rules differ by family: over IPv4 a zero checksum means the
// sender computed none and the datagram is accepted unchecked (RFC 768);
// over IPv6 it is mandatory and a zero is an error (RFC 8200 section 8.1).
// A computed checksum of zero is sent as 0xffff (RFC 768).
#pragma once

#include <cstdint>
#include <span>

#include "base/error.h"
#include "base/ipaddr.h"

namespace ninet::wire {

namespace udp {
constexpr size_t kSrcPort = 0, kDstPort = 2, kLength = 4, kCksum = 6, kHeaderLen = 8;
}  // namespace udp

struct UdpRepr {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  std::span<const uint8_t> data;  // the payload, cut to the length field (parse only)
  bool checksummed = true;        // parse: false for an IPv4 datagram sent without one

  // Checks that the header fits, that the length field is at least 8 and no
  // more than the bytes given (bytes after it are ignored: link padding),
  // and the checksum. src and dst are the IP addresses (v4-mapped for IPv4),
  // which choose the pseudo header.
  // verify false: the checksum is not checked (a medium did, or the datagram
  // never left this host: Block::kCsumValid, kCsumPartial).
  static Result<UdpRepr> parse(const Ipaddr& src, const Ipaddr& dst, std::span<const uint8_t> p,
                               bool verify = true);
  // Writes the header followed by body into out (out.size() >= 8 +
  // body.size(); body may already sit at out + 8) and fills length and
  // checksum. The caller keeps 8 + body.size() <= 65535.
  void emit(const Ipaddr& src, const Ipaddr& dst, std::span<uint8_t> out,
            std::span<const uint8_t> body) const;
};

}  // namespace ninet::wire
