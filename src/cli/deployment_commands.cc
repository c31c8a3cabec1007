// hardline init, hardline user, hardline serve: argument parsing only; the work is in
// src/admin (deployment, accounts) and src/server (the daemon).

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "admin/accounts.h"
#include "admin/bans.h"
#include "admin/deployment.h"
#include "admin/system_deployment.h"
#include "auth/digest.h"
#include "cli/commands.h"
#include "cli/deployment_access.h"
#include "common/clock.h"
#include "common/display_name.h"
#include "config/config.h"
#include "os/account.h"
#include "os/file_checks.h"
#include "os/process.h"
#include "routing/analysis.h"
#include "server/run.h"
#include "store/sqlite_store.h"

namespace hardline::cli {
namespace {

// One line from stdin, without its line ending; never echoed.
std::optional<std::string> read_password() {
  std::string line;
  if (!std::getline(std::cin, line)) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

void print_password(const std::string& extension, const admin::PasswordChange& change) {
  if (!change.generated) {
    std::printf("password of %s set\n", extension.c_str());
    return;
  }
  std::printf("password of %s: %s\n", extension.c_str(), change.password.c_str());
  std::fputs("This password is shown once and stored only as digest hashes; keep it now.\n",
             stderr);
}

}  // namespace

void print_admin_token(const std::string& token, const std::string& token_file) {
  std::printf("admin token: %s\n", token.c_str());
  std::fprintf(stderr,
               "The admin token is shown once and stored only as an argon2id hash in %s; keep it "
               "now (`hardline admin token` makes a new one).\n",
               token_file.c_str());
}

namespace {

void print_system_deployment(const admin::SystemDeployment& deployment,
                             const admin::SystemInitOptions& options) {
  std::printf("%s user %s and group %s\n", deployment.created_user ? "created" : "reused",
              options.user.c_str(), options.group.c_str());
  if (deployment.created_group && !deployment.created_user) {
    std::printf("created group %s\n", options.group.c_str());
  }
  std::printf("%s (root:%s, 0750)\n%s (%s:%s, 0700)\n", deployment.config_dir.c_str(),
              options.group.c_str(), deployment.data_dir.c_str(), options.user.c_str(),
              options.group.c_str());
  std::printf("%s %s\n%s %s\n%s %s\n%s %s\n%s %s\ndomain %s\n",
              deployment.kept_config ? "kept" : "created", deployment.config.c_str(),
              deployment.kept_dialplan ? "kept" : "created", deployment.dialplan.c_str(),
              deployment.kept_dialplan_tests ? "kept" : "created",
              deployment.dialplan_tests.c_str(), deployment.kept_token ? "kept" : "created",
              deployment.token_file.c_str(), deployment.kept_database ? "kept" : "created",
              deployment.database.c_str(), deployment.domain.c_str());
  if (!deployment.admin_token.empty()) {
    print_admin_token(deployment.admin_token, deployment.token_file.string());
  }
  std::printf("next: hardline user add EXT -c %s\n", deployment.config.c_str());
}

void add_init(CLI::App& app, int& exit_code) {
  struct Options {
    std::string dir, domain, root = "/", user = "hardline", group = "hardline";
    std::vector<std::string> listen;
    bool system = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* init = app.add_subcommand(
      "init",
      "Create a deployment: DIR/hardline.toml (every setting at its secure default, "
      "commented) and DIR/hardline.db; or with --system the system user and group and the "
      "layout /etc/hardline + /var/lib/hardline. Refuses to touch an existing deployment.");
  CLI::Option* dir =
      init->add_option("--dir", options->dir, "Directory of the new deployment (created 0750)");
  CLI::Option* system = init->add_flag(
      "--system", options->system,
      "As root: create (or reuse) the system user and group, /etc/hardline (root:GROUP 0750, "
      "config 0640), /var/lib/hardline (USER:GROUP 0700, database 0600) and "
      "/var/log/hardline (USER:GROUP 0750, the admin access log); idempotent, "
      "never overwrites a config or database");
  dir->excludes(system);
  init->add_option("--root", options->root,
                   "With --system: prefix of /etc and /var (default /), for a test; the config "
                   "names the paths under it, so to build an image run init --system inside "
                   "it (chroot DIR hardline init --system)")
      ->needs(system);
  init->add_option("--user", options->user,
                   "Service account the config names as system.user (default hardline)");
  init->add_option("--group", options->group, "Service group, system.group (default hardline)");
  init->add_option("--domain", options->domain,
                   "SIP domain and digest realm (default: this host's name)");
  init->add_option("--listen", options->listen,
                   "udp:ADDR:PORT or tcp:ADDR:PORT, IPv6 as udp:[::1]:5060; repeatable "
                   "(default: udp and tcp on 127.0.0.1:5060)");
  init->callback([options, &exit_code] {
    std::vector<Endpoint> listen;
    for (const std::string& spec : options->listen) {
      auto endpoint = parse_endpoint_spec(spec);
      if (!endpoint) {
        print_error("--listen " + spec + ": expected udp:ADDR:PORT or tcp:ADDR:PORT (IPv6 in [])");
        exit_code = kExitUsage;
        return;
      }
      listen.push_back(*endpoint);
    }
    if (options->system) {
      admin::SystemInitOptions system_options;
      system_options.root = options->root;
      system_options.domain = options->domain;
      system_options.listen = listen;
      system_options.user = options->user;
      system_options.group = options->group;
      auto deployment = admin::create_system_deployment(system_options);
      if (!deployment) {
        print_error(deployment.error());
        exit_code = kExitFailed;
        return;
      }
      print_system_deployment(*deployment, system_options);
      exit_code = kExitOk;
      return;
    }
    if (options->dir.empty()) {
      print_error("init needs --dir DIR (a deployment of your own) or --system (as root)");
      exit_code = kExitUsage;
      return;
    }
    admin::InitOptions init_options;
    init_options.directory = options->dir;
    init_options.domain = options->domain;
    init_options.listen = listen;
    init_options.user = options->user;
    init_options.group = options->group;
    auto deployment = admin::create_deployment(init_options);
    if (!deployment) {
      print_error(deployment.error());
      exit_code = kExitFailed;
      return;
    }
    std::printf("created %s\ncreated %s\ncreated %s\ncreated %s\ncreated %s\ndomain %s\n",
                deployment->config.c_str(), deployment->dialplan.c_str(),
                deployment->dialplan_tests.c_str(), deployment->database.c_str(),
                deployment->token_file.c_str(), deployment->domain.c_str());
    print_admin_token(deployment->admin_token, deployment->token_file.string());
    std::printf("next: hardline user add EXT -c %s\n", deployment->config.c_str());
    if (!deployment->note.empty()) std::fprintf(stderr, "note: %s\n", deployment->note.c_str());
    exit_code = kExitOk;
  });
}

constexpr const char* kDigestOptionHelp =
    "Which digest algorithms the extension's phones are offered and may answer with: any "
    "(default: SHA-256 first, then MD5, until a phone answers with SHA-256, which pins the "
    "account to sha-256), sha-256 (never MD5; no MD5 hash is stored), md5 (MD5 only, for "
    "phones that give up at a SHA-256 challenge: baresip 1.0, SIPp 3.6, sipsak 0.9.8)";

// The config's auth.algorithms, as src/auth names them.
std::vector<auth::Algorithm> allowed_algorithms(const config::Config& config) {
  std::vector<auth::Algorithm> out;
  for (config::DigestAlgorithm algorithm : config.auth.algorithms) {
    out.push_back(algorithm == config::DigestAlgorithm::kMd5 ? auth::Algorithm::kMd5
                                                             : auth::Algorithm::kSha256);
  }
  return out;
}

void add_user(CLI::App& app, int& exit_code) {
  struct Options {
    std::string config, extension, name, group_list, digest;
    std::vector<std::string> groups;
    bool password_stdin = false;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* user = app.add_subcommand("user", "Manage accounts (extensions and their passwords)");
  user->require_subcommand(1);

  auto with_config = [&](CLI::App* command) {
    command->add_option("-c,--config", options->config, kConfigOptionHelp);
  };

  CLI::App* add =
      user->add_subcommand("add",
                           "Add an extension; prints a generated password once (or reads one with "
                           "--password-stdin)");
  add->add_option("EXT", options->extension, "Extension (letters, digits, . _ -)")->required();
  with_config(add);
  add->add_option("--name,--display-name", options->name,
                  "Display name: what callees see beside the number (the caller ID comes from "
                  "the account, never from the phone); at most 64 bytes of plain text on one "
                  "line, no control or invisible characters");
  add->add_option("--group", options->groups,
                  "Group (repeatable), e.g. dialout; dialplan rules admit callers by group")
      ->allow_extra_args(false);
  add->add_flag("--password-stdin", options->password_stdin,
                "Read the password from stdin; a weak one is refused with the reason");
  add->add_option("--digest", options->digest, kDigestOptionHelp);

  CLI::App* passwd = user->add_subcommand(
      "passwd", "Set a new password: generated and printed once, or read with --password-stdin");
  passwd->add_option("EXT", options->extension, "Extension")->required();
  with_config(passwd);
  passwd->add_flag("--password-stdin", options->password_stdin, "Read the password from stdin");
  passwd->add_option("--digest", options->digest,
                     "Change the digest policy too (any, sha-256, md5): the way back to MD5 for an "
                     "account pinned to SHA-256, whose MD5 hash is gone");

  CLI::App* digest_command = user->add_subcommand(
      "digest",
      "Set which digest algorithms an extension's phones are offered and may answer with: "
      "any (SHA-256 first, then MD5; the first phone that answers with SHA-256 pins the account "
      "to sha-256), sha-256 (never MD5), md5 (MD5 only, for phones that give up at a SHA-256 "
      "challenge: baresip 1.0, SIPp 3.6, sipsak 0.9.8, desk phones that read only the first "
      "challenge). See docs/configuration.md");
  digest_command->add_option("EXT", options->extension, "Extension")->required();
  digest_command->add_option("POLICY", options->digest, "any, sha-256 or md5")->required();
  with_config(digest_command);

  CLI::App* remove = user->add_subcommand("remove", "Remove an extension and its registrations");
  remove->add_option("EXT", options->extension, "Extension")->required();
  with_config(remove);

  CLI::App* groups_command = user->add_subcommand(
      "groups", "Set an extension's groups, which dialplan rules admit callers by (e.g. dialout)");
  groups_command->add_option("EXT", options->extension, "Extension")->required();
  with_config(groups_command);
  groups_command
      ->add_option("--set", options->group_list,
                   "The groups, comma-separated, replacing the current ones; \"\" for none")
      ->required();

  auto unlock_from = std::make_shared<std::string>();
  auto unlock_duration = std::make_shared<std::string>("1h");
  CLI::App* unlock = user->add_subcommand(
      "unlock",
      "Let a user's new device in while the account is locked out by a password-guessing attack. "
      "With --from, devices at that address or network authenticate despite the lockout for "
      "--duration, each with a failure allowance of its own (the safe way: the attacker stays "
      "locked out). Without, the lockout is lifted once (the attacker may lock it again). A "
      "running server applies it within a second. The account's known devices (its phones that "
      "authenticated recently) never need this.");
  unlock->add_option("EXT", options->extension, "Extension")->required();
  with_config(unlock);
  unlock->add_option("--from", *unlock_from,
                     "The new device's address or network, e.g. 198.51.100.7 or 2001:db8:1:2::/64");
  unlock
      ->add_option("--duration", *unlock_duration,
                   "How long --from is admitted (e.g. 30m, 1h; at most 1d)")
      ->capture_default_str();

  CLI::App* list = user->add_subcommand(
      "list", "List extensions, their digest policies and groups (no secrets)");
  with_config(list);
  list->add_flag("--json", options->json, "One JSON object per line");

  auto run = [options, &exit_code](auto&& action) {
    auto config = load_config_or_report(options->config);
    if (!config) {
      exit_code = kExitUsage;
      return;
    }
    auto store = open_store_or_report(*config);
    if (!store) {
      exit_code = kExitUsage;
      return;
    }
    exit_code = action(*config, *store) ? kExitOk : kExitFailed;
  };
  // --digest as given: nullopt when absent; an error (already printed) when invalid.
  auto digest_option = [options]() -> std::optional<std::optional<auth::DigestPolicy>> {
    if (options->digest.empty()) return std::optional<auth::DigestPolicy>{};
    auto policy = auth::parse_digest_policy(options->digest);
    if (!policy) {
      print_error("--digest '" + admin::printable(options->digest) +
                  "': expected any, sha-256 or md5");
      return std::nullopt;
    }
    return policy;
  };
  auto password_option = [options]() -> std::optional<std::optional<std::string>> {
    if (!options->password_stdin) return std::optional<std::string>{};
    auto password = read_password();
    if (!password) {
      print_error("--password-stdin: no password on stdin");
      return std::nullopt;
    }
    return password;
  };

  add->callback([=, &exit_code] {
    auto digest = digest_option();
    auto password = digest ? password_option() : std::nullopt;
    if (!password) {
      exit_code = kExitUsage;
      return;
    }
    run([&](const config::Config& config, store::Store& store) {
      admin::NewAccount account{options->extension, options->name, options->groups, *password,
                                digest->value_or(auth::DigestPolicy::kAny)};
      if (auto admitted = admin::check_digest_allowed(account.digest, allowed_algorithms(config));
          !admitted) {
        print_error(admitted.error());
        return false;
      }
      auto added =
          admin::add_account(store, config.sip.domain, account, SystemClock().unix_seconds());
      if (!added) {
        print_error(added.error());
        return false;
      }
      print_password(options->extension, *added);
      return true;
    });
  });
  passwd->callback([=, &exit_code] {
    auto digest = digest_option();
    auto password = digest ? password_option() : std::nullopt;
    if (!password) {
      exit_code = kExitUsage;
      return;
    }
    run([&](const config::Config& config, store::Store& store) {
      if (*digest) {
        auto admitted = admin::check_digest_allowed(**digest, allowed_algorithms(config));
        if (!admitted) {
          print_error(admitted.error());
          return false;
        }
      }
      auto changed =
          admin::change_password(store, config.sip.domain, options->extension, *password, *digest);
      if (!changed) {
        print_error(changed.error());
        return false;
      }
      print_password(options->extension, *changed);
      return true;
    });
  });
  digest_command->callback([=, &exit_code] {
    auto digest = digest_option();
    if (!digest || !*digest) {
      exit_code = kExitUsage;
      return;
    }
    run([&](const config::Config& config, store::Store& store) {
      auto set = admin::set_digest(store, options->extension, **digest, allowed_algorithms(config));
      if (!set) {
        print_error(set.error());
        return false;
      }
      std::printf("digest of %s: %s%s\n", options->extension.c_str(), options->digest.c_str(),
                  *set ? "" : " (unchanged)");
      return true;
    });
  });
  unlock->callback([=, &exit_code] {
    std::optional<Network> network;
    if (!unlock_from->empty()) {
      auto parsed = admin::parse_ban_network(*unlock_from);
      if (!parsed) {
        print_error("--from: " + parsed.error());
        exit_code = kExitUsage;
        return;
      }
      network = *parsed;
    }
    auto duration = admin::parse_duration(*unlock_duration);
    if (!duration) {
      print_error("--duration '" + admin::printable(*unlock_duration) +
                  "': expected a number and a unit, e.g. 30m, 1h or 1d");
      exit_code = kExitUsage;
      return;
    }
    run([&](const config::Config&, store::Store& store) {
      const int64_t now = SystemClock().unix_seconds();
      auto admitted = admin::unlock_account(store, options->extension, network, *duration, now);
      if (!admitted) {
        print_error(admitted.error());
        return false;
      }
      if (network) {
        std::printf("%s: devices in %s may authenticate despite a lockout until %s\n",
                    options->extension.c_str(), admitted->network.c_str(),
                    admin::format_utc(admitted->until).c_str());
      } else {
        std::printf("%s: the lockout (if any) is lifted\n", options->extension.c_str());
      }
      return true;
    });
  });
  remove->callback([=] {
    run([&](const config::Config&, store::Store& store) {
      auto removed = admin::remove_account(store, options->extension);
      if (!removed) {
        print_error(removed.error());
        return false;
      }
      std::printf("removed %s\n", options->extension.c_str());
      return true;
    });
  });
  groups_command->callback([=] {
    run([&](const config::Config&, store::Store& store) {
      std::vector<std::string> names;
      std::string_view rest = options->group_list;
      while (!rest.empty()) {
        const size_t comma = rest.find(',');
        names.emplace_back(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
      auto set = admin::set_groups(store, options->extension, names);
      if (!set) {
        print_error(set.error());
        return false;
      }
      std::string shown;
      for (const std::string& name : names) shown += shown.empty() ? name : "," + name;
      std::printf("groups of %s: %s\n", options->extension.c_str(),
                  shown.empty() ? "(none)" : shown.c_str());
      return true;
    });
  });
  list->callback([=] {
    run([&](const config::Config&, store::Store& store) {
      auto accounts = store.list_accounts();
      if (!accounts) {
        print_error(std::string(accounts.error().what));
        return false;
      }
      for (const store::Account& account : *accounts) {
        std::string groups;
        for (const std::string& group : account.groups) {
          groups += groups.empty() ? group : "," + group;
        }
        if (options->json) {
          nlohmann::json line = {{"extension", account.extension},
                                 {"name", account.name},
                                 {"digest", account.digest},
                                 {"groups", account.groups},
                                 {"created_at", account.created_at}};
          std::printf("%s\n",
                      line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        } else {
          // Sanitized: a name stored before names were checked may hold escape codes.
          std::printf("%-12s %-24s %-8s %s\n", account.extension.c_str(),
                      sanitize_display_name(account.name).c_str(),
                      sanitize_display_name(account.digest).c_str(), groups.c_str());
        }
      }
      return true;
    });
  });
}

// Issue 13: serve started with a dialplan that `hardline dialplan check` rejects (a shadowed
// rule). The same review runs here, with the same messages; groups are not checked (their
// warnings need the database, and no warning stops the server).
bool dialplan_passes_review(const config::Config& config) {
  const routing::DialplanReview review = routing::review_dialplan(config, std::nullopt);
  for (const routing::Finding& finding : review.findings) {
    switch (finding.severity) {
      case routing::Severity::kError:
        spdlog::error("{}", finding.to_string());
        break;
      case routing::Severity::kWarning:
        spdlog::warn("{}", finding.to_string());
        break;
      case routing::Severity::kNote:
        spdlog::info("{}", finding.to_string());
        break;
    }
  }
  if (review.errors == 0) return true;
  spdlog::error(
      "not starting: {} dialplan error(s) above, the same `hardline dialplan check -c {}` "
      "reports",
      review.errors, config.file.string());
  return false;
}

// Before anything is bound: the service account exists (started as root) and the files pass
// FS-1..FS-3 (src/os/file_checks.h). Each problem is logged with the command that fixes it.
bool startup_checks_pass(const config::Config& config) {
  auto identity = os::service_identity(config.system);
  if (!identity) {
    spdlog::error("{}", identity.error());
    return false;
  }
  if (!identity->privileged) {
    spdlog::info(
        "started as {} (uid {}), not root: the service user is this user, so only the modes of "
        "secret files are checked, not the owners of the config, program and database",
        identity->user, identity->uid);
  }
  const std::vector<os::FileFinding> findings = os::check_deployment_files(config, *identity);
  for (const os::FileFinding& finding : findings) {
    spdlog::error("unsafe file ({}): {}", finding.checklist_id, finding.to_string());
  }
  if (!findings.empty()) {
    spdlog::error("not starting: {} unsafe file setting(s) above", findings.size());
    return false;
  }
  return true;
}

// Why an exception escaped a thread (the admin API's, or a noexcept function): logged before
// the abort, so that the supervisor's "killed by SIGABRT" has a reason next to it.
[[noreturn]] void log_terminate() {
  std::string what = "no exception";
  if (const std::exception_ptr current = std::current_exception()) {
    try {
      std::rethrow_exception(current);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
      what = "an exception of unknown type";
    }
  }
  spdlog::critical("fatal error: {}; aborting (killed by SIGABRT)", what);
  spdlog::default_logger()->flush();
  std::abort();
}

struct ServeExit {
  int status;
  std::string reason;
};

// `hardline serve` from its config to its end: the exit status and why.
ServeExit run_serve(const std::string& path) {
  // Before anything can write to a pipe: a log reader that goes away (journald restarted, a
  // closed terminal) must cost log lines, not the server.
  os::ignore_sigpipe();
  os::ignore_file_size_signal();
  os::install_stderr_logger("info");
  std::set_terminate(log_terminate);
  auto config = load_config_or_report(path);
  if (!config) return {kExitUsage, "the configuration has errors (above)"};
  spdlog::set_level(spdlog::level::from_str(config->log.level));
  if (!dialplan_passes_review(*config)) {
    return {kExitUsage, "the dialplan has errors (above): `hardline dialplan check` lists them"};
  }
  if (!startup_checks_pass(*config)) return {kExitUsage, "unsafe files or no service account"};
  try {
    auto served = server::serve(*config);
    if (!served) {
      spdlog::error("{}", served.error());
      return {kExitFailed, "could not start"};
    }
    return {kExitOk, *served};
  } catch (const std::exception& e) {
    // The data plane does not throw; this is start-up code or a bug, and the server is gone.
    spdlog::critical("fatal error: {}", e.what());
    return {kExitFailed, "fatal error"};
  }
}

constexpr const char* kServeExitStatus =
    "Exit status (each exit is logged with it and its reason):\n"
    "  0  stopped by SIGTERM or SIGINT\n"
    "  1  could not start (the database, a listener, the admin API, the confinement) or a\n"
    "     fatal error while serving\n"
    "  2  bad arguments, a config with errors (a dialplan `hardline dialplan check` rejects\n"
    "     included), unsafe files or no service account\n"
    "Killed by SIGABRT: a broken internal check or an escaped exception (logged first), or\n"
    "systemd's watchdog after the event loop stopped pinging it (systemd logs that);\n"
    "by SIGSYS: a system call outside the sandbox's allow-list (kernel log, docs/sandbox.md).\n"
    "SIGPIPE is ignored (SIGXFSZ too) and SIGHUP only logged: none stops the server.";

void add_serve(CLI::App& app, int& exit_code) {
  auto path = std::make_shared<std::string>();
  CLI::App* serve = app.add_subcommand(
      "serve", "Run the SIP server in the foreground; logs to stderr; SIGTERM or SIGINT stop it");
  serve->add_option("-c,--config", *path, kConfigOptionHelp);
  serve->footer(kServeExitStatus);
  serve->callback([path, &exit_code] {
    const ServeExit ended = run_serve(*path);
    // Whatever log.level says: the last line a supervisor's log shows must say why it ended.
    if (spdlog::get_level() > spdlog::level::info) spdlog::set_level(spdlog::level::info);
    if (ended.status == kExitOk) {
      spdlog::info("exit status {}: {}", ended.status, ended.reason);
    } else {
      spdlog::error("exit status {}: {}", ended.status, ended.reason);
    }
    spdlog::default_logger()->flush();
    exit_code = ended.status;
  });
}

}  // namespace

void add_deployment_commands(CLI::App& app, int& exit_code) {
  add_init(app, exit_code);
  add_user(app, exit_code);
  add_serve(app, exit_code);
}

}  // namespace hardline::cli
