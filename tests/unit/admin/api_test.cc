// The admin API without sockets: routing, the token check, each endpoint, what the access log
// is told, and that no answer ever carries the token or a stored secret.
#include "admin/api.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "admin/bans.h"
#include "store/sqlite_store.h"

namespace hardline::admin {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr std::string_view kToken = "t0k3n-for-the-tests_0123456789abcdefghijklm";

class FakeLink final : public ServerLink {
 public:
  std::optional<Snapshot> snapshot(std::chrono::milliseconds) override {
    if (!answering) return std::nullopt;
    return value;
  }
  void auth_failure(const IpAddress& source) override { failures.push_back(source); }

  bool answering = true;
  Snapshot value;
  std::vector<IpAddress> failures;
};

IpAddress ip(const char* text) {
  return *parse_ip_address(text);
}

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "hardline-api-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto store = store::open_sqlite(dir_ / "hardline.db", store::OpenMode::kCreate);
    ASSERT_TRUE(store);
    store_ = std::move(*store);
    auto hash = hash_token(kToken, true);
    ASSERT_TRUE(hash);
    tokens_ = std::make_unique<TokenVerifier>(*hash);
    make_api({});
  }
  void TearDown() override {
    api_.reset();
    store_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  void make_api(ApiSettings settings) {
    settings.domain = "pbx.test";
    settings.version = "9.9.9";
    api_ = std::make_unique<Api>(*store_, link_, *tokens_, clock_, std::move(settings));
  }
  Reply call(std::string_view method, std::string_view target, std::string_view body = {},
             std::string authorization = "Bearer " + std::string(kToken),
             const char* source = "127.0.0.1") {
    Request request;
    request.method = method;
    request.target = target;
    request.body = body;
    request.authorization = authorization;
    request.source = ip(source);
    Reply reply = api_->handle(request);
    EXPECT_EQ(reply.body.find(kToken), std::string::npos) << "the token was echoed";
    return reply;
  }
  static json body_of(const Reply& reply) { return json::parse(reply.body); }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  FakeLink link_;
  ManualClock clock_;
  std::unique_ptr<TokenVerifier> tokens_;
  std::unique_ptr<Api> api_;
};

struct RouteCase {
  const char* method;
  const char* target;
  const char* body;
  unsigned status;
  const char* result;
  const char* logged;  // in the default privacy mode, "stats"
};

TEST_F(ApiTest, RoutesAndMethods) {
  const RouteCase cases[] = {
      {"GET", "/health", "", 200, "ok", "/health"},
      {"GET", "/metrics", "", 200, "ok", "/metrics"},
      {"GET", "/api/status", "", 200, "ok", "/api/status"},
      {"GET", "/api/status?token=x", "", 200, "ok", "/api/status"},
      {"GET", "/api/counters", "", 200, "ok", "/api/counters"},
      {"GET", "/api/registrations", "", 200, "ok", "/api/registrations"},
      {"GET", "/api/bans", "", 200, "ok", "/api/bans"},
      {"POST", "/api/status", "", 405, "method-not-allowed", "/api/status"},
      {"DELETE", "/api/bans", "", 405, "method-not-allowed", "/api/bans"},
      {"GET", "/api/bans/192.0.2.1", "", 405, "method-not-allowed", "/api/bans/{network}"},
      {"GET", "/api/users", "", 405, "method-not-allowed", "/api/users"},
      {"PUT", "/api/users/201", "", 405, "method-not-allowed", "/api/users/{extension}"},
      {"GET", "/api/users/201/password", "", 405, "method-not-allowed",
       "/api/users/{extension}/password"},
      {"POST", "/health", "", 405, "method-not-allowed", "/health"},
      {"GET", "/", "", 404, "not-found", "{unknown}"},
      {"GET", "/api", "", 404, "not-found", "{unknown}"},
      {"GET", "/api/", "", 404, "not-found", "{unknown}"},
      {"GET", "/api/statusx", "", 404, "not-found", "{unknown}"},
      {"GET", "/API/status", "", 404, "not-found", "{unknown}"},
      {"GET", "/api/users/a/b", "", 404, "not-found", "{unknown}"},
      {"GET", "/metrics/", "", 404, "not-found", "{unknown}"},
      {"DELETE", "/api/bans/", "", 400, "bad-request", "/api/bans/{network}"},
      {"DELETE", "/api/bans/%zz", "", 400, "bad-request", "/api/bans/{network}"},
      {"DELETE", "/api/bans/%0a", "", 400, "bad-request", "/api/bans/{network}"},
      {"DELETE", "/api/bans/192.0.2.1", "", 404, "not-found", "/api/bans/{network}"},
      {"DELETE", "/api/bans/not-an-address", "", 400, "bad-request", "/api/bans/{network}"},
      {"DELETE", "/api/users/999", "", 404, "not-found", "/api/users/{extension}"},
      {"DELETE", "/api/users/bad%20name", "", 404, "not-found", "/api/users/{extension}"},
      {"POST", "/api/users/999/password", "", 404, "not-found", "/api/users/{extension}/password"},
      {"POST", "/api/bans", "{", 400, "bad-request", "/api/bans"},
      {"POST", "/api/bans", "[1]", 400, "bad-request", "/api/bans"},
      {"POST", "/api/bans", "{}", 400, "bad-request", "/api/bans"},
      {"POST", "/api/bans", "{\"network\": 1}", 400, "bad-request", "/api/bans"},
      {"POST", "/api/bans", "{\"network\": \"0.0.0.0/0\"}", 400, "refused", "/api/bans"},
      {"POST", "/api/bans", "{\"network\": \"192.0.2.1\", \"duration\": \"1\"}", 400, "bad-request",
       "/api/bans"},
      {"POST", "/api/bans", "{\"network\": \"192.0.2.1\", \"extra\": \"x\"}", 400, "bad-request",
       "/api/bans"},
      {"POST", "/api/bans", "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]", 400, "bad-request",
       "/api/bans"},
      {"POST", "/api/users", "{\"extension\": \"bad name\"}", 400, "refused", "/api/users"},
      {"POST", "/api/users", "{\"name\": \"x\"}", 400, "bad-request", "/api/users"},
      {"POST", "/api/users", "{\"extension\": \"301\", \"password\": \"chosen-by-me-123\"}", 400,
       "bad-request", "/api/users"},
      {"POST", "/api/users", "{\"extension\": \"301\", \"groups\": \"x\"}", 400, "bad-request",
       "/api/users"},
      {"POST", "/api/users", "{\"extension\": \"301\", \"groups\": [1]}", 400, "bad-request",
       "/api/users"},
  };
  for (const RouteCase& c : cases) {
    const Reply reply = call(c.method, c.target, c.body);
    EXPECT_EQ(reply.status, c.status) << c.method << " " << c.target << " " << c.body;
    EXPECT_EQ(reply.result, c.result) << c.method << " " << c.target;
    EXPECT_EQ(reply.logged_path, c.logged) << c.method << " " << c.target;
    if (std::string_view(c.target) != "/metrics") {
      // Every answer is JSON, errors included, with a message.
      const json body = json::parse(reply.body, nullptr, false);
      ASSERT_FALSE(body.is_discarded()) << c.target << ": " << reply.body;
      if (reply.status >= 400) {
        EXPECT_TRUE(body.contains("error")) << c.target;
      }
    }
    if (reply.status == 405) {
      bool allow = false;
      for (const auto& [name, value] : reply.headers) allow |= name == "Allow" && !value.empty();
      EXPECT_TRUE(allow) << c.target;
    }
  }
}

struct AuthCase {
  std::string authorization;
  unsigned status;
  const char* result;
  bool reported;  // fed to the guard as a wrong guess
};

TEST_F(ApiTest, BearerTokenTable) {
  const std::string good = "Bearer " + std::string(kToken);
  const AuthCase cases[] = {
      {"", 401, "no-token", false},
      {"Basic dXNlcjpwYXNz", 401, "no-token", false},
      {"Bearer", 401, "no-token", false},
      {"Bearer ", 401, "no-token", false},
      {"Bearerx", 401, "no-token", false},
      {"Bearer wrong", 401, "wrong-token", true},
      {"Bearer t0k3n-for-the-tests_0123456789abcdefghijkl", 401, "wrong-token", true},
      {good, 200, "ok", false},
      {"bearer   " + std::string(kToken) + "  ", 200, "ok", false},
      {"BEARER " + std::string(kToken), 200, "ok", false},
  };
  for (const AuthCase& c : cases) {
    link_.failures.clear();
    const Reply reply = call("GET", "/api/status", "", c.authorization);
    EXPECT_EQ(reply.status, c.status) << c.authorization;
    EXPECT_EQ(reply.result, c.result) << c.authorization;
    EXPECT_EQ(link_.failures.size(), c.reported ? 1U : 0U) << c.authorization;
    if (c.status == 401) {
      bool challenge = false;
      for (const auto& [name, value] : reply.headers) challenge |= name == "WWW-Authenticate";
      EXPECT_TRUE(challenge);
    }
  }
}

TEST_F(ApiTest, UnauthenticatedClientsLearnNothing) {
  // Without a token, an unknown path and a real one answer alike: no map of the API.
  const Reply unknown = call("GET", "/secret/place", "", "");
  const Reply known = call("DELETE", "/api/users/201", "", "");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(known.status, 401);
  EXPECT_EQ(unknown.body, known.body);
  EXPECT_EQ(call("GET", "/metrics", "", "").status, 401);
  EXPECT_EQ(call("GET", "/health", "", "").status, 200);  // open on a loopback listener
}

TEST_F(ApiTest, HealthNeedsTheTokenOffLoopbackAndSaysWhenTheLoopIsStuck) {
  link_.answering = false;
  EXPECT_EQ(call("GET", "/health", "", "").status, 503);
  link_.answering = true;
  ApiSettings settings;
  settings.open_health = false;
  make_api(settings);
  EXPECT_EQ(call("GET", "/health", "", "").status, 401);
  EXPECT_EQ(call("GET", "/health").status, 200);
}

// Issue 13, item 12: /health said "ok" while the disk was full, the database deleted, or accept
// failing for lack of descriptors.
TEST_F(ApiTest, HealthSaysDegradedWithItsReasons) {
  Reply ok = call("GET", "/health", "", "");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(body_of(ok), json({{"status", "ok"}}));  // unchanged when healthy

  link_.value.problems = {"the database file /srv/hardline.db is gone (deleted or moved away)"};
  Reply degraded = call("GET", "/health", "", "");
  EXPECT_EQ(degraded.status, 503);
  EXPECT_EQ(body_of(degraded),
            json({{"status", "degraded"},
                  {"reasons",
                   {"the database file /srv/hardline.db is gone (deleted or moved "
                    "away)"}}}));

  // The admin listener's own trouble is a reason too, after the SIP server's.
  api_->set_listener_problem("cannot accept connections: too many open files (EMFILE)");
  json both = body_of(call("GET", "/health", "", ""));
  ASSERT_EQ(both["reasons"].size(), 2U);
  EXPECT_EQ(both["reasons"][1],
            "admin API: cannot accept connections: too many open files (EMFILE)");

  link_.value.problems.clear();
  api_->set_listener_problem({});
  EXPECT_EQ(call("GET", "/health", "", "").status, 200);
}

TEST_F(ApiTest, NoTokenFileRefusesEverything) {
  TokenVerifier none{""};
  Api api(*store_, link_, none, clock_, ApiSettings{});
  Request request;
  request.method = "GET";
  request.target = "/api/status";
  const std::string authorization = "Bearer " + std::string(kToken);
  request.authorization = authorization;
  const Reply reply = api.handle(request);
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(reply.result, "no-token-file");
}

TEST_F(ApiTest, WrongTokensAreRateLimitedPerSourceAndTheRightOneStillWorks) {
  ApiSettings settings;
  settings.failure_burst = 3;
  settings.failure_refill = std::chrono::seconds(10);
  make_api(settings);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(call("GET", "/api/status", "", "Bearer nope", "127.0.0.7").status, 401);
  }
  const Reply limited = call("GET", "/api/status", "", "Bearer nope", "127.0.0.7");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.result, "rate-limited");
  EXPECT_EQ(link_.failures.size(), 3U);  // a refused guess was not verified, so not reported
  // Another source has its own budget.
  EXPECT_EQ(call("GET", "/api/status", "", "Bearer nope", "127.0.0.8").status, 401);
  clock_.advance(std::chrono::seconds(10));
  EXPECT_EQ(call("GET", "/api/status", "", "Bearer nope", "127.0.0.7").status, 401);
  EXPECT_EQ(call("GET", "/api/status", "", "Bearer nope", "127.0.0.7").status, 429);
  // The right token, once verified, is remembered and passes even from a limited source.
  EXPECT_EQ(call("GET", "/api/status").status, 200);
  EXPECT_EQ(call("GET", "/api/status", "", "Bearer " + std::string(kToken), "127.0.0.7").status,
            200);
  EXPECT_EQ(api_->counters().rate_limited, 2U);
}

// Issue 12, item 9: the server hashes unknown tokens on another thread. begin() answers what
// needs no argon2id at once (the remembered token above all) and hands over the rest.
TEST_F(ApiTest, BeginAnswersTheRememberedTokenAtOnceAndHandsOverOthers) {
  Request request;
  request.method = "GET";
  request.target = "/api/status";
  const std::string right = "Bearer " + std::string(kToken);
  request.authorization = right;
  request.source = ip("127.0.0.1");
  std::string token;
  EXPECT_FALSE(api_->begin(request, token).has_value());  // not verified yet: to be checked
  EXPECT_EQ(token, kToken);
  EXPECT_TRUE(tokens_->matches(token));
  const Reply first = api_->finish(request, true);
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.logged_path, "/api/status");
  // Remembered now: answered by begin() itself, nothing to hash.
  std::optional<Reply> again = api_->begin(request, token);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, 200);
  EXPECT_TRUE(token.empty());

  const std::string wrong = "Bearer guess";
  request.authorization = wrong;
  request.source = ip("127.0.0.9");
  EXPECT_FALSE(api_->begin(request, token).has_value());
  EXPECT_EQ(token, "guess");
  EXPECT_FALSE(tokens_->matches(token));
  const Reply refused = api_->finish(request, false);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.result, "wrong-token");
  ASSERT_EQ(link_.failures.size(), 1U);  // reported to the guard once the check said no
  EXPECT_EQ(link_.failures[0], ip("127.0.0.9"));

  const Reply source_busy = api_->busy(request, false);
  EXPECT_EQ(source_busy.status, 429);
  EXPECT_EQ(source_busy.result, "busy");
  const Reply server_busy = api_->busy(request, true);
  EXPECT_EQ(server_busy.status, 503);
  for (const Reply* reply : {&source_busy, &server_busy}) {
    EXPECT_EQ(reply->headers,
              (std::vector<std::pair<std::string, std::string>>{{"Retry-After", "1"}}));
    EXPECT_EQ(reply->logged_path, "/api/status");
  }
  EXPECT_EQ(api_->counters().checks_refused_source, 1U);
  EXPECT_EQ(api_->counters().checks_refused_total, 1U);
  EXPECT_EQ(api_->counters().requests, 3U);  // begin() counts; finish() and busy() do not
}

TEST_F(ApiTest, UsersAddRemoveAndNewPasswordShownOnceNeverStored) {
  const Reply added =
      call("POST", "/api/users", R"({"extension": "201", "name": "Alice", "groups": ["dialout"]})");
  ASSERT_EQ(added.status, 201) << added.body;
  const json body = body_of(added);
  const std::string password = body["password"];
  EXPECT_GE(password.size(), 20U);
  bool no_store = false;
  for (const auto& [name, value] : added.headers) no_store |= name == "Cache-Control";
  EXPECT_TRUE(no_store);
  auto account = store_->find_account("201");
  ASSERT_TRUE(account && *account);
  EXPECT_EQ((*account)->name, "Alice");
  EXPECT_EQ((*account)->groups, std::vector<std::string>{"dialout"});
  EXPECT_EQ((*account)->ha1_md5.find(password), std::string::npos);

  EXPECT_EQ(call("POST", "/api/users", R"({"extension": "201"})").status, 409);

  const Reply changed = call("POST", "/api/users/201/password");
  ASSERT_EQ(changed.status, 200);
  EXPECT_NE(body_of(changed)["password"], password);
  auto after = store_->find_account("201");
  EXPECT_NE((*after)->ha1_sha256, (*account)->ha1_sha256);

  EXPECT_EQ(call("DELETE", "/api/users/201").status, 200);
  EXPECT_EQ(call("DELETE", "/api/users/201").status, 404);
  auto gone = store_->find_account("201");
  EXPECT_FALSE(gone && *gone);
}

TEST_F(ApiTest, BansAddListRemoveAndTheListenerRefusesBannedSources) {
  EXPECT_FALSE(api_->banned(ip("192.0.2.9")));
  const Reply added = call("POST", "/api/bans",
                           R"({"network": "192.0.2.0/24", "duration": "2h", "reason": "scan"})");
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(body_of(added)["ban"]["network"], "192.0.2.0/24");
  EXPECT_EQ(body_of(added)["ban"]["remaining_seconds"], 7200);
  EXPECT_TRUE(api_->banned(ip("192.0.2.9")));
  EXPECT_FALSE(api_->banned(ip("192.0.3.9")));

  const json listed = body_of(call("GET", "/api/bans"));
  ASSERT_EQ(listed["bans"].size(), 1U);
  EXPECT_EQ(listed["bans"][0]["reason"], "scan");
  EXPECT_FALSE(listed["bans"][0]["automatic"]);

  // The network's '/' as it is, or escaped.
  EXPECT_EQ(call("DELETE", "/api/bans/192.0.2.0%2F24").status, 200);
  EXPECT_FALSE(api_->banned(ip("192.0.2.9")));
  EXPECT_EQ(call("POST", "/api/bans", R"({"network": "2001:db8::/32"})").status, 201);
  EXPECT_EQ(call("DELETE", "/api/bans/2001:db8::/32").status, 200);
  EXPECT_EQ(body_of(call("GET", "/api/bans"))["bans"].size(), 0U);
}

TEST_F(ApiTest, BansFromAnotherConnectionAreSeenAndExpire) {
  auto other = store::open_sqlite(dir_ / "hardline.db", store::OpenMode::kExisting);
  ASSERT_TRUE(other);
  EXPECT_FALSE(api_->banned(ip("198.51.100.4")));
  ASSERT_TRUE(add_ban(**other, *parse_ban_network("198.51.100.4"), clock_.unix_seconds(),
                      std::chrono::seconds(60), "guessing"));
  EXPECT_TRUE(api_->banned(ip("198.51.100.4")));
  clock_.advance(std::chrono::seconds(61));
  EXPECT_FALSE(api_->banned(ip("198.51.100.4")));
}

TEST_F(ApiTest, RegistrationsFollowThePrivacyMode) {
  store::Account account;
  account.extension = "201";
  account.ha1_md5 = "secret-md5";
  account.ha1_sha256 = "secret-sha";
  ASSERT_TRUE(store_->add_account(account));
  store::Binding binding;
  binding.aor = "201";
  binding.contact = "sip:201@192.0.2.50:5062";
  binding.call_id = "call-id-1";
  binding.expires_at = clock_.unix_seconds() + 300;
  binding.source = "udp:192.0.2.50:5062";
  store::Binding expired = binding;
  expired.contact = "sip:201@192.0.2.51:5062";
  expired.expires_at = clock_.unix_seconds() - 1;
  ASSERT_TRUE(store_->replace_bindings("201", {binding, expired}));

  struct Case {
    config::Config::PrivacyMode mode;
    bool contact, source;
  };
  const Case cases[] = {{config::Config::PrivacyMode::kStats, false, false},
                        {config::Config::PrivacyMode::kSecurity, false, true},
                        {config::Config::PrivacyMode::kDebug, true, true}};
  for (const Case& c : cases) {
    ApiSettings settings;
    settings.privacy = c.mode;
    make_api(settings);
    const Reply reply = call("GET", "/api/registrations");
    ASSERT_EQ(reply.status, 200);
    const json list = body_of(reply)["registrations"];
    ASSERT_EQ(list.size(), 1U) << reply.body;
    EXPECT_EQ(list[0]["aor"], "201");
    EXPECT_EQ(list[0]["expires_in"], 300);
    EXPECT_EQ(list[0]["transport"], "udp");
    EXPECT_EQ(list[0].contains("contact"), c.contact);
    EXPECT_EQ(list[0].contains("source"), c.source);
    EXPECT_EQ(reply.body.find("secret"), std::string::npos);
    EXPECT_EQ(reply.body.find("call-id"), std::string::npos);
  }
}

TEST_F(ApiTest, LoggedPathFollowsThePrivacyMode) {
  struct Case {
    config::Config::PrivacyMode mode;
    const char* target;
    const char* logged;
  };
  using Mode = config::Config::PrivacyMode;
  const Case cases[] = {
      {Mode::kStats, "/api/bans/192.0.2.1", "/api/bans/{network}"},
      {Mode::kSecurity, "/api/bans/192.0.2.1", "/api/bans/192.0.2.1"},
      {Mode::kSecurity, "/api/users/201", "/api/users/{extension}"},
      {Mode::kDebug, "/api/users/201", "/api/users/201"},
      {Mode::kDebug, "/api/users/201/password", "/api/users/201/password"},
      {Mode::kSecurity, "/nothing/here", "{unknown}"},
      {Mode::kDebug, "/nothing/here?x=1", "/nothing/here"},
  };
  for (const Case& c : cases) {
    ApiSettings settings;
    settings.privacy = c.mode;
    make_api(settings);
    EXPECT_EQ(call("DELETE", c.target).logged_path, c.logged) << c.target;
  }
}

TEST_F(ApiTest, StatusCountersAndMetricsComeFromTheSnapshot) {
  link_.value.uptime_seconds = 42;
  link_.value.registrations = 3;
  link_.value.traffic.requests[static_cast<size_t>(sip::Method::kRegister)] = 7;
  link_.value.traffic.responses[401] = 5;
  const json status = body_of(call("GET", "/api/status"));
  EXPECT_EQ(status["uptime_seconds"], 42);
  EXPECT_EQ(status["registrations"], 3);
  EXPECT_EQ(status["calls_active"], 0);
  EXPECT_EQ(status["version"], "9.9.9");
  EXPECT_EQ(status["sip_loop"], "ok");
  const json counters = body_of(call("GET", "/api/counters"));
  EXPECT_EQ(counters["sip_requests_total"]["REGISTER"], 7);
  EXPECT_EQ(counters["sip_responses_total"]["401"], 5);
  const Reply metrics = call("GET", "/metrics");
  EXPECT_EQ(metrics.content_type, kMetricsContentType);
  EXPECT_NE(metrics.body.find("hardline_sip_requests_total{method=\"REGISTER\"} 7\n"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("hardline_registrations_active 3\n"), std::string::npos);
  link_.answering = false;
  EXPECT_EQ(call("GET", "/metrics").status, 503);
  EXPECT_EQ(call("GET", "/api/status").status, 503);
}

struct DepthCase {
  const char* text;
  bool within;  // at most 2 deep
};

TEST(JsonDepth, Table) {
  const DepthCase cases[] = {
      {"", true},
      {"{}", true},
      {"[[]]", true},
      {"[[[]]]", false},
      {"{\"a\":{}}", true},
      {"\"[[[[\"", true},
      {"[\"\\\"[[[\"]", true},
      {"]]]][[", true},
      {"[[1],[2],[3]]", true},
      {"{\"a\":[{}]}", false},
  };
  for (const DepthCase& c : cases) EXPECT_EQ(json_depth_within(c.text, 2), c.within) << c.text;
}

struct DecodeCase {
  const char* text;
  const char* decoded;  // nullptr: refused
};

TEST(PercentDecode, Table) {
  const DecodeCase cases[] = {
      {"", ""},           {"abc", "abc"},   {"10.0.0.0%2F8", "10.0.0.0/8"},
      {"%2f", "/"},       {"%41%42", "AB"}, {"%", nullptr},
      {"%4", nullptr},    {"%zz", nullptr}, {"a%00b", nullptr},
      {"a%0Ab", nullptr}, {"%7f", nullptr}, {"caf%C3%A9", "caf\xc3\xa9"},
  };
  for (const DecodeCase& c : cases) {
    auto decoded = percent_decode(c.text);
    if (c.decoded == nullptr) {
      EXPECT_FALSE(decoded.has_value()) << c.text;
    } else {
      ASSERT_TRUE(decoded.has_value()) << c.text;
      EXPECT_EQ(*decoded, c.decoded) << c.text;
    }
  }
}

}  // namespace
}  // namespace hardline::admin
