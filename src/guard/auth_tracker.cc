#include "guard/auth_tracker.h"

#include <algorithm>
#include <chrono>

#include "common/assert.h"
#include "guard/keys.h"
#include "guard/rate.h"

namespace hardline::guard {
namespace {

int64_t ns(std::chrono::seconds duration) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count();
}

// How many bytes of an account name an event carries: extensions are short, and the name is
// attacker-chosen.
constexpr size_t kMaxAccountInEvent = 64;

}  // namespace

void FailureWindow::reset(uint32_t threshold) {
  times_.assign(threshold, 0);
  sources_.assign(threshold, 0);
  next_ = 0;
  count_ = 0;
}

bool FailureWindow::add(int64_t now_ns, int64_t window_ns, uint32_t source) {
  HL_ASSERT(!times_.empty());
  const auto size = static_cast<uint32_t>(times_.size());
  times_[next_] = now_ns;
  sources_[next_] = source;
  next_ = (next_ + 1) % size;
  count_ = std::min(count_ + 1, size);
  // Full ring: next_ now holds the oldest of the last `size` failures.
  return count_ == size && now_ns - times_[next_] < window_ns;
}

uint32_t FailureWindow::distinct_sources() const {
  // At most kMaxAuthFailures entries: quadratic is fine, and this runs once per lockout.
  uint32_t distinct = 0;
  for (uint32_t i = 0; i < count_; ++i) {
    bool seen = false;
    for (uint32_t j = 0; j < i && !seen; ++j) seen = sources_[j] == sources_[i];
    if (!seen) ++distinct;
  }
  return distinct;
}

int64_t FailureWindow::newest() const {
  if (count_ == 0) return 0;
  const auto size = static_cast<uint32_t>(times_.size());
  return times_[(next_ + size - 1) % size];
}

AuthTracker::AuthTracker(const Settings& settings, const KeyedHash& hash)
    : source_threshold_(settings.source_auth_failures),
      source_window_ns_(ns(settings.source_auth_window)),
      account_threshold_(settings.account_auth_failures),
      account_window_ns_(ns(settings.account_auth_window)),
      lockout_ns_(ns(settings.lockout_duration)),
      max_lockout_ns_(ns(settings.max_lockout_duration)),
      recent_success_ns_(ns(settings.recent_success)),
      repeat_memory_ns_(ns(settings.repeat_memory)),
      hash_(hash),
      sources_(settings.max_entries),
      accounts_(settings.max_entries),
      successes_(settings.max_entries),
      authenticated_(settings.max_entries),
      locks_(settings.max_entries),
      devices_(settings.max_entries),
      callers_(settings.max_entries),
      throttles_(settings.max_entries) {}

AuthTracker::Failure AuthTracker::on_failure(const Network& group, uint64_t group_hash,
                                             std::string_view account, std::string_view instance,
                                             int64_t now_ns, int64_t now_unix, const Caller& caller,
                                             bool forgeable) {
  Failure outcome;
  bool repeat = false;
  if (!forgeable && !caller.call_id.empty()) {
    const uint64_t at = hash_account_at(hash_, account, group, scratch_);
    Throttle* throttle = throttles_.peek(at, at);
    // A throttle is forgotten a window after the last failure and the end of the last throttle;
    // while it is remembered so are the devices' failures (a throttle can outlast the window).
    if (throttle != nullptr &&
        now_ns - std::max(throttle->last_failure, throttle->until) >= source_window_ns_) {
      *throttle = Throttle{};
    }
    const bool remembered = throttle != nullptr && throttle->throttles > 0;
    const uint64_t key = hash_account_call(hash_, account, group, caller.call_id, scratch_);
    CallerState& device = callers_.find_or_insert(key, key).value;
    if (!remembered && now_ns - device.last_failure >= source_window_ns_) device.failures = 0;
    repeat = device.failures > 0 && caller.cseq > device.last_cseq;
    ++device.failures;
    device.last_cseq = caller.cseq;
    device.last_failure = now_ns;
    outcome.repeats = device.failures;
    // While a throttle is remembered, any failure of the account from the source throttles it
    // again (a guesser gains nothing by starting afresh with a new Call-ID once throttled).
    if (repeat || remembered) {
      if (throttle == nullptr) throttle = &throttles_.find_or_insert(at, at).value;
      ++throttle->repeats;
      throttle->last_failure = now_ns;
      if (throttle->repeats >= kRepeatFailures - 1) {
        outcome.first_throttle = throttle->throttles == 0;
        throttle->until = now_ns + backoff_ns(std::min(kFirstThrottleNs, max_lockout_ns_),
                                              max_lockout_ns_, throttle->throttles);
        ++throttle->throttles;
        outcome.throttled_until_ns = throttle->until;
      }
    }
  }
  if (!repeat) {
    auto [source, new_source] = sources_.find_or_insert(group, group_hash);
    if (new_source) source.failures.reset(source_threshold_);
    if (source.failures.add(now_ns, source_window_ns_)) {
      source.failures.clear();
      outcome.ban_source = true;
    }
  }

  if (const std::optional<uint64_t> device = known_device(group, account, instance, now_ns)) {
    // The account's own phone with a wrong password (or someone behind its address): its
    // failures are its own, so they cannot lock the account for anyone else, and they are
    // bounded like the account's.
    auto [state, new_device] = devices_.find_or_insert(*device, *device);
    if (new_device) state.failures.reset(account_threshold_);
    if (state.locked_until > now_ns) return outcome;
    if (state.failures.add(now_ns, account_window_ns_)) {
      state.failures.clear();
      state.locked_until = now_ns + lockout_ns_;
      device_locks_until_ = std::max(device_locks_until_, state.locked_until);
      outcome.device_locked = true;
    }
    return outcome;
  }

  const uint64_t key = hash_account(hash_, account, scratch_);
  if (lock_in_force(key, now_ns) != nullptr) return outcome;
  auto [state, new_account] = accounts_.find_or_insert(key, key);
  if (new_account) state.failures.reset(account_threshold_);
  if (state.failures.add(now_ns, account_window_ns_, static_cast<uint32_t>(group_hash))) {
    const uint32_t sources = state.failures.distinct_sources();
    state.failures.clear();
    lock(key, account, state, now_ns, now_unix, outcome);
    if (outcome.locked) outcome.locked->sources = sources;
  }
  return outcome;
}

std::optional<uint64_t> AuthTracker::known_device(const Network& group, std::string_view account,
                                                  std::string_view instance, int64_t now_ns) {
  if (recent_success_ns_ > 0) {
    const uint64_t at = hash_account_at(hash_, account, group, scratch_);
    if (const int64_t* until = successes_.peek(at, at); until != nullptr && *until > now_ns) {
      return at;
    }
    if (!instance.empty()) {
      const uint64_t device = hash_account_device(hash_, account, instance, scratch_);
      if (const int64_t* until = successes_.peek(device, device);
          until != nullptr && *until > now_ns) {
        return device;
      }
    }
  }
  if (!admissions_.empty()) {
    const uint64_t key = hash_account(hash_, account, scratch_);
    for (const Admission& admission : admissions_) {
      if (admission.account == key && admission.until_ns > now_ns &&
          (contains(admission.network, group.base) || contains(group, admission.network.base))) {
        return hash_account_at(hash_, account, group, scratch_);
      }
    }
  }
  return std::nullopt;
}

bool AuthTracker::admit(std::string_view account, const Network& network, int64_t until_ns) {
  const uint64_t key = hash_account(hash_, account, scratch_);
  for (Admission& admission : admissions_) {
    if (admission.account == key && admission.network == network) {
      admission.until_ns = until_ns;
      return true;
    }
  }
  if (admissions_.size() >= kMaxAdmissions) return false;
  admissions_.push_back(Admission{key, network, until_ns});
  return true;
}

std::optional<LockInfo> AuthTracker::unlock(std::string_view account) {
  const uint64_t key = hash_account(hash_, account, scratch_);
  if (Account* state = accounts_.peek(key, key)) state->failures.clear();
  if (locks_.peek(key, key) == nullptr) return std::nullopt;
  return remove_lock(key);
}

void AuthTracker::lock(uint64_t key, std::string_view account, Account& state, int64_t now_ns,
                       int64_t now_unix, Failure& outcome) {
  if (state.remember_until <= now_ns) state.lockouts = 0;
  const int64_t duration = backoff_ns(lockout_ns_, max_lockout_ns_, state.lockouts);
  ++state.lockouts;
  Lock lock;
  lock.account = printable(account, kMaxAccountInEvent);
  lock.until_ns = now_ns + duration;
  lock.until_unix = now_unix + duration / 1'000'000'000;
  lock.lockouts = state.lockouts;
  state.remember_until = lock.until_ns + repeat_memory_ns_;

  if (locks_.peek(key, key) != nullptr) {
    remove_lock(key);  // an ended lockout not yet expired
  } else if (locks_.size() == locks_.capacity()) {
    outcome.evicted = remove_lock(lock_ends_.begin()->second);
    ++lock_evictions_;
  }
  lock_ends_.emplace(lock.until_ns, key);
  outcome.locked = LockInfo{lock.account, lock.until_unix, lock.lockouts, 0};
  locks_.find_or_insert(key, key).value = std::move(lock);
}

LockInfo AuthTracker::remove_lock(uint64_t key) {
  Lock* lock = locks_.peek(key, key);
  HL_ASSERT(lock != nullptr);
  LockInfo info{std::move(lock->account), lock->until_unix, lock->lockouts, 0};
  lock_ends_.erase({lock->until_ns, key});
  locks_.erase(key, key);
  return info;
}

const AuthTracker::Lock* AuthTracker::lock_in_force(uint64_t key, int64_t now_ns) const {
  const Lock* lock = locks_.peek(key, key);
  return lock != nullptr && lock->until_ns > now_ns ? lock : nullptr;
}

void AuthTracker::on_success(const Network& group, uint64_t group_hash, std::string_view account,
                             std::string_view instance, int64_t now_ns, std::string_view call_id) {
  if (!call_id.empty()) {
    const uint64_t key = hash_account_call(hash_, account, group, call_id, scratch_);
    CallerState* device = callers_.peek(key, key);
    if (device != nullptr && device->failures > 0) {  // its password is right again
      const uint64_t at = hash_account_at(hash_, account, group, scratch_);
      throttles_.erase(at, at);
    }
    if (recent_success_ns_ > 0) {
      if (device == nullptr) device = &callers_.find_or_insert(key, key).value;
      *device = CallerState{};
      device->good_until = now_ns + recent_success_ns_;
    } else if (device != nullptr) {
      callers_.erase(key, key);
    }
  }
  if (recent_success_ns_ == 0) return;
  const uint64_t key = hash_account_at(hash_, account, group, scratch_);
  successes_.find_or_insert(key, key).value = now_ns + recent_success_ns_;
  devices_.erase(key, key);  // the device knows its password again: its failures are forgiven
  if (!instance.empty()) {
    const uint64_t device = hash_account_device(hash_, account, instance, scratch_);
    successes_.find_or_insert(device, device).value = now_ns + recent_success_ns_;
    devices_.erase(device, device);
  }
  authenticated_.find_or_insert(group, group_hash).value = now_ns + recent_success_ns_;
}

bool AuthTracker::throttled(const Network& group, std::string_view account,
                            std::string_view call_id, int64_t now_ns) {
  if (throttles_.size() == 0) return false;
  const uint64_t at = hash_account_at(hash_, account, group, scratch_);
  const Throttle* throttle = throttles_.peek(at, at);
  if (throttle == nullptr || throttle->until <= now_ns) return false;
  if (!call_id.empty()) {
    const uint64_t key = hash_account_call(hash_, account, group, call_id, scratch_);
    const CallerState* device = callers_.peek(key, key);
    if (device != nullptr && device->good_until > now_ns) return false;
  }
  return true;
}

bool AuthTracker::recently_authenticated(const Network& group, uint64_t group_hash,
                                         int64_t now_ns) const {
  const int64_t* until = authenticated_.peek(group, group_hash);
  return until != nullptr && *until > now_ns;
}

bool AuthTracker::locked_for(const Network& group, std::string_view account,
                             std::string_view instance, int64_t now_ns) {
  // The common case, nothing locked anywhere, costs no hashing.
  if (locks_.size() == 0 && device_locks_until_ <= now_ns) return false;
  if (const std::optional<uint64_t> device = known_device(group, account, instance, now_ns)) {
    const Device* state = devices_.peek(*device, *device);
    return state != nullptr && state->locked_until > now_ns;
  }
  return locks_.size() != 0 &&
         lock_in_force(hash_account(hash_, account, scratch_), now_ns) != nullptr;
}

std::vector<LockInfo> AuthTracker::expire(int64_t now_ns) {
  std::vector<LockInfo> lifted;
  while (!lock_ends_.empty() && lock_ends_.begin()->first <= now_ns) {
    lifted.push_back(remove_lock(lock_ends_.begin()->second));
  }
  // Each table is in recency order, which for these is the order of their last update: prune
  // from the old end while the oldest holds nothing any more.
  while (const SourceFailures* oldest = sources_.oldest_value()) {
    if (now_ns - oldest->failures.newest() < source_window_ns_) break;
    sources_.erase_oldest();
  }
  while (const int64_t* until = successes_.oldest_value()) {
    if (*until > now_ns) break;
    successes_.erase_oldest();
  }
  while (const int64_t* until = authenticated_.oldest_value()) {
    if (*until > now_ns) break;
    authenticated_.erase_oldest();
  }
  while (const CallerState* oldest = callers_.oldest_value()) {
    // Kept as long as a throttle of its account can be remembered (see on_failure).
    if (now_ns - oldest->last_failure < source_window_ns_ + max_lockout_ns_ ||
        oldest->good_until > now_ns) {
      break;
    }
    callers_.erase_oldest();
  }
  while (const Throttle* oldest = throttles_.oldest_value()) {
    if (now_ns - std::max(oldest->last_failure, oldest->until) < source_window_ns_) break;
    throttles_.erase_oldest();
  }
  while (const Device* oldest = devices_.oldest_value()) {
    if (now_ns - oldest->failures.newest() < account_window_ns_ || oldest->locked_until > now_ns) {
      break;
    }
    devices_.erase_oldest();
  }
  std::erase_if(admissions_, [&](const Admission& a) { return a.until_ns <= now_ns; });
  while (const Account* oldest = accounts_.oldest_value()) {
    if (now_ns - oldest->failures.newest() < account_window_ns_ ||
        oldest->remember_until > now_ns) {
      break;
    }
    accounts_.erase_oldest();
  }
  return lifted;
}

std::vector<LockInfo> AuthTracker::locks(int64_t now_ns) const {
  std::vector<LockInfo> out;
  for (const auto& [until, key] : lock_ends_) {
    if (until <= now_ns) continue;
    const Lock* lock = locks_.peek(key, key);
    out.push_back(LockInfo{lock->account, lock->until_unix, lock->lockouts, 0});
  }
  return out;
}

AuthTracker::TableSizes AuthTracker::sizes() const {
  TableSizes sizes;
  sizes.sources = sources_.size();
  sizes.accounts = accounts_.size();
  sizes.successes = successes_.size();
  sizes.authenticated = authenticated_.size();
  sizes.locks = locks_.size();
  sizes.callers = callers_.size();
  sizes.throttles = throttles_.size();
  sizes.source_evictions = sources_.evictions();
  sizes.account_evictions = accounts_.evictions();
  sizes.success_evictions = successes_.evictions();
  sizes.authenticated_evictions = authenticated_.evictions();
  sizes.lock_evictions = lock_evictions_;
  return sizes;
}

}  // namespace hardline::guard
