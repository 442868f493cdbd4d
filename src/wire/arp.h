// arp.h — ARP for IPv4 over Ethernet (RFC 826): 28 bytes after the Ethernet header.
//
//   auto a = ArpRepr::parse(payload);   // checks htype 1, ptype 0x0800, hlen 6, plen 4
//   ArpRepr{arp::kRequest, my_mac, my_ip, Mac(), target}.emit(b->put(ArpRepr::kLen));
#pragma once

#include <cstdint>
#include <span>

#include "base/error.h"
#include "base/ipaddr.h"

namespace ninet::wire {

namespace arp {
constexpr uint16_t kRequest = 1, kReply = 2;
constexpr size_t kHtype = 0, kPtype = 2, kHlen = 4, kPlen = 5, kOp = 6, kSha = 8, kSpa = 14,
                 kTha = 18, kTpa = 24;
}  // namespace arp

struct ArpRepr {
  static constexpr size_t kLen = 28;
  uint16_t op = 0;
  Mac sha;
  Ipaddr spa;  // v4-mapped
  Mac tha;
  Ipaddr tpa;  // v4-mapped

  // Rejects anything but Ethernet/IPv4 (htype 1, ptype 0x0800, hlen 6, plen 4)
  // and ops other than request/reply.
  static Result<ArpRepr> parse(std::span<const uint8_t> p);
  void emit(uint8_t* out) const;  // writes kLen bytes
};

}  // namespace ninet::wire
