// hardline sip check [--json] FILE...: parse each file as one datagram and print the verdict.

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "sip/parser.h"

namespace hardline::cli {
namespace {

struct CheckOptions {
  bool json = false;
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

int run_check(const CheckOptions& options) {
  const sip::Limits limits;
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
    if (options.json) {
      nlohmann::json j;
      if (parsed) {
        j = summary(*parsed);
      } else {
        const sip::ParseError& e = parsed.error();
        j["valid"] = false;
        j["answer"] = e.drop() ? nlohmann::json("drop") : nlohmann::json(e.status);
        j["error"] = sip::error_code_name(e.code);
        j["reason"] = e.reason;
      }
      j["file"] = file;
      // Message bytes need not be UTF-8: replace what is not rather than fail.
      std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else if (parsed) {
      std::cout << file << ": ok " << (parsed->is_request ? "request " : "response ");
      if (parsed->is_request) {
        std::cout << parsed->method_text << "\n";
      } else {
        std::cout << parsed->status << "\n";
      }
    } else {
      const sip::ParseError& e = parsed.error();
      std::cout << file << ": invalid ";
      if (e.drop()) {
        std::cout << "drop";
      } else {
        std::cout << e.status;
      }
      std::cout << " " << e.reason << "\n";
    }
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
      "Parse each FILE as one SIP datagram, exactly as the server would, and print one line\n"
      "per file: 'FILE: ok request METHOD', 'FILE: ok response STATUS', 'FILE: invalid STATUS\n"
      "REASON' (the answer the server would send) or 'FILE: invalid drop REASON' (the server\n"
      "would stay silent). '-' reads standard input.");
  check->add_flag("--json", options->json,
                  "Print one JSON object per file instead: kind, method or status, Request-URI,\n"
                  "Call-ID, CSeq, Via branches, header count and body length, or the error");
  check->add_option("FILE", options->files, "Files holding one SIP message each ('-' for stdin)")
      ->required();
  check->footer("Exit status: 0 every file is valid, 1 any is invalid, 2 usage or I/O error.");
  check->callback([options, &exit_code] { exit_code = run_check(*options); });
}

}  // namespace hardline::cli
