#pragma once
// /metrics: the Prometheus text exposition format 0.0.4 (every family with # HELP and # TYPE,
// names hardline_*, label values escaped). Built from a Snapshot of the SIP server and the admin
// API's own counters; no I/O here.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "admin/stats.h"

namespace hardline::admin {

// The admin API's own counters (the admin thread keeps them).
struct ApiCounters {
  uint64_t requests = 0;
  uint64_t auth_failures = 0;  // missing or wrong bearer tokens
  uint64_t rate_limited = 0;   // wrong tokens refused unverified (429)
  uint64_t banned = 0;         // connections from banned sources closed unread
  // Tokens not queued for an argon2id check (token_checks.h): the source had too many in
  // flight (429), or the server had (503).
  uint64_t checks_refused_source = 0;
  uint64_t checks_refused_total = 0;
};

// What the process says of itself (read on the admin thread).
struct ProcessInfo {
  uint64_t resident_bytes = 0;
  std::string version;
};

struct Sample {
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

struct MetricFamily {
  std::string name;       // hardline_...
  std::string_view type;  // "counter" or "gauge"
  std::string help;
  std::vector<Sample> samples;
};

// Every family Hardline exposes, in a fixed order (docs/admin-api.md lists them).
std::vector<MetricFamily> metric_families(const Snapshot& snapshot, const ApiCounters& api,
                                          const ProcessInfo& process);

// The text exposition of `families`; label values have '\\', '"' and newlines escaped, HELP
// text '\\' and newlines.
std::string render_metrics(const std::vector<MetricFamily>& families);

// The content type of render_metrics()'s output.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace hardline::admin
