#include "routing/caller_id.h"

#include <gtest/gtest.h>

#include <string>

namespace hardline::routing {
namespace {

TEST(CallerId, AccountsShowTheirOwnNumberAndName) {
  EXPECT_EQ(caller_id_for_account("1000", "Alice Smith"), (CallerId{"1000", "Alice Smith", false}));
  EXPECT_EQ(caller_id_for_account("1000", ""), (CallerId{"1000", "", false}));
}

TEST(CallerId, DisplayNamesGoThroughTheOneSanitizer) {
  // common/display_name.h has the table; here only that both paths use it.
  EXPECT_EQ(caller_id_for_account("1000",
                                  " Al\xe2\x80\xae"
                                  "ice\r\n ")
                .display_name,
            "Alice");
  auto policy =
      CallerIdPolicy::make(config::kDefaultCallerIdPattern, config::CallerIdMismatch::kAnonymous);
  ASSERT_TRUE(policy);
  EXPECT_EQ(policy
                ->apply("+4930123",
                        "Bo\xe2\x80\x8b"
                        "b \"X\"")
                .id.display_name,
            "Bob \"X\"");
  EXPECT_EQ(policy->apply("+4930123", std::string(100, 'x')).id.display_name,
            std::string(kMaxDisplayName, 'x'));
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
      EXPECT_EQ(anonymised.id, (CallerId{c.number, "Caller \"X\"", false}));
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

config::Trunk trunk(config::InternalCallerId internal, std::string prefix = "",
                    std::string name_prefix = "") {
  config::Trunk out;
  out.name = "provider";
  out.caller_id_internal = internal;
  out.caller_id_prefix = std::move(prefix);
  out.caller_name_prefix = std::move(name_prefix);
  return out;
}

bool extension_shaped(std::string_view number) {
  return number.size() == 4 && number.find_first_not_of("0123456789") == std::string_view::npos &&
         number[0] != '0';
}

TEST(CallerId, ACallerIdFromATrunkThatLooksInternalIsNeverShownAsOne) {
  auto anonymise = CallerIdPolicy::make(trunk(config::InternalCallerId::kAnonymous));
  auto refuse = CallerIdPolicy::make(trunk(config::InternalCallerId::kReject));
  auto prefix = CallerIdPolicy::make(trunk(config::InternalCallerId::kPrefix, "0301"));
  auto bad_prefix = CallerIdPolicy::make(trunk(config::InternalCallerId::kPrefix, "1"));
  ASSERT_TRUE(anonymise && refuse && prefix && bad_prefix);

  const TrunkCallerId anonymous = anonymise->apply("1002", "Colleague", extension_shaped);
  EXPECT_EQ(anonymous.verdict, CallerIdVerdict::kAnonymous);
  EXPECT_EQ(anonymous.id, anonymous_caller_id());
  EXPECT_TRUE(anonymous.looked_internal);

  const TrunkCallerId refused = refuse->apply("1002", "Colleague", extension_shaped);
  EXPECT_EQ(refused.verdict, CallerIdVerdict::kReject);
  EXPECT_TRUE(refused.looked_internal);

  const TrunkCallerId prefixed = prefix->apply("1002", "Colleague", extension_shaped);
  EXPECT_EQ(prefixed.verdict, CallerIdVerdict::kKeep);
  EXPECT_EQ(prefixed.id, (CallerId{"03011002", "provider: Colleague", false}));
  EXPECT_TRUE(prefixed.looked_internal);

  // A prefix that leaves it internal-looking protects nobody: anonymous.
  const auto starts_with_one = [](std::string_view number) { return number.starts_with('1'); };
  EXPECT_EQ(bad_prefix->apply("1002", "", starts_with_one).verdict, CallerIdVerdict::kAnonymous);

  // A number from outside is kept; its display name is labelled; no name, no label.
  const TrunkCallerId outside = anonymise->apply("+4930123456", "Colleague", extension_shaped);
  EXPECT_EQ(outside.verdict, CallerIdVerdict::kKeep);
  EXPECT_EQ(outside.id, (CallerId{"+4930123456", "provider: Colleague", false}));
  EXPECT_FALSE(outside.looked_internal);
  EXPECT_EQ(anonymise->apply("+4930123456", " \xe2\x80\x8b ", extension_shaped).id.display_name,
            "");
  // The label counts toward the length limit.
  EXPECT_EQ(anonymise->apply("+4930123456", std::string(100, 'x'), extension_shaped)
                .id.display_name.size(),
            kMaxDisplayName);
}

TEST(CallerId, TheNameLabelIsConfigurable) {
  auto policy = CallerIdPolicy::make(trunk(config::InternalCallerId::kAnonymous, "", "ext: "));
  ASSERT_TRUE(policy);
  EXPECT_EQ(policy->apply("+4930123456", "Bob").id.display_name, "ext: Bob");
  EXPECT_FALSE(CallerIdPolicy::make(trunk(config::InternalCallerId::kPrefix)));  // no prefix
}

}  // namespace
}  // namespace hardline::routing
