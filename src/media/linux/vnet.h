// vnet.h — the virtio-net header (struct virtio_net_hdr, 10 bytes) that an
// AF_PACKET socket with PACKET_VNET_HDR and a TUN/TAP device with
// IFF_VNET_HDR put in front of every frame, both ways: how Linux hands user
// space its checksum offload and GSO/GRO (the same header virtio-net NICs
// use, include/uapi/linux/virtio_net.h).
//
//   VnetHdr h;                          // read in front of a received frame
//   if (!vnet_receive(h, *b)) drop;     // b->gso_size, kCsumPartial/kCsumValid
//   VnetHdr o = vnet_send(*b, 14);      // written in front of a frame sent
//
// Fields are little-endian (virtio 1.0; this is what Linux assumes for
// TUN/TAP and packet sockets on little-endian hosts, and TUNSETVNETLE asks
// for on big-endian ones).
#pragma once

#include <cstddef>
#include <cstdint>

#include "buf/block.h"

namespace ninet {

// struct virtio_net_hdr, laid out as <linux/virtio_net.h> has it (that
// header cannot be included from C++: it has a field named `class`).
struct VnetHdr {
  static constexpr uint8_t kNeedsCsum = 1, kDataValid = 2;  // flags
  static constexpr uint8_t kGsoNone = 0, kGsoTcp4 = 1, kGsoTcp6 = 4, kGsoUdpL4 = 5,
                           kGsoEcn = 0x80;  // gso_type
  uint8_t flags = 0;
  uint8_t gso_type = kGsoNone;
  uint16_t hdr_len = 0;  // link + IP + TCP headers of a GSO frame
  uint16_t gso_size = 0;
  uint16_t csum_start = 0;   // where the checksum's coverage starts, from the frame's start
  uint16_t csum_offset = 0;  // where the field is, from csum_start
};
static_assert(sizeof(VnetHdr) == 10);

// Takes what the kernel said of a received frame into b: a partial checksum
// (NEEDS_CSUM: kCsumPartial), a checked one (DATA_VALID: kCsumValid), a
// GRO'd TCP frame or UDP GSO datagrams (gso_size). False for a GSO type the
// stack does not take (UFO, SCTP, ...): the frame is to be dropped.
bool vnet_receive(const VnetHdr& h, Block& b);

// The header for a block about to be sent, with link_len bytes of link
// header in front of its IP packet (14 for Ethernet, 0 for TUN): NEEDS_CSUM
// for kCsumPartial, and TCPV4/TCPV6/UDP_L4 GSO for a large segment (whose checksum
// field is turned into the partial sum the kernel's GSO needs if it held a
// whole one). An all-zero header (nothing to do) for anything else.
VnetHdr vnet_send(Block& b, size_t link_len);

}  // namespace ninet
