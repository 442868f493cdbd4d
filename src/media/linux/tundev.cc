#include "media/linux/tundev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>

#include "media/linux/netif.h"
#include "media/linux/vnet.h"

namespace ninet {

namespace {
constexpr size_t kSpare = 65536;  // a TUN/TAP packet is at most 64 KiB
const uint8_t kZeros[64] = {};
}  // namespace

Result<TunDevice::Opened> TunDevice::open_device(std::string_view name, bool tap) {
  const char* kind = tap ? "TAP" : "TUN";
  std::string shown = name.empty() ? std::string(tap ? "tap" : "tun") : std::string(name);
  if (!name.empty() && !netif_name_ok(name))
    return Error(Err::NoDevice, shown + ": bad interface name");
  const bool existed = !name.empty() && netif_index(name) != 0;

  Opened o;
  o.fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (o.fd < 0) return Error(Err::NoDevice, shown + ": /dev/net/tun: " + std::strerror(errno));
  ifreq ifr{};
  // A virtio-net header with every packet (vnet.h): checksum offload and
  // 64 KiB TCP segments both ways, as the kernel's own stack has them.
  ifr.ifr_flags = short((tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI | IFF_VNET_HDR);
  if (!name.empty()) std::memcpy(ifr.ifr_name, name.data(), name.size());
  if (ioctl(o.fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    ::close(o.fd);
    switch (e) {
      case EPERM:
      case EACCES:
        return Error(Err::NoDevice,
                     shown + ": permission denied (creating a " + kind +
                         " device needs CAP_NET_ADMIN; attaching needs its owner or group)");
      case EBUSY:
        return Error(Err::NoDevice, shown + ": busy (attached by another process)");
      case EINVAL:
        if (existed)
          return Error(Err::NoDevice, shown + ": exists and is not a " + kind + " device");
        [[fallthrough]];
      default:
        return Error(Err::NoDevice, errno_detail(shown, e));
    }
  }
  o.ifname.assign(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
  // What we take from the kernel: partial checksums and TCP GSO frames.
  // Without it the kernel finishes and segments them itself.
  o.offload = ioctl(o.fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) == 0;
  o.created = !existed;
  // A device we made is ours to bring up; without IFF_UP the kernel neither
  // sends to it nor accepts writes (EIO).
  if (o.created) (void)netif_set_up(o.ifname);
  if (auto mtu = netif_mtu(o.ifname); mtu.ok() && *mtu > 0) o.mtu = *mtu;
  return o;
}

TunDevice::TunDevice(Opened o, uint32_t min_frame)
    : fd_(o.fd),
      ifname_(std::move(o.ifname)),
      created_(o.created),
      kernel_mtu_(o.mtu),
      min_frame_(min_frame),
      link_len_(min_frame ? 14 : 0),
      spare_(new uint8_t[kSpare]) {
  // Sent large segments and partial checksums need only the header; the
  // kernel takes them whatever TUNSETOFFLOAD said.
  caps.csum_offload = true;
  caps.gso_max = kGsoMax;
}

TunDevice::~TunDevice() {
  close();
}

void TunDevice::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void TunDevice::lost() {
  stats_.in_errors++;
  close();
}

size_t TunDevice::recv(Batch& out, Pool& pool, size_t max) {
  size_t n = 0;
  while (n < max && fd_ >= 0) {
    BlockPtr b = pool.alloc();
    VnetHdr vh;
    iovec iov[3] = {{&vh, sizeof vh}, {b->data(), b->tailroom()}, {spare_.get(), kSpare}};
    ssize_t r = ::readv(fd_, iov, 3);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EBADFD)
        lost();
      else if (errno != EAGAIN && errno != EWOULDBLOCK)
        stats_.in_errors++;
      break;
    }
    if (r == 0) break;
    if (size_t(r) < sizeof vh) {
      stats_.in_errors++;
      continue;
    }
    size_t len = size_t(r) - sizeof vh;
    if (len > b->tailroom()) {
      // Longer than a pooled block holds: move it into a heap block.
      BlockPtr big = pool.alloc(uint32_t(len));
      size_t head = b->tailroom();
      big->append(b->data(), uint32_t(head));
      big->append(spare_.get(), uint32_t(len - head));
      b = std::move(big);
    } else {
      b->put(uint32_t(len));
    }
    if (!vnet_receive(vh, *b)) {
      stats_.in_errors++;  // a GSO type the stack does not take
      continue;
    }
    stats_.in_packets++;
    stats_.in_bytes += len;
    out.push_back(std::move(b));
    n++;
  }
  return n;
}

void TunDevice::send(Batch& batch) {
  for (BlockPtr& b : batch) {
    if (!b) continue;
    if (fd_ < 0) {
      stats_.out_errors++;
      continue;
    }
    uint32_t pad = b->size() < min_frame_ ? min_frame_ - b->size() : 0;
    VnetHdr vh = vnet_send(*b, link_len_);
    iovec iov[3] = {{&vh, sizeof vh}, {b->data(), b->size()}, {const_cast<uint8_t*>(kZeros), pad}};
    ssize_t r;
    do {
      r = ::writev(fd_, iov, pad ? 3 : 2);
    } while (r < 0 && errno == EINTR);
    if (r != ssize_t(sizeof vh + b->size() + pad)) {
      // EIO: the device is down; EINVAL: malformed for the kernel; EBADFD: gone.
      stats_.out_errors++;
      if (r < 0 && errno == EBADFD) lost();
      continue;
    }
    stats_.out_packets++;
    stats_.out_bytes += b->size() + pad;
  }
  batch.clear();
}

}  // namespace ninet
