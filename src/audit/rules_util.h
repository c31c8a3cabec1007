#pragma once
// Helpers shared by the rule files (not part of the audit's interface).
#include <string>
#include <string_view>
#include <vector>

#include "audit/facts.h"
#include "audit/finding.h"

namespace hardline::audit::detail {

inline Finding finding(std::string_view id, std::string_view check, Status status,
                       std::string evidence, std::string fix = {}) {
  return Finding{std::string(id), std::string(check), status, std::move(evidence), std::move(fix)};
}

std::string octal_mode(uint32_t mode);        // "0640"
std::string describe(const FileFacts& file);  // "PATH (root:hardline 0640)"
const FileFacts* find_file(const Facts& facts, std::string_view role);
std::string join(const std::vector<std::string>& parts, std::string_view separator = "; ");
std::string not_root_note(const Facts& facts);  // " (not run as root: ...)" or ""

}  // namespace hardline::audit::detail
