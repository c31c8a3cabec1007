#pragma once
// What `hardline dialplan explain | graph` print, built here so that tests reach it (the CLI
// only parses arguments). Nothing here prints a trunk's password or username.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "routing/dialplan.h"

namespace hardline::routing {

// Accounts as the tools see them: extension -> groups (from the store, or a test file).
using AccountDirectory = std::map<std::string, std::vector<std::string>, std::less<>>;

// Who a request comes from, as the server would decide it: the account `from` when given
// (its groups from `accounts`), else the trunk whose sources hold `source`, else anonymous.
Caller identify_caller(const Dialplan& dialplan, const AccountDirectory& accounts,
                       const std::optional<std::string>& from,
                       const std::optional<IpAddress>& source);

// The explanation of one decision: the request, each rule tried and why, the final action.
std::string explain_text(const Dialplan& dialplan, const CallRequest& request,
                         const Decision& decision);

enum class GraphFormat : uint8_t { kMermaid, kDot, kTable };
std::optional<GraphFormat> parse_graph_format(std::string_view text);

// The rules and their decisions, top-down, ending in the built-in default: a Mermaid flowchart,
// a Graphviz digraph or a Markdown table.
std::string graph(const Dialplan& dialplan, GraphFormat format);

// "accounts in dialout; from office; tls; Mon-Fri 08:00-18:00": who a rule admits.
std::string describe_conditions(const config::Rule& rule);
// "local $0", "trunk provider +$1", "reject 403 Forbidden"; with brakes when set.
std::string describe_action(const config::Rule& rule);

}  // namespace hardline::routing
