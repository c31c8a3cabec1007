#pragma once
// The admin API's requests and answers, without any I/O: authentication (Bearer token), routing,
// the JSON endpoints, /metrics and /health, and what the access log says of each request. The
// HTTP server (http_server.h) parses the bytes with Boost.Beast and hands each request here;
// tests and the fuzz target call handle() directly.
//
// Endpoints (docs/admin-api.md): GET /health (no token on a loopback listener), GET /metrics,
// GET /api/status, GET /api/counters, GET /api/registrations, GET|POST /api/bans,
// DELETE /api/bans/NETWORK, POST /api/users, DELETE /api/users/EXT, POST /api/users/EXT/password.
// Every answer but /metrics is JSON; errors are {"error": "..."} and never echo a secret.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "admin/metrics.h"
#include "admin/stats.h"
#include "admin/token.h"
#include "common/clock.h"
#include "common/endpoint.h"
#include "common/network.h"
#include "config/config.h"
#include "store/store.h"

namespace hardline::admin {

struct ApiSettings {
  std::string domain;  // the SIP domain: the realm of new accounts' HA1 values
  config::Config::PrivacyMode privacy = config::Config::PrivacyMode::kStats;
  bool open_health = true;  // /health without a token (a loopback listener only)
  std::string version;
  std::chrono::milliseconds loop_timeout{1000};  // how long to wait for the SIP loop
  // Wrong tokens per source: a bucket of `failure_burst` verifications, refilled one per
  // `failure_refill`. An empty bucket answers 429 without verifying.
  uint32_t failure_burst = 10;
  std::chrono::milliseconds failure_refill{6000};
  size_t max_limited_sources = 4096;  // the bucket table is cleared when it is full
  size_t max_registrations = 10000;   // listed at most; "truncated": true beyond
};

struct Request {
  std::string_view method;         // "GET"
  std::string_view target;         // "/api/bans?x=y": the query is ignored
  std::string_view authorization;  // the Authorization header, or empty
  std::string_view body;
  IpAddress source{};
};

struct Reply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
  // For the access log: the endpoint as privacy.mode allows it to be written, and one word.
  std::string logged_path;
  std::string_view result = "ok";
};

// Nesting depth past which a body is refused before it reaches the JSON parser.
inline constexpr size_t kMaxJsonDepth = 16;
// True when `text` nests arrays and objects (outside strings) at most `max_depth` deep.
bool json_depth_within(std::string_view text, size_t max_depth);
// "%2F" and friends decoded; nullopt for a bad escape or a decoded NUL or control character.
std::optional<std::string> percent_decode(std::string_view text);

class Api {
 public:
  // Keeps references to all four, which outlive it. `store` is the admin thread's own
  // connection.
  Api(store::Store& store, ServerLink& link, TokenVerifier& tokens, const Clock& clock,
      ApiSettings settings);

  // Answers `request`, verifying an unknown token with argon2id on this thread (tests, fuzz).
  Reply handle(const Request& request);
  // handle() in two steps, for a server that checks tokens on another thread (token_checks.h).
  // begin() answers whatever needs no argon2id: /health, a missing token, the remembered valid
  // token, a source over its budget of wrong tokens. Otherwise it returns nullopt with the
  // token in `token`; once TokenVerifier::matches() has judged it, finish() answers.
  std::optional<Reply> begin(const Request& request, std::string& token);
  Reply finish(const Request& request, bool token_valid);
  // The answer when the token could not even be queued for a check: 429 when this source has
  // too many checks in flight (`whole_server` false), else 503. Both with Retry-After.
  Reply busy(const Request& request, bool whole_server);

  // True when `source` is inside a ban in force (the store's bans, read again whenever another
  // connection changed them): its connection is closed before anything is read.
  bool banned(const IpAddress& source);
  // A banned connection, counted.
  void count_banned() { ++counters_.banned; }

  const ApiCounters& counters() const { return counters_; }
  void set_resident_bytes(uint64_t bytes) { resident_bytes_ = bytes; }
  // What is wrong with the admin listener itself (its accept failing for lack of descriptors),
  // empty when nothing: /health says "degraded" with it among the reasons.
  void set_listener_problem(std::string problem) { listener_problem_ = std::move(problem); }

 private:
  enum class Route : uint8_t {
    kNone,
    kHealth,
    kMetrics,
    kStatus,
    kCounters,
    kRegistrations,
    kBans,
    kBan,
    kUsers,
    kUser,
    kUserPassword,
  };
  struct Match {
    Route route = Route::kNone;
    std::string argument;  // the network or the extension, decoded
    bool bad_argument = false;
  };
  struct Bucket {
    double tokens = 0;
    SteadyTime at{};
  };

  static Match match(std::string_view path);
  static std::string_view allowed_methods(Route route);
  std::string logged_path(const Match& match, std::string_view path) const;
  // Nullopt when the request may go on (with `token` set when it must be checked first); else
  // the 401 or 429 to send.
  std::optional<Reply> authenticate(const Request& request, std::string& token);
  Reply unauthorized(std::string_view result);
  bool take_failure_budget(const IpAddress& source);
  // After authentication: 404, 400 or the endpoint's answer.
  Reply route(const Match& match, const Request& request);
  Reply dispatch(const Match& match, std::string_view method, const Request& request);

  Reply health();
  Reply metrics();
  Reply status();
  Reply counters_reply();
  Reply registrations();
  Reply list_bans();
  Reply add_ban(std::string_view body);
  Reply remove_ban(const std::string& network);
  Reply add_user(std::string_view body);
  Reply remove_user(const std::string& extension);
  Reply new_password(const std::string& extension);
  void reload_bans();

  store::Store& store_;
  ServerLink& link_;
  TokenVerifier& tokens_;
  const Clock& clock_;
  ApiSettings settings_;
  ApiCounters counters_;
  uint64_t resident_bytes_ = 0;
  std::unordered_map<std::string, Bucket> buckets_;  // wrong-token budget per source address
  std::vector<std::pair<Network, int64_t>> bans_;    // network, until (unix): as last read
  std::optional<uint64_t> bans_version_;
  bool bans_stale_ = true;
  std::string listener_problem_;
};

}  // namespace hardline::admin
