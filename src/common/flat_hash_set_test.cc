#include "common/flat_hash_set.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_set>

namespace edgeflow {
namespace {

TEST(FlatHashSet64Test, MatchesUnorderedSetUnderRandomOperations) {
  FlatHashSet64 set;
  std::unordered_set<uint64_t> reference;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    // Small key space (plus 0 and colliding low bits) to exercise probing.
    const uint64_t key = (rng() % 3000) * (i % 2 ? 1024 : 1);
    switch (rng() % 3) {
      case 0: ASSERT_EQ(set.insert(key), reference.insert(key).second); break;
      case 1: ASSERT_EQ(set.erase(key), reference.erase(key) == 1); break;
      default: ASSERT_EQ(set.contains(key), reference.count(key) == 1); break;
    }
    ASSERT_EQ(set.size(), reference.size());
  }
  for (uint64_t key : reference) EXPECT_TRUE(set.contains(key));
}

TEST(FlatHashSet64Test, DoesNotAllocatePerInsertOnceGrown) {
  FlatHashSet64 set;
  for (uint64_t k = 1; k <= 1000; ++k) set.insert(k * 0x9E3779B97F4A7C15ull);
  const size_t bytes = set.capacity_bytes();
  for (uint64_t k = 1; k <= 1000; ++k) set.erase(k * 0x9E3779B97F4A7C15ull);
  for (uint64_t k = 2001; k <= 3000; ++k) set.insert(k * 0x9E3779B97F4A7C15ull);
  EXPECT_EQ(set.capacity_bytes(), bytes);
}

}  // namespace
}  // namespace edgeflow
