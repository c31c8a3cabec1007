#include "server/dialplan_router.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "unit/routing/test_support.h"

namespace hardline::server {
namespace {

const std::string kRouting = R"(
[[trunk]]
name = "provider"
host = "192.0.2.50"
port = 5070
transport = "tcp"
username = "user"
password = "secret"
sources = ["192.0.2.50/32"]
caller_id_mismatch = "reject"

[[trunk]]
name = "nowhere"
host = "sip.provider.invalid"
sources = []

[[dialplan.rule]]
name = "did"
match = '\+4930555(0[0-9])'
action = "local"
to = "10$1"
callers = ["trunk:provider"]

[[dialplan.rule]]
name = "international"
match = '00([1-9][0-9]{6,14})'
action = "trunk"
trunk = "provider"
to = "+$1"
groups = ["dialout"]
max_concurrent = 1

[[dialplan.rule]]
name = "dead"
match = '01([0-9]+)'
action = "trunk"
trunk = "nowhere"
groups = ["dialout"]

[[dialplan.rule]]
name = "barred"
match = '0900[0-9]*'
action = "reject"
status = 603
)";

struct Directory final : AccountDirectory {
  std::map<std::string, std::vector<std::string>, std::less<>> accounts{
      {"1000", {"dialout"}}, {"1001", {}}, {"1005", {}}};
  bool exists(std::string_view extension) override {
    return accounts.find(extension) != accounts.end();
  }
  std::vector<std::string> groups(std::string_view extension) override {
    auto it = accounts.find(extension);
    return it != accounts.end() ? it->second : std::vector<std::string>{};
  }
};

Endpoint from(const char* address) {
  Endpoint endpoint;
  endpoint.address = *parse_ip_address(address);
  endpoint.port = 5060;
  return endpoint;
}

class DialplanRouterTest : public ::testing::Test {
 protected:
  DialplanRouterTest()
      : dialplan_(routing::testing::dialplan_of(kRouting)),
        router_(dialplan_, resolve_trunks(dialplan_.trunks(), problems_), clock_, directory_, false,
                [](int64_t) {
                  return config::LocalTime{0, 600};
                }) {}

  call::RouteRequest request(std::string_view dialled, std::optional<std::string_view> caller,
                             const char* source = "198.51.100.7") {
    return call::RouteRequest{dialled, caller, from(source), Protocol::kUdp, {}, {}};
  }

  ManualClock clock_;
  Directory directory_;
  std::vector<std::string> problems_;
  routing::Dialplan dialplan_;
  DialplanRouter router_;
};

TEST_F(DialplanRouterTest, TrunksResolvedAtStartUp) {
  const std::vector<TrunkTarget> trunks = resolve_trunks(dialplan_.trunks(), problems_);
  ASSERT_EQ(trunks.size(), 2u);
  ASSERT_TRUE(trunks[0].endpoint);
  EXPECT_EQ(to_spec(*trunks[0].endpoint), "tcp:192.0.2.50:5070");
  EXPECT_EQ(trunks[0].uri_host, "192.0.2.50:5070;transport=tcp");
  ASSERT_TRUE(trunks[0].credentials);
  EXPECT_EQ(trunks[0].credentials->username, "user");
  // .invalid never resolves, and nobody is asked.
  EXPECT_FALSE(trunks[1].endpoint);
  ASSERT_FALSE(problems_.empty());
  for (const std::string& problem : problems_) EXPECT_EQ(problem.find("secret"), std::string::npos);
}

TEST_F(DialplanRouterTest, CallerIdentifiedByAccountTrunkAddressOrNobody) {
  routing::Caller account = identify_caller(request("1", "1000"), dialplan_, directory_);
  EXPECT_EQ(account.kind, routing::CallerKind::kAccount);
  EXPECT_EQ(account.groups, std::vector<std::string>{"dialout"});
  routing::Caller trunk =
      identify_caller(request("1", std::nullopt, "192.0.2.50"), dialplan_, directory_);
  EXPECT_EQ(trunk.kind, routing::CallerKind::kTrunk);
  EXPECT_EQ(trunk.name, "provider");
  EXPECT_EQ(identify_caller(request("1", std::nullopt), dialplan_, directory_).kind,
            routing::CallerKind::kAnonymous);
}

TEST_F(DialplanRouterTest, RequestBuilt) {
  call::RouteRequest in = request("0049301234567", "1000");
  in.transport = Protocol::kTcp;
  const routing::CallRequest out =
      make_call_request(in, routing::Caller::account("1000", {}), config::LocalTime{4, 61});
  EXPECT_EQ(out.number, "0049301234567");
  EXPECT_EQ(out.transport, config::Transport::kTcp);
  EXPECT_EQ(out.source, from("198.51.100.7").address);
  EXPECT_EQ(out.time, (config::LocalTime{4, 61}));
  std::tm sunday{};
  sunday.tm_wday = 0;
  sunday.tm_hour = 23;
  sunday.tm_min = 59;
  EXPECT_EQ(local_time_of(sunday), (config::LocalTime{6, 1439}));
}

TEST_F(DialplanRouterTest, DecisionsMapped) {
  struct Case {
    const char* dialled;
    std::optional<std::string_view> caller;
    const char* source;
    call::RouteDecision::Kind kind;
    const char* target;  // account, Request-URI, or the status as text
  };
  const Case cases[] = {
      {"0049301234567", "1000", "198.51.100.7", call::RouteDecision::Kind::kRemote,
       "sip:+49301234567@192.0.2.50:5070;transport=tcp"},
      {"0049301234567", "1001", "198.51.100.7", call::RouteDecision::Kind::kReject, "404"},
      {"0112345", "1000", "198.51.100.7", call::RouteDecision::Kind::kReject, "503"},
      {"09001234", "1000", "198.51.100.7", call::RouteDecision::Kind::kReject, "603"},
      {"1001", "1000", "198.51.100.7", call::RouteDecision::Kind::kLocal, "1001"},
      {"+493055505", std::nullopt, "192.0.2.50", call::RouteDecision::Kind::kLocal, "1005"},
      {"1001", std::nullopt, "192.0.2.50", call::RouteDecision::Kind::kReject, "404"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.dialled);
    call::RouteRequest in = request(c.dialled, c.caller, c.source);
    in.from_user = "+4930111";
    const call::RouteDecision decision = router_.route(in);
    ASSERT_EQ(decision.kind, c.kind);
    switch (decision.kind) {
      case call::RouteDecision::Kind::kLocal:
        EXPECT_EQ(decision.account, c.target);
        break;
      case call::RouteDecision::Kind::kRemote:
        EXPECT_EQ(decision.remote.request_uri, c.target);
        EXPECT_TRUE(decision.remote.credentials);
        EXPECT_FALSE(decision.remote.trusted);
        EXPECT_EQ(decision.max_duration, Millis(7200 * 1000));  // the trunk rule's default
        break;
      case call::RouteDecision::Kind::kReject:
        EXPECT_EQ(std::to_string(decision.status), c.target);
        break;
    }
  }
}

TEST_F(DialplanRouterTest, TrunkCallerIdKeptOrRefusedByPolicy) {
  call::RouteRequest in = request("+493055505", std::nullopt, "192.0.2.50");
  in.from_user = "+4930111";
  in.from_display = "Bob";
  call::RouteDecision kept = router_.route(in);
  ASSERT_TRUE(kept.shown_caller);
  EXPECT_EQ(kept.shown_caller->number, "+4930111");
  EXPECT_EQ(kept.shown_caller->display_name, "provider: Bob");  // never like an account's
  in.from_user = "evil'or 1=1";
  const call::RouteDecision refused = router_.route(in);  // caller_id_mismatch = "reject"
  EXPECT_EQ(refused.kind, call::RouteDecision::Kind::kReject);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(router_.caller_ids_refused(), 1u);
  EXPECT_TRUE(router_.trusted_source(from("192.0.2.50")));
  EXPECT_FALSE(router_.trusted_source(from("192.0.2.51")));
}

TEST_F(DialplanRouterTest, ATrunkCallerShowingAnExtensionIsNeverShownAsInternal) {
  // Issue 12: caller ID 1005 (an account) and "Colleague" with U+202E from the provider.
  call::RouteRequest in = request("+493055501", std::nullopt, "192.0.2.50");
  in.from_user = "1005";
  in.from_display = "Col\xe2\x80\xaeleague";
  const call::RouteDecision decision = router_.route(in);
  EXPECT_EQ(decision.kind, call::RouteDecision::Kind::kLocal);
  ASSERT_TRUE(decision.shown_caller);
  EXPECT_TRUE(decision.shown_caller->anonymous);  // caller_id_internal = "anonymous" (default)
  EXPECT_EQ(router_.caller_ids_internal(), 1u);
  EXPECT_EQ(router_.caller_ids_rewritten(), 1u);
  EXPECT_EQ(router_.caller_ids_refused(), 0u);
  // An account's number is internal whether a rule names it or not.
  in.from_user = "1001";
  EXPECT_TRUE(router_.route(in).shown_caller->anonymous);
  EXPECT_EQ(router_.caller_ids_internal(), 2u);
}

TEST_F(DialplanRouterTest, BrakeRefusesSecondConcurrentCallUntilTheFirstEnds) {
  const call::RouteRequest in = request("0049301234567", "1000");
  const call::RouteDecision decision = router_.route(in);
  ASSERT_EQ(decision.kind, call::RouteDecision::Kind::kRemote);
  EXPECT_EQ(router_.on_call_started(1, in, decision), 0);
  EXPECT_EQ(router_.on_call_started(2, in, decision), DialplanRouter::kBrakeStatus);
  EXPECT_EQ(router_.brakes_tripped(), 1u);
  router_.on_call_finished(1, decision, call::CallEnd::kAnswered, 200);
  EXPECT_EQ(router_.tickets(), 0u);
  EXPECT_EQ(router_.on_call_started(3, in, decision), 0);
  // Another account has brakes of its own; a rule without brakes takes no ticket.
  EXPECT_EQ(router_.on_call_started(4, request("0049301234567", "1005"), decision), 0);
  EXPECT_EQ(
      router_.on_call_started(5, request("1001", "1000"), router_.route(request("1001", "1000"))),
      0);
  EXPECT_EQ(router_.tickets(), 2u);
}

}  // namespace
}  // namespace hardline::server
