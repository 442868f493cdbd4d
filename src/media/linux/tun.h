// tun.h — `bind netdev NAME` on Linux: a TUN device (IFF_TUN | IFF_NO_PI)
// carrying bare IP packets between the stack and the kernel.
//
// NAME is an interface name: if a TUN interface of that name exists (e.g. made
// persistent with `ip tuntap add dev tun0 mode tun`) the medium attaches to
// it, otherwise it creates one, which exists while the medium is open. An
// empty NAME lets the kernel pick "tunN" (see ifname()). See tundev.h.
//
//   auto m = TunMedium::open("tun0");   // then, on the kernel side:
//   // ip addr add 10.0.0.1/24 dev tun0      (a created device is already up)
#pragma once

#include <algorithm>

#include "media/linux/tundev.h"

namespace ninet {

class TunMedium final : public TunDevice {
 public:
  static Result<std::unique_ptr<TunMedium>> open(std::string_view name);

  std::string_view name() const override { return "netdev"; }
  // The kernel side's MTU (1500 for a new device): both ends then agree on
  // the largest packet, which the kernel would otherwise have to fragment or
  // refuse on its way out. (`mtu n` may set anything up to 65535.)
  int default_mtu() const override { return std::max(kernel_mtu(), min_mtu()); }

 private:
  explicit TunMedium(Opened o) : TunDevice(std::move(o), 0) {}
};

}  // namespace ninet
