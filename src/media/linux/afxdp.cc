#include "media/linux/afxdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/if_xdp.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "media/linux/l4csum.h"
#include "media/linux/netif.h"
#include "media/linux/report.h"
#include "wire/ether.h"

#ifdef NINET_HAVE_XDP
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>
#endif

namespace ninet {

#ifdef NINET_HAVE_XDP

struct AfXdpRings {
  xsk_umem* umem = nullptr;
  xsk_socket* xsk = nullptr;
  xsk_ring_prod fill{};
  xsk_ring_cons comp{};
  xsk_ring_cons rx{};
  xsk_ring_prod tx{};
};

namespace {

constexpr uint32_t kMinFrame = wire::EtherRepr::kMinFrame;

// libxdp and libbpf print their warnings on stderr by default; the medium
// reports its own errors (the reason is in the Error text).
int quiet_xdp(libxdp_print_level, const char*, va_list) {
  return 0;
}
int quiet_bpf(libbpf_print_level, const char*, va_list) {
  return 0;
}

// Receive queues (channels) of the interface; 1 if the driver does not say.
int rx_queues(int fd, const std::string& ifname) {
  ethtool_channels ch{};
  ch.cmd = ETHTOOL_GCHANNELS;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  ifr.ifr_data = reinterpret_cast<char*>(&ch);
  if (ioctl(fd, SIOCETHTOOL, &ifr) < 0) return 1;
  return int(std::max(1u, ch.rx_count + ch.combined_count));
}

// The interface's driver ("veth", "mlx5_core", ...), or "".
std::string driver(int fd, const std::string& ifname) {
  ethtool_drvinfo info{};
  info.cmd = ETHTOOL_GDRVINFO;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  ifr.ifr_data = reinterpret_cast<char*>(&info);
  if (ioctl(fd, SIOCETHTOOL, &ifr) < 0) return "";
  return std::string(info.driver, strnlen(info.driver, sizeof info.driver));
}

}  // namespace

AfXdpMedium::AfXdpMedium() : r_(std::make_unique<AfXdpRings>()) {}

Result<std::unique_ptr<AfXdpMedium>> AfXdpMedium::open(std::string_view ifname, Attach how) {
  std::unique_ptr<AfXdpMedium> m(new AfXdpMedium);
  if (auto st = m->setup(ifname, how); !st) return st.error();
  return m;
}

Status AfXdpMedium::setup(std::string_view name, Attach how) {
  libxdp_set_print(quiet_xdp);
  libbpf_set_print(quiet_bpf);
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
  if (kernel_mtu_ + 14 > kMaxFrame)
    return Error(Err::NoDevice, ifname_ + ": MTU " + std::to_string(kernel_mtu_) +
                                    " is more than an AF_XDP frame holds");

  ctl_fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (ctl_fd_ < 0)
    return Error(Err::NoDevice, ifname_ + ": AF_PACKET socket: " + std::strerror(errno));
  members_.attach(ctl_fd_, ifindex_, ifname_);
  if (int q = rx_queues(ctl_fd_, ifname_); q > 1)
    return Error(Err::NoDevice, ifname_ + ": " + std::to_string(q) +
                                    " receive queues; the AF_XDP medium reads queue 0 only");

  // Frames from a veth peer may carry checksums Linux left for the
  // "hardware" (CHECKSUM_PARTIAL); XDP does not say which (AF_PACKET does).
  local_peer_ = driver(ctl_fd_, ifname_) == "veth";

  umem_size_ = size_t(kFrames) * kFrameSize;
  void* p = mmap(nullptr, umem_size_, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) return Error(Err::NoDevice, ifname_ + ": mmap: " + std::strerror(errno));
  umem_area_ = static_cast<uint8_t*>(p);
  // Best mode first; each failed try leaves nothing attached. The error
  // says why each mode failed.
  std::string why;
  auto attempt = [&](bool native, bool zero_copy) {
    Status st = try_socket(native, zero_copy);
    if (!st) why += std::string(why.empty() ? "" : "; ") + st.error().detail();
    return st.ok();
  };
  if (!attempt(true, true) && !attempt(true, false) &&
      !(how == kNativeOrSkb && attempt(false, false)))
    return Error(Err::NoDevice, ifname_ + ": AF_XDP: " + why);
  fd_ = xsk_socket__fd(r_->xsk);

  // Every receive frame goes on the fill ring; the transmit frames are free.
  uint32_t idx = 0;
  if (xsk_ring_prod__reserve(&r_->fill, kRxFrames, &idx) != kRxFrames)
    return Error(Err::NoDevice, ifname_ + ": AF_XDP fill ring");
  for (uint32_t i = 0; i < kRxFrames; i++)
    *xsk_ring_prod__fill_addr(&r_->fill, idx + i) = uint64_t(i) * kFrameSize;
  xsk_ring_prod__submit(&r_->fill, kRxFrames);
  tx_free_.reserve(kTxFrames);
  for (uint32_t i = kFrames; i > kRxFrames; i--)
    tx_free_.push_back(uint64_t(i - 1) * kFrameSize);
  return {};
}

Status AfXdpMedium::try_socket(bool native, bool zero_copy) {
  // A UMEM of its own for each try: a failed try may leave rings set on the
  // UMEM's socket, which a second bind would find busy.
  xsk_umem_config uc{};
  uc.fill_size = kRxFrames;
  uc.comp_size = kTxFrames;
  uc.frame_size = kFrameSize;
  uc.frame_headroom = 0;
  uc.flags = 0;
  if (int e = xsk_umem__create(&r_->umem, umem_area_, umem_size_, &r_->fill, &r_->comp, &uc); e) {
    r_->umem = nullptr;
    return Error(Err::NoDevice, ifname_ + ": AF_XDP UMEM: " + std::strerror(-e));
  }
  xsk_socket_config sc{};
  sc.rx_size = kRxFrames;
  sc.tx_size = kTxFrames;
  sc.libxdp_flags = 0;  // load libxdp's default program (redirect by queue)
  sc.xdp_flags = native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
  sc.bind_flags = uint16_t(XDP_USE_NEED_WAKEUP | (zero_copy ? XDP_ZEROCOPY : XDP_COPY));
  int e = xsk_socket__create(&r_->xsk, ifname_.c_str(), 0, r_->umem, &r_->rx, &r_->tx, &sc);
  // A socket closed a moment ago (a failed try, the previous medium on this
  // interface) leaves the queue busy until the kernel's deferred release
  // runs: wait for it, at most about a second.
  for (int i = 0; e == -EBUSY && i < 100; i++) {
    usleep(10000);
    e = xsk_socket__create(&r_->xsk, ifname_.c_str(), 0, r_->umem, &r_->rx, &r_->tx, &sc);
  }
  if (e) {
    r_->xsk = nullptr;
    (void)xsk_umem__delete(r_->umem);
    r_->umem = nullptr;
    return Error(Err::NoDevice, std::string(native ? "native" : "generic") +
                                    (zero_copy ? " zero-copy: " : " copy: ") + std::strerror(-e));
  }
  native_ = native;
  zero_copy_ = zero_copy;
  return {};
}

std::string AfXdpMedium::mode_text() const {
  return std::string(native_ ? "native" : "generic") + (zero_copy_ ? " zero-copy" : " copy");
}

AfXdpMedium::~AfXdpMedium() {
  close();
}

void AfXdpMedium::close() {
  if (r_->xsk) {
    read_xdp_stats();
    media_report(ifname_, "afxdp " + mode_text(), stats_);
    xsk_socket__delete(r_->xsk);  // also detaches the XDP program
    r_->xsk = nullptr;
  }
  if (r_->umem) (void)xsk_umem__delete(r_->umem);
  r_->umem = nullptr;
  if (umem_area_) munmap(umem_area_, umem_size_);
  umem_area_ = nullptr;
  members_.detach();
  if (ctl_fd_ >= 0) ::close(ctl_fd_);
  ctl_fd_ = -1;
  fd_ = -1;
}

void AfXdpMedium::read_xdp_stats() {
  xdp_statistics st{};
  socklen_t len = sizeof st;
  if (fd_ < 0 || getsockopt(fd_, SOL_XDP, XDP_STATISTICS, &st, &len) != 0) return;
  // Cumulative: count what is new since the last read.
  uint64_t drops = st.rx_dropped + st.rx_ring_full + st.rx_invalid_descs;
  if (drops > xdp_drops_seen_) {
    stats_.in_ring_drops += drops - xdp_drops_seen_;
    stats_.in_errors += drops - xdp_drops_seen_;
    xdp_drops_seen_ = drops;
  }
}

size_t AfXdpMedium::recv(Batch& out, Pool& pool, size_t max) {
  if (!r_->xsk) return 0;
  uint32_t idx = 0;
  const uint32_t n = xsk_ring_cons__peek(&r_->rx, uint32_t(std::min<size_t>(max, kRxFrames)), &idx);
  // The kernel's drop counters cost a system call: read them now and then,
  // and whenever the ring was nearly full (what is left after this batch).
  const bool nearly_full = n + xsk_cons_nb_avail(&r_->rx, kRxFrames) + 64 >= kRxFrames;
  if (++recv_calls_ % kStatsEvery == 0 || nearly_full) read_xdp_stats();
  if (n == 0) {
    if (xsk_ring_prod__needs_wakeup(&r_->fill))
      (void)recvfrom(fd_, nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
    return 0;
  }
  uint32_t fidx = 0;
  // The fill ring holds every receive frame, so there is always room.
  (void)xsk_ring_prod__reserve(&r_->fill, n, &fidx);
  size_t got = 0;
  for (uint32_t i = 0; i < n; i++) {
    const xdp_desc* d = xsk_ring_cons__rx_desc(&r_->rx, idx + i);
    const uint64_t addr = xsk_umem__add_offset_to_addr(d->addr);
    const uint8_t* data = static_cast<const uint8_t*>(xsk_umem__get_data(umem_area_, addr));
    const uint32_t len = d->len;
    if (len < wire::EtherRepr::kLen) {
      stats_.in_errors++;
      stats_.in_truncated++;
    } else {
      BlockPtr b = pool.alloc(len);
      std::memcpy(b->put(len), data, len);
      if (local_peer_ && holds_partial_checksum(b->span())) b->flags |= Block::kCsumPartial;
      stats_.in_packets++;
      stats_.in_bytes += len;
      out.push_back(std::move(b));
      got++;
    }
    *xsk_ring_prod__fill_addr(&r_->fill, fidx + i) = xsk_umem__extract_addr(d->addr);
  }
  xsk_ring_cons__release(&r_->rx, n);
  xsk_ring_prod__submit(&r_->fill, n);
  return got;
}

void AfXdpMedium::reap_completions() {
  uint32_t idx = 0;
  const uint32_t n = xsk_ring_cons__peek(&r_->comp, kTxFrames, &idx);
  for (uint32_t i = 0; i < n; i++)
    tx_free_.push_back(*xsk_ring_cons__comp_addr(&r_->comp, idx + i));
  xsk_ring_cons__release(&r_->comp, n);
}

void AfXdpMedium::kick_tx() {
  // In copy mode sendto() transmits synchronously, a bounded number of
  // frames per call (EAGAIN: more to do); in zero-copy mode it only wakes
  // the driver, which sends on its own.
  for (int tries = 0; tries < int(kTxFrames / 16); tries++) {
    if (!zero_copy_ && *r_->tx.producer == __atomic_load_n(r_->tx.consumer, __ATOMIC_ACQUIRE))
      return;  // the kernel took everything
    if (zero_copy_ && !xsk_ring_prod__needs_wakeup(&r_->tx)) return;
    if (sendto(fd_, nullptr, 0, MSG_DONTWAIT, nullptr, 0) >= 0) {
      if (zero_copy_) return;
      continue;
    }
    if (errno == EAGAIN || errno == EINTR) continue;
    if (errno == EBUSY) return;  // the device's queue is full: the frames wait in the ring
    stats_.out_refused++;        // ENETDOWN, ENXIO, ENOBUFS: counted once per kick
    stats_.out_errors++;
    return;
  }
}

void AfXdpMedium::send(Batch& batch) {
  if (!r_->xsk) {
    stats_.out_errors += batch.size();
    batch.clear();
    return;
  }
  reap_completions();
  uint32_t pending = 0;  // descriptors written, not yet submitted
  auto flush = [&] {
    xsk_ring_prod__submit(&r_->tx, pending);
    pending = 0;
    kick_tx();
    reap_completions();
  };
  for (BlockPtr& bp : batch) {
    Block* b = bp.get();
    if (!b) continue;
    if (int(b->size()) > kMaxFrame) {
      stats_.out_errors++;  // over the MTU, as EMSGSIZE
      continue;
    }
    uint32_t idx = 0;
    if (tx_free_.empty() || xsk_ring_prod__reserve(&r_->tx, 1, &idx) == 0) {
      flush();
      if (tx_free_.empty() || xsk_ring_prod__reserve(&r_->tx, 1, &idx) == 0) {
        stats_.out_errors++;  // every transmit frame is still in the kernel
        stats_.out_ring_full++;
        continue;
      }
    }
    const uint64_t addr = tx_free_.back();
    tx_free_.pop_back();
    uint8_t* d = static_cast<uint8_t*>(xsk_umem__get_data(umem_area_, addr));
    uint32_t len = b->size();
    std::memcpy(d, b->data(), len);
    if (len < kMinFrame) {
      std::memset(d + len, 0, kMinFrame - len);
      len = kMinFrame;
    }
    xdp_desc* desc = xsk_ring_prod__tx_desc(&r_->tx, idx);
    desc->addr = addr;
    desc->len = len;
    desc->options = 0;
    pending++;
    stats_.out_packets++;
    stats_.out_bytes += len;
  }
  if (pending) flush();
  batch.clear();
}

#else  // !NINET_HAVE_XDP

struct AfXdpRings {};

AfXdpMedium::AfXdpMedium() : r_(std::make_unique<AfXdpRings>()) {}
AfXdpMedium::~AfXdpMedium() = default;
Result<std::unique_ptr<AfXdpMedium>> AfXdpMedium::open(std::string_view ifname, Attach) {
  return Error(Err::NoDevice, std::string(ifname) + ": built without libxdp (AF_XDP)");
}
std::string AfXdpMedium::mode_text() const {
  return "none";
}
void AfXdpMedium::close() {}
size_t AfXdpMedium::recv(Batch&, Pool&, size_t) {
  return 0;
}
void AfXdpMedium::send(Batch& batch) {
  batch.clear();
}

#endif  // NINET_HAVE_XDP

}  // namespace ninet
