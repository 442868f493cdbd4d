// netif.h — the few facts ninet's Linux media ask the kernel about an
// interface, by name, in the calling thread's network namespace (SIOCGIF*
// ioctls on a throwaway datagram socket).
//
//   auto mtu = netif_mtu("veth0");          // 1500
//   auto hw = netif_hwaddr("veth0");        // MAC and ARPHRD_* type
//   (void)netif_set_up("tun0");
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/ipaddr.h"

namespace ninet {

struct NetifHwaddr {
  Mac mac;
  int arptype = 0;  // ARPHRD_ETHER (1), ARPHRD_NONE (0xfffe) for TUN, ...
};

// 0 if there is no interface of that name.
int netif_index(std::string_view name);
Result<int> netif_mtu(std::string_view name);
Result<NetifHwaddr> netif_hwaddr(std::string_view name);
// Sets IFF_UP (ip link set NAME up).
Status netif_set_up(std::string_view name);
// Interface names are 1 to IFNAMSIZ-1 bytes without '/' or whitespace.
bool netif_name_ok(std::string_view name);

// "NAME: <strerror(err)>" for error details.
std::string errno_detail(std::string_view name, int err);

// Promiscuous mode and link multicast addresses of one interface, held by an
// AF_PACKET socket (PACKET_ADD_MEMBERSHIP), as the AF_PACKET and AF_XDP
// media keep them: the kernel counts them per socket and drops them when it
// closes, so a crashed daemon leaves no interface promiscuous.
//
//   PacketMemberships m;
//   m.attach(fd, ifindex, "veth0");   // fd: an AF_PACKET socket
//   (void)m.add_multi(*Mac::parse("33:33:00:00:00:01"));
//   m.detach();                       // before closing fd
class PacketMemberships {
 public:
  void attach(int fd, int ifindex, std::string_view ifname);
  void detach();
  Status set_promiscuous(bool on);
  Status add_multi(const Mac& m);
  Status rem_multi(const Mac& m);

 private:
  Status change(int type, const Mac* m, bool add);
  int fd_ = -1;
  int ifindex_ = 0;
  std::string ifname_;
  bool promiscuous_ = false;
};

}  // namespace ninet
