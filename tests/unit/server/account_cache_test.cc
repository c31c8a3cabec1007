#include "server/account_cache.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "store/sqlite_store.h"

namespace hardline::server {
namespace {

namespace fs = std::filesystem;

class AccountCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "hardline-cache-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto server = store::open_sqlite(dir_ / "hardline.db", store::OpenMode::kCreate);
    ASSERT_TRUE(server);
    server_store_ = std::move(*server);
    // `hardline user` runs in another process: here, another connection to the same file.
    auto cli = store::open_sqlite(dir_ / "hardline.db", store::OpenMode::kExisting);
    ASSERT_TRUE(cli);
    cli_store_ = std::move(*cli);
    add("201", "a");
  }
  void TearDown() override {
    server_store_.reset();
    cli_store_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  void add(const std::string& extension, const std::string& ha1) {
    store::Account account;
    account.extension = extension;
    account.ha1_md5 = ha1;
    account.ha1_sha256 = ha1 + ha1;
    ASSERT_TRUE(cli_store_->add_account(account));
  }
  std::optional<std::string> md5_of(AccountCache& cache, const std::string& extension) {
    auto found = cache.find(extension);
    EXPECT_TRUE(found);
    if (!found || !*found) return std::nullopt;
    return (*found)->ha1_md5;
  }

  fs::path dir_;
  ManualClock clock_;
  std::unique_ptr<store::Store> server_store_;
  std::unique_ptr<store::Store> cli_store_;
};

TEST_F(AccountCacheTest, SeesChangesFromAnotherProcessWithinTheRecheckTime) {
  AccountCache cache(clock_, *server_store_, {Millis(100), 1000});
  EXPECT_EQ(md5_of(cache, "201"), "a");
  EXPECT_EQ(md5_of(cache, "202"), std::nullopt);
  EXPECT_EQ(cache.size(), 2u);

  ASSERT_TRUE(cli_store_->set_credentials("201", "b", "bb"));
  add("202", "c");
  // Within the recheck time the cache answers from memory...
  clock_.advance(Millis(50));
  EXPECT_EQ(md5_of(cache, "201"), "a");
  EXPECT_EQ(md5_of(cache, "202"), std::nullopt);
  // ...and after it, the new password and the new account are there.
  clock_.advance(Millis(50));
  EXPECT_EQ(md5_of(cache, "201"), "b");
  EXPECT_EQ(md5_of(cache, "202"), "c");

  ASSERT_TRUE(cli_store_->remove_account("201"));
  clock_.advance(Millis(100));
  EXPECT_EQ(md5_of(cache, "201"), std::nullopt);
}

TEST_F(AccountCacheTest, StaysBoundedUnderGuessedExtensions) {
  AccountCache cache(clock_, *server_store_, {Millis(100), 10});
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(md5_of(cache, "guess" + std::to_string(i)), std::nullopt);
    EXPECT_LE(cache.size(), 10u);
  }
  EXPECT_EQ(md5_of(cache, "201"), "a");
  // A name longer than any extension can be is unknown without taking an entry.
  const size_t before = cache.size();
  EXPECT_EQ(md5_of(cache, std::string(4000, 'x')), std::nullopt);
  EXPECT_EQ(cache.size(), before);
}

}  // namespace
}  // namespace hardline::server
