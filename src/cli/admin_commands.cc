// hardline admin token: argument parsing only; the token is made in src/admin/token.h.

#include <cstdio>
#include <memory>
#include <string>

#include "admin/token.h"
#include "cli/commands.h"
#include "cli/deployment_access.h"

namespace hardline::cli {

void add_admin_command(CLI::App& app, int& exit_code) {
  auto config_path = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand("admin", "The HTTP admin API (see docs/admin-api.md)");
  command->require_subcommand(1);
  CLI::App* token = command->add_subcommand(
      "token",
      "Make a new admin API bearer token: printed once, stored only as its argon2id hash in "
      "admin.token_file (0600, or the old file's owner, group and mode), replacing the old one. "
      "`hardline serve` reads the file when it "
      "starts: restart it for the new token to count and the old one to stop working.");
  token->add_option("-c,--config", *config_path, kConfigOptionHelp);
  token->callback([config_path, &exit_code] {
    auto config = load_config_or_report(*config_path);
    if (!config) {
      exit_code = kExitUsage;
      return;
    }
    auto made = admin::create_token_file(config->admin.token_file, true);
    if (!made) {
      print_error(made.error());
      exit_code = kExitFailed;
      return;
    }
    print_admin_token(*made, config->admin.token_file.string());
    std::fputs("Restart `hardline serve` for the new token to take effect.\n", stderr);
    exit_code = kExitOk;
  });
}

}  // namespace hardline::cli
