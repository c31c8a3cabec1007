// hardline ban add|remove|list: argument parsing only; the checks and the store work are in
// src/admin/bans.h.

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "admin/bans.h"
#include "cli/commands.h"
#include "cli/deployment_access.h"
#include "common/clock.h"

namespace hardline::cli {
namespace {

// Security events go to stderr at warn level whatever log.level says: an operator's ban or
// unban is always on record.
void security_event(const std::string& line) {
  auto logger = std::make_shared<spdlog::logger>(
      "hardline", std::make_shared<spdlog::sinks::stderr_color_sink_st>());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger->set_level(spdlog::level::warn);
  logger->warn("{}", line);
  logger->flush();
}

}  // namespace

void add_ban_command(CLI::App& app, int& exit_code) {
  struct Options {
    std::string config, network, reason;
    std::string duration = admin::format_duration(admin::kDefaultBanDuration);
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* command = app.add_subcommand(
      "ban",
      "Ban networks: every packet from an address inside a ban is dropped unanswered until the "
      "ban ends. Bans are kept in the database and survive a restart.");
  command->require_subcommand(1);
  command->footer(
      "Exit status: 0 done, 1 refused (a /0 network, a duration over 365d, a bad reason, no such "
      "ban), 2 usage error (not a network, not a duration) or unreadable config or database.");

  CLI::App* add = command->add_subcommand(
      "add",
      "Ban an address or a network for a while; replaces any ban of the same network. Logs a "
      "security event");
  add->add_option("NETWORK", options->network,
                  "An address (192.0.2.7, 2001:db8::1) or a CIDR network (198.51.100.0/24, "
                  "2001:db8:1:2::/64)")
      ->required();
  add->add_option("-c,--config", options->config, kConfigOptionHelp);
  add->add_option("--duration", options->duration,
                  "How long: 30s, 10m, 1h, 7d, 2w or combined (1h30m); at most 365d")
      ->capture_default_str();
  add->add_option("--reason", options->reason,
                  "Why, for the log and `ban list`: up to 200 characters, one line");

  CLI::App* remove = command->add_subcommand(
      "remove", "Lift the ban of exactly NETWORK (as added or listed). Logs a security event");
  remove->add_option("NETWORK", options->network, "The banned address or network")->required();
  remove->add_option("-c,--config", options->config, kConfigOptionHelp);
  remove->add_option("--reason", options->reason, "Why it is lifted, for the log");

  CLI::App* list = command->add_subcommand(
      "list",
      "List the bans in force: network, until (UTC), time left, manual or automatic, reason");
  list->add_option("-c,--config", options->config, kConfigOptionHelp);
  list->add_flag("--json", options->json, "One JSON object per line");

  // Loads the config, opens the store, runs `action` with it and the time now; its result is
  // the exit status.
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
    exit_code = action(*store, SystemClock().unix_seconds()) ? kExitOk : kExitFailed;
  };
  // Arguments that are not a network or a duration at all are usage errors, found before the
  // config is read; what admin refuses (a /0, too long, a bad reason) is a refusal (status 1).
  auto network_argument = [options]() -> std::optional<Network> {
    auto network = admin::parse_ban_network(options->network);
    if (!network) {
      print_error(network.error());
      return std::nullopt;
    }
    return *network;
  };

  add->callback([=, &exit_code] {
    auto network = network_argument();
    auto duration = admin::parse_duration(options->duration);
    if (network && !duration) {
      print_error("--duration '" + admin::printable(options->duration) +
                  "': expected a number and a unit, e.g. 30s, 10m, 1h, 7d or 1h30m");
    }
    if (!network || !duration) {
      exit_code = kExitUsage;
      return;
    }
    run([&](store::Store& store, int64_t now) {
      auto added = admin::add_ban(store, *network, now, *duration, options->reason);
      if (!added) {
        print_error(added.error());
        return false;
      }
      security_event(admin::ban_added_event(*added));
      std::printf("banned %s until %s (%s)\n", added->network.c_str(),
                  admin::format_utc(added->until).c_str(),
                  admin::format_duration(*duration).c_str());
      return true;
    });
  });

  remove->callback([=, &exit_code] {
    auto network = network_argument();
    if (!network) {
      exit_code = kExitUsage;
      return;
    }
    run([&](store::Store& store, int64_t now) {
      auto removed = admin::remove_ban(store, *network, now, options->reason);
      if (!removed) {
        print_error(removed.error());
        return false;
      }
      security_event(admin::ban_removed_event(*removed, options->reason));
      std::printf("unbanned %s\n", removed->network.c_str());
      return true;
    });
  });

  list->callback([=] {
    run([&](store::Store& store, int64_t now) {
      auto bans = admin::list_bans(store, now);
      if (!bans) {
        print_error(bans.error());
        return false;
      }
      size_t width = 0;
      for (const store::Ban& ban : *bans) width = std::max(width, ban.network.size());
      for (const store::Ban& ban : *bans) {
        const std::chrono::seconds remaining(ban.until - now);
        if (options->json) {
          nlohmann::json line = {{"network", ban.network},
                                 {"created_at", ban.created_at},
                                 {"until", ban.until},
                                 {"until_utc", admin::format_utc(ban.until)},
                                 {"remaining", remaining.count()},
                                 {"automatic", ban.automatic},
                                 {"repeats", ban.repeats},
                                 {"reason", ban.reason}};
          std::printf("%s\n",
                      line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        } else {
          std::printf("%-*s  %s  %-8s  %-9s  %s\n", static_cast<int>(width),
                      admin::printable(ban.network).c_str(), admin::format_utc(ban.until).c_str(),
                      admin::format_duration(remaining).c_str(),
                      ban.automatic ? "automatic" : "manual",
                      ban.reason.empty() ? "-" : admin::printable(ban.reason).c_str());
        }
      }
      return true;
    });
  });
}

}  // namespace hardline::cli
