// Network-order loads, stores and appends, on unaligned bytes.
#include "base/endian.h"

#include <gtest/gtest.h>

#include <vector>

namespace ninet {
namespace {

TEST(Endian, LoadsAndStoresAreBigEndianAtAnyAlignment) {
  uint8_t b[7] = {0xff, 0, 0, 0, 0, 0, 0xff};
  store16(b + 1, 0x1234);
  store32(b + 3, 0x89abcdef);
  EXPECT_EQ(std::vector<uint8_t>(b, b + 7),
            (std::vector<uint8_t>{0xff, 0x12, 0x34, 0x89, 0xab, 0xcd, 0xef}));
  EXPECT_EQ(load16(b + 1), 0x1234);
  EXPECT_EQ(load32(b + 3), 0x89abcdefu);
  EXPECT_EQ(load16(b + 2), 0x3489) << "odd offsets";
}

TEST(Endian, AppendsGrowAMessage) {
  std::vector<uint8_t> m = {7};
  append16(m, 0xc021);
  append32(m, 0x01020304);
  EXPECT_EQ(m, (std::vector<uint8_t>{7, 0xc0, 0x21, 1, 2, 3, 4}));
  EXPECT_EQ(load32(m.data() + 3), 0x01020304u);
}

}  // namespace
}  // namespace ninet
