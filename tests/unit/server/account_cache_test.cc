#include "server/account_cache.h"

#include <gtest/gtest.h>

#include <array>
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
  EXPECT_EQ(cache.size(), 1u);  // every account, and nothing for a name that is none

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
  // More accounts than it holds, so that it reads names one by one and caches the misses.
  for (int i = 0; i < 11; ++i) add("40" + std::to_string(i), "y");
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

// Issue 12, finding 8: the first lookup of an existing name was slower than of a missing one (a
// database read that found a row). While the accounts fit, every one is held: an existing and a
// missing name are answered by the same hash-table probe, neither reads the database.
TEST_F(AccountCacheTest, ExistingAndMissingNamesCostTheSameWhileEveryAccountIsHeld) {
  add("202", "b");
  AccountCache cache(clock_, *server_store_, {Millis(100), 1000});
  EXPECT_EQ(md5_of(cache, "999"), std::nullopt);  // the very first lookup loads them all
  EXPECT_TRUE(cache.complete());
  EXPECT_EQ(md5_of(cache, "202"), "b");
  EXPECT_EQ(md5_of(cache, "998"), std::nullopt);
  EXPECT_EQ(md5_of(cache, "201"), "a");
  EXPECT_EQ(cache.single_reads(), 0u);
  EXPECT_EQ(cache.size(), 2u);
  // A change from another process loads them all again, still without single reads.
  add("203", "c");
  clock_.advance(Millis(100));
  EXPECT_EQ(md5_of(cache, "203"), "c");
  EXPECT_EQ(md5_of(cache, "204"), std::nullopt);
  EXPECT_EQ(cache.single_reads(), 0u);
}

TEST_F(AccountCacheTest, MoreAccountsThanItHoldsFallsBackToSingleReads) {
  for (int i = 0; i < 5; ++i) add("30" + std::to_string(i), "x" + std::to_string(i));
  AccountCache cache(clock_, *server_store_, {Millis(100), 3});
  EXPECT_EQ(md5_of(cache, "302"), "x2");
  EXPECT_FALSE(cache.complete());
  EXPECT_EQ(md5_of(cache, "999"), std::nullopt);
  EXPECT_EQ(cache.single_reads(), 2u);
  EXPECT_LE(cache.size(), 3u);
}

// Issue 13, item 1: each account's digest policy, and a camouflage for names that are none.
TEST_F(AccountCacheTest, KnowsEachAccountsDigestPolicyAndSeesItChange) {
  add("202", "b");
  ASSERT_TRUE(cli_store_->set_digest("202", "md5", false));
  AccountCache cache(clock_, *server_store_, {Millis(0), 1000});
  auto found = cache.find("201");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->policy, auth::DigestPolicy::kAny);
  EXPECT_EQ(cache.challenge_policy("202"), auth::DigestPolicy::kMd5);
  // `hardline user digest` in another process: seen at the next look.
  ASSERT_TRUE(cli_store_->set_digest("201", "sha-256", true));
  EXPECT_EQ(cache.challenge_policy("201"), auth::DigestPolicy::kSha256);
  found = cache.find("201");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->ha1_md5, "");
  // A policy this code does not know (an edited database) is the strictest.
  ASSERT_TRUE(cli_store_->set_digest("202", "sha-1", false));
  EXPECT_EQ(cache.challenge_policy("202"), auth::DigestPolicy::kSha256);
}

TEST_F(AccountCacheTest, PinningInThisProcessShowsAtOnce) {
  AccountCache cache(clock_, *server_store_, {Millis(100), 1000});
  ASSERT_TRUE(cache.find("201"));
  // The server's own write does not change the data version it watches.
  ASSERT_TRUE(server_store_->set_digest("201", "sha-256", true, "any"));
  cache.pinned_sha256("201");
  auto found = cache.find("201");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->policy, auth::DigestPolicy::kSha256);
  EXPECT_EQ((*found)->ha1_md5, "");
  EXPECT_EQ((*found)->ha1_sha256, "aa");
  cache.pinned_sha256("999");  // no such account: nothing happens
  EXPECT_FALSE(*cache.find("999"));
}

TEST_F(AccountCacheTest, UnknownNamesDrawPoliciesWithTheAccountsOdds) {
  // 201 is "any"; ten "md5" and nine "sha-256" more: 1/20, 10/20, 9/20.
  for (int i = 0; i < 19; ++i) {
    const std::string extension = "4" + std::to_string(10 + i);
    add(extension, "h");
    ASSERT_TRUE(cli_store_->set_digest(extension, i < 10 ? "md5" : "sha-256", i >= 10));
  }
  AccountCache cache(clock_, *server_store_, {Millis(0), 1000});
  std::array<int, 3> drawn{};
  for (int i = 0; i < 4000; ++i) {
    const std::string name = "9" + std::to_string(i);
    const auto policy = cache.challenge_policy(name);
    ASSERT_TRUE(policy);
    ++drawn[static_cast<size_t>(*policy)];
    // Stable: the same name always draws the same policy.
    EXPECT_EQ(cache.policy_for_unknown(name), *policy);
  }
  // Expected 200, 2000, 1800; the bounds are more than 6 standard deviations wide.
  EXPECT_GT(drawn[static_cast<size_t>(auth::DigestPolicy::kAny)], 120);
  EXPECT_LT(drawn[static_cast<size_t>(auth::DigestPolicy::kAny)], 290);
  EXPECT_GT(drawn[static_cast<size_t>(auth::DigestPolicy::kMd5)], 1800);
  EXPECT_LT(drawn[static_cast<size_t>(auth::DigestPolicy::kMd5)], 2200);
  EXPECT_GT(drawn[static_cast<size_t>(auth::DigestPolicy::kSha256)], 1600);
  EXPECT_LT(drawn[static_cast<size_t>(auth::DigestPolicy::kSha256)], 2000);
  // Accounts answer with their own.
  EXPECT_EQ(cache.challenge_policy("201"), auth::DigestPolicy::kAny);
  EXPECT_EQ(cache.challenge_policy("410"), auth::DigestPolicy::kMd5);
  EXPECT_EQ(cache.challenge_policy("428"), auth::DigestPolicy::kSha256);
}

TEST_F(AccountCacheTest, ChallengePolicyNeverReadsSingleAccounts) {
  for (int i = 0; i < 5; ++i) add("30" + std::to_string(i), "x");
  ASSERT_TRUE(cli_store_->set_digest("302", "md5", false));
  AccountCache cache(clock_, *server_store_, {Millis(100), 3});
  // More accounts than it holds: a name not looked up yet is "any", without a database read.
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(cache.challenge_policy("9" + std::to_string(i)), auth::DigestPolicy::kAny);
  }
  EXPECT_EQ(cache.challenge_policy("302"), auth::DigestPolicy::kAny);
  EXPECT_EQ(cache.single_reads(), 0u);
  // Once authenticated (find reads it), its own policy.
  ASSERT_TRUE(cache.find("302"));
  EXPECT_EQ(cache.challenge_policy("302"), auth::DigestPolicy::kMd5);
}

}  // namespace
}  // namespace hardline::server
