#include "audit/rules.h"

#include <algorithm>
#include <cstdio>

#include "audit/rules_util.h"

namespace hardline::audit {

std::string_view status_name(Status status) {
  switch (status) {
    case Status::kPass:
      return "pass";
    case Status::kWarn:
      return "warn";
    case Status::kFail:
      return "fail";
    case Status::kNotApplicable:
      return "not-applicable";
    case Status::kManual:
      return "manual";
  }
  return "manual";
}

Summary summarize(const std::vector<Finding>& findings) {
  Summary summary;
  for (const Finding& finding : findings) {
    switch (finding.status) {
      case Status::kPass:
        ++summary.pass;
        break;
      case Status::kWarn:
        ++summary.warn;
        break;
      case Status::kFail:
        ++summary.fail;
        break;
      case Status::kNotApplicable:
        ++summary.not_applicable;
        break;
      case Status::kManual:
        ++summary.manual;
        break;
    }
  }
  return summary;
}

int exit_status(const std::vector<Finding>& findings) {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& finding) { return finding.status == Status::kFail; })
             ? 1
             : 0;
}

bool writable_by(const FileFacts& file, const AccountFacts& account) {
  if (!file.exists) return false;
  if ((file.mode & 0002U) != 0) return true;
  if (!account.exists) return false;
  if (account.uid == 0) return true;
  if (file.uid == account.uid && (file.mode & 0200U) != 0) return true;
  const bool in_group =
      std::find(account.groups.begin(), account.groups.end(), file.gid) != account.groups.end() ||
      account.gid == file.gid;
  return in_group && (file.mode & 0020U) != 0;
}

std::vector<Finding> run_rules(const config::Config& config, const Facts& facts) {
  std::vector<Finding> findings = host_rules(config, facts);
  for (auto* section : {&file_rules, &network_rules, &service_rules}) {
    std::vector<Finding> more = (*section)(config, facts);
    findings.insert(findings.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
  }
  auto rank = [](const Finding& finding) {
    auto it = std::find(kChecklistIds.begin(), kChecklistIds.end(), finding.id);
    return static_cast<size_t>(it - kChecklistIds.begin());
  };
  std::stable_sort(findings.begin(), findings.end(),
                   [&](const Finding& a, const Finding& b) { return rank(a) < rank(b); });
  return findings;
}

namespace detail {

std::string octal_mode(uint32_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", mode & 07777U);
  return text;
}

std::string describe(const FileFacts& file) {
  if (!file.error.empty()) return file.path.string() + " (" + file.error + ")";
  if (!file.exists) return file.path.string() + " (not found)";
  return file.path.string() + " (" + file.owner + ":" + file.group + " " + octal_mode(file.mode) +
         ")";
}

const FileFacts* find_file(const Facts& facts, std::string_view role) {
  for (const FileFacts& file : facts.files) {
    if (file.role == role) return &file;
  }
  return nullptr;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string text;
  for (const std::string& part : parts) {
    if (!text.empty()) text += separator;
    text += part;
  }
  return text;
}

std::string not_root_note(const Facts& facts) {
  return facts.root ? std::string()
                    : std::string(
                          " (the audit did not run as root, so this may be "
                          "incomplete: run it with sudo)");
}

}  // namespace detail
}  // namespace hardline::audit
