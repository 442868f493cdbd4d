// ip.h — Ip: the IP layer of one stack (Plan 9's Fs without the file tree):
// interfaces, the self table, routes, the ARP/ND cache, reassembly, IPv4 and
// IPv6 input/output/forwarding, ICMP errors, and the registered protocols.
//
//   Ip ip(clock, pool, open_medium);
//   std::unique_lock l(ip.mu);
//   Ifc* f = *ip.ifc_clone();
//   ip.ifc_ctl(*f, "bind loopback");
//   ip.ifc_ctl(*f, "add 127.0.0.1 255.0.0.0");
//   ip.send({.src = a, .dst = b, .proto = wire::ipproto::kIcmp}, std::move(payload));
//
// Threading: everything here is guarded by `mu` (the stack lock). The engine
// thread takes it to run poll() and tick(); ctl writes and protocol writes
// take it from FUSE/9P workers. Output is sent while holding it.
//
// The work is split by concern over several files: ip.cc (interfaces, self
// table, tables as text), ifcctl.cc (ipifc ctl messages), input.cc (IPv4/IPv6
// input and forwarding), output.cc (output, link resolution, fragmentation),
// neighbor.cc (ARP, ND, DAD, router advertisements, SLAAC), icmperr.cc (ICMP
// and ICMPv6 errors), conv.cc (the Proto/Conv generic code).
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "base/ipaddr.h"
#include "base/timer.h"
#include "buf/block.h"
#include "ip/arp.h"
#include "ip/conv.h"
#include "ip/frag.h"
#include "ip/hooks.h"
#include "ip/ifc.h"
#include "ip/log.h"
#include "ip/route.h"
#include "media/medium.h"

namespace ninet {

// /net/ipifc/stats: the 19 fields of ip(3), in the page's order.
// clang-format off
#define NINET_IP_STATS(X) \
  X(Forwarding) \
  X(DefaultTTL) \
  X(InReceives) \
  X(InHdrErrors) \
  X(InAddrErrors) \
  X(ForwDatagrams) \
  X(InUnknownProtos) \
  X(InDiscards) \
  X(InDelivers) \
  X(OutRequests) \
  X(OutDiscards) \
  X(OutNoRoutes) \
  X(ReasmTimeout) \
  X(ReasmReqds) \
  X(ReasmOKs) \
  X(ReasmFails) \
  X(FragOKs) \
  X(FragFails) \
  X(FragCreates)
// clang-format on

struct IpStats {
#define X(name) uint64_t name = 0;
  NINET_IP_STATS(X)
#undef X
};

// ICMP message counters by type, for icmp/stats and icmpv6/stats.
struct IcmpCounters {
  std::array<uint64_t, 256> in{}, out{};
  uint64_t in_msgs = 0, in_errors = 0, out_msgs = 0, out_errors = 0;
};

// One line of ipselftab: an address considered local.
struct SelfEntry {
  int count = 0;       // interfaces it applies to
  uint32_t flags = 0;  // route flags: u (unicast), b (broadcast), m (multicast)
};

// Opens a medium for `bind kind [path]` (kind: loopback pkt ether netdev).
// Provided by the stack, which knows the concrete media; tests pass fakes.
using MediumFactory =
    std::function<Result<std::unique_ptr<Medium>>(std::string_view kind, std::string_view path)>;

// Why an ICMP error is sent (icmperr.cc maps these to v4/v6 types and codes).
enum class IcmpErr {
  kNetUnreach,
  kHostUnreach,
  kProtoUnreach,
  kPortUnreach,
  kFragNeeded,
  kTtlExceeded,
  kReasmExceeded,
  kParamProblem,
  kAdminProhibited
};

// What a protocol hands to Ip::send.
struct SendParams {
  Ipaddr src;  // zero: chosen from the route
  Ipaddr dst;
  uint8_t proto = 0;
  uint8_t ttl = 255;  // also the IPv6 hop limit
  uint8_t tos = 0;
  bool df = false;
  int ifc = -1;  // force the output interface (link-local, multicast)
};

class Ip {
 public:
  // Interfaces may stand for PPP sessions (pipex, pppx-style), so there
  // may be a million; nothing per packet or per tick visits them all.
  static constexpr int kMaxIfcs = 1 << 20;
  static constexpr uint8_t kDefaultTtl = 64;

  Ip(Clock& clock, Pool& pool, MediumFactory factory);
  ~Ip();
  Ip(const Ip&) = delete;
  Ip& operator=(const Ip&) = delete;

  std::mutex mu;  // the stack lock
  Clock& clock;
  Pool& pool;
  Log log;
  RouteTable routes;
  // Every timer of the stack (timers.cc), before the members that own
  // timers so that it outlives them.
  TimerWheel timers;
  // The stack's randomness (DAD delays, RA intervals): seeded from
  // std::random_device; a test seeds it (rng.seed(n)) for repeatable runs.
  std::mt19937_64 rng{std::random_device{}()};
  ArpCache arp;
  Reassembler reasm;
  IpStats stats;
  IcmpCounters icmp4, icmp6;

  // ---- Interfaces (ipifc) ----
  Result<Ifc*> ifc_clone();  // reserve the lowest free interface
  Ifc* ifc(int index);       // nullptr if out of range or not inuse
  const std::vector<std::unique_ptr<Ifc>>& ifcs() const { return ifcs_; }
  // Bound interfaces whose medium receives (MediumCaps::receives): the
  // ones the engine polls.
  const std::vector<int>& polled_ifcs() const { return polled_; }
  // One ctl message (ifcctl.cc). The error text also goes to ifc.err and log.
  Status ifc_ctl(Ifc& f, std::string_view msg);
  // Frees an interface when its last file is closed and it is not bound.
  void ifc_release(Ifc& f);
  std::string ifc_status(const Ifc& f) const;  // ipifc/N/status
  std::string ifc_local(const Ifc& f) const;   // ipifc/N/local
  std::string ipifc_stats() const;             // ipifc/stats

  // Ends every blocked reader and listener (conversations hang up, pkt
  // media close, log readers return): for shutdown, before unmounting.
  void hangup_all();

  // ---- Tables as files ----
  Status route_ctl(std::string_view msg, std::string& tag);  // iproute writes
  // The interface whose network holds gate, or -1; resolve_gateways sets it
  // on every via_gate route, after interface routes change.
  int gate_ifc(const Ipaddr& gate) const;
  void resolve_gateways();
  std::string route_text() const;        // iproute read
  Status arp_ctl(std::string_view msg);  // arp writes
  std::string arp_text() const;          // arp read
  std::string selftab_text() const;      // ipselftab read
  bool is_self(const Ipaddr& a) const;   // a unicast address of ours (or bcast/mcast we take)
  const SelfEntry* self(const Ipaddr& a) const;

  // ---- Protocols ----
  void add_proto(std::unique_ptr<Proto> p);
  Proto* proto(std::string_view name) const;
  Proto* proto_for(uint8_t ipproto) const { return by_number_[ipproto]; }
  const std::vector<std::unique_ptr<Proto>>& protos() const { return protos_; }

  // ---- Packet path ----
  // Receives everything pending from every bound medium, runs input to
  // completion and flushes output. Returns packets processed.
  size_t poll();
  // Input of one batch received on f (frames for ether media, IP otherwise).
  void input(Ifc& f, Batch& batch);
  // Sends payload (b starts at the transport header) as an IP packet.
  Status send(const SendParams& p, BlockPtr b);
  // Sends a complete IP packet (b starts at the IP header), routing it.
  Status output(BlockPtr b, int force_ifc = -1);
  // Sends every interface's queued frames.
  void flush();
  // Where route r sends a packet for dst: the output interface (nullptr if
  // it is unknown or unbound) and the next hop on it (dst itself on a
  // connected network, point-to-point link or broadcast, else the gateway).
  struct Hop {
    Ifc* ifc = nullptr;
    Ipaddr nh;
  };
  Hop hop(const Route& r, const Ipaddr& dst) const;
  // Runs the timers that are due (ARP retransmits, reassembly timeouts, DAD,
  // RAs, lifetimes: timers.cc) and flushes what they sent.
  void tick();
  // The source address to use towards dst (through ifc if >= 0).
  Result<Ipaddr> source_for(const Ipaddr& dst, int ifc = -1) const;
  // Sends an ICMP/ICMPv6 error about `offending` (which starts at its IP
  // header) back to its source, with rate and RFC 1122/4443 restrictions.
  void icmp_error(const Block& offending, IcmpErr why, uint32_t param = 0);

  // Called when a medium without an fd has input pending (the stack wakes
  // its engine).
  std::function<void()> on_wake;
  // Called (under mu) as an interface is unbound, before its addresses and
  // medium go: what hangs on the interface by number lets go of it (pipex's
  // sessions on it or over it, its pipex mode).
  std::function<void(Ifc&)> on_unbind;

  // Input hooks (hooks.h): pipex and other claimants of input by
  // ethertype, IP protocol or conversation.
  InputHooks hooks;
  // Input of an IP packet (b starts at the IP header) as if it had arrived
  // on f: a decapsulated packet from a tunnel or session. It is processed at
  // the end of the current batch (flush()), on the engine thread.
  void inject(Ifc& f, BlockPtr b);

  // ---- Used by neighbor.cc / ifcctl.cc ----
  // Adds (or updates, same local) an address with its routes, self entries,
  // multicast groups, gratuitous ARP or DAD; removes one. For SLAAC.
  Status add_lifc(Ifc& f, Lifc l);
  Status remove_lifc(Ifc& f, const Ipaddr& local);
  void self_add(const Ipaddr& a, uint32_t flags);
  void self_remove(const Ipaddr& a);
  void send_arp_request(Ifc& f, const Ipaddr& target, const Ipaddr& src);
  void send_ns(Ifc& f, const Ipaddr& target, const Ipaddr& src, bool dad);
  void send_na(Ifc& f, const Ipaddr& dst, const Ipaddr& target, const Mac& dst_mac, bool solicited,
               bool override_flag);
  void send_rs(Ifc& f);
  void send_ra(Ifc& f, const Ipaddr& dst);
  void arp_input(Ifc& f, BlockPtr b);  // b at the ARP header
  void nd_input(Ifc& f, const Ipaddr& src, const Ipaddr& dst, uint8_t hop_limit,
                BlockPtr b);  // b at the ICMPv6 header
  // (Re)arms f's neighbour-discovery timer for its earliest pending work
  // (DAD, lifetimes, router solicitations and advertisements), or disarms
  // it; called after that state changes (neighbor.cc, ifcctl.cc).
  void nd_schedule(Ifc& f);
  void join_group(Ifc& f, const Ipaddr& g);
  // Queues an IP packet on f for the next-hop nh, resolving its link address.
  void link_send(Ifc& f, const Ipaddr& nh, BlockPtr b);
  // Queues a frame (with the link header pushed, or an IP packet on non-ether).
  void queue_frame(Ifc& f, BlockPtr b);
  void ether_push(Ifc& f, Block& b, const Mac& dst, uint16_t type);
  uint16_t next_ip_id() { return ip_id_++; }
  uint32_t next_frag_ident() { return frag_ident_++; }

 private:
  friend class IfcCtl;
  void ip4_input(Ifc& f, BlockPtr b);
  void ip6_input(Ifc& f, BlockPtr b);
  // Hands b (at the IP header) to the protocol rx.proto, or its hooks.
  void deliver(Ifc& f, const IpRx& rx, BlockPtr b);
  void forward(Ifc& in, BlockPtr b, bool v6);
  Status fragment_and_send(Ifc& f, const Ipaddr& nh, BlockPtr b, bool v6);
  // A large segment (b->gso_size): whole to a medium that segments it
  // (MediumCaps::gso_max), else cut into segments here (media/offload.h).
  Status send_large(Ifc& f, const Ipaddr& nh, BlockPtr b, bool v6);
  Status ifc_bind(Ifc& f, const std::vector<std::string_view>& a);
  Status ifc_unbind(Ifc& f);
  Status ifc_add(Ifc& f, const std::vector<std::string_view>& a, bool tentative, bool v6form);
  Status ifc_remove(Ifc& f, const std::vector<std::string_view>& a);
  Status ifc_ra6(Ifc& f, const std::vector<std::string_view>& a);
  void lifc_attach(Ifc& f, const Lifc& l);  // routes, self entries, groups, ARP/DAD
  void lifc_detach(Ifc& f, const Lifc& l);
  void update_forwarding();
  void start_timers();               // timers.cc
  void nd_expire(Ifc& f, Time now);  // f's neighbour-discovery timer

  MediumFactory factory_;
  Batch selfq_;       // packets to our own addresses and injected ones, input at the next flush()
  Batch self_spare_;  // flush()'s other batch, kept for its capacity
  std::vector<std::unique_ptr<Ifc>> ifcs_;
  std::set<int> free_ifcs_;       // numbers of released interfaces, lowest first
  std::vector<int> polled_;       // see polled_ifcs()
  std::vector<int> out_pending_;  // interfaces with frames queued since the last flush
  // Searched by every packet in (twice for pipex's, once outer once
  // inner): hashed, not ordered (selftab_text sorts).
  std::unordered_map<Ipaddr, SelfEntry, IpaddrHash> self_;
  std::vector<std::unique_ptr<Proto>> protos_;
  std::array<Proto*, 256> by_number_{};
  uint16_t ip_id_ = 1;
  uint32_t frag_ident_ = 1;
  Time icmp_tokens_time_ = 0;
  int icmp_tokens_ = 0;
};

}  // namespace ninet
