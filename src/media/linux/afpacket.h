// afpacket.h — `bind ether NAME` on Linux: Ethernet frames on an existing
// interface (a NIC, one end of a veth pair, a bridge port) through an
// AF_PACKET socket.
//
// Receive: a TPACKET_V3 ring shared with the kernel (kRingBlocks blocks of
// kRingBlockSize bytes). The kernel fills a block with frames and hands the
// whole block over when it is full or kRetireMs after its first frame; one
// poll() wakeup then yields many frames, and recv() walks the blocks without
// a system call, copying each frame into a pooled Block and giving the ring
// block back when it is done. Frames whose VLAN tag the device stripped get
// it back (so the stack sees 0x8100 and leaves them alone); TCP/UDP
// checksums the kernel left for "hardware" to fill (CHECKSUM_PARTIAL, e.g.
// from the kernel's side of a veth pair) are completed here.
//
// Send: sendmmsg(2), up to 64 frames per call, frames shorter than 60 bytes
// zero-padded by a second iovec. Why not a TX ring: a socket has one
// PACKET_VERSION, so a TPACKET_V2 TX ring next to the V3 RX ring needs a
// second socket and ring; both ways copy each frame once (into the ring, or
// the kernel from our iovec), both cost one syscall per batch, and sendmmsg
// reports failures per message (EMSGSIZE, ENOBUFS) without ring-slot
// bookkeeping. Frames go through the device's qdisc like the kernel's own.
//
// PACKET_IGNORE_OUTGOING (and a check of the packet type) keeps our own
// frames from coming back. The stack uses the interface's MAC, so the
// interface should carry no kernel addresses: give the kernel none, and
// `sysctl net.ipv6.conf.NAME.disable_ipv6=1` (or the kernel and the stack
// derive the same IPv6 link-local address and answer for it both).
//
//   auto m = AfPacketMedium::open("veth1");
//   poll m->fd() for POLLIN, then m->recv(batch, pool, 64) until it returns 0
#pragma once

#include <algorithm>
#include <memory>
#include <string>

#include "media/medium.h"

namespace ninet {

class AfPacketMedium final : public Medium {
 public:
  static constexpr uint32_t kRingBlockSize = 1u << 17;  // 128 KiB: holds a 64 KiB GSO frame
  static constexpr uint32_t kRingBlocks = 32;           // 4 MiB of ring
  static constexpr uint32_t kRetireMs = 1;              // latency bound for a partial block
  static constexpr size_t kSendBatch = 64;              // frames per sendmmsg

  static Result<std::unique_ptr<AfPacketMedium>> open(std::string_view ifname);
  ~AfPacketMedium() override;
  AfPacketMedium(const AfPacketMedium&) = delete;
  AfPacketMedium& operator=(const AfPacketMedium&) = delete;

  std::string_view name() const override { return "ether"; }
  bool link_header() const override { return true; }
  Mac hwaddr() const override { return mac_; }
  // 1514 (ip(3)), or less if the interface's MTU is smaller.
  int default_mtu() const override { return std::min(1514, max_mtu()); }
  int min_mtu() const override { return 82; }  // 68-byte IPv4 minimum + 14
  // What the interface takes (its MTU + 14, when opened); bigger frames fail
  // with EMSGSIZE.
  int max_mtu() const override { return kernel_mtu_ + 14; }
  int fd() const override { return fd_; }

  size_t recv(Batch& out, Pool& pool, size_t max) override;
  void send(Batch& batch) override;
  Status set_promiscuous(bool on) override;
  Status add_multi(const Mac& m) override;
  Status rem_multi(const Mac& m) override;
  void close() override;

  const std::string& ifname() const { return ifname_; }
  // Frames the kernel dropped because the ring was full (also in in_errors).
  uint64_t ring_drops() const { return ring_drops_; }

 private:
  AfPacketMedium() = default;
  Status setup(std::string_view ifname);
  Status membership(int type, const Mac* m, bool add);
  // Returns the current ring block to the kernel and moves to the next.
  void release_block();
  // Copies one ring frame into a block; null if it is to be skipped.
  BlockPtr take_frame(const uint8_t* hdr, Pool& pool);
  // Reads the socket's pending error (clearing it) and the ring's drop count.
  void check_socket();

  int fd_ = -1;
  int ifindex_ = 0;
  int kernel_mtu_ = 1500;
  std::string ifname_;
  Mac mac_;
  bool promiscuous_ = false;
  uint8_t* ring_ = nullptr;
  size_t ring_size_ = 0;
  uint32_t cur_block_ = 0;
  // Position inside the current block while handing out its frames.
  uint32_t pkts_left_ = 0;
  const uint8_t* next_pkt_ = nullptr;
  uint64_t ring_drops_ = 0;
};

}  // namespace ninet
