#pragma once
// `hardline dialplan test FILE`: a table of calls and the decision each must get, so that a
// dialplan change is tested before it is served (checklist RT-8). The file is TOML:
//
//   [accounts]                 # optional: extension = [groups]; without it, the store's
//   "1000" = ["dialout"]
//   "1001" = []
//
//   [[case]]
//   number = "004930123456"    # required: the dialled number
//   from = "1000"              # an account; or source = "198.51.100.7" (a trunk's address or
//   source = "10.0.0.5"        #   anyone's); neither: an anonymous caller
//   transport = "udp"          # udp (default), tcp or tls
//   time = "Mon 14:30"         # default "Mon 12:00"
//   expect = "trunk provider +4930123456"   # or "local 1001", "reject 403"
//   rule = "international"     # optional: the rule that must decide ("default" for none)
//
// An expectation matches when it is the actual decision or its beginning up to a space
// ("reject 403" matches "reject 403 Forbidden").

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "routing/tools.h"

namespace hardline::routing {

struct TestCase {
  uint32_t line = 0;
  std::string number;
  std::optional<std::string> from;
  std::optional<IpAddress> source;
  Transport transport = Transport::kUdp;
  LocalTime time{0, 12 * 60};
  std::string expect;
  std::optional<std::string> rule;
};

struct TestSuite {
  std::optional<AccountDirectory> accounts;  // nullopt: use the deployment's
  std::vector<TestCase> cases;
};

// Errors are "FILE:LINE: what is wrong and how to fix it".
Result<TestSuite, std::string> parse_test_suite(std::string_view text, const std::string& file);

struct TestOutcome {
  const TestCase* test = nullptr;
  bool passed = false;
  std::string actual;  // the decision's summary and, when the case names a rule, the rule
  std::string expected;
};

std::vector<TestOutcome> run_test_suite(const Dialplan& dialplan, const TestSuite& suite,
                                        const AccountDirectory& accounts);

}  // namespace hardline::routing
