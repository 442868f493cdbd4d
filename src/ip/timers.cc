// timers.cc — the IP layer's periodic work: neighbor (ARP/ND/DAD/RA)
// timers, reassembly timeouts and the stack's timer service.
#include "ip/ip.h"

namespace ninet {

void Ip::tick() {
  Time now = clock.now();
  nd_tick(now);
  reasm.expire(now, [&](BlockPtr first, bool v6) {
    (void)v6;
    icmp_error(*first, IcmpErr::kReasmExceeded);
  });
  timers.run(now);
  last_tick_ = now;
  flush();
}

}  // namespace ninet
