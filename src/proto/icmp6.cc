#include "proto/icmp6.h"

#include "proto/icmp_proto.h"

namespace ninet {

std::unique_ptr<Proto> make_icmp6(Ip& ip) {
  return std::make_unique<IcmpProto>(ip, true);
}

}  // namespace ninet
