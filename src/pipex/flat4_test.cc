// Flat4 (flat4.h) against std::unordered_map: random inserts, replacements,
// finds and erases, with keys crowded into few slots so that runs wrap
// around the table's end and backward-shift deletion has work to do.
#include "pipex/flat4.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

namespace ninet::pipex {
namespace {

TEST(Flat4Test, EmptyFindsNothing) {
  Flat4<int> m;
  EXPECT_EQ(m.find(0), nullptr);
  EXPECT_EQ(m.find(7), nullptr);
  m.erase(7);
  EXPECT_TRUE(m.empty());
}

TEST(Flat4Test, InsertReplaceErase) {
  int a = 1, b = 2;
  Flat4<int> m;
  m.insert(0, &a);  // key 0 is a key like any other
  EXPECT_EQ(m.find(0), &a);
  m.insert(0, &b);
  EXPECT_EQ(m.find(0), &b);
  EXPECT_EQ(m.size(), 1u);
  m.erase(0);
  EXPECT_EQ(m.find(0), nullptr);
  EXPECT_TRUE(m.empty());
}

// The same operations on Flat4 and on std::unordered_map, checked after
// each: every key of the reference is found with its value, erased keys are
// not, and the sizes agree. Keys from small ranges collide, consecutive ones
// are a pool's addresses.
TEST(Flat4Test, MatchesAReferenceMapUnderRandomOperations) {
  std::mt19937 rng(7);
  std::vector<int> vals(64);
  for (uint32_t range : {8u, 200u, 5000u, 0xffffffffu}) {
    Flat4<int> m;
    std::unordered_map<uint32_t, int*> ref;
    for (int op = 0; op < 40000; op++) {
      const uint32_t k =
          range == 0xffffffffu ? uint32_t(rng()) % 3000 * 0x01000193u : rng() % range;
      int* v = &vals[rng() % vals.size()];
      switch (rng() % 3) {
        case 0:
        case 1:
          m.insert(k, v);
          ref[k] = v;
          break;
        default:
          m.erase(k);
          ref.erase(k);
      }
      ASSERT_EQ(m.size(), ref.size()) << "op " << op;
      const uint32_t probe =
          range == 0xffffffffu ? uint32_t(rng()) % 3000 * 0x01000193u : rng() % range;
      auto it = ref.find(probe);
      ASSERT_EQ(m.find(probe), it == ref.end() ? nullptr : it->second) << "op " << op;
    }
    for (auto [k, v] : ref)
      ASSERT_EQ(m.find(k), v);
    for (auto [k, v] : std::unordered_map<uint32_t, int*>(ref)) {
      m.erase(k);
      ASSERT_EQ(m.find(k), nullptr);
    }
    EXPECT_TRUE(m.empty());
  }
}

}  // namespace
}  // namespace ninet::pipex
