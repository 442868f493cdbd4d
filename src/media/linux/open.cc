#include "media/linux/open.h"

#include "media/linux/afpacket.h"
#include "media/linux/tap.h"
#include "media/linux/tun.h"

namespace ninet {

namespace {

std::string_view last_element(std::string_view path) {
  if (auto slash = path.rfind('/'); slash != std::string_view::npos) return path.substr(slash + 1);
  return path;
}

template <typename M>
Result<std::unique_ptr<Medium>> as_medium(Result<std::unique_ptr<M>> r) {
  if (!r) return r.error();
  return std::unique_ptr<Medium>(std::move(*r));
}

}  // namespace

Result<std::unique_ptr<Medium>> open_linux_medium(std::string_view kind, std::string_view path) {
  constexpr std::string_view kTap = "tap:";
  if (kind == "netdev") {
    if (path == "/dev/net/tun") path = {};
    return as_medium(TunMedium::open(last_element(path)));
  }
  if (kind == "ether") {
    if (path.substr(0, kTap.size()) == kTap)
      return as_medium(TapMedium::open(path.substr(kTap.size())));
    if (path.empty()) return Error(Err::NoDevice, "no interface name");
    return as_medium(AfPacketMedium::open(last_element(path)));
  }
  return Error(Err::BadMedium, std::string(kind));
}

}  // namespace ninet
