#include "media/linux/report.h"

#include <cstdio>
#include <cstdlib>

namespace ninet {

std::string media_stats_text(const MediumStats& s) {
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "in %llu out %llu inbytes %llu outbytes %llu ring_drops %llu truncated %llu "
                "tx_full %llu refused %llu inerr %llu outerr %llu",
                (unsigned long long)s.in_packets, (unsigned long long)s.out_packets,
                (unsigned long long)s.in_bytes, (unsigned long long)s.out_bytes,
                (unsigned long long)s.in_ring_drops, (unsigned long long)s.in_truncated,
                (unsigned long long)s.out_ring_full, (unsigned long long)s.out_refused,
                (unsigned long long)s.in_errors, (unsigned long long)s.out_errors);
  return buf;
}

void media_report(std::string_view ifname, std::string_view kind, const MediumStats& s) {
  const char* e = std::getenv("NINET_MEDIUM_STATS");
  if (!e || !*e || std::string_view(e) == "0") return;
  std::fprintf(stderr, "ninet: media %.*s %.*s: %s\n", int(ifname.size()), ifname.data(),
               int(kind.size()), kind.data(), media_stats_text(s).c_str());
}

}  // namespace ninet
