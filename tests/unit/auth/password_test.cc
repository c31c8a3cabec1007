// Password generation (length, alphabet, uniformity) and the strength check table.

#include "auth/password.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

using namespace hardline::auth;

namespace {

TEST(PasswordTest, AlphabetIsLargeAndAvoidsTroublesomeCharacters) {
  EXPECT_GE(kPasswordAlphabet.size(), 62u);
  EXPECT_EQ(std::set<char>(kPasswordAlphabet.begin(), kPasswordAlphabet.end()).size(),
            kPasswordAlphabet.size())
      << "a symbol listed twice would be drawn twice as often";
  for (char c : std::string_view("\"\\ '`&<>#$0O1lI")) {
    EXPECT_EQ(kPasswordAlphabet.find(c), std::string_view::npos) << c;
  }
  for (char c : kPasswordAlphabet) {
    EXPECT_GT(static_cast<unsigned char>(c), 0x20);
    EXPECT_LT(static_cast<unsigned char>(c), 0x7f);
  }
}

TEST(PasswordTest, GeneratesTheRequestedLength) {
  EXPECT_EQ(generate_password().size(), 24u);
  EXPECT_EQ(generate_password(20).size(), 20u);
  EXPECT_EQ(generate_password(64).size(), 64u);
  EXPECT_EQ(generate_password(200).size(), 200u);
  EXPECT_EQ(generate_password(5).size(), kMinGeneratedLength);  // never shorter than 20
  EXPECT_EQ(generate_password(0).size(), kMinGeneratedLength);
}

TEST(PasswordTest, UsesOnlyTheAlphabetAndNeverRepeats) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string password = generate_password();
    EXPECT_EQ(password.find_first_not_of(kPasswordAlphabet), std::string::npos) << password;
    EXPECT_TRUE(seen.insert(password).second);
  }
}

TEST(PasswordTest, SymbolsAreUniform) {
  // 20,000 passwords of 24: each of the 70 symbols is expected about 6,857 times, with a standard
  // deviation of about 82, so ±6 % is five of them (a false alarm about once in 25,000 runs).
  // Plain `byte % 70` makes the first 46 symbols 9 % likelier and the other 24 18 % rarer than
  // they should be; a symbol never drawn is off by 100 %.
  std::map<char, int> counts;
  constexpr int kPasswords = 20000;
  for (int i = 0; i < kPasswords; ++i) {
    for (char c : generate_password(24)) ++counts[c];
  }
  const double expected = kPasswords * 24.0 / static_cast<double>(kPasswordAlphabet.size());
  EXPECT_EQ(counts.size(), kPasswordAlphabet.size());
  for (char c : kPasswordAlphabet) {
    EXPECT_GT(counts[c], expected * 0.94) << c;
    EXPECT_LT(counts[c], expected * 1.06) << c;
  }
}

TEST(PasswordTest, GeneratedPasswordsPassTheStrengthCheck) {
  for (int i = 0; i < 50; ++i) {
    const std::string password = generate_password();
    const auto verdict = check_password_strength(password, "1001", "hardline.test");
    EXPECT_TRUE(verdict.has_value()) << verdict.error();
  }
}

TEST(PasswordTest, GeneratePasswordForAvoidsTheAccountsOwnNames) {
  for (int i = 0; i < 200; ++i) {
    const std::string password = generate_password_for("abc", "sip.xyzw.test", 20);
    EXPECT_EQ(password.size(), 20u);
    EXPECT_TRUE(check_password_strength(password, "abc", "sip.xyzw.test").has_value());
  }
}

TEST(PasswordTest, StrengthCheckTable) {
  struct Case {
    const char* password;
    const char* extension;
    const char* domain;
    const char* reason;  // nullptr when accepted; else a word the reason must contain
  };
  const std::string too_long(129, 'x');
  const Case kCases[] = {
      {"Xk9!mP2%vL", "1001", "hardline.test", "shorter than 12"},
      {"", "1001", "hardline.test", "shorter than 12"},
      {"Xk9!mP2%vLq", "1001", "hardline.test", "shorter than 12"},  // 11
      {"password1234", "1001", "hardline.test", "too easy"},
      {"qwertyuiop123", "1001", "hardline.test", "too easy"},
      {"Password2024!", "1001", "hardline.test", "too easy"},
      {"iloveyou1234", "1001", "hardline.test", "too easy"},
      {"aaaaaaaaaaaaaaaa", "1001", "hardline.test", "too easy"},
      {"123456789012", "1001", "hardline.test", "too easy"},
      {"Summer2023!!", "1001", "hardline.test", "too easy"},
      {"Wm8!qTz41001pLv9@Rk", "1001", "hardline.test", "extension"},
      {"Wm8!qTz4x201pLv9@Rk", "x201", "hardline.test", "extension"},
      {"Wm8!qTz4X201pLv9@Rk", "x201", "hardline.test", "extension"},  // any case
      {"Wm8!HardLine.TEST@Rk", "1001", "hardline.test", "domain name"},
      {"Wm8!HARDLINE9@Rkz", "1001", "hardline.test", "part of the domain"},
      {"Wm8!qTz4acmecorp@Rk", "1001", "sip.acmecorp.example", "part of the domain"},
      {"Wm8!qTz4\tpLv9@Rk", "1001", "hardline.test", "control character"},
      {too_long.c_str(), "1001", "hardline.test", "longer than 128"},
      // Accepted.
      {"Wm8!qTz4pLv9@Rk", "1001", "hardline.test", nullptr},
      {"Xq7!vR2%kM9t", "1001", "hardline.test", nullptr},  // exactly 12
      {"correct horse battery staple", "1001", "hardline.test", nullptr},
      {"Tr0ub4dor&3-horse-staple", "1001", "hardline.test", nullptr},
      {"Wm8!qTz4sippLv9@Rk", "1001", "sip.test", nullptr},    // labels under 4: sip, test
      {"Wm8!qTz4-7-pLv9@Rk", "7", "hardline.test", nullptr},  // extension under 3
      {"Wm8!qTz4pLv9@Rk", "", "", nullptr},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.password);
    const auto verdict = check_password_strength(row.password, row.extension, row.domain);
    if (row.reason == nullptr) {
      EXPECT_TRUE(verdict.has_value()) << verdict.error();
      continue;
    }
    ASSERT_FALSE(verdict.has_value());
    EXPECT_NE(verdict.error().find(row.reason), std::string::npos) << verdict.error();
    EXPECT_TRUE(!verdict.error().empty() && verdict.error().back() == '.') << verdict.error();
  }
}

TEST(PasswordTest, ReasonsNeverQuoteThePassword) {
  for (const char* password :
       {"short9!", "password1234", "Wm8!qTz41001pLv9@Rk", "Wm8!hardline.test@Rk"}) {
    const auto verdict = check_password_strength(password, "1001", "hardline.test");
    ASSERT_FALSE(verdict.has_value()) << password;
    EXPECT_EQ(verdict.error().find(password), std::string::npos);
    EXPECT_EQ(verdict.error().find("1001"), std::string::npos);
    EXPECT_EQ(verdict.error().find("hardline"), std::string::npos);
  }
}

TEST(PasswordTest, ZxcvbnScoreThresholds) {
  struct Case {
    double bits;
    int score;
  };
  constexpr Case kCases[] = {
      {0, 0},     {9.9, 0},  {10.0, 1},  // 2^9.9 < 10^3 <= 2^10
      {19.9, 1},  {20.0, 2},             // 10^6
      {26.5, 2},  {26.6, 3},             // 10^8 = 2^26.58
      {33.2, 3},  {33.3, 4},             // 10^10 = 2^33.22
      {128.0, 4},
  };
  for (const Case& row : kCases) EXPECT_EQ(zxcvbn_score(row.bits), row.score) << row.bits;
}

}  // namespace
