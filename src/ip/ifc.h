// ifc.h — an IP interface (ipifc/N) and its logical addresses (Plan 9's Ipifc
// and Iplifc).
//
// An Ifc is bound to at most one Medium and holds any number of addresses
// (Lifc). Its ctl messages are those of ip(3)'s "Configuring interfaces"; Ip
// (ip.h) carries them out because they touch routes, the self table and ARP.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/ipaddr.h"
#include "base/timer.h"
#include "buf/block.h"
#include "media/medium.h"

namespace ninet {

// One address on an interface (ip(3) `add local mask remote mtu proxy`,
// `add6 v6addr pfx-len onlink auto validlt preflt`).
struct Lifc {
  Ipaddr local;
  Ipaddr mask;
  Ipaddr remote;           // the network (local & mask), or the peer for point-to-point
  Ipaddr net;              // local & mask
  bool p2p = false;        // remote is a peer, not local & mask
  bool proxy = false;      // answer ARP for remote
  bool tentative = false;  // IPv6 DAD in progress (`try`)
  bool onlink = true, autoflag = true;
  uint32_t validlt = 0xffffffff, preflt = 0xffffffff;  // seconds; ~0 = infinite
  Time origin = 0;                                     // when added (lifetimes count from here)
  bool from_ra = false;                                // made by SLAAC
  int dad_probes_left = 0;
  // ---- Neighbour discovery state, kept by neighbor.cc ----
  Time dad_at = 0;  // when the next DAD step is due (0: not scheduled yet)
};

// IPv6 router advertisement parameters (ip(3) `ra6`, RFC 4861 section 6.2.1).
struct Ra6Params {
  bool recvra = false, sendra = false;
  bool mflag = false, oflag = false;
  int maxraint = 600000;  // ms
  int minraint = 200000;  // ms
  uint32_t linkmtu = 0;
  uint32_t reachtime = 0;  // ms
  uint32_t rxmitra = 0;    // ms
  uint8_t ttl = 0;
  uint32_t routerlt = 1800000;  // ms (3 * maxraint default, RFC 4861)
};

struct IfcStats {
  uint64_t in = 0, out = 0, in_errors = 0, out_errors = 0;
};

class Ifc {
 public:
  explicit Ifc(int index) : index(index) {}

  const int index;
  bool inuse = false;  // reserved by a clone open or configuration
  int refs = 0;        // open ctl/data files
  std::unique_ptr<Medium> medium;
  std::string dev;          // what `bind` named: "veth0", "pkt", "loopback", "/dev/..."
  int mtu = 0;              // largest packet including medium header (ip(3) `mtu`)
  bool reassemble = false;  // `reassemble`: reassemble before forwarding out of here
  bool iprouting = false;   // `iprouting`: forward between this and others
  bool promiscuous = false;
  bool headersonly = false;
  Mac mac;  // medium hwaddr (zero for non-ether)
  std::vector<Lifc> lifcs;
  std::vector<Mac> multi;      // addmulti media addresses
  std::vector<Ipaddr> groups;  // joined multicast groups (all-nodes, solicited-node...)
  Ra6Params ra6;
  Time next_ra = 0;     // when to send the next unsolicited RA
  int initial_ras = 0;  // RFC 4861 6.2.4: first few RAs sent faster
  // ---- Neighbour discovery state, kept by neighbor.cc ----
  // RFC 4861 6.3.4: the Default Router List and the Prefix List (on-link
  // prefixes from RAs), each entry with the time it expires.
  struct RaRouter {
    Ipaddr addr;
    Time expires = 0;
  };
  struct RaPrefix {
    Ipaddr net, mask;
    Time expires = 0;
  };
  std::vector<RaRouter> routers;
  std::vector<RaPrefix> onlink;
  Time last_mcast_ra = 0;  // RFC 4861 6.2.6: multicast RAs at least 3 s apart
  int rs_left = 0;         // RFC 4861 6.3.7: router solicitations still to send
  Time next_rs = 0;
  // Armed for the earliest of the above (and the Lifcs' DAD and lifetimes)
  // while there is any: Ip::nd_schedule.
  Timer nd_timer;
  IfcStats stats;
  std::string err;           // the err file
  Batch outq;                // frames collected for the next send()
  bool out_pending = false;  // listed for the next flush() (Ip::out_pending_)

  bool bound() const { return medium != nullptr; }
  bool ether() const { return medium && medium->link_header(); }
  // The largest IP packet (mtu minus the medium header).
  int ip_mtu() const { return ether() ? mtu - 14 : mtu; }
  // The first address of this family (v4 or v6), or nullptr.
  const Lifc* first(bool v4) const;
  // The address whose network contains a (for choosing a source), or nullptr.
  const Lifc* on_net(const Ipaddr& a) const;
  Lifc* find(const Ipaddr& local);
  bool has_group(const Ipaddr& g) const;
};

}  // namespace ninet
