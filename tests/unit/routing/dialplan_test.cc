#include "routing/dialplan.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "unit/routing/test_support.h"

namespace hardline::routing {
namespace {

using testing::dialplan_of;

const std::set<std::string, std::less<>> kAccounts = {"1000", "1001", "2000"};

bool is_local(std::string_view number) {
  return kAccounts.find(number) != kAccounts.end();
}

IpAddress ip(const char* text) {
  return *parse_ip_address(text);
}

CallRequest call(std::string_view number, Caller caller,
                 std::optional<IpAddress> source = std::nullopt,
                 Transport transport = Transport::kUdp, LocalTime time = {0, 12 * 60}) {
  return CallRequest{number, std::move(caller), source, transport, time};
}

TEST(Dialplan, EmptyDialplanConnectsOnlyAuthenticatedLocalCalls) {
  const Dialplan dialplan = dialplan_of("");
  struct Case {
    const char* number;
    Caller caller;
    const char* summary;
    bool needs_authentication;
  };
  const Case cases[] = {
      {"1001", Caller::account("1000", {}), "local 1001", false},
      {"1000", Caller::account("1000", {"dialout"}), "local 1000", false},
      {"1001", Caller::anonymous(), "reject 403 Forbidden", true},
      {"004930123456", Caller::account("1000", {"dialout"}), "reject 404 Not Found", false},
      {"004930123456", Caller::anonymous(), "reject 403 Forbidden", true},
      {"1001", Caller::trunk("provider"), "reject 404 Not Found", false},
      {"9999", Caller::account("1000", {}), "reject 404 Not Found", false},
  };
  for (const Case& c : cases) {
    const Decision decision = dialplan.evaluate(call(c.number, c.caller), is_local);
    EXPECT_EQ(decision.summary(), c.summary) << c.number;
    EXPECT_EQ(decision.rule, -1);
    EXPECT_EQ(decision.rule_name, "default");
    EXPECT_EQ(decision.needs_authentication, c.needs_authentication) << c.number;
  }
}

const std::string kPlan = R"(
[sources]
office = ["10.0.0.0/8", "fd00::/8"]

[[trunk]]
name = "provider"
host = "sip.provider.example"
password = "s3cret-trunk-password"
sources = ["198.51.100.0/24"]

[[dialplan.rule]]
name = "internal"
match = '(1[0-9]{3})'
action = "local"
to = "$1"

[[dialplan.rule]]
name = "short"
match = '\*([0-9]{2})'
action = "local"
to = "10$1"

[[dialplan.rule]]
name = "premium"
match = '0900[0-9]*'
action = "reject"
status = 403
reason = "Premium barred"

[[dialplan.rule]]
name = "international"
match = '00([1-9][0-9]{6,14})'
action = "trunk"
trunk = "provider"
to = "+$1"
groups = ["dialout"]
max_concurrent = 3
max_per_hour = 30
max_duration = 600

[[dialplan.rule]]
name = "office-hours"
match = '0[1-9][0-9]{5,13}'
action = "trunk"
trunk = "provider"
sources = ["office"]
transports = ["tls", "tcp"]
times = ["Mon-Fri 08:00-18:00"]

[[dialplan.rule]]
name = "no-dialout"
match = '0[0-9]*'
action = "reject"
status = 403

[[dialplan.rule]]
name = "did"
match = '\+493012345(6[0-9])'
action = "local"
to = "10$1"
callers = ["trunk:provider"]

[[dialplan.rule]]
name = "doorbell"
match = '999'
action = "local"
to = "1000"
callers = ["anonymous"]
sources = ["office"]
)";

TEST(Dialplan, RulesDecideTopDownWithRewritesAndConditions) {
  const Dialplan dialplan = dialplan_of(kPlan);
  const Caller alice = Caller::account("1000", {"dialout"});
  const Caller bob = Caller::account("1001", {});
  const LocalTime monday_noon{0, 12 * 60};
  const LocalTime saturday_noon{5, 12 * 60};
  const LocalTime monday_evening{0, 18 * 60};
  struct Case {
    CallRequest request;
    const char* summary;
    const char* rule;
  };
  const Case cases[] = {
      {call("1001", alice), "local 1001", "internal"},
      {call("*01", bob), "local 1001", "short"},
      {call("*99", bob), "reject 404 Not Found", "short"},  // 1099 is no account
      {call("0900123", alice), "reject 403 Premium barred", "premium"},
      {call("0049301234567", alice), "trunk provider +49301234567", "international"},
      // Not in dialout: international is passed over, office-hours needs an office source.
      {call("0049301234567", bob), "reject 403 Forbidden", "no-dialout"},
      {call("030123456", bob, ip("10.1.2.3"), Transport::kTls, monday_noon),
       "trunk provider 030123456", "office-hours"},
      {call("030123456", bob, ip("fd00::1"), Transport::kTcp, monday_noon),
       "trunk provider 030123456", "office-hours"},
      {call("030123456", bob, ip("10.1.2.3"), Transport::kUdp, monday_noon), "reject 403 Forbidden",
       "no-dialout"},
      {call("030123456", bob, ip("10.1.2.3"), Transport::kTls, saturday_noon),
       "reject 403 Forbidden", "no-dialout"},
      {call("030123456", bob, ip("10.1.2.3"), Transport::kTls, monday_evening),
       "reject 403 Forbidden", "no-dialout"},
      {call("030123456", bob, ip("192.0.2.1"), Transport::kTls, monday_noon),
       "reject 403 Forbidden", "no-dialout"},
      {call("+49301234561", Caller::trunk("provider")), "reject 404 Not Found", "did"},
      {call("+49301234500", Caller::trunk("provider")), "reject 404 Not Found", "default"},
      {call("+49301234500", Caller::trunk("other")), "reject 404 Not Found", "default"},
      {call("999", Caller::anonymous(), ip("10.9.9.9")), "local 1000", "doorbell"},
      {call("999", Caller::anonymous(), ip("192.0.2.9")), "reject 403 Forbidden", "default"},
      {call("999", Caller::anonymous()), "reject 403 Forbidden", "default"},
      // An account is not "anonymous": doorbell is for anonymous callers only.
      {call("999", bob, ip("10.9.9.9")), "reject 404 Not Found", "default"},
  };
  for (const Case& c : cases) {
    const Decision decision = dialplan.evaluate(c.request, is_local);
    EXPECT_EQ(decision.summary(), c.summary) << c.request.number;
    EXPECT_EQ(decision.rule_name, c.rule) << c.request.number;
  }
}

TEST(Dialplan, DecisionCarriesBrakesAndDuration) {
  const Dialplan dialplan = dialplan_of(kPlan);
  const Decision international =
      dialplan.evaluate(call("0049301234567", Caller::account("1000", {"dialout"})), is_local);
  EXPECT_EQ(international.rule, 3);
  EXPECT_EQ(international.max_concurrent, 3U);
  EXPECT_EQ(international.max_per_hour, 30U);
  EXPECT_EQ(international.max_duration, 600U);
  // A trunk rule without brakes gets the safe ones.
  const Decision office = dialplan.evaluate(
      call("030123456", Caller::account("1001", {}), ip("10.0.0.1"), Transport::kTls), is_local);
  EXPECT_EQ(office.max_concurrent, config::kTrunkMaxConcurrent);
  EXPECT_EQ(office.max_per_hour, config::kTrunkMaxPerHour);
  EXPECT_EQ(office.max_duration, config::kTrunkMaxDuration);
}

TEST(Dialplan, ExplainTracesEveryRuleTriedAndNeverTheTrunkPassword) {
  const Dialplan dialplan = dialplan_of(kPlan);
  const Decision decision =
      dialplan.evaluate(call("0049301234567", Caller::account("1001", {})), is_local, true);
  ASSERT_EQ(decision.trace.size(), 6U);
  EXPECT_NE(decision.trace[0].find("does not match"), std::string::npos);
  EXPECT_NE(decision.trace[3].find("in none of the groups dialout"), std::string::npos);
  EXPECT_NE(decision.trace[4].find("does not match"), std::string::npos);
  EXPECT_NE(decision.trace[4].find("office-hours"), std::string::npos);
  EXPECT_NE(decision.trace[5].find("decides: reject 403"), std::string::npos);
  for (const std::string& line : decision.trace) {
    EXPECT_EQ(line.find("s3cret"), std::string::npos);
  }
  // Without explain there is no trace (the data path pays nothing for it).
  EXPECT_TRUE(dialplan.evaluate(call("1001", Caller::anonymous()), is_local).trace.empty());
}

// Issue 13: explain said "'202' is none" (of the local accounts) for a trunk's call, when the
// reason is that no rule admits the trunk: the default never connects a trunk's callers.
TEST(Dialplan, ExplainGivesTheDefaultsRealReasonForEachCaller) {
  const Dialplan empty = dialplan_of("");
  const Dialplan plan = dialplan_of(kPlan);
  struct Case {
    const Dialplan* dialplan;
    CallRequest request;
    const char* says;
    const char* not_says;
  };
  const Case cases[] = {
      {&empty, call("202", Caller::trunk("provider")), "none admits calls from trunk provider",
       "is no local account"},
      {&empty, call("202", Caller::trunk("provider")), "callers = [\"trunk:provider\"]", "'202'"},
      {&plan, call("+49301234500", Caller::trunk("provider")),
       "no rule that admits trunk provider matches '+49301234500'", "none admits"},
      {&plan, call("+49301234561", Caller::trunk("other")), "none admits calls from trunk other",
       "is no local account"},
      {&empty, call("202", Caller::account("1000", {})),
       "the default connects only local accounts, and '202' is no local account", "trunk"},
      {&empty, call("202", Caller::anonymous()), "challenge it to authenticate", "trunk"},
  };
  for (const Case& c : cases) {
    const Decision decision = c.dialplan->evaluate(c.request, is_local, true);
    ASSERT_FALSE(decision.trace.empty()) << c.request.number;
    const std::string& last = decision.trace.back();
    EXPECT_NE(last.find(c.says), std::string::npos) << last;
    EXPECT_EQ(last.find(c.not_says), std::string::npos) << last;
    EXPECT_EQ(decision.rule_name, "default");
  }
}

TEST(Dialplan, HostileNumbersAreRefusedOrShownSafely) {
  const Dialplan dialplan = dialplan_of(kPlan);
  const Caller alice = Caller::account("1000", {"dialout"});
  const std::string long_number(kMaxNumberLength + 1, '1');
  EXPECT_EQ(dialplan.evaluate(call(long_number, alice), is_local).summary(),
            "reject 404 Not Found");
  const std::string with_nul(
      "10\0"
      "01",
      5);
  EXPECT_EQ(dialplan.evaluate(call(with_nul, alice), is_local).summary(), "reject 404 Not Found");
  const Decision escape = dialplan.evaluate(call("1\x1b[2J\n", alice), is_local, true);
  for (const std::string& line : escape.trace) {
    EXPECT_EQ(line.find('\x1b'), std::string::npos);
    EXPECT_EQ(line.find('\n'), std::string::npos);
  }
}

TEST(Dialplan, RecognisesTrunksAndCategoriesByAddressOnly) {
  const Dialplan dialplan = dialplan_of(kPlan);
  EXPECT_EQ(dialplan.trunk_at(ip("198.51.100.7")), std::optional<std::string>("provider"));
  EXPECT_EQ(dialplan.trunk_at(ip("198.51.101.7")), std::nullopt);
  EXPECT_EQ(dialplan.categories_of(ip("10.2.3.4")), std::vector<std::string>{"office"});
  EXPECT_EQ(dialplan.categories_of(ip("fd12::1")), std::vector<std::string>{"office"});
  EXPECT_TRUE(dialplan.categories_of(ip("192.0.2.1")).empty());
}

const std::string kGermanPlan = R"(
[[trunk]]
name = "provider"
host = "sip.provider.example"
sources = ["198.51.100.0/24"]

[dialplan]
country_code = "49"
internal_numbers = '9[0-9]{2}'

[[dialplan.rule]]
name = "internal"
match = '1[0-9]{3}'
action = "local"

[[dialplan.rule]]
name = "premium"
match = '0900[0-9]*'
action = "reject"

[[dialplan.rule]]
name = "international"
match = '00([1-9][0-9]{6,14})'
action = "trunk"
trunk = "provider"
to = "+$1"
groups = ["dialout"]

[[dialplan.rule]]
name = "national"
match = '0[1-9][0-9]{5,13}'
action = "trunk"
trunk = "provider"
groups = ["dialout"]

[[dialplan.rule]]
name = "did"
match = '030123(0[0-9])'
action = "local"
to = "10$1"
callers = ["trunk:provider"]
)";

TEST(Dialplan, NumbersAreNormalisedBeforeAnyRule) {
  const Dialplan dialplan = dialplan_of(kGermanPlan);
  const Caller dialout = Caller::account("1000", {"dialout"});
  struct Case {
    const char* number;
    Caller caller;
    const char* summary;
  };
  const Case cases[] = {
      {"0900123456", dialout, "reject 403 Forbidden"},
      {"0049900123456", dialout, "reject 403 Forbidden"},
      {"+49900123456", dialout, "reject 403 Forbidden"},
      {"+49 (0)900-123456", dialout, "reject 403 Forbidden"},
      {"+4930123456", dialout, "trunk provider 030123456"},
      {"0049 30 123456", dialout, "trunk provider 030123456"},
      {"+33123456789", dialout, "trunk provider +33123456789"},
      {"10-01", dialout, "local 1001"},
      // A DID in national form, however the provider writes it.
      {"+493012300", Caller::trunk("provider"), "local 1000"},
      {"0049 30 1230-0", Caller::trunk("provider"), "local 1000"},
  };
  for (const Case& c : cases) {
    const Decision decision = dialplan.evaluate(call(c.number, c.caller), is_local, true);
    EXPECT_EQ(decision.summary(), c.summary) << c.number;
  }
  const Decision explained = dialplan.evaluate(call("+49900123456", dialout), is_local, true);
  ASSERT_FALSE(explained.trace.empty());
  EXPECT_EQ(explained.trace[0],
            "the number is normalised to '0900123456' (dialplan.country_code = 49): the rules "
            "see that");
  // Without a country code, nothing changes: the old dialplans keep their meaning.
  const Dialplan plain = dialplan_of(kPlan);
  EXPECT_EQ(plain.evaluate(call("+49900123456", dialout), is_local).summary(),
            "reject 404 Not Found");
  EXPECT_EQ(plain.normalized("+49 900"), "+49 900");
}

TEST(Dialplan, WhatLooksInternal) {
  const Dialplan dialplan = dialplan_of(kGermanPlan);
  struct Case {
    const char* number;
    bool internal;
  };
  const Case cases[] = {
      {"1002", true},          // a `local` rule for accounts matches it
      {"1999", true},          // whether or not the account exists
      {"2000", true},          // an account (outside every rule)
      {"950", true},           // dialplan.internal_numbers
      {"03012300", false},     // a DID: its rule admits only the trunk
      {"+4930123456", false},  // outside
      {"030123456", false},
      {"0049 1002", false},  // 01002 once normalised: no extension
      {"10-02", true},       // 1002 once normalised
      {"", false},
  };
  for (const Case& c : cases)
    EXPECT_EQ(dialplan.looks_internal(c.number, is_local), c.internal) << c.number;
  // A trunk's caller showing an extension is shown as anonymous (the default), with a label
  // before any other display name.
  const TrunkCallerId forged = dialplan.trunk_caller_id("provider", "1002", "Colleague", is_local);
  EXPECT_EQ(forged.verdict, CallerIdVerdict::kAnonymous);
  EXPECT_TRUE(forged.looked_internal);
  const TrunkCallerId outside =
      dialplan.trunk_caller_id("provider", "+4930123456", "Co\xe2\x80\xaeworker", is_local);
  EXPECT_EQ(outside.verdict, CallerIdVerdict::kKeep);
  EXPECT_EQ(outside.id, (CallerId{"+4930123456", "provider: Coworker", false}));
  EXPECT_EQ(dialplan.trunk_caller_id("nobody", "+4930123456", "", is_local).verdict,
            CallerIdVerdict::kAnonymous);
}

TEST(Rewrite, ExpandsGroupsAndDollars) {
  const std::vector<std::string_view> groups = {"0049301234", "49301234"};
  EXPECT_EQ(rewrite("+$1", groups), "+49301234");
  EXPECT_EQ(rewrite("$0", groups), "0049301234");
  EXPECT_EQ(rewrite("$$1", groups), "$1");
  EXPECT_EQ(rewrite("x$5y", groups), "xy");  // an absent group expands to nothing
  EXPECT_EQ(rewrite("1000", groups), "1000");
}

}  // namespace
}  // namespace hardline::routing
