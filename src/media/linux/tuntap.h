// tuntap.h — TUN (`bind netdev NAME`: IP packets) and TAP (`bind ether
// tap:NAME`: Ethernet frames) devices of the Linux kernel.
//
// The device named NAME is attached if it exists (and was made persistent or
// is free) and created otherwise; a created device disappears when ninet
// closes it. The kernel side of the device is left for the user to configure
// (ip link set NAME up, addresses, moving it to a namespace).
//
//   auto m = TunTapMedium::open("tun0", /*tap=*/false);
#pragma once

#include <memory>
#include <string>

#include "media/medium.h"

namespace ninet {

class TunTapMedium final : public Medium {
 public:
  static Result<std::unique_ptr<Medium>> open(std::string_view name, bool tap);
  ~TunTapMedium() override;

  std::string_view name() const override { return tap_ ? "ether" : "netdev"; }
  bool link_header() const override { return tap_; }
  Mac hwaddr() const override { return mac_; }
  int default_mtu() const override { return tap_ ? 1514 : 1500; }
  int fd() const override { return fd_; }
  size_t recv(Batch& out, Pool& pool, size_t max) override;
  void send(Batch& batch) override;
  Status set_promiscuous(bool on) override { return tap_ ? Status() : Err::NotSupported; }
  Status add_multi(const Mac& m) override { return tap_ ? Status() : Err::NotSupported; }
  Status rem_multi(const Mac& m) override { return tap_ ? Status() : Err::NotSupported; }
  void close() override;

 private:
  TunTapMedium(int fd, bool tap, Mac mac) : fd_(fd), tap_(tap), mac_(mac) {}
  int fd_;
  bool tap_;
  Mac mac_;
};

}  // namespace ninet
