#pragma once
// One line of `hardline audit`: a check of one checklist item (../shared/security-checklist.md),
// its status, what was found and what to do about it.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hardline::audit {

enum class Status : uint8_t {
  kPass,           // the item is true of this host and deployment
  kWarn,           // weaker than it should be, or not checkable: the fix says what to do
  kFail,           // a real exposure; `hardline audit` exits 1
  kNotApplicable,  // nothing in this deployment the item could apply to
  kManual,         // software cannot check it: the fix says what the operator has to do
};

std::string_view status_name(Status status);  // "pass", "warn", "fail", "not-applicable", "manual"

struct Finding {
  std::string id;     // checklist ID, e.g. "NET-1"
  std::string check;  // what this check looks at, e.g. "firewall (IPv6)"
  Status status = Status::kManual;
  std::string evidence;  // what was found
  std::string fix;       // what to do; empty only when there is nothing to do

  bool operator==(const Finding&) const = default;
};

// Every ID of the reference checklist, in its order. The audit reports each at least once.
inline constexpr std::array<std::string_view, 53> kChecklistIds = {
    "MP-1", "OS-1",  "OS-2",  "OS-3",  "OS-4",  "OS-5",  "OS-6",  "OS-7",  "OS-8",  "FS-1", "FS-2",
    "FS-3", "FS-4",  "NET-1", "NET-2", "NET-3", "NET-4", "NET-5", "NET-6", "NET-7", "DB-1", "DB-2",
    "DB-3", "SIP-1", "SIP-2", "SIP-3", "SIP-4", "RT-1",  "RT-2",  "RT-3",  "RT-4",  "RT-5", "RT-6",
    "RT-7", "RT-8",  "PW-1",  "PW-2",  "PW-3",  "PW-4",  "UP-1",  "UP-2",  "TE-1",  "TE-2", "TE-3",
    "TE-4", "TE-5",  "LOG-1", "LOG-2", "LOG-3", "MON-1", "CHK-1", "DR-1",  "DR-2"};

struct Summary {
  uint32_t pass = 0;
  uint32_t warn = 0;
  uint32_t fail = 0;
  uint32_t not_applicable = 0;
  uint32_t manual = 0;
};

Summary summarize(const std::vector<Finding>& findings);

}  // namespace hardline::audit
