#include "media/linux/tap.h"

#include <sys/random.h>

#include <chrono>

#include "media/linux/netif.h"

namespace ninet {

namespace {

// A random unicast MAC with the locally administered bit set (IEEE 802:
// bit 1 of the first octet set, bit 0 clear), never equal to `avoid`.
Mac local_mac(const Mac& avoid) {
  uint64_t salt = uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
  for (;;) {
    uint8_t m[6];
    if (getrandom(m, sizeof m, GRND_NONBLOCK) != ssize_t(sizeof m)) {
      // No entropy yet (early boot): the clock still makes two TAPs differ.
      salt = salt * 6364136223846793005ull + 1442695040888963407ull;
      for (size_t i = 0; i < sizeof m; i++)
        m[i] = uint8_t(salt >> (8 * i + 16));
    }
    m[0] = uint8_t((m[0] & 0xfc) | 0x02);
    Mac mac(m);
    if (mac != avoid) return mac;
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
