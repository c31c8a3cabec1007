#include "routing/tools.h"

#include "routing/numbering.h"
#include "routing/text.h"

namespace hardline::routing {
namespace {

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string describe_callers(const config::Rule& rule) {
  std::vector<std::string> who;
  const config::Callers& callers = rule.callers;
  if (callers.accounts) {
    who.push_back(rule.groups.empty() ? "accounts" : "accounts in " + joined(rule.groups, " or "));
  }
  if (callers.anonymous) who.emplace_back("anonymous callers");
  if (callers.any_trunk) who.emplace_back("any trunk");
  for (const std::string& trunk : callers.trunks) who.push_back("trunk " + trunk);
  return joined(who, ", ");
}

std::string brakes(const config::Rule& rule) {
  std::vector<std::string> parts;
  if (rule.max_concurrent != 0) parts.push_back(std::to_string(rule.max_concurrent) + " at once");
  if (rule.max_per_hour != 0) parts.push_back(std::to_string(rule.max_per_hour) + "/hour");
  if (rule.max_duration != 0) parts.push_back(std::to_string(rule.max_duration) + " s max");
  return joined(parts, ", ");
}

// Label text for Mermaid: entities for what its parser treats specially.
std::string mermaid_text(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '"':
        out += "#quot;";
        break;
      case '<':
        out += "#lt;";
        break;
      case '>':
        out += "#gt;";
        break;
      case '&':
        out += "#amp;";
        break;
      case '#':
        out += "#35;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string dot_text(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string table_text(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string origin(const config::Rule& rule) {
  return rule.where.file + ":" + std::to_string(rule.where.line);
}

constexpr std::string_view kDefaultLocal = "local (the dialled account)";
constexpr std::string_view kDefaultReject = "reject 403 (anonymous: challenge) / 404";
constexpr std::string_view kDefaultWho = "an authenticated account dialling a local account";

}  // namespace

Caller identify_caller(const Dialplan& dialplan, const AccountDirectory& accounts,
                       const std::optional<std::string>& from,
                       const std::optional<IpAddress>& source) {
  if (from) {
    auto found = accounts.find(*from);
    return Caller::account(*from,
                           found == accounts.end() ? std::vector<std::string>{} : found->second);
  }
  if (source) {
    if (auto trunk = dialplan.trunk_at(*source)) return Caller::trunk(*trunk);
  }
  return Caller::anonymous();
}

std::string describe_conditions(const config::Rule& rule) {
  std::vector<std::string> parts{describe_callers(rule)};
  if (!rule.sources.empty()) parts.push_back("from " + joined(rule.sources, " or "));
  if (!rule.transports.empty()) {
    std::vector<std::string> names;
    for (config::Transport t : rule.transports) names.emplace_back(config::transport_name(t));
    parts.push_back("over " + joined(names, " or "));
  }
  if (!rule.times.empty()) {
    std::vector<std::string> windows;
    for (const config::TimeWindow& w : rule.times) windows.push_back(config::to_string(w));
    parts.push_back(joined(windows, " or "));
  }
  return joined(parts, "; ");
}

std::string describe_action(const config::Rule& rule) {
  std::string out;
  switch (rule.action) {
    case config::RuleAction::kLocal:
      out = "local " + rule.to;
      break;
    case config::RuleAction::kTrunk:
      out = "trunk " + rule.trunk + " " + rule.to;
      break;
    case config::RuleAction::kReject:
      out = "reject " + std::to_string(rule.status) + " " +
            (rule.reason.empty() ? std::string(config::status_phrase(rule.status)) : rule.reason);
      break;
  }
  if (std::string limits = brakes(rule); !limits.empty()) out += " (" + limits + ")";
  return out;
}

std::string explain_text(const Dialplan& dialplan, const CallRequest& request,
                         const Decision& decision) {
  std::string who;
  switch (request.caller.kind) {
    case CallerKind::kAccount:
      who =
          "account " + request.caller.name +
          (request.caller.groups.empty() ? " (no groups)"
                                         : " (groups " + joined(request.caller.groups, ", ") + ")");
      break;
    case CallerKind::kTrunk:
      who = "trunk " + request.caller.name + " (recognised by its source address)";
      break;
    case CallerKind::kAnonymous:
      who = "anonymous (not authenticated, no trunk at this address)";
      break;
  }
  std::string number(request.number);
  for (char& c : number) c = c == '\n' ? '?' : c;
  for (char& c : who) c = c == '\n' ? '?' : c;
  std::string out = "number:    " + number + "\n";
  if (const std::string normal = dialplan.normalized(request.number); normal != request.number) {
    out += "normalised: " + normal + " (" + describe_numbering(dialplan.numbering()) + ")\n";
  }
  out += "caller:    " + who + "\n";
  if (request.source) {
    std::vector<std::string> categories = dialplan.categories_of(*request.source);
    out += "source:    " + to_string(*request.source) +
           (categories.empty() ? " (in no source category)"
                               : " (in " + joined(categories, ", ") + ")") +
           "\n";
  } else {
    out += "source:    unknown (rules with sources do not apply)\n";
  }
  out += "transport: " + std::string(config::transport_name(request.transport)) + "\n";
  out += "time:      " + config::to_string(request.time) + "\n\n";
  for (const std::string& line : decision.trace) out += line + "\n";
  out += "\nresult: " + decision.summary();
  if (decision.rule >= 0) out += " (rule '" + decision.rule_name + "')";
  if (decision.max_duration != 0) {
    out += ", at most " + std::to_string(decision.max_duration) + " s";
  }
  out += "\n";
  // The number and the caller's name come from outside: no control byte reaches a terminal.
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\n') || byte == 0x7f) c = '?';
  }
  return out;
}

std::optional<GraphFormat> parse_graph_format(std::string_view text) {
  if (text == "mermaid") return GraphFormat::kMermaid;
  if (text == "dot") return GraphFormat::kDot;
  if (text == "table") return GraphFormat::kTable;
  return std::nullopt;
}

std::string graph(const Dialplan& dialplan, GraphFormat format) {
  const auto& rules = dialplan.rules();
  std::string out;
  // With a country code, the rules see every number in its normal form (numbering.h).
  const std::string normal_form = describe_numbering(dialplan.numbering());
  const std::string start =
      normal_form.empty() ? std::string("dialled number") : "dialled number, in " + normal_form;
  if (format == GraphFormat::kTable) {
    if (!normal_form.empty()) out = "Numbers are normalised to " + normal_form + " first.\n\n";
    out +=
        "| # | rule | number (whole, RE2) | who, where, when | action | defined at |\n"
        "|---|---|---|---|---|---|\n";
    for (size_t i = 0; i < rules.size(); ++i) {
      const config::Rule& rule = rules[i];
      out += "| " + std::to_string(i + 1) + " | " + table_text(rule.name) + " | `" +
             table_text(rule.match) + "` | " + table_text(describe_conditions(rule)) + " | " +
             table_text(describe_action(rule)) + " | " + table_text(origin(rule)) + " |\n";
    }
    out += "| - | default | any | " + std::string(kDefaultWho) + " | " +
           std::string(kDefaultLocal) + " |  |\n";
    out += "| - | default | any | everyone else | " + table_text(kDefaultReject) + " |  |\n";
    return out;
  }
  if (format == GraphFormat::kMermaid) {
    out = normal_form.empty() ? "flowchart TD\n  start([dialled number]) --> r1\n"
                              : "flowchart TD\n  start([\"" + mermaid_text(start) + "\"]) --> r1\n";
    for (size_t i = 0; i < rules.size(); ++i) {
      const config::Rule& rule = rules[i];
      const std::string id = "r" + std::to_string(i + 1);
      const std::string next = i + 1 < rules.size() ? "r" + std::to_string(i + 2) : "fallback";
      out += "  " + id + "{\"" + std::to_string(i + 1) + ". " + mermaid_text(rule.name) + "<br/>" +
             mermaid_text(rule.match) + "<br/>" + mermaid_text(describe_conditions(rule)) + "\"}\n";
      out += "  " + id + " -- yes --> a" + std::to_string(i + 1) + "[\"" +
             mermaid_text(describe_action(rule)) + "\"]\n";
      out += detail::concat("  ", id, " -- no --> ", next, "\n");
    }
    // "default" and "end" are Mermaid keywords: the built-in default's node is "fallback".
    if (rules.empty()) out += "  r1{{\"no rules\"}} --> fallback\n";
    out += "  fallback{\"default<br/>" + mermaid_text(kDefaultWho) + "?\"}\n";
    out += "  fallback -- yes --> dlocal[\"" + mermaid_text(kDefaultLocal) + "\"]\n";
    out += "  fallback -- no --> dreject[\"" + mermaid_text(kDefaultReject) + "\"]\n";
    return out;
  }
  out =
      "digraph dialplan {\n  rankdir=TB;\n  node [fontname=\"Helvetica\"];\n"
      "  start [shape=oval, label=\"" +
      dot_text(start) + "\"];\n";
  std::string previous = "start";
  std::string edge_label;
  for (size_t i = 0; i < rules.size(); ++i) {
    const config::Rule& rule = rules[i];
    const std::string id = "r" + std::to_string(i + 1);
    out += "  " + id + " [shape=diamond, label=\"" + std::to_string(i + 1) + ". " +
           dot_text(rule.name) + "\\n" + dot_text(rule.match) + "\\n" +
           dot_text(describe_conditions(rule)) + "\"];\n";
    out += "  a" + std::to_string(i + 1) + " [shape=box, label=\"" +
           dot_text(describe_action(rule)) + "\"];\n";
    out += detail::concat("  ", previous, " -> ", id, edge_label, ";\n");
    out += "  " + id + " -> a" + std::to_string(i + 1) + " [label=\"yes\"];\n";
    previous = id;
    edge_label = " [label=\"no\"]";
  }
  out += "  default [shape=diamond, label=\"default\\n" + dot_text(kDefaultWho) + "?\"];\n";
  out += "  " + previous + " -> default" + edge_label + ";\n";
  out += "  dlocal [shape=box, label=\"" + dot_text(kDefaultLocal) + "\"];\n";
  out += "  dreject [shape=box, label=\"" + dot_text(kDefaultReject) + "\"];\n";
  out += "  default -> dlocal [label=\"yes\"];\n  default -> dreject [label=\"no\"];\n}\n";
  return out;
}

}  // namespace hardline::routing
