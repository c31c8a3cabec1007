#pragma once
// `hardline init --system` (root only): the service account and the install layout
//
//   ROOT/etc/hardline                  root:GROUP  0750
//   ROOT/etc/hardline/hardline.toml    root:GROUP  0640  absolute paths into ROOT/var/lib/hardline
//   ROOT/var/lib/hardline              USER:GROUP  0700  (the chroot of `serve`)
//   ROOT/var/lib/hardline/hardline.db  USER:GROUP  0600
//
// ROOT is "/" on a real host; tests give a temporary directory. Idempotent: an existing account
// is reused, existing directories get their owner and mode, an existing config or database is
// kept as it is (never overwritten) and reported as kept.
#include <filesystem>
#include <string>
#include <vector>

#include "common/endpoint.h"
#include "common/result.h"

namespace hardline::admin {

struct SystemInitOptions {
  std::filesystem::path root = "/";
  std::string domain;            // empty: this host's name
  std::vector<Endpoint> listen;  // empty: udp and tcp on 127.0.0.1:5060
  std::string user = "hardline";
  std::string group = "hardline";
};

struct SystemDeployment {
  std::filesystem::path config_dir, config, data_dir, database;
  // /var/log/hardline (USER:GROUP 0750, as the unit's LogsDirectory= makes it): the admin access
  // log goes there, where the packaged logrotate rotates it.
  std::filesystem::path log_dir, access_log;
  std::filesystem::path dialplan;        // /etc/hardline/dialplan.toml, the example dialplan
  std::filesystem::path dialplan_tests;  // /etc/hardline/dialplan-tests.toml, its test cases
  std::filesystem::path token_file;      // /etc/hardline/admin-token.hash (root:GROUP 0640)
  std::string admin_token;               // a new token, to be shown once; empty when one was kept
  bool kept_dialplan = false, kept_dialplan_tests = false, kept_token = false;
  std::string domain;
  bool created_user = false, created_group = false;  // false: reused
  bool kept_config = false, kept_database = false;   // true: already there, left untouched
};

Result<SystemDeployment, std::string> create_system_deployment(const SystemInitOptions& options);

}  // namespace hardline::admin
