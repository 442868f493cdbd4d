// afpacket.h — `bind ether NAME` on Linux: Ethernet frames on an existing
// interface (a NIC, one end of a veth pair, a bridge port) through an
// AF_PACKET socket.
//
// Receive: a TPACKET_V2 ring shared with the kernel, one fixed-size slot per
// frame. Why V2 and not V3: latency. V3 packs frames into blocks and wakes
// the reader only when it retires a block, that is when the block is full or
// when its retire timer (tp_retire_blk_tov, at least a millisecond, timer
// based) runs out; on an idle link every packet waits for the timer. Pinging
// ninet over a veth took 0.5 ms where Linux answers in 0.012 ms. With V2 the
// kernel marks each slot TP_STATUS_USER as it fills it and wakes poll() for
// every packet. Batching is kept without a timer: recv() takes every ready
// slot in ring order (up to the count asked for), so under load one wakeup
// still moves many frames, and an idle link moves each one at once. The
// price: a slot is sized for the interface's MTU, so small frames use more
// ring memory than in V3's packed blocks.
//
// Slots: room for the tpacket2_hdr and sockaddr_ll, the 16 bytes the kernel
// keeps for the MAC header, an Ethernet header, a VLAN tag and the MTU the
// interface had when opened, at least 2048 bytes (slot_size_for). Frames
// bigger than a slot still arrive: GSO and GRO frames (a veth peer with TSO
// on hands over 64 KiB TCP frames, a NIC with GRO the same) or frames after
// the MTU was raised. With PACKET_COPY_THRESH on, the kernel also queues such
// a frame whole on the socket and marks its slot TP_STATUS_COPY; recv() reads
// it from there in ring order (the kernel takes the slot and queues the copy
// under one lock, so both orders agree). When it could not (the socket's
// receive buffer was full) the slot holds a truncated frame: that is counted
// in in_errors and dropped, never delivered cut short.
//
// Each frame is copied into a pooled Block. Frames whose VLAN tag the kernel
// moved into metadata get it back (so the stack sees 0x8100 and leaves them
// alone). When recv() finds that the kernel went all the way round the ring
// (it was full), the drops PACKET_STATISTICS reports go into ring_drops()
// and in_errors.
//
// Offloads (PACKET_VNET_HDR, vnet.h): a virtio-net header goes with every
// frame both ways, so the stack takes and gives what the kernel's own stack
// does. On receive, a checksum the kernel left for "hardware" (its own
// traffic, from the kernel's side of a veth pair) marks the block
// kCsumPartial and one it checked kCsumValid: nothing is computed for them;
// a GRO'd TCP frame (up to 64 KiB) keeps its segment size in gso_size, so
// IP can cut it again if it forwards it. On send, kCsumPartial blocks and TCP
// large segments (caps.gso_max) go to the kernel as they are, which
// segments them (or passes them whole across a veth, as its own stack does).
// Without PACKET_VNET_HDR (older kernels) partial checksums are still marked
// (TP_STATUS_CSUMNOTREADY) and IP segments and checksums what it sends.
//
// Send: sendmmsg(2), up to 64 frames per call, frames shorter than 60 bytes
// zero-padded by a second iovec. Why not a TX ring: both ways copy each frame
// once (into the ring, or the kernel from our iovec), both cost one syscall
// per batch (a TX ring still needs send() to kick it), and sendmmsg reports
// failures per message (EMSGSIZE, ENOBUFS) without ring-slot bookkeeping.
// Frames go through the device's qdisc like the kernel's own.
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

#include "media/linux/netif.h"
#include "media/linux/vnet.h"
#include "media/medium.h"

namespace ninet {

class AfPacketMedium final : public Medium {
 public:
  // Ring size. A V2 slot holds one frame whatever its length, so the slot
  // count is what absorbs a burst while the engine is busy: 4096 frames is
  // 5 ms of full-size frames at 10 Gb/s, and 8 MiB with 2048-byte slots (the
  // V3 ring it replaces had 4 MiB: about 2600 full-size frames). Jumbo MTUs
  // get fewer slots within the same memory, but never fewer than kMinSlots.
  static constexpr uint32_t kMinSlotSize = 2048;
  static constexpr size_t kRingBytes = 8u << 20;
  static constexpr uint32_t kMaxSlots = 4096;
  static constexpr uint32_t kMinSlots = 256;
  // Slots per ring block (the kernel allocates the ring in blocks of whole
  // pages; a slot never straddles two): about this many bytes per block.
  static constexpr uint32_t kBlockBytes = 1u << 17;
  // Receive buffer for whole copies of frames bigger than a slot: room for
  // about 60 64-KiB GSO frames, as the V3 ring had.
  static constexpr int kCopyQueueBytes = 4 << 20;
  static constexpr size_t kSendBatch = 64;  // frames per sendmmsg

  static Result<std::unique_ptr<AfPacketMedium>> open(std::string_view ifname);
  ~AfPacketMedium() override;
  AfPacketMedium(const AfPacketMedium&) = delete;
  AfPacketMedium& operator=(const AfPacketMedium&) = delete;

  // The ring slot for an interface of this MTU.
  static uint32_t slot_size_for(int mtu, bool vnet = false);
  // The largest TCP large segment send() takes (an IP packet: 64 KiB).
  static constexpr uint32_t kGsoMax = 65535;
  // True if the socket has PACKET_VNET_HDR (checksum offload and GSO/GRO).
  bool vnet() const { return vnet_; }

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
  Status set_promiscuous(bool on) override { return members_.set_promiscuous(on); }
  Status add_multi(const Mac& m) override { return members_.add_multi(m); }
  Status rem_multi(const Mac& m) override { return members_.rem_multi(m); }
  void close() override;

  const std::string& ifname() const { return ifname_; }
  uint32_t slot_size() const { return slot_size_; }
  uint32_t ring_slots() const { return slots_; }
  // Frames the kernel dropped because the ring was full (also in in_errors).
  uint64_t ring_drops() const { return ring_drops_; }

 private:
  AfPacketMedium() = default;
  Status setup(std::string_view ifname);
  Status map_ring();
  uint8_t* slot(uint32_t i) const;
  // Copies the frame of one ring slot (or its whole copy from the socket)
  // into a block; null if it is to be skipped.
  BlockPtr take_frame(const uint8_t* slot, uint32_t status, Pool& pool);
  // Reads the next whole frame the kernel queued for a TP_STATUS_COPY slot;
  // false (the frame is gone) unless it is len bytes.
  // With PACKET_VNET_HDR, the frame's virtio-net header goes to *vh (or is
  // dropped if vh is null).
  bool read_copy(uint8_t* to, uint32_t len, VnetHdr* vh);
  // Adds the drops PACKET_STATISTICS reports (and resets) to the counters.
  void count_ring_drops();
  // Reads the socket's pending error (clearing it).
  void check_socket();

  int fd_ = -1;
  int ifindex_ = 0;
  int kernel_mtu_ = 1500;
  std::string ifname_;
  Mac mac_;
  PacketMemberships members_;
  uint8_t* ring_ = nullptr;
  size_t ring_size_ = 0;
  uint32_t slot_size_ = 0;
  uint32_t slots_ = 0;
  uint32_t slots_per_block_ = 0;
  uint32_t block_size_ = 0;
  uint32_t cur_ = 0;  // the next slot to look at, in ring order
  uint64_t ring_drops_ = 0;
  bool vnet_ = false;
};

}  // namespace ninet
