// report.h — a medium's counters as one line of text, and that line on
// standard error when a Linux medium closes, if the environment asks for it
// (NINET_MEDIUM_STATS=1; bench/forward_e2e.sh sets it for ninetd). Until the
// counters show in the tree (ipifc status), this is how a benchmark sees
// where frames were lost inside a medium.
//
//   media_report("veth0", "afpacket", stats_);
#pragma once

#include <string>
#include <string_view>

#include "media/medium.h"

namespace ninet {

// "in 10 out 9 inbytes ... ring_drops 1 truncated 0 tx_full 0 refused 0 inerr 1 outerr 0"
std::string media_stats_text(const MediumStats& s);

// Prints "ninet: media IFNAME KIND: <media_stats_text>" on stderr if
// NINET_MEDIUM_STATS is set and not "0".
void media_report(std::string_view ifname, std::string_view kind, const MediumStats& s);

}  // namespace ninet
