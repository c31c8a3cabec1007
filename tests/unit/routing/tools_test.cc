#include "routing/tools.h"

#include <gtest/gtest.h>

#include <string>

#include "routing/test_suite.h"
#include "unit/routing/test_support.h"

namespace hardline::routing {
namespace {

using testing::dialplan_of;

const std::string kPlan = R"(
[[trunk]]
name = "provider"
host = "sip.provider.example"
username = "user-4930123"
password = "s3cret-trunk-password"
sources = ["198.51.100.0/24"]

[[dialplan.rule]]
name = "internal"
match = '1[0-9]{3}'
action = "local"

[[dialplan.rule]]
name = "premium"
match = '0900[0-9]*|0137"x'
action = "reject"
status = 403
reason = "Premium <barred> | \"no\""

[[dialplan.rule]]
name = "out"
match = '00([1-9][0-9]+)'
action = "trunk"
trunk = "provider"
to = "+$1"
groups = ["dialout"]
)";

TEST(Graph, EveryFormatShowsEveryRuleAndTheDefaultButNoSecret) {
  const Dialplan dialplan = dialplan_of(kPlan);
  for (GraphFormat format : {GraphFormat::kMermaid, GraphFormat::kDot, GraphFormat::kTable}) {
    const std::string text = graph(dialplan, format);
    for (const char* name : {"internal", "premium", "out", "default", "trunk provider +$1"}) {
      EXPECT_NE(text.find(name), std::string::npos) << name << " in\n" << text;
    }
    EXPECT_EQ(text.find("s3cret"), std::string::npos);
    EXPECT_EQ(text.find("user-4930123"), std::string::npos);
  }
  const std::string mermaid = graph(dialplan, GraphFormat::kMermaid);
  EXPECT_EQ(mermaid.rfind("flowchart TD\n", 0), 0U);
  // Quotes and angle brackets from the config cannot break out of a Mermaid label.
  EXPECT_NE(mermaid.find("#lt;barred#gt;"), std::string::npos);
  EXPECT_NE(mermaid.find("0137#quot;x"), std::string::npos);
  const std::string dot = graph(dialplan, GraphFormat::kDot);
  EXPECT_EQ(dot.rfind("digraph dialplan {", 0), 0U);
  EXPECT_NE(dot.find("0137\\\"x"), std::string::npos);
  const std::string table = graph(dialplan, GraphFormat::kTable);
  EXPECT_NE(table.find("| 3 | out | `00([1-9][0-9]+)` | accounts in dialout | trunk provider +$1 "
                       "(2 at once, 20/hour, 7200 s max) |"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("0900[0-9]*\\|0137"), std::string::npos);  // '|' escaped in cells
  EXPECT_EQ(parse_graph_format("svg"), std::nullopt);
}

TEST(IdentifyCaller, AccountThenTrunkByAddressThenAnonymous) {
  const Dialplan dialplan = dialplan_of(kPlan);
  const AccountDirectory accounts = {{"1000", {"dialout"}}};
  const auto trunk_address = parse_ip_address("198.51.100.9");
  const auto other_address = parse_ip_address("203.0.113.9");
  const Caller account = identify_caller(dialplan, accounts, "1000", trunk_address);
  EXPECT_EQ(account.kind, CallerKind::kAccount);
  EXPECT_EQ(account.groups, std::vector<std::string>{"dialout"});
  const Caller trunk = identify_caller(dialplan, accounts, std::nullopt, trunk_address);
  EXPECT_EQ(trunk.kind, CallerKind::kTrunk);
  EXPECT_EQ(trunk.name, "provider");
  EXPECT_EQ(identify_caller(dialplan, accounts, std::nullopt, other_address).kind,
            CallerKind::kAnonymous);
  EXPECT_EQ(identify_caller(dialplan, accounts, std::nullopt, std::nullopt).kind,
            CallerKind::kAnonymous);
}

TEST(TestSuite, ParsesRunsAndReportsFailures) {
  const std::string text = R"(
[accounts]
"1000" = ["dialout"]
"1001" = []

[[case]]
number = "1001"
from = "1000"
expect = "local 1001"

[[case]]
number = "0049301234"
from = "1000"
expect = "trunk provider +49301234"
rule = "out"

[[case]]
number = "0049301234"
from = "1001"
expect = "reject 404"

[[case]]
number = "1001"
source = "198.51.100.4"
time = "Sat 03:00"
transport = "tls"
expect = "local 1001"
)";
  auto suite = parse_test_suite(text, "cases.toml");
  ASSERT_TRUE(suite) << suite.error();
  ASSERT_TRUE(suite->accounts);
  ASSERT_EQ(suite->cases.size(), 4U);
  EXPECT_EQ(suite->cases[3].line, 22U);
  EXPECT_EQ(suite->cases[3].time, (LocalTime{5, 180}));
  EXPECT_EQ(suite->cases[3].transport, Transport::kTls);
  const Dialplan dialplan = dialplan_of(kPlan);
  const auto outcomes = run_test_suite(dialplan, *suite, *suite->accounts);
  ASSERT_EQ(outcomes.size(), 4U);
  EXPECT_TRUE(outcomes[0].passed);
  EXPECT_TRUE(outcomes[1].passed) << outcomes[1].actual;
  EXPECT_TRUE(outcomes[2].passed) << outcomes[2].actual;  // "reject 404" prefixes the reason
  EXPECT_FALSE(outcomes[3].passed);  // a trunk cannot reach an account without a rule
  EXPECT_EQ(outcomes[3].actual, "reject 404 Not Found");
  EXPECT_EQ(outcomes[3].expected, "local 1001");
}

TEST(TestSuite, BadFilesGetTheLineAndTheFix) {
  struct Case {
    std::string text;
    std::string starts_with;
  };
  const Case cases[] = {
      {"[[case]]\nnumber = \"1\"\n", "cases.toml:1: this [[case]] needs number and expect"},
      {"[[case]]\nnumber = \"1\"\nexpect = \"ring\"\n", "cases.toml:3: expect must be"},
      {"[[case]]\nnumber = \"1\"\nexpect = \"local 1\"\ntime = \"Funday\"\n",
       "cases.toml:4: time must be"},
      {"[[case]]\nnumber = \"1\"\nexpect = \"local 1\"\nsource = \"10.0.0\"\n",
       "cases.toml:4: source '10.0.0' is not an IP address"},
      {"[[case]]\nnumber = 1\nexpect = \"local 1\"\n", "cases.toml:2: number must be a string"},
      {"[[case]]\nnumbr = \"1\"\n", "cases.toml:2: unknown key 'numbr'"},
      {"[other]\n", "cases.toml:1: unknown table 'other'"},
      {"", "cases.toml: no [[case]]"},
      {"[[case]\n", "cases.toml:1: TOML syntax error"},
  };
  for (const Case& c : cases) {
    auto suite = parse_test_suite(c.text, "cases.toml");
    ASSERT_FALSE(suite) << c.text;
    EXPECT_EQ(suite.error().rfind(c.starts_with, 0), 0U) << suite.error();
  }
}

}  // namespace
}  // namespace hardline::routing
