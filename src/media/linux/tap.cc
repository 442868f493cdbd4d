#include "media/linux/tap.h"

#include <random>

#include "media/linux/netif.h"

namespace ninet {

namespace {

// A random unicast MAC with the locally administered bit set (IEEE 802:
// bit 1 of the first octet set, bit 0 clear), never equal to `avoid`.
Mac local_mac(const Mac& avoid) {
  std::random_device rd;
  for (;;) {
    uint8_t m[6];
    for (uint8_t& x : m)
      x = uint8_t(rd());
    m[0] = uint8_t((m[0] & 0xfc) | 0x02);
    Mac mac(m);
    if (mac != avoid && !mac.is_zero()) return mac;
  }
}

Status check_multicast(const Mac& m) {
  if (!m.is_multicast()) return Error(Err::BadArg, "not a multicast address: " + m.str());
  return {};
}

}  // namespace

Result<std::unique_ptr<TapMedium>> TapMedium::open(std::string_view name) {
  auto o = open_device(name, /*tap=*/true);
  if (!o) return o.error();
  Mac kernel;
  if (auto hw = netif_hwaddr(o->ifname); hw.ok()) kernel = hw->mac;
  Mac mine = local_mac(kernel);
  return std::unique_ptr<TapMedium>(new TapMedium(std::move(*o), mine, kernel));
}

Status TapMedium::add_multi(const Mac& m) {
  return check_multicast(m);
}

Status TapMedium::rem_multi(const Mac& m) {
  return check_multicast(m);
}

}  // namespace ninet
