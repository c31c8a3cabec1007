// hardline sip check [-c CONFIG] [--json] FILE...: each file as one UDP datagram, and what the
// server with that config does with it (server::MessagePolicy, which the server itself asks).

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/deployment_access.h"
#include "config/config.h"
#include "server/message_policy.h"
#include "sip/parser.h"

namespace hardline::cli {
namespace {

struct CheckOptions {
  bool json = false;
  std::string config;
  std::vector<std::string> files;
};

// Reads at most `limit` bytes; reading one byte past the message size limit is enough for the
// parser to answer 513, so a huge file never fills memory.
bool read_datagram(const std::string& path, size_t limit, std::string& out, std::string& error) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) {
      error = std::strerror(errno);
      return false;
    }
    in = &file;
  }
  out.resize(limit);
  in->read(out.data(), static_cast<std::streamsize>(limit));
  out.resize(static_cast<size_t>(in->gcount()));
  if (in->bad()) {
    error = "read error";
    return false;
  }
  return true;
}

nlohmann::json summary(const sip::Message& m) {
  nlohmann::json j;
  j["valid"] = true;
  j["kind"] = m.is_request ? "request" : "response";
  if (m.is_request) {
    j["method"] = m.method_text;
    j["request_uri"] = m.request_uri.text;
  } else {
    j["status"] = m.status;
  }
  j["call_id"] = m.call_id;
  j["cseq"] = {{"number", m.cseq.number}, {"method", m.cseq.method}};
  nlohmann::json branches = nlohmann::json::array();
  for (const sip::Via& via : m.vias) {
    if (via.branch) {
      branches.push_back(*via.branch);
    } else {
      branches.push_back(nullptr);
    }
  }
  j["via_branches"] = branches;
  j["header_count"] = m.headers.size();
  j["body_length"] = m.body.size();
  return j;
}

std::string_view route_name(server::Route route) {
  switch (route) {
    case server::Route::kAnswer:
      return "answer";
    case server::Route::kDrop:
      return "drop";
    case server::Route::kResponse:
      return "response";
    case server::Route::kAck:
      return "ack";
    case server::Route::kRegister:
      return "register";
    case server::Route::kInvite:
      return "invite";
    case server::Route::kInDialog:
      return "in_dialog";
    case server::Route::kCancel:
      return "cancel";
    case server::Route::kAuthenticateFirst:
      return "authenticate_first";
  }
  return "";
}

// The policy of the server `options.config` describes; without -c, of the default config file
// when there is one, else of Hardline's defaults with every host taken as this server's.
std::optional<server::PolicySettings> settings_for(const CheckOptions& options) {
  if (options.config.empty() && !std::filesystem::exists(config::default_config_path())) {
    std::cerr << "hardline sip check: no config at " << config::default_config_path().string()
              << ": Hardline's defaults, every Request-URI host taken as this server's (give -c "
                 "CONFIG for a deployment's answers)\n";
    return server::policy_settings(config::Config{});
  }
  auto config = load_config_or_report(options.config);
  if (!config) return std::nullopt;
  return server::policy_settings(*config);
}

// "answer 401 Unauthorized (why)", "answer 400 Bad Via" (a malformed request's reason phrase is
// its why) or "dropped (why)".
std::string action_text(const server::Decision& d, bool malformed) {
  if (d.status == 0) return "dropped (" + d.why + ")";
  std::string out = "answer " + std::to_string(d.status) + " " + d.reason;
  if (!malformed) out += " (" + d.why + ")";
  return out;
}

int run_check(const CheckOptions& options) {
  auto settings = settings_for(options);
  if (!settings) return kExitUsage;
  server::MessagePolicy policy(std::move(*settings));
  const sip::Limits& limits = policy.limits();
  bool any_invalid = false;
  bool any_io_error = false;
  std::string bytes;
  for (const std::string& file : options.files) {
    std::string io_error;
    if (!read_datagram(file, limits.max_message_size + 1, bytes, io_error)) {
      std::cerr << "hardline sip check: " << file << ": " << io_error << "\n";
      any_io_error = true;
      continue;
    }
    auto parsed = sip::parse_datagram(bytes, limits);
    any_invalid |= !parsed.has_value();
    const server::Decision decision = policy.decide(bytes, sip::Framing::kDatagram);
    if (options.json) {
      nlohmann::json j;
      if (parsed) {
        j = summary(*parsed);
      } else {
        const sip::ParseError& e = parsed.error();
        j["valid"] = false;
        j["error"] = sip::error_code_name(e.code);
        j["reason"] = e.reason;
      }
      // What the server does: its answer's status, or "drop" when it sends none.
      j["answer"] = decision.status == 0 ? nlohmann::json("drop") : nlohmann::json(decision.status);
      if (decision.status != 0) j["answer_reason"] = decision.reason;
      j["route"] = route_name(decision.route);
      j["why"] = decision.why;
      j["file"] = file;
      // Message bytes need not be UTF-8: replace what is not rather than fail.
      std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      continue;
    }
    std::cout << file << ": ";
    if (parsed) {
      std::cout << "ok " << (parsed->is_request ? "request " : "response ");
      if (parsed->is_request) {
        std::cout << parsed->method_text;
      } else {
        std::cout << parsed->status;
      }
    } else {
      std::cout << "invalid";
    }
    std::cout << ": " << action_text(decision, !parsed) << "\n";
  }
  if (any_io_error) return kExitUsage;
  return any_invalid ? kExitFailed : kExitOk;
}

}  // namespace

void add_sip_command(CLI::App& app, int& exit_code) {
  CLI::App* sip = app.add_subcommand("sip", "Work with SIP messages (for tests and debugging)");
  sip->require_subcommand(1);

  auto options = std::make_shared<CheckOptions>();
  CLI::App* check = sip->add_subcommand(
      "check",
      "Parse each FILE as one SIP datagram and say exactly what the server does with it, one\n"
      "line per file: 'FILE: ok request METHOD: answer STATUS REASON (why)', 'FILE: ok\n"
      "response STATUS: dropped (why)', 'FILE: invalid: answer STATUS REASON' (a malformed\n"
      "request's answer) or 'FILE: invalid: dropped (why)' (the server stays silent). The\n"
      "answer is the server's with -c CONFIG: what a request gets without state that could\n"
      "change it (credentials that verify, a dialog, a transaction), as when it is replayed\n"
      "from a file. '-' reads standard input.");
  check->add_option("-c,--config", options->config,
                    std::string(kConfigOptionHelp) +
                        "; when neither exists, Hardline's defaults with every host taken as "
                        "this server's");
  check->add_flag("--json", options->json,
                  "Print one JSON object per file instead: kind, method or status, Request-URI,\n"
                  "Call-ID, CSeq, Via branches, header count and body length, or the error;\n"
                  "answer (a status, or \"drop\"), answer_reason, route and why");
  check->add_option("FILE", options->files, "Files holding one SIP message each ('-' for stdin)")
      ->required();
  check->footer(
      "Exit status: 0 every file is valid, 1 any is invalid, 2 usage, I/O or config error.");
  check->callback([options, &exit_code] { exit_code = run_check(*options); });
}

}  // namespace hardline::cli
