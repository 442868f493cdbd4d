// ipmux.h — the ipmux protocol directory (ip(3) "IP packet filter"): each
// conversation is a filter over whole IPv4 packets addressed to the stack;
// a packet it wins is read on its data file instead of going to its
// protocol, and what is written to data is a whole IP packet, routed and
// sent.
//
//   ip.add_proto(make_ipmux(ip));
//   // ipmux/clone (the stack's owner only), then on its ctl:
//   //   connect proto=11;data[2:3]=0208;ifc=10.0.0.0&255.255.255.0
//   // Each read of data returns the 16-byte address of the arriving
//   // interface (v4-mapped; its address towards the sender, as UDP's
//   // headers ifcaddr) and then the whole IP packet, header included, as
//   // Plan 9's ipmux.c gives it; each write is one whole IPv4 or IPv6 packet.
//
// Filters: ipmux_filter.h (grammar, IPv4 only, the preference rules and the
// comparison tree all conversations share). A packet goes to one filter at
// most. The tree sits on a hook at IP's delivery (InputHooks::add_ip): every
// packet for us, after reassembly, before the IP protocol hooks (pipex's
// PPTP) and the protocols; the hook is added with the first filter and
// removed with the last, so without ipmux conversations IP pays one
// emptiness test per packet. A write needs no filter: the stack sets the
// IPv4 total length and header checksum (IPv6: the payload length) and
// routes the packet by its destination; the rest of the header (source,
// TTL, id, options) is the writer's, as in Plan 9's ipoput4 without gating.
//
// Ownership: ipmux/clone has mode 0660 and the stack's owner, as ipifc/clone
// and ether/clone (Proto::raw): a filter reads other users' packets and a
// write sends any source address.
//
// Texts: remote is the filter in canonical form (sorted by rank; it parses
// back the same), local `0.0.0.0!0`, status `Datagram Connected qin N qout
// 0` (Idle before connect). ipmux/stats: InPackets (queued for a reader),
// InDrops (read queue full), OutPackets, OutErrors (writes refused or not
// routed), Filters, Nodes (of the tree).
#pragma once

#include <memory>

#include "ip/ip.h"

namespace ninet {

std::unique_ptr<Proto> make_ipmux(Ip& ip);

}  // namespace ninet
