// LruTable: lookups, recency order, eviction of the least recently used entry at the bound, and
// deletion that never breaks a probe sequence (checked against std::unordered_map).

#include "guard/lru_table.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace hardline::guard {
namespace {

// A deliberately weak hash so that keys collide and cluster: probing and deletion get exercised.
uint64_t weak_hash(uint64_t key) {
  return key % 7;
}

std::vector<uint64_t> keys_in_order(const LruTable<uint64_t, int>& table) {
  std::vector<uint64_t> keys;
  table.for_each([&](uint64_t key, int) { keys.push_back(key); });
  return keys;
}

TEST(LruTable, FindsWhatWasInserted) {
  LruTable<uint64_t, int> table(8);
  EXPECT_EQ(table.find(1, 1), nullptr);
  auto first = table.find_or_insert(1, 1);
  EXPECT_TRUE(first.inserted);
  EXPECT_EQ(first.value, 0);  // a new entry holds Value{}
  first.value = 10;
  auto again = table.find_or_insert(1, 1);
  EXPECT_FALSE(again.inserted);
  EXPECT_EQ(again.value, 10);
  ASSERT_NE(table.find(1, 1), nullptr);
  EXPECT_EQ(*table.find(1, 1), 10);
  EXPECT_EQ(table.size(), 1U);
}

TEST(LruTable, EvictsTheLeastRecentlyUsedWhenFull) {
  LruTable<uint64_t, int> table(3);
  for (uint64_t key : {1, 2, 3}) table.find_or_insert(key, key).value = static_cast<int>(key);
  EXPECT_EQ(keys_in_order(table), (std::vector<uint64_t>{3, 2, 1}));
  ASSERT_NE(table.find(1, 1), nullptr);          // 1 is now the most recent; 2 the least
  EXPECT_EQ(table.peek(3, 3) != nullptr, true);  // peek does not reorder
  EXPECT_EQ(keys_in_order(table), (std::vector<uint64_t>{1, 3, 2}));
  auto added = table.find_or_insert(4, 4);
  EXPECT_TRUE(added.inserted);
  EXPECT_EQ(table.size(), 3U);
  EXPECT_EQ(table.evictions(), 1U);
  EXPECT_EQ(table.find(2, 2), nullptr);
  EXPECT_EQ(keys_in_order(table), (std::vector<uint64_t>{4, 1, 3}));
  ASSERT_NE(table.oldest_key(), nullptr);
  EXPECT_EQ(*table.oldest_key(), 3U);
  table.erase_oldest();
  EXPECT_EQ(keys_in_order(table), (std::vector<uint64_t>{4, 1}));
}

TEST(LruTable, EraseKeepsCollidingKeysReachable) {
  LruTable<uint64_t, int> table(64);
  for (uint64_t key = 0; key < 40; ++key) table.find_or_insert(key, weak_hash(key)).value = 1;
  for (uint64_t key = 0; key < 40; key += 3) EXPECT_TRUE(table.erase(key, weak_hash(key)));
  EXPECT_FALSE(table.erase(0, weak_hash(0)));
  for (uint64_t key = 0; key < 40; ++key) {
    EXPECT_EQ(table.peek(key, weak_hash(key)) != nullptr, key % 3 != 0) << key;
  }
}

TEST(LruTable, AgreesWithAReferenceModelUnderRandomOperations) {
  constexpr uint32_t kCapacity = 50;
  LruTable<uint64_t, uint64_t> table(kCapacity);
  std::unordered_map<uint64_t, uint64_t> model;
  std::vector<uint64_t> recency;  // most recent last
  auto touch = [&](uint64_t key) {
    std::erase(recency, key);
    recency.push_back(key);
  };
  std::mt19937_64 random(42);
  for (int step = 0; step < 20000; ++step) {
    const uint64_t key = random() % 120;
    const uint64_t stable = weak_hash(key) * 1000 + key % 3;  // few distinct hashes: clusters
    switch (random() % 3) {
      case 0: {  // insert or update
        auto insertion = table.find_or_insert(key, stable);
        if (!model.count(key) && model.size() == kCapacity) {
          const uint64_t victim = recency.front();
          model.erase(victim);
          recency.erase(recency.begin());
        }
        EXPECT_EQ(insertion.inserted, !model.count(key));
        insertion.value = static_cast<uint64_t>(step);
        model[key] = static_cast<uint64_t>(step);
        touch(key);
        break;
      }
      case 1: {  // find
        uint64_t* value = table.find(key, stable);
        ASSERT_EQ(value != nullptr, model.count(key) == 1) << step;
        if (value != nullptr) {
          EXPECT_EQ(*value, model[key]);
          touch(key);
        }
        break;
      }
      default:  // erase
        EXPECT_EQ(table.erase(key, stable), model.erase(key) == 1);
        std::erase(recency, key);
        break;
    }
    ASSERT_EQ(table.size(), model.size());
    ASSERT_LE(table.size(), kCapacity);
  }
  std::vector<uint64_t> expected(recency.rbegin(), recency.rend());
  std::vector<uint64_t> actual;
  table.for_each([&](uint64_t key, uint64_t) { actual.push_back(key); });
  EXPECT_EQ(actual, expected);
}

TEST(LruTable, ValuesThatOwnMemoryAreResetOnReuse) {
  LruTable<uint64_t, std::string> table(1);
  table.find_or_insert(1, 1).value = "a long reason that does not fit a small string buffer";
  auto next = table.find_or_insert(2, 2);  // evicts 1 and reuses its slot
  EXPECT_TRUE(next.inserted);
  EXPECT_EQ(next.value, "");
}

}  // namespace
}  // namespace hardline::guard
