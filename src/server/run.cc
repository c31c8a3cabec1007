#include "server/run.h"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <functional>

#include "admin/http_server.h"
#include "os/confine.h"
#include "os/service_notify.h"
#include "routing/dialplan.h"
#include "server/admin_link.h"
#include "server/dialplan_router.h"
#include "server/sip_server.h"
#include "store/sqlite_store.h"

namespace hardline::server {

namespace {

// The router's view of the accounts: the server's cache (set once the server exists).
struct CachedAccounts final : AccountDirectory {
  AccountCache* cache = nullptr;

  bool exists(std::string_view extension) override {
    if (cache == nullptr) return false;
    auto found = cache->find(extension);
    return found && found->has_value();
  }
  std::vector<std::string> groups(std::string_view extension) override {
    if (cache == nullptr) return {};
    auto found = cache->find(extension);  // fills the cache's groups when not there yet
    if (!found || !found->has_value()) return {};
    return cache->groups(extension);
  }
};

}  // namespace

Result<std::string, std::string> serve(const config::Config& config) {
  auto store = store::open_sqlite(config.store.database, store::OpenMode::kExisting);
  if (!store) {
    return tl::unexpected("cannot open the database " + config.store.database.string() + ": " +
                          std::string(store.error().what));
  }
  SystemClock clock;
  boost::asio::io_context io(1);

  // The service manager's socket ($NOTIFY_SOCKET), connected now: after confinement no socket
  // can be made or connected. Without one (not under systemd) every notify() does nothing.
  os::ServiceNotifier notifier;
  if (auto opened = os::ServiceNotifier::from_environment()) {
    notifier = std::move(*opened);
  } else {
    spdlog::warn("not telling the service manager: {}", opened.error());
  }
  notifier.notify(os::status_line("starting"));

  // The dialplan and its trunks: names resolved and the time zone read here, while the resolver
  // and the zone files are reachable (not from inside the chroot, nor past the seccomp filter).
  auto dialplan = routing::Dialplan::compile(config);
  if (!dialplan) return tl::unexpected("cannot compile the dialplan: " + dialplan.error());
  std::vector<std::string> trunk_problems;
  std::vector<std::string> trunk_notes;
  std::vector<TrunkTarget> trunks =
      resolve_trunks(dialplan->trunks(), trunk_problems, &trunk_notes);
  for (const std::string& problem : trunk_problems) spdlog::warn("{}", problem);
  for (const std::string& note : trunk_notes) spdlog::info("{}", note);
  const std::vector<Network> trunk_sources = trunk_networks(dialplan->trunks(), trunks);
  prepare_time_zone();
  CachedAccounts accounts;
  DialplanRouter router(*dialplan, std::move(trunks), clock, accounts,
                        config.privacy.mode == config::Config::PrivacyMode::kDebug);

  // Declared after the router: its calls end (and the router's hooks run) before the router goes.
  SipServer server(io, config, **store, clock);
  accounts.cache = &server.accounts();
  server.set_router(router);
  // One datagram forged "from" a trunk must not get the provider banned (issue 12, item 3).
  server.protect_from_forged_bans(trunk_sources);
  spdlog::info(
      "guard: {} networks never banned for rate limits or scanner signatures (guard.protected "
      "and the trunks')",
      server.guard().settings().protected_networks.size());
  spdlog::info("dialplan: {} rules, {} trunks, {} source categories", dialplan->rules().size(),
               dialplan->trunks().size(), dialplan->sources().size());
  // SIGTERM and SIGINT are caught before any socket is bound: one that arrives while start-up
  // goes on waits for the event loop and stops it cleanly, instead of killing the process.
  // SIGHUP is caught too: its default action would kill the server without a word, and
  // operators send it out of habit to make a daemon reload.
  boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  std::string stop_reason = "stopped";
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        if (signal == SIGHUP) {
          spdlog::warn(
              "SIGHUP received: reloading is not supported yet, nothing changed; restart "
              "hardline to apply a new config");
          signals.async_wait(on_signal);
          return;
        }
        const char* name = signal == SIGTERM ? "SIGTERM" : "SIGINT";
        spdlog::info("{} received, stopping", name);
        stop_reason = std::string("stopped by ") + name;
        notifier.notify("STOPPING=1\n" + os::status_line(stop_reason));
        server.stop();
        io.stop();
      };
  signals.async_wait(on_signal);
  if (auto started = server.start(); !started) return tl::unexpected(started.error());

  // The admin API, /metrics and /health: its socket bound and its files (token hash, access
  // log, TLS key, its own database connection) opened here, with the SIP sockets, before the
  // process confines itself; its thread starts only just before serving, so that it inherits
  // whatever confinement comes in between.
  AdminLink admin_link(io, server);
  std::unique_ptr<admin::HttpServer> admin_api;
  if (config.admin.enabled) {
    auto created = admin::HttpServer::create(config, admin_link);
    if (!created) {
      server.stop();
      return tl::unexpected(created.error());
    }
    admin_api = std::move(*created);
    spdlog::info("admin API listening on {}://{}", admin_api->tls() ? "https" : "http",
                 host_port(admin_api->local_endpoint()));
  }

  // Everything that needs root, a capability or a path outside the database's directory
  // (binding a listener, opening a file) happens above this line: from here on the process is
  // confined (src/os/confine.h) when started as root, and a failed step stops start-up.
  auto confined = os::confine(config.system, config.store.database);
  if (!confined) return tl::unexpected("cannot confine the server: " + confined.error());
  // Checked once a second from now on, by its path inside the jail when there is one.
  server.watch_database(confined->inside(config.store.database));

  spdlog::info("serving domain {}", config.sip.domain);
  if (admin_api) admin_api->start();
  notifier.notify("READY=1\n" + os::status_line("serving domain " + config.sip.domain));
  // The watchdog is fed from this loop, by a timer like every other: a loop that is stuck (a
  // handler that never returns) stops the pings, and the service manager restarts the server.
  boost::asio::steady_timer watchdog(io);
  std::function<void(const boost::system::error_code&)> feed_watchdog;
  if (const auto period = notifier.watchdog_period()) {
    spdlog::info("service manager watchdog: a ping every {} ms", period->count() / 1000);
    feed_watchdog = [&, period = *period](const boost::system::error_code& ec) {
      if (ec) return;
      notifier.notify("WATCHDOG=1");
      watchdog.expires_after(period);
      watchdog.async_wait(feed_watchdog);
    };
    feed_watchdog({});
  }
  io.run();
  // The admin thread goes first: it may be waiting on this loop.
  if (admin_api) admin_api->stop();
  server.stop();
  const Counters& counters = server.counters();
  const guard::Counters guarded = server.guard().counters();
  spdlog::info(
      "stopped after {} messages: {} dropped by the guard (banned source {}, packet rate {}, "
      "byte rate {}, method rate {}, scanner {}), {} bans ({} automatic), {} lockouts, {} "
      "authentication failures",
      counters.received, counters.guard_dropped, guarded.dropped_banned,
      guarded.dropped_packet_rate, guarded.dropped_byte_rate, guarded.dropped_method_rate,
      guarded.scanner_hits, guarded.bans_automatic + guarded.bans_manual, guarded.bans_automatic,
      guarded.lockouts, counters.auth_failures);
  const call::Counters& calls = server.calls().counters();
  spdlog::info(
      "calls: {} started, {} answered, {} ended after an answer; unanswered: {} refused by "
      "routing, {} unavailable, {} busy, {} declined, {} no answer, {} timed out, {} cancelled, "
      "{} other; {} refused when full, {} loops",
      calls.started, calls.answered, calls.ended, calls.rejected, calls.unavailable, calls.busy,
      calls.declined, calls.no_answer, calls.timed_out, calls.cancelled, calls.other_failure,
      calls.overloaded, calls.loops);
  spdlog::info(
      "dialplan: {} calls refused by toll-fraud brakes, {} trunk caller IDs rewritten, {} "
      "refused, {} in the shape of an internal number",
      router.brakes_tripped(), router.caller_ids_rewritten(), router.caller_ids_refused(),
      router.caller_ids_internal());
  return stop_reason;
}

}  // namespace hardline::server
