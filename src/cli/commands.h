#pragma once
// Each subcommand registers itself on the application; its callback stores the process exit
// status in `exit_code`. Subcommands only parse arguments and call library code.

#include <CLI/CLI.hpp>
#include <string>

namespace hardline::cli {

// Exit statuses shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the command ran and found a problem (invalid input, ...)
inline constexpr int kExitUsage = 2;   // bad arguments, unreadable file, bad config

void add_sip_command(CLI::App& app, int& exit_code);
// init, user, serve
void add_deployment_commands(CLI::App& app, int& exit_code);
// ban add|remove|list
void add_ban_command(CLI::App& app, int& exit_code);
// audit [--json] [--backup-dir DIR]
void add_audit_command(CLI::App& app, int& exit_code);
// dialplan check|explain|test|graph
void add_dialplan_command(CLI::App& app, int& exit_code);
// admin token
void add_admin_command(CLI::App& app, int& exit_code);

// "admin token: TOKEN" on stdout and, on stderr, that it is shown once and where its hash is.
void print_admin_token(const std::string& token, const std::string& token_file);

}  // namespace hardline::cli
