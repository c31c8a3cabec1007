#pragma once
// A new deployment (`hardline init`): a directory (0750) holding the commented config (0640),
// the example dialplan it includes (dialplan.toml, 0640), an empty database (0600) and the admin
// API token's argon2id hash (0600). Never touches an existing deployment.
#include <filesystem>
#include <string>
#include <vector>

#include "common/endpoint.h"
#include "common/result.h"

namespace hardline::admin {

struct InitOptions {
  std::filesystem::path directory;
  std::string domain;            // empty: this host's name
  std::vector<Endpoint> listen;  // empty: udp and tcp on 127.0.0.1:5060
};

struct Deployment {
  std::filesystem::path config;    // DIR/hardline.toml
  std::filesystem::path database;  // DIR/hardline.db
  std::filesystem::path dialplan;  // DIR/dialplan.toml: the example dialplan the config includes
  std::string domain;
  std::filesystem::path token_file;  // DIR/admin-token.hash
  std::string admin_token;           // the bearer token itself: to be shown once, then forgotten
};

// The error text names the path and the reason; nothing is left half made when it fails
// before the database is created.
Result<Deployment, std::string> create_deployment(const InitOptions& options);

// This host's name, or "localhost" when it has none.
std::string host_name();

}  // namespace hardline::admin
