// The example `hardline init` writes (config/example_dialplan.cc): its own `dialplan test` file
// passes, and the analysis finds nothing to warn about (issue 12: premium numbers in every form).
#include <gtest/gtest.h>

#include <set>

#include "config/config.h"
#include "routing/analysis.h"
#include "routing/bar_forms.h"
#include "routing/dialplan.h"
#include "routing/test_suite.h"

namespace hardline::routing {
namespace {

config::Config example() {
  const std::vector<Endpoint> listen = {*parse_endpoint_spec("udp:127.0.0.1:5060")};
  auto config =
      config::parse_config(config::default_config_text("pbx.example.org", listen, "dialplan.toml"),
                           "/srv/pbx/hardline.toml");
  EXPECT_TRUE(config);
  auto included = config::parse_included_dialplan(config::example_dialplan_text(),
                                                  "/srv/pbx/dialplan.toml", *config);
  EXPECT_TRUE(included) << included.error().to_string();
  return *config;
}

TEST(ExampleDialplan, ItsOwnTestsPassAndCoverEveryFormOfAPremiumNumber) {
  const config::Config config = example();
  auto dialplan = Dialplan::compile(config);
  ASSERT_TRUE(dialplan) << dialplan.error();
  auto suite = parse_test_suite(config::example_dialplan_tests_text(), "dialplan-tests.toml");
  ASSERT_TRUE(suite) << suite.error();
  ASSERT_TRUE(suite->accounts);
  std::set<std::string> premium_forms;
  for (const TestOutcome& outcome : run_test_suite(*dialplan, *suite, *suite->accounts)) {
    EXPECT_TRUE(outcome.passed) << "line " << outcome.test->line << ": " << outcome.test->number
                                << ": expected " << outcome.expected << ", got " << outcome.actual;
    if (outcome.test->rule == "premium" || outcome.test->rule == "service-codes") {
      premium_forms.insert(outcome.test->number);
    }
  }
  for (const char* form : {"0900123456", "0049900123456", "+49900123456", "+490900123456",
                           "0049 900 123456", "+49-900-123456", "0049137123456", "+49137123456",
                           "*31#0900123456", "*31#+49900123456", "00881123456", "+881123456"}) {
    EXPECT_EQ(premium_forms.count(form), 1U) << form << " has no case in the example's tests";
  }
}

TEST(ExampleDialplan, TheCheckFindsNothingToWarnAbout) {
  const config::Config config = example();
  EXPECT_TRUE(find_bar_walkarounds(config).empty());
  for (const Finding& finding : check_dialplan(config, std::set<std::string>{"dialout"})) {
    ADD_FAILURE() << finding.to_string();
  }
}

}  // namespace
}  // namespace hardline::routing
