#pragma once
// Guard: flood protection, brute-force lockout and scanner resistance, as a pure library. The
// server calls it on its event loop thread (it is not thread-safe) at three points of a
// request's path: admit() before parsing, admit_method() and check_signatures() after, and the
// on_auth_*() / may_authenticate() calls around digest verification. Time comes only from the
// injected Clock; nothing here does I/O, allocates on the path of a known source, or throws.
//
// Every table is bounded (Settings::max_entries, max_bans) and hashed with a secret key, so
// memory stays flat under a flood from random sources, IPv6 included. Bans and lockouts are
// security events, handed to an EventSink as they happen.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/network.h"
#include "common/siphash.h"
#include "guard/auth_tracker.h"
#include "guard/ban_table.h"
#include "guard/lru_table.h"
#include "guard/rate.h"
#include "guard/settings.h"
#include "guard/signatures.h"

namespace hardline::guard {

enum class Verdict : uint8_t {
  kAdmit,
  kBanned,             // the source is inside a ban
  kRateLimited,        // the source's packets or bytes are over their limit
  kMethodRateLimited,  // the source's requests of this method class are over their limit
  kScanner,            // a scanner signature (the source is now banned, unless spared)
};
// Every verdict but kAdmit means: drop silently, answer nothing.
std::string_view to_string(Verdict verdict);

// What kind of authentication failure the server reports.
enum class AuthFailure : uint8_t {
  // A wrong password (or unknown account, or a refusal) over a nonce this server sent to the
  // source: only the source's owner can cause it.
  kPassword,
  // Credentials over a nonce this server never sent to the source (made up, another address's):
  // a forged UDP source address can cause it, so it bans only like a rate limit does (never a
  // trusted or recently authenticated source).
  kForgeable,
  // A wrong admin API token (issue 13, item 13). Counts against the source like a password, but
  // never bans a guard.protected network: a token is 256 random bits, nothing guesses it, and
  // the cost of checking is bounded elsewhere, whereas banning loopback for a Prometheus that
  // still holds the old token would cut the operator off from the admin API, /health and SIP.
  kAdminToken,
};

// A security event: every ban, unban, lockout and its end, with its reason.
struct Event {
  enum class Kind : uint8_t { kBan, kUnban, kAccountLocked, kAccountUnlocked };
  Kind kind = Kind::kBan;
  Network network;         // kBan, kUnban
  std::string account;     // kAccountLocked, kAccountUnlocked: printable, at most 64 bytes
  int64_t until_unix = 0;  // kBan, kAccountLocked; 0 for the others
  // kBan: why ("rate limits exceeded: 500 drops in 10s", "scanner signature 'sipcli'",
  // "10 authentication failures in 10m", or the operator's words). kUnban: why it ended ("ban
  // ended", "ban table full", or the operator's words). The lockouts likewise.
  std::string reason;
  bool automatic = false;    // kBan, kUnban: the ban is the guard's own, not an operator's
  bool by_operator = false;  // caused by ban(), unban() or unlock(), not by the guard itself
  // kAccountLocked: how many source groups the failures that locked it came from.
  uint32_t sources = 0;
  // kBan: the automatic bans of this network remembered, this one included if automatic (the
  // store keeps it for the back-off across restarts). kAccountLocked: the lockouts likewise.
  uint32_t repeats = 0;

  bool operator==(const Event&) const = default;
};

// Receives events synchronously, from inside the Guard call that caused them. It must not call
// back into the Guard.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_event(const Event& event) = 0;
};

struct Counters {
  uint64_t dropped_banned = 0;       // datagrams from banned sources
  uint64_t dropped_packet_rate = 0;  // datagrams over the packet rate
  uint64_t dropped_byte_rate = 0;    // datagrams over the byte rate
  uint64_t dropped_method_rate = 0;  // requests over their method's rate
  uint64_t scanner_hits = 0;         // requests with a scanner signature (all dropped)
  uint64_t bans_automatic = 0;
  uint64_t bans_manual = 0;  // by ban(); restore_ban() counts nowhere
  // Automatic bans not made: the source is trusted, or (for a reason a forged source address
  // can cause) it authenticated recently.
  uint64_t bans_spared = 0;
  // Automatic bans not made for a reason a forged source address can cause (rate limits,
  // scanner signatures) because the source is protected: loopback, a trunk.
  uint64_t bans_spared_protected = 0;
  uint64_t bans_ended = 0;
  uint64_t unbans_manual = 0;
  uint64_t auth_failures = 0;
  uint64_t auth_refused = 0;  // may_authenticate() said no
  uint64_t lockouts = 0;
  uint64_t lockouts_ended = 0;
  uint64_t device_lockouts = 0;    // known devices that used up their own failure allowance
  uint64_t forged_failures = 0;    // auth failures over nonces not issued to the source
  uint64_t devices_throttled = 0;  // an account throttled from a source for a failing device
  uint64_t auth_throttled = 0;     // requests of a throttled device refused unverified

  struct Table {
    uint32_t entries = 0;
    uint32_t capacity = 0;
    uint64_t evictions = 0;  // entries dropped to make room (bans and locks: ending soonest)
  };
  Table sources;  // rate state per source group
  Table repeats;  // automatic bans remembered per network, for the back-off
  Table bans;
  Table auth_sources;   // authentication failures per source group
  Table accounts;       // authentication failures and lockout back-off per account name
  Table successes;      // recent successful authentications per account and source group
  Table authenticated;  // source groups with a recent successful authentication
  Table locks;
};

class Guard {
 public:
  // Aborts (start-up only) on settings that make no sense: zero rates, a default ban longer
  // than the maximum, a failure threshold above kMaxAuthFailures, a trusted network with host
  // bits set, an empty signature. `sink` may be null (no events); both outlive the Guard.
  Guard(Settings settings, const Clock& clock, EventSink* sink = nullptr);
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

  // Start-up only: `network` joins Settings::protected_networks (the server adds its trunks'
  // addresses). False (nothing done) for host bits set or a /0.
  bool add_protected(const Network& network);

  // Before parsing, for every datagram (or TCP message) of `bytes` bytes. kBanned costs one
  // hash lookup (one more per other prefix length with a ban in force); then a packet and a
  // byte bucket per source group. Drops count towards sustained abuse: abuse_drops of them
  // within abuse_window ban the group (ban_duration, doubling on repeat up to
  // max_ban_duration), unless it is trusted, protected or authenticated within recent_success
  // (a forged source address can cause drops; see README.md).
  Verdict admit(const IpAddress& source, size_t bytes);
  // After parsing, for each request: a bucket per source group and method class (REGISTER,
  // INVITE, every other method together). Methods are case-sensitive, as in SIP. Drops count
  // towards sustained abuse as admit()'s do.
  Verdict admit_method(const IpAddress& source, std::string_view method);
  // After parsing, for each request: the User-Agent and From header values against the
  // scanner signatures (whole words, any case). A match is kScanner and bans the source group
  // (if ban_scanners, unless trusted, protected or authenticated within recent_success).
  Verdict check_signatures(const IpAddress& source, std::string_view user_agent,
                           std::string_view from);

  // A request with credentials that did not authenticate as `account`, from the device that
  // names itself `instance` (RFC 5626 +sip.instance; empty when it does not). kPassword: a wrong
  // response (whether the account exists or not), a replay, or a refusal by may_authenticate(),
  // over a nonce this server issued to this source; kForgeable: over any other nonce. Never
  // called for a request without credentials or a right password over a stale nonce. Past
  // source_auth_failures within source_auth_window the source group is banned (a kForgeable one
  // spares trusted and recently authenticated groups); past account_auth_failures within
  // account_auth_window the account is locked, except that the failures of a known device
  // (see may_authenticate) count in a window of its own and lock only that device.
  //
  // `caller` is the request's Call-ID and CSeq: a device that fails for one account over and
  // over with one Call-ID and a rising CSeq (a phone with a mistyped password) counts once
  // against its source's ban threshold, and the account is throttled from that source instead
  // (throttled()), so that one phone cannot get its whole office banned (issue 13, item 3; see
  // AuthTracker::on_failure). The result says when this failure throttled it.
  struct Throttle {
    int64_t until_unix = 0;
    bool first = false;  // the first throttle of this account from this source in a while
  };
  std::optional<Throttle> on_auth_failure(const IpAddress& source, std::string_view account,
                                          std::string_view instance = {},
                                          AuthFailure kind = AuthFailure::kPassword,
                                          const Caller& caller = {});
  void on_auth_success(const IpAddress& source, std::string_view account,
                       std::string_view instance = {}, std::string_view call_id = {});
  // True while `account` is throttled from this source's group for the device `call_id`: the
  // server then verifies nothing and answers 403 (counted as auth_throttled).
  bool throttled(const IpAddress& source, std::string_view account, std::string_view call_id);
  // False while `account` is locked for this source and device. A locked account still
  // authenticates from its known devices: source groups that authenticated as it within
  // recent_success, devices whose +sip.instance did, and networks the operator admitted with
  // admit(); each of those has an allowance of failures of its own. Trusted sources get no
  // exemption here: trust spares them from bans, never from the guessing limit. The server then
  // verifies nothing and answers exactly as to a wrong password (and calls on_auth_failure()).
  bool may_authenticate(const IpAddress& source, std::string_view account,
                        std::string_view instance = {});

  // The operator's way to let a new device in while the account is under attack: sources in
  // `network` count as known devices of `account` for `duration`. False when the duration is
  // outside (0, 1 day], the network is a /0, or too many admissions are in force.
  bool admit(std::string_view account, const Network& network, std::chrono::seconds duration);
  // Lifts `account`'s lockout and forgets its failures (an kAccountUnlocked event with
  // by_operator when it was locked). False when it was not locked.
  bool unlock(std::string_view account, std::string_view reason);

  // An operator's ban of `network` for `duration`, replacing any ban of the same network.
  // Trusted networks can be banned this way: the operator asked. False (nothing done) for a
  // duration outside (0, 10 years], host bits set, or a /0 (everyone, the operator included).
  bool ban(const Network& network, std::chrono::seconds duration, std::string_view reason);
  // A ban read back from the store at start-up: in force until its until_unix, no event. An
  // automatic ban's repeats restore its back-off, even when the ban itself has ended (within
  // repeat_memory of its end). An automatic ban of a network now trusted is not restored.
  // True when the ban is now in force.
  bool restore_ban(const BanInfo& ban);
  // Lifts the ban in force on exactly `network` (no containment). False when there is none.
  bool unban(const Network& network, std::string_view reason);
  // The bans in force, soonest ending first.
  std::vector<BanInfo> bans() const;
  // The account lockouts in force, soonest ending first.
  std::vector<LockInfo> locks() const;

  // Ends the bans and lockouts whose time is up (emitting their events) and drops table entries
  // that hold nothing any more. Bans and lockouts are enforced to the nanosecond whether or not
  // this runs; the server calls it about once a second.
  void expire();

  Counters counters() const;
  bool trusted(const IpAddress& source) const;
  // The source group `source` is counted in here (source_prefix_v4 / source_prefix_v6 bits of
  // its unmapped address), for limits kept elsewhere: TCP connections per source.
  Network source_group(const IpAddress& source) const;
  // Whether `source`'s group authenticated successfully (as anyone) within recent_success;
  // false while the guard is disabled. For what is kept for known sources: reserved TCP slots.
  bool recently_authenticated(const IpAddress& source) const;
  const Settings& settings() const { return settings_; }

 private:
  struct SourceState {
    int64_t packets = 0;  // TokenBucket states
    int64_t bytes = 0;
    std::array<int64_t, 3> methods{};  // REGISTER, INVITE, other
    int64_t last_seen = 0;
    DropWindow drops;
  };
  struct Repeats {
    uint32_t bans = 0;           // automatic bans of this network remembered
    int64_t remember_until = 0;  // when `bans` is forgotten
  };
  struct Source {  // a source address as the tables see it
    IpAddress address;
    Network group;
    uint64_t hash = 0;
  };

  int64_t now_ns() const;
  Source source_of(const IpAddress& address) const;
  Verdict count_drop(SourceState& state, const Source& source, int64_t now, Verdict verdict);
  // `forgeable`: a forged source address can cause it (rate limits, scanner signatures), so a
  // protected source group, or one that authenticated recently, is spared. `spare_protected`
  // alone (wrong admin tokens) spares protected groups only. Trusted ones are always spared.
  void ban_automatically(const Source& source, const std::string& reason, bool forgeable,
                         int64_t now, bool spare_protected = false);
  void put_ban(const Network& network, uint64_t hash, BanTable::Ban ban, bool by_operator);
  void announce_eviction(std::optional<BanInfo> evicted);
  uint32_t remembered_repeats(const Network& network, uint64_t hash, int64_t now);
  bool overlaps_trusted(const Network& network) const;
  void emit(const Event& event);

  Settings settings_;
  const Clock& clock_;
  EventSink* sink_;
  KeyedHash hash_;

  TokenBucket packets_;
  TokenBucket bytes_;
  std::array<TokenBucket, 3> methods_;
  int64_t abuse_slot_ns_ = 0;
  int64_t source_idle_ns_ = 0;  // after this long a source's entry holds nothing
  int64_t ban_ns_ = 0;
  int64_t max_ban_ns_ = 0;
  int64_t repeat_memory_ns_ = 0;
  std::string abuse_reason_;
  std::string source_auth_reason_;
  std::string account_auth_reason_;

  LruTable<Network, SourceState> sources_;
  LruTable<Network, Repeats> repeats_;
  BanTable bans_;
  AuthTracker auth_;
  SignatureMatcher signatures_;
  Counters counters_;
};

}  // namespace hardline::guard
