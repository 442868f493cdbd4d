// afpacket.h — Ethernet on an existing Linux interface through an AF_PACKET
// socket: a TPACKET_V3 receive ring (the kernel fills blocks of frames; one
// poll wakeup hands over a whole block) and sendmmsg() for batched output.
//
// PACKET_IGNORE_OUTGOING keeps our own frames from coming back. The
// interface should carry no kernel addresses (or the kernel answers too).
//
//   auto m = AfPacketMedium::open("veth0");
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "media/medium.h"

namespace ninet {

class AfPacketMedium final : public Medium {
 public:
  static Result<std::unique_ptr<Medium>> open(std::string_view ifname);
  ~AfPacketMedium() override;

  std::string_view name() const override { return "ether"; }
  bool link_header() const override { return true; }
  Mac hwaddr() const override { return mac_; }
  int default_mtu() const override { return 1514; }
  int max_mtu() const override { return 9014; }
  int fd() const override { return fd_; }
  size_t recv(Batch& out, Pool& pool, size_t max) override;
  void send(Batch& batch) override;
  Status set_promiscuous(bool on) override;
  Status add_multi(const Mac& m) override;
  Status rem_multi(const Mac& m) override;
  void close() override;

 private:
  AfPacketMedium() = default;
  Status membership(int type, const Mac* m, bool add);
  int fd_ = -1;
  int ifindex_ = 0;
  Mac mac_;
  uint8_t* ring_ = nullptr;
  size_t ring_size_ = 0;
  uint32_t block_size_ = 0, nblocks_ = 0, cur_block_ = 0;
  // Position inside the current block while handing its frames out.
  uint32_t pkts_left_ = 0;
  uint8_t* next_pkt_ = nullptr;
};

}  // namespace ninet
