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
// - A caller ID from a trunk that has the shape of an internal number is never shown as one:
//   it becomes anonymous, gets the trunk's caller_id_prefix, or the call is refused
//   (caller_id_internal). A display name from a trunk is shown behind the trunk's
//   caller_name_prefix ("provider: Bob"), so that nobody outside can pass for a colleague.
// - Every display name goes through hardline::sanitize_display_name (common/display_name.h).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/display_name.h"
#include "common/result.h"
#include "config/routing_config.h"

namespace re2 {
class RE2;
}

namespace hardline::routing {

struct CallerId {
  std::string number;        // "anonymous" when anonymous
  std::string display_name;  // sanitize_display_name()'s output; may be ""
  bool anonymous = false;

  bool operator==(const CallerId&) const = default;
};

// The anonymous identity (RFC 3323's "anonymous" user, display name "Anonymous").
CallerId anonymous_caller_id();

// The identity of a call from an account: its extension and its display name.
CallerId caller_id_for_account(std::string_view extension, std::string_view display_name);

enum class CallerIdVerdict : uint8_t { kKeep, kAnonymous, kReject };

struct TrunkCallerId {
  CallerIdVerdict verdict = CallerIdVerdict::kReject;
  // kKeep: the number as sent (or behind caller_id_prefix), the display name sanitized and
  // behind caller_name_prefix; kAnonymous: anonymous; kReject: empty.
  CallerId id;
  // The caller ID had the shape of an internal number (whatever became of it).
  bool looked_internal = false;
};

// Whether a number has the shape of an internal one (Dialplan::looks_internal).
using LooksInternal = std::function<bool(std::string_view number)>;

// A trunk's policy for the caller IDs it sends.
class CallerIdPolicy {
 public:
  // Only a pattern and what to do on a mismatch: nothing counts as internal, display names
  // get no prefix.
  static Result<CallerIdPolicy, std::string> make(std::string_view pattern,
                                                  config::CallerIdMismatch mismatch);
  // The whole policy of a configured trunk.
  static Result<CallerIdPolicy, std::string> make(const config::Trunk& trunk);
  CallerIdPolicy(CallerIdPolicy&&) noexcept;
  CallerIdPolicy& operator=(CallerIdPolicy&&) noexcept;
  ~CallerIdPolicy();

  // `number` and `display_name` as the trunk sent them (From's user part and display name).
  // `looks_internal` (may be empty: nothing is internal) is asked about the number.
  TrunkCallerId apply(std::string_view number, std::string_view display_name,
                      const LooksInternal& looks_internal = {}) const;

 private:
  CallerIdPolicy() = default;
  std::unique_ptr<re2::RE2> pattern_;
  config::CallerIdMismatch mismatch_ = config::CallerIdMismatch::kAnonymous;
  config::InternalCallerId internal_ = config::InternalCallerId::kAnonymous;
  std::string number_prefix_;
  std::string name_prefix_;
};

}  // namespace hardline::routing
