#include "media/linux/open.h"

#include "media/linux/afpacket.h"
#include "media/linux/tuntap.h"

namespace ninet {

Result<std::unique_ptr<Medium>> open_linux_medium(std::string_view kind, std::string_view path) {
  // Accept Plan 9 style device paths too: "/net/ether0" names ether0.
  if (auto slash = path.rfind('/'); slash != std::string_view::npos && path.substr(0, 4) != "tap:")
    path = path.substr(slash + 1);
  if (kind == "netdev") return TunTapMedium::open(path, false);
  if (kind == "ether") {
    if (path.substr(0, 4) == "tap:") return TunTapMedium::open(path.substr(4), true);
    return AfPacketMedium::open(path);
  }
  return Error(Err::BadMedium, std::string(kind));
}

}  // namespace ninet
