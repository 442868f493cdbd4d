#include "pipex/mss.h"

#include <array>

#include "base/checksum.h"
#include "base/endian.h"
#include "wire/ip4.h"
#include "wire/ip6.h"
#include "wire/tcp.h"

namespace ninet::pipex {

namespace {

// NOP NOP and the 10-byte timestamps option (RFC 7323 3.2), which a SYN's
// peer will put in every segment: what OpenBSD's MAXMSS leaves room for.
constexpr unsigned kTimestampsRoom = 12;
// At most this many 4-byte MSS options fit in the 40 bytes of options.
constexpr size_t kMaxMssOptions = (wire::tcp::kMaxHeader - wire::tcp::kMinHeader) / 4;

uint16_t swap16(uint16_t v) {
  return uint16_t(v << 8 | v >> 8);
}

}  // namespace

std::optional<UpperLayer> find_upper_layer(std::span<const uint8_t> p) {
  using namespace wire;
  if (p.empty()) return std::nullopt;
  if (p[0] >> 4 == 4) {
    auto h = Ip4Repr::parse(p);
    if (!h) return std::nullopt;
    return UpperLayer{false, h->proto, h->is_fragment(), h->header_len, h->payload_len()};
  }
  if (p[0] >> 4 == 6) {
    auto h = Ip6Repr::parse(p);
    if (!h) return std::nullopt;
    auto w = ip6_walk(p.subspan(Ip6Repr::kLen, h->payload_len), h->next_header);
    if (!w || w->offset > h->payload_len) return std::nullopt;
    // An atomic fragment (offset 0, M clear; RFC 6946) is a whole packet.
    bool fragment = w->frag && (w->frag->offset != 0 || w->frag->more);
    return UpperLayer{true, w->proto, fragment, Ip6Repr::kLen + w->offset,
                      h->payload_len - w->offset};
  }
  return std::nullopt;
}

bool adjust_tcp_mss(std::span<uint8_t> ip_packet, uint16_t max_mss) {
  using namespace wire;
  auto u = find_upper_layer(ip_packet);
  if (!u || u->fragment || u->proto != ipproto::kTcp) return false;
  std::span<uint8_t> seg = ip_packet.subspan(u->offset, u->len);
  if (seg.size() < tcp::kMinHeader || !(seg[tcp::kFlags] & tcp::kSyn)) return false;
  size_t doff = size_t(seg[tcp::kDataOff] >> 4) * 4;
  if (doff < tcp::kMinHeader || doff > seg.size()) return false;

  // Check the whole option area (RFC 9293 3.1) before writing anything, and
  // note where the values of MSS options above max_mss are.
  std::array<size_t, kMaxMssOptions> at;
  size_t n = 0;
  for (size_t i = tcp::kMinHeader; i < doff;) {
    uint8_t kind = seg[i];
    if (kind == tcp::kOptEnd) break;
    if (kind == tcp::kOptNop) {
      i++;
      continue;
    }
    if (i + 1 >= doff) return false;  // no length byte
    size_t len = seg[i + 1];
    if (len < 2 || len > doff - i) return false;
    if (kind == tcp::kOptMss && len == 4 && load16(&seg[i + 2]) > max_mss) at[n++] = i + 2;
    i += len;
  }

  uint16_t ck = load16(&seg[tcp::kCksum]);
  for (size_t k = 0; k < n; k++) {
    uint16_t old = load16(&seg[at[k]]);
    store16(&seg[at[k]], max_mss);
    // The checksum adds 16-bit words counted from the segment's start. A
    // value at an odd offset puts its high byte in the low half of one word
    // and its low byte in the high half of the next: it adds its bytes
    // swapped (RFC 1071 section 2(B), byte order independence).
    if (at[k] & 1)
      ck = csum_update16(ck, swap16(old), swap16(max_mss));
    else
      ck = csum_update16(ck, old, max_mss);
  }
  if (n) store16(&seg[tcp::kCksum], ck);
  return n != 0;
}

uint16_t pipex_max_mss(uint16_t peer_mru, bool v6) {
  using namespace wire;
  unsigned overhead =
      unsigned(v6 ? Ip6Repr::kLen : ip4::kMinHeader) + unsigned(tcp::kMinHeader) + kTimestampsRoom;
  return peer_mru > overhead ? uint16_t(peer_mru - overhead) : 0;
}

}  // namespace ninet::pipex
