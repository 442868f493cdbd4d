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
#include "media/linux/netif.h"
#include "media/linux/report.h"
#include "media/linux/vnet.h"
#include "wire/ether.h"

namespace ninet {

namespace {

constexpr uint32_t kMinFrame = wire::EtherRepr::kMinFrame;
constexpr uint32_t kVlanLen = 4;  // an 802.1Q tag
const uint8_t kZeros[64] = {};

// Errors that say the device takes nothing right now: drop the rest of the
// chunk rather than try each frame.
bool device_refuses(int e) {
  return e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS || e == ENETDOWN || e == ENXIO ||
         e == ENODEV;
}

const tpacket2_hdr* hdr(const uint8_t* slot) {
  return reinterpret_cast<const tpacket2_hdr*>(slot);
}

uint32_t* status_word(uint8_t* slot) {
  return &reinterpret_cast<tpacket2_hdr*>(slot)->tp_status;
}

}  // namespace

uint32_t AfPacketMedium::slot_size_for(int mtu, bool vnet) {
  // tpacket_rcv() in net/packet/af_packet.c puts the network header at
  // TPACKET_ALIGN(TPACKET2_HDRLEN + 16) (16: room for a MAC header), the
  // MAC header just before it, and a virtio-net header before that if the
  // socket has PACKET_VNET_HDR. Leave room for a whole Ethernet header
  // after that, a VLAN tag the device left in the frame, and the MTU.
  uint32_t need = TPACKET_ALIGN(TPACKET2_HDRLEN + 16) + (vnet ? sizeof(VnetHdr) : 0) + ETH_HLEN +
                  kVlanLen + uint32_t(mtu);
  return std::max<uint32_t>(kMinSlotSize, TPACKET_ALIGN(need));
}

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
  members_.attach(fd_, ifindex_, ifname_);
  int v = TPACKET_V2;
  if (setsockopt(fd_, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0) return fail("TPACKET_V2");
  // A virtio-net header in front of every frame, both ways: checksums left
  // for "hardware" and GSO/GRO'd TCP frames, as the kernel's own stack has
  // them (vnet.h). Before the ring: the kernel refuses it after.
  int on = 1;
  if (setsockopt(fd_, SOL_PACKET, PACKET_VNET_HDR, &on, sizeof on) == 0) {
    vnet_ = true;
    caps.csum_offload = true;
    caps.gso_max = kGsoMax;
  }
  // Since Linux 4.20; older kernels hand our frames back as PACKET_OUTGOING,
  // which take_frame() skips.
  int one = 1;
  (void)setsockopt(fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  // Frames bigger than a slot are queued whole on the socket as well
  // (TP_STATUS_COPY), as long as its receive buffer has room. Beyond
  // net.core.rmem_max only with CAP_NET_ADMIN; else what rmem_max allows.
  if (setsockopt(fd_, SOL_PACKET, PACKET_COPY_THRESH, &one, sizeof one) < 0)
    return fail("PACKET_COPY_THRESH");
  int rcvbuf = kCopyQueueBytes;
  if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    (void)setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  // Room for bursts of output; the kernel caps it at net.core.wmem_max.
  int sndbuf = 4 << 20;
  (void)setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  if (auto st = map_ring(); !st) return st;

  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = ifindex_;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) return fail("bind");
  return {};
}

Status AfPacketMedium::map_ring() {
  // Geometry (packet_mmap.rst): blocks of whole pages, each holding
  // slots_per_block_ slots; the slot count a whole number of blocks.
  const uint32_t page = uint32_t(sysconf(_SC_PAGESIZE));
  slot_size_ = slot_size_for(kernel_mtu_, vnet_);
  slots_per_block_ = std::max<uint32_t>(1, kBlockBytes / slot_size_);
  block_size_ = (slots_per_block_ * slot_size_ + page - 1) / page * page;
  const uint32_t want =
      std::clamp<uint32_t>(uint32_t(kRingBytes / slot_size_), kMinSlots, kMaxSlots);
  const uint32_t blocks = (want + slots_per_block_ - 1) / slots_per_block_;
  slots_ = blocks * slots_per_block_;

  tpacket_req req{};
  req.tp_block_size = block_size_;
  req.tp_block_nr = blocks;
  req.tp_frame_size = slot_size_;
  req.tp_frame_nr = slots_;
  if (setsockopt(fd_, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0)
    return Error(Err::NoDevice, ifname_ + ": PACKET_RX_RING: " + std::strerror(errno));
  ring_size_ = size_t(block_size_) * blocks;
  // Locked pages if the limits allow (no page faults on the receive path).
  void* p = mmap(nullptr, ring_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd_, 0);
  if (p == MAP_FAILED) p = mmap(nullptr, ring_size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (p == MAP_FAILED) return Error(Err::NoDevice, ifname_ + ": mmap: " + std::strerror(errno));
  ring_ = static_cast<uint8_t*>(p);
  cur_ = 0;
  return {};
}

AfPacketMedium::~AfPacketMedium() {
  close();
}

void AfPacketMedium::close() {
  if (fd_ >= 0) {
    count_ring_drops();
    media_report(ifname_, "afpacket", stats_);
  }
  if (ring_) munmap(ring_, ring_size_);
  ring_ = nullptr;
  members_.detach();
  if (fd_ >= 0) ::close(fd_);  // also drops our promiscuous and multicast memberships
  fd_ = -1;
  cur_ = 0;
}

uint8_t* AfPacketMedium::slot(uint32_t i) const {
  return ring_ + size_t(i / slots_per_block_) * block_size_ +
         size_t(i % slots_per_block_) * slot_size_;
}

void AfPacketMedium::check_socket() {
  // A pending error (ENETDOWN when the link goes down) makes poll() report
  // POLLERR until something reads it; with a ring nothing else does.
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0) stats_.in_errors++;
}

void AfPacketMedium::count_ring_drops() {
  // Reading the statistics resets them: what was dropped since last time.
  tpacket_stats st{};
  socklen_t len = sizeof st;
  if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0 && st.tp_drops) {
    ring_drops_ += st.tp_drops;
    stats_.in_ring_drops += st.tp_drops;
    stats_.in_errors += st.tp_drops;
  }
}

bool AfPacketMedium::read_copy(uint8_t* to, uint32_t len, VnetHdr* vh) {
  // One recvmsg() takes one queued frame, whatever its length (MSG_TRUNC:
  // the real one), so a wrong length cannot put the queue out of step. With
  // PACKET_VNET_HDR the kernel puts the virtio-net header in front.
  VnetHdr scratch;
  iovec iov[2] = {{vh ? vh : &scratch, sizeof scratch}, {to, len}};
  msghdr m{};
  m.msg_iov = vnet_ ? iov : iov + 1;
  m.msg_iovlen = vnet_ ? 2 : 1;
  const size_t want = len + (vnet_ ? sizeof scratch : 0);
  ssize_t r;
  do {
    r = ::recvmsg(fd_, &m, MSG_DONTWAIT | MSG_TRUNC);
  } while (r < 0 && errno == EINTR);
  return r == ssize_t(want);
}

BlockPtr AfPacketMedium::take_frame(const uint8_t* s, uint32_t status, Pool& pool) {
  const tpacket2_hdr* h = hdr(s);
  const bool copied = status & TP_STATUS_COPY;
  auto* sll = reinterpret_cast<const sockaddr_ll*>(s + TPACKET_ALIGN(sizeof(tpacket2_hdr)));
  if (sll->sll_pkttype == PACKET_OUTGOING) {  // our own, on kernels < 4.20
    if (copied) (void)read_copy(nullptr, 0, nullptr);
    return nullptr;
  }
  const uint32_t len = h->tp_len;
  if ((!copied && h->tp_snaplen < len) || len < wire::EtherRepr::kLen) {
    stats_.in_errors++;  // bigger than a slot and no whole copy, or a runt
    stats_.in_truncated++;
    if (copied) (void)read_copy(nullptr, 0, nullptr);
    return nullptr;
  }
  // The device took the 802.1Q tag off into metadata: put it back where it
  // was, so the frame is what was on the wire.
  const bool vlan = status & TP_STATUS_VLAN_VALID;
  const uint32_t total = len + (vlan ? kVlanLen : 0);
  BlockPtr b = pool.alloc(total);  // a heap block if it is a jumbo or GSO frame
  uint8_t* d = b->put(total);
  uint8_t* frame = d + (vlan ? kVlanLen : 0);
  VnetHdr vh;
  if (!copied) {
    std::memcpy(frame, s + h->tp_mac, len);
    if (vnet_) std::memcpy(&vh, s + h->tp_mac - sizeof vh, sizeof vh);
  } else if (!read_copy(frame, len, &vh)) {
    stats_.in_errors++;
    return nullptr;
  }
  if (vlan) {
    std::memmove(d, frame, 12);  // the addresses, then the tag
    store16(d + 12, (status & TP_STATUS_VLAN_TPID_VALID) ? h->tp_vlan_tpid : 0x8100);
    store16(d + 14, uint16_t(h->tp_vlan_tci));
  }
  if (vnet_) {
    if (!vnet_receive(vh, *b)) {
      stats_.in_errors++;  // a GSO type the stack does not take (UDP GSO, ...)
      return nullptr;
    }
  } else if (status & TP_STATUS_CSUMNOTREADY) {
    b->flags |= Block::kCsumPartial;  // see Block: not checked, finished if forwarded
  }
  if (status & TP_STATUS_CSUM_VALID) b->flags |= Block::kCsumValid;
  stats_.in_packets++;
  stats_.in_bytes += total;
  return b;
}

size_t AfPacketMedium::recv(Batch& out, Pool& pool, size_t max) {
  size_t n = 0;
  bool full = false;
  while (n < max && ring_) {
    uint8_t* s = slot(cur_);
    const uint32_t status = __atomic_load_n(status_word(s), __ATOMIC_ACQUIRE);
    if (!(status & TP_STATUS_USER)) break;  // the kernel has not filled it yet
    // The slot before this one is the one given back last: if the kernel has
    // filled it too, it went all the way round, and frames that came while
    // the ring was full were dropped. (The kernel also flags later slots
    // TP_STATUS_LOSING, but only once another frame comes.)
    const uint32_t prev = cur_ == 0 ? slots_ - 1 : cur_ - 1;
    if (__atomic_load_n(status_word(slot(prev)), __ATOMIC_ACQUIRE) & TP_STATUS_USER) full = true;
    BlockPtr b = take_frame(s, status, pool);
    // Give the slot back only after the frame was copied out of it.
    __atomic_store_n(status_word(s), uint32_t(TP_STATUS_KERNEL), __ATOMIC_RELEASE);
    cur_ = cur_ + 1 == slots_ ? 0 : cur_ + 1;
    if (b) {
      out.push_back(std::move(b));
      n++;
    }
  }
  if (full) count_ring_drops();
  if (fd_ >= 0 && n == 0) check_socket();
  return n;
}

void AfPacketMedium::send(Batch& batch) {
  mmsghdr msgs[kSendBatch];
  iovec iovs[kSendBatch][3];
  VnetHdr vhs[kSendBatch];
  uint32_t lens[kSendBatch];
  size_t i = 0;
  while (i < batch.size()) {
    size_t k = 0;
    for (; i < batch.size() && k < kSendBatch; i++) {
      Block* b = batch[i].get();
      if (!b) continue;
      uint32_t pad = b->size() < kMinFrame ? kMinFrame - b->size() : 0;
      vhs[k] = vnet_send(*b, wire::EtherRepr::kLen);
      iovs[k][0] = {&vhs[k], sizeof vhs[k]};
      iovs[k][1] = {b->data(), b->size()};
      iovs[k][2] = {const_cast<uint8_t*>(kZeros), pad};
      msgs[k] = {};
      msgs[k].msg_hdr.msg_iov = vnet_ ? iovs[k] : iovs[k] + 1;
      msgs[k].msg_hdr.msg_iovlen = (vnet_ ? 2 : 1) + (pad ? 1 : 0);
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
          stats_.out_refused += k - done;
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

}  // namespace ninet
