#include "media/linux/tuntap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>
#include <random>

#include "wire/ether.h"

namespace ninet {

Result<std::unique_ptr<Medium>> TunTapMedium::open(std::string_view name, bool tap) {
  if (name.empty() || name.size() >= IFNAMSIZ)
    return Error(Err::NoDevice, "bad device name " + std::string(name));
  int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Error(Err::NoDevice, std::string("/dev/net/tun: ") + std::strerror(errno));
  ifreq ifr{};
  ifr.ifr_flags = short((tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI);
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    ::close(fd);
    return Error(Err::NoDevice, std::string(name) + ": " + std::strerror(e));
  }
  Mac mac;
  if (tap) {
    // Our own locally administered unicast address, distinct from the one
    // the kernel gave its side of the TAP.
    std::random_device rd;
    uint8_t m[6] = {0x02, 0x9e, uint8_t(rd()), uint8_t(rd()), uint8_t(rd()), uint8_t(rd())};
    mac = Mac(m);
  }
  return std::unique_ptr<Medium>(new TunTapMedium(fd, tap, mac));
}

TunTapMedium::~TunTapMedium() {
  close();
}

void TunTapMedium::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

size_t TunTapMedium::recv(Batch& out, Pool& pool, size_t max) {
  size_t n = 0;
  while (n < max && fd_ >= 0) {
    BlockPtr b = pool.alloc();
    ssize_t r = ::read(fd_, b->data(), b->tailroom());
    if (r < 0) {
      if (errno != EAGAIN && errno != EINTR) stats_.in_errors++;
      break;
    }
    if (r == 0) break;
    b->put(uint32_t(r));
    stats_.in_packets++;
    stats_.in_bytes += uint64_t(r);
    out.push_back(std::move(b));
    n++;
  }
  return n;
}

void TunTapMedium::send(Batch& batch) {
  for (BlockPtr& b : batch) {
    if (!b || fd_ < 0) continue;
    if (tap_ && b->size() < wire::EtherRepr::kMinFrame) {
      uint32_t pad = wire::EtherRepr::kMinFrame - b->size();
      std::memset(b->put(pad), 0, pad);
    }
    ssize_t r = ::write(fd_, b->data(), b->size());
    if (r != ssize_t(b->size())) {
      stats_.out_errors++;
      continue;
    }
    stats_.out_packets++;
    stats_.out_bytes += b->size();
  }
  batch.clear();
}

}  // namespace ninet
