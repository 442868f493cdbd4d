// ipaddr.h — Ipaddr: a 16-byte IP address; IPv4 addresses are v4-mapped
// (::ffff:a.b.c.d), as in Plan 9's ip(3). Also Mac (6-byte Ethernet address).
//
//   auto a = Ipaddr::parse("10.0.0.1");         // or "fe80::1"
//   Ipaddr m = Ipaddr::mask_v4(24);             // ::ffff:255.255.255.0
//   a->is_v4(); a->v4();                        // 0x0a000001
//   a->str();                                   // "10.0.0.1"
//
// Masks are Ipaddrs too. A v4 mask is v4-mapped (its first 12 bytes ff, as Plan 9
// keeps them, so that addr & mask keeps the v4 prefix), and prints dotted
// (255.255.255.0); a v6 mask prints as /len. parse_mask accepts both forms and
// "/len" (prefix length in the family given).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace ninet {

class Ipaddr {
 public:
  static constexpr size_t kLen = 16;
  constexpr Ipaddr() : b_{} {}
  explicit Ipaddr(const uint8_t* p) { std::memcpy(b_.data(), p, kLen); }
  static Ipaddr v4(uint32_t a) {  // host-order value -> ::ffff:a
    Ipaddr r;
    r.b_[10] = r.b_[11] = 0xff;
    r.b_[12] = uint8_t(a >> 24);
    r.b_[13] = uint8_t(a >> 16);
    r.b_[14] = uint8_t(a >> 8);
    r.b_[15] = uint8_t(a);
    return r;
  }
  static Ipaddr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return v4(uint32_t(a) << 24 | uint32_t(b) << 16 | uint32_t(c) << 8 | d);
  }
  static Ipaddr from_v4_bytes(const uint8_t* p);  // 4 network-order bytes
  static Result<Ipaddr> parse(std::string_view s);
  // Mask text: dotted v4 mask, v6 text, or "/n" (n is a v4 length if v4 is true).
  static Result<Ipaddr> parse_mask(std::string_view s, bool v4);
  static Ipaddr mask_v4(int len);             // v4-mapped mask (first 96 bits set) of a v4 prefix
  static Ipaddr mask_v6(int len);             // plain 128-bit mask
  static Ipaddr class_mask(const Ipaddr& a);  // classful v4 mask; /64 for v6

  const uint8_t* data() const { return b_.data(); }
  uint8_t* data() { return b_.data(); }
  uint8_t operator[](size_t i) const { return b_[i]; }
  uint8_t& operator[](size_t i) { return b_[i]; }

  // Inline: the route lookup of every packet starts with these.
  bool is_v4() const {  // v4-mapped (includes 0.0.0.0 as ::ffff:0.0.0.0)
    uint64_t hi;
    std::memcpy(&hi, b_.data(), 8);
    return hi == 0 && b_[8] == 0 && b_[9] == 0 && b_[10] == 0xff && b_[11] == 0xff;
  }
  uint32_t v4() const {  // the low 32 bits, host order
    return uint32_t(b_[12]) << 24 | uint32_t(b_[13]) << 16 | uint32_t(b_[14]) << 8 | b_[15];
  }
  const uint8_t* v4_bytes() const { return b_.data() + 12; }
  bool is_zero() const;          // :: or 0.0.0.0 (v4-mapped zero)
  bool is_multicast() const;     // 224/4 or ff00::/8
  bool is_v4_broadcast() const;  // 255.255.255.255
  bool is_v6_linklocal() const;  // fe80::/10
  bool is_loopback() const;      // 127/8 or ::1
  // For masks: the prefix length within the family (v4: 0-32 counted after
  // the 96 leading ones, v6: 0-128), -1 if the mask is not contiguous (or, for
  // v4, lacks the 96 leading ones). The family must come from the address the
  // mask goes with: a v6 /120 and a v4 /24 are the same 16 bytes.
  int prefix_len(bool v4) const;
  bool is_v4_mask() const;  // first 12 bytes ff

  Ipaddr operator&(const Ipaddr& m) const;
  Ipaddr operator|(const Ipaddr& m) const;
  Ipaddr operator~() const;
  auto operator<=>(const Ipaddr&) const = default;
  bool operator==(const Ipaddr&) const = default;

  std::string str() const;              // "10.0.0.1", "fe80::1"
  std::string mask_str(bool v4) const;  // "255.255.255.0" for v4 masks, "/64" for v6

 private:
  std::array<uint8_t, kLen> b_;
};

// The solicited-node multicast address ff02::1:ffXX:XXXX (RFC 4291 section 2.7.1).
Ipaddr solicited_node(const Ipaddr& a);
// The EUI-64 based link-local address fe80::/64 of a MAC (RFC 4291 appendix A).
class Mac;
Ipaddr linklocal_from_mac(const Mac& m);

inline const Ipaddr kIpv4Any = Ipaddr::v4(0);
inline const Ipaddr kIpv6Any{};
inline const Ipaddr kIpv4Bcast = Ipaddr::v4(0xffffffff);

class Mac {
 public:
  static constexpr size_t kLen = 6;
  constexpr Mac() : b_{} {}
  explicit Mac(const uint8_t* p) { std::memcpy(b_.data(), p, kLen); }
  static Result<Mac> parse(std::string_view s);  // "52:54:00:12:34:56" or "525400123456"
  static Mac broadcast();
  static Mac multicast_v4(const Ipaddr& group);  // 01:00:5e + low 23 bits
  static Mac multicast_v6(const Ipaddr& group);  // 33:33 + low 32 bits
  const uint8_t* data() const { return b_.data(); }
  uint8_t* data() { return b_.data(); }
  uint8_t operator[](size_t i) const { return b_[i]; }
  bool is_zero() const;
  bool is_broadcast() const;
  bool is_multicast() const { return b_[0] & 1; }
  auto operator<=>(const Mac&) const = default;
  bool operator==(const Mac&) const = default;
  std::string str() const;  // Plan 9 style: 12 lowercase hex digits, "525400123456"

 private:
  std::array<uint8_t, kLen> b_;
};

struct IpaddrHash {
  size_t operator()(const Ipaddr& a) const {
    uint64_t x, y;
    std::memcpy(&x, a.data(), 8);
    std::memcpy(&y, a.data() + 8, 8);
    return std::hash<uint64_t>()(x * 0x9e3779b97f4a7c15ull ^ y);
  }
};

}  // namespace ninet
