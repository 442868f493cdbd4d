// vnet_test — the virtio-net header both ways (vnet.h): its layout as the
// virtio spec gives it (section 5.1.6), what a received header marks on a
// block, and the header built for a block to send.
#include "media/linux/vnet.h"

#include <gtest/gtest.h>

#include <endian.h>

#include <cstddef>
#include <cstring>
#include <vector>

#include "base/endian.h"

namespace ninet {
namespace {

static_assert(offsetof(VnetHdr, flags) == 0 && offsetof(VnetHdr, gso_type) == 1 &&
              offsetof(VnetHdr, hdr_len) == 2 && offsetof(VnetHdr, gso_size) == 4 &&
              offsetof(VnetHdr, csum_start) == 6 && offsetof(VnetHdr, csum_offset) == 8);

// An Ethernet frame (link_len 14) or a bare IP packet with TCP (a 20-byte
// header + 12 bytes of timestamp option) or UDP and n bytes of payload.
std::vector<uint8_t> frame(bool ether, bool v6, bool tcp, size_t n) {
  std::vector<uint8_t> f(ether ? 14 : 0);
  if (ether) f[12] = v6 ? 0x86 : 0x08, f[13] = v6 ? 0xdd : 0x00;
  const size_t l4 = (tcp ? 32 : 8) + n;
  std::vector<uint8_t> ip(v6 ? 40 : 20);
  if (v6) {
    ip[0] = 0x60;
    ip[4] = uint8_t(l4 >> 8), ip[5] = uint8_t(l4);
    ip[6] = tcp ? 6 : 17;
    ip[7] = 64;
    ip[8] = 0xfd, ip[23] = 1, ip[24] = 0xfd, ip[39] = 2;
  } else {
    ip[0] = 0x45;
    ip[2] = uint8_t((20 + l4) >> 8), ip[3] = uint8_t(20 + l4);
    ip[8] = 64;
    ip[9] = tcp ? 6 : 17;
    ip[12] = 10, ip[15] = 1, ip[16] = 10, ip[19] = 2;
  }
  f.insert(f.end(), ip.begin(), ip.end());
  std::vector<uint8_t> h(tcp ? 32 : 8);
  if (tcp) {
    h[12] = 8 << 4;  // 32 bytes
    h[13] = 0x10;
    h[16] = 0xab, h[17] = 0xcd;  // a whole checksum (not checked here)
  } else {
    h[4] = uint8_t((8 + n) >> 8), h[5] = uint8_t(8 + n);
    h[6] = 0xab, h[7] = 0xcd;
  }
  f.insert(f.end(), h.begin(), h.end());
  f.resize(f.size() + n, 0x5a);
  return f;
}

BlockPtr block(Pool& pool, const std::vector<uint8_t>& f) {
  return pool.copy(f.data(), uint32_t(f.size()));
}

TEST(Vnet, ReceiveMarksChecksumsAndLargeSegments) {
  Pool pool;
  auto b = block(pool, frame(true, false, true, 100));
  VnetHdr h;
  ASSERT_TRUE(vnet_receive(h, *b));
  EXPECT_EQ(b->flags & (Block::kCsumPartial | Block::kCsumValid), 0u);
  EXPECT_EQ(b->gso_size, 0);
  h.flags = VnetHdr::kNeedsCsum;
  ASSERT_TRUE(vnet_receive(h, *b));
  EXPECT_TRUE(b->flags & Block::kCsumPartial);
  b->flags = 0;
  h.flags = VnetHdr::kDataValid;
  h.gso_type = VnetHdr::kGsoTcp4 | VnetHdr::kGsoEcn;  // the ECN bit is only a mark
  h.gso_size = htole16(1448);
  ASSERT_TRUE(vnet_receive(h, *b));
  EXPECT_TRUE(b->flags & Block::kCsumValid);
  EXPECT_EQ(b->gso_size, 1448);
  for (uint8_t t : {VnetHdr::kGsoTcp6, VnetHdr::kGsoUdpL4}) {
    b->gso_size = 0;
    h.gso_type = t;
    h.gso_size = htole16(1200);
    ASSERT_TRUE(vnet_receive(h, *b));
    EXPECT_EQ(b->gso_size, 1200);
  }
}

TEST(Vnet, ReceiveRefusesWhatTheStackDoesNotTake) {
  Pool pool;
  auto b = block(pool, frame(true, false, true, 100));
  VnetHdr h;
  h.gso_type = 3;  // VIRTIO_NET_HDR_GSO_UDP (UFO)
  h.gso_size = htole16(1000);
  EXPECT_FALSE(vnet_receive(h, *b));
  h.gso_type = VnetHdr::kGsoTcp4;
  h.gso_size = 0;  // a large segment of no size
  EXPECT_FALSE(vnet_receive(h, *b));
}

TEST(Vnet, SendOfAPlainFrameIsAnAllZeroHeader) {
  Pool pool;
  auto b = block(pool, frame(true, false, true, 100));
  const VnetHdr zero{};
  VnetHdr h = vnet_send(*b, 14);
  EXPECT_EQ(std::memcmp(&h, &zero, sizeof h), 0);
  b->flags = Block::kCsumPartial;
  h = vnet_send(*b, 200);  // a link header longer than the frame
  EXPECT_EQ(std::memcmp(&h, &zero, sizeof h), 0);
}

TEST(Vnet, SendOfAPartialChecksumAsksTheKernelToFinishIt) {
  Pool pool;
  for (bool ether : {false, true})
    for (bool v6 : {false, true})
      for (bool tcp : {false, true}) {
        auto b = block(pool, frame(ether, v6, tcp, 300));
        b->flags = Block::kCsumPartial;
        const auto before = std::vector<uint8_t>(b->span().begin(), b->span().end());
        VnetHdr h = vnet_send(*b, ether ? 14 : 0);
        const size_t l4 = (ether ? 14 : 0) + (v6 ? 40 : 20);
        EXPECT_EQ(h.flags, VnetHdr::kNeedsCsum);
        EXPECT_EQ(h.gso_type, VnetHdr::kGsoNone);
        EXPECT_EQ(le16toh(h.csum_start), l4);
        EXPECT_EQ(le16toh(h.csum_offset), tcp ? 16 : 6);
        EXPECT_EQ(std::vector<uint8_t>(b->span().begin(), b->span().end()), before);
      }
}

TEST(Vnet, SendOfALargeSegmentNamesItsTypeAndHeaders) {
  Pool pool;
  struct Case {
    bool v6, tcp;
    uint8_t type;
  } cases[] = {{false, true, VnetHdr::kGsoTcp4},
               {true, true, VnetHdr::kGsoTcp6},
               {false, false, VnetHdr::kGsoUdpL4},
               {true, false, VnetHdr::kGsoUdpL4}};
  for (const Case& c : cases) {
    auto b = block(pool, frame(true, c.v6, c.tcp, 5000));
    b->gso_size = 1400;  // a whole checksum in the field: turned into the partial sum
    VnetHdr h = vnet_send(*b, 14);
    const size_t l4 = 14 + (c.v6 ? 40 : 20), thl = c.tcp ? 32 : 8;
    EXPECT_EQ(h.flags, VnetHdr::kNeedsCsum);
    EXPECT_EQ(h.gso_type, c.type);
    EXPECT_EQ(le16toh(h.gso_size), 1400);
    EXPECT_EQ(le16toh(h.hdr_len), l4 + thl);
    EXPECT_EQ(le16toh(h.csum_start), l4);
    const uint8_t* field = b->data() + l4 + (c.tcp ? 16 : 6);
    // The pseudo-header sum (addresses, protocol, L4 length), folded and
    // not complemented: computed long-hand.
    uint32_t s = 0;
    const uint8_t* ip = b->data() + 14;
    if (c.v6)
      for (int i = 8; i < 40; i += 2)
        s += load16(ip + i);
    else
      for (int i = 12; i < 20; i += 2)
        s += load16(ip + i);
    s += (c.tcp ? 6 : 17) + uint32_t(thl + 5000);
    while (s >> 16)
      s = (s & 0xffff) + (s >> 16);
    EXPECT_EQ(load16(field), s) << "v6 " << c.v6 << " tcp " << c.tcp;
  }
}

}  // namespace
}  // namespace ninet
