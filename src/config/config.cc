#include "config/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <span>
#include <sstream>
#include <system_error>
#include <utility>

#include "config/checker.h"
#include "sip/uri.h"

namespace hardline::config {

std::string_view privacy_mode_name(Config::PrivacyMode mode) {
  switch (mode) {
    case Config::PrivacyMode::kStats:
      return "stats";
    case Config::PrivacyMode::kSecurity:
      return "security";
    case Config::PrivacyMode::kDebug:
      return "debug";
  }
  return "stats";
}

const Config::Sip::Advertise* advertised(const Config::Sip& sip, const Endpoint& listen) {
  for (const Config::Sip::Advertise& entry : sip.advertise) {
    if (entry.listen == listen) return &entry;
  }
  return nullptr;
}

std::optional<Config::Sip::Advertise> parse_advertise(std::string_view text) {
  std::string_view host = text;
  std::string_view port;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(0, close + 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
      if (port.empty()) return std::nullopt;
    }
  } else if (const size_t colon = text.find(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    // A second colon: an IPv6 address without brackets, which a Via could not carry.
    if (port.empty() || port.find(':') != std::string_view::npos) return std::nullopt;
  }
  if (!detail::is_valid_host(host)) return std::nullopt;
  // 0.0.0.0 and [::] name no host a phone could reach: they are what advertise replaces.
  if (auto address = parse_ip_address(host); address && is_unspecified(*address)) {
    return std::nullopt;
  }
  Config::Sip::Advertise out;
  out.host = std::string(host);
  if (!port.empty()) {
    if (port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    const int number = std::stoi(std::string(port));
    if (number < 1 || number > 65535) return std::nullopt;
    out.port = static_cast<uint16_t>(number);
  }
  return out;
}

std::string_view digest_algorithm_name(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::kMd5 ? "MD5" : "SHA-256";
}

uint32_t reserved_file_descriptors(const Config& config) {
  return kFixedFileDescriptors + static_cast<uint32_t>(config.sip.listen.size()) +
         (config.admin.enabled ? kAdminMaxConnections : 0);
}

std::string ConfigError::to_string() const {
  if (line == 0) return file + ": " + message;
  std::string where = file + ":" + std::to_string(line);
  if (column != 0) where += ":" + std::to_string(column);
  return where + ": " + message;
}

namespace detail {

// Text from the file quoted in a message: short, and with control bytes replaced so that an
// error can never carry a line break or an escape sequence to a terminal or a log.
std::string printable(std::string_view text) {
  constexpr size_t kMaxQuoted = 64;
  std::string out;
  for (char c : text.substr(0, kMaxQuoted)) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 || byte == 0x7f) ? '?' : c;
  }
  if (text.size() > kMaxQuoted) out += "...";
  return out;
}
std::string in_quotes(std::string_view text) {
  return "'" + printable(text) + "'";
}

std::string syntax_hint(std::string_view description, std::string_view layout) {
  // toml++: "unknown escape sequence '\d'". In double quotes a backslash starts an escape, and
  // TOML knows only a few: the pattern '\d{3}' wants single quotes, not other double quotes.
  if (description.find("escape sequence") != std::string_view::npos) {
    return "a backslash in double quotes starts an escape: write patterns and other text with "
           "backslashes in single quotes, which keep them as written, e.g. match = '\\d{3}' "
           "(or double each backslash: \"\\\\d{3}\")";
  }
  return concat("fix the syntax here (strings need quotes: \"text\", or 'text' for patterns; ",
                layout, ")");
}

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// A host name (RFC 1123), an IPv4 address or a bracketed IPv6 address, as a SIP URI's host.
bool is_valid_host(std::string_view text) {
  std::string_view host;
  sip::HostKind kind = sip::HostKind::kNone;
  return text.size() <= 253 && sip::parse_host(text, host, kind);
}

// "2.4", "v1.0.3": a version number tells a scanner which exploits to try.
bool has_version_number(std::string_view text) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  for (size_t i = 0; i + 2 < text.size(); ++i) {
    if (digit(text[i]) && text[i + 1] == '.' && digit(text[i + 2])) return true;
  }
  return false;
}

namespace {
bool is_allowed_method(sip::Method method) {
  // Every method Hardline knows by name; an extension method cannot be enabled.
  return method != sip::Method::kOther;
}
}  // namespace

void Checker::read_table(const toml::table& table, std::string_view name,
                         std::span<const KeyReader> readers) {
  for (const auto& [key, node] : table) {
    auto reader = std::find_if(readers.begin(), readers.end(),
                               [&key = key](const KeyReader& r) { return r.key == key.str(); });
    if (reader != readers.end()) {
      reader->read(node);
      continue;
    }
    std::string known;
    for (const KeyReader& r : readers) {
      known += known.empty() ? "" : ", ";
      known += r.key;
    }
    error(key.source(), "unknown key " + in_quotes(key.str()) + " in [" + std::string(name) +
                            "]: check its spelling or remove it (the keys of [" +
                            std::string(name) + "] are " + known + ")");
  }
}

std::optional<std::string> Checker::string(const toml::node& node, std::string_view name,
                                           std::string_view example) {
  if (const auto* value = node.as_string()) return value->get();
  error(node.source(), std::string(name) + " must be a string, not " +
                           std::string(type_name(node)) + ": write it in double quotes, e.g. " +
                           std::string(example));
  return std::nullopt;
}

std::optional<uint32_t> Checker::integer(const toml::node& node, std::string_view name,
                                         uint32_t min, uint32_t max) {
  const std::string range = std::to_string(min) + " to " + std::to_string(max);
  const auto* value = node.as_integer();
  if (value == nullptr) {
    error(node.source(), std::string(name) + " must be an integer, not " +
                             std::string(type_name(node)) + ": write a whole number from " + range +
                             " without quotes");
    return std::nullopt;
  }
  const int64_t number = value->get();
  if (number < min || number > max) {
    error(node.source(), std::string(name) + " = " + std::to_string(number) +
                             " is out of range: use a whole number from " + range);
    return std::nullopt;
  }
  return static_cast<uint32_t>(number);
}

std::optional<bool> Checker::boolean(const toml::node& node, std::string_view name) {
  if (const auto* value = node.as_boolean()) return value->get();
  error(node.source(), std::string(name) + " must be a boolean, not " +
                           std::string(type_name(node)) + ": write true or false without quotes");
  return std::nullopt;
}

std::optional<std::vector<std::pair<std::string, const toml::node*>>> Checker::strings(
    const toml::node& node, std::string_view name, std::string_view example) {
  const auto* array = node.as_array();
  if (array == nullptr) {
    error(node.source(), std::string(name) + " must be an array of strings, not " +
                             std::string(type_name(node)) + ": write it as " +
                             std::string(example));
    return std::nullopt;
  }
  std::vector<std::pair<std::string, const toml::node*>> out;
  bool ok = true;
  for (const toml::node& element : *array) {
    if (const auto* value = element.as_string()) {
      out.emplace_back(value->get(), &element);
    } else {
      error(element.source(), "each entry of " + std::string(name) + " must be a string, not " +
                                  std::string(type_name(element)) + ": write it as " +
                                  std::string(example));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

void Checker::read_sip(const toml::table& table, const toml::source_region& where) {
  bool has_domain = false;
  bool has_listen = false;
  // sip.advertise, checked against sip.listen once both are read: a string for every listen
  // address (key empty), or listen address = name pairs.
  struct PendingAdvertise {
    std::string listen;
    const toml::node* listen_at;
    Config::Sip::Advertise value;
  };
  std::vector<PendingAdvertise> advertise;
  const toml::node* advertise_all = nullptr;
  auto advertise_value = [&](const toml::node& node) -> std::optional<Config::Sip::Advertise> {
    const auto* text = node.as_string();
    if (text == nullptr) {
      error(node.source(),
            "each value of sip.advertise must be a string, not " + std::string(type_name(node)) +
                ": write e.g. advertise = { \"udp:0.0.0.0:5060\" = \"203.0.113.5\" }");
      return std::nullopt;
    }
    auto parsed = parse_advertise(text->get());
    if (!parsed) {
      error(node.source(),
            "sip.advertise " + in_quotes(text->get()) +
                " is not a name or address phones can reach: write a host name, an IPv4 "
                "address or an IPv6 address in brackets, with \":PORT\" or without (then the "
                "listener's port), e.g. \"pbx.example.org\", \"203.0.113.5:5060\" or "
                "\"[2001:db8::5]\"; never 0.0.0.0 or [::]");
    }
    return parsed;
  };
  const KeyReader readers[] = {
      {"domain",
       [&](const toml::node& node) {
         has_domain = true;
         auto value = string(node, "sip.domain", "domain = \"pbx.example.org\"");
         if (!value) return;
         if (!is_valid_host(*value)) {
           error(node.source(),
                 "sip.domain is not a valid host name: use the name clients put after '@' in "
                 "their SIP address, e.g. \"pbx.example.org\", or an IP address");
           return;
         }
         config_.sip.domain = *value;
       }},
      {"aliases",
       [&](const toml::node& node) {
         auto values = strings(node, "sip.aliases", "aliases = [\"sip.example.org\"]");
         if (!values) return;
         config_.sip.aliases.clear();
         for (const auto& [alias, element] : *values) {
           if (!is_valid_host(alias)) {
             error(element->source(), "sip.aliases entry " + in_quotes(alias) +
                                          " is not a valid host name: use a DNS name or an IP "
                                          "address, e.g. \"sip.example.org\"");
           } else if (std::count(config_.sip.aliases.begin(), config_.sip.aliases.end(), alias)) {
             error(element->source(),
                   "sip.aliases lists " + in_quotes(alias) + " twice: remove the second entry");
           } else {
             config_.sip.aliases.push_back(alias);
           }
         }
       }},
      {"listen",
       [&](const toml::node& node) {
         has_listen = true;
         auto values = strings(node, "sip.listen", "listen = [\"udp:192.0.2.10:5060\"]");
         if (!values) return;
         config_.sip.listen.clear();
         if (values->empty()) {
           error(node.source(),
                 "sip.listen is empty: give at least one address to listen on, e.g. "
                 "listen = [\"udp:192.0.2.10:5060\"]");
         }
         for (const auto& [spec, element] : *values) {
           auto endpoint = parse_endpoint_spec(spec);
           if (!endpoint) {
             error(element->source(),
                   "sip.listen entry " + in_quotes(spec) +
                       " is not a listen address: write \"udp:ADDRESS:PORT\" or "
                       "\"tcp:ADDRESS:PORT\" with an IP address (IPv6 in brackets), e.g. "
                       "\"udp:192.0.2.10:5060\" or \"tcp:[2001:db8::10]:5060\"");
           } else if (std::count(config_.sip.listen.begin(), config_.sip.listen.end(), *endpoint)) {
             error(element->source(),
                   "sip.listen lists " + in_quotes(spec) + " twice: remove the second entry");
           } else {
             config_.sip.listen.push_back(*endpoint);
           }
         }
       }},
      {"advertise",
       [&](const toml::node& node) {
         if (node.is_string()) {
           if (auto value = advertise_value(node)) {
             advertise_all = &node;
             advertise.push_back(PendingAdvertise{"", &node, *value});
           }
           return;
         }
         const auto* entries = node.as_table();
         if (entries == nullptr) {
           error(node.source(),
                 "sip.advertise must be a string (the name or address for every listen "
                 "address) or a table of listen address = name, not " +
                     std::string(type_name(node)) +
                     ": write advertise = \"pbx.example.org\" or advertise = { "
                     "\"udp:0.0.0.0:5060\" = \"203.0.113.5\" }");
           return;
         }
         for (const auto& [key, value] : *entries) {
           if (auto parsed = advertise_value(value)) {
             advertise.push_back(PendingAdvertise{std::string(key.str()), &value, *parsed});
           }
         }
       }},
      {"server_header",
       [&](const toml::node& node) {
         auto value = string(node, "sip.server_header", "server_header = \"\"");
         if (!value) return;
         constexpr size_t kMaxServerHeader = 128;
         const bool printable = std::all_of(value->begin(), value->end(),
                                            [](char c) { return c >= 0x20 && c < 0x7f; });
         if (!printable || value->size() > kMaxServerHeader) {
           error(node.source(),
                 "sip.server_header must be at most 128 printable ASCII characters: shorten "
                 "it, or set it to \"\" to send no Server header");
         } else if (has_version_number(*value)) {
           error(node.source(),
                 "sip.server_header contains a version number, which tells attackers which "
                 "exploits to try: remove the version (e.g. \"Hardline\") or set it to \"\" "
                 "to send no Server header");
         } else {
           config_.sip.server_header = *value;
         }
       }},
      {"methods",
       [&](const toml::node& node) {
         auto values = strings(node, "sip.methods", "methods = [\"REGISTER\", \"INVITE\"]");
         if (!values) return;
         config_.sip.methods.clear();
         if (values->empty()) {
           error(node.source(),
                 "sip.methods is empty: list the SIP methods to accept, e.g. methods = "
                 "[\"REGISTER\", \"INVITE\", \"ACK\", \"BYE\", \"CANCEL\"]");
         }
         for (const auto& [name, element] : *values) {
           const sip::Method method = sip::lookup_method(name);
           if (!is_allowed_method(method)) {
             error(element->source(),
                   "sip.methods entry " + in_quotes(name) +
                       " is not a method Hardline supports: use upper-case names from "
                       "REGISTER INVITE ACK BYE CANCEL OPTIONS SUBSCRIBE NOTIFY MESSAGE INFO "
                       "REFER UPDATE PRACK PUBLISH");
           } else if (std::count(config_.sip.methods.begin(), config_.sip.methods.end(), method)) {
             error(element->source(),
                   "sip.methods lists " + in_quotes(name) + " twice: remove the second entry");
           } else {
             config_.sip.methods.push_back(method);
           }
         }
       }},
  };
  read_table(table, "sip", readers);
  if (!has_domain) {
    error(where,
          "[sip] has no domain: add domain = \"pbx.example.org\" (the name after '@' in your "
          "users' SIP addresses)");
  }
  if (!has_listen) {
    error(where,
          "[sip] has no listen addresses: add e.g. listen = [\"udp:192.0.2.10:5060\", "
          "\"tcp:192.0.2.10:5060\"]");
  }
  config_.sip.advertise.clear();
  if (advertise_all != nullptr) {
    for (const Endpoint& listen : config_.sip.listen) {
      Config::Sip::Advertise value = advertise.front().value;
      value.listen = listen;
      config_.sip.advertise.push_back(std::move(value));
    }
    return;
  }
  for (PendingAdvertise& entry : advertise) {
    const auto listen = parse_endpoint_spec(entry.listen);
    const bool listed =
        listen && std::count(config_.sip.listen.begin(), config_.sip.listen.end(), *listen) > 0;
    if (!listed) {
      error(entry.listen_at->source(),
            "sip.advertise names " + in_quotes(entry.listen) +
                ", which is not in sip.listen: use a listen entry as written there, e.g. "
                "advertise = { \"udp:0.0.0.0:5060\" = \"203.0.113.5\" }, or one string for "
                "every listen address");
      continue;
    }
    if (advertised(config_.sip, *listen) != nullptr) {
      error(entry.listen_at->source(),
            "sip.advertise names " + in_quotes(entry.listen) + " twice: remove the second entry");
      continue;
    }
    entry.value.listen = *listen;
    config_.sip.advertise.push_back(std::move(entry.value));
  }
}

void Checker::read_auth(const toml::table& table) {
  const KeyReader readers[] = {
      {"algorithms",
       [&](const toml::node& node) {
         auto values = strings(node, "auth.algorithms", "algorithms = [\"SHA-256\", \"MD5\"]");
         if (!values) return;
         config_.auth.algorithms.clear();
         if (values->empty()) {
           error(node.source(),
                 "auth.algorithms is empty: list at least one of \"SHA-256\" and \"MD5\"");
         }
         for (const auto& [name, element] : *values) {
           DigestAlgorithm algorithm{};
           if (name == "SHA-256") {
             algorithm = DigestAlgorithm::kSha256;
           } else if (name == "MD5") {
             algorithm = DigestAlgorithm::kMd5;
           } else {
             error(element->source(), "auth.algorithms entry " + in_quotes(name) +
                                          " is not supported: use \"SHA-256\" or \"MD5\"");
             continue;
           }
           if (std::count(config_.auth.algorithms.begin(), config_.auth.algorithms.end(),
                          algorithm)) {
             error(element->source(),
                   "auth.algorithms lists " + in_quotes(name) + " twice: remove the second entry");
             continue;
           }
           config_.auth.algorithms.push_back(algorithm);
         }
       }},
      {"nonce_lifetime",
       [&](const toml::node& node) {
         if (auto value = integer(node, "auth.nonce_lifetime", 30, 3600)) {
           config_.auth.nonce_lifetime = *value;
         }
       }},
  };
  read_table(table, "auth", readers);
}

void Checker::read_registrar(const toml::table& table) {
  const size_t errors_before = errors_.size();
  const toml::node* min_node = nullptr;
  const toml::node* max_node = nullptr;
  const KeyReader readers[] = {
      {"min_expires",
       [&](const toml::node& node) {
         min_node = &node;
         if (auto value = integer(node, "registrar.min_expires", 1, 86400)) {
           config_.registrar.min_expires = *value;
         }
       }},
      {"max_expires",
       [&](const toml::node& node) {
         max_node = &node;
         if (auto value = integer(node, "registrar.max_expires", 1, 604800)) {
           config_.registrar.max_expires = *value;
         }
       }},
      {"max_contacts",
       [&](const toml::node& node) {
         if (auto value = integer(node, "registrar.max_contacts", 1, 100)) {
           config_.registrar.max_contacts = *value;
         }
       }},
  };
  read_table(table, "registrar", readers);
  const Config::Registrar& registrar = config_.registrar;
  // Limits are compared only when each was read without error, so one mistake gives one error.
  if (errors_.size() == errors_before && registrar.min_expires > registrar.max_expires) {
    error(min_node != nullptr ? min_node->source() : max_node->source(),
          "registrar.min_expires (" + std::to_string(registrar.min_expires) +
              ") is above registrar.max_expires (" + std::to_string(registrar.max_expires) +
              "): lower min_expires or raise max_expires");
  }
}

void Checker::read_transport(const toml::table& table) {
  const size_t errors_before = errors_.size();
  const toml::node* total_node = nullptr;
  const toml::node* per_source_node = nullptr;
  const KeyReader readers[] = {
      {"max_message_size",
       [&](const toml::node& node) {
         if (auto value = integer(node, "transport.max_message_size", 1024, 65535)) {
           config_.transport.max_message_size = *value;
         }
       }},
      {"tcp_idle_timeout",
       [&](const toml::node& node) {
         if (auto value = integer(node, "transport.tcp_idle_timeout", 5, 86400)) {
           config_.transport.tcp_idle_timeout = *value;
         }
       }},
      {"tcp_message_timeout",
       [&](const toml::node& node) {
         if (auto value = integer(node, "transport.tcp_message_timeout", 1, 600)) {
           config_.transport.tcp_message_timeout = *value;
         }
       }},
      {"max_tcp_connections",
       [&](const toml::node& node) {
         if (auto value = integer(node, "transport.max_tcp_connections", 1, 1'000'000)) {
           config_.transport.max_tcp_connections = *value;
           total_node = &node;
           max_tcp_connections_node_ = &node;
         }
       }},
      {"tcp_reserved_percent",
       [&](const toml::node& node) {
         if (auto value = integer(node, "transport.tcp_reserved_percent", 0, 90)) {
           config_.transport.tcp_reserved_percent = *value;
         }
       }},
      {"max_tcp_connections_per_source",
       [&](const toml::node& node) {
         auto value = integer(node, "transport.max_tcp_connections_per_source", 1, 1'000'000);
         if (value) {
           config_.transport.max_tcp_connections_per_source = *value;
           per_source_node = &node;
         }
       }},
  };
  read_table(table, "transport", readers);
  const Config::Transport& transport = config_.transport;
  if (errors_.size() == errors_before &&
      transport.max_tcp_connections_per_source > transport.max_tcp_connections) {
    error(per_source_node != nullptr ? per_source_node->source() : total_node->source(),
          "transport.max_tcp_connections_per_source (" +
              std::to_string(transport.max_tcp_connections_per_source) +
              ") is above transport.max_tcp_connections (" +
              std::to_string(transport.max_tcp_connections) + "): lower the per-source limit");
  }
}

void Checker::read_transactions(const toml::table& table) {
  const size_t errors_before = errors_.size();
  const toml::node* total_node = nullptr;
  const toml::node* per_source_node = nullptr;
  const KeyReader readers[] = {
      {"max_total",
       [&](const toml::node& node) {
         if (auto value = integer(node, "transactions.max_total", 1, 10'000'000)) {
           config_.transactions.max_total = *value;
           total_node = &node;
         }
       }},
      {"max_per_source",
       [&](const toml::node& node) {
         if (auto value = integer(node, "transactions.max_per_source", 1, 10'000'000)) {
           config_.transactions.max_per_source = *value;
           per_source_node = &node;
         }
       }},
      {"max_completed",
       [&](const toml::node& node) {
         if (auto value = integer(node, "transactions.max_completed", 0, 10'000'000)) {
           config_.transactions.max_completed = *value;
         }
       }},
  };
  read_table(table, "transactions", readers);
  const Config::Transactions& transactions = config_.transactions;
  if (errors_.size() == errors_before && transactions.max_per_source > transactions.max_total) {
    error(per_source_node != nullptr ? per_source_node->source() : total_node->source(),
          "transactions.max_per_source (" + std::to_string(transactions.max_per_source) +
              ") is above transactions.max_total (" + std::to_string(transactions.max_total) +
              "): lower the per-source limit");
  }
}

// The [guard] integer settings: key, field and accepted range.
struct GuardInteger {
  std::string_view key;
  uint32_t Config::Guard::*field;
  uint32_t min;
  uint32_t max;
};

constexpr uint32_t kYear = 365 * 86400;
constexpr GuardInteger kGuardIntegers[] = {
    {"source_prefix_v4", &Config::Guard::source_prefix_v4, 8, 32},
    {"source_prefix_v6", &Config::Guard::source_prefix_v6, 32, 128},
    {"packet_rate", &Config::Guard::packet_rate, 1, 10'000'000},
    {"packet_burst", &Config::Guard::packet_burst, 1, 10'000'000},
    {"byte_rate", &Config::Guard::byte_rate, 1024, 1'000'000'000},
    {"byte_burst", &Config::Guard::byte_burst, 65535, 4'000'000'000},
    {"register_rate", &Config::Guard::register_rate, 1, 1'000'000},
    {"register_burst", &Config::Guard::register_burst, 1, 1'000'000},
    {"invite_rate", &Config::Guard::invite_rate, 1, 1'000'000},
    {"invite_burst", &Config::Guard::invite_burst, 1, 1'000'000},
    {"other_rate", &Config::Guard::other_rate, 1, 1'000'000},
    {"other_burst", &Config::Guard::other_burst, 1, 1'000'000},
    {"abuse_drops", &Config::Guard::abuse_drops, 1, 65535},
    {"abuse_window", &Config::Guard::abuse_window, 1, 3600},
    {"ban_duration", &Config::Guard::ban_duration, 1, kYear},
    {"max_ban_duration", &Config::Guard::max_ban_duration, 1, kYear},
    {"repeat_memory", &Config::Guard::repeat_memory, 0, kYear},
    {"source_auth_failures", &Config::Guard::source_auth_failures, 1, 100},
    {"source_auth_window", &Config::Guard::source_auth_window, 1, 86400},
    {"account_auth_failures", &Config::Guard::account_auth_failures, 1, 100},
    {"account_auth_window", &Config::Guard::account_auth_window, 1, 86400},
    {"lockout_duration", &Config::Guard::lockout_duration, 1, 7 * 86400},
    {"max_lockout_duration", &Config::Guard::max_lockout_duration, 1, 7 * 86400},
    {"recent_success", &Config::Guard::recent_success, 0, 86400},
    {"max_entries", &Config::Guard::max_entries, 1000, 1'000'000},
    {"max_bans", &Config::Guard::max_bans, 100, 1'000'000},
};

std::string lower_case(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

void Checker::read_guard(const toml::table& table) {
  const size_t errors_before = errors_.size();
  Config::Guard& guard = config_.guard;
  std::vector<KeyReader> readers;
  readers.push_back({"enabled", [&](const toml::node& node) {
                       if (auto value = boolean(node, "guard.enabled")) guard.enabled = *value;
                     }});
  readers.push_back({"trusted", [&](const toml::node& node) {
                       auto values = strings(node, "guard.trusted",
                                             "trusted = [\"192.0.2.0/24\", \"2001:db8:1::/48\"]");
                       if (!values) return;
                       guard.trusted.clear();
                       for (const auto& [text, element] : *values) {
                         read_guard_network("trusted",
                                            "trusts every address, which turns automatic bans "
                                            "and lockouts off for everyone: list your own "
                                            "networks, or set guard.enabled = false",
                                            text, *element, guard.trusted);
                       }
                     }});
  readers.push_back({"protected", [&](const toml::node& node) {
                       auto values = strings(node, "guard.protected",
                                             "protected = [\"127.0.0.0/8\", \"::1\"]");
                       if (!values) return;
                       guard.protected_networks.clear();
                       for (const auto& [text, element] : *values) {
                         read_guard_network("protected",
                                            "protects every address, so that no flood or "
                                            "scanner is ever banned: list loopback and your own "
                                            "networks",
                                            text, *element, guard.protected_networks);
                       }
                     }});
  for (const GuardInteger& spec : kGuardIntegers) {
    readers.push_back({spec.key, [&, spec](const toml::node& node) {
                         const std::string name = "guard." + std::string(spec.key);
                         if (auto value = integer(node, name, spec.min, spec.max)) {
                           guard.*spec.field = *value;
                         }
                       }});
  }
  readers.push_back(
      {"scanner_signatures", [&](const toml::node& node) {
         auto values = strings(node, "guard.scanner_signatures",
                               "scanner_signatures = [\"friendly-scanner\"]");
         if (!values) return;
         guard.scanner_signatures.clear();
         std::vector<std::string> folded;
         for (const auto& [text, element] : *values) {
           const bool printable_ascii =
               std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
           if (text.size() < 3 || text.size() > 64 || !printable_ascii || text.front() == ' ' ||
               text.back() == ' ') {
             error(element->source(), "guard.scanner_signatures entry " + in_quotes(text) +
                                          " must be 3 to 64 printable ASCII characters without "
                                          "spaces at either end, e.g. \"friendly-scanner\"");
           } else if (std::count(folded.begin(), folded.end(), lower_case(text))) {
             error(element->source(), "guard.scanner_signatures lists " + in_quotes(text) +
                                          " twice (case does not matter): remove "
                                          "the second entry");
           } else {
             folded.push_back(lower_case(text));
             guard.scanner_signatures.push_back(text);
           }
         }
       }});
  readers.push_back({"ban_scanners", [&](const toml::node& node) {
                       if (auto value = boolean(node, "guard.ban_scanners")) {
                         guard.ban_scanners = *value;
                       }
                     }});
  read_table(table, "guard", readers);
  if (errors_.size() != errors_before) return;
  // Limits are compared only when each was read without error, so one mistake gives one error.
  auto where = [&table](std::string_view first, std::string_view second) {
    const toml::node* node = table.get(first);
    if (node == nullptr) node = table.get(second);
    return node != nullptr ? node->source() : table.source();
  };
  if (guard.ban_duration > guard.max_ban_duration) {
    error(where("ban_duration", "max_ban_duration"),
          "guard.ban_duration (" + std::to_string(guard.ban_duration) +
              ") is above guard.max_ban_duration (" + std::to_string(guard.max_ban_duration) +
              "): shorten the first ban or raise the maximum");
  }
  if (guard.lockout_duration > guard.max_lockout_duration) {
    error(where("lockout_duration", "max_lockout_duration"),
          "guard.lockout_duration (" + std::to_string(guard.lockout_duration) +
              ") is above guard.max_lockout_duration (" +
              std::to_string(guard.max_lockout_duration) +
              "): shorten the first lockout or raise the maximum");
  }
}

void Checker::read_guard_network(std::string_view key, std::string_view everyone,
                                 const std::string& text, const toml::node& element,
                                 std::vector<Network>& networks) {
  const std::string name = "guard." + std::string(key);
  const std::optional<Network> network = parse_network(text);
  if (!network) {
    // Tell a network with host bits set ("10.0.0.1/8") from text that is no network at all.
    const size_t slash = text.find('/');
    const auto address = parse_ip_address(std::string_view(text).substr(0, slash));
    std::optional<uint8_t> prefix;
    if (address && slash != std::string::npos) {
      const std::string_view digits = std::string_view(text).substr(slash + 1);
      unsigned value = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      if (!digits.empty() && ec == std::errc{} && end == digits.data() + digits.size() &&
          value <= (address->v6 ? 128U : 32U)) {
        prefix = static_cast<uint8_t>(value);
      }
    }
    if (prefix) {
      error(element.source(), name + " entry " + in_quotes(text) +
                                  " has bits set beyond its prefix: write the network, \"" +
                                  to_string(network_of(*address, *prefix)) + "\"");
    } else {
      error(element.source(), name + " entry " + in_quotes(text) +
                                  " is not an address or a network: write an address "
                                  "(\"192.0.2.10\") or a network in CIDR notation "
                                  "(\"192.0.2.0/24\", \"2001:db8:1::/48\")");
    }
    return;
  }
  if (network->prefix == 0) {
    error(element.source(), name + " entry " + in_quotes(text) + " " + std::string(everyone));
  } else if (std::count(networks.begin(), networks.end(), *network)) {
    error(element.source(), name + " lists " + in_quotes(text) + " twice: remove the second entry");
  } else {
    networks.push_back(*network);
  }
}

void Checker::read_store(const toml::table& table) {
  const KeyReader readers[] = {
      {"database",
       [&](const toml::node& node) {
         auto value = string(node, "store.database", "database = \"hardline.db\"");
         if (!value) return;
         if (value->empty() || value->find('\0') != std::string::npos) {
           error(node.source(),
                 "store.database must be a file path, e.g. \"hardline.db\" (relative to this "
                 "file's directory) or \"/var/lib/hardline/hardline.db\"");
           return;
         }
         config_.store.database = *value;
       }},
  };
  read_table(table, "store", readers);
}

void Checker::read_log(const toml::table& table) {
  const KeyReader readers[] = {
      {"level",
       [&](const toml::node& node) {
         auto value = string(node, "log.level", "level = \"info\"");
         if (!value) return;
         if (std::find(kLogLevels.begin(), kLogLevels.end(), *value) == kLogLevels.end()) {
           error(node.source(), "log.level " + in_quotes(*value) +
                                    " is not a log level: use one of trace, debug, info, "
                                    "warn, error");
           return;
         }
         config_.log.level = *value;
       }},
  };
  read_table(table, "log", readers);
}

void Checker::check(const toml::table& root) {
  using TableReader = void (Checker::*)(const toml::table&);
  static constexpr std::pair<std::string_view, TableReader> kTables[] = {
      {"auth", &Checker::read_auth},           {"registrar", &Checker::read_registrar},
      {"transport", &Checker::read_transport}, {"transactions", &Checker::read_transactions},
      {"calls", &Checker::read_calls},         {"guard", &Checker::read_guard},
      {"store", &Checker::read_store},         {"log", &Checker::read_log},
      {"system", &Checker::read_system},       {"admin", &Checker::read_admin},
      {"privacy", &Checker::read_privacy},
  };
  std::string known = "[sip], ";
  for (const auto& table : kTables) known += "[" + std::string(table.first) + "], ";
  known += "[sources], [[trunk]] and [dialplan]";
  // The routing tables refer to each other by name: sources before trunks before rules.
  if (const toml::node* sources = root.get("sources"); sources != nullptr && sources->is_table()) {
    read_sources(*sources->as_table());
  }
  if (const toml::node* trunks = root.get("trunk")) read_trunks(*trunks);
  bool has_sip = false;
  for (const auto& [key, node] : root) {
    const std::string_view name = key.str();
    if (name == "trunk") continue;
    if (name == "sources") {
      if (!node.is_table()) {
        error(key.source(),
              "sources must be a table: write [sources] on a line of its own, "
              "then one category a line, e.g. office = [\"10.0.0.0/8\"]");
      }
      continue;
    }
    if (name == "dialplan" && node.is_table()) {
      read_dialplan(*node.as_table(), false);
      continue;
    }
    const bool is_sip = name == "sip";
    const auto* reader = std::find_if(std::begin(kTables), std::end(kTables),
                                      [name](const auto& entry) { return entry.first == name; });
    if (!is_sip && reader == std::end(kTables)) {
      if (node.is_table()) {
        error(key.source(), "unknown table [" + printable(name) +
                                "]: check its spelling or remove it (the tables are " + known +
                                ")");
      } else {
        error(key.source(), "unknown key " + in_quotes(name) +
                                " outside any table: every setting belongs in one of the "
                                "tables " +
                                known + "; move it under the right one or remove it");
      }
      continue;
    }
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      error(key.source(), std::string(name) + " must be a table, not " +
                              std::string(type_name(node)) + ": write [" + std::string(name) +
                              "] on a line of its own, followed by its keys");
      if (is_sip) has_sip = true;
      continue;
    }
    if (is_sip) {
      has_sip = true;
      read_sip(*table, key.source());
    } else {
      (this->*(reader->second))(*table);
    }
  }
  if (!has_sip) {
    errors_.push_back(ConfigError{file_, 0, 0,
                                  "there is no [sip] table: add one with at least domain = "
                                  "\"pbx.example.org\" and listen = [\"udp:192.0.2.10:5060\"]"});
  }
  check_file_descriptors();
}

void Checker::check_file_descriptors() {
  // Only between values that were read without error: one mistake gives one error.
  if (!errors_.empty()) return;
  const uint64_t reserved = reserved_file_descriptors(config_);
  const uint64_t connections = config_.transport.max_tcp_connections;
  const uint64_t open_files = config_.system.max_open_files;
  if (connections + reserved <= open_files) return;
  // The line of whichever the operator wrote, max_tcp_connections first; with neither written
  // the defaults fit, so one of them is.
  const toml::node* where =
      max_tcp_connections_node_ != nullptr ? max_tcp_connections_node_ : max_open_files_node_;
  std::string message =
      concat("transport.max_tcp_connections = ", std::to_string(connections), " needs ",
             std::to_string(connections + reserved), " open files (", std::to_string(reserved),
             " more for the database, the listeners, the admin API and its connections), but "
             "system.max_open_files = ",
             std::to_string(open_files), ": raise system.max_open_files to at least ",
             std::to_string(connections + reserved));
  if (open_files > reserved) {
    message += concat(" or lower transport.max_tcp_connections to at most ",
                      std::to_string(open_files - reserved));
  }
  if (where == nullptr) {
    errors_.push_back(ConfigError{file_, 0, 0, std::move(message)});
  } else {
    error(where->source(), std::move(message));
  }
}

}  // namespace detail

namespace {

std::filesystem::path absolute_path(const std::filesystem::path& path) {
  std::error_code ignored;
  std::filesystem::path absolute = std::filesystem::absolute(path, ignored);
  return (absolute.empty() ? path : absolute).lexically_normal();
}

}  // namespace

Result<Config, ConfigError> parse_config(std::string_view text, const std::filesystem::path& path) {
  const std::string file = path.string();
  Config config;
  config.file = absolute_path(path);
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    return tl::unexpected(
        ConfigError{file, e.source().begin.line, e.source().begin.column,
                    "TOML syntax error: " + std::string(e.description()) + "; " +
                        detail::syntax_hint(e.description(),
                                            "tables are written [name] on a line of their "
                                            "own")});
  }
  detail::Checker checker(file, config, text);
  checker.check(root);
  auto& errors = checker.errors();
  if (!errors.empty()) {
    // The first error in file order; whole-file errors (line 0) last.
    auto key = [](const ConfigError& e) {
      return std::pair(e.line == 0 ? UINT32_MAX : e.line, e.column);
    };
    return tl::unexpected(*std::min_element(
        errors.begin(), errors.end(),
        [&key](const ConfigError& a, const ConfigError& b) { return key(a) < key(b); }));
  }
  const std::filesystem::path directory = config.file.parent_path();
  for (std::filesystem::path* relative :
       {&config.store.database, &config.admin.tls_certificate, &config.admin.tls_key,
        &config.admin.token_file, &config.admin.access_log}) {
    if (!relative->empty() && relative->is_relative()) {
      *relative = (directory / *relative).lexically_normal();
    }
  }
  if (config.dialplan.include.empty()) {
    if (auto references = detail::check_routing_references(config); !references.empty()) {
      return tl::unexpected(references.front());
    }
  }
  return config;
}

Result<Config, ConfigError> load_config(const std::filesystem::path& path) {
  const std::string file = path.string();
  auto failure = [&file](std::string message) {
    return tl::unexpected(ConfigError{file, 0, 0, std::move(message)});
  };
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    return failure(
        "cannot find the config file: create one with `hardline init`, or give its path with "
        "-c FILE or HARDLINE_CONFIG");
  }
  if (!std::filesystem::is_regular_file(status)) {
    return failure("the config path is not a regular file: give the path of the TOML file");
  }
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec || size > detail::kMaxFileSize) {
    return failure("the config file is larger than 1 MiB: check that this is the right file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    return failure("cannot open the config file: check that this user may read it");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (!in || in.bad()) {
    return failure("cannot read the config file: check that this user may read it");
  }
  auto config = parse_config(text.str(), path);
  if (!config || config->dialplan.include.empty()) return config;
  const std::filesystem::path included = included_dialplan_path(*config);
  auto included_text = detail::read_small_file(included);
  if (!included_text) {
    return tl::unexpected(ConfigError{
        file, 0, 0, "dialplan.include: " + included.string() + ": " + included_text.error()});
  }
  if (auto parsed = parse_included_dialplan(*included_text, included, *config); !parsed) {
    return tl::unexpected(parsed.error());
  }
  return config;
}

std::filesystem::path default_config_path() {
  const char* from_environment = std::getenv("HARDLINE_CONFIG");
  if (from_environment != nullptr && *from_environment != '\0') return from_environment;
  return "/etc/hardline/hardline.toml";
}

}  // namespace hardline::config
