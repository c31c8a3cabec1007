#include "admin/token.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

namespace hardline::admin {
namespace {

namespace fs = std::filesystem;

class TokenFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "hardline-token-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  fs::path dir_;
};

TEST(Token, GeneratedTokensAreBase64urlOf32RandomBytes) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const std::string token = generate_token();
    ASSERT_EQ(token.size(), kTokenLength);
    for (char c : token) {
      EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_')
          << token;
    }
    EXPECT_TRUE(seen.insert(token).second);
  }
}

TEST(Token, VerifierTable) {
  const std::string token = generate_token();
  auto hash = hash_token(token, true);
  ASSERT_TRUE(hash);
  EXPECT_TRUE(hash->starts_with("$argon2id$"));
  EXPECT_EQ(hash->find(token), std::string::npos);
  TokenVerifier verifier(*hash);
  EXPECT_TRUE(verifier.configured());
  struct Case {
    std::string presented;
    bool valid;
  };
  const Case cases[] = {
      {"", false},
      {token.substr(1), false},
      {token + "x", false},
      {std::string(token.size(), 'A'), false},
      {std::string(kMaxPresentedTokenLength + 1, 'A'), false},
      {token, true},
  };
  for (const Case& c : cases) EXPECT_EQ(verifier.verify(c.presented), c.valid) << c.presented;
}

TEST(Token, OnlyAVerifiedTokenIsCached) {
  const std::string token = generate_token();
  TokenVerifier verifier(*hash_token(token, true));
  EXPECT_FALSE(verifier.cached(token));  // nothing verified yet
  EXPECT_FALSE(verifier.verify("wrong"));
  EXPECT_FALSE(verifier.cached("wrong"));
  EXPECT_TRUE(verifier.verify(token));
  EXPECT_TRUE(verifier.cached(token));
  EXPECT_FALSE(verifier.cached(token.substr(0, token.size() - 1)));
  EXPECT_FALSE(verifier.cached(""));
}

TEST(Token, NoHashRefusesEverything) {
  TokenVerifier verifier("");
  EXPECT_FALSE(verifier.configured());
  EXPECT_FALSE(verifier.verify(""));
  EXPECT_FALSE(verifier.verify("anything"));
}

TEST(Token, TheInteractiveCostIsTheDefault) {
  auto hash = hash_token("x");
  ASSERT_TRUE(hash);
  // 64 MiB, two passes: crypto_pwhash_OPSLIMIT/MEMLIMIT_INTERACTIVE (see token.h for why).
  EXPECT_TRUE(hash->starts_with("$argon2id$v=19$m=65536,t=2,p=1$")) << *hash;
}

TEST_F(TokenFileTest, CreatedWithMode0600NeverOverwrittenAndRotatedInPlace) {
  const fs::path path = dir_ / "admin-token.hash";
  auto token = create_token_file(path, false);
  ASSERT_TRUE(token) << token.error();
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600U);
  auto hash = read_token_hash(path);
  ASSERT_TRUE(hash) << hash.error();
  {
    TokenVerifier verifier(*hash);
    EXPECT_TRUE(verifier.verify(*token));
  }
  EXPECT_FALSE(create_token_file(path, false));  // init never replaces a token

  auto rotated = create_token_file(path, true);
  ASSERT_TRUE(rotated);
  EXPECT_NE(*rotated, *token);
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600U);
  TokenVerifier verifier(*read_token_hash(path));
  EXPECT_FALSE(verifier.verify(*token));
  EXPECT_TRUE(verifier.verify(*rotated));
  EXPECT_FALSE(fs::exists(dir_ / "admin-token.hash.new"));
}

TEST_F(TokenFileTest, ReadRefusesWhatIsNotAHashFile) {
  const auto write = [&](const char* name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  };
  EXPECT_FALSE(read_token_hash(dir_ / "missing"));
  EXPECT_NE(read_token_hash(dir_ / "missing").error().find("hardline admin token"),
            std::string::npos);
  EXPECT_FALSE(read_token_hash(write("plain", "the-token-itself\n")));
  EXPECT_FALSE(read_token_hash(write("empty", "")));
  EXPECT_FALSE(read_token_hash(write("long", "$argon2id$" + std::string(1000, 'a'))));
  EXPECT_FALSE(read_token_hash(write("two", "$argon2id$a\n$argon2id$b\n")));
  EXPECT_FALSE(read_token_hash(dir_));  // a directory
  const fs::path good = write("good", *hash_token("x", true) + "\n");
  EXPECT_TRUE(read_token_hash(good));
  fs::create_symlink(good, dir_ / "link");
  EXPECT_FALSE(read_token_hash(dir_ / "link"));
}

}  // namespace
}  // namespace hardline::admin
