#pragma once
// Internal to src/config: the checker that walks a parsed TOML document against the known
// tables and keys. Each table's reader is a member; readers of newer tables live in files of
// their own (<table>_section.cc) so that the config grows without one file growing.

#include <toml++/toml.h>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/pattern_syntax.h"

namespace hardline::config::detail {

// A config file is a few kilobytes; anything far larger is a mistake (the wrong file).
constexpr uintmax_t kMaxFileSize = 1 << 20;

// Text from the file quoted in a message: short, and with control bytes replaced so that an
// error can never carry a line break or an escape sequence to a terminal or a log.
std::string printable(std::string_view text);
std::string in_quotes(std::string_view text);
// The fix that follows a TOML syntax error (toml++'s `description`): single quotes for a
// backslash that double quotes took for an escape, else quoting and `layout` ("tables are
// written [name] on a line of their own").
std::string syntax_hint(std::string_view description, std::string_view layout);
// "a string", "an integer", ... for messages.
std::string_view type_name(const toml::node& node);
// A host name (RFC 1123), an IPv4 address or a bracketed IPv6 address, as a SIP URI's host.
bool is_valid_host(std::string_view text);
// "2.4", "v1.0.3": a version number tells a scanner which exploits to try.
bool has_version_number(std::string_view text);

constexpr std::array<std::string_view, 5> kLogLevels = {"trace", "debug", "info", "warn", "error"};

// What one table accepts: each key with the function that reads its value.
struct KeyReader {
  std::string_view key;
  std::function<void(const toml::node&)> read;
};

// Walks the parsed document against the known tables and keys, filling a Config and collecting
// every error with its position; the caller reports the first in file order.
class Checker {
 public:
  // `text` is the document as written, for columns inside values (see pattern()).
  Checker(std::string file, Config& config, std::string_view text = {})
      : file_(std::move(file)), config_(config), text_(text) {}

  void check(const toml::table& root);
  // The included dialplan file: its routing tables in the order references need (sources,
  // trunks, rules); any other table is an error.
  void check_included(const toml::table& root);
  std::vector<ConfigError>& errors() { return errors_; }

 private:
  void error(const toml::source_region& where, std::string message) {
    errors_.push_back(ConfigError{file_, where.begin.line, where.begin.column, std::move(message)});
  }

  // Reports unknown keys and calls the reader of each known key present.
  void read_table(const toml::table& table, std::string_view name,
                  std::span<const KeyReader> readers);

  std::optional<std::string> string(const toml::node& node, std::string_view name,
                                    std::string_view example);
  std::optional<uint32_t> integer(const toml::node& node, std::string_view name, uint32_t min,
                                  uint32_t max);
  std::optional<bool> boolean(const toml::node& node, std::string_view name);
  // A regular expression for whole numbers (RE2, Latin-1), at most 256 characters, or nullopt
  // after reporting why not: RE2's refusals, and the mistakes RE2 would accept with another
  // meaning (pattern_syntax.h), at the culprit's own column. `fix` ends the message for what
  // RE2 refuses, e.g. "write an RE2 pattern ..., e.g. '00[1-9][0-9]{6,14}'".
  std::optional<std::string> pattern(const toml::node& node, std::string_view name,
                                     std::string_view example, std::string_view fix,
                                     int* capturing_groups = nullptr);
  // The file column of byte `offset` of the string value `node`: exact when the string is
  // written on one line without escapes (as patterns are, in single quotes), else the column
  // of the string itself.
  uint32_t column_in_value(const toml::node& node, size_t offset) const;
  // Each element of a string array with its node (for its position); nullopt on a wrong type.
  std::optional<std::vector<std::pair<std::string, const toml::node*>>> strings(
      const toml::node& node, std::string_view name, std::string_view example);

  void read_sip(const toml::table& table, const toml::source_region& where);
  void read_auth(const toml::table& table);
  void read_registrar(const toml::table& table);
  void read_transport(const toml::table& table);
  void read_transactions(const toml::table& table);
  void read_guard(const toml::table& table);
  // One entry of guard.trusted or guard.protected (`key`), appended to `networks`; `everyone`
  // says what a /0 there would do.
  void read_guard_network(std::string_view key, std::string_view everyone, const std::string& text,
                          const toml::node& element, std::vector<Network>& networks);
  void read_store(const toml::table& table);
  void read_log(const toml::table& table);
  // Newer tables: one file each.
  void read_system(const toml::table& table);   // operations_sections.cc
  void read_admin(const toml::table& table);    // operations_sections.cc
  void read_privacy(const toml::table& table);  // operations_sections.cc
  void read_calls(const toml::table& table);    // calls_section.cc
  // routing_section.cc: [sources], [[trunk]] and [dialplan]; `included` when reading the file
  // named by dialplan.include, which holds only these.
  void read_sources(const toml::table& table);
  void read_trunks(const toml::node& node);
  void read_trunk(const toml::table& table);
  void read_dialplan(const toml::table& table, bool included);
  void read_rule(const toml::table& table);
  std::optional<std::vector<std::string>> names(const toml::node& node, std::string_view name,
                                                std::string_view example, std::string_view what);

  // Once every table is read: max_tcp_connections plus what the server holds besides must fit
  // in max_open_files (config.h, reserved_file_descriptors()).
  void check_file_descriptors();

  std::string file_;
  Config& config_;
  std::string_view text_;
  std::vector<ConfigError> errors_;
  // Where transport.max_tcp_connections and system.max_open_files were set, for the error of
  // check_file_descriptors(); null when left at their defaults.
  const toml::node* max_tcp_connections_node_ = nullptr;
  const toml::node* max_open_files_node_ = nullptr;
};

// The whole of a small regular file (at most kMaxFileSize), or why not (with the fix).
Result<std::string, std::string> read_small_file(const std::filesystem::path& path);

// Joins strings, string views and literals into one string without temporaries.
template <class... Parts>
std::string concat(const Parts&... parts) {
  std::string out;
  (out.append(parts), ...);
  return out;
}

// Names of sources, trunks, rules and groups: 1 to 32 letters, digits, '-', '_', '.'.
bool valid_name(std::string_view name);
// Checks what entries refer to by name (a rule's trunk and source categories) once every file
// is read, and that each trunk rule says who may use it; returns the errors.
std::vector<ConfigError> check_routing_references(const Config& config);

}  // namespace hardline::config::detail
