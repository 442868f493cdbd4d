#include "media/linux/vnet.h"

#include <endian.h>

#include "base/endian.h"
#include "media/offload.h"
#include "wire/ip4.h"
#include "wire/tcp.h"

namespace ninet {

bool vnet_receive(const VnetHdr& h, Block& b) {
  if (h.flags & VnetHdr::kNeedsCsum) b.flags |= Block::kCsumPartial;
  if (h.flags & VnetHdr::kDataValid) b.flags |= Block::kCsumValid;
  switch (h.gso_type & uint8_t(~VnetHdr::kGsoEcn)) {
    case VnetHdr::kGsoNone:
      return true;
    case VnetHdr::kGsoTcp4:
    case VnetHdr::kGsoTcp6:
    case VnetHdr::kGsoUdpL4:
      b.gso_size = le16toh(h.gso_size);
      return b.gso_size > 0;
    default:
      return false;
  }
}

VnetHdr vnet_send(Block& b, size_t link_len) {
  VnetHdr h;
  if (!(b.flags & Block::kCsumPartial) && !b.gso_size) return h;
  if (b.size() < link_len) return h;
  std::span<uint8_t> ip = b.span().subspan(link_len);
  auto l = locate_l4(ip);
  if (!l) return h;
  uint8_t* l4 = ip.data() + l->l4_off;
  if (b.gso_size) {
    const bool tcp = l->proto == wire::ipproto::kTcp;
    const size_t thl = tcp ? size_t(l4[wire::tcp::kDataOff] >> 4) * 4 : 8;
    h.gso_type = !tcp ? VnetHdr::kGsoUdpL4 : l->v6 ? VnetHdr::kGsoTcp6 : VnetHdr::kGsoTcp4;
    h.gso_size = htole16(b.gso_size);
    h.hdr_len = htole16(uint16_t(link_len + l->l4_off + thl));
    if (!(b.flags & Block::kCsumPartial)) store16(l4 + l->field, partial_checksum(*l));
  } else if (!(b.flags & Block::kCsumPartial)) {
    return h;
  }
  h.flags = VnetHdr::kNeedsCsum;
  h.csum_start = htole16(uint16_t(link_len + l->l4_off));
  h.csum_offset = htole16(uint16_t(l->field));
  return h;
}

}  // namespace ninet
