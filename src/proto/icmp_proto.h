// icmp_proto.h — IcmpProto, the one implementation behind make_icmp and
// make_icmp6 (icmp.cc); the families differ in type numbers, the checksum
// (ICMPv6 covers a pseudo header), the `headers` mode and the stats names.
#pragma once

#include <string>

#include "ip/ip.h"

namespace ninet {

class IcmpProto : public Proto {
 public:
  IcmpProto(Ip& ip, bool v6);
  Status connect(Conv& c) override;
  Status ctl(Conv& c, const std::vector<std::string_view>& args) override;
  Result<size_t> write(Conv& c, std::span<const uint8_t> data) override;
  void rcv(const IpRx& rx, BlockPtr b) override;
  std::string status(const Conv& c) const override;
  std::string stats() const override;

  static constexpr size_t kHeadersLen = 40;  // Icmp6hdr: unused[8] laddr[16] raddr[16]

 private:
  IcmpCounters& counters() const { return v6_ ? ip.icmp6 : ip.icmp4; }
  bool is_echo_request(uint8_t t) const { return t == (v6_ ? 128 : 8); }
  bool is_echo_reply(uint8_t t) const { return t == (v6_ ? 129 : 0); }
  bool is_error(uint8_t t) const;
  // Header (type, code, rest) and body into out, with the checksum.
  void emit(uint8_t type, uint8_t code, uint32_t rest, const Ipaddr& src, const Ipaddr& dst,
            std::span<uint8_t> out, std::span<const uint8_t> body) const;
  // The interface a packet to dst must leave by: the input/source interface
  // for link-scoped destinations that are not ours, else -1 (routed).
  int scoped_ifc(const Ipaddr& dst, int ifc) const;
  // Sends an ICMP message (b at its header) and counts it.
  Status send(const SendParams& sp, BlockPtr b);
  void echo_reply(int ifc, const Ipaddr& src, const Ipaddr& dst, uint32_t rest, BlockPtr req);
  void error_in(const IpRx& rx, const Block& b, uint8_t type, uint8_t code, uint32_t rest);
  // True if a reply from src answers what conversation c sent.
  bool from_remote(const Conv& c, const Ipaddr& src) const;
  void deliver(Conv& c, const Ipaddr& src, const Ipaddr& dst, const Block& b);
  bool v6_;
};

}  // namespace ninet
