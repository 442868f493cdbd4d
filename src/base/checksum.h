// checksum.h — the Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//
//   uint32_t s = csum_partial(hdr, 20, 0);
//   store16(hdr + 10, csum_fold(s));            // header checksum
//   // after changing a 16-bit field from old to new:
//   store16(ck, csum_update16(load16(ck), old, now));
#pragma once

#include <cstddef>
#include <cstdint>

namespace ninet {

class Ipaddr;

// Adds the bytes as big-endian 16-bit words to sum (odd tail padded with zero).
uint32_t csum_partial(const uint8_t* p, size_t n, uint32_t sum);
// Folds to 16 bits and complements: the value to store in a checksum field.
uint16_t csum_fold(uint32_t sum);
// Sum of the TCP/UDP/ICMPv6 pseudo header; v4 (RFC 768) if both are v4-mapped,
// else v6 (RFC 8200 section 8.1).
uint32_t csum_pseudo(const Ipaddr& src, const Ipaddr& dst, uint8_t proto, uint32_t len);
// RFC 1624 eqn. 3: new checksum after a 16-bit word changed from old to now.
uint16_t csum_update16(uint16_t check, uint16_t old, uint16_t now);
uint16_t csum_update32(uint16_t check, uint32_t old, uint32_t now);

}  // namespace ninet
