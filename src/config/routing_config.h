#pragma once
// The routing part of the configuration: named source categories ([sources]), trunks
// ([[trunk]]) and the dialplan rules ([[dialplan.rule]], in the main file or in the file named
// by dialplan.include). Plain values checked by the loader; src/routing compiles and evaluates
// them. Every entry remembers the file and line it was written at, so that `hardline dialplan
// check` can point at it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/network.h"

namespace hardline::config {

// Where an entry was written: for messages that send the operator to the right line.
struct Origin {
  std::string file;
  uint32_t line = 0;

  bool operator==(const Origin&) const = default;
};

enum class Transport : uint8_t { kUdp, kTcp, kTls };
std::string_view transport_name(Transport transport);  // "udp", "tcp", "tls"
std::optional<Transport> parse_transport(std::string_view text);

// A moment of the week in local time: the only clock the dialplan sees, always passed in.
struct LocalTime {
  uint8_t weekday = 0;  // 0 Monday .. 6 Sunday
  uint16_t minute = 0;  // 0 .. 1439 since midnight

  bool operator==(const LocalTime&) const = default;
};
// "Mon 14:30" (weekday names in English, three letters, any case; 00:00 to 23:59).
std::optional<LocalTime> parse_local_time(std::string_view text);
std::string to_string(const LocalTime& time);

// Weekdays and a time-of-day range: "Mon-Fri 08:00-18:00", "Sat,Sun", "22:00-06:00" (a range
// whose end is before its start runs over midnight; the weekday is the one of the moment
// checked). `to` may be 24:00.
struct TimeWindow {
  uint8_t weekdays = 0x7f;  // bit 0 Monday .. bit 6 Sunday
  uint16_t from = 0;        // minutes since midnight, inclusive
  uint16_t to = 1440;       // exclusive; to < from wraps over midnight

  bool operator==(const TimeWindow&) const = default;
  bool contains(const LocalTime& time) const;
};
std::optional<TimeWindow> parse_time_window(std::string_view text);
std::string to_string(const TimeWindow& window);

// A named list of networks: `office = ["10.0.0.0/8", "fd00::/8"]`.
struct SourceCategory {
  std::string name;
  std::vector<Network> networks;
  Origin where;

  bool operator==(const SourceCategory&) const = default;
};

enum class CallerIdMismatch : uint8_t { kAnonymous, kReject };
// What becomes of a trunk's caller ID that has the shape of an internal number (an extension):
// shown as Anonymous, put behind the trunk's caller_id_prefix, or the call refused.
enum class InternalCallerId : uint8_t { kAnonymous, kPrefix, kReject };
std::string_view internal_caller_id_name(InternalCallerId action);  // "anonymous", ...

inline constexpr std::string_view kDefaultCallerIdPattern = R"(^\+?[0-9A-D]{1,32}$)";

// A SIP provider or another PBX. Calls from it are recognised by their source address (one of
// `sources`), never by anything in the message.
struct Trunk {
  std::string name;
  std::string host;  // a DNS name or an IP address (IPv6 in brackets)
  uint16_t port = 5060;
  Transport transport = Transport::kUdp;
  std::string username;          // "" when the provider authenticates by address
  std::string password;          // secret: never logged, printed nor quoted in an error
  std::vector<Network> sources;  // where its inbound calls come from; empty: none accepted
  std::string caller_id_pattern{kDefaultCallerIdPattern};  // RE2, the whole number must match
  CallerIdMismatch caller_id_mismatch = CallerIdMismatch::kAnonymous;
  // A caller ID that looks internal (routing::Dialplan::looks_internal) is never shown as one.
  InternalCallerId caller_id_internal = InternalCallerId::kAnonymous;
  std::string caller_id_prefix;  // for kPrefix: 1..16 of [0-9A-D+*#], e.g. "0" or "+4930"
  // Put before every display name from this trunk, so that "Bob" from outside never looks like
  // the account Bob; "" means the trunk's name and ": ".
  std::string caller_name_prefix;
  bool trusted = false;  // whether Hardline's own hop-count header may be sent to it
  Origin where;

  bool operator==(const Trunk&) const = default;
};

enum class RuleAction : uint8_t { kLocal, kTrunk, kReject };
std::string_view rule_action_name(RuleAction action);  // "local", "trunk", "reject"

// Who may use a rule, as `callers = ["account", "trunk:provider"]` says.
struct Callers {
  bool accounts = true;             // "account": any authenticated local account
  bool anonymous = false;           // "anonymous": nobody authenticated and no trunk recognised
  bool any_trunk = false;           // "trunk": a call from any trunk
  std::vector<std::string> trunks;  // "trunk:NAME"

  bool operator==(const Callers&) const = default;
};

// The toll-fraud brakes of a trunk rule when the rule does not set them.
inline constexpr uint32_t kTrunkMaxConcurrent = 2;
inline constexpr uint32_t kTrunkMaxPerHour = 20;
inline constexpr uint32_t kTrunkMaxDuration = 7200;

struct Rule {
  std::string name;   // unique; letters, digits, '-', '_'
  std::string match;  // RE2, matched against the whole dialled number
  RuleAction action = RuleAction::kReject;
  std::string to = "$0";  // the number to call: $0 the whole match, $1..$9 groups, $$ a '$'
  std::string trunk;      // for action "trunk"
  uint16_t status = 403;  // for action "reject": 400..699
  std::string reason;     // for action "reject"; "" gives the status's standard phrase
  Callers callers;
  std::vector<std::string> groups;    // the caller must be an account in one of them
  std::vector<std::string> sources;   // the caller's address must be in one of these categories
  std::vector<Transport> transports;  // empty: any
  std::vector<TimeWindow> times;      // empty: any time
  uint32_t max_concurrent = 0;        // per caller; 0: no limit
  uint32_t max_per_hour = 0;          // per caller; 0: no limit
  uint32_t max_duration = 0;          // seconds; 0: no limit
  Origin where;

  bool operator==(const Rule&) const = default;
};

// How numbers are written in the deployment's country. With a country code, every dialled
// number is normalised before any rule sees it (src/routing/numbering.h): "+49 900 1", "0049-900-1"
// and "+49 (0)9001" all become the national "09001", so that a bar on national numbers cannot be
// walked around; without one, numbers are matched as dialled.
struct Numbering {
  std::string country_code;                 // 1..3 digits, not starting with 0; "" = off
  std::string national_prefix = "0";        // 0..3 digits ("" where the country has none)
  std::string international_prefix = "00";  // 1..4 digits

  bool operator==(const Numbering&) const = default;
};

struct Dialplan {
  std::string include;  // as written, relative to the config file; "" when the rules are inline
  Numbering numbering;
  // RE2: caller IDs from trunks that look internal, besides the numbers `local` rules for
  // accounts match and the accounts themselves; "" = only those.
  std::string internal_numbers;
  std::vector<Rule> rules;

  bool operator==(const Dialplan&) const = default;
};

// The standard reason phrase of a status (RFC 3261 and later), or "" when there is none.
std::string_view status_phrase(uint16_t status);

}  // namespace hardline::config
