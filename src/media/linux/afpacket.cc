#include "media/linux/afpacket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "base/endian.h"
#include "media/linux/l4csum.h"
#include "media/linux/netif.h"
#include "wire/ether.h"

namespace ninet {

namespace {

// tpacket_req3 wants a frame size too, although V3 packs variable-size
// frames into its blocks; any aligned value that divides the block will do.
constexpr uint32_t kFrameSize = 2048;
constexpr uint32_t kMinFrame = wire::EtherRepr::kMinFrame;
const uint8_t kZeros[64] = {};

tpacket_block_desc* block_at(uint8_t* ring, uint32_t i) {
  return reinterpret_cast<tpacket_block_desc*>(ring + size_t(i) * AfPacketMedium::kRingBlockSize);
}

// Errors that say the device takes nothing right now: drop the rest of the
// chunk rather than try each frame.
bool device_refuses(int e) {
  return e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS || e == ENETDOWN || e == ENXIO ||
         e == ENODEV;
}

}  // namespace

Result<std::unique_ptr<AfPacketMedium>> AfPacketMedium::open(std::string_view ifname) {
  std::unique_ptr<AfPacketMedium> m(new AfPacketMedium);
  if (auto st = m->setup(ifname); !st) return st.error();  // ~AfPacketMedium cleans up
  return m;
}

Status AfPacketMedium::setup(std::string_view name) {
  ifname_ = std::string(name);
  if (!netif_name_ok(name)) return Error(Err::NoDevice, ifname_ + ": bad interface name");
  ifindex_ = netif_index(name);
  if (ifindex_ == 0) return Error(Err::NoDevice, ifname_ + ": no such interface");
  auto hw = netif_hwaddr(name);
  if (!hw) return hw.error();
  if (hw->arptype != ARPHRD_ETHER)
    return Error(Err::NoDevice, ifname_ + ": not an Ethernet interface");
  mac_ = hw->mac;
  if (auto mtu = netif_mtu(name); mtu.ok() && *mtu >= 68) kernel_mtu_ = *mtu;

  auto fail = [&](const char* what) {
    return Error(Err::NoDevice, ifname_ + ": " + what + ": " + std::strerror(errno));
  };
  // Protocol 0: the socket sees nothing until bind() below, so no frame of
  // another interface slips into the ring while it is being set up.
  fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    if (errno == EPERM || errno == EACCES)
      return Error(Err::NoDevice, ifname_ + ": permission denied (AF_PACKET needs CAP_NET_RAW)");
    return fail("socket");
  }
  int v = TPACKET_V3;
  if (setsockopt(fd_, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0) return fail("TPACKET_V3");
  // Since Linux 4.20; older kernels hand our frames back as PACKET_OUTGOING,
  // which take_frame() skips.
  int one = 1;
  (void)setsockopt(fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  // Room for bursts of output; the kernel caps it at net.core.wmem_max.
  int sndbuf = 4 << 20;
  (void)setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

  tpacket_req3 req{};
  req.tp_block_size = kRingBlockSize;
  req.tp_block_nr = kRingBlocks;
  req.tp_frame_size = kFrameSize;
  req.tp_frame_nr = kRingBlockSize / kFrameSize * kRingBlocks;
  req.tp_retire_blk_tov = kRetireMs;
  if (setsockopt(fd_, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0)
    return fail("PACKET_RX_RING");
  ring_size_ = size_t(kRingBlockSize) * kRingBlocks;
  // Locked pages if the limits allow (no page faults on the receive path).
  void* p = mmap(nullptr, ring_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd_, 0);
  if (p == MAP_FAILED) p = mmap(nullptr, ring_size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (p == MAP_FAILED) return fail("mmap");
  ring_ = static_cast<uint8_t*>(p);

  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = ifindex_;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) return fail("bind");
  return {};
}

AfPacketMedium::~AfPacketMedium() {
  close();
}

void AfPacketMedium::close() {
  if (ring_) munmap(ring_, ring_size_);
  ring_ = nullptr;
  if (fd_ >= 0) ::close(fd_);  // also drops our promiscuous and multicast memberships
  fd_ = -1;
  pkts_left_ = 0;
  next_pkt_ = nullptr;
}

void AfPacketMedium::release_block() {
  __atomic_store_n(&block_at(ring_, cur_block_)->hdr.bh1.block_status, TP_STATUS_KERNEL,
                   __ATOMIC_RELEASE);
  cur_block_ = (cur_block_ + 1) % kRingBlocks;
  pkts_left_ = 0;
  next_pkt_ = nullptr;
}

void AfPacketMedium::check_socket() {
  // A pending error (ENETDOWN when the link goes down) makes poll() report
  // POLLERR until something reads it; with a ring nothing else does.
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0) stats_.in_errors++;
}

BlockPtr AfPacketMedium::take_frame(const uint8_t* p, Pool& pool) {
  auto* h = reinterpret_cast<const tpacket3_hdr*>(p);
  auto* sll = reinterpret_cast<const sockaddr_ll*>(p + TPACKET_ALIGN(sizeof(tpacket3_hdr)));
  if (sll->sll_pkttype == PACKET_OUTGOING) return nullptr;  // our own, on kernels < 4.20
  const uint32_t snap = h->tp_snaplen;
  if (snap < h->tp_len || snap < wire::EtherRepr::kLen) {
    stats_.in_errors++;  // truncated: bigger than a ring block
    return nullptr;
  }
  const uint8_t* f = p + h->tp_mac;
  // The device took the 802.1Q tag off into metadata: put it back where it
  // was, so the frame is what was on the wire.
  const bool vlan = h->tp_status & TP_STATUS_VLAN_VALID;
  const uint32_t total = snap + (vlan ? 4 : 0);
  BlockPtr b = pool.alloc(total);  // a heap block if it is a jumbo or GSO frame
  uint8_t* d = b->put(total);
  if (vlan) {
    std::memcpy(d, f, 12);
    store16(d + 12, (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ? h->hv1.tp_vlan_tpid : 0x8100);
    store16(d + 14, uint16_t(h->hv1.tp_vlan_tci));
    std::memcpy(d + 16, f + 12, snap - 12);
  } else {
    std::memcpy(d, f, snap);
  }
  if (h->tp_status & TP_STATUS_CSUMNOTREADY) (void)complete_l4_checksum(b->span());
  stats_.in_packets++;
  stats_.in_bytes += total;
  return b;
}

size_t AfPacketMedium::recv(Batch& out, Pool& pool, size_t max) {
  size_t n = 0;
  bool released = false;
  while (n < max && ring_) {
    if (pkts_left_ == 0) {
      tpacket_block_desc* bd = block_at(ring_, cur_block_);
      if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) break;
      pkts_left_ = bd->hdr.bh1.num_pkts;
      next_pkt_ = reinterpret_cast<const uint8_t*>(bd) + bd->hdr.bh1.offset_to_first_pkt;
      if (pkts_left_ == 0) {
        release_block();
        released = true;
        continue;
      }
    }
    const uint8_t* p = next_pkt_;
    BlockPtr b = take_frame(p, pool);
    next_pkt_ = p + reinterpret_cast<const tpacket3_hdr*>(p)->tp_next_offset;
    if (--pkts_left_ == 0) {
      release_block();
      released = true;
    }
    if (b) {
      out.push_back(std::move(b));
      n++;
    }
  }
  if (fd_ >= 0 && n == 0) check_socket();
  if (fd_ >= 0 && released) {
    // Reading the statistics resets them: what was dropped since last time.
    tpacket_stats_v3 st{};
    socklen_t len = sizeof st;
    if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0 && st.tp_drops) {
      ring_drops_ += st.tp_drops;
      stats_.in_errors += st.tp_drops;
    }
  }
  return n;
}

void AfPacketMedium::send(Batch& batch) {
  mmsghdr msgs[kSendBatch];
  iovec iovs[kSendBatch][2];
  uint32_t lens[kSendBatch];
  size_t i = 0;
  while (i < batch.size()) {
    size_t k = 0;
    for (; i < batch.size() && k < kSendBatch; i++) {
      Block* b = batch[i].get();
      if (!b) continue;
      uint32_t pad = b->size() < kMinFrame ? kMinFrame - b->size() : 0;
      iovs[k][0] = {b->data(), b->size()};
      iovs[k][1] = {const_cast<uint8_t*>(kZeros), pad};
      msgs[k] = {};
      msgs[k].msg_hdr.msg_iov = iovs[k];
      msgs[k].msg_hdr.msg_iovlen = pad ? 2 : 1;
      lens[k] = b->size() + pad;
      k++;
    }
    size_t done = 0;
    while (done < k) {
      if (fd_ < 0) {
        stats_.out_errors += k - done;
        break;
      }
      int r = sendmmsg(fd_, msgs + done, unsigned(k - done), MSG_DONTWAIT);
      if (r < 0) {
        if (errno == EINTR) continue;
        if (device_refuses(errno)) {
          // Full queue or link down: drop the rest, as a full ring would.
          stats_.out_errors += k - done;
          break;
        }
        stats_.out_errors++;  // this frame (EMSGSIZE: over the MTU); go on
        done++;
        continue;
      }
      for (int j = 0; j < r; j++)
        stats_.out_bytes += lens[done + size_t(j)];
      stats_.out_packets += unsigned(r);
      done += unsigned(r);
    }
  }
  batch.clear();
}

Status AfPacketMedium::membership(int type, const Mac* m, bool add) {
  if (fd_ < 0) return Error(Err::Io, ifname_ + ": closed");
  packet_mreq mr{};
  mr.mr_ifindex = ifindex_;
  mr.mr_type = uint16_t(type);
  if (m) {
    mr.mr_alen = Mac::kLen;
    std::memcpy(mr.mr_address, m->data(), Mac::kLen);
  }
  if (setsockopt(fd_, SOL_PACKET, add ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP, &mr,
                 sizeof mr) < 0)
    return Error(Err::Io, ifname_ + ": packet membership: " + std::strerror(errno));
  return {};
}

Status AfPacketMedium::set_promiscuous(bool on) {
  if (on == promiscuous_) return {};
  auto st = membership(PACKET_MR_PROMISC, nullptr, on);
  if (st) promiscuous_ = on;
  return st;
}

Status AfPacketMedium::add_multi(const Mac& m) {
  if (!m.is_multicast()) return Error(Err::BadArg, "not a multicast address: " + m.str());
  return membership(PACKET_MR_MULTICAST, &m, true);
}

Status AfPacketMedium::rem_multi(const Mac& m) {
  if (!m.is_multicast()) return Error(Err::BadArg, "not a multicast address: " + m.str());
  return membership(PACKET_MR_MULTICAST, &m, false);
}

}  // namespace ninet
