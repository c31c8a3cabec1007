#include "common/flat_map64.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

namespace hardline {
namespace {

// Random inserts and erases against a std::map reference, with keys that share low bits and
// key 0, so runs collide and wrap around the end of the array.
TEST(FlatMap64, MatchesAReferenceUnderChurn) {
  FlatMap64<int> map;
  std::map<uint64_t, int> reference;
  std::vector<uint64_t> keys;
  std::mt19937_64 random(11);
  for (int step = 0; step < 50000; ++step) {
    if (keys.empty() || random() % 3 != 0) {
      const uint64_t key = (random() % 4 == 0) ? random() % 64 : random() << 20;
      if (reference.contains(key)) continue;
      map.insert(key, step);
      reference[key] = step;
      keys.push_back(key);
    } else {
      const size_t pick = random() % keys.size();
      const uint64_t key = keys[pick];
      keys[pick] = keys.back();
      keys.pop_back();
      EXPECT_TRUE(map.erase(key));
      EXPECT_FALSE(map.erase(key));
      reference.erase(key);
    }
    if (step % 4999 == 0) {
      for (const auto& [key, value] : reference) {
        const int* found = map.find(key);
        ASSERT_NE(found, nullptr);
        EXPECT_EQ(*found, value);
      }
    }
  }
  EXPECT_EQ(map.size(), reference.size());
  EXPECT_EQ(map.find(0xdeadbeefULL << 1), nullptr);
}

TEST(FlatMap64, EmptyMapFindsNothing) {
  FlatMap64<int> map;
  EXPECT_EQ(map.find(0), nullptr);
  EXPECT_FALSE(map.erase(0));
  map.insert(0, 5);  // key 0 is an ordinary key
  ASSERT_NE(map.find(0), nullptr);
  EXPECT_EQ(*map.find(0), 5);
}

}  // namespace
}  // namespace hardline
