// mss_fuzz — pipex's adjust_tcp_mss and is_idle_packet on arbitrary bytes.
//
// Input: max_mss (2 bytes, big-endian), then an IPv4 or IPv6 packet. Both
// functions stay within the packet (ASan). find_upper_layer's span lies
// within it; a malformed packet is idle and a fragment active. adjust_tcp_mss
// returns true exactly when it changed bytes, changes only the TCP checksum
// and bytes of the option area of an unfragmented SYN, leaves no MSS option
// (kind 2, length 4) above max_mss there, is done after one call, and does
// not change whether the packet is idle. A TCP checksum that verified before
// the change verifies after it (RFC 1624), wherever the option lies.
//
//   sh tests/fuzz/run.sh 60 mss_fuzz
#include <cstdint>
#include <vector>

#include "base/checksum.h"
#include "base/endian.h"
#include "base/fuzz_check.h"
#include "base/ipaddr.h"
#include "pipex/idle.h"
#include "pipex/mss.h"

namespace {

// Whether the TCP checksum of the segment u points at verifies.
bool tcp_checksum_ok(const std::vector<uint8_t>& p, const ninet::pipex::UpperLayer& u) {
  using namespace ninet;
  Ipaddr src = u.v6 ? Ipaddr(&p[8]) : Ipaddr::from_v4_bytes(&p[12]);
  Ipaddr dst = u.v6 ? Ipaddr(&p[24]) : Ipaddr::from_v4_bytes(&p[16]);
  uint32_t s = csum_pseudo(src, dst, 6, uint32_t(u.len));
  return csum_fold(csum_partial(&p[u.offset], u.len, s)) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ninet;
  using namespace ninet::pipex;
  if (size < 2) return 0;
  uint16_t max_mss = load16(data);
  const std::vector<uint8_t> in(data + 2, data + size);

  auto u = find_upper_layer(in);
  bool idle = is_idle_packet(in);
  if (!u) {
    FUZZ_CHECK(idle);
  } else {
    FUZZ_CHECK(u->offset <= in.size() && u->len <= in.size() - u->offset);
    FUZZ_CHECK(!u->fragment || !idle);
  }

  bool ok_before = u && u->proto == 6 && !u->fragment && tcp_checksum_ok(in, *u);
  std::vector<uint8_t> p = in;
  bool changed = adjust_tcp_mss(p, max_mss);
  FUZZ_CHECK(changed == (p != in));
  if (!changed) return 0;

  FUZZ_CHECK(u && u->proto == 6 && !u->fragment && u->len >= 20);
  size_t off = u->offset;
  FUZZ_CHECK(in[off + 13] & 0x02);  // SYN
  size_t doff = size_t(in[off + 12] >> 4) * 4;
  FUZZ_CHECK(doff >= 20 && doff <= u->len);
  for (size_t i = 0; i < p.size(); i++) {
    bool may_change = i == off + 16 || i == off + 17 || (i >= off + 20 && i < off + doff);
    FUZZ_CHECK(may_change || p[i] == in[i]);
  }
  if (ok_before) FUZZ_CHECK(tcp_checksum_ok(p, *u));
  // No MSS above max_mss is left in the option area.
  for (size_t i = off + 20; i < off + doff;) {
    if (p[i] == 0) break;
    if (p[i] == 1) {
      i++;
      continue;
    }
    // The area was well formed, or nothing would have changed.
    FUZZ_CHECK(i + 1 < off + doff && p[i + 1] >= 2 && p[i + 1] <= off + doff - i);
    if (p[i] == 2 && p[i + 1] == 4) FUZZ_CHECK(load16(&p[i + 2]) <= max_mss);
    i += p[i + 1];
  }
  std::vector<uint8_t> again = p;
  FUZZ_CHECK(!adjust_tcp_mss(again, max_mss) && again == p);
  FUZZ_CHECK(is_idle_packet(p) == idle);
  return 0;
}
