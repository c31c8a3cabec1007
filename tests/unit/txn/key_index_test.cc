#include "txn/key_index.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace hardline::txn::test {
namespace {

// Drives the index with chosen hashes (few distinct values, so runs collide and wrap around the
// end of the array) against a std::map reference.
TEST(KeyIndex, MatchesAReferenceUnderChurnWithCollisions) {
  KeyIndex index(KeyedHash{1, 2});
  std::map<uint64_t, std::pair<std::string, uint64_t>> live;  // id -> (key, hash)
  auto key_of = [&](uint64_t id) { return std::string_view(live.at(id).first); };
  std::vector<uint64_t> ids;  // live ids, for picking one to erase
  std::mt19937_64 random(7);
  uint64_t next_id = 1;
  for (int step = 0; step < 20000; ++step) {
    if (live.empty() || random() % 3 != 0) {
      const uint64_t id = next_id++;
      // Hashes near the top of any power-of-two mask make runs wrap around.
      const uint64_t h = (random() % 8 == 0) ? ~uint64_t{0} - (random() % 4) : random() % 40;
      std::string key = "key-" + std::to_string(id);
      ASSERT_FALSE(index.find(key, h, key_of).has_value());
      live[id] = {key, h};
      ids.push_back(id);
      index.insert(h, id);
    } else {
      const size_t pick = random() % ids.size();
      const uint64_t id = ids[pick];
      ids[pick] = ids.back();
      ids.pop_back();
      index.erase(live.at(id).second, id);
      live.erase(id);
    }
    if (step % 997 == 0) {
      for (const auto& [id, entry] : live) {
        ASSERT_EQ(index.find(entry.first, entry.second, key_of), std::optional<uint64_t>(id));
      }
    }
  }
  EXPECT_EQ(index.size(), live.size());
}

TEST(KeyIndex, SameHashDifferentKeysAreTold) {
  KeyIndex index(KeyedHash{1, 2});
  std::map<uint64_t, std::string> keys{{1, "a"}, {2, "b"}};
  auto key_of = [&](uint64_t id) { return std::string_view(keys.at(id)); };
  index.insert(5, 1);
  index.insert(5, 2);
  EXPECT_EQ(index.find("b", 5, key_of), std::optional<uint64_t>(2));
  EXPECT_EQ(index.find("a", 5, key_of), std::optional<uint64_t>(1));
  EXPECT_FALSE(index.find("c", 5, key_of).has_value());
  index.erase(5, 1);
  EXPECT_FALSE(index.find("a", 5, key_of).has_value());
  EXPECT_EQ(index.find("b", 5, key_of), std::optional<uint64_t>(2));
}

}  // namespace
}  // namespace hardline::txn::test
