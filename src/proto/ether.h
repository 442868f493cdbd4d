// ether.h — the ether directory: Ethernet frames of one type on one
// interface, read and written whole, for the daemons whose protocols live
// below IP (a PPPoE server's discovery, 0x8863, and the session frames pipex
// leaves it, 0x8864). Plan 9's ether(3) is the model: a conversation is
// connected to a frame type, and its data file carries whole frames
// (destination, source, type, payload).
//
//   ip.add_proto(make_ether(ip));
//   // ether/clone (the stack's owner only), then on its ctl:
//   //   connect 1!0x8863      interface 1 (ipifc/1), PPPoE discovery
//   // Each read of data returns one frame of that type that reached
//   // interface 1 (for its MAC, broadcast, multicast, or anything when
//   // promiscuous), from its Ethernet header, without padding removed. Each
//   // write sends one frame, from its Ethernet header: the stack puts the
//   // interface's MAC in the source and pads to 60 bytes; the type must be
//   // the conversation's.
//
// One conversation per interface and type ("address in use" for a second),
// so a daemon holds its frames alone. The type is decimal or 0x hex,
// 0x0600-0xffff (below is an 802.3 length), and not one the stack handles
// itself (IPv4, ARP, IPv6: the stack answers those). A type is claimed
// after every other hook on it (pipex's PPPoE takes its sessions' IP
// first). Frames of a type no conversation has are ignored, as before.
//
// Ownership: ether/clone has mode 0660 and the stack's owner, as
// ipifc/clone (Proto::link_level): a frame written here bypasses the
// stack's addresses and filters. A conversation's files then belong to
// whoever cloned it, as every conversation's do.
//
// Files: local is the interface's MAC ("525400123456!34915"), remote
// "1!34915" (the interface and type in decimal, what connect took), status
// "Datagram Connected qin N qout 0". A write of a frame shorter than an
// Ethernet header, longer than the interface's mtu, or of another type is
// refused with an error; one to an interface no longer bound to Ethernet
// is refused with "interface not bound to a medium" (an unbind hangs its
// conversations up: ether_unbound). ether/stats:
// InFrames (queued for a reader), InDrops (a full read queue), OutFrames.
#pragma once

#include <memory>

#include "ip/ip.h"

namespace ninet {

std::unique_ptr<Proto> make_ether(Ip& ip);
// Interface ifc left its medium (Ip::on_unbind): its conversations hang up
// (readers see end of file, writes fail), and stay so if it binds again.
void ether_unbound(Proto& ether, int ifc);

}  // namespace ninet
