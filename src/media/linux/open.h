// open.h — the Linux media by the words of `bind` (ip(3)):
//   bind ether NAME        an existing Ethernet interface, through AF_XDP
//                          (afxdp.h) where native XDP attaches, else through
//                          AF_PACKET (afpacket.h); a line on stderr says
//                          which; "/net/ether0" style paths name their last
//                          element
//   bind ether afpacket:NAME   AF_PACKET only
//   bind ether xdp:NAME    AF_XDP only (native, else generic XDP), no fallback
//   bind ether tap:NAME    a TAP device NAME, attached if it exists, created
//                          otherwise; "tap:" lets the kernel name it (tap.h)
//   bind netdev NAME       a TUN device NAME, likewise (tun.h); "" or
//                          "/dev/net/tun" lets the kernel name it
// A missing device, one of the wrong kind, or missing privileges fail with
// Err::NoDevice and a detail that starts with the name ("veth9: no such
// interface").
//
//   auto m = open_linux_medium("ether", "veth1");
#pragma once

#include <memory>
#include <string_view>

#include "media/medium.h"

namespace ninet {

Result<std::unique_ptr<Medium>> open_linux_medium(std::string_view kind, std::string_view path);

}  // namespace ninet
