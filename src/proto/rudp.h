// rudp.h — the rudp protocol directory (ip(3) RUDP, IP protocol 254):
// reliable datagrams. Each message written is one packet, delivered once
// and in order to the reader at the other end, per remote address!port.
//
//   ip.add_proto(make_rudp(ip));
//   // one end:   "announce 7000" then "headers"; every read is
//   //            raddr[16] laddr[16] ifcaddr[16] rport[2] lport[2] message
//   //            (UDP's 52-byte Udphdr), a reply is that buffer written back.
//   // the other: "connect 10.0.0.1!7000" (then "headers" if it likes);
//   //            without headers each write goes to the connected remote.
//
// The protocol (NOTES.md; Plan 9's rudp.c): per conversation and remote,
// our messages are numbered 1, 2, ... in a generation of our own (a random
// number chosen when we first talk to that remote, and again after every
// reboot); every packet carries the last message received in order from
// the remote and the remote's generation as the acknowledgement. The
// receiver delivers in order and once: a message ahead of the next one is
// kept (up to 100 ahead; Plan 9 refuses it, the wire is the same) and a
// duplicate dropped. Acks ride on data, or go alone (seq 0) once per burst
// of input (a timer due at once, which runs after the input batch). An
// ack-only packet that repeats the last ack tells the sender of a hole: it
// sends the first unacknowledged message again at once, and the next hole
// at each ack that advances short of what was sent then (RFC 6582's partial
// acks). Otherwise unacknowledged messages are all sent again (go-back-N,
// as Plan 9) 200 ms × tries after the last progress (tries 1..10); a
// message the reader has no room for is kept unacknowledged until a read
// makes room. When 10 retransmissions are not enough, the
// remote is treated as rebooted: "hangup addr!port" goes to err, the
// queued messages are dropped and a new generation starts (the
// conversation itself goes on). A packet of a new generation from the
// remote (it restarted, or rebooted us) does the same here. At most 100
// messages per remote are unacknowledged; a write of the 101st waits for
// an ack (Proto::message_fits), as a blocking write does.
//
// ctl: "headers"; "hangup IP port" forgets the remote (telling it so with
// a packet of generation 0xffffffff; queued messages are dropped);
// "randdrop [percent]" drops that percent (default 10) of the
// conversation's outgoing packets, acks included, before they leave.
// ip(3) says IPv4 only; this one also runs over IPv6 (the checksum over
// the IPv6 pseudo header, as UDP's). There is no listen: `announce` takes
// every remote on one conversation, which must use `headers` to see who
// sent a message and to answer it. A message to a port nobody has gets
// ICMP port unreachable, as UDP's. An ICMP error about our messages hangs
// a connected conversation up (err holds its text; `ignoreadvice` keeps it
// retrying); on an announced one a hard error (port or protocol
// unreachable) applies the reboot rule to that remote.
//
// Limits Plan 9's lacks, so that an announced port is safe to expose: a
// conversation keeps at most 4096 remotes (a new one takes the place of
// the least recently active quiet one, nothing unacknowledged or held
// either way; if the oldest 64 are all busy its packets are dropped and a
// write to it fails), and holds, ahead of a hole or waiting for a reader,
// at most its read queue's size (256 KiB) of messages, over all remotes;
// past that a message is dropped unacknowledged and comes again. A
// forgotten remote that speaks again meets the reboot rule: its err says
// `hangup`, as after our restart.
//
// rudp/stats: InDatagrams (messages delivered), NoPorts, InErrors
// (malformed), OutDatagrams (messages
// sent once), Retransmits (messages sent again after a timeout),
// FastRetransmits (holes sent again after a repeated or partial ack),
// AcksOut (packets with only an ack), OutOfOrder (messages that came ahead
// of the next one, kept), Duplicates (messages had already, or beyond 100
// ahead: dropped), StaleGen (packets of a generation we do not know, or
// acknowledging one we left), Timeouts (reboots after 10 tries),
// NewGen (reboots of a remote detected), Hangups (remotes forgotten by a
// hangup, ours or theirs), RandDrops, Unreachable (ICMP errors acted on),
// Overflows (messages dropped: the conversation held its read queue's
// worth), Evictions (quiet remotes forgotten for new ones),
// TooManyRemotes (packets of new remotes dropped at the limit). status: "Open qin N qout M" (M:
// bytes unacknowledged).
#pragma once

#include <memory>

#include "ip/ip.h"

namespace ninet {

std::unique_ptr<Proto> make_rudp(Ip& ip);

}  // namespace ninet
