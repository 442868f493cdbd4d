// esp.h — the esp protocol directory (ip(3) ESP, IP protocol 50): tunnel
// mode only, one conversation per direction of a security association, IP
// packets in and out of `data`.
//
//   connect 10.0.0.9!4660     outgoing: packets written to data are
//                             encrypted, authenticated and sent to
//                             10.0.0.9 under SPI 4660 (decimal, 32 bits)
//   connect 10.0.0.9!*        incoming: the stack picks an unused SPI
//                             (256-65791, as Plan 9), shown in `local`;
//                             packets from 10.0.0.9 under it are checked,
//                             decrypted and queued for reading
//   esp ALG SECRET            encryption: null, des_56_cbc, des3_cbc,
//                             aes_128_cbc, aes_ctr (crypto/esp.h); SECRET
//                             is the key in hex, without 0x
//   ah ALG SECRET             integrity: null, hmac_sha1_96, hmac_md5_96,
//                             aes_xcbc_mac_96
//   header / noheader         header mode: every read starts with 4 bytes,
//                             the first the packet's next header (4: IPv4,
//                             41: IPv6); the first 4 bytes of every write
//                             are skipped but for the first, which names
//                             the next header (NOTES.md)
//
// Both start as null/null (Plan 9). An outgoing conversation only writes
// (reads see end of file), an incoming one only reads (writes fail), as
// Plan 9's hang up the other queue. Sequence numbers start at 1; a sender
// stops at 2^32 - 1 (no extended sequence numbers: RFC 4303 3.3.3 says the
// SA must be replaced). Receivers keep RFC 4303 3.4.3's anti-replay window
// of 64 packets, which Plan 9's code lacks: a packet below the window or
// seen before is dropped, and the window moves only after the ICV checks.
//
// Input drops, each counted in esp/stats and logged under `esp`: shorter
// than a header, IV, one block and ICV (InMalformed); no incoming
// conversation for the SPI and source (InNoSa); a replayed or too old
// sequence number (InReplay); an ICV that does not match (InAuthFail, the
// comparison in constant time); a payload that is not whole blocks, bad
// padding or a next header other than IPv4/IPv6/59 (InMalformed); a full
// read queue (InQueueDrops). 59 (no next header: RFC 4303's dummy packets)
// is dropped silently after its checks. stats also has InPackets (queued)
// and OutPackets, OutErrors.
#pragma once

#include <memory>

#include "ip/ip.h"

namespace ninet {

std::unique_ptr<Proto> make_esp(Ip& ip);

}  // namespace ninet
