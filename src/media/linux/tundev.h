// tundev.h — what TUN (tun.h) and TAP (tap.h) media share: opening
// /dev/net/tun, attaching to or creating the named device (TUNSETIFF), and
// moving packets with one read()/write() each (a TUN/TAP descriptor has no
// batch call; recv() and send() loop over the batch instead).
//
// Naming: TUNSETIFF attaches to an existing device of that name if it is a
// device of the same kind (TUN or TAP) not attached elsewhere, and otherwise
// creates it; an empty name lets the kernel choose ("tun0", "tap3", ...).
// A device ninet created is brought up (its addresses are the kernel side's
// business) and disappears when the medium is closed; an existing (persistent,
// e.g. `ip tuntap add`) device is left as it was found.
//
// Offloads: the device is opened with IFF_VNET_HDR and TUNSETOFFLOAD
// (checksum, TSO4, TSO6), so a virtio-net header (vnet.h) goes with every
// packet both ways: the kernel hands over its TCP in 64 KiB segments with
// checksums left partial, and takes ours the same way (MediumCaps gso_max,
// csum_offload), as a virtio NIC's driver does.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "media/medium.h"

namespace ninet {

class TunDevice : public Medium {
 public:
  ~TunDevice() override;
  TunDevice(const TunDevice&) = delete;
  TunDevice& operator=(const TunDevice&) = delete;

  int fd() const override { return fd_; }
  // Reads until EAGAIN or max; a packet too big for a pooled block lands in a
  // heap block (nothing is truncated).
  size_t recv(Batch& out, Pool& pool, size_t max) override;
  // One write per block; frames shorter than the minimum are zero-padded.
  void send(Batch& batch) override;
  // The largest large segment send() takes (an IP packet: 64 KiB).
  static constexpr uint32_t kGsoMax = 65535;
  void close() override;

  // The kernel's name of the device ("tun0").
  const std::string& ifname() const { return ifname_; }
  // True if this medium created the device (it goes away on close).
  bool created() const { return created_; }
  // The kernel side's MTU when the medium was opened.
  int kernel_mtu() const { return kernel_mtu_; }

 protected:
  struct Opened {
    int fd = -1;
    std::string ifname;
    bool created = false;
    int mtu = 1500;
    bool offload = false;  // TUNSETOFFLOAD took: the kernel may send us offloaded packets
  };
  static Result<Opened> open_device(std::string_view name, bool tap);
  TunDevice(Opened o, uint32_t min_frame);

 private:
  // Closes the descriptor after the kernel said the device is gone (EBADFD:
  // deleted under us), so the engine stops polling a descriptor that would
  // report POLLERR forever.
  void lost();

  int fd_;
  std::string ifname_;
  bool created_;
  int kernel_mtu_;
  uint32_t min_frame_;  // 60 for TAP (Ethernet without FCS), 0 for TUN
  size_t link_len_;     // 14 for TAP, 0 for TUN: where the IP packet starts
  // Where the tail of a packet longer than a pooled block's room goes.
  std::unique_ptr<uint8_t[]> spare_;
};

}  // namespace ninet
