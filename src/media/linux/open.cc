#include "media/linux/open.h"

#include <cstdio>

#include "media/linux/afpacket.h"
#include "media/linux/afxdp.h"
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

void log_mode(const AfXdpMedium& m) {
  std::fprintf(stderr, "ninet: %s: AF_XDP, %s\n", m.ifname().c_str(), m.mode_text().c_str());
}

}  // namespace

Result<std::unique_ptr<Medium>> open_linux_medium(std::string_view kind, std::string_view path) {
  constexpr std::string_view kTap = "tap:";
  constexpr std::string_view kXdp = "xdp:";
  constexpr std::string_view kAfPacket = "afpacket:";
  if (kind == "netdev") {
    if (path == "/dev/net/tun") path = {};
    return as_medium(TunMedium::open(last_element(path)));
  }
  if (kind == "ether") {
    if (path.substr(0, kTap.size()) == kTap)
      return as_medium(TapMedium::open(path.substr(kTap.size())));
    if (path.substr(0, kXdp.size()) == kXdp) {
      auto m = AfXdpMedium::open(last_element(path.substr(kXdp.size())), AfXdpMedium::kNativeOrSkb);
      if (m) log_mode(**m);
      return as_medium(std::move(m));
    }
    if (path.substr(0, kAfPacket.size()) == kAfPacket)
      return as_medium(AfPacketMedium::open(last_element(path.substr(kAfPacket.size()))));
    if (path.empty()) return Error(Err::NoDevice, "no interface name");
    // AF_XDP where native XDP attaches, else AF_PACKET.
    auto x = AfXdpMedium::open(last_element(path), AfXdpMedium::kNative);
    if (x) {
      log_mode(**x);
      return as_medium(std::move(x));
    }
    auto p = AfPacketMedium::open(last_element(path));
    if (p)
      std::fprintf(stderr, "ninet: %s: AF_PACKET (%s)\n", (*p)->ifname().c_str(),
                   x.error().detail().c_str());
    return as_medium(std::move(p));
  }
  return Error(Err::BadMedium, std::string(kind));
}

}  // namespace ninet
