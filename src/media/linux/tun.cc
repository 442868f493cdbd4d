#include "media/linux/tun.h"

namespace ninet {

Result<std::unique_ptr<TunMedium>> TunMedium::open(std::string_view name) {
  auto o = open_device(name, /*tap=*/false);
  if (!o) return o.error();
  return std::unique_ptr<TunMedium>(new TunMedium(std::move(*o)));
}

}  // namespace ninet
