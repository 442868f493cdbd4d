// timers.cc — the IP layer's timers. There is no periodic tick: each piece
// of timed work has a Timer (base/timer.h) on the stack's wheel, armed only
// while there is work, and the engine sleeps until the wheel's next deadline:
//   - ARP/ND retransmits and giving up: one timer in the ArpCache (arp.cc),
//     armed while some entry waits for an answer;
//   - reassembly timeouts: one timer per datagram being reassembled (frag.cc);
//   - DAD, router solicitations and advertisements, address, router and
//     prefix lifetimes: one timer per interface that has any (Ifc::nd_timer,
//     neighbor.cc's nd_schedule).
// An idle stack has nothing armed, except an interface's RA timer while it
// sends router advertisements (ra6 sendra 1), which is periodic by nature.
#include "ip/ip.h"

namespace ninet {

void Ip::start_timers() {
  arp.set_handlers(
      [this](const Ipaddr& ip, int n) {
        Ifc* f = ifc(n);
        if (!f || !f->bound()) return;
        auto src = source_for(ip, n);
        if (!src) return;
        if (ip.is_v4())
          send_arp_request(*f, ip, *src);
        else
          send_ns(*f, ip, *src, false);
      },
      // Queued packets start at their IP header: tell their sources.
      [this](BlockPtr b) { icmp_error(*b, IcmpErr::kHostUnreach); });
  reasm.set_on_timeout(
      [this](BlockPtr first, bool) { icmp_error(*first, IcmpErr::kReasmExceeded); });
}

void Ip::tick() {
  timers.run(clock.now());
  flush();
}

}  // namespace ninet
