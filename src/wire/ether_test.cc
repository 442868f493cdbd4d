// Tests for the Ethernet II header: literal frames, emit/parse round trips, short frames.
#include "wire/ether.h"

#include <gtest/gtest.h>

#include <vector>

namespace ninet::wire {
namespace {

using Bytes = std::vector<uint8_t>;

// A broadcast ARP frame from 52:54:00:12:34:56 (header only).
const Bytes kArpHeader = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // dst
                          0x52, 0x54, 0x00, 0x12, 0x34, 0x56,  // src
                          0x08, 0x06};                         // type ARP

TEST(EtherTest, ParsesFields) {
  auto e = EtherRepr::parse(kArpHeader);
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->dst.is_broadcast());
  EXPECT_EQ(e->src.str(), "525400123456");
  EXPECT_EQ(e->type, ethertype::kArp);
  EXPECT_EQ(e->header_len(), 14u);
}

TEST(EtherTest, ParsesFieldsOfALongerFrame) {
  Bytes f = kArpHeader;
  f[12] = 0x86;
  f[13] = 0xdd;
  f.resize(60, 0xaa);  // payload and padding are not the header's business
  auto e = EtherRepr::parse(f);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->type, ethertype::kIp6);
  EXPECT_EQ(e->src[5], 0x56);
}

TEST(EtherTest, EmitWritesTheLiteralBytes) {
  EtherRepr r{Mac::broadcast(), *Mac::parse("52:54:00:12:34:56"), ethertype::kArp};
  Bytes out(14, 0xee);
  r.emit(out.data());
  EXPECT_EQ(out, kArpHeader);
}

TEST(EtherTest, RoundTrip) {
  EtherRepr r{*Mac::parse("33:33:00:00:00:01"), *Mac::parse("02:00:00:00:00:07"),
              ethertype::kPppoeSession};
  Bytes out(EtherRepr::kLen);
  r.emit(out.data());
  auto back = EtherRepr::parse(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->dst, r.dst);
  EXPECT_EQ(back->src, r.src);
  EXPECT_EQ(back->type, r.type);
  EXPECT_TRUE(back->dst.is_multicast());
}

TEST(EtherTest, RejectsShortFrames) {
  for (size_t n = 0; n < EtherRepr::kLen; n++) {
    auto e = EtherRepr::parse(std::span(kArpHeader).first(n));
    ASSERT_FALSE(e.ok()) << n;
    EXPECT_EQ(e.error().code(), Err::TooShort);
  }
}

}  // namespace
}  // namespace ninet::wire
