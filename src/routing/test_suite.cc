#include "routing/test_suite.h"

#include <toml++/toml.h>

#include "routing/text.h"

namespace hardline::routing {
namespace {

constexpr size_t kMaxCases = 10000;

std::string at(const std::string& file, const toml::source_region& where) {
  return file + ":" + std::to_string(where.begin.line) + ": ";
}

bool expectation_matches(std::string_view expected, std::string_view actual) {
  if (expected == actual) return true;
  return actual.size() > expected.size() && actual.substr(0, expected.size()) == expected &&
         actual[expected.size()] == ' ';
}

}  // namespace

Result<TestSuite, std::string> parse_test_suite(std::string_view text, const std::string& file) {
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    return tl::unexpected(file + ":" + std::to_string(e.source().begin.line) +
                          ": TOML syntax error: " + std::string(e.description()) +
                          "; fix the syntax (cases are written [[case]] on a line of their own)");
  }
  TestSuite suite;
  for (const auto& [key, node] : root) {
    if (key.str() != "accounts" && key.str() != "case") {
      return tl::unexpected(at(file, key.source()) + "unknown table '" + std::string(key.str()) +
                            "': a test file holds [accounts] and [[case]] only");
    }
  }
  if (const toml::node* accounts = root.get("accounts")) {
    const toml::table* table = accounts->as_table();
    if (table == nullptr) {
      return tl::unexpected(at(file, accounts->source()) +
                            "accounts must be a table: [accounts] then \"1000\" = [\"dialout\"]");
    }
    AccountDirectory directory;
    for (const auto& [extension, groups_node] : *table) {
      const toml::array* groups = groups_node.as_array();
      if (groups == nullptr) {
        return tl::unexpected(at(file, groups_node.source()) + "account " +
                              std::string(extension.str()) +
                              ": write its groups as an array, e.g. [\"dialout\"] or []");
      }
      std::vector<std::string> names;
      for (const toml::node& group : *groups) {
        if (!group.is_string()) {
          return tl::unexpected(at(file, group.source()) + "each group must be a string");
        }
        names.push_back(group.as_string()->get());
      }
      directory.emplace(std::string(extension.str()), std::move(names));
    }
    suite.accounts = std::move(directory);
  }
  const toml::node* cases = root.get("case");
  if (cases == nullptr) {
    return tl::unexpected(file +
                          ": no [[case]]: add at least one, e.g. [[case]] number = "
                          "\"1001\" from = \"1000\" expect = \"local 1001\"");
  }
  const toml::array* array = cases->as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    return tl::unexpected(at(file, cases->source()) + "write each case as a [[case]] section");
  }
  for (const toml::node& element : *array) {
    if (suite.cases.size() >= kMaxCases) {
      return tl::unexpected(at(file, element.source()) + "more than 10000 cases: split the file");
    }
    const toml::table& table = *element.as_table();
    TestCase test;
    test.line = table.source().begin.line;
    bool has_number = false;
    bool has_expect = false;
    for (const auto& [key, node] : table) {
      const std::string name(key.str());
      const auto* value = node.as_string();
      const std::string prefix = at(file, node.source()) + name;
      if (value == nullptr) return tl::unexpected(prefix + " must be a string in double quotes");
      const std::string& content = value->get();
      if (name == "number") {
        test.number = content;
        has_number = true;
      } else if (name == "from") {
        test.from = content;
      } else if (name == "source") {
        auto address = parse_ip_address(content);
        if (!address) {
          return tl::unexpected(
              detail::concat(prefix, " '", content, "' is not an IP address, e.g. 10.0.0.5"));
        }
        test.source = *address;
      } else if (name == "transport") {
        auto transport = config::parse_transport(content);
        if (!transport) return tl::unexpected(prefix + " must be udp, tcp or tls");
        test.transport = *transport;
      } else if (name == "time") {
        auto time = config::parse_local_time(content);
        if (!time) return tl::unexpected(prefix + " must be a weekday and a time, e.g. Mon 14:30");
        test.time = *time;
      } else if (name == "expect") {
        const bool known = content.rfind("local ", 0) == 0 || content.rfind("trunk ", 0) == 0 ||
                           content.rfind("reject ", 0) == 0;
        if (!known) {
          return tl::unexpected(prefix +
                                " must be \"local NUMBER\", \"trunk NAME NUMBER\" or "
                                "\"reject STATUS\"");
        }
        test.expect = content;
        has_expect = true;
      } else if (name == "rule") {
        test.rule = content;
      } else {
        return tl::unexpected(at(file, key.source()) + "unknown key '" + name +
                              "' in [[case]]: the keys are number, from, source, transport, "
                              "time, expect and rule");
      }
    }
    if (!has_number || !has_expect) {
      return tl::unexpected(at(file, table.source()) +
                            "this [[case]] needs number and expect, e.g. number = \"1001\" and "
                            "expect = \"local 1001\"");
    }
    suite.cases.push_back(std::move(test));
  }
  return suite;
}

std::vector<TestOutcome> run_test_suite(const Dialplan& dialplan, const TestSuite& suite,
                                        const AccountDirectory& accounts) {
  const IsLocalAccount is_local = [&accounts](std::string_view number) {
    return accounts.find(number) != accounts.end();
  };
  std::vector<TestOutcome> outcomes;
  for (const TestCase& test : suite.cases) {
    CallRequest request;
    request.number = test.number;
    request.caller = identify_caller(dialplan, accounts, test.from, test.source);
    request.source = test.source;
    request.transport = test.transport;
    request.time = test.time;
    const Decision decision = dialplan.evaluate(request, is_local);
    TestOutcome outcome;
    outcome.test = &test;
    outcome.actual = decision.summary();
    outcome.expected = test.expect;
    outcome.passed = expectation_matches(test.expect, outcome.actual);
    if (test.rule) {
      outcome.actual += " (rule " + decision.rule_name + ")";
      outcome.expected += " (rule " + *test.rule + ")";
      outcome.passed = outcome.passed && decision.rule_name == *test.rule;
    }
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

}  // namespace hardline::routing
