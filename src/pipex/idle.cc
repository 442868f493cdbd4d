#include "pipex/idle.h"

#include <array>

#include "base/endian.h"
#include "pipex/mss.h"
#include "wire/icmp.h"
#include "wire/icmp6.h"
#include "wire/ip4.h"
#include "wire/tcp.h"
#include "wire/udp.h"

namespace ninet::pipex {

namespace {

// Ports of background services (OpenBSD's ip_is_idle_packet).
constexpr std::array<uint16_t, 6> kIdlePorts = {
    53,   // domain
    67,   // bootps
    68,   // bootpc
    123,  // ntp
    137,  // netbios-ns
    520,  // rip (router)
};

bool idle_port(uint16_t port) {
  for (uint16_t p : kIdlePorts)
    if (p == port) return true;
  return false;
}

// TCP and UDP have their ports at the same offsets (0 and 2).
bool idle_ports(std::span<const uint8_t> l4, size_t min_header) {
  if (l4.size() < min_header) return true;  // malformed
  return idle_port(load16(&l4[wire::udp::kSrcPort])) || idle_port(load16(&l4[wire::udp::kDstPort]));
}

// ICMP and ICMPv6 (RFC 4443 2.1) both start with the type and have an
// 8-byte header.
bool idle_icmp(std::span<const uint8_t> l4, size_t header_len, uint8_t echo_request,
               uint8_t echo_reply) {
  if (l4.size() < header_len) return true;  // malformed
  uint8_t type = l4[0];
  return type != echo_request && type != echo_reply;
}

}  // namespace

bool is_idle_packet(std::span<const uint8_t> ip_packet) {
  using namespace wire;
  auto u = find_upper_layer(ip_packet);
  if (!u) return true;
  if (u->fragment) return false;
  std::span<const uint8_t> l4 = ip_packet.subspan(u->offset, u->len);
  switch (u->proto) {
    case ipproto::kTcp:
      return idle_ports(l4, tcp::kMinHeader);
    case ipproto::kUdp:
      return idle_ports(l4, udp::kHeaderLen);
    case ipproto::kIcmp:
      return !u->v6 && idle_icmp(l4, icmp::kHeaderLen, icmp::kEchoRequest, icmp::kEchoReply);
    case ipproto::kIcmp6:
      return u->v6 && idle_icmp(l4, icmp6::kHeaderLen, icmp6::kEchoRequest, icmp6::kEchoReply);
    default:
      return false;  // IGMP and every other protocol
  }
}

}  // namespace ninet::pipex
