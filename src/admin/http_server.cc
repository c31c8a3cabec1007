#include "admin/http_server.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include "admin/access_log.h"
#include "admin/api.h"
#include "admin/token.h"
#include "admin/token_checks.h"
#include "store/sqlite_store.h"
#include "transport/asio_address.h"

#ifndef HARDLINE_VERSION
#define HARDLINE_VERSION "unknown"
#endif

namespace hardline::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

using transport::from_asio;
using transport::to_asio;

// Why accept(2) failed when it is for lack of a resource (trying again at once would spin);
// null for an error of that connection only.
const char* resource_shortage(const error_code& ec) {
  if (ec.category() != boost::system::system_category()) return nullptr;
  switch (ec.value()) {
    case EMFILE:
      return "too many open files in this process (EMFILE)";
    case ENFILE:
      return "too many open files in the system (ENFILE)";
    case ENOBUFS:
      return "no buffer space (ENOBUFS)";
    case ENOMEM:
      return "out of memory (ENOMEM)";
    default:
      return nullptr;
  }
}

// The status Beast's parse errors are answered with; 0: close without answering (the peer
// went away or was too slow).
unsigned status_for(const error_code& ec) {
  if (ec == http::error::header_limit) return 431;
  if (ec == http::error::body_limit || ec == http::error::buffer_overflow) return 413;
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
      ec == asio::error::eof || ec == http::error::partial_message) {
    return 0;
  }
  if (ec.category() == error_code(http::error::bad_target).category()) {
    return 400;
  }
  return 0;  // a socket or TLS error
}

}  // namespace

struct HttpServer::Impl {
  Impl(const config::Config& config, ServerLink& link, HttpLimits l, std::string token_hash,
       std::unique_ptr<store::Store> s, AccessLog log)
      : limits(l),
        access_log(std::move(log)),
        store(std::move(s)),
        tokens(std::move(token_hash)),
        api(*store, link, tokens, clock, settings_from(config)),
        retention_days(config.privacy.retention_days),
        acceptor(io),
        purge_timer(io),
        checks(
            TokenChecks::Limits{l.token_check_workers, l.max_token_checks,
                                l.max_token_checks_per_source},
            [this](std::string_view token) { return tokens.matches(token); },
            [this](uint64_t ticket, bool valid) {
              asio::post(io, [this, ticket, valid] { on_checked(ticket, valid); });
            }) {}
  ~Impl() {
    if (statm_fd >= 0) ::close(statm_fd);
    if (spare_fd >= 0) ::close(spare_fd);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  static ApiSettings settings_from(const config::Config& config) {
    ApiSettings settings;
    settings.domain = config.sip.domain;
    settings.privacy = config.privacy.mode;
    settings.open_health = is_loopback(config.admin.listen.address);
    settings.version = HARDLINE_VERSION;
    return settings;
  }

  void accept();
  void on_accept(const error_code& ec, tcp::socket socket);
  // Serves an accepted connection (or closes it: banned, over a limit).
  void serve(tcp::socket socket);
  // accept(2) failed for lack of a resource: give up the spare descriptor for one connection
  // (so that /health answers when the process is out of descriptors), then wait before the next
  // try, 100 ms doubling to 1 s, instead of spinning.
  void back_off(const char* reason);
  // Takes a spare descriptor when none is held: a duplicate of the listener's, which costs
  // nothing and can be closed to make room for one accept.
  void keep_spare();
  // Counts the connection against the limits; false when it is over one.
  bool admit(const IpAddress& source);
  void release(const IpAddress& source);
  // Answers `request` through `done`: at once, or (a token to hash) once a worker has checked
  // it, meanwhile answering other requests.
  void handle(const Request& request, std::function<void(Reply)> done);
  // A worker's verdict on `ticket`, on the admin thread.
  void on_checked(uint64_t ticket, bool valid);
  void log(const IpAddress& source, std::string_view method, std::string_view path, unsigned status,
           std::string_view result);
  void refresh_resident();
  // privacy.retention_days: access-log lines older than that go, at start and every hour.
  void purge_access_log();

  HttpLimits limits;
  SystemClock clock;
  AccessLog access_log;
  std::unique_ptr<store::Store> store;
  TokenVerifier tokens;
  Api api;
  int statm_fd = -1;  // /proc/self/statm, opened at start-up (it may be out of reach later)
  int spare_fd = -1;  // kept for an accept when the process runs out of descriptors
  // The current episode of failed accepts: the wait before the next try (0: none), the count.
  std::chrono::milliseconds accept_wait{0};
  uint64_t accept_failures = 0;
  uint64_t access_log_failures = 0;
  uint32_t connections = 0;
  std::map<IpAddress, uint32_t> per_source;
  std::optional<asio::ssl::context> tls;  // outlives the streams that use it
  // Declared after everything the sessions touch when they are destroyed with the io_context.
  uint32_t retention_days = 0;
  asio::io_context io{1};
  tcp::acceptor acceptor;
  asio::steady_timer purge_timer;
  asio::steady_timer accept_timer{io};
  std::thread thread;
  bool stopped = false;
  // Requests waiting for a token check, by ticket. Each holds its session, whose socket must go
  // before the io_context: declared after it.
  uint64_t next_ticket = 0;
  std::unordered_map<uint64_t, std::function<void(bool)>> waiting;
  // Last: its workers use `tokens` and post to `io`, and are joined before either goes.
  TokenChecks checks;
};

namespace {

// One connection: reads requests one after the other (keep-alive), answers each, and closes
// on any limit, error or timeout. Plain TCP or TLS.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, HttpServer::Impl& server, IpAddress source)
      : stream_(std::move(stream)),
        server_(server),
        source_(source),
        // A request whole, and no more: what is read beyond it waits for the next one.
        buffer_(server.limits.max_header_bytes + server.limits.max_body_bytes) {}
  ~Session() { server_.release(source_); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      read();
    } else {
      beast::get_lowest_layer(stream_).expires_after(server_.limits.handshake_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](const error_code& ec) {
                                if (!ec) self->read();
                              });
    }
  }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_.limits.max_header_bytes));
    parser_->body_limit(server_.limits.max_body_bytes);
    beast::get_lowest_layer(stream_).expires_after(server_.limits.idle_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](const error_code& ec, size_t) { self->on_read(ec); });
  }

  void on_read(const error_code& ec) {
    if (ec) {
      const unsigned status = status_for(ec);
      if (status == 0) return close();
      Reply reply;
      reply.status = status;
      reply.body = status == 431   ? "{\"error\":\"the request head is too large\"}\n"
                   : status == 413 ? "{\"error\":\"the request body is too large\"}\n"
                                   : "{\"error\":\"not a valid HTTP/1.1 request\"}\n";
      server_.log(source_, "", "-", status, "bad-http");
      return write(std::move(reply), false);
    }
    ++requests_;
    const auto& request = parser_->get();
    Request api_request;
    api_request.method =
        std::string_view(request.method_string().data(), request.method_string().size());
    api_request.target = std::string_view(request.target().data(), request.target().size());
    const auto authorization = request[http::field::authorization];
    api_request.authorization = std::string_view(authorization.data(), authorization.size());
    api_request.body = request.body();
    api_request.source = source_;
    const bool keep_alive =
        request.keep_alive() && requests_ < server_.limits.max_requests_per_connection;
    // The request's views point into parser_, which stays as it is until the answer is written.
    server_.handle(api_request, [self = this->shared_from_this(), keep_alive](Reply reply) {
      self->write(std::move(reply), keep_alive);
    });
  }

  void write(Reply reply, bool keep_alive) {
    response_.emplace(static_cast<http::status>(reply.status), 11);
    response_->set(http::field::content_type, reply.content_type);
    response_->set(http::field::cache_control, "no-store");
    response_->set("X-Content-Type-Options", "nosniff");
    for (const auto& [name, value] : reply.headers) {
      if (name != "Cache-Control") response_->set(name, value);
    }
    response_->keep_alive(keep_alive);
    response_->body() = std::move(reply.body);
    response_->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(server_.limits.idle_timeout);
    http::async_write(stream_, *response_,
                      [self = this->shared_from_this(), keep_alive](const error_code& ec, size_t) {
                        if (ec || !keep_alive) return self->close();
                        self->read();
                      });
  }

  void close() {
    error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).close();
  }

  Stream stream_;
  HttpServer::Impl& server_;
  IpAddress source_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
  uint32_t requests_ = 0;
};

}  // namespace

void HttpServer::Impl::purge_access_log() {
  if (retention_days == 0 || stopped) return;
  const int64_t cutoff = clock.unix_seconds() - int64_t{retention_days} * 86400;
  if (auto purged = access_log.purge_before(cutoff); !purged) {
    spdlog::error("admin access log: {}", purged.error());
  } else if (*purged > 0) {
    spdlog::info("admin access log: {} lines older than {} days removed", *purged, retention_days);
  }
  purge_timer.expires_after(std::chrono::hours(1));
  purge_timer.async_wait([this](const error_code& ec) {
    if (!ec) purge_access_log();
  });
}

void HttpServer::Impl::accept() {
  acceptor.async_accept(
      [this](const error_code& ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void HttpServer::Impl::on_accept(const error_code& ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || stopped) return;
  if (const char* shortage = resource_shortage(ec)) {
    back_off(shortage);
    return;
  }
  if (!ec) {
    if (accept_wait.count() != 0) {
      spdlog::warn("admin API: accepting connections again after {} failed tries", accept_failures);
      accept_wait = std::chrono::milliseconds{0};
      accept_failures = 0;
      api.set_listener_problem({});
    }
    keep_spare();
    serve(std::move(socket));
  }
  accept();
}

void HttpServer::Impl::back_off(const char* reason) {
  if (accept_wait.count() == 0) {
    spdlog::error(
        "admin API: cannot accept connections: {}; retrying after 100 ms, then waits doubling "
        "up to 1 s (raise system.max_open_files, or lower transport.max_tcp_connections)",
        reason);
    accept_wait = std::chrono::milliseconds{100};
    api.set_listener_problem(std::string("cannot accept connections: ") + reason);
  } else {
    accept_wait = std::min(accept_wait * 2, std::chrono::milliseconds{1000});
  }
  ++accept_failures;
  if (spare_fd >= 0) {
    // The queue holds a connection (that is why accept was tried): take it with the spare's
    // room. Non-blocking, so that a connection gone meanwhile never blocks this thread.
    ::close(spare_fd);
    spare_fd = -1;
    error_code ignored;
    acceptor.non_blocking(true, ignored);
    tcp::socket rescued(io);
    error_code accepted;
    acceptor.accept(rescued, accepted);
    if (!accepted) serve(std::move(rescued));
  }
  accept_timer.expires_after(accept_wait);
  accept_timer.async_wait([this](const error_code& timer_error) {
    if (timer_error || stopped) return;
    keep_spare();
    accept();
  });
}

void HttpServer::Impl::keep_spare() {
  // A duplicate of the listening socket keeps it listening: none is taken once stopped.
  if (spare_fd < 0 && !stopped) spare_fd = ::fcntl(acceptor.native_handle(), F_DUPFD_CLOEXEC, 0);
}

void HttpServer::Impl::serve(tcp::socket socket) {
  error_code peer_error;
  const tcp::endpoint peer = socket.remote_endpoint(peer_error);
  if (peer_error) return;
  const IpAddress source = from_asio(peer.address());
  // Banned first: a source that kept guessing tokens gets nothing more, not even a parse.
  if (api.banned(source)) {
    api.count_banned();
    log(source, "", "-", 0, "banned");
    socket.close(peer_error);
  } else if (admit(source)) {
    if (tls) {
      std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
          beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls), *this,
          source)
          ->start();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), *this,
                                                   source)
          ->start();
    }
  } else {
    socket.close(peer_error);
  }
}

bool HttpServer::Impl::admit(const IpAddress& source) {
  if (connections >= limits.max_connections) return false;
  uint32_t& mine = per_source[source];
  if (mine >= limits.max_connections_per_source) return false;
  ++mine;
  ++connections;
  return true;
}

void HttpServer::Impl::release(const IpAddress& source) {
  auto it = per_source.find(source);
  if (it == per_source.end()) return;
  --connections;
  if (--it->second == 0) per_source.erase(it);
  // The session's socket closes once this returns: take its descriptor back as the spare at
  // once, before another thread's accept can (this is how the spare comes back after /health
  // was answered with it).
  if (spare_fd < 0) asio::post(io, [this] { keep_spare(); });
}

void HttpServer::Impl::handle(const Request& request, std::function<void(Reply)> done) {
  refresh_resident();
  std::string token;
  std::optional<Reply> reply = api.begin(request, token);
  if (!reply) {
    const uint64_t ticket = ++next_ticket;
    switch (checks.submit(request.source, ticket, std::move(token))) {
      case TokenChecks::Admission::kQueued:
        // The verdict is posted to this thread, so it cannot arrive before this is in place.
        waiting.emplace(ticket, [this, request, done = std::move(done)](bool valid) {
          Reply checked = api.finish(request, valid);
          log(request.source, request.method, checked.logged_path, checked.status, checked.result);
          done(std::move(checked));
        });
        return;
      case TokenChecks::Admission::kSourceBusy:
        reply = api.busy(request, false);
        break;
      case TokenChecks::Admission::kFull:
        reply = api.busy(request, true);
        break;
    }
  }
  log(request.source, request.method, reply->logged_path, reply->status, reply->result);
  done(std::move(*reply));
}

void HttpServer::Impl::on_checked(uint64_t ticket, bool valid) {
  auto it = waiting.find(ticket);
  if (it == waiting.end() || stopped) return;
  std::function<void(bool)> resume = std::move(it->second);
  waiting.erase(it);
  resume(valid);
}

void HttpServer::Impl::log(const IpAddress& source, std::string_view method, std::string_view path,
                           unsigned status, std::string_view result) {
  AccessEntry entry;
  entry.unix_seconds = clock.unix_seconds();
  entry.source = source;
  entry.method = method;
  entry.path = path;
  entry.status = status;
  entry.result = result;
  if (!access_log.write(entry) && access_log_failures++ == 0) {
    spdlog::error(
        "admin API: cannot write to the access log (disk full?); requests are still "
        "answered");
  }
}

void HttpServer::Impl::refresh_resident() {
  if (statm_fd < 0) return;
  char text[128] = {};
  const ssize_t n = ::pread(statm_fd, text, sizeof text - 1, 0);
  if (n <= 0) return;
  // "size resident shared text lib data dt", in pages.
  char* end = nullptr;
  std::strtoull(text, &end, 10);
  if (end == text || *end != ' ') return;
  const char* second = end + 1;
  const unsigned long long resident = std::strtoull(second, &end, 10);
  if (end == second) return;
  api.set_resident_bytes(resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  stop();
}

Result<std::unique_ptr<HttpServer>, std::string> HttpServer::create(const config::Config& config,
                                                                    ServerLink& link,
                                                                    HttpLimits limits) {
  const config::Config::Admin& settings = config.admin;
  std::string token_hash;
  if (auto hash = read_token_hash(settings.token_file)) {
    token_hash = std::move(*hash);
  } else {
    spdlog::error(
        "admin API: no usable token: {}; until then every request but /health is "
        "refused (401)",
        hash.error());
  }
  // Started as root, serve will switch to [system] user: the log it creates now must be that
  // account's, or a later serve started as it (the systemd unit) cannot open it.
  std::optional<AccessLog::Owner> owner;
  if (::geteuid() == 0) {
    const struct passwd* user = ::getpwnam(config.system.user.c_str());
    const struct group* group = ::getgrnam(config.system.group.c_str());
    if (user != nullptr && group != nullptr) owner = AccessLog::Owner{user->pw_uid, group->gr_gid};
  }
  auto access_log = AccessLog::open(settings.access_log, owner);
  if (!access_log) return tl::unexpected(access_log.error());
  auto store = store::open_sqlite(config.store.database, store::OpenMode::kExisting);
  if (!store) {
    return tl::unexpected("admin API: cannot open the database " + config.store.database.string() +
                          ": " + std::string(store.error().what));
  }
  auto impl = std::make_unique<Impl>(config, link, limits, std::move(token_hash), std::move(*store),
                                     std::move(*access_log));
  impl->statm_fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);

  if (!settings.tls_certificate.empty()) {
    auto& tls = impl->tls.emplace(asio::ssl::context::tls_server);
    error_code ec;
    tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1 | asio::ssl::context::no_compression |
                        asio::ssl::context::single_dh_use,
                    ec);
    if (!ec) tls.use_certificate_chain_file(settings.tls_certificate.string(), ec);
    if (ec) {
      return tl::unexpected("admin.tls_certificate " + settings.tls_certificate.string() + ": " +
                            ec.message());
    }
    tls.use_private_key_file(settings.tls_key.string(), asio::ssl::context::pem, ec);
    if (ec) {
      return tl::unexpected("admin.tls_key " + settings.tls_key.string() + ": " + ec.message());
    }
  }

  const tcp::endpoint endpoint(to_asio(settings.listen.address), settings.listen.port);
  tcp::acceptor& acceptor = impl->acceptor;
  error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && endpoint.address().is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(64, ec);
  if (ec) {
    return tl::unexpected("admin.listen " + host_port(settings.listen) + ": " + ec.message() +
                          " (set another admin.listen, or admin.enabled = false)");
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

void HttpServer::start() {
  Impl& impl = *impl_;
  if (impl.thread.joinable() || impl.stopped) return;
  impl.keep_spare();
  impl.accept();
  impl.checks.start();
  asio::post(impl.io, [&impl] { impl.purge_access_log(); });
  impl.thread = std::thread([&impl] {
    try {
      impl.io.run();
    } catch (const std::exception& e) {
      // Nothing in the handlers throws on purpose; if something does, the admin API stops and
      // the SIP service goes on.
      spdlog::error("admin API stopped: {}", e.what());
    }
  });
}

void HttpServer::stop() {
  Impl& impl = *impl_;
  if (impl.stopped) return;
  asio::post(impl.io, [&impl] {
    impl.stopped = true;
    error_code ignored;
    impl.acceptor.close(ignored);
    impl.accept_timer.cancel();
    if (impl.spare_fd >= 0) ::close(impl.spare_fd);
    impl.spare_fd = -1;
  });
  if (impl.thread.joinable()) {
    // Let the close run, then abandon whatever the connections were doing.
    impl.io.stop();
    impl.thread.join();
  }
  impl.checks.stop();  // its last verdicts go to the stopped loop, which never runs them
  impl.stopped = true;
}

Endpoint HttpServer::local_endpoint() const {
  error_code ec;
  const tcp::endpoint local = impl_->acceptor.local_endpoint(ec);
  Endpoint out;
  out.protocol = Protocol::kTcp;
  if (!ec) {
    out.address = from_asio(local.address());
    out.port = local.port();
  }
  return out;
}

bool HttpServer::tls() const {
  return impl_->tls.has_value();
}

}  // namespace hardline::admin
