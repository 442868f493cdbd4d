#include "media/linux/netif.h"

#include <errno.h>
#include <linux/if_packet.h>
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

void PacketMemberships::attach(int fd, int ifindex, std::string_view ifname) {
  fd_ = fd;
  ifindex_ = ifindex;
  ifname_ = std::string(ifname);
  promiscuous_ = false;
}

void PacketMemberships::detach() {
  fd_ = -1;
  promiscuous_ = false;  // the socket's close drops what it held
}

Status PacketMemberships::change(int type, const Mac* m, bool add) {
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

Status PacketMemberships::set_promiscuous(bool on) {
  if (on == promiscuous_) return {};
  auto st = change(PACKET_MR_PROMISC, nullptr, on);
  if (st) promiscuous_ = on;
  return st;
}

Status PacketMemberships::add_multi(const Mac& m) {
  if (!m.is_multicast()) return Error(Err::BadArg, "not a multicast address: " + m.str());
  return change(PACKET_MR_MULTICAST, &m, true);
}

Status PacketMemberships::rem_multi(const Mac& m) {
  if (!m.is_multicast()) return Error(Err::BadArg, "not a multicast address: " + m.str());
  return change(PACKET_MR_MULTICAST, &m, false);
}

}  // namespace ninet
