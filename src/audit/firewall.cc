#include "audit/firewall.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

namespace hardline::audit {
namespace {

using Json = nlohmann::json;

std::optional<uint16_t> parse_port(std::string_view text) {
  uint32_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty() || value > 65535) return std::nullopt;
  return static_cast<uint16_t>(value);
}

std::optional<uint16_t> json_port(const Json& value) {
  if (value.is_number_unsigned() && value.get<uint64_t>() <= 65535) {
    return static_cast<uint16_t>(value.get<uint64_t>());
  }
  if (value.is_string()) return parse_port(value.get_ref<const std::string&>());
  return std::nullopt;
}

std::string json_text(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

using NamedSets = std::map<std::string, std::vector<PortRange>>;

std::string set_key(const Json& object, std::string_view name) {
  auto text = [&](const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  return text("family") + " " + text("table") + " " + std::string(name);
}

// A port value: 5060, "5060", {"range": [a, b]}, {"set": [...]}, {"elem": {"val": ...}} or
// "@name" (a named set of the same table). False when it is anything else.
bool collect_ports(const Json& value, const NamedSets& sets, const std::string& table_key,
                   std::vector<PortRange>& out, int depth = 0) {
  if (depth > 8) return false;
  if (auto port = json_port(value)) {
    out.push_back({*port, *port});
    return true;
  }
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (text.size() > 1 && text[0] == '@') {
      auto it = sets.find(table_key + text.substr(1));
      if (it == sets.end()) return false;
      out.insert(out.end(), it->second.begin(), it->second.end());
      return true;
    }
    return false;
  }
  if (value.is_array()) {
    bool any = false;
    for (const Json& element : value)
      any = collect_ports(element, sets, table_key, out, depth + 1) || any;
    return any;
  }
  if (!value.is_object()) return false;
  if (auto range = value.find("range"); range != value.end()) {
    if (!range->is_array() || range->size() != 2) return false;
    auto first = json_port((*range)[0]);
    auto last = json_port((*range)[1]);
    if (!first || !last || *first > *last) return false;
    out.push_back({*first, *last});
    return true;
  }
  if (auto set = value.find("set"); set != value.end()) {
    return collect_ports(*set, sets, table_key, out, depth + 1);
  }
  if (auto elem = value.find("elem"); elem != value.end() && elem->is_object()) {
    auto val = elem->find("val");
    return val != elem->end() && collect_ports(*val, sets, table_key, out, depth + 1);
  }
  return false;
}

// The strings of a match's right side: "udp", ["tcp", "udp"], {"set": [...]}.
std::vector<std::string> strings_of(const Json& value) {
  std::vector<std::string> out;
  if (value.is_string()) {
    out.push_back(value.get<std::string>());
  } else if (value.is_array()) {
    for (const Json& element : value) {
      if (element.is_string()) out.push_back(element.get<std::string>());
    }
  } else if (value.is_object()) {
    if (auto set = value.find("set"); set != value.end()) return strings_of(*set);
  }
  return out;
}

bool contains(const std::vector<std::string>& values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

struct RuleReading {
  AcceptRule rule;
  bool any_match = false;
  std::vector<PortRange> ports;
  bool port_udp = true;
  bool port_tcp = true;
  bool l4_udp = true;
  bool l4_tcp = true;
};

// Applies one "match" expression to the rule being read.
void read_match(const Json& match, const NamedSets& sets, const std::string& table_key,
                RuleReading& reading) {
  reading.any_match = true;
  AcceptRule& rule = reading.rule;
  const Json* left = match.contains("left") ? &match["left"] : nullptr;
  const Json* right = match.contains("right") ? &match["right"] : nullptr;
  const std::string op = match.contains("op") && match["op"].is_string()
                             ? match["op"].get<std::string>()
                             : std::string("==");
  if (left == nullptr || right == nullptr || !left->is_object() || (op != "==" && op != "in")) {
    rule.other_conditions = true;
    return;
  }
  if (auto payload = left->find("payload"); payload != left->end() && payload->is_object()) {
    const std::string protocol = json_text(*payload, "protocol");
    const std::string field = json_text(*payload, "field");
    if (field == "dport" && (protocol == "udp" || protocol == "tcp" || protocol == "th")) {
      std::vector<PortRange> ports;
      if (!collect_ports(*right, sets, table_key, ports)) {
        rule.other_conditions = true;
        return;
      }
      reading.ports.insert(reading.ports.end(), ports.begin(), ports.end());
      if (protocol == "udp") reading.port_tcp = false;
      if (protocol == "tcp") reading.port_udp = false;
      return;
    }
    if (protocol == "ip" || protocol == "icmp") rule.v6 = false;
    if (protocol == "ip6" || protocol == "icmpv6") rule.v4 = false;
    rule.other_conditions = true;
    return;
  }
  if (auto meta = left->find("meta"); meta != left->end() && meta->is_object()) {
    const std::string key = json_text(*meta, "key");
    const std::vector<std::string> values = strings_of(*right);
    if (key == "l4proto") {
      reading.l4_udp = contains(values, "udp");
      reading.l4_tcp = contains(values, "tcp");
      if (!reading.l4_udp && !reading.l4_tcp) rule.other_conditions = true;
      return;
    }
    if (key == "nfproto") {
      rule.v4 = rule.v4 && contains(values, "ipv4");
      rule.v6 = rule.v6 && contains(values, "ipv6");
      return;
    }
    if ((key == "iif" || key == "iifname") && values.size() == 1 && values[0] == "lo") {
      rule.loopback_only = true;
      return;
    }
    rule.other_conditions = true;
    return;
  }
  if (auto ct = left->find("ct"); ct != left->end() && ct->is_object()) {
    const std::vector<std::string> values = strings_of(*right);
    if (json_text(*ct, "key") == "state" && !values.empty() && !contains(values, "new") &&
        !contains(values, "untracked")) {
      rule.established_only = true;
      return;
    }
  }
  rule.other_conditions = true;
}

}  // namespace

std::string_view family_name(Family family) {
  return family == Family::kIpv4 ? "IPv4" : "IPv6";
}

Result<Ruleset, std::string> parse_nft_json(std::string_view text) {
  Json document = Json::parse(text.begin(), text.end(), nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    return tl::unexpected(std::string("not the JSON of `nft -j list ruleset`"));
  }
  auto items = document.find("nftables");
  if (items == document.end() || !items->is_array()) {
    return tl::unexpected(std::string("no \"nftables\" array in the JSON"));
  }
  Ruleset ruleset;
  std::map<std::string, size_t> chain_index;  // "family table chain" -> ruleset.chains
  std::map<size_t, bool> last_rule_drops;
  NamedSets sets;

  // Tables, base chains and named sets first: rules may refer to any of them.
  for (const Json& item : *items) {
    if (!item.is_object()) continue;
    if (auto table = item.find("table"); table != item.end() && table->is_object()) {
      const std::string family = json_text(*table, "family");
      const std::string name = json_text(*table, "name");
      if (name == "filter" && family == "ip") ruleset.has_ip_filter = true;
      if (name == "filter" && family == "ip6") ruleset.has_ip6_filter = true;
    }
    if (auto set = item.find("set"); set != item.end() && set->is_object()) {
      std::vector<PortRange> ports;
      if (auto elem = set->find("elem"); elem != set->end()) {
        collect_ports(*elem, sets, "", ports);
      }
      sets[set_key(*set, json_text(*set, "name"))] = std::move(ports);
    }
    auto chain = item.find("chain");
    if (chain == item.end() || !chain->is_object()) continue;
    if (json_text(*chain, "hook") != "input" || json_text(*chain, "type") != "filter") continue;
    const std::string family = json_text(*chain, "family");
    InputChain input;
    input.v4 = family == "ip" || family == "inet";
    input.v6 = family == "ip6" || family == "inet";
    if (!input.v4 && !input.v6) continue;
    input.name = family + " " + json_text(*chain, "table") + " " + json_text(*chain, "name");
    const std::string policy = json_text(*chain, "policy");
    input.drops_by_default = policy == "drop";
    chain_index[input.name] = ruleset.chains.size();
    ruleset.chains.push_back(std::move(input));
  }

  for (const Json& item : *items) {
    if (!item.is_object()) continue;
    auto rule_it = item.find("rule");
    if (rule_it == item.end() || !rule_it->is_object()) continue;
    const Json& rule = *rule_it;
    const std::string family = json_text(rule, "family");
    const std::string table_key = family + " " + json_text(rule, "table") + " ";
    auto found = chain_index.find(table_key + json_text(rule, "chain"));
    if (found == chain_index.end()) continue;
    InputChain& chain = ruleset.chains[found->second];

    RuleReading reading;
    std::string verdict;
    auto expressions = rule.find("expr");
    if (expressions != rule.end() && expressions->is_array()) {
      for (const Json& expression : *expressions) {
        if (!expression.is_object() || expression.size() != 1) continue;
        const std::string& kind = expression.begin().key();
        if (kind == "match" && expression.begin()->is_object()) {
          read_match(*expression.begin(), sets, table_key, reading);
        } else if (kind == "accept" || kind == "drop" || kind == "reject" || kind == "jump" ||
                   kind == "goto" || kind == "return" || kind == "queue") {
          verdict = kind;
        } else if (kind != "counter" && kind != "log" && kind != "comment") {
          reading.rule.other_conditions = true;  // limit, quota, xt, meter, ...
          reading.any_match = true;
        }
      }
    }
    const bool unconditional = !reading.any_match;
    last_rule_drops[found->second] = unconditional && (verdict == "drop" || verdict == "reject");
    if (verdict != "accept") continue;
    if (unconditional) {
      chain.accepts_everything = true;
      continue;
    }
    AcceptRule accept = reading.rule;
    accept.ports = std::move(reading.ports);
    accept.udp = reading.port_udp && reading.l4_udp;
    accept.tcp = reading.port_tcp && reading.l4_tcp;
    chain.accepts.push_back(std::move(accept));
  }
  for (auto [index, drops] : last_rule_drops) {
    if (drops) ruleset.chains[index].drops_by_default = true;
  }
  for (InputChain& chain : ruleset.chains) {
    if (chain.accepts_everything) chain.drops_by_default = false;
  }
  return ruleset;
}

namespace {

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    size_t start = i;
    if (line[i] == '"') {  // a quoted comment: one word
      ++i;
      while (i < line.size() && line[i] != '"') ++i;
      if (i < line.size()) ++i;
    } else {
      while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    }
    words.push_back(line.substr(start, i - start));
  }
  return words;
}

// "5060", "10000:20000", "5060,5061,10000:20000".
bool iptables_ports(std::string_view text, std::vector<PortRange>& out) {
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    size_t colon = item.find(':');
    auto first = parse_port(item.substr(0, colon));
    auto last = colon == std::string_view::npos ? first : parse_port(item.substr(colon + 1));
    if (!first || !last || *first > *last) return false;
    out.push_back({*first, *last});
  }
  return true;
}

}  // namespace

Result<Ruleset, std::string> parse_iptables_save(std::string_view text, Family family) {
  Ruleset ruleset;
  InputChain chain;
  chain.name = family == Family::kIpv4 ? "iptables filter INPUT" : "ip6tables filter INPUT";
  chain.v4 = family == Family::kIpv4;
  chain.v6 = family == Family::kIpv6;
  bool in_filter = false;
  bool seen_input = false;
  bool last_rule_drops = false;
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '*') {
      in_filter = line == "*filter";
      continue;
    }
    if (!in_filter) continue;
    std::vector<std::string_view> words = split_words(line);
    if (words.empty()) continue;
    if (words[0] == ":INPUT") {
      seen_input = true;
      chain.drops_by_default = words.size() > 1 && words[1] == "DROP";
      continue;
    }
    if (words[0] != "-A" || words.size() < 2 || words[1] != "INPUT") continue;
    seen_input = true;
    AcceptRule rule;
    rule.v4 = chain.v4;
    rule.v6 = chain.v6;
    bool any_match = false;
    bool udp = true;
    bool tcp = true;
    std::string_view target;
    for (size_t i = 2; i < words.size(); ++i) {
      std::string_view word = words[i];
      auto next = [&]() -> std::string_view { return i + 1 < words.size() ? words[++i] : ""; };
      if (word == "!") {
        rule.other_conditions = true;
        any_match = true;
        continue;
      }
      if (word == "-j" || word == "--jump" || word == "-g" || word == "--goto") {
        target = next();
        // Target options (--reject-with ...) follow; they are not conditions.
        while (i + 1 < words.size()) ++i;
        break;
      }
      if (word == "-m" || word == "--match" || word == "-c") {
        next();  // a module name (its options follow) or counters
        if (word == "-c") next();
        continue;
      }
      if (word == "--comment") {
        next();
        continue;
      }
      any_match = true;
      if (word == "-p" || word == "--protocol") {
        std::string_view protocol = next();
        udp = protocol == "udp" || protocol == "17";
        tcp = protocol == "tcp" || protocol == "6";
        if (!udp && !tcp) rule.other_conditions = true;
      } else if (word == "--dport" || word == "--dports" || word == "--destination-port" ||
                 word == "--destination-ports") {
        if (!iptables_ports(next(), rule.ports)) rule.other_conditions = true;
      } else if (word == "-i" || word == "--in-interface") {
        if (next() == "lo") {
          rule.loopback_only = true;
        } else {
          rule.other_conditions = true;
        }
      } else if (word == "--state" || word == "--ctstate") {
        std::string_view states = next();
        if (states.find("NEW") == std::string_view::npos &&
            states.find("UNTRACKED") == std::string_view::npos) {
          rule.established_only = true;
        } else {
          rule.other_conditions = true;
        }
      } else {
        rule.other_conditions = true;
        if (i + 1 < words.size() && !words[i + 1].empty() && words[i + 1][0] != '-') ++i;
      }
    }
    last_rule_drops = !any_match && (target == "DROP" || target == "REJECT");
    if (target != "ACCEPT") continue;
    if (!any_match) {
      chain.accepts_everything = true;
      continue;
    }
    rule.udp = udp;
    rule.tcp = tcp;
    chain.accepts.push_back(std::move(rule));
  }
  if (last_rule_drops) chain.drops_by_default = true;
  if (chain.accepts_everything) chain.drops_by_default = false;
  if (seen_input) ruleset.chains.push_back(std::move(chain));
  return ruleset;
}

namespace {

bool sees(const InputChain& chain, Family family) {
  return family == Family::kIpv4 ? chain.v4 : chain.v6;
}

}  // namespace

std::vector<std::string> dropping_chains(const Ruleset& ruleset, Family family) {
  std::vector<std::string> names;
  for (const InputChain& chain : ruleset.chains) {
    if (sees(chain, family) && chain.drops_by_default) names.push_back(chain.name);
  }
  return names;
}

std::vector<std::string> open_chains(const Ruleset& ruleset, Family family) {
  std::vector<std::string> names;
  for (const InputChain& chain : ruleset.chains) {
    if (sees(chain, family) && !chain.drops_by_default) names.push_back(chain.name);
  }
  return names;
}

bool port_accepted(const Ruleset& ruleset, Family family, Protocol protocol, uint16_t port) {
  bool any_dropping = false;
  for (const InputChain& chain : ruleset.chains) {
    if (!sees(chain, family) || !chain.drops_by_default) continue;
    any_dropping = true;
    const bool accepted =
        std::any_of(chain.accepts.begin(), chain.accepts.end(), [&](const AcceptRule& rule) {
          if (rule.loopback_only || rule.established_only) return false;
          if (!(family == Family::kIpv4 ? rule.v4 : rule.v6)) return false;
          if (!(protocol == Protocol::kUdp ? rule.udp : rule.tcp)) return false;
          return std::any_of(rule.ports.begin(), rule.ports.end(), [port](const PortRange& range) {
            return range.first <= port && port <= range.last;
          });
        });
    if (!accepted) return false;
  }
  return any_dropping;
}

}  // namespace hardline::audit
