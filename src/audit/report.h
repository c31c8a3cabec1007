#pragma once
// The two forms of `hardline audit`'s report.
#include <string>
#include <vector>

#include "audit/finding.h"

namespace hardline::audit {

struct ReportHeader {
  std::string config;   // the config file audited
  std::string version;  // Hardline's
};

// One line per check, "ID  status  check: evidence", then "fix: ..." under every line that is
// not a pass, and a summary line.
std::string human_report(const ReportHeader& header, const std::vector<Finding>& findings);

// {"version", "config", "checks": [{"id", "check", "status", "evidence", "fix"}],
//  "summary": {"pass", "warn", "fail", "not-applicable", "manual"}, "exit_status"}
std::string json_report(const ReportHeader& header, const std::vector<Finding>& findings);

}  // namespace hardline::audit
