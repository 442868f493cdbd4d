// open.h — the Linux media by the words of `bind`:
//   ether NAME       an existing interface, through AF_PACKET (afpacket.h)
//   ether tap:NAME   a TAP device, created if missing (tuntap.h)
//   netdev NAME      a TUN device, created if missing (tuntap.h)
#pragma once

#include <memory>
#include <string_view>

#include "media/medium.h"

namespace ninet {

Result<std::unique_ptr<Medium>> open_linux_medium(std::string_view kind, std::string_view path);

}  // namespace ninet
