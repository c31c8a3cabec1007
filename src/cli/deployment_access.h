#pragma once
// What every subcommand that works on a deployment does first: find and load its config, open
// its database, and say why on stderr when that fails.
#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "store/store.h"

namespace hardline::cli {

// The help text of every -c option.
inline constexpr const char* kConfigOptionHelp =
    "Config file (default: $HARDLINE_CONFIG, then /etc/hardline/hardline.toml)";

// "hardline: TEXT" on stderr.
void print_error(const std::string& text);

// Loads the config at `path`, or when it is empty at config::default_config_path() ($HARDLINE_
// CONFIG, then /etc/hardline/hardline.toml); on failure prints the error with file:line.
std::optional<config::Config> load_config_or_report(const std::string& path);

// Opens the deployment's existing database; on failure prints the path and the reason.
std::unique_ptr<store::Store> open_store_or_report(const config::Config& config);

}  // namespace hardline::cli
