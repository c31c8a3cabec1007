#pragma once
// A new deployment (`hardline init`): a directory (0750) holding the commented config (0640),
// the example dialplan it includes (dialplan.toml, 0640) with its `hardline dialplan test` file
// (dialplan-tests.toml, 0640), an empty database (0600) and the admin
// API token's argon2id hash (0600). Never touches an existing deployment. Run as root, and when
// the service account (system.user, system.group) exists, the database belongs to that user and
// the directory and config to root:GROUP, so that `serve` started as root passes its file
// checks. `hardline init --system` (system_deployment.h) makes the /etc + /var/lib layout.
#include <filesystem>
#include <string>
#include <vector>

#include "common/endpoint.h"
#include "common/result.h"

namespace hardline::admin {

struct InitOptions {
  std::filesystem::path directory;
  std::string domain;              // empty: this host's name
  std::vector<Endpoint> listen;    // empty: udp and tcp on 127.0.0.1:5060
  std::string user = "hardline";   // system.user written to the config
  std::string group = "hardline";  // system.group
};

struct Deployment {
  std::filesystem::path config;    // DIR/hardline.toml
  std::filesystem::path database;  // DIR/hardline.db
  std::filesystem::path dialplan;  // DIR/dialplan.toml: the example dialplan the config includes
  std::filesystem::path dialplan_tests;  // DIR/dialplan-tests.toml: the example's test cases
  std::string domain;
  std::filesystem::path token_file;  // DIR/admin-token.hash
  std::string admin_token;           // the bearer token itself: to be shown once, then forgotten
  std::string note;  // for the operator, e.g. that the service account does not exist yet
};

// The config text with `key = value` (value as TOML) in place of the first `key = ...` line of
// [table]; the text unchanged when there is none.
std::string with_config_value(std::string text, std::string_view table, std::string_view key,
                              std::string_view value);

// The error text names the path and the reason; nothing is left half made when it fails
// before the database is created.
Result<Deployment, std::string> create_deployment(const InitOptions& options);

// This host's name, or "localhost" when it has none.
std::string host_name();

}  // namespace hardline::admin
