// ESP's header and trailer (wire/esp.h): parse and emit, padding to the
// cipher's block, and what parse refuses.
#include "wire/esp.h"

#include <gtest/gtest.h>

#include <vector>

namespace ninet::wire {
namespace {

using Bytes = std::vector<uint8_t>;

TEST(EspWireTest, HeaderParsesAndEmits) {
  const Bytes p = {0x00, 0x00, 0x43, 0x21, 0x00, 0x00, 0x00, 0x01, 0xaa};
  auto h = EspRepr::parse(p);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->spi, 0x4321u);
  EXPECT_EQ(h->seq, 1u);
  uint8_t out[8];
  h->emit(out);
  EXPECT_EQ(Bytes(out, out + 8), Bytes(p.begin(), p.begin() + 8));
  EXPECT_EQ(EspRepr::parse(Bytes(7)).error().code(), Err::TooShort);
  EXPECT_FALSE(EspRepr::parse(Bytes(8, 0)).ok()) << "SPI 0 is never sent";
}

TEST(EspWireTest, PaddingFillsTheBlock) {
  EXPECT_EQ(esp_pad_len(20, 16), 10u);  // 20 + 10 + 2 = 32
  EXPECT_EQ(esp_pad_len(14, 16), 0u);
  EXPECT_EQ(esp_pad_len(15, 16), 15u);
  EXPECT_EQ(esp_pad_len(2, 4), 0u);
  EXPECT_EQ(esp_pad_len(3, 4), 3u);
  for (size_t block : {4u, 8u, 16u})
    for (size_t n = 0; n < 100; n++)
      EXPECT_EQ((n + esp_pad_len(n, block) + 2) % block, 0u) << n << " " << block;
}

TEST(EspWireTest, TrailerRoundTrip) {
  Bytes plain = {0xde, 0xad, 0xbe};
  const size_t pad = esp_pad_len(plain.size(), 8);
  plain.resize(plain.size() + pad + 2);
  esp_emit_trailer(plain.data() + 3, pad, esp::kNextIp6);
  EXPECT_EQ(plain, (Bytes{0xde, 0xad, 0xbe, 1, 2, 3, 3, 41}));
  auto t = EspTrailer::parse(plain);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->payload_len, 3u);
  EXPECT_EQ(t->pad_len, 3);
  EXPECT_EQ(t->next_header, 41);
}

TEST(EspWireTest, TrailerRefusals) {
  EXPECT_EQ(EspTrailer::parse(Bytes{4}).error().code(), Err::TooShort);
  EXPECT_FALSE(EspTrailer::parse(Bytes{1, 2, 3, 4}).ok()) << "pad length 3 past 2 bytes";
  EXPECT_FALSE(EspTrailer::parse(Bytes{0xaa, 1, 9, 2, 4}).ok()) << "padding 1, 9";
  EXPECT_TRUE(EspTrailer::parse(Bytes{0xaa, 1, 2, 2, 4}).ok());
}

}  // namespace
}  // namespace ninet::wire
