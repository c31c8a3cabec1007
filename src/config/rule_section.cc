// [[dialplan.rule]]: one rule of the dialplan, and the checks that need every file read
// (names a rule refers to, trunk rules that do not say who may use them). Also the reader of
// every pattern (a rule's match, dialplan.internal_numbers, a trunk's caller_id_pattern).
#include <re2/re2.h>

#include <algorithm>

#include "config/checker.h"

namespace hardline::config::detail {
namespace {

constexpr size_t kMaxPattern = 256;
constexpr size_t kMaxRewrite = 64;

// The options src/routing compiles with: bytes (a dialled number is bytes off the wire), errors
// returned rather than logged.
RE2::Options pattern_options() {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_log_errors(false);
  return options;
}

// The highest "$N" a rewrite uses, or nullopt when a '$' is followed by neither a digit nor '$'.
std::optional<int> highest_reference(std::string_view to) {
  int highest = 0;
  for (size_t i = 0; i < to.size(); ++i) {
    if (to[i] != '$') continue;
    if (i + 1 >= to.size()) return std::nullopt;
    const char next = to[++i];
    if (next == '$') continue;
    if (next < '0' || next > '9') return std::nullopt;
    highest = std::max(highest, next - '0');
  }
  return highest;
}

bool printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

}  // namespace

uint32_t Checker::column_in_value(const toml::node& node, size_t offset) const {
  const toml::source_position begin = node.source().begin;
  // The line the value starts on, in the text as written.
  size_t line_start = 0;
  for (uint32_t line = 1; line < begin.line && line_start != std::string_view::npos; ++line) {
    line_start = text_.find('\n', line_start);
    if (line_start != std::string_view::npos) ++line_start;
  }
  if (begin.column == 0 || line_start == std::string_view::npos) return begin.column;
  const std::string_view line = text_.substr(line_start, text_.find('\n', line_start) - line_start);
  const size_t quote = begin.column - 1;
  if (quote + 2 + offset > line.size()) return begin.column;
  // toml++ counts characters, the offset bytes: both agree on ASCII only.
  const std::string_view before_and_written = line.substr(0, quote + 2 + offset);
  const bool ascii = std::all_of(before_and_written.begin(), before_and_written.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  const std::string_view written = line.substr(quote, offset + 2);
  const std::string_view opening = line.substr(quote, 3);
  const bool one_line = opening != "'''" && opening != R"(""")";
  // In double quotes every escape shifts the columns after it: then the string's own column.
  const bool as_written =
      written[0] == '\'' || (written[0] == '"' && written.find('\\') == std::string_view::npos);
  if (!ascii || !one_line || !as_written) return begin.column;
  return begin.column + 1 + static_cast<uint32_t>(offset);
}

std::optional<std::string> Checker::pattern(const toml::node& node, std::string_view name,
                                            std::string_view example, std::string_view fix,
                                            int* capturing_groups) {
  auto value = string(node, name, example);
  if (!value) return std::nullopt;
  // A trunk's caller_id_pattern may be empty; a rule's match and internal_numbers may not.
  const bool allow_empty = name == "trunk.caller_id_pattern";
  if ((value->empty() && !allow_empty) || value->size() > kMaxPattern) {
    error(node.source(),
          concat(name, " is not a valid regular expression (",
                 value->empty() ? "it is empty" : "longer than 256 characters", "): ", fix));
    return std::nullopt;
  }
  // Before RE2: it refuses some of these without saying where, and accepts the others as
  // literal text that no number contains.
  if (auto mistake = find_pattern_mistake(*value)) {
    errors_.push_back(ConfigError{
        file_, node.source().begin.line, column_in_value(node, mistake->offset),
        concat(name, " ", in_quotes(*value), " is not a valid pattern: ", mistake->message)});
    return std::nullopt;
  }
  RE2 compiled(*value, pattern_options());
  if (!compiled.ok()) {
    error(node.source(), concat(name, " is not a valid regular expression (",
                                printable(compiled.error()), "): ", fix));
    return std::nullopt;
  }
  if (capturing_groups != nullptr) *capturing_groups = compiled.NumberOfCapturingGroups();
  return value;
}

void Checker::read_rule(const toml::table& table) {
  Rule rule;
  rule.where = Origin{file_, table.source().begin.line};
  const toml::node* match_node = nullptr;
  const toml::node* action_node = nullptr;
  const toml::node* to_node = nullptr;
  const toml::node* trunk_node = nullptr;
  const toml::node* status_node = nullptr;
  const toml::node* reason_node = nullptr;
  bool has_action = false;
  bool brakes_set[3] = {false, false, false};
  int groups_in_pattern = 0;
  const size_t errors_before = errors_.size();

  auto brake = [&](std::string_view key, uint32_t Rule::*field, uint32_t max, int index) {
    return KeyReader{
        key, [&, key, field, max, index](const toml::node& node) {
          if (auto value = integer(node, "dialplan.rule." + std::string(key), 0, max)) {
            rule.*field = *value;
            brakes_set[index] = true;
          }
        }};
  };
  const KeyReader readers[] = {
      {"name",
       [&](const toml::node& node) {
         auto value = string(node, "dialplan.rule.name", "name = \"international\"");
         if (!value) return;
         if (!valid_name(*value)) {
           error(node.source(), "dialplan.rule.name " + in_quotes(*value) +
                                    " is not a valid name: use 1 to 32 letters, digits, '-', "
                                    "'_' or '.', e.g. \"international\"");
         } else if (std::any_of(config_.dialplan.rules.begin(), config_.dialplan.rules.end(),
                                [&](const Rule& r) { return r.name == *value; })) {
           error(node.source(), "two dialplan rules are named " + in_quotes(*value) +
                                    ": give each rule its own name");
         } else {
           rule.name = *value;
         }
       }},
      {"match",
       [&](const toml::node& node) {
         match_node = &node;
         auto value = pattern(node, "dialplan.rule.match", "match = '00[1-9][0-9]{6,14}'",
                              "write an RE2 pattern for the whole number, e.g. "
                              "'00[1-9][0-9]{6,14}' (single quotes keep backslashes)",
                              &groups_in_pattern);
         if (value) rule.match = *value;
       }},
      {"action",
       [&](const toml::node& node) {
         action_node = &node;
         auto value = string(node, "dialplan.rule.action", "action = \"local\"");
         if (!value) return;
         has_action = true;
         if (*value == "local") {
           rule.action = RuleAction::kLocal;
         } else if (*value == "trunk") {
           rule.action = RuleAction::kTrunk;
         } else if (*value == "reject") {
           rule.action = RuleAction::kReject;
         } else {
           has_action = false;
           error(node.source(), "dialplan.rule.action " + in_quotes(*value) +
                                    " is not an action: use \"local\" (call an account), "
                                    "\"trunk\" (call out through a trunk) or \"reject\"");
         }
       }},
      {"to",
       [&](const toml::node& node) {
         to_node = &node;
         auto value = string(node, "dialplan.rule.to", "to = \"+49$1\"");
         if (!value) return;
         if (value->empty() || value->size() > kMaxRewrite || !printable_ascii(*value) ||
             !highest_reference(*value)) {
           error(node.source(),
                 "dialplan.rule.to must be 1 to 64 printable characters where '$' is followed "
                 "by a group number or another '$': e.g. to = \"+49$1\" ($0 is the whole "
                 "number, $$ a dollar sign)");
           to_node = nullptr;
           return;
         }
         rule.to = *value;
       }},
      {"trunk",
       [&](const toml::node& node) {
         trunk_node = &node;
         if (auto value = string(node, "dialplan.rule.trunk", "trunk = \"provider\"")) {
           rule.trunk = *value;
         }
       }},
      {"status",
       [&](const toml::node& node) {
         status_node = &node;
         if (auto value = integer(node, "dialplan.rule.status", 400, 699)) {
           rule.status = static_cast<uint16_t>(*value);
         }
       }},
      {"reason",
       [&](const toml::node& node) {
         reason_node = &node;
         auto value = string(node, "dialplan.rule.reason", "reason = \"Forbidden\"");
         if (!value) return;
         if (value->empty() || value->size() > 64 || !printable_ascii(*value)) {
           error(node.source(),
                 "dialplan.rule.reason must be 1 to 64 printable ASCII characters, e.g. "
                 "\"Forbidden\"");
         } else {
           rule.reason = *value;
         }
       }},
      {"callers",
       [&](const toml::node& node) {
         auto values = strings(node, "dialplan.rule.callers", "callers = [\"account\"]");
         if (!values) return;
         Callers callers{false, false, false, {}};
         if (values->empty()) {
           error(node.source(),
                 "dialplan.rule.callers is empty, so the rule could never match: list who may "
                 "use it (\"account\", \"anonymous\", \"trunk\" or \"trunk:NAME\"), or remove "
                 "the rule");
         }
         for (const auto& [text, element] : *values) {
           const bool named_trunk = text.rfind("trunk:", 0) == 0 && valid_name(text.substr(6));
           bool duplicate = false;
           if (text == "account") {
             duplicate = std::exchange(callers.accounts, true);
           } else if (text == "anonymous") {
             duplicate = std::exchange(callers.anonymous, true);
           } else if (text == "trunk") {
             duplicate = std::exchange(callers.any_trunk, true);
           } else if (named_trunk) {
             duplicate = std::count(callers.trunks.begin(), callers.trunks.end(), text.substr(6));
             if (!duplicate) callers.trunks.push_back(text.substr(6));
           } else {
             error(element->source(), "dialplan.rule.callers entry " + in_quotes(text) +
                                          " is not known: use \"account\" (an authenticated "
                                          "account), \"anonymous\" (nobody authenticated), "
                                          "\"trunk\" (any trunk) or \"trunk:NAME\"");
             continue;
           }
           if (duplicate) {
             error(element->source(), "dialplan.rule.callers lists " + in_quotes(text) +
                                          " twice: remove the second entry");
           }
         }
         rule.callers = std::move(callers);
       }},
      {"groups",
       [&](const toml::node& node) {
         if (auto values =
                 names(node, "dialplan.rule.groups", "groups = [\"dialout\"]", "a group name")) {
           rule.groups = std::move(*values);
         }
       }},
      {"sources",
       [&](const toml::node& node) {
         if (auto values = names(node, "dialplan.rule.sources", "sources = [\"office\"]",
                                 "a source category")) {
           rule.sources = std::move(*values);
         }
       }},
      {"transports",
       [&](const toml::node& node) {
         auto values = strings(node, "dialplan.rule.transports", "transports = [\"tls\"]");
         if (!values) return;
         for (const auto& [text, element] : *values) {
           auto transport = parse_transport(text);
           if (!transport) {
             error(element->source(), "dialplan.rule.transports entry " + in_quotes(text) +
                                          " is not a transport: use \"udp\", \"tcp\" or \"tls\"");
           } else if (std::count(rule.transports.begin(), rule.transports.end(), *transport)) {
             error(element->source(), "dialplan.rule.transports lists " + in_quotes(text) +
                                          " twice: remove the second entry");
           } else {
             rule.transports.push_back(*transport);
           }
         }
       }},
      {"times",
       [&](const toml::node& node) {
         auto values = strings(node, "dialplan.rule.times", "times = [\"Mon-Fri 08:00-18:00\"]");
         if (!values) return;
         for (const auto& [text, element] : *values) {
           if (auto window = parse_time_window(text)) {
             rule.times.push_back(*window);
           } else {
             error(element->source(), "dialplan.rule.times entry " + in_quotes(text) +
                                          " is not a time window: write weekdays and/or a time "
                                          "range, e.g. \"Mon-Fri 08:00-18:00\", \"Sat,Sun\", "
                                          "\"22:00-06:00\"");
           }
         }
       }},
      brake("max_concurrent", &Rule::max_concurrent, 1000, 0),
      brake("max_per_hour", &Rule::max_per_hour, 10000, 1),
      brake("max_duration", &Rule::max_duration, 86400, 2),
  };
  read_table(table, "[dialplan.rule]", readers);

  auto at = [&](const toml::node* node) {
    return node != nullptr ? node->source() : table.source();
  };
  const std::string named = rule.name.empty() ? "this rule" : "rule " + in_quotes(rule.name);
  if (!table.contains("name")) {
    error(table.source(),
          "a [[dialplan.rule]] has no name: add name = \"...\" (it appears in "
          "`hardline dialplan explain` and in the logs)");
  }
  if (match_node == nullptr) {
    error(table.source(), named +
                              " has no match: add match = '...' (an RE2 pattern for the "
                              "whole dialled number, e.g. '1[0-9]{3}')");
  }
  if (action_node == nullptr) {
    error(table.source(), named +
                              " has no action: add action = \"local\", \"trunk\" or "
                              "\"reject\"");
  }
  if (errors_.size() != errors_before || !has_action) return;

  const std::string action(rule_action_name(rule.action));
  if (rule.action == RuleAction::kTrunk && trunk_node == nullptr) {
    error(table.source(), named +
                              " sends calls to a trunk but names none: add trunk = "
                              "\"NAME\" (a [[trunk]]'s name)");
  }
  if (rule.action != RuleAction::kTrunk && trunk_node != nullptr) {
    error(at(trunk_node), named + " has action \"" + action +
                              "\", which uses no trunk: remove trunk or use action = \"trunk\"");
  }
  if (rule.action == RuleAction::kReject && to_node != nullptr) {
    error(at(to_node), named + " rejects calls, so to has no use: remove it");
  }
  if (rule.action != RuleAction::kReject && (status_node != nullptr || reason_node != nullptr)) {
    error(at(status_node != nullptr ? status_node : reason_node),
          named +
              " does not reject calls, so status and reason have no use: remove them or "
              "use action = \"reject\"");
  }
  if (to_node != nullptr && highest_reference(rule.to).value_or(0) > groups_in_pattern) {
    error(at(to_node), named + "'s to uses $" + std::to_string(*highest_reference(rule.to)) +
                           " but match has only " + std::to_string(groups_in_pattern) +
                           " group(s): number the groups of match in order of their '(' or "
                           "add parentheses");
  }
  const Callers& callers = rule.callers;
  if (!rule.groups.empty() &&
      (callers.anonymous || callers.any_trunk || !callers.trunks.empty() || !callers.accounts)) {
    error(table.source(), named +
                              " has groups, which only accounts can be in, and callers "
                              "that are not accounts: remove groups, or set callers = "
                              "[\"account\"]");
  }
  if (rule.action == RuleAction::kTrunk) {
    if (!brakes_set[0]) rule.max_concurrent = kTrunkMaxConcurrent;
    if (!brakes_set[1]) rule.max_per_hour = kTrunkMaxPerHour;
    if (!brakes_set[2]) rule.max_duration = kTrunkMaxDuration;
  }
  if (!rule.name.empty()) config_.dialplan.rules.push_back(std::move(rule));
}

void Checker::check_included(const toml::table& root) {
  // References point backwards: sources before trunks, trunks before rules.
  if (const auto* sources = root.get_as<toml::table>("sources")) read_sources(*sources);
  if (const toml::node* trunks = root.get("trunk")) read_trunks(*trunks);
  for (const auto& [key, node] : root) {
    const std::string_view name = key.str();
    if (name == "sources" || name == "trunk") {
      if (name == "sources" && !node.is_table()) {
        error(key.source(), "sources must be a table: write [sources] on a line of its own");
      }
      continue;
    }
    if (name == "dialplan" && node.is_table()) {
      read_dialplan(*node.as_table(), true);
      continue;
    }
    error(key.source(),
          "the included dialplan file may hold only [sources], [[trunk]] and "
          "[[dialplan.rule]]: move " +
              in_quotes(name) + " to the main config file");
  }
}

std::vector<ConfigError> check_routing_references(const Config& config) {
  std::vector<ConfigError> errors;
  auto report = [&errors](const Origin& where, std::string message) {
    errors.push_back(ConfigError{where.file, where.line, 0, std::move(message)});
  };
  auto has_trunk = [&config](const std::string& name) {
    return std::any_of(config.trunks.begin(), config.trunks.end(),
                       [&](const Trunk& t) { return t.name == name; });
  };
  for (const Rule& rule : config.dialplan.rules) {
    const std::string named = "rule " + in_quotes(rule.name);
    if (rule.action == RuleAction::kTrunk && !has_trunk(rule.trunk)) {
      report(rule.where, named + " sends calls to trunk " + in_quotes(rule.trunk) +
                             ", which is not defined: fix the name or add a [[trunk]] with "
                             "name = " +
                             in_quotes(rule.trunk));
    }
    for (const std::string& trunk : rule.callers.trunks) {
      if (!has_trunk(trunk)) {
        report(rule.where, named + " admits callers from trunk " + in_quotes(trunk) +
                               ", which is not defined: fix the name in callers or add the "
                               "[[trunk]]");
      }
    }
    for (const std::string& source : rule.sources) {
      const bool known = std::any_of(config.sources.begin(), config.sources.end(),
                                     [&](const SourceCategory& c) { return c.name == source; });
      if (!known) {
        report(rule.where, concat(named, " names source category ", in_quotes(source),
                                  ", which [sources] does not define: fix the name or add e.g. ",
                                  source, " = [\"10.0.0.0/8\"] under [sources]"));
      }
    }
    const bool open_to_accounts = rule.callers.accounts && rule.groups.empty();
    if (rule.action == RuleAction::kTrunk && rule.sources.empty() &&
        (open_to_accounts || rule.callers.anonymous)) {
      report(rule.where,
             named + " sends calls to trunk " + in_quotes(rule.trunk) +
                 " without saying who may use it, so " +
                 (rule.callers.anonymous ? "anyone on the network" : "every account") +
                 " could run up your bill: add groups = [\"dialout\"] (accounts in that group) "
                 "and/or sources = [\"office\"] (callers from those networks)");
    }
  }
  return errors;
}

}  // namespace hardline::config::detail
