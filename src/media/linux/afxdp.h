// afxdp.h — `bind ether NAME` through an AF_XDP socket (XDP_REDIRECT into a
// ring shared with user space), the default where XDP attaches; open.cc falls
// back to AF_PACKET (afpacket.h) where it does not.
//
// Why: through AF_PACKET every received frame is also handed to the kernel's
// own IP input on the router's interface (which drops it, after a route
// lookup), and a frame is copied into an skb, then into the ring. With XDP
// the driver runs a small BPF program first (libxdp's default AF_XDP program:
// redirect to the socket bound to the frame's receive queue, else pass), so
// the kernel stack never sees the frame and the copy happens once, from the
// driver's buffer into UMEM (copy mode) or not at all (zero copy).
//
// UMEM: kFrames frames of kFrameSize bytes in one anonymous mapping, shared
// by the four rings: half are the receive frames (always either on the fill
// ring or in the rx ring until recv() takes the frame and puts it straight
// back on the fill ring), half the transmit frames (on a free stack, or in
// the tx/completion rings). A received frame is copied once into a pooled
// Block and its UMEM frame refilled at once; send() copies each Block into a
// free transmit frame. The copies are small next to the rest of the path (a
// 60-byte frame: a few cycles; bench/forward_e2e.sh), and Blocks stay plain
// heap buffers that any layer may keep, queue or free on any thread: a UMEM
// frame held by a TCP queue would be a frame the driver cannot fill.
//
// Modes, best first: native XDP with zero copy (drivers that support it),
// native XDP in copy mode (veth, most drivers), and only when asked
// (`bind ether xdp:NAME`), generic (skb) XDP. mode_text() says which, and
// open.cc logs it. One socket on queue 0: an interface with more receive
// queues is refused (open.cc then uses AF_PACKET), so no frame goes to a
// queue nobody reads.
//
// Drops: XDP_STATISTICS (rx ring full, fill ring empty, invalid descriptors)
// are read when recv() finds the ring nearly full, every kStatsEvery
// receives, and at close; they go into MediumStats::in_ring_drops and
// in_errors. Transmit frames that find no free UMEM frame or no room in the
// tx ring are out_ring_full; frames the kernel could not send (the device's
// queue full, link down) are out_refused.
//
// Checksums: a veth's peer in the local kernel leaves TCP/UDP checksums for
// the "hardware" to finish (CHECKSUM_PARTIAL). AF_PACKET marks such frames
// (afpacket.h); XDP does not, so on veth recv() marks a frame whose field
// holds exactly Linux's pseudo-header sum Block::kCsumPartial
// (holds_partial_checksum in l4csum.h), as Linux does for CHECKSUM_PARTIAL:
// the stack does not check it, IP finishes it if it forwards the packet, and
// no checksum is computed for the local kernel's traffic. Frames from a NIC
// come whole.
//
// Promiscuous mode and multicast memberships go through a second AF_PACKET
// socket that is never bound (it receives nothing).
//
//   auto m = AfXdpMedium::open("veth1", AfXdpMedium::kNative);
//   poll m->fd() for POLLIN, then m->recv(batch, pool, 64) until it returns 0
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "media/linux/netif.h"
#include "media/medium.h"

namespace ninet {

struct AfXdpRings;  // libxdp's ring structures (afxdp.cc)

class AfXdpMedium final : public Medium {
 public:
  static constexpr uint32_t kFrameSize = 2048;
  static constexpr uint32_t kRxFrames = 4096;  // = fill and rx ring sizes
  static constexpr uint32_t kTxFrames = 4096;  // = tx and completion ring sizes
  static constexpr uint32_t kFrames = kRxFrames + kTxFrames;
  // The kernel keeps XDP_PACKET_HEADROOM (256) in front of each frame.
  static constexpr int kMaxFrame = int(kFrameSize) - 256;
  static constexpr uint32_t kStatsEvery = 4096;  // recv() calls between XDP_STATISTICS reads

  enum Attach {
    kNative,       // driver XDP only (zero copy if the driver can, else copy)
    kNativeOrSkb,  // driver XDP, else generic (skb) XDP
  };

  // Fails (Err::NoDevice, with the reason) if XDP cannot be used on ifname.
  static Result<std::unique_ptr<AfXdpMedium>> open(std::string_view ifname, Attach how = kNative);
  ~AfXdpMedium() override;
  AfXdpMedium(const AfXdpMedium&) = delete;
  AfXdpMedium& operator=(const AfXdpMedium&) = delete;

  std::string_view name() const override { return "ether"; }
  bool link_header() const override { return true; }
  Mac hwaddr() const override { return mac_; }
  int default_mtu() const override { return std::min(1514, max_mtu()); }
  int min_mtu() const override { return 82; }
  int max_mtu() const override { return std::min(kernel_mtu_ + 14, kMaxFrame); }
  int fd() const override { return fd_; }

  size_t recv(Batch& out, Pool& pool, size_t max) override;
  void send(Batch& batch) override;
  Status set_promiscuous(bool on) override { return members_.set_promiscuous(on); }
  Status add_multi(const Mac& m) override { return members_.add_multi(m); }
  Status rem_multi(const Mac& m) override { return members_.rem_multi(m); }
  void close() override;

  const std::string& ifname() const { return ifname_; }
  bool zero_copy() const { return zero_copy_; }
  bool native() const { return native_; }
  // "native zero-copy", "native copy" or "generic copy".
  std::string mode_text() const;

 private:
  AfXdpMedium();
  Status setup(std::string_view ifname, Attach how);
  Status try_socket(bool native, bool zero_copy);
  void reap_completions();
  void kick_tx();
  void read_xdp_stats();

  std::unique_ptr<AfXdpRings> r_;
  int fd_ = -1;      // the XDP socket
  int ctl_fd_ = -1;  // unbound AF_PACKET socket for promiscuous/multicast
  int ifindex_ = 0;
  int kernel_mtu_ = 1500;
  std::string ifname_;
  Mac mac_;
  PacketMemberships members_;
  bool native_ = false;
  bool zero_copy_ = false;
  bool local_peer_ = false;  // veth: mark checksums left partial
  uint8_t* umem_area_ = nullptr;
  size_t umem_size_ = 0;
  std::vector<uint64_t> tx_free_;  // UMEM addresses of free transmit frames
  uint32_t recv_calls_ = 0;
  uint64_t xdp_drops_seen_ = 0;  // XDP_STATISTICS drops already counted
};

}  // namespace ninet
