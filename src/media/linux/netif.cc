#include "media/linux/netif.h"

#include <errno.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace ninet {

namespace {

// Runs one SIOC*IF* ioctl on NAME; returns 0 or an errno.
int ifreq_ioctl(std::string_view name, unsigned long req, ifreq* ifr) {
  if (!netif_name_ok(name)) return ENODEV;
  std::memset(ifr, 0, sizeof *ifr);
  std::memcpy(ifr->ifr_name, name.data(), name.size());
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  int r = ioctl(s, req, ifr);
  int e = r < 0 ? errno : 0;
  ::close(s);
  return e;
}

}  // namespace

bool netif_name_ok(std::string_view name) {
  if (name.empty() || name.size() >= IFNAMSIZ) return false;
  for (char c : name)
    if (c == '/' || c == ':' || c <= ' ' || c == 0x7f) return false;
  return true;
}

std::string errno_detail(std::string_view name, int err) {
  std::string s(name);
  s += ": ";
  s += std::strerror(err);
  return s;
}

int netif_index(std::string_view name) {
  if (!netif_name_ok(name)) return 0;
  return int(if_nametoindex(std::string(name).c_str()));
}

Result<int> netif_mtu(std::string_view name) {
  ifreq ifr;
  if (int e = ifreq_ioctl(name, SIOCGIFMTU, &ifr))
    return Error(Err::NoDevice, errno_detail(name, e));
  return ifr.ifr_mtu;
}

Result<NetifHwaddr> netif_hwaddr(std::string_view name) {
  ifreq ifr;
  if (int e = ifreq_ioctl(name, SIOCGIFHWADDR, &ifr))
    return Error(Err::NoDevice, errno_detail(name, e));
  NetifHwaddr h;
  h.arptype = ifr.ifr_hwaddr.sa_family;
  h.mac = Mac(reinterpret_cast<const uint8_t*>(ifr.ifr_hwaddr.sa_data));
  return h;
}

Status netif_set_up(std::string_view name) {
  if (!netif_name_ok(name)) return Error(Err::NoDevice, std::string(name));
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return Error(Err::NoDevice, errno_detail(name, errno));
  int e = 0;
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
    e = errno;
  } else if (!(ifr.ifr_flags & IFF_UP)) {
    ifr.ifr_flags = short(ifr.ifr_flags | IFF_UP);
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) e = errno;
  }
  ::close(s);
  if (e) return Error(Err::NoDevice, errno_detail(name, e));
  return {};
}

}  // namespace ninet
