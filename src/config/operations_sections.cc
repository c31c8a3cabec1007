// The tables about running the service rather than about SIP: [system] (privilege drop and
// limits), [admin] (the HTTP admin API) and [privacy] (what may be logged or kept).
#include <algorithm>
#include <string>

#include "config/checker.h"

namespace hardline::config::detail {
namespace {

// A system user or group name as useradd(8) accepts it: starts with a letter or '_', then
// letters, digits, '_', '-' (a trailing '$' is not accepted here), at most 32 characters.
bool is_account_name(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  auto lower = [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; };
  if (!lower(name.front())) return false;
  return std::all_of(name.begin(), name.end(),
                     [&lower](char c) { return lower(c) || (c >= '0' && c <= '9') || c == '-'; });
}

bool is_path(std::string_view text) {
  return !text.empty() && text.find('\0') == std::string_view::npos;
}

}  // namespace

void Checker::read_system(const toml::table& table) {
  auto account = [&](std::string_view key, std::string& out) {
    return [&, key](const toml::node& node) {
      const std::string name = "system." + std::string(key);
      auto value = string(node, name, std::string(key) + " = \"hardline\"");
      if (!value) return;
      if (!is_account_name(*value)) {
        error(node.source(), name + " " + in_quotes(*value) +
                                 " is not a system account name: use lower-case letters, digits, "
                                 "'_' and '-', starting with a letter (the default \"hardline\" "
                                 "is created by `hardline init --system`)");
        return;
      }
      if (*value == "root") {
        error(node.source(), name +
                                 " = \"root\" would keep the server running as root: use a "
                                 "dedicated account such as \"hardline\" "
                                 "(`hardline init --system` creates it)");
        return;
      }
      out = *value;
    };
  };
  const KeyReader readers[] = {
      {"user", account("user", config_.system.user)},
      {"group", account("group", config_.system.group)},
      {"chroot",
       [&](const toml::node& node) {
         if (auto value = boolean(node, "system.chroot")) config_.system.chroot = *value;
       }},
      {"max_open_files",
       [&](const toml::node& node) {
         if (auto value = integer(node, "system.max_open_files", 64, 1048576)) {
           config_.system.max_open_files = *value;
           max_open_files_node_ = &node;
         }
       }},
      {"max_processes",
       [&](const toml::node& node) {
         if (auto value = integer(node, "system.max_processes", 4, 65536)) {
           config_.system.max_processes = *value;
         }
       }},
      {"max_address_space_mib",
       [&](const toml::node& node) {
         auto value = integer(node, "system.max_address_space_mib", 0, 1048576);
         if (!value) return;
         if (*value != 0 && *value < 256) {
           error(node.source(), "system.max_address_space_mib = " + std::to_string(*value) +
                                    " is too small to start: use 0 (no limit) or at least 256");
           return;
         }
         config_.system.max_address_space_mib = *value;
       }},
  };
  read_table(table, "system", readers);
}

void Checker::read_admin(const toml::table& table) {
  const toml::node* listen_node = nullptr;
  auto path = [&](std::string_view key, std::filesystem::path& out, std::string_view example,
                  bool optional = false) {
    return [&, key, example, optional](const toml::node& node) {
      const std::string name = "admin." + std::string(key);
      auto value = string(node, name, std::string(key) + " = " + std::string(example));
      if (!value) return;
      if (optional && value->empty()) {
        out.clear();
        return;
      }
      if (!is_path(*value)) {
        error(node.source(), name + " must be a file path, e.g. " + std::string(example) +
                                 " (relative to this file's directory, or absolute)");
        return;
      }
      out = *value;
    };
  };
  const KeyReader readers[] = {
      {"enabled",
       [&](const toml::node& node) {
         if (auto value = boolean(node, "admin.enabled")) config_.admin.enabled = *value;
       }},
      {"listen",
       [&](const toml::node& node) {
         auto value = string(node, "admin.listen", "listen = \"127.0.0.1:8088\"");
         if (!value) return;
         auto endpoint = parse_endpoint_spec("tcp:" + *value);
         if (!endpoint || endpoint->port == 0) {
           error(node.source(), "admin.listen " + in_quotes(*value) +
                                    " is not ADDRESS:PORT: write e.g. \"127.0.0.1:8088\" or "
                                    "\"[::1]:8088\"");
           return;
         }
         config_.admin.listen = *endpoint;
         listen_node = &node;
       }},
      {"allow_remote",
       [&](const toml::node& node) {
         if (auto value = boolean(node, "admin.allow_remote")) config_.admin.allow_remote = *value;
       }},
      {"tls_certificate",
       path("tls_certificate", config_.admin.tls_certificate, "\"admin.crt\"", true)},
      {"tls_key", path("tls_key", config_.admin.tls_key, "\"admin.key\"", true)},
      {"token_file", path("token_file", config_.admin.token_file, "\"admin-token.hash\"")},
      {"access_log", path("access_log", config_.admin.access_log, "\"admin-access.log\"")},
  };
  read_table(table, "admin", readers);

  // NET-4: management listens on loopback; anything else is an explicit, encrypted choice.
  const Config::Admin& admin = config_.admin;
  if (admin.tls_certificate.empty() != admin.tls_key.empty()) {
    error(table.source(),
          "[admin] names only one of tls_certificate and tls_key: give both (a "
          "PEM certificate and its private key) or neither");
  }
  if (listen_node != nullptr && !is_loopback(admin.listen.address)) {
    if (!admin.allow_remote) {
      error(listen_node->source(),
            "admin.listen " + host_port(admin.listen) +
                " is not a loopback address, so anyone who can reach it could try the admin API: "
                "keep \"127.0.0.1:8088\" (and reach it through SSH), or set allow_remote = true "
                "with tls_certificate and tls_key");
    } else if (admin.tls_certificate.empty()) {
      error(listen_node->source(),
            "admin.listen " + host_port(admin.listen) +
                " is not a loopback address and [admin] has no TLS: the bearer token would cross "
                "the network in clear text; set tls_certificate and tls_key, or listen on "
                "\"127.0.0.1:8088\"");
    }
  }
}

void Checker::read_privacy(const toml::table& table) {
  const toml::node* mode_node = nullptr;
  bool has_retention = false;
  const KeyReader readers[] = {
      {"mode",
       [&](const toml::node& node) {
         auto value = string(node, "privacy.mode", "mode = \"stats\"");
         if (!value) return;
         if (*value == "stats") {
           config_.privacy.mode = Config::PrivacyMode::kStats;
         } else if (*value == "security") {
           config_.privacy.mode = Config::PrivacyMode::kSecurity;
         } else if (*value == "debug") {
           config_.privacy.mode = Config::PrivacyMode::kDebug;
         } else {
           error(node.source(), "privacy.mode " + in_quotes(*value) +
                                    " is not a privacy mode: use \"stats\" (counters only), "
                                    "\"security\" (plus security events with addresses) or "
                                    "\"debug\" (everything, with retention_days)");
           return;
         }
         mode_node = &node;
       }},
      {"retention_days",
       [&](const toml::node& node) {
         if (auto value = integer(node, "privacy.retention_days", 0, 3650)) {
           config_.privacy.retention_days = *value;
           has_retention = true;
         }
       }},
  };
  read_table(table, "privacy", readers);
  if (config_.privacy.mode == Config::PrivacyMode::kDebug &&
      (!has_retention || config_.privacy.retention_days == 0)) {
    error(mode_node != nullptr ? mode_node->source() : table.source(),
          "privacy.mode = \"debug\" logs numbers, names and addresses, so it needs a limit: set "
          "retention_days (e.g. 7) to say how long such records may be kept");
  }
}

}  // namespace hardline::config::detail
