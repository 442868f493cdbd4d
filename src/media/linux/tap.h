// tap.h — `bind ether tap:NAME` on Linux: Ethernet frames through a TAP device
// (IFF_TAP | IFF_NO_PI). Attaching and creating work as for TUN (tundev.h).
//
// The kernel's side of the TAP has its own MAC; the stack's side gets a random
// locally administered unicast MAC that differs from it, so the two ends look
// like two hosts on one Ethernet segment.
//
//   auto m = TapMedium::open("tap0");   // m->hwaddr(): 02:xx:xx:xx:xx:xx
#pragma once

#include <algorithm>

#include "media/linux/tundev.h"

namespace ninet {

class TapMedium final : public TunDevice {
 public:
  static Result<std::unique_ptr<TapMedium>> open(std::string_view name);

  std::string_view name() const override { return "ether"; }
  bool link_header() const override { return true; }
  Mac hwaddr() const override { return mac_; }
  // The kernel side's MAC (what its ARP replies carry).
  Mac kernel_hwaddr() const { return kernel_mac_; }
  // 1514 (ip(3)), or less if the kernel side's MTU is smaller.
  int default_mtu() const override { return std::min(1514, std::max(kernel_mtu() + 14, 82)); }
  int min_mtu() const override { return 82; }  // 68-byte IPv4 minimum + 14
  // The TAP hands us every frame the kernel sends on it: it is promiscuous
  // and in every multicast group already, so these only check their argument.
  Status set_promiscuous(bool on) override { return {}; }
  Status add_multi(const Mac& m) override;
  Status rem_multi(const Mac& m) override;

 private:
  TapMedium(Opened o, Mac mac, Mac kernel_mac)
      : TunDevice(std::move(o), kMinFrame), mac_(mac), kernel_mac_(kernel_mac) {}
  static constexpr uint32_t kMinFrame = 60;  // Ethernet minimum without FCS
  Mac mac_, kernel_mac_;
};

}  // namespace ninet
