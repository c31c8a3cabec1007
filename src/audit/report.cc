#include "audit/report.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "audit/rules.h"

namespace hardline::audit {

std::string human_report(const ReportHeader& header, const std::vector<Finding>& findings) {
  std::string text = "hardline audit of " + header.config + " (Hardline " + header.version + ")\n";
  for (const Finding& finding : findings) {
    char prefix[32];
    std::snprintf(prefix, sizeof prefix, "%-6s %-14s ", finding.id.c_str(),
                  std::string(status_name(finding.status)).c_str());
    text += prefix + finding.check + ": " + finding.evidence + "\n";
    if (finding.status != Status::kPass && !finding.fix.empty()) {
      text += std::string(22, ' ') + "fix: " + finding.fix + "\n";
    }
  }
  const Summary summary = summarize(findings);
  text += "summary: " + std::to_string(summary.pass) + " pass, " + std::to_string(summary.warn) +
          " warn, " + std::to_string(summary.fail) + " fail, " +
          std::to_string(summary.not_applicable) + " not-applicable, " +
          std::to_string(summary.manual) + " manual\n";
  return text;
}

std::string json_report(const ReportHeader& header, const std::vector<Finding>& findings) {
  nlohmann::json checks = nlohmann::json::array();
  for (const Finding& finding : findings) {
    checks.push_back({{"id", finding.id},
                      {"check", finding.check},
                      {"status", status_name(finding.status)},
                      {"evidence", finding.evidence},
                      {"fix", finding.fix}});
  }
  const Summary summary = summarize(findings);
  nlohmann::json report = {{"version", header.version},
                           {"config", header.config},
                           {"checks", checks},
                           {"summary",
                            {{"pass", summary.pass},
                             {"warn", summary.warn},
                             {"fail", summary.fail},
                             {"not-applicable", summary.not_applicable},
                             {"manual", summary.manual}}},
                           {"exit_status", exit_status(findings)}};
  return report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace hardline::audit
