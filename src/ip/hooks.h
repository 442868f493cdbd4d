// hooks.h — input hooks: code that claims packets before IP or a protocol
// sees them. pipex claims PPPoE session frames by ethertype, PPTP's GRE by
// IP protocol and L2TP data on a UDP conversation; ipmux claims whole IP
// packets by filter (the ip point: every packet for us, reassembled, before
// the IP protocol hooks and the protocols). A hook takes only what it fully handles and leaves
// everything else unchanged for the next hook and then the normal path (STYLE.md, OpenBSD pipex).
//
//   struct Pppoe : InputHook {
//     bool claim(const HookIn& in, BlockPtr& b) override {
//       if (!session_of(in, *b)) return false;   // not ours: b untouched
//       ...; ip.inject(*session_ifc, std::move(b));  return true;
//     }
//   } pppoe;
//   ip.hooks.add_ether(0x8864, &pppoe);            // PPPoE session stage
//   ip.hooks.add_ipproto(47, &pptp, /*order=*/10); // lower order runs first
//   ip.hooks.add_conv(*udp_conv, &l2tp);           // UDP payloads of one conversation
//   ip.hooks.add_ip(&ipmux);                       // whole IP packets for us
//   ip.hooks.remove(&pppoe);                       // from every point
//
// Hooks run on the engine thread with the stack lock held. Per packet the
// cost without hooks is one emptiness test at each point. The table holds
// plain pointers: remove a hook (under the lock) before destroying it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "buf/block.h"
#include "ip/conv.h"

namespace ninet {

class Ifc;

// Where a packet is when a hook sees it, and what is known of it.
struct HookIn {
  Ifc& ifc;                       // the arriving interface
  uint16_t ethertype = 0;         // ether hooks: b starts at the Ethernet header
  const IpRx* ip = nullptr;       // ip, ipproto and conv hooks: b starts at the IP header
                                  // (ip), the transport header (ipproto) or its payload (conv)
  Conv* conv = nullptr;           // conv hooks: the conversation the packet belongs to
  uint16_t sport = 0, dport = 0;  // conv hooks: the transport ports
};

class InputHook {
 public:
  virtual ~InputHook() = default;
  // True: the hook took b (and left it empty). False: b goes on to the next
  // hook and the normal path, unchanged but for fields a hook that shares
  // them with the path's reader rewrites in place (pipex renumbers a
  // session's L2TP/PPTP sequence numbers into the daemon's share).
  virtual bool claim(const HookIn& in, BlockPtr& b) = 0;
  // Output on a conversation this hook was added on (add_conv): the payload
  // the protocol is about to send to dst!dport, which the hook may rewrite in
  // place (pipex puts the daemon's L2TP data into the sequence it shares
  // with it). Called before the transport checksum is computed.
  virtual void conv_output(Conv& c, const Ipaddr& dst, uint16_t dport, std::span<uint8_t> payload) {
  }
  // c, on which this hook was added, was freed (its hooks are gone).
  virtual void conv_closed(Conv& c) {}
};

class InputHooks {
 public:
  void add_ether(uint16_t type, InputHook* h, int order = 0);
  void add_ipproto(uint8_t proto, InputHook* h, int order = 0);
  void add_conv(Conv& c, InputHook* h, int order = 0);
  void add_ip(InputHook* h, int order = 0);
  // Removes h from every ethertype, IP protocol and the ip point, and from c if given.
  void remove(InputHook* h, Conv* c = nullptr);

  bool has_ether() const { return !ether_.empty(); }
  bool has_ipproto(uint8_t proto) const { return !ipproto_[proto].empty(); }
  bool has_ip() const { return !ip_.empty(); }
  // Run the hooks of one point in order; true when one claimed b.
  bool ether(Ifc& f, uint16_t type, BlockPtr& b);
  bool ipproto(Ifc& f, const IpRx& rx, BlockPtr& b);
  bool ip(Ifc& f, const IpRx& rx, BlockPtr& b);
  // For protocols: the hooks of c, on b (at the transport payload).
  static bool conv(Ifc& f, Conv& c, const IpRx& rx, uint16_t sport, uint16_t dport, BlockPtr& b);
  // For protocols: the hooks of c see output (InputHook::conv_output).
  static void conv_out(Conv& c, const Ipaddr& dst, uint16_t dport, std::span<uint8_t> payload);

 private:
  struct Entry {
    int order;
    uint16_t key;
    InputHook* hook;
  };
  std::vector<Entry> ether_;
  std::vector<Entry> ipproto_[256];
  std::vector<Entry> ip_;
};

}  // namespace ninet
