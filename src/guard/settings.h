#pragma once
// Every knob of the guard with its default. The defaults are sized for the case the guard must
// never break: one office of about 100 phones behind a single NAT address (see README.md for the
// arithmetic). config/ has a twin of this struct (Config::Guard, which must not include this
// layer); settings_from_config() maps it and a test keeps the two sets of defaults equal.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/network.h"

namespace hardline::guard {

// A token bucket: `per_second` tokens a second, at most `burst` at once (a fresh bucket is full).
struct Rate {
  uint32_t per_second = 0;
  uint32_t burst = 0;

  bool operator==(const Rate&) const = default;
};

// Case-insensitive names of known SIP scanners and attack tools, as they appear in a User-Agent
// or a From header (README.md says where each comes from). Legitimate tools are left out
// (sipsak, SIPp, baresip): the tests use them.
std::vector<std::string> default_scanner_signatures();

// Loopback, 127.0.0.0/8 and ::1: the host itself (the operator's tools, /health, the admin API).
std::vector<Network> default_protected_networks();

struct Settings {
  bool enabled = true;  // false: every check admits and nothing is counted or banned
  // Never banned automatically, never locked out of an account; still rate-limited. Nothing is
  // trusted by default, loopback included.
  std::vector<Network> trusted;
  // Never banned for what a forged source address can cause (rate-limit drops, scanner
  // signatures): anyone can send one datagram "from" a trunk or from 127.0.0.1. Still rate-
  // limited, scanner requests still dropped, and banned for authentication failures like anyone.
  // Loopback by default; the server adds every configured trunk's addresses (add_protected()).
  std::vector<Network> protected_networks = default_protected_networks();

  // Sources are grouped into networks of this many bits: one subscriber's IPv6 /64 is one source.
  uint8_t source_prefix_v4 = 32;
  uint8_t source_prefix_v6 = 64;

  // Per source group, before parsing.
  Rate packets{200, 400};
  Rate bytes{256 * 1024, 512 * 1024};  // burst at least one largest datagram (64 KiB)
  // Per source group and method class, after parsing.
  Rate register_requests{50, 100};
  Rate invite_requests{20, 40};
  Rate other_requests{50, 100};

  // Sustained abuse: this many drops (by any rate limit) within abuse_window bans the source.
  uint32_t abuse_drops = 500;  // 1..65535
  std::chrono::seconds abuse_window{10};
  // Automatic bans last ban_duration, doubled for each earlier automatic ban of the same network
  // that ended less than repeat_memory ago, up to max_ban_duration.
  std::chrono::seconds ban_duration{300};
  std::chrono::seconds max_ban_duration{86400};
  std::chrono::seconds repeat_memory{86400};  // also remembers account lockouts

  // Authentication failures in sliding windows (exact, to the nanosecond of the clock).
  uint32_t source_auth_failures = 10;  // from one source group: the source is banned
  std::chrono::seconds source_auth_window{600};
  uint32_t account_auth_failures = 20;  // for one account name, from anywhere: it is locked
  std::chrono::seconds account_auth_window{600};
  std::chrono::seconds lockout_duration{300};  // doubled on repeat like bans
  std::chrono::seconds max_lockout_duration{3600};
  // A source group that authenticated as an account this recently may still do so while the
  // account is locked; one that authenticated as anyone this recently is not banned for what a
  // forged source address can cause (rate limits, scanner signatures), and may use the TCP
  // connection slots kept from strangers. Zero: none of these.
  std::chrono::seconds recent_success{3600};

  std::vector<std::string> scanner_signatures = default_scanner_signatures();
  bool ban_scanners = true;  // false: a scanner's request is dropped, its source is not banned

  uint32_t max_entries = 100'000;  // per table of sources, accounts, successes, repeat counts
  uint32_t max_bans = 100'000;     // bans in force; when full the one that ends soonest goes

  bool operator==(const Settings&) const = default;
};

// The largest failure threshold accepted: the windows keep each failure's time.
inline constexpr uint32_t kMaxAuthFailures = 100;

}  // namespace hardline::guard
