#include "proto/tcp/plpmtud.h"

#include <initializer_list>

namespace ninet::tcp {

uint16_t BlackHole::lower(uint16_t mss, bool v6) {
  int hdr = v6 ? 60 : 40;
  for (int mtu : {v6 ? kMinMtu6 : kSearchLow4, v6 ? kMinMtu6 : kMinMtu4})
    if (mtu - hdr < mss) return uint16_t(mtu - hdr);
  return mss;
}

uint16_t BlackHole::on_timeout(uint32_t una, uint32_t head, uint16_t mss, bool v6) {
  // Timeouts in a row on the same data: progress starts the count again.
  if (una != una_) {
    una_ = una;
    timeouts_ = 0;
  }
  if (++timeouts_ < kTimeouts) return mss;
  uint16_t to = lower(mss, v6);
  // Only if what is lost would have been cut: small segments lost are
  // loss, not size.
  if (to == mss || head <= to) return mss;
  timeouts_ = 0;  // as many again before the next step down
  return to;
}

}  // namespace ninet::tcp
