// icmp_proto.h — IcmpProto, the one implementation behind make_icmp and
// make_icmp6; the families differ in types, checksums and stats names.
#pragma once

#include <string>

#include "ip/ip.h"

namespace ninet {

class IcmpProto : public Proto {
 public:
  IcmpProto(Ip& ip, bool v6);
  Status ctl(Conv& c, const std::vector<std::string_view>& args) override;
  Result<size_t> write(Conv& c, std::span<const uint8_t> data) override;
  void rcv(int ifc, const Ipaddr& src, const Ipaddr& dst, BlockPtr b) override;
  std::string status(const Conv& c) const override;
  std::string stats() const override;

  static constexpr size_t kHeadersLen = 40;  // Icmp6hdr

 private:
  IcmpCounters& counters() const { return v6_ ? ip.icmp6 : ip.icmp4; }
  bool is_echo_request(uint8_t t) const { return t == (v6_ ? 128 : 8); }
  bool is_echo_reply(uint8_t t) const { return t == (v6_ ? 129 : 0); }
  bool is_error(uint8_t t) const;
  void echo_reply(const Ipaddr& src, const Ipaddr& dst, Block& req);
  void error_in(const Ipaddr& src, const Ipaddr& dst, Block& b, uint8_t type, uint8_t code);
  void deliver(Conv& c, const Ipaddr& src, const Ipaddr& dst, const Block& b);
  bool v6_;
};

}  // namespace ninet
