#include "routing/caller_id.h"

#include <gtest/gtest.h>

#include <string>

namespace hardline::routing {
namespace {

TEST(CallerId, AccountsShowTheirOwnNumberAndName) {
  EXPECT_EQ(caller_id_for_account("1000", "Alice Smith"), (CallerId{"1000", "Alice Smith", false}));
  EXPECT_EQ(caller_id_for_account("1000", ""), (CallerId{"1000", "", false}));
}

TEST(CallerId, DisplayNamesAreMadeSafeToQuote) {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"Alice", "Alice"},
      {"  Alice  ", "Alice"},
      {"Al\"ice\\", "Alice"},
      {"Bob\r\nVia: evil", "BobVia: evil"},
      {std::string("N\0ul", 4), "Nul"},
      {"\x1b[31mred", "[31mred"},
      {std::string(100, 'x'), std::string(kMaxDisplayName, 'x')},
      // 63 ASCII bytes and a two-byte character: cut before the character, never inside it.
      {std::string(63, 'a') + "\xc3\xa9", std::string(63, 'a')},
      {"J\xc3\xbcrgen", "J\xc3\xbcrgen"},
  };
  for (const Case& c : cases) EXPECT_EQ(sanitize_display_name(c.in), c.out) << c.in;
}

TEST(CallerId, TrunkCallerIdsAreKeptOnlyWhenTheyMatch) {
  auto anonymise =
      CallerIdPolicy::make(config::kDefaultCallerIdPattern, config::CallerIdMismatch::kAnonymous);
  auto refuse =
      CallerIdPolicy::make(config::kDefaultCallerIdPattern, config::CallerIdMismatch::kReject);
  ASSERT_TRUE(anonymise && refuse);
  struct Case {
    std::string number;
    bool kept;
  };
  const Case cases[] = {
      {"+4930123456", true},
      {"030123456", true},
      {"12AB", true},
      {"*31#", false},
      {"+49 30 123", false},
      {"", false},
      {"alice", false},
      {"1000' OR '1'='1", false},
      {std::string(32, '1'), true},
      {std::string(33, '1'), false},
      {"++49", false},
      {"123\n", false},
      {"12E", false},
  };
  for (const Case& c : cases) {
    const TrunkCallerId anonymised = anonymise->apply(c.number, "Caller \"X\"");
    const TrunkCallerId refused = refuse->apply(c.number, "Caller");
    if (c.kept) {
      EXPECT_EQ(anonymised.verdict, CallerIdVerdict::kKeep) << c.number;
      EXPECT_EQ(anonymised.id, (CallerId{c.number, "Caller X", false}));
      EXPECT_EQ(refused.verdict, CallerIdVerdict::kKeep) << c.number;
    } else {
      EXPECT_EQ(anonymised.verdict, CallerIdVerdict::kAnonymous) << c.number;
      EXPECT_EQ(anonymised.id, anonymous_caller_id());
      EXPECT_EQ(refused.verdict, CallerIdVerdict::kReject) << c.number;
    }
  }
}

TEST(CallerId, ConfiguredPatternsReplaceTheDefault) {
  auto national = CallerIdPolicy::make(R"(0[1-9][0-9]{4,12})", config::CallerIdMismatch::kReject);
  ASSERT_TRUE(national);
  EXPECT_EQ(national->apply("030123456", "").verdict, CallerIdVerdict::kKeep);
  EXPECT_EQ(national->apply("+4930123456", "").verdict, CallerIdVerdict::kReject);
  EXPECT_FALSE(CallerIdPolicy::make("(", config::CallerIdMismatch::kReject));
}

}  // namespace
}  // namespace hardline::routing
