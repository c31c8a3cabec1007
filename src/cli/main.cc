// hardline: one binary, one subcommand per operation (see `hardline --help`).

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <iostream>

#include "cli/commands.h"
#include "os/process.h"

namespace {

int run(int argc, char** argv) {
  CLI::App app{
      "Hardline: a SIP telephony server (registrar, and calls between accounts and through\n"
      "trunks under a dialplan) that is secure by default. No media relay or voicemail yet: the\n"
      "phones exchange media directly. Run a subcommand with --help for its options.",
      "hardline"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("hardline ") + HARDLINE_VERSION);
  app.footer("Exit status: 0 success, 1 the command found a problem, 2 usage or I/O error.");

  int exit_code = hardline::cli::kExitOk;
  hardline::cli::add_deployment_commands(app, exit_code);
  hardline::cli::add_ban_command(app, exit_code);
  hardline::cli::add_dialplan_command(app, exit_code);
  hardline::cli::add_admin_command(app, exit_code);
  hardline::cli::add_sip_command(app, exit_code);
  hardline::cli::add_audit_command(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" with status 0 to CLI11; real ones become status 2.
    return app.exit(e) == 0 ? hardline::cli::kExitOk : hardline::cli::kExitUsage;
  }
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  // Started with 0, 1 or 2 closed, the first file or socket opened would take that number and
  // receive whatever is printed or logged (a database, a peer): /dev/null takes them instead.
  hardline::os::reopen_closed_standard_fds();
  // Start-up and configuration errors arrive here as exceptions (the data plane never throws).
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hardline: %s\n", e.what());
  } catch (...) {
    std::fputs("hardline: unexpected error\n", stderr);
  }
  return hardline::cli::kExitUsage;
}
