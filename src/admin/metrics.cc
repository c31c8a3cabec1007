#include "admin/metrics.h"

#include <cmath>
#include <cstdio>

namespace hardline::admin {

namespace {

void escape_into(std::string& out, std::string_view text, bool quotes) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void value_into(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buffer[32];
  // Counters are integers: print them whole up to 2^53, where a double is still exact.
  if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {
    std::snprintf(buffer, sizeof buffer, "%.0f", value);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.17g", value);
  }
  out += buffer;
}

MetricFamily family(std::string name, std::string_view type, std::string help) {
  return MetricFamily{std::move(name), type, std::move(help), {}};
}

MetricFamily single(std::string name, std::string_view type, std::string help, double value) {
  MetricFamily out = family(std::move(name), type, std::move(help));
  out.samples.push_back(Sample{{}, value});
  return out;
}

MetricFamily labelled(std::string name, std::string_view type, std::string help,
                      std::string_view label,
                      std::initializer_list<std::pair<std::string_view, double>> values) {
  MetricFamily out = family(std::move(name), type, std::move(help));
  for (const auto& [label_value, value] : values) {
    out.samples.push_back(Sample{{{std::string(label), std::string(label_value)}}, value});
  }
  return out;
}

double d(uint64_t value) {
  return static_cast<double>(value);
}

}  // namespace

std::vector<MetricFamily> metric_families(const Snapshot& s, const ApiCounters& api,
                                          const ProcessInfo& process) {
  std::vector<MetricFamily> out;
  MetricFamily build = family("hardline_build_info", "gauge",
                              "Always 1; the version of the running server (the admin API is "
                              "authenticated, so it may say so).");
  build.samples.push_back(Sample{{{"version", process.version}}, 1});
  out.push_back(std::move(build));
  out.push_back(single("hardline_uptime_seconds", "gauge", "Seconds since the server started.",
                       static_cast<double>(s.uptime_seconds)));
  out.push_back(single("hardline_process_resident_memory_bytes", "gauge",
                       "Resident memory of the server process.", d(process.resident_bytes)));

  out.push_back(single("hardline_sip_messages_received_total", "counter",
                       "SIP messages read from the network, before the guard.",
                       d(s.messages_received)));
  MetricFamily requests = family("hardline_sip_requests_total", "counter",
                                 "Parsed SIP requests by method (retransmissions included).");
  for (size_t i = 0; i < kMethodCount; ++i) {
    const std::string_view name = sip::method_name(static_cast<sip::Method>(i));
    requests.samples.push_back(
        Sample{{{"method", name.empty() ? std::string("other") : std::string(name)}},
               d(s.traffic.requests[i])});
  }
  out.push_back(std::move(requests));
  MetricFamily responses = family("hardline_sip_responses_total", "counter",
                                  "SIP responses sent by status code (codes sent at least once).");
  for (size_t code = 100; code < kStatusSlots; ++code) {
    if (s.traffic.responses[code] == 0) continue;
    responses.samples.push_back(
        Sample{{{"code", std::to_string(code)}}, d(s.traffic.responses[code])});
  }
  out.push_back(std::move(responses));
  out.push_back(single("hardline_sip_parse_errors_total", "counter",
                       "SIP messages that did not parse.", d(s.parse_errors)));
  out.push_back(
      labelled("hardline_sip_malformed_total", "counter",
               "Malformed SIP messages, answered with an error or dropped.", "outcome",
               {{"answered", d(s.malformed_answered)}, {"dropped", d(s.malformed_dropped)}}));
  out.push_back(single("hardline_sip_auth_challenges_total", "counter",
                       "401 challenges to requests without credentials.", d(s.challenges)));
  out.push_back(single("hardline_sip_auth_failures_total", "counter",
                       "SIP digest credentials that did not verify (or a locked account).",
                       d(s.auth_failures)));
  out.push_back(single("hardline_sip_auth_successes_total", "counter",
                       "SIP requests that authenticated.", d(s.authenticated)));
  out.push_back(single("hardline_sip_stale_nonces_total", "counter",
                       "SIP credentials over an expired nonce (answered stale=true).",
                       d(s.stale_nonces)));
  out.push_back(single("hardline_sip_forged_nonces_total", "counter",
                       "SIP credentials over a nonce this server did not issue to their source.",
                       d(s.forged_nonces)));
  out.push_back(single("hardline_sip_digest_pins_total", "counter",
                       "Accounts pinned to SHA-256 because a device answered with it.",
                       d(s.digest_pins)));
  out.push_back(single("hardline_sip_overloaded_total", "counter",
                       "SIP requests answered 503 because the transaction table was full.",
                       d(s.overloaded)));
  out.push_back(single("hardline_sip_answers_withheld_total", "counter",
                       "Answers to unauthenticated UDP requests not sent: more than 3x the "
                       "request's size.",
                       d(s.answers_withheld)));

  const guard::Counters& g = s.guard;
  out.push_back(labelled("hardline_guard_drops_total", "counter",
                         "SIP messages dropped unanswered by the guard, by reason.", "reason",
                         {{"banned", d(g.dropped_banned)},
                          {"packet_rate", d(g.dropped_packet_rate)},
                          {"byte_rate", d(g.dropped_byte_rate)},
                          {"method_rate", d(g.dropped_method_rate)},
                          {"scanner", d(g.scanner_hits)}}));
  out.push_back(single("hardline_guard_connections_refused_total", "counter",
                       "TCP connections closed at once because their source is banned.",
                       d(s.connections_refused)));
  out.push_back(single("hardline_bans_active", "gauge", "Bans in force.", d(g.bans.entries)));
  out.push_back(labelled("hardline_bans_added_total", "counter",
                         "Bans made by this process: by the guard or by an operator through it.",
                         "kind",
                         {{"automatic", d(g.bans_automatic)}, {"manual", d(g.bans_manual)}}));
  out.push_back(labelled(
      "hardline_bans_spared_total", "counter",
      "Automatic bans not made: a flood or scanner from a protected network (loopback, a "
      "trunk); a trusted source, or a flood or scanner from one that authenticated recently.",
      "reason",
      {{"protected", d(g.bans_spared_protected)}, {"trusted_or_authenticated", d(g.bans_spared)}}));
  out.push_back(
      single("hardline_bans_ended_total", "counter", "Bans that ran out.", d(g.bans_ended)));
  out.push_back(single("hardline_lockouts_total", "counter",
                       "Accounts locked against password guessing.", d(g.lockouts)));
  out.push_back(single("hardline_lockouts_active", "gauge", "Account lockouts in force.",
                       d(g.locks.entries)));
  out.push_back(single("hardline_lockouts_device_total", "counter",
                       "Known devices that used up their own failure allowance (the account "
                       "stays open to its other devices).",
                       d(g.device_lockouts)));
  out.push_back(single("hardline_auth_throttled_devices_total", "counter",
                       "Devices throttled for failing for one account with one Call-ID over and "
                       "over (a phone with a wrong password); their source is not banned for it.",
                       d(g.devices_throttled)));
  out.push_back(single("hardline_auth_throttled_total", "counter",
                       "Requests of a throttled device refused with 403, unverified.",
                       d(g.auth_throttled)));

  out.push_back(single("hardline_registrations_active", "gauge",
                       "Registered bindings (contacts) in force.", d(s.registrations)));
  out.push_back(single("hardline_calls_active", "gauge", "Calls in progress.", d(s.calls_active)));
  const call::Counters& c = s.calls;
  out.push_back(single("hardline_calls_started_total", "counter",
                       "Calls the router accepted and that were sent on.", d(c.started)));
  out.push_back(
      single("hardline_calls_answered_total", "counter", "Calls that got a 2xx.", d(c.answered)));
  out.push_back(labelled("hardline_calls_failed_total", "counter",
                         "Calls that ended unanswered or were refused, by why.", "reason",
                         {{"rejected", d(c.rejected)},
                          {"unavailable", d(c.unavailable)},
                          {"busy", d(c.busy)},
                          {"declined", d(c.declined)},
                          {"no_answer", d(c.no_answer)},
                          {"timed_out", d(c.timed_out)},
                          {"cancelled", d(c.cancelled)},
                          {"overloaded", d(c.overloaded)},
                          {"loop", d(c.loops)},
                          {"other", d(c.other_failure)}}));
  out.push_back(single("hardline_calls_wrong_source_total", "counter",
                       "In-dialog requests and ACKs from another address than their leg's, "
                       "refused or ignored.",
                       d(c.wrong_source)));

  const txn::Counters& t = s.transactions;
  out.push_back(
      labelled("hardline_transactions_active", "gauge", "SIP transactions in the table.", "kind",
               {{"server", d(s.transactions_server)}, {"client", d(s.transactions_client)}}));
  out.push_back(labelled("hardline_transactions_created_total", "counter",
                         "SIP transactions created.", "kind",
                         {{"server", d(t.server_created)}, {"client", d(t.client_created)}}));
  out.push_back(single("hardline_transactions_retransmissions_absorbed_total", "counter",
                       "Retransmitted requests absorbed by their server transaction.",
                       d(t.request_retransmissions)));
  out.push_back(single("hardline_transactions_timeouts_total", "counter",
                       "Transactions that timed out (Timer B, F or H).",
                       d(t.timeouts + t.ack_timeouts)));
  out.push_back(single("hardline_transactions_overloaded_total", "counter",
                       "New transactions refused past a bound.", d(t.overloaded)));
  out.push_back(single("hardline_store_errors_total", "counter", "Database operations that failed.",
                       d(s.store_errors)));
  out.push_back(single("hardline_tcp_accept_failures_total", "counter",
                       "TCP accepts that failed for lack of descriptors or memory (then retried "
                       "after a wait).",
                       d(s.accept_failures)));
  out.push_back(single("hardline_degraded", "gauge",
                       "1 while /health says degraded (its reasons say why), else 0.",
                       d(s.problems.empty() ? 0 : 1)));

  out.push_back(single("hardline_admin_requests_total", "counter",
                       "Requests to the admin API, /metrics and /health.", d(api.requests)));
  out.push_back(single("hardline_admin_auth_failures_total", "counter",
                       "Admin requests with a missing or wrong bearer token.",
                       d(api.auth_failures)));
  out.push_back(single("hardline_admin_rate_limited_total", "counter",
                       "Admin requests refused unverified: too many wrong tokens from the source.",
                       d(api.rate_limited)));
  out.push_back(single("hardline_admin_banned_connections_total", "counter",
                       "Admin connections from banned sources, closed unread.", d(api.banned)));
  out.push_back(labelled(
      "hardline_admin_token_checks_refused_total", "counter",
      "Tokens not queued for an argon2id check: too many checks in flight for "
      "the source (429) or for the server (503).",
      "bound", {{"source", d(api.checks_refused_source)}, {"total", d(api.checks_refused_total)}}));
  return out;
}

std::string render_metrics(const std::vector<MetricFamily>& families) {
  std::string out;
  out.reserve(families.size() * 160);
  for (const MetricFamily& f : families) {
    out += "# HELP ";
    out += f.name;
    out += ' ';
    escape_into(out, f.help, false);
    out += "\n# TYPE ";
    out += f.name;
    out += ' ';
    out += f.type;
    out += '\n';
    for (const Sample& sample : f.samples) {
      out += f.name;
      if (!sample.labels.empty()) {
        out += '{';
        bool first = true;
        for (const auto& [label, value] : sample.labels) {
          if (!first) out += ',';
          first = false;
          out += label;
          out += "=\"";
          escape_into(out, value, true);
          out += '"';
        }
        out += '}';
      }
      out += ' ';
      value_into(out, sample.value);
      out += '\n';
    }
  }
  return out;
}

}  // namespace hardline::admin
