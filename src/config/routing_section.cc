// [sources], [[trunk]] and [dialplan]: the routing tables, in the main file or in the file named
// by dialplan.include. See docs/dialplan.md for what each key means.
#include <algorithm>
#include <charconv>
#include <system_error>

#include "config/checker.h"

namespace hardline::config::detail {
namespace {

constexpr size_t kMaxRules = 1000;
constexpr size_t kMaxTrunks = 100;

bool printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// The fix for text that is no network: the network meant when only host bits are wrong
// ("10.0.0.1/8" -> "10.0.0.0/8"), else the syntax.
std::string network_fix(std::string_view text) {
  const size_t slash = text.find('/');
  const auto address = parse_ip_address(text.substr(0, slash));
  if (address && slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (!digits.empty() && ec == std::errc{} && end == digits.data() + digits.size() &&
        value <= (address->v6 ? 128U : 32U)) {
      return "it has bits set beyond its prefix: write the network, \"" +
             to_string(network_of(*address, static_cast<uint8_t>(value))) + "\"";
    }
  }
  return "write an address (\"192.0.2.10\") or a network in CIDR notation (\"10.0.0.0/8\", "
         "\"fd00::/8\")";
}

}  // namespace

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '_' || c == '.';
  });
}

std::optional<std::vector<std::string>> Checker::names(const toml::node& node,
                                                       std::string_view name,
                                                       std::string_view example,
                                                       std::string_view what) {
  auto values = strings(node, name, example);
  if (!values) return std::nullopt;
  std::vector<std::string> out;
  bool ok = true;
  for (const auto& [text, element] : *values) {
    if (!valid_name(text)) {
      error(element->source(), std::string(name) + " entry " + in_quotes(text) + " is not " +
                                   std::string(what) +
                                   ": use 1 to 32 letters, digits, '-', '_' or '.'");
      ok = false;
    } else if (std::count(out.begin(), out.end(), text)) {
      error(element->source(),
            std::string(name) + " lists " + in_quotes(text) + " twice: remove the second entry");
      ok = false;
    } else {
      out.push_back(text);
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

void Checker::read_sources(const toml::table& table) {
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    const std::string where = "sources." + name;
    if (!valid_name(name)) {
      error(key.source(), "source category " + in_quotes(name) +
                              " is not a valid name: use 1 to 32 letters, digits, '-', '_' "
                              "or '.', e.g. office = [\"10.0.0.0/8\"]");
      continue;
    }
    const bool taken = std::any_of(config_.sources.begin(), config_.sources.end(),
                                   [&](const SourceCategory& c) { return c.name == name; });
    if (taken) {
      error(key.source(), "source category " + in_quotes(name) +
                              " is defined twice (here and in the other file): keep one");
      continue;
    }
    auto values = strings(node, where, "office = [\"10.0.0.0/8\", \"fd00::/8\"]");
    if (!values) continue;
    SourceCategory category{name, {}, Origin{file_, key.source().begin.line}};
    if (values->empty()) {
      error(node.source(), concat(where, " is empty: list its networks, e.g. ", name,
                                  " = [\"10.0.0.0/8\", \"fd00::/8\"], or remove it"));
    }
    for (const auto& [text, element] : *values) {
      auto network = parse_network(text);
      if (!network) {
        error(element->source(),
              concat(where, " entry ", in_quotes(text), " is not a network: ", network_fix(text)));
      } else if (std::count(category.networks.begin(), category.networks.end(), *network)) {
        error(element->source(),
              where + " lists " + in_quotes(text) + " twice: remove the second entry");
      } else {
        category.networks.push_back(*network);
      }
    }
    config_.sources.push_back(std::move(category));
  }
}

void Checker::read_trunks(const toml::node& node) {
  const auto* array = node.as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    error(node.source(),
          "trunk must be written as [[trunk]] sections (one per trunk), each with name, host "
          "and the other trunk keys: see docs/configuration.md");
    return;
  }
  for (const toml::node& element : *array) {
    if (config_.trunks.size() >= kMaxTrunks) {
      error(element.source(), "more than 100 trunks: merge or remove some");
      return;
    }
    read_trunk(*element.as_table());
  }
}

void Checker::read_trunk(const toml::table& table) {
  Trunk trunk;
  trunk.where = Origin{file_, table.source().begin.line};
  const toml::node* prefix_node = nullptr;
  bool has_name = false;
  bool has_host = false;
  const KeyReader readers[] = {
      {"name",
       [&](const toml::node& node) {
         auto value = string(node, "trunk.name", "name = \"provider\"");
         if (!value) return;
         has_name = true;
         if (!valid_name(*value)) {
           error(node.source(), "trunk.name " + in_quotes(*value) +
                                    " is not a valid name: use 1 to 32 letters, digits, '-', "
                                    "'_' or '.', e.g. \"provider\"");
         } else if (std::any_of(config_.trunks.begin(), config_.trunks.end(),
                                [&](const Trunk& t) { return t.name == *value; })) {
           error(node.source(),
                 "trunk " + in_quotes(*value) + " is defined twice: give each trunk its own name");
         } else {
           trunk.name = *value;
         }
       }},
      {"host",
       [&](const toml::node& node) {
         auto value = string(node, "trunk.host", "host = \"sip.provider.example\"");
         if (!value) return;
         has_host = true;
         if (!is_valid_host(*value)) {
           error(node.source(), "trunk.host " + in_quotes(*value) +
                                    " is not a host: write a DNS name or an IP address (IPv6 "
                                    "in brackets), e.g. \"sip.provider.example\"");
         } else {
           trunk.host = *value;
         }
       }},
      {"port",
       [&](const toml::node& node) {
         if (auto value = integer(node, "trunk.port", 1, 65535)) {
           trunk.port = static_cast<uint16_t>(*value);
         }
       }},
      {"transport",
       [&](const toml::node& node) {
         auto value = string(node, "trunk.transport", "transport = \"udp\"");
         if (!value) return;
         if (auto transport = parse_transport(*value)) {
           trunk.transport = *transport;
         } else {
           error(node.source(), "trunk.transport " + in_quotes(*value) +
                                    " is not a transport: use \"udp\", \"tcp\" or \"tls\"");
         }
       }},
      {"username",
       [&](const toml::node& node) {
         auto value = string(node, "trunk.username", "username = \"4930123456\"");
         if (!value) return;
         if (value->size() > 64 || !printable_ascii(*value)) {
           error(node.source(),
                 "trunk.username must be at most 64 printable ASCII characters: copy it "
                 "exactly as your provider gave it");
         } else {
           trunk.username = *value;
         }
       }},
      {"password",
       [&](const toml::node& node) {
         // The value is a secret: no message ever quotes it.
         const auto* value = node.as_string();
         if (value == nullptr) {
           error(node.source(), "trunk.password must be a string, not " +
                                    std::string(type_name(node)) + ": write it in double quotes");
         } else if (value->get().size() > 128 || !printable_ascii(value->get())) {
           error(node.source(),
                 "trunk.password must be at most 128 printable ASCII characters (its value is "
                 "not shown here)");
         } else {
           trunk.password = value->get();
         }
       }},
      {"sources",
       [&](const toml::node& node) {
         auto values = strings(node, "trunk.sources", "sources = [\"198.51.100.0/24\"]");
         if (!values) return;
         for (const auto& [text, element] : *values) {
           if (auto network = parse_network(text)) {
             if (network->prefix == 0) {
               error(element->source(),
                     "trunk.sources entry " + in_quotes(text) +
                         " would make every address on the Internet this trunk: list the "
                         "provider's own addresses");
             } else {
               trunk.sources.push_back(*network);
             }
             continue;
           }
           auto category =
               std::find_if(config_.sources.begin(), config_.sources.end(),
                            [&name = text](const SourceCategory& c) { return c.name == name; });
           if (category == config_.sources.end()) {
             const bool looks_like_network =
                 parse_ip_address(text.substr(0, text.find('/'))).has_value();
             error(element->source(),
                   looks_like_network
                       ? concat("trunk.sources entry ", in_quotes(text),
                                " is not a network: ", network_fix(text))
                       : concat("trunk.sources entry ", in_quotes(text),
                                " is neither a network (\"198.51.100.0/24\") nor a category of "
                                "[sources] defined so far: fix the spelling or add it to "
                                "[sources]"));
             continue;
           }
           trunk.sources.insert(trunk.sources.end(), category->networks.begin(),
                                category->networks.end());
         }
       }},
      {"caller_id_pattern",
       [&](const toml::node& node) {
         auto value =
             pattern(node, "trunk.caller_id_pattern", "caller_id_pattern = '^\\+?[0-9A-D]{1,32}$'",
                     "write an RE2 pattern of at most 256 characters, e.g. "
                     "'^\\+?[0-9A-D]{1,32}$' (single quotes keep backslashes)");
         if (value) trunk.caller_id_pattern = *value;
       }},
      {"caller_id_mismatch",
       [&](const toml::node& node) {
         auto value =
             string(node, "trunk.caller_id_mismatch", "caller_id_mismatch = \"anonymous\"");
         if (!value) return;
         if (*value == "anonymous") {
           trunk.caller_id_mismatch = CallerIdMismatch::kAnonymous;
         } else if (*value == "reject") {
           trunk.caller_id_mismatch = CallerIdMismatch::kReject;
         } else {
           error(node.source(), "trunk.caller_id_mismatch " + in_quotes(*value) +
                                    " is not known: use \"anonymous\" (rewrite the caller ID) "
                                    "or \"reject\" (refuse the call)");
         }
       }},
      {"caller_id_internal",
       [&](const toml::node& node) {
         auto value =
             string(node, "trunk.caller_id_internal", "caller_id_internal = \"anonymous\"");
         if (!value) return;
         if (*value == "anonymous") {
           trunk.caller_id_internal = InternalCallerId::kAnonymous;
         } else if (*value == "prefix") {
           trunk.caller_id_internal = InternalCallerId::kPrefix;
         } else if (*value == "reject") {
           trunk.caller_id_internal = InternalCallerId::kReject;
         } else {
           error(node.source(), "trunk.caller_id_internal " + in_quotes(*value) +
                                    " is not known: use \"anonymous\" (show such calls as "
                                    "Anonymous), \"prefix\" (put caller_id_prefix in front) or "
                                    "\"reject\" (refuse them)");
         }
       }},
      {"caller_id_prefix",
       [&](const toml::node& node) {
         prefix_node = &node;
         auto value = string(node, "trunk.caller_id_prefix", "caller_id_prefix = \"0\"");
         if (!value) return;
         const bool dialable = std::all_of(value->begin(), value->end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'D') || c == '+' || c == '*' ||
                  c == '#';
         });
         if (value->empty() || value->size() > 16 || !dialable) {
           error(node.source(),
                 "trunk.caller_id_prefix must be 1 to 16 of the characters 0-9, A-D, +, * and "
                 "#: the digits that put a number in the trunk's number space, e.g. \"0\" or "
                 "\"+4930\"");
         } else {
           trunk.caller_id_prefix = *value;
         }
       }},
      {"caller_name_prefix",
       [&](const toml::node& node) {
         auto value =
             string(node, "trunk.caller_name_prefix", "caller_name_prefix = \"provider: \"");
         if (!value) return;
         const bool blank = value->find_first_not_of(' ') == std::string::npos;
         if (blank || value->size() > 32 || !printable_ascii(*value)) {
           error(node.source(),
                 "trunk.caller_name_prefix must be 1 to 32 printable ASCII characters, not only "
                 "spaces, e.g. \"ext: \": phones show it before every display name from this "
                 "trunk, so that callers from outside cannot pass for colleagues");
         } else {
           trunk.caller_name_prefix = *value;
         }
       }},
      {"trusted",
       [&](const toml::node& node) {
         if (auto value = boolean(node, "trunk.trusted")) trunk.trusted = *value;
       }},
  };
  read_table(table, "[trunk]", readers);
  if (trunk.caller_id_internal == InternalCallerId::kPrefix && trunk.caller_id_prefix.empty() &&
      prefix_node == nullptr) {
    error(table.source(),
          "trunk caller_id_internal = \"prefix\" needs caller_id_prefix: add e.g. "
          "caller_id_prefix = \"0\" (the digits that put a number in the trunk's number space)");
  }
  if (trunk.caller_id_internal != InternalCallerId::kPrefix && prefix_node != nullptr) {
    error(prefix_node->source(),
          "trunk.caller_id_prefix has no use unless caller_id_internal = \"prefix\": set that, "
          "or remove caller_id_prefix");
  }
  if (!has_name) {
    error(table.source(), "a [[trunk]] has no name: add name = \"provider\" (rules name it)");
  }
  if (!has_host) {
    error(table.source(), "a [[trunk]] has no host: add host = \"sip.provider.example\"");
  }
  if (!trunk.name.empty()) config_.trunks.push_back(std::move(trunk));
}

void Checker::read_dialplan(const toml::table& table, bool included) {
  std::vector<KeyReader> readers;
  if (!included) {
    readers.push_back({"include", [&](const toml::node& node) {
                         auto value =
                             string(node, "dialplan.include", "include = \"dialplan.toml\"");
                         if (!value) return;
                         if (value->empty() || value->find('\0') != std::string::npos) {
                           error(node.source(),
                                 "dialplan.include must name a file, e.g. \"dialplan.toml\" "
                                 "(relative to this file's directory)");
                           return;
                         }
                         config_.dialplan.include = *value;
                       }});
  }
  // The numbering plan and the internal pattern belong with the rules they shape.
  auto digits = [&](std::string_view key, size_t min, size_t max, std::string Numbering::*field,
                    std::string_view example) {
    return KeyReader{
        key, [&, key, min, max, field, example](const toml::node& node) {
          const std::string name = "dialplan." + std::string(key);
          auto value = string(node, name, example);
          if (!value) return;
          const bool all_digits = std::all_of(value->begin(), value->end(),
                                              [](char c) { return c >= '0' && c <= '9'; });
          if (value->size() < min || value->size() > max || !all_digits) {
            error(node.source(),
                  concat(name, " ", in_quotes(*value), " must be ", std::to_string(min), " to ",
                         std::to_string(max), " digits, e.g. ", example));
            return;
          }
          config_.dialplan.numbering.*field = *value;
        }};
  };
  readers.push_back(
      digits("country_code", 1, 3, &Numbering::country_code, "country_code = \"49\""));
  readers.push_back(
      digits("national_prefix", 0, 3, &Numbering::national_prefix, "national_prefix = \"0\""));
  readers.push_back(digits("international_prefix", 1, 4, &Numbering::international_prefix,
                           "international_prefix = \"00\""));
  readers.push_back({"internal_numbers", [&](const toml::node& node) {
                       auto value = pattern(
                           node, "dialplan.internal_numbers",
                           "internal_numbers = '[1-9][0-9]{2,3}'",
                           "write an RE2 pattern of at most 256 characters for whole numbers, e.g. "
                           "'[1-9][0-9]{2,3}'");
                       if (value) config_.dialplan.internal_numbers = *value;
                     }});
  readers.push_back({"rule", [&](const toml::node& node) {
                       const auto* array = node.as_array();
                       if (array == nullptr || !array->is_array_of_tables()) {
                         error(node.source(),
                               "dialplan.rule must be written as [[dialplan.rule]] sections, "
                               "one per rule: see docs/dialplan.md");
                         return;
                       }
                       for (const toml::node& element : *array) {
                         if (config_.dialplan.rules.size() >= kMaxRules) {
                           error(element.source(), "more than 1000 dialplan rules: merge some");
                           return;
                         }
                         read_rule(*element.as_table());
                       }
                     }});
  read_table(table, "dialplan", readers);
  if (!included && !config_.dialplan.include.empty() && table.contains("rule")) {
    error(table.source(),
          "[dialplan] has both include and [[dialplan.rule]] sections: keep the rules in one "
          "place (move them into the included file, or remove include)");
  }
  for (std::string_view key :
       {"country_code", "national_prefix", "international_prefix", "internal_numbers"}) {
    const toml::node* node = table.get(key);
    if (node == nullptr || included || config_.dialplan.include.empty()) continue;
    error(node->source(), concat("dialplan.", key,
                                 " belongs with the rules it shapes: move it to the [dialplan] "
                                 "table of the included file"));
  }
  const Numbering& numbering = config_.dialplan.numbering;
  if (const toml::node* node = table.get("country_code");
      node != nullptr && numbering.country_code.starts_with('0')) {
    error(node->source(), "dialplan.country_code " + in_quotes(numbering.country_code) +
                              " starts with 0, which no country code does: write it without "
                              "the international prefix, e.g. country_code = \"49\"");
  }
  const toml::node* prefix = table.get("national_prefix");
  if (prefix == nullptr) prefix = table.get("international_prefix");
  if (prefix != nullptr && numbering.national_prefix.starts_with(numbering.international_prefix)) {
    const toml::node* node = prefix;
    error(node->source(),
          "dialplan.national_prefix must differ from international_prefix and not begin with "
          "it, or no number could be read: e.g. national_prefix = \"0\" and "
          "international_prefix = \"00\"");
  }
}

}  // namespace hardline::config::detail
