// sendbuf_test — TCP's send buffer: a ring that keeps byte order across
// wraps and growth, and holds no memory once everything is acknowledged.
#include <gtest/gtest.h>

#include <vector>

#include "proto/tcp/tcb.h"

namespace ninet::tcp {
namespace {

std::vector<uint8_t> seq(size_t n, uint8_t from) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; i++)
    v[i] = uint8_t(from + i);
  return v;
}

TEST(SendBuf, KeepsOrderAcrossWrapsAndGrowth) {
  SendBuf b;
  EXPECT_EQ(b.capacity(), 0u);
  EXPECT_EQ(b.push(seq(3000, 0)), 3000u);
  EXPECT_EQ(b.capacity(), 4096u);
  b.consume(2500);                         // head moves near the end
  EXPECT_EQ(b.push(seq(2000, 7)), 2000u);  // wraps
  EXPECT_EQ(b.capacity(), 4096u);
  EXPECT_EQ(b.push(seq(10000, 99)), 10000u);  // grows with the ring wrapped
  EXPECT_EQ(b.size(), 12500u);
  std::vector<uint8_t> got(b.size());
  b.copy(0, got.data(), got.size());
  std::vector<uint8_t> want = seq(3000, 0);
  want.erase(want.begin(), want.begin() + 2500);
  for (auto& v : {seq(2000, 7), seq(10000, 99)})
    want.insert(want.end(), v.begin(), v.end());
  EXPECT_EQ(got, want);
}

TEST(SendBuf, AnIdleBufferHoldsNoMemory) {
  SendBuf b;
  b.push(seq(64, 1));
  EXPECT_GT(b.capacity(), 0u);
  b.consume(63);
  EXPECT_GT(b.capacity(), 0u) << "a byte is still unacknowledged";
  b.consume(1);
  EXPECT_EQ(b.capacity(), 0u);
  EXPECT_EQ(b.space(), kSndBuf);
  EXPECT_EQ(b.push(seq(kSndBuf + 5, 0)), kSndBuf) << "full at kSndBuf";
  EXPECT_EQ(b.capacity(), kSndBuf);
}

}  // namespace
}  // namespace ninet::tcp
