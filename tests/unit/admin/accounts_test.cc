#include "admin/accounts.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "store/sqlite_store.h"

namespace hardline::admin {
namespace {

namespace fs = std::filesystem;

TEST(Groups, NamesAreCheckedBeforeTheyAreStored) {
  struct Case {
    std::vector<std::string> groups;
    bool ok;
  };
  const Case cases[] = {
      {{}, true},
      {{"dialout"}, true},
      {{"dialout", "sales-2", "a.b_c"}, true},
      {{""}, false},
      {{"dial out"}, false},
      {{std::string(33, 'g')}, false},
      {{"dialout", "dialout"}, false},
      {{"x'); --"}, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(check_groups(c.groups).has_value(), c.ok) << (c.groups.empty() ? "" : c.groups[0]);
  }
}

TEST(Groups, AddAndChangeThroughTheStore) {
  const fs::path dir =
      fs::temp_directory_path() / ("hardline-accounts-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto store = store::open_sqlite(dir / "test.db", store::OpenMode::kCreate);
  ASSERT_TRUE(store);
  NewAccount account{"1000", "Alice", {"dialout"}, std::nullopt};
  ASSERT_TRUE(add_account(**store, "pbx.example.org", account, 1'700'000'000));
  EXPECT_FALSE(add_account(**store, "pbx.example.org",
                           NewAccount{"1001", "", {"bad group"}, std::nullopt}, 0));
  EXPECT_FALSE(*(*store)->find_account("1001"));  // refused before anything was stored
  ASSERT_TRUE(set_groups(**store, "1000", {"sales", "dialout"}));
  EXPECT_EQ((*(*store)->find_account("1000"))->groups,
            (std::vector<std::string>{"sales", "dialout"}));
  auto missing = set_groups(**store, "1002", {"sales"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), "no extension 1002");
  EXPECT_FALSE(set_groups(**store, "1000", {"a", "a"}));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hardline::admin
