// hardline audit: argument parsing only; the checks are in src/audit.

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "audit/gather.h"
#include "audit/report.h"
#include "audit/rules.h"
#include "cli/commands.h"
#include "cli/deployment_access.h"
#include "store/sqlite_store.h"

namespace hardline::cli {
namespace {

// PW-1: how many accounts still accept MD5. Read here, not in src/audit, which has no store.
audit::DigestFacts digest_facts(const config::Config& config) {
  audit::DigestFacts facts;
  if (!std::filesystem::exists(config.store.database)) {
    facts.error = "the database " + config.store.database.string() + " does not exist";
    return facts;
  }
  auto store = store::open_sqlite(config.store.database, store::OpenMode::kExisting);
  if (!store) {
    facts.error = config.store.database.string() + ": " + std::string(store.error().what);
    return facts;
  }
  auto accounts = (*store)->list_accounts();
  if (!accounts) {
    facts.error = std::string(accounts.error().what);
    return facts;
  }
  facts.read = true;
  facts.accounts = accounts->size();
  for (const store::Account& account : *accounts) {
    // As the server reads them: a policy it does not know is the strictest.
    if (account.digest == "any" && !account.ha1_md5.empty()) ++facts.any;
    if (account.digest == "md5") ++facts.md5_only;
  }
  return facts;
}

}  // namespace

void add_audit_command(CLI::App& app, int& exit_code) {
  struct Options {
    std::string config;
    std::string backup_dir = "/var/backups/hardline";
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* audit = app.add_subcommand(
      "audit",
      "Check this host and the deployment against every item of the security checklist: pass, "
      "warn, fail, not-applicable or manual, with the evidence and the fix. Some checks need "
      "root. Exit 0 when nothing fails, 1 when something does, 2 for a bad config.");
  audit->add_option("-c,--config", options->config, kConfigOptionHelp);
  audit->add_flag("--json", options->json, "One JSON document: checks, summary, exit status");
  audit
      ->add_option("--backup-dir", options->backup_dir,
                   "Where the backups are (DR-1: the newest file's age)")
      ->capture_default_str();
  audit->callback([options, &exit_code] {
    auto config = load_config_or_report(options->config);
    if (!config) {
      exit_code = kExitUsage;
      return;
    }
    audit::GatherOptions gather;
    gather.backup_directory = options->backup_dir;
    gather.version = HARDLINE_VERSION;
    audit::Facts facts = audit::gather_facts(*config, gather);
    facts.digest = digest_facts(*config);
    const std::vector<audit::Finding> findings = audit::run_rules(*config, facts);
    const audit::ReportHeader header{config->file.string(), HARDLINE_VERSION};
    const std::string report = options->json ? audit::json_report(header, findings)
                                             : audit::human_report(header, findings);
    std::fputs(report.c_str(), stdout);
    exit_code = audit::exit_status(findings) == 0 ? kExitOk : kExitFailed;
  });
}

}  // namespace hardline::cli
