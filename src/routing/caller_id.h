#pragma once
// Caller identity (checklist RT-5, RT-6): what the callee is shown as the caller. Pure functions:
// the B2BUA writes the result into From and removes P-Asserted-Identity and Remote-Party-ID
// that came from untrusted sources.
//
// - A call from an account shows the account's own number (its extension) and display name,
//   whatever the caller put in From: users cannot choose their caller ID.
// - A call from a trunk keeps the caller ID the trunk sent only when the whole number matches
//   the trunk's caller_id_pattern (default ^\+?[0-9A-D]{1,32}$); otherwise it becomes anonymous
//   or the call is refused, as the trunk's caller_id_mismatch says.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "config/routing_config.h"

namespace re2 {
class RE2;
}

namespace hardline::routing {

struct CallerId {
  std::string number;        // "anonymous" when anonymous
  std::string display_name;  // printable, no quotes or backslashes, at most 64 bytes; may be ""
  bool anonymous = false;

  bool operator==(const CallerId&) const = default;
};

inline constexpr size_t kMaxDisplayName = 64;

// The anonymous identity (RFC 3323's "anonymous" user, display name "Anonymous").
CallerId anonymous_caller_id();

// A display name made safe to quote in a From header: control bytes, '"' and '\' removed,
// surrounding spaces trimmed, cut to kMaxDisplayName bytes at a UTF-8 character boundary.
std::string sanitize_display_name(std::string_view name);

// The identity of a call from an account: its extension and its display name.
CallerId caller_id_for_account(std::string_view extension, std::string_view display_name);

enum class CallerIdVerdict : uint8_t { kKeep, kAnonymous, kReject };

struct TrunkCallerId {
  CallerIdVerdict verdict = CallerIdVerdict::kReject;
  CallerId id;  // kKeep: as sent (display name sanitized); kAnonymous: anonymous; kReject: empty
};

// A trunk's policy for the caller IDs it sends.
class CallerIdPolicy {
 public:
  static Result<CallerIdPolicy, std::string> make(std::string_view pattern,
                                                  config::CallerIdMismatch mismatch);
  CallerIdPolicy(CallerIdPolicy&&) noexcept;
  CallerIdPolicy& operator=(CallerIdPolicy&&) noexcept;
  ~CallerIdPolicy();

  // `number` and `display_name` as the trunk sent them (From's user part and display name).
  TrunkCallerId apply(std::string_view number, std::string_view display_name) const;

 private:
  CallerIdPolicy() = default;
  std::unique_ptr<re2::RE2> pattern_;
  config::CallerIdMismatch mismatch_ = config::CallerIdMismatch::kAnonymous;
};

}  // namespace hardline::routing
