#pragma once
// Bans as an operator manages them (`hardline ban`, later the admin API): a network (one address
// or a CIDR block), how long, and why. The checks live here so that every way in refuses the
// same things; the guard's automatic bans go to the store directly but are described in the log
// by the same functions, so every ban and unban reads alike.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/network.h"
#include "common/result.h"
#include "store/store.h"

namespace hardline::admin {

// `hardline ban add` without --duration.
inline constexpr std::chrono::seconds kDefaultBanDuration = std::chrono::hours(1);
// The longest ban an operator may set: a forgotten ban ends on its own within a year.
inline constexpr std::chrono::seconds kMaxBanDuration = std::chrono::hours(24 * 365);
// In characters (code points). The reason goes into logs and the admin API.
inline constexpr size_t kMaxBanReasonLength = 200;

// "30s", "10m", "1h", "7d", "2w", or several in decreasing order ("1h30m", "1d12h"); each
// number is 1 to 9 digits. Nothing else: no sign, no spaces, no bare number. Zero ("0s") parses
// (add_ban refuses it).
std::optional<std::chrono::seconds> parse_duration(std::string_view text);
// The two largest non-zero units, truncated: "59m59s", "1d2h", "365d", "0s".
std::string format_duration(std::chrono::seconds duration);
// "2026-11-25T12:00:00Z".
std::string format_utc(int64_t unix_seconds);

// An address ("192.0.2.7", "2001:db8::1", "[::1]") or a CIDR network ("2001:db8:1:2::/64").
// IPv4-mapped IPv6 ("::ffff:192.0.2.7") is refused with the IPv4 form to use instead.
// The error says what is wrong, with the network the operator probably meant when host bits are
// set ("10.0.0.1/8").
Result<Network, std::string> parse_ban_network(std::string_view text);

// Empty, or up to kMaxBanReasonLength characters of valid UTF-8 with no control characters,
// line or paragraph separators or bidirectional overrides: it is printed on one log line.
Result<void, std::string> check_ban_reason(std::string_view reason);

// Bans `network` from now_unix for `duration` with `reason`, replacing any ban of the same
// network (the operator's word is the last). Refuses a duration outside (0, kMaxBanDuration], a
// bad reason, and a /0 network (it would lock everyone out, the operator included). A replaced
// automatic ban's repeat count is kept, so that the guard's back-off survives a manual ban.
// Returns the ban as stored.
Result<store::Ban, std::string> add_ban(store::Store& store, const Network& network,
                                        int64_t now_unix, std::chrono::seconds duration,
                                        std::string reason);
// Lifts the ban in force on exactly `network` (no containment) and returns it as it was. A ban
// that has expired counts as none: "no ban on NETWORK" (it is left for the server's purge, which
// keeps the back-off history). `why` (may be empty) is checked like a reason; it is not stored,
// only logged with ban_removed_event().
Result<store::Ban, std::string> remove_ban(store::Store& store, const Network& network,
                                           int64_t now_unix, std::string_view why = {});
// The bans in force at now_unix (until > now_unix), ordered by network.
Result<std::vector<store::Ban>, std::string> list_bans(store::Store& store, int64_t now_unix);

// The security-event line every ban and unban is logged with, e.g.
//   security event: ban added 192.0.2.7/32 until 2026-11-25T12:00:00Z (manual: scanner)
//   security event: ban added 203.0.113.9/32 until ... (automatic, repeat 2: flood)
//   security event: ban removed 192.0.2.7/32 (manual until 2026-11-25T12:00:00Z: scanner;
//   removed: false positive)
// Any character check_ban_reason would refuse is shown as '?', so a reason read back from the
// store cannot forge a log line either.
// `with_address` false (privacy mode "stats") leaves the banned network out of the line.
std::string ban_added_event(const store::Ban& ban, bool with_address = true);
std::string ban_removed_event(const store::Ban& ban, std::string_view why,
                              bool with_address = true);
// `text` made safe for one line of a log or a terminal the same way: what check_ban_reason
// refuses becomes '?', and more than kMaxBanReasonLength characters end in "...".
std::string printable(std::string_view text);

}  // namespace hardline::admin
