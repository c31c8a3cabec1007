#include "admin/api.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "admin/accounts.h"
#include "admin/bans.h"

namespace hardline::admin {

namespace {

using json = nlohmann::json;
using PrivacyMode = config::Config::PrivacyMode;

constexpr std::string_view kApiPrefix = "/api/";

std::string dump(const json& value) {
  // Stored text (a ban's reason, a display name) may hold invalid UTF-8: replaced, never thrown.
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

Reply json_reply(unsigned status, const json& body, std::string_view result) {
  Reply reply;
  reply.status = status;
  reply.body = dump(body) + "\n";
  reply.result = result;
  return reply;
}

Reply error_reply(unsigned status, std::string message, std::string_view result) {
  return json_reply(status, json{{"error", std::move(message)}}, result);
}

// What a refusal from src/admin (accounts.h, bans.h) becomes: its text is meant for the
// operator and holds no secret.
Reply refusal(const std::string& message) {
  if (message.starts_with("no extension") || message.starts_with("no ban on")) {
    return error_reply(404, message, "not-found");
  }
  if (message.find("already exists") != std::string::npos) {
    return error_reply(409, message, "conflict");
  }
  return error_reply(400, message, "refused");
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

// The token of "Bearer TOKEN" (scheme in any case, RFC 6750 §2.1), or nullopt.
std::optional<std::string_view> bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "Bearer";
  if (authorization.size() <= kScheme.size() ||
      !iequals(authorization.substr(0, kScheme.size()), kScheme) ||
      authorization[kScheme.size()] != ' ') {
    return std::nullopt;
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

// A JSON object body, or the 400 that says why not. An empty body is an empty object.
Result<json, Reply> object_body(std::string_view body) {
  if (body.empty()) return json::object();
  if (!json_depth_within(body, kMaxJsonDepth)) {
    return tl::unexpected(error_reply(400, "the body nests deeper than 16 levels", "bad-request"));
  }
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded()) {
    return tl::unexpected(error_reply(400, "the body is not valid JSON", "bad-request"));
  }
  if (!parsed.is_object()) {
    return tl::unexpected(error_reply(400, "the body must be a JSON object", "bad-request"));
  }
  return parsed;
}

// Refuses keys other than `known` (a typo must not be ignored) and values of the wrong type.
std::optional<Reply> check_keys(const json& object,
                                std::initializer_list<std::pair<std::string_view, bool>> known) {
  for (const auto& [key, value] : object.items()) {
    bool found = false;
    for (const auto& [name, is_array] : known) {
      if (key != name) continue;
      found = true;
      if (is_array ? !value.is_array() : !value.is_string()) {
        return error_reply(400,
                           "\"" + std::string(name) + "\" must be " +
                               (is_array ? "an array of strings" : "a string"),
                           "bad-request");
      }
    }
    if (!found) {
      // The key is the client's own text: shown only when it is short and plain.
      const bool plain = key.size() <= 32 && std::all_of(key.begin(), key.end(), [](char c) {
                           return (c >= 'a' && c <= 'z') || c == '_';
                         });
      return error_reply(400, plain ? "unknown key \"" + key + "\"" : "unknown key", "bad-request");
    }
  }
  return std::nullopt;
}

std::string string_or(const json& object, const char* key, std::string fallback = {}) {
  auto it = object.find(key);
  return it == object.end() ? std::move(fallback) : it->get<std::string>();
}

json ban_json(const store::Ban& ban, int64_t now) {
  return json{{"network", ban.network},
              {"until", format_utc(ban.until)},
              {"remaining_seconds", std::max<int64_t>(0, ban.until - now)},
              {"automatic", ban.automatic},
              {"reason", printable(ban.reason)}};
}

// The target without its query, which is ignored.
std::string_view path_only(std::string_view target) {
  const size_t query = target.find('?');
  return query == std::string_view::npos ? target : target.substr(0, query);
}

std::string transport_of(std::string_view source) {
  const size_t colon = source.find(':');
  return colon == std::string_view::npos ? std::string() : std::string(source.substr(0, colon));
}

}  // namespace

bool json_depth_within(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

std::optional<std::string> percent_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = hex(text[i + 1]);
      const int low = hex(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      c = static_cast<char>(high * 16 + low);
      i += 2;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::nullopt;
    out += c;
  }
  return out;
}

Api::Api(store::Store& store, ServerLink& link, TokenVerifier& tokens, const Clock& clock,
         ApiSettings settings)
    : store_(store), link_(link), tokens_(tokens), clock_(clock), settings_(std::move(settings)) {}

Api::Match Api::match(std::string_view path) {
  Match m;
  if (path == "/health") {
    m.route = Route::kHealth;
  } else if (path == "/metrics") {
    m.route = Route::kMetrics;
  } else if (!path.starts_with(kApiPrefix)) {
    return m;
  }
  if (m.route != Route::kNone) return m;
  const std::string_view rest = path.substr(kApiPrefix.size());
  auto argument = [&m](std::string_view raw, Route route) {
    auto decoded = percent_decode(raw);
    if (raw.empty() || !decoded || decoded->empty() || decoded->size() > 128) {
      m.bad_argument = true;
    } else {
      m.argument = std::move(*decoded);
    }
    m.route = route;
  };
  if (rest == "status") {
    m.route = Route::kStatus;
  } else if (rest == "counters") {
    m.route = Route::kCounters;
  } else if (rest == "registrations") {
    m.route = Route::kRegistrations;
  } else if (rest == "bans") {
    m.route = Route::kBans;
  } else if (rest.starts_with("bans/")) {
    // The network may be written with its '/' as it is ("10.0.0.0/8") or escaped ("%2F").
    argument(rest.substr(5), Route::kBan);
  } else if (rest == "users") {
    m.route = Route::kUsers;
  } else if (rest.starts_with("users/")) {
    std::string_view user = rest.substr(6);
    constexpr std::string_view kPassword = "/password";
    if (user.ends_with(kPassword)) {
      argument(user.substr(0, user.size() - kPassword.size()), Route::kUserPassword);
    } else if (user.find('/') == std::string_view::npos) {
      argument(user, Route::kUser);
    }
  }
  return m;
}

std::string_view Api::allowed_methods(Route route) {
  switch (route) {
    case Route::kHealth:
    case Route::kMetrics:
    case Route::kStatus:
    case Route::kCounters:
    case Route::kRegistrations:
      return "GET";
    case Route::kBans:
      return "GET, POST";
    case Route::kBan:
    case Route::kUser:
      return "DELETE";
    case Route::kUsers:
    case Route::kUserPassword:
      return "POST";
    case Route::kNone:
      break;
  }
  return "";
}

std::string Api::logged_path(const Match& m, std::string_view path) const {
  // Extensions are numbers and names (LOG-1): only "debug" logs them. A banned network is a
  // security fact: "security" and "debug" log it. Paths that match nothing are the client's own
  // text and could hold anything: only "debug" logs them.
  const bool debug = settings_.privacy == PrivacyMode::kDebug;
  const bool security = debug || settings_.privacy == PrivacyMode::kSecurity;
  switch (m.route) {
    case Route::kBan:
      return security && !m.bad_argument ? "/api/bans/" + m.argument : "/api/bans/{network}";
    case Route::kUser:
      return debug && !m.bad_argument ? "/api/users/" + m.argument : "/api/users/{extension}";
    case Route::kUserPassword:
      return debug && !m.bad_argument ? "/api/users/" + m.argument + "/password"
                                      : "/api/users/{extension}/password";
    case Route::kNone:
      return debug ? std::string(path) : "{unknown}";
    default:
      return std::string(path);
  }
}

bool Api::take_failure_budget(const IpAddress& source) {
  const SteadyTime now = clock_.now();
  const std::string key = to_string(source);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    // Bounded: a table full of sources (a spread of addresses) is forgotten whole. argon2id
    // verifications stay serial on the admin thread, so this bounds only the budget's memory.
    if (buckets_.size() >= settings_.max_limited_sources) buckets_.clear();
    it = buckets_.emplace(key, Bucket{static_cast<double>(settings_.failure_burst), now}).first;
  }
  Bucket& bucket = it->second;
  const double refill = std::chrono::duration<double>(now - bucket.at) /
                        std::chrono::duration<double>(settings_.failure_refill);
  bucket.tokens = std::min<double>(settings_.failure_burst, bucket.tokens + refill);
  bucket.at = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

Reply Api::unauthorized(std::string_view result) {
  ++counters_.auth_failures;
  Reply reply = error_reply(401, "a valid bearer token is required", result);
  reply.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"hardline-admin\"");
  return reply;
}

std::optional<Reply> Api::authenticate(const Request& request, std::string& token) {
  const auto presented = bearer_token(request.authorization);
  if (!presented) return unauthorized("no-token");
  if (!tokens_.configured()) return unauthorized("no-token-file");
  if (tokens_.cached(*presented)) return std::nullopt;
  // Every token that is not the remembered valid one pays argon2id, within the source's budget.
  if (!take_failure_budget(request.source)) {
    ++counters_.rate_limited;
    Reply reply = error_reply(429, "too many wrong tokens from this address: wait", "rate-limited");
    reply.headers.emplace_back(
        "Retry-After",
        std::to_string(std::chrono::ceil<std::chrono::seconds>(settings_.failure_refill).count()));
    return reply;
  }
  token.assign(*presented);
  return std::nullopt;
}

Reply Api::handle(const Request& request) {
  std::string token;
  if (std::optional<Reply> reply = begin(request, token)) return std::move(*reply);
  const bool valid = tokens_.matches(token);
  return finish(request, valid);
}

std::optional<Reply> Api::begin(const Request& request, std::string& token) {
  ++counters_.requests;
  token.clear();
  const std::string_view path = path_only(request.target);
  const Match m = match(path);
  Reply reply;
  if (m.route == Route::kHealth && settings_.open_health) {
    reply = request.method == "GET" ? health() : error_reply(405, "use GET", "method-not-allowed");
    if (reply.status == 405) reply.headers.emplace_back("Allow", "GET");
  } else if (auto refused = authenticate(request, token)) {
    reply = std::move(*refused);
  } else if (!token.empty()) {
    return std::nullopt;  // to be checked, then finish()
  } else {
    reply = route(m, request);
  }
  reply.logged_path = logged_path(m, path);
  return reply;
}

Reply Api::finish(const Request& request, bool token_valid) {
  const std::string_view path = path_only(request.target);
  const Match m = match(path);
  Reply reply;
  if (token_valid) {
    if (const auto token = bearer_token(request.authorization)) tokens_.remember(*token);
    // Only wrong tokens use up the budget: a success starts the source afresh.
    buckets_.erase(to_string(request.source));
    reply = route(m, request);
  } else {
    link_.auth_failure(request.source);
    reply = unauthorized("wrong-token");
  }
  reply.logged_path = logged_path(m, path);
  return reply;
}

Reply Api::busy(const Request& request, bool whole_server) {
  Reply reply;
  if (whole_server) {
    ++counters_.checks_refused_total;
    reply = error_reply(503, "too many tokens are being checked: retry in a second", "busy");
  } else {
    ++counters_.checks_refused_source;
    reply = error_reply(429, "too many tokens from this address are being checked: wait", "busy");
  }
  reply.headers.emplace_back("Retry-After", "1");
  const std::string_view path = path_only(request.target);
  reply.logged_path = logged_path(match(path), path);
  return reply;
}

Reply Api::route(const Match& m, const Request& request) {
  if (m.route == Route::kNone) {
    return error_reply(404, "no such endpoint (see docs/admin-api.md)", "not-found");
  }
  if (m.bad_argument) {
    return error_reply(400, "the path's last part is empty, too long or badly escaped",
                       "bad-request");
  }
  return dispatch(m, request.method, request);
}

Reply Api::dispatch(const Match& m, std::string_view method, const Request& request) {
  const std::string_view allowed = allowed_methods(m.route);
  const bool get = method == "GET";
  const bool post = method == "POST";
  const bool del = method == "DELETE";
  switch (m.route) {
    case Route::kHealth:
      if (get) return health();
      break;
    case Route::kMetrics:
      if (get) return metrics();
      break;
    case Route::kStatus:
      if (get) return status();
      break;
    case Route::kCounters:
      if (get) return counters_reply();
      break;
    case Route::kRegistrations:
      if (get) return registrations();
      break;
    case Route::kBans:
      if (get) return list_bans();
      if (post) return add_ban(request.body);
      break;
    case Route::kBan:
      if (del) return remove_ban(m.argument);
      break;
    case Route::kUsers:
      if (post) return add_user(request.body);
      break;
    case Route::kUser:
      if (del) return remove_user(m.argument);
      break;
    case Route::kUserPassword:
      if (post) return new_password(m.argument);
      break;
    case Route::kNone:
      break;
  }
  Reply reply = error_reply(405, "use " + std::string(allowed), "method-not-allowed");
  reply.headers.emplace_back("Allow", std::string(allowed));
  return reply;
}

Reply Api::health() {
  auto snapshot = link_.snapshot(settings_.loop_timeout);
  if (!snapshot) return error_reply(503, "the SIP event loop did not answer", "unavailable");
  std::vector<std::string> reasons = snapshot->problems;
  if (!listener_problem_.empty()) reasons.push_back("admin API: " + listener_problem_);
  if (reasons.empty()) return json_reply(200, json{{"status", "ok"}}, "ok");
  // 503, not 200: a probe that looks only at the status code (curl -f, a load balancer, a
  // service manager) must notice that registrations are being refused or connections are not
  // accepted. The reasons name no caller, number or address.
  return json_reply(503, json{{"status", "degraded"}, {"reasons", reasons}}, "degraded");
}

Reply Api::metrics() {
  auto snapshot = link_.snapshot(settings_.loop_timeout);
  if (!snapshot) return error_reply(503, "the SIP event loop did not answer", "unavailable");
  Reply reply;
  reply.content_type = std::string(kMetricsContentType);
  reply.body = render_metrics(
      metric_families(*snapshot, counters_, ProcessInfo{resident_bytes_, settings_.version}));
  return reply;
}

Reply Api::status() {
  auto snapshot = link_.snapshot(settings_.loop_timeout);
  json body = {{"server", "hardline"},
               {"version", settings_.version},
               {"domain", settings_.domain},
               {"privacy_mode", std::string(config::privacy_mode_name(settings_.privacy))},
               {"sip_loop", snapshot ? "ok" : "not answering"}};
  if (snapshot) {
    body["uptime_seconds"] = snapshot->uptime_seconds;
    body["registrations"] = snapshot->registrations;
    body["calls_active"] = snapshot->calls_active;
    body["bans_active"] = snapshot->guard.bans.entries;
    body["lockouts_active"] = snapshot->guard.locks.entries;
  }
  return json_reply(snapshot ? 200 : 503, body, snapshot ? "ok" : "unavailable");
}

Reply Api::counters_reply() {
  auto snapshot = link_.snapshot(settings_.loop_timeout);
  if (!snapshot) return error_reply(503, "the SIP event loop did not answer", "unavailable");
  // The same numbers as /metrics, as one JSON object per family.
  json body = json::object();
  for (const MetricFamily& family :
       metric_families(*snapshot, counters_, ProcessInfo{resident_bytes_, settings_.version})) {
    std::string name = family.name.substr(std::string_view("hardline_").size());
    if (family.samples.size() == 1 && family.samples.front().labels.empty()) {
      body[name] = family.samples.front().value;
      continue;
    }
    json values = json::object();
    for (const Sample& sample : family.samples) {
      std::string key;
      for (const auto& [label, value] : sample.labels) key += key.empty() ? value : "," + value;
      values[key] = sample.value;
    }
    body[name] = std::move(values);
  }
  return json_reply(200, body, "ok");
}

Reply Api::registrations() {
  auto bindings = store_.load_bindings();
  if (!bindings) {
    return error_reply(503, "the database could not be read: " + std::string(bindings.error().what),
                       "store-error");
  }
  const int64_t now = clock_.unix_seconds();
  // What a registration shows follows privacy.mode: the contact URI holds the phone's number and
  // address (debug only); the source address is a caller's address (security and debug).
  const bool debug = settings_.privacy == PrivacyMode::kDebug;
  const bool security = debug || settings_.privacy == PrivacyMode::kSecurity;
  json list = json::array();
  bool truncated = false;
  for (const store::Binding& binding : *bindings) {
    if (binding.expires_at <= now) continue;
    if (list.size() >= settings_.max_registrations) {
      truncated = true;
      break;
    }
    json item = {{"aor", binding.aor},
                 {"expires_at", format_utc(binding.expires_at)},
                 {"expires_in", binding.expires_at - now},
                 {"transport", transport_of(binding.source)}};
    if (debug) item["contact"] = binding.contact;
    if (security) item["source"] = binding.source;
    list.push_back(std::move(item));
  }
  return json_reply(200, json{{"registrations", std::move(list)}, {"truncated", truncated}}, "ok");
}

Reply Api::list_bans() {
  const int64_t now = clock_.unix_seconds();
  auto bans = admin::list_bans(store_, now);
  if (!bans) return error_reply(503, bans.error(), "store-error");
  json list = json::array();
  for (const store::Ban& ban : *bans) list.push_back(ban_json(ban, now));
  return json_reply(200, json{{"bans", std::move(list)}}, "ok");
}

Reply Api::add_ban(std::string_view body) {
  auto object = object_body(body);
  if (!object) return std::move(object.error());
  if (auto bad =
          check_keys(*object, {{"network", false}, {"duration", false}, {"reason", false}})) {
    return std::move(*bad);
  }
  if (!object->contains("network")) {
    return error_reply(400, "\"network\" is required: an address or a CIDR network", "bad-request");
  }
  auto network = parse_ban_network(string_or(*object, "network"));
  if (!network) return error_reply(400, network.error(), "bad-request");
  const std::string duration_text =
      string_or(*object, "duration", format_duration(kDefaultBanDuration));
  auto duration = parse_duration(duration_text);
  if (!duration) {
    return error_reply(400,
                       "\"duration\" is not a duration: write e.g. \"30m\", \"1h\", \"7d\" or "
                       "\"1h30m\"",
                       "bad-request");
  }
  const int64_t now = clock_.unix_seconds();
  auto added = admin::add_ban(store_, *network, now, *duration, string_or(*object, "reason"));
  if (!added) return refusal(added.error());
  spdlog::warn("{} (admin API)", ban_added_event(*added, settings_.privacy != PrivacyMode::kStats));
  bans_stale_ = true;
  return json_reply(201, json{{"ban", ban_json(*added, now)}}, "created");
}

Reply Api::remove_ban(const std::string& text) {
  auto network = parse_ban_network(text);
  if (!network) return error_reply(400, network.error(), "bad-request");
  const std::string why = "removed through the admin API";
  auto removed = admin::remove_ban(store_, *network, clock_.unix_seconds(), why);
  if (!removed) return refusal(removed.error());
  spdlog::warn("{}", ban_removed_event(*removed, why, settings_.privacy != PrivacyMode::kStats));
  bans_stale_ = true;
  return json_reply(200, json{{"removed", ban_json(*removed, clock_.unix_seconds())}}, "ok");
}

Reply Api::add_user(std::string_view body) {
  auto object = object_body(body);
  if (!object) return std::move(object.error());
  if (object->contains("password")) {
    // A chosen password would cross the API and sit in the client's shell history: the server
    // generates one and shows it once (set a chosen one with `hardline user passwd`).
    return error_reply(400,
                       "passwords are generated by the server: leave out \"password\" (a chosen "
                       "one can be set with `hardline user passwd --password-stdin`)",
                       "bad-request");
  }
  if (auto bad = check_keys(*object, {{"extension", false}, {"name", false}, {"groups", true}})) {
    return std::move(*bad);
  }
  if (!object->contains("extension")) {
    return error_reply(400, "\"extension\" is required", "bad-request");
  }
  NewAccount account;
  account.extension = string_or(*object, "extension");
  account.name = string_or(*object, "name");
  if (!valid_display_name(account.name)) {
    return error_reply(400, "\"name\" refused: " + std::string(kDisplayNameRule), "bad-request");
  }
  if (auto groups = object->find("groups"); groups != object->end()) {
    for (const json& group : *groups) {
      if (!group.is_string() || !valid_extension(group.get<std::string>())) {
        return error_reply(400, "each group must be 1 to 32 letters, digits, '.', '_' or '-'",
                           "bad-request");
      }
      if (account.groups.size() >= 32) {
        return error_reply(400, "at most 32 groups", "bad-request");
      }
      account.groups.push_back(group.get<std::string>());
    }
  }
  auto added = admin::add_account(store_, settings_.domain, account, clock_.unix_seconds());
  if (!added) return refusal(added.error());
  Reply reply = json_reply(
      201, json{{"extension", account.extension}, {"password", added->password}}, "created");
  reply.headers.emplace_back("Cache-Control", "no-store");
  return reply;
}

Reply Api::remove_user(const std::string& extension) {
  if (!valid_extension(extension)) return error_reply(404, "no such extension", "not-found");
  auto removed = remove_account(store_, extension);
  if (!removed) return refusal(removed.error());
  return json_reply(200, json{{"removed", extension}}, "ok");
}

Reply Api::new_password(const std::string& extension) {
  if (!valid_extension(extension)) return error_reply(404, "no such extension", "not-found");
  auto changed = change_password(store_, settings_.domain, extension, std::nullopt);
  if (!changed) return refusal(changed.error());
  Reply reply =
      json_reply(200, json{{"extension", extension}, {"password", changed->password}}, "ok");
  reply.headers.emplace_back("Cache-Control", "no-store");
  return reply;
}

void Api::reload_bans() {
  auto version = store_.data_version();
  if (!version) return;  // keep what we have; the next connection asks again
  if (!bans_stale_ && bans_version_ == *version) return;
  auto stored = store_.list_bans();
  if (!stored) return;
  bans_version_ = *version;
  bans_stale_ = false;
  bans_.clear();
  for (const store::Ban& ban : *stored) {
    if (auto network = parse_network(ban.network)) bans_.emplace_back(*network, ban.until);
  }
}

bool Api::banned(const IpAddress& source) {
  reload_bans();
  const int64_t now = clock_.unix_seconds();
  return std::any_of(bans_.begin(), bans_.end(), [&](const auto& ban) {
    return ban.second > now && contains(ban.first, source);
  });
}

}  // namespace hardline::admin
