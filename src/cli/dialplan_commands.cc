// hardline dialplan check | explain | test | graph: argument parsing only; the work is in
// src/routing (engine, analysis, explanations, graphs, test tables).

#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/deployment_access.h"
#include "config/config.h"
#include "routing/analysis.h"
#include "routing/dialplan.h"
#include "routing/test_suite.h"
#include "routing/tools.h"
#include "store/sqlite_store.h"

namespace hardline::cli {
namespace {

struct Loaded {
  config::Config config;
  std::optional<routing::Dialplan> dialplan;
};

// The config (and its included dialplan) compiled, or the exit status: 2 when there is no such
// file, 1 when it has a mistake (which is what `check` is asked to find).
std::optional<Loaded> load(const std::string& path, int& exit_code) {
  const std::filesystem::path file =
      path.empty() ? config::default_config_path() : std::filesystem::path(path);
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    print_error(file.string() + ": no such file: give the config with -c FILE");
    exit_code = kExitUsage;
    return std::nullopt;
  }
  auto config = config::load_config(file);
  if (!config) {
    print_error(config.error().to_string());
    exit_code = kExitFailed;
    return std::nullopt;
  }
  auto dialplan = routing::Dialplan::compile(*config);
  if (!dialplan) {
    print_error(dialplan.error());
    exit_code = kExitFailed;
    return std::nullopt;
  }
  Loaded loaded{std::move(*config), std::nullopt};
  loaded.dialplan.emplace(std::move(*dialplan));
  return loaded;
}

// The deployment's accounts and their groups, or nullopt (with a note) when its database does
// not exist or cannot be read: the tools work offline on a config alone.
std::optional<routing::AccountDirectory> accounts_of(const config::Config& config, bool quiet) {
  std::error_code ec;
  if (!std::filesystem::exists(config.store.database, ec)) {
    if (!quiet) {
      std::fprintf(stderr, "note: no database at %s: accounts and groups unknown\n",
                   config.store.database.c_str());
    }
    return std::nullopt;
  }
  auto store = store::open_sqlite(config.store.database, store::OpenMode::kExisting);
  if (!store) {
    std::fprintf(stderr, "note: cannot open %s (%s): accounts and groups unknown\n",
                 config.store.database.c_str(), std::string(store.error().what).c_str());
    return std::nullopt;
  }
  auto accounts = (*store)->list_accounts();
  if (!accounts) {
    std::fprintf(stderr, "note: cannot read the accounts (%s)\n",
                 std::string(accounts.error().what).c_str());
    return std::nullopt;
  }
  routing::AccountDirectory directory;
  for (const store::Account& account : *accounts) {
    directory.emplace(account.extension, account.groups);
  }
  return directory;
}

config::LocalTime now_local() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  return config::LocalTime{static_cast<uint8_t>((local.tm_wday + 6) % 7),
                           static_cast<uint16_t>(local.tm_hour * 60 + local.tm_min)};
}

void add_check(CLI::App& dialplan, int& exit_code) {
  auto config_path = std::make_shared<std::string>();
  CLI::App* check = dialplan.add_subcommand(
      "check",
      "Load the config and its dialplan and report, with file:line, every mistake: invalid "
      "keys and patterns, unknown trunks and source categories, trunk rules that do not say "
      "who may use them (errors of the loader); patterns that match no number and rules that "
      "can never decide a call because earlier rules match all their numbers first (errors); "
      "groups no account is in, trunks with sources that no rule admits, patterns that only "
      "match characters no dialled number has (warnings). Exit 1 on any error, 0 otherwise. "
      "`hardline serve` runs the same check and does not start on an error.");
  check->add_option("-c,--config", *config_path, kConfigOptionHelp);
  check->callback([config_path, &exit_code] {
    auto loaded = load(*config_path, exit_code);
    if (!loaded) return;
    std::optional<std::set<std::string>> groups;
    if (auto accounts = accounts_of(loaded->config, false)) {
      groups.emplace();
      for (const auto& [extension, names] : *accounts) groups->insert(names.begin(), names.end());
    }
    // The same review `hardline serve` runs before it starts (routing/analysis.h).
    const routing::DialplanReview review = routing::review_dialplan(loaded->config, groups);
    for (const routing::Finding& finding : review.findings) {
      std::printf("%s\n", finding.to_string().c_str());
    }
    std::printf("%s: %zu rules, %zu trunks, %zu source categories: %zu errors, %zu warnings\n",
                loaded->config.file.c_str(), loaded->config.dialplan.rules.size(),
                loaded->config.trunks.size(), loaded->config.sources.size(), review.errors,
                review.warnings);
    exit_code = review.errors == 0 ? kExitOk : kExitFailed;
  });
}

void add_explain(CLI::App& dialplan, int& exit_code) {
  struct Options {
    std::string config, number, from, source, transport = "udp", time;
    std::vector<std::string> groups;
  };
  auto options = std::make_shared<Options>();
  CLI::App* explain = dialplan.add_subcommand(
      "explain",
      "Show how the dialplan decides one call: every rule tried, why it decided or was passed "
      "over, and the final action. The caller is the account --from (its groups from the "
      "database, or --group), else the trunk whose sources hold --source, else anonymous. "
      "With a database, --from must name one of its accounts (exit 2 otherwise).");
  explain->add_option("NUMBER", options->number, "The dialled number (Request-URI user)")
      ->required();
  explain->add_option("-c,--config", options->config, kConfigOptionHelp);
  explain->add_option("--from", options->from, "The calling account (authenticated)");
  explain->add_option("--source", options->source,
                      "The caller's IP address (source categories; a trunk's address makes the "
                      "call one from that trunk when --from is not given)");
  explain->add_option("--transport", options->transport, "udp (default), tcp or tls");
  explain->add_option("--time", options->time,
                      "Local weekday and time, e.g. \"Mon 14:30\" (default: now)");
  explain
      ->add_option("--group", options->groups,
                   "A group of the --from account (repeatable); replaces the database's")
      ->allow_extra_args(false);  // one group per --group, so NUMBER may follow
  explain->callback([options, &exit_code] {
    std::optional<IpAddress> source;
    if (!options->source.empty()) {
      source = parse_ip_address(options->source);
      if (!source) {
        print_error("--source " + options->source + ": not an IP address (e.g. 10.0.0.5, ::1)");
        exit_code = kExitUsage;
        return;
      }
    }
    auto transport = config::parse_transport(options->transport);
    if (!transport) {
      print_error("--transport " + options->transport + ": use udp, tcp or tls");
      exit_code = kExitUsage;
      return;
    }
    config::LocalTime time = now_local();
    if (!options->time.empty()) {
      auto parsed = config::parse_local_time(options->time);
      if (!parsed) {
        print_error("--time " + options->time + ": write a weekday and a time, e.g. \"Mon 14:30\"");
        exit_code = kExitUsage;
        return;
      }
      time = *parsed;
    }
    if (!options->groups.empty() && options->from.empty()) {
      print_error("--group needs --from: groups belong to an account");
      exit_code = kExitUsage;
      return;
    }
    auto loaded = load(options->config, exit_code);
    if (!loaded) return;
    std::optional<routing::AccountDirectory> known = accounts_of(loaded->config, false);
    if (!options->from.empty()) {
      // Issue 13: an account that does not exist was explained as one with no groups, which
      // answers a question nobody asked. Without a database the account cannot be checked.
      // Typed by the operator, but no control byte reaches the terminal through a message.
      std::string from = options->from;
      for (char& c : from) c = static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
      if (known && known->find(options->from) == known->end()) {
        print_error("--from " + from + ": there is no account " + from + " in " +
                    loaded->config.store.database.string() +
                    ": give an existing extension (`hardline user list -c " +
                    loaded->config.file.string() + "`), or add it first with `hardline user add " +
                    from + "`");
        exit_code = kExitUsage;
        return;
      }
      if (!known) {
        std::fprintf(stderr,
                     "note: account %s is taken as given: without the database it "
                     "cannot be checked\n",
                     from.c_str());
      }
    }
    routing::AccountDirectory accounts = known.value_or(routing::AccountDirectory{});
    if (!options->groups.empty()) accounts[options->from] = options->groups;
    routing::CallRequest request;
    request.number = options->number;
    request.caller = routing::identify_caller(
        *loaded->dialplan, accounts,
        options->from.empty() ? std::nullopt : std::optional<std::string>(options->from), source);
    request.source = source;
    request.transport = *transport;
    request.time = time;
    const routing::IsLocalAccount is_local = [&accounts](std::string_view number) {
      return accounts.find(number) != accounts.end();
    };
    const routing::Decision decision = loaded->dialplan->evaluate(request, is_local, true);
    std::fputs(routing::explain_text(*loaded->dialplan, request, decision).c_str(), stdout);
    exit_code = kExitOk;
  });
}

void add_test(CLI::App& dialplan, int& exit_code) {
  struct Options {
    std::string config, file;
  };
  auto options = std::make_shared<Options>();
  CLI::App* test = dialplan.add_subcommand(
      "test",
      "Run a table of calls against the dialplan and compare each decision with the expected "
      "one (TOML: [accounts] extension = [groups], and [[case]] with number, from or source, "
      "transport, time, expect = \"local 1001\" | \"trunk NAME NUMBER\" | \"reject 403\", and "
      "optionally rule). Prints each failing case with what was expected and what happened; "
      "exit 1 when any fails. See docs/dialplan.md.");
  test->add_option("FILE", options->file, "The table of cases (TOML)")->required();
  test->add_option("-c,--config", options->config, kConfigOptionHelp);
  test->callback([options, &exit_code] {
    std::ifstream in(options->file, std::ios::binary);
    if (!in.is_open()) {
      print_error(options->file + ": cannot read the test file");
      exit_code = kExitUsage;
      return;
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto suite = routing::parse_test_suite(text.str(), options->file);
    if (!suite) {
      print_error(suite.error());
      exit_code = kExitUsage;
      return;
    }
    auto loaded = load(options->config, exit_code);
    if (!loaded) return;
    routing::AccountDirectory accounts =
        suite->accounts ? *suite->accounts
                        : accounts_of(loaded->config, false).value_or(routing::AccountDirectory{});
    size_t failed = 0;
    const auto outcomes = routing::run_test_suite(*loaded->dialplan, *suite, accounts);
    for (const routing::TestOutcome& outcome : outcomes) {
      if (outcome.passed) continue;
      ++failed;
      std::printf("%s:%u: FAIL number %s: expected %s, got %s\n", options->file.c_str(),
                  outcome.test->line, outcome.test->number.c_str(), outcome.expected.c_str(),
                  outcome.actual.c_str());
    }
    std::printf("%zu cases, %zu passed, %zu failed\n", outcomes.size(), outcomes.size() - failed,
                failed);
    exit_code = failed == 0 ? kExitOk : kExitFailed;
  });
}

void add_graph(CLI::App& dialplan, int& exit_code) {
  struct Options {
    std::string config, format = "mermaid";
  };
  auto options = std::make_shared<Options>();
  CLI::App* graph = dialplan.add_subcommand(
      "graph",
      "Draw the dialplan for the operator's documentation: the rules top-down with what each "
      "decides, ending in the built-in default. mermaid (a flowchart for Markdown), dot "
      "(Graphviz: hardline dialplan graph --format dot | dot -Tsvg) or table (Markdown).");
  graph->add_option("-c,--config", options->config, kConfigOptionHelp);
  graph->add_option("--format", options->format, "mermaid (default), dot or table");
  graph->callback([options, &exit_code] {
    auto format = routing::parse_graph_format(options->format);
    if (!format) {
      print_error("--format " + options->format + ": use mermaid, dot or table");
      exit_code = kExitUsage;
      return;
    }
    auto loaded = load(options->config, exit_code);
    if (!loaded) return;
    std::fputs(routing::graph(*loaded->dialplan, *format).c_str(), stdout);
    exit_code = kExitOk;
  });
}

}  // namespace

void add_dialplan_command(CLI::App& app, int& exit_code) {
  CLI::App* dialplan = app.add_subcommand(
      "dialplan",
      "Check, explain, test and draw the dialplan offline, before serving it. Rules are tried "
      "top-down and the first that matches the whole number and admits the caller decides; "
      "with none, only authenticated calls between local accounts go through.");
  dialplan->require_subcommand(1);
  add_check(*dialplan, exit_code);
  add_explain(*dialplan, exit_code);
  add_test(*dialplan, exit_code);
  add_graph(*dialplan, exit_code);
}

}  // namespace hardline::cli
