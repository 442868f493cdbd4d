// crypto_testing.h — what the crypto tests share: the RFCs print their vectors
// in hex, so the tests write them that way too, and one Libcrypto for a test
// binary (opening it loads OpenSSL's providers).
//
//   EXPECT_EQ(to_hex(*lib()->md4(bytes_of("abc"))), "a448017aaf21d8525fc10ae87aa6729d");
//   auto key = from_hex("8B7CDC14 9B993A1B");   // blanks are ignored
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/libcrypto.h"

namespace ninet::crypto::testing {

using Bytes = std::vector<uint8_t>;

// The bytes of hex digits, blanks skipped; an odd digit or a non-hex character
// fails the test.
inline Bytes from_hex(std::string_view s) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Bytes out;
  int hi = -1;
  for (char c : s) {
    if (c == ' ' || c == '\n') continue;
    int n = nibble(c);
    EXPECT_GE(n, 0) << "not hex: " << c;
    if (hi < 0) {
      hi = n;
    } else {
      out.push_back(uint8_t(hi << 4 | n));
      hi = -1;
    }
  }
  EXPECT_EQ(hi, -1) << "odd number of hex digits";
  return out;
}

// Lower-case hex of any byte container.
template <typename T>
std::string to_hex(const T& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (uint8_t b : bytes) {
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

// A fixed-size array from hex (the test fails on a size mismatch).
template <size_t N>
std::array<uint8_t, N> array_from_hex(std::string_view s) {
  Bytes b = from_hex(s);
  std::array<uint8_t, N> a{};
  EXPECT_EQ(b.size(), N);
  std::copy_n(b.begin(), std::min(N, b.size()), a.begin());
  return a;
}

// The test binary's Libcrypto, opened once.
inline const std::shared_ptr<const Libcrypto>& lib() {
  static const std::shared_ptr<const Libcrypto> l = [] {
    auto r = Libcrypto::open();
    if (!r) ADD_FAILURE() << r.error().text();
    return r ? *r : nullptr;
  }();
  return l;
}

}  // namespace ninet::crypto::testing
