#include "admin/metrics.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace hardline::admin {
namespace {

struct RenderCase {
  MetricFamily family;
  const char* expected;
};

TEST(Metrics, RenderTable) {
  const RenderCase cases[] = {
      {{"hardline_x_total", "counter", "Things.", {{{}, 3}}},
       "# HELP hardline_x_total Things.\n# TYPE hardline_x_total counter\nhardline_x_total 3\n"},
      {{"hardline_g", "gauge", "A gauge.", {{{{"kind", "a"}}, 0}, {{{"kind", "b"}}, 1.5}}},
       "# HELP hardline_g A gauge.\n# TYPE hardline_g gauge\nhardline_g{kind=\"a\"} 0\n"
       "hardline_g{kind=\"b\"} 1.5\n"},
      {{"hardline_l", "gauge", "Two labels.", {{{{"a", "1"}, {"b", "2"}}, 7}}},
       "# HELP hardline_l Two labels.\n# TYPE hardline_l gauge\nhardline_l{a=\"1\",b=\"2\"} 7\n"},
      // Label values escape backslash, quote and newline; HELP escapes backslash and newline.
      {{"hardline_e", "gauge", "back\\slash\nnew \"q\"", {{{{"v", "a\"b\\c\nd"}}, 1}}},
       "# HELP hardline_e back\\\\slash\\nnew \"q\"\n# TYPE hardline_e gauge\n"
       "hardline_e{v=\"a\\\"b\\\\c\\nd\"} 1\n"},
      {{"hardline_big", "counter", "Large.", {{{}, 18446744073709551615.0}}},
       "# HELP hardline_big Large.\n# TYPE hardline_big counter\n"
       "hardline_big 1.8446744073709552e+19\n"},
      {{"hardline_exact", "counter", "Exact below 2^53.", {{{}, 9007199254740991.0}}},
       "# HELP hardline_exact Exact below 2^53.\n# TYPE hardline_exact counter\n"
       "hardline_exact 9007199254740991\n"},
      {{"hardline_empty", "counter", "No samples.", {}},
       "# HELP hardline_empty No samples.\n# TYPE hardline_empty counter\n"},
  };
  for (const RenderCase& c : cases) {
    EXPECT_EQ(render_metrics({c.family}), c.expected) << c.family.name;
  }
}

TEST(Metrics, EveryFamilyIsWellFormed) {
  Snapshot snapshot;
  snapshot.traffic.responses[200] = 4;
  snapshot.traffic.responses[401] = 2;
  const std::string text =
      render_metrics(metric_families(snapshot, ApiCounters{}, ProcessInfo{1024, "1.2.3"}));
  // Exposition format 0.0.4: a HELP and a TYPE line before each family's samples, names from
  // [a-zA-Z_:][a-zA-Z0-9_:]*, each family once.
  const std::regex help(R"(# HELP (hardline_[a-z0-9_]+) .+)");
  const std::regex type(R"(# TYPE (hardline_[a-z0-9_]+) (counter|gauge))");
  const std::regex sample(
      R"((hardline_[a-z0-9_]+)(\{[a-z_]+="[^"\\\n]*"(,[a-z_]+="[^"\\\n]*")*\})? -?[0-9.e+]+)");
  std::set<std::string> families;
  std::string current;
  std::istringstream lines(text);
  std::string line;
  std::smatch m;
  while (std::getline(lines, line)) {
    if (std::regex_match(line, m, help)) {
      current = m[1];
      EXPECT_TRUE(families.insert(current).second) << "twice: " << current;
    } else if (std::regex_match(line, m, type)) {
      EXPECT_EQ(m[1], current) << line;
    } else {
      ASSERT_TRUE(std::regex_match(line, m, sample)) << line;
      EXPECT_EQ(m[1], current) << line;
    }
  }
  for (const char* name :
       {"hardline_build_info", "hardline_uptime_seconds", "hardline_process_resident_memory_bytes",
        "hardline_sip_requests_total", "hardline_sip_responses_total",
        "hardline_sip_auth_failures_total", "hardline_guard_drops_total", "hardline_bans_active",
        "hardline_bans_added_total", "hardline_registrations_active", "hardline_calls_active",
        "hardline_transactions_active", "hardline_admin_auth_failures_total"}) {
    EXPECT_TRUE(families.contains(name)) << name;
  }
  EXPECT_NE(text.find("hardline_sip_responses_total{code=\"200\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("hardline_sip_responses_total{code=\"401\"} 2\n"), std::string::npos);
  EXPECT_EQ(text.find("code=\"404\""), std::string::npos);  // never sent: no series
  EXPECT_NE(text.find("hardline_build_info{version=\"1.2.3\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("hardline_process_resident_memory_bytes 1024\n"), std::string::npos);
  EXPECT_NE(text.find("hardline_sip_requests_total{method=\"other\"} 0\n"), std::string::npos);
}

struct ValueCase {
  const char* family;
  const char* labels;  // "" for none
  double expected;
};

TEST(Metrics, SnapshotFieldsLandInTheirFamilies) {
  Snapshot s;
  s.uptime_seconds = 12;
  s.messages_received = 100;
  s.auth_failures = 9;
  s.registrations = 4;
  s.calls_active = 0;
  s.transactions_server = 6;
  s.transactions_client = 1;
  s.guard.dropped_banned = 11;
  s.guard.dropped_packet_rate = 12;
  s.guard.dropped_byte_rate = 13;
  s.guard.dropped_method_rate = 14;
  s.guard.scanner_hits = 15;
  s.guard.bans.entries = 2;
  s.guard.bans_automatic = 5;
  s.guard.bans_manual = 1;
  s.transactions.timeouts = 3;
  s.transactions.ack_timeouts = 1;
  s.traffic.requests[static_cast<size_t>(sip::Method::kInvite)] = 21;
  s.accept_failures = 7;
  s.problems = {"the database file /x/hardline.db is gone"};
  ApiCounters api;
  api.auth_failures = 8;
  const ValueCase cases[] = {
      {"hardline_uptime_seconds", "", 12},
      {"hardline_sip_messages_received_total", "", 100},
      {"hardline_sip_auth_failures_total", "", 9},
      {"hardline_registrations_active", "", 4},
      {"hardline_calls_active", "", 0},
      {"hardline_transactions_active", "kind=server", 6},
      {"hardline_transactions_active", "kind=client", 1},
      {"hardline_guard_drops_total", "reason=banned", 11},
      {"hardline_guard_drops_total", "reason=packet_rate", 12},
      {"hardline_guard_drops_total", "reason=byte_rate", 13},
      {"hardline_guard_drops_total", "reason=method_rate", 14},
      {"hardline_guard_drops_total", "reason=scanner", 15},
      {"hardline_bans_active", "", 2},
      {"hardline_bans_added_total", "kind=automatic", 5},
      {"hardline_bans_added_total", "kind=manual", 1},
      {"hardline_transactions_timeouts_total", "", 4},
      {"hardline_sip_requests_total", "method=INVITE", 21},
      {"hardline_admin_auth_failures_total", "", 8},
      {"hardline_tcp_accept_failures_total", "", 7},
      {"hardline_degraded", "", 1},
  };
  const auto families = metric_families(s, api, ProcessInfo{});
  for (const ValueCase& c : cases) {
    bool found = false;
    for (const MetricFamily& f : families) {
      if (f.name != c.family) continue;
      for (const Sample& sample : f.samples) {
        std::string labels;
        for (const auto& [k, v] : sample.labels)
          labels += (labels.empty() ? "" : ",") + k + "=" + v;
        if (labels != c.labels) continue;
        found = true;
        EXPECT_EQ(sample.value, c.expected) << c.family << " " << c.labels;
      }
    }
    EXPECT_TRUE(found) << c.family << " " << c.labels;
  }
}

}  // namespace
}  // namespace hardline::admin
