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

TEST(DisplayNames, OnlyWhatAPhoneWouldShowIsStored) {
  // Issue 13: names were stored unchecked (newlines, escape codes, 10,000 characters) and
  // printed raw by `user list`.
  struct Case {
    std::string name;
    bool ok;
  };
  const Case cases[] = {
      {"", true},
      {"Alice Smith", true},
      {"Jürgen Groß", true},
      {"O'Brien \"Bob\"", true},
      {std::string(64, 'a'), true},
      {std::string(65, 'a'), false},
      {std::string(10000, 'a'), false},
      {"Alice\nBob", false},
      {"Evil\x1b[31mRed", false},
      {"Tab\there", false},
      {" Alice", false},
      {"Alice ", false},
      {"Al\u200bice", false},           // zero-width space
      {"moc.knab\u202e", false},        // right-to-left override
      {std::string("bad\xff"), false},  // invalid UTF-8
  };
  for (const Case& c : cases) {
    EXPECT_EQ(valid_display_name(c.name), c.ok) << c.name.substr(0, 20);
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
  auto escaped = add_account(**store, "pbx.example.org",
                             NewAccount{"1003", "Evil\x1b[2J", {}, std::nullopt}, 0);
  ASSERT_FALSE(escaped);
  EXPECT_NE(escaped.error().find("display name refused"), std::string::npos);
  EXPECT_FALSE(*(*store)->find_account("1003"));
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
