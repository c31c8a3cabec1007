#pragma once
// AuthTracker: authentication failures per source group and per account name in sliding
// windows, account lockouts with back-off, and who authenticated recently as whom. It decides;
// Guard bans the sources and announces the lockouts. Every table is a bounded LRU, filled only
// by authentication attempts: a flood of forged source addresses (which never gets that far,
// since digest nonces are bound to the address they were sent to) cannot flush it.
//
// Account names are never looked up anywhere: a name that exists and one that does not are
// counted, locked and reported alike.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/network.h"
#include "common/siphash.h"
#include "guard/lru_table.h"
#include "guard/settings.h"

namespace hardline::guard {

// The times of the last `threshold` failures: "threshold failures within the window" is then
// exact, whatever the spacing, in threshold x 8 bytes.
class FailureWindow {
 public:
  void reset(uint32_t threshold);
  // Records a failure at `now_ns` from the source group whose hash's low bits are `source`;
  // true when this one and the threshold - 1 before it all fall within `window_ns` (the oldest
  // less than window_ns ago).
  bool add(int64_t now_ns, int64_t window_ns, uint32_t source = 0);
  void clear() { count_ = 0; }
  // The time of the latest failure; 0 when none is recorded.
  int64_t newest() const;
  // How many different sources the recorded failures came from.
  uint32_t distinct_sources() const;

 private:
  std::vector<int64_t> times_;  // a ring; next_ is the oldest once it is full
  std::vector<uint32_t> sources_;
  uint32_t next_ = 0;
  uint32_t count_ = 0;
};

// An account's locked state as reported.
struct LockInfo {
  std::string account;  // as first written in a failed attempt, made printable, at most 64 bytes
  int64_t until_unix = 0;
  uint32_t lockouts = 0;  // lockouts of this account remembered, this one included
  uint32_t sources = 0;   // source groups the failures that locked it came from (0: not known)

  bool operator==(const LockInfo&) const = default;
};

// A device's request: its Call-ID and CSeq number (RFC 3261 §10.2: a phone keeps its Call-ID
// across its REGISTERs and counts CSeq up by one each time).
struct Caller {
  std::string_view call_id;
  uint32_t cseq = 0;
};

class AuthTracker {
 public:
  AuthTracker(const Settings& settings, const KeyedHash& hash);

  struct Failure {
    bool ban_source = false;          // the group reached its threshold (its window is reset)
    std::optional<LockInfo> locked;   // the account reached its threshold and is now locked
    std::optional<LockInfo> evicted;  // a lockout that made room in a full table: now lifted
    bool device_locked = false;       // a known device reached its own threshold
    // This failure throttled the account from its source group until this time (0: it did not);
    // first_throttle: the first time in this episode (the one worth a log line).
    int64_t throttled_until_ns = 0;
    bool first_throttle = false;
    uint32_t repeats = 0;  // failures of this device (its Call-ID) within source_auth_window
  };
  // A device's failures, for one account from one source, before that account is throttled from
  // that source: the first counts against the source's ban threshold, the next are repeats.
  static constexpr uint32_t kRepeatFailures = 3;
  static constexpr int64_t kFirstThrottleNs = 10'000'000'000;  // doubled each time, up to
                                                               // max_lockout_duration
  // Counts a failure of `group` (whose hash is `group_hash`) as `account`, from the device that
  // calls itself `instance` (empty: unnamed). A known device of the account (see locked_for)
  // counts in a window of its own and can only lock itself out; anyone else counts against the
  // account. Failures for an account already locked are not counted against it (only against
  // the source).
  //
  // `caller` tells a phone with a mistyped password from a guesser (issue 13, item 3). A failure
  // is a repeat when the same device (account, source group, Call-ID) failed before within
  // source_auth_window and its CSeq has since gone up, as a phone's does each time it answers a
  // fresh challenge. A repeat does not count against the source's ban threshold (an office's
  // shared address is not banned for one broken phone); instead the account is throttled from
  // that source group from the device's kRepeatFailures-th failure on: 10 s, doubling with each
  // repeat after a throttle, up to max_lockout_duration (see throttled()). Every other failure
  // counts against the source as before: a tool that starts each guess afresh or keeps its CSeq
  // (svcrack) is banned at the threshold, and one that behaves like a phone gains nothing by
  // changing its Call-ID, since the throttle holds the account from the source, not the
  // Call-ID. A `forgeable` failure (over a nonce never sent to the source: anyone can send it
  // "from" an office) or one without a Call-ID is never a repeat and never throttles.
  Failure on_failure(const Network& group, uint64_t group_hash, std::string_view account,
                     std::string_view instance, int64_t now_ns, int64_t now_unix,
                     const Caller& caller = {}, bool forgeable = true);
  // Whether `account` is throttled from `group` at `now_ns` for the device `call_id`: its
  // credentials are then not verified at all (so nothing is learned from them). A device whose
  // Call-ID authenticated as the account from that group within recent_success (the office's
  // good phone sharing the account) is never throttled.
  bool throttled(const Network& group, std::string_view account, std::string_view call_id,
                 int64_t now_ns);
  void on_success(const Network& group, uint64_t group_hash, std::string_view account,
                  std::string_view instance, int64_t now_ns, std::string_view call_id = {});
  // Whether `group` authenticated successfully (as anyone) within recent_success.
  bool recently_authenticated(const Network& group, uint64_t group_hash, int64_t now_ns) const;
  // Whether `account` is locked at `now_ns` for this source and device. A known device (its
  // source group or its instance authenticated as the account within recent_success, or the
  // operator admitted its network) is never held by the account's lockout, only by a lock of
  // its own (account_auth_failures of its own within the window); everyone else is held by the
  // account's lockout. Trust in the source changes nothing here.
  bool locked_for(const Network& group, std::string_view account, std::string_view instance,
                  int64_t now_ns);

  // The operator lets devices in `network` authenticate as `account` while it is locked, until
  // `until_ns`, as known devices (each with its own failure allowance). False when the table of
  // such admissions (kMaxAdmissions) is full of others.
  bool admit(std::string_view account, const Network& network, int64_t until_ns);
  // Lifts the account's lockout (if any) and forgets its failures; the lifted lock, if there was
  // one. The back-off count stays: an attacker who locks it again locks it for longer.
  std::optional<LockInfo> unlock(std::string_view account);
  static constexpr size_t kMaxAdmissions = 1024;

  // Lifts the lockouts that have ended, and drops entries that no longer hold anything (idle
  // failure windows, old successes and repeat counts). Returns the lockouts lifted.
  std::vector<LockInfo> expire(int64_t now_ns);
  // The lockouts in force, soonest ending first.
  std::vector<LockInfo> locks(int64_t now_ns) const;

  struct TableSizes {
    uint32_t sources = 0, accounts = 0, successes = 0, authenticated = 0, locks = 0, callers = 0,
             throttles = 0;
    uint64_t source_evictions = 0, account_evictions = 0, success_evictions = 0,
             authenticated_evictions = 0, lock_evictions = 0;
  };
  TableSizes sizes() const;

 private:
  struct SourceFailures {
    FailureWindow failures;
  };
  struct Device {  // a known device's own failures and lock, per account
    FailureWindow failures;
    int64_t locked_until = 0;
  };
  struct CallerState {      // one device (account, source group, Call-ID)
    uint32_t failures = 0;  // within source_auth_window of the last
    uint32_t last_cseq = 0;
    int64_t last_failure = 0;
    int64_t good_until = 0;  // it authenticated: never throttled until then
  };
  struct Throttle {  // one account from one source group
    uint32_t repeats = 0;
    uint32_t throttles = 0;  // for the doubling
    int64_t last_failure = 0;
    int64_t until = 0;
  };
  struct Admission {
    uint64_t account = 0;  // hash_account()
    Network network;
    int64_t until_ns = 0;
  };
  struct Account {
    FailureWindow failures;
    uint32_t lockouts = 0;       // remembered lockouts, for the back-off
    int64_t remember_until = 0;  // until then `lockouts` counts; after it starts again at 0
  };
  struct Lock {
    std::string account;
    int64_t until_ns = 0;
    int64_t until_unix = 0;
    uint32_t lockouts = 0;
  };

  void lock(uint64_t key, std::string_view account, Account& state, int64_t now_ns,
            int64_t now_unix, Failure& outcome);
  const Lock* lock_in_force(uint64_t key, int64_t now_ns) const;
  // The key of the device's own window when it is a known device of `account`, else nullopt.
  std::optional<uint64_t> known_device(const Network& group, std::string_view account,
                                       std::string_view instance, int64_t now_ns);
  LockInfo remove_lock(uint64_t key);

  uint32_t source_threshold_;
  int64_t source_window_ns_;
  uint32_t account_threshold_;
  int64_t account_window_ns_;
  int64_t lockout_ns_;
  int64_t max_lockout_ns_;
  int64_t recent_success_ns_;
  int64_t repeat_memory_ns_;
  KeyedHash hash_;
  std::string scratch_;  // for hashing names without allocating each time

  LruTable<Network, SourceFailures> sources_;
  LruTable<uint64_t, Account> accounts_;      // keyed by hash_account()
  LruTable<uint64_t, int64_t> successes_;     // hash_account_at() -> until when it counts
  LruTable<Network, int64_t> authenticated_;  // source group -> until when it counts
  LruTable<uint64_t, Lock> locks_;            // evicted by end, never by recency
  std::set<std::pair<int64_t, uint64_t>> lock_ends_;
  uint64_t lock_evictions_ = 0;
  LruTable<uint64_t, Device> devices_;       // known devices that failed, by their key
  LruTable<uint64_t, CallerState> callers_;  // hash_account_call() -> its failures
  LruTable<uint64_t, Throttle> throttles_;   // hash_account_at() -> its repeats and throttle
  int64_t device_locks_until_ = 0;           // no device lock lasts beyond this
  std::vector<Admission> admissions_;
};

}  // namespace hardline::guard
