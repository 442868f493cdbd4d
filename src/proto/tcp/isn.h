// isn.h — initial sequence numbers as RFC 6528 asks: ISN = M + F(4-tuple,
// secret), M a clock ticking every 4 us, F a keyed pseudorandom function
// (SipHash-2-4), so an off-path attacker cannot guess the ISN of another
// connection, and a new incarnation of a 4-tuple starts above the old one.
//
//   IsnGen isn(rng);                       // a random 128-bit secret
//   uint32_t iss = isn.next(laddr, lport, raddr, rport, clock.now());
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "base/clock.h"
#include "base/ipaddr.h"

namespace ninet::tcp {

// SipHash-2-4 of data with a 128-bit key (k0, k1 little-endian halves).
uint64_t siphash24(uint64_t k0, uint64_t k1, std::span<const uint8_t> data);

class IsnGen {
 public:
  template <typename Rng>
  explicit IsnGen(Rng& rng)
      : k0_((uint64_t(rng()) << 32) ^ rng()), k1_((uint64_t(rng()) << 32) ^ rng()) {}
  uint32_t next(const Ipaddr& laddr, uint16_t lport, const Ipaddr& raddr, uint16_t rport,
                Time now) const;
  // A keyed hash of the 4-tuple for other per-connection secrets (the
  // timestamp offset of RFC 7323 5.4).
  uint32_t hash(const Ipaddr& laddr, uint16_t lport, const Ipaddr& raddr, uint16_t rport,
                uint8_t salt) const;
  // The same over the 4-tuple and a 64-bit word (SYN cookies).
  uint32_t hash(const Ipaddr& laddr, uint16_t lport, const Ipaddr& raddr, uint16_t rport,
                uint8_t salt, uint64_t extra) const;

 private:
  uint64_t k0_, k1_;
};

}  // namespace ninet::tcp
