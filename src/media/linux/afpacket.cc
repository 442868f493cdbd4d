#include "media/linux/afpacket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "wire/ether.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

namespace ninet {

namespace {
// 64 blocks of 64 KiB: 4 MiB of ring, room for ~2,800 full-size frames
// before the kernel drops; a block is handed over when full or after 1 ms.
constexpr uint32_t kBlockSize = 1 << 16;
constexpr uint32_t kBlocks = 64;
constexpr uint32_t kFrameSize = 2048;
constexpr int kBlockTimeoutMs = 1;
}  // namespace

Result<std::unique_ptr<Medium>> AfPacketMedium::open(std::string_view ifname) {
  std::string name(ifname);
  if (name.empty() || name.size() >= IFNAMSIZ) return Error(Err::NoDevice, "bad interface name");
  std::unique_ptr<AfPacketMedium> m(new AfPacketMedium);
  m->ifindex_ = int(if_nametoindex(name.c_str()));
  if (m->ifindex_ == 0) return Error(Err::NoDevice, name);
  m->fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (m->fd_ < 0) return Error(Err::NoDevice, name + ": " + std::strerror(errno));
  auto fail = [&](const char* what) {
    return Error(Err::NoDevice, name + ": " + what + ": " + std::strerror(errno));
  };
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  if (ioctl(m->fd_, SIOCGIFHWADDR, &ifr) < 0) return fail("SIOCGIFHWADDR");
  if (ifr.ifr_hwaddr.sa_family != 1 /* ARPHRD_ETHER */)
    return Error(Err::NoDevice, name + ": not an Ethernet interface");
  m->mac_ = Mac(reinterpret_cast<const uint8_t*>(ifr.ifr_hwaddr.sa_data));

  int v = TPACKET_V3;
  if (setsockopt(m->fd_, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0) return fail("TPACKET_V3");
  int one = 1;
  (void)setsockopt(m->fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  tpacket_req3 req{};
  req.tp_block_size = kBlockSize;
  req.tp_block_nr = kBlocks;
  req.tp_frame_size = kFrameSize;
  req.tp_frame_nr = kBlockSize / kFrameSize * kBlocks;
  req.tp_retire_blk_tov = kBlockTimeoutMs;
  if (setsockopt(m->fd_, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0)
    return fail("PACKET_RX_RING");
  m->ring_size_ = size_t(kBlockSize) * kBlocks;
  void* p =
      mmap(nullptr, m->ring_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, m->fd_, 0);
  if (p == MAP_FAILED)
    p = mmap(nullptr, m->ring_size_, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd_, 0);
  if (p == MAP_FAILED) return fail("mmap");
  m->ring_ = static_cast<uint8_t*>(p);
  m->block_size_ = kBlockSize;
  m->nblocks_ = kBlocks;

  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = m->ifindex_;
  if (bind(m->fd_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) return fail("bind");
  return std::unique_ptr<Medium>(std::move(m));
}

AfPacketMedium::~AfPacketMedium() {
  close();
}

void AfPacketMedium::close() {
  if (ring_) munmap(ring_, ring_size_);
  ring_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

size_t AfPacketMedium::recv(Batch& out, Pool& pool, size_t max) {
  size_t n = 0;
  while (n < max && ring_) {
    auto* bd = reinterpret_cast<tpacket_block_desc*>(ring_ + size_t(cur_block_) * block_size_);
    if (pkts_left_ == 0) {
      if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) break;
      pkts_left_ = bd->hdr.bh1.num_pkts;
      next_pkt_ = reinterpret_cast<uint8_t*>(bd) + bd->hdr.bh1.offset_to_first_pkt;
      if (pkts_left_ == 0) {
        __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        cur_block_ = (cur_block_ + 1) % nblocks_;
        continue;
      }
    }
    auto* h = reinterpret_cast<tpacket3_hdr*>(next_pkt_);
    uint32_t len = h->tp_snaplen;
    if (len <= Pool::kBufSize - Block::kHeadroom) {
      BlockPtr b = pool.copy(next_pkt_ + h->tp_mac, len);
      stats_.in_packets++;
      stats_.in_bytes += len;
      out.push_back(std::move(b));
      n++;
    } else {
      stats_.in_errors++;
    }
    next_pkt_ += h->tp_next_offset;
    if (--pkts_left_ == 0) {
      __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
      cur_block_ = (cur_block_ + 1) % nblocks_;
    }
  }
  return n;
}

void AfPacketMedium::send(Batch& batch) {
  if (fd_ < 0) {
    stats_.out_errors += batch.size();
    batch.clear();
    return;
  }
  constexpr size_t kMax = 64;
  mmsghdr msgs[kMax];
  iovec iovs[kMax];
  size_t i = 0;
  while (i < batch.size()) {
    size_t k = 0;
    for (; k < kMax && i + k < batch.size(); k++) {
      Block& b = *batch[i + k];
      if (b.size() < wire::EtherRepr::kMinFrame) {
        uint32_t pad = wire::EtherRepr::kMinFrame - b.size();
        std::memset(b.put(pad), 0, pad);
      }
      iovs[k] = {b.data(), b.size()};
      msgs[k] = {};
      msgs[k].msg_hdr.msg_iov = &iovs[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    size_t done = 0;
    while (done < k) {
      int r = sendmmsg(fd_, msgs + done, unsigned(k - done), 0);
      if (r < 0) {
        if (errno == EINTR) continue;
        // ENOBUFS/EAGAIN: the device queue is full; drop what is left, as a
        // full transmit ring would.
        stats_.out_errors += k - done;
        break;
      }
      for (int j = 0; j < r; j++)
        stats_.out_bytes += iovs[done + size_t(j)].iov_len;
      stats_.out_packets += unsigned(r);
      done += unsigned(r);
    }
    i += k;
  }
  batch.clear();
}

Status AfPacketMedium::membership(int type, const Mac* m, bool add) {
  packet_mreq mr{};
  mr.mr_ifindex = ifindex_;
  mr.mr_type = unsigned(type);
  if (m) {
    mr.mr_alen = 6;
    std::memcpy(mr.mr_address, m->data(), 6);
  }
  if (setsockopt(fd_, SOL_PACKET, add ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP, &mr,
                 sizeof mr) < 0)
    return Error(Err::Io, std::string("packet membership: ") + std::strerror(errno));
  return {};
}

Status AfPacketMedium::set_promiscuous(bool on) {
  return membership(PACKET_MR_PROMISC, nullptr, on);
}
Status AfPacketMedium::add_multi(const Mac& m) {
  return membership(PACKET_MR_MULTICAST, &m, true);
}
Status AfPacketMedium::rem_multi(const Mac& m) {
  return membership(PACKET_MR_MULTICAST, &m, false);
}

}  // namespace ninet
