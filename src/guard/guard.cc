#include "guard/guard.h"

#include <algorithm>
#include <utility>

#include "common/assert.h"
#include "guard/keys.h"

namespace hardline::guard {
namespace {

using std::chrono::seconds;

constexpr int64_t kNsPerSecond = 1'000'000'000;
// Longer than any ban or window anyone means; keeps every sum of times far inside int64.
constexpr seconds kMaxDuration = std::chrono::hours(24 * 3650);
// A reason is printed on one log line and stored; the operator's is checked by admin/ first.
constexpr size_t kMaxReason = 200;

int64_t ns(seconds duration) {
  return duration.count() * kNsPerSecond;
}

// "10s", "10m", "1h", "1d": the largest unit that divides it.
std::string duration_text(seconds duration) {
  const int64_t s = duration.count();
  if (s != 0 && s % 86400 == 0) return std::to_string(s / 86400) + "d";
  if (s != 0 && s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s != 0 && s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

bool in_range(seconds duration, seconds min) {
  return duration >= min && duration <= kMaxDuration;
}

uint8_t width(const IpAddress& address) {
  return address.v6 ? 128 : 32;
}

// Host bits clear, prefix within the family.
bool is_network(const Network& network) {
  return network.prefix <= width(network.base) && group_of(network.base, network.prefix) == network;
}

// Two networks overlap when they agree on the bits of the shorter prefix: banning an IPv6 /64
// would ban a protected /128 inside it, and banning a /128 inside a protected /64 would ban a
// part of it.
bool overlaps_any(const std::vector<Network>& networks, const Network& network) {
  return std::any_of(networks.begin(), networks.end(), [&](const Network& n) {
    if (n.base.v6 != network.base.v6) return false;
    const uint8_t shorter = std::min(n.prefix, network.prefix);
    return group_of(n.base, shorter) == group_of(network.base, shorter);
  });
}

void check_settings(const Settings& s) {
  HL_CHECK(s.source_prefix_v4 >= 1 && s.source_prefix_v4 <= 32);
  HL_CHECK(s.source_prefix_v6 >= 1 && s.source_prefix_v6 <= 128);
  HL_CHECK(s.abuse_drops >= 1 && s.abuse_drops <= UINT16_MAX);
  HL_CHECK(in_range(s.abuse_window, seconds(1)));
  HL_CHECK(in_range(s.ban_duration, seconds(1)) && s.ban_duration <= s.max_ban_duration);
  HL_CHECK(in_range(s.max_ban_duration, seconds(1)));
  HL_CHECK(in_range(s.repeat_memory, seconds(0)));
  HL_CHECK(s.source_auth_failures >= 1 && s.source_auth_failures <= kMaxAuthFailures);
  HL_CHECK(s.account_auth_failures >= 1 && s.account_auth_failures <= kMaxAuthFailures);
  HL_CHECK(in_range(s.source_auth_window, seconds(1)));
  HL_CHECK(in_range(s.account_auth_window, seconds(1)));
  HL_CHECK(in_range(s.lockout_duration, seconds(1)) &&
           s.lockout_duration <= s.max_lockout_duration);
  HL_CHECK(in_range(s.max_lockout_duration, seconds(1)));
  HL_CHECK(in_range(s.recent_success, seconds(0)));
  for (const Network& network : s.trusted) HL_CHECK(is_network(network));
  for (const Network& network : s.protected_networks) HL_CHECK(is_network(network));
  for (const std::string& signature : s.scanner_signatures) HL_CHECK(!signature.empty());
  // max_entries and max_bans are checked by the tables (1 to LruTable's kMaxCapacity).
}

}  // namespace

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::kAdmit:
      return "admit";
    case Verdict::kBanned:
      return "banned";
    case Verdict::kRateLimited:
      return "rate limited";
    case Verdict::kMethodRateLimited:
      return "method rate limited";
    case Verdict::kScanner:
      return "scanner";
  }
  return "unknown";
}

Guard::Guard(Settings settings, const Clock& clock, EventSink* sink)
    : settings_(std::move(settings)),
      clock_(clock),
      sink_(sink),
      hash_(KeyedHash::random()),
      packets_(settings_.packets),
      bytes_(settings_.bytes),
      methods_{TokenBucket(settings_.register_requests), TokenBucket(settings_.invite_requests),
               TokenBucket(settings_.other_requests)},
      sources_(settings_.max_entries),
      repeats_(settings_.max_entries),
      bans_(settings_.max_bans, hash_),
      auth_(settings_, hash_),
      signatures_(settings_.scanner_signatures) {
  check_settings(settings_);
  abuse_slot_ns_ = ns(settings_.abuse_window) / DropWindow::kSlots;
  source_idle_ns_ =
      std::max({ns(settings_.abuse_window), packets_.refill_ns(), bytes_.refill_ns(),
                methods_[0].refill_ns(), methods_[1].refill_ns(), methods_[2].refill_ns()});
  ban_ns_ = ns(settings_.ban_duration);
  max_ban_ns_ = ns(settings_.max_ban_duration);
  repeat_memory_ns_ = ns(settings_.repeat_memory);
  abuse_reason_ = "rate limits exceeded: " + std::to_string(settings_.abuse_drops) + " drops in " +
                  duration_text(settings_.abuse_window);
  source_auth_reason_ = std::to_string(settings_.source_auth_failures) +
                        " authentication failures in " +
                        duration_text(settings_.source_auth_window);
  account_auth_reason_ = std::to_string(settings_.account_auth_failures) +
                         " authentication failures in " +
                         duration_text(settings_.account_auth_window);
}

int64_t Guard::now_ns() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.now().time_since_epoch())
      .count();
}

Guard::Source Guard::source_of(const IpAddress& address) const {
  Source source;
  source.address = unmapped(address);
  source.group = group_of(
      source.address, source.address.v6 ? settings_.source_prefix_v6 : settings_.source_prefix_v4);
  source.hash = hash_network(hash_, source.group);
  return source;
}

Verdict Guard::admit(const IpAddress& address, size_t bytes) {
  if (!settings_.enabled) return Verdict::kAdmit;
  const int64_t now = now_ns();
  const Source source = source_of(address);
  if (bans_.banned(source.address, source.group, source.hash, now)) {
    ++counters_.dropped_banned;
    return Verdict::kBanned;
  }
  SourceState& state = sources_.find_or_insert(source.group, source.hash).value;
  state.last_seen = now;
  int64_t packets = 0;
  int64_t byte_state = 0;
  if (!packets_.fits(state.packets, now, 1, packets)) {
    ++counters_.dropped_packet_rate;
    return count_drop(state, source, now, Verdict::kRateLimited);
  }
  if (!bytes_.fits(state.bytes, now, bytes, byte_state)) {
    ++counters_.dropped_byte_rate;
    return count_drop(state, source, now, Verdict::kRateLimited);
  }
  state.packets = packets;
  state.bytes = byte_state;
  return Verdict::kAdmit;
}

Verdict Guard::admit_method(const IpAddress& address, std::string_view method) {
  if (!settings_.enabled) return Verdict::kAdmit;
  const int64_t now = now_ns();
  const Source source = source_of(address);
  SourceState& state = sources_.find_or_insert(source.group, source.hash).value;
  state.last_seen = now;
  const size_t kind = method == "REGISTER" ? 0 : method == "INVITE" ? 1 : 2;
  if (methods_[kind].take(state.methods[kind], now, 1)) return Verdict::kAdmit;
  ++counters_.dropped_method_rate;
  return count_drop(state, source, now, Verdict::kMethodRateLimited);
}

Verdict Guard::count_drop(SourceState& state, const Source& source, int64_t now, Verdict verdict) {
  if (state.drops.add(now / abuse_slot_ns_) >= settings_.abuse_drops) {
    state.drops.clear();
    // Touches other tables only: `state` stays valid.
    ban_automatically(source, abuse_reason_, true, now);
  }
  return verdict;
}

Verdict Guard::check_signatures(const IpAddress& address, std::string_view user_agent,
                                std::string_view from) {
  if (!settings_.enabled || signatures_.empty()) return Verdict::kAdmit;
  std::optional<size_t> hit = signatures_.find(user_agent);
  if (!hit) hit = signatures_.find(from);
  if (!hit) return Verdict::kAdmit;
  ++counters_.scanner_hits;
  if (settings_.ban_scanners) {
    ban_automatically(source_of(address), "scanner signature '" + signatures_.signature(*hit) + "'",
                      true, now_ns());
  }
  return Verdict::kScanner;
}

std::optional<Guard::Throttle> Guard::on_auth_failure(const IpAddress& address,
                                                      std::string_view account,
                                                      std::string_view instance, AuthFailure kind,
                                                      const Caller& caller) {
  if (!settings_.enabled) return std::nullopt;
  ++counters_.auth_failures;
  if (kind == AuthFailure::kForgeable) ++counters_.forged_failures;
  const int64_t now = now_ns();
  const Source source = source_of(address);
  AuthTracker::Failure outcome =
      auth_.on_failure(source.group, source.hash, account, instance, now, clock_.unix_seconds(),
                       caller, kind != AuthFailure::kPassword);
  if (outcome.evicted) {
    Event event;
    event.kind = Event::Kind::kAccountUnlocked;
    event.account = std::move(outcome.evicted->account);
    event.reason = "lockout table full";
    event.repeats = outcome.evicted->lockouts;
    emit(event);
  }
  if (outcome.device_locked) ++counters_.device_lockouts;
  if (outcome.locked) {
    ++counters_.lockouts;
    Event event;
    event.kind = Event::Kind::kAccountLocked;
    event.account = std::move(outcome.locked->account);
    event.until_unix = outcome.locked->until_unix;
    event.reason = account_auth_reason_;
    event.repeats = outcome.locked->lockouts;
    event.sources = outcome.locked->sources;
    emit(event);
  }
  if (outcome.ban_source) {
    ban_automatically(source, source_auth_reason_, kind == AuthFailure::kForgeable, now,
                      kind == AuthFailure::kAdminToken);
  }
  if (outcome.throttled_until_ns == 0) return std::nullopt;
  ++counters_.devices_throttled;
  return Throttle{clock_.unix_seconds() + (outcome.throttled_until_ns - now) / kNsPerSecond,
                  outcome.first_throttle};
}

bool Guard::throttled(const IpAddress& address, std::string_view account,
                      std::string_view call_id) {
  if (!settings_.enabled) return false;
  const Source source = source_of(address);
  if (!auth_.throttled(source.group, account, call_id, now_ns())) return false;
  ++counters_.auth_throttled;
  return true;
}

void Guard::on_auth_success(const IpAddress& address, std::string_view account,
                            std::string_view instance, std::string_view call_id) {
  if (!settings_.enabled) return;
  const Source source = source_of(address);
  auth_.on_success(source.group, source.hash, account, instance, now_ns(), call_id);
}

bool Guard::may_authenticate(const IpAddress& address, std::string_view account,
                             std::string_view instance) {
  if (!settings_.enabled) return true;
  const Source source = source_of(address);
  if (!auth_.locked_for(source.group, account, instance, now_ns())) return true;
  ++counters_.auth_refused;
  return false;
}

bool Guard::admit(std::string_view account, const Network& network, std::chrono::seconds duration) {
  if (duration.count() <= 0 || duration > std::chrono::hours(24) || network.prefix == 0) {
    return false;
  }
  return auth_.admit(
      account, network,
      now_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count());
}

bool Guard::unlock(std::string_view account, std::string_view reason) {
  std::optional<LockInfo> lifted = auth_.unlock(account);
  if (!lifted) return false;
  Event event;
  event.kind = Event::Kind::kAccountUnlocked;
  event.account = std::move(lifted->account);
  event.reason = std::string(reason);
  event.by_operator = true;
  event.repeats = lifted->lockouts;
  emit(event);
  return true;
}

bool Guard::trusted(const IpAddress& address) const {
  const IpAddress source = unmapped(address);
  return std::any_of(settings_.trusted.begin(), settings_.trusted.end(),
                     [&](const Network& network) { return contains(network, source); });
}

Network Guard::source_group(const IpAddress& address) const {
  return source_of(address).group;
}

bool Guard::recently_authenticated(const IpAddress& address) const {
  if (!settings_.enabled) return false;
  const Source source = source_of(address);
  return auth_.recently_authenticated(source.group, source.hash, now_ns());
}

bool Guard::overlaps_trusted(const Network& network) const {
  return overlaps_any(settings_.trusted, network);
}

bool Guard::add_protected(const Network& network) {
  if (!is_network(network) || network.prefix == 0) return false;
  std::vector<Network>& networks = settings_.protected_networks;
  if (std::find(networks.begin(), networks.end(), network) == networks.end()) {
    networks.push_back(network);
  }
  return true;
}

void Guard::ban_automatically(const Source& source, const std::string& reason, bool forgeable,
                              int64_t now, bool spare_protected) {
  const BanTable::Ban* existing = bans_.find(source.group, source.hash);
  if (existing != nullptr && existing->until_ns > now) return;  // one offence, one ban
  if (overlaps_trusted(source.group)) {
    ++counters_.bans_spared;
    return;
  }
  // Anyone can send a flood or a scanner's datagram "from" a trunk or from loopback: banning
  // them for it would let one forged packet cut the provider (or the operator) off.
  if ((forgeable || spare_protected) && overlaps_any(settings_.protected_networks, source.group)) {
    ++counters_.bans_spared_protected;
    return;
  }
  if (forgeable && auth_.recently_authenticated(source.group, source.hash, now)) {
    ++counters_.bans_spared;
    return;
  }
  Repeats& repeats = repeats_.find_or_insert(source.group, source.hash).value;
  if (repeats.remember_until <= now) repeats.bans = 0;
  const int64_t duration = backoff_ns(ban_ns_, max_ban_ns_, repeats.bans);
  ++repeats.bans;
  BanTable::Ban ban;
  ban.until_ns = now + duration;
  ban.until_unix = clock_.unix_seconds() + duration / kNsPerSecond;
  ban.reason = reason;
  ban.automatic = true;
  ban.repeats = repeats.bans;
  repeats.remember_until = ban.until_ns + repeat_memory_ns_;
  ++counters_.bans_automatic;
  put_ban(source.group, source.hash, std::move(ban), false);
}

void Guard::put_ban(const Network& network, uint64_t hash, BanTable::Ban ban, bool by_operator) {
  Event event;
  event.kind = Event::Kind::kBan;
  event.network = network;
  event.until_unix = ban.until_unix;
  event.reason = ban.reason;
  event.automatic = ban.automatic;
  event.by_operator = by_operator;
  event.repeats = ban.repeats;
  announce_eviction(bans_.put(network, hash, std::move(ban)));
  emit(event);
}

void Guard::announce_eviction(std::optional<BanInfo> evicted) {
  if (!evicted) return;
  Event event;
  event.kind = Event::Kind::kUnban;
  event.network = evicted->network;
  event.reason = "ban table full";
  event.automatic = evicted->automatic;
  event.repeats = evicted->repeats;
  emit(event);
}

uint32_t Guard::remembered_repeats(const Network& network, uint64_t hash, int64_t now) {
  const Repeats* repeats = repeats_.peek(network, hash);
  return repeats != nullptr && repeats->remember_until > now ? repeats->bans : 0;
}

bool Guard::ban(const Network& network, seconds duration, std::string_view reason) {
  if (!in_range(duration, seconds(1)) || !is_network(network) || network.prefix == 0) {
    return false;
  }
  const uint64_t hash = hash_network(hash_, network);
  const int64_t now = now_ns();
  BanTable::Ban ban;
  ban.until_ns = now + ns(duration);
  ban.until_unix = clock_.unix_seconds() + duration.count();
  ban.reason = printable(reason, kMaxReason);
  ban.automatic = false;
  ban.repeats = remembered_repeats(network, hash, now);  // kept for the automatic bans to come
  ++counters_.bans_manual;
  put_ban(network, hash, std::move(ban), true);
  return true;
}

bool Guard::restore_ban(const BanInfo& info) {
  if (!is_network(info.network) || info.network.prefix == 0) return false;
  const uint64_t hash = hash_network(hash_, info.network);
  const int64_t now = now_ns();
  const int64_t remaining = info.until_unix - clock_.unix_seconds();  // seconds; may be <= 0
  if (remaining > kMaxDuration.count()) return false;
  if (info.automatic && info.repeats > 0) {
    const int64_t remember_until = now + remaining * kNsPerSecond + repeat_memory_ns_;
    if (remember_until > now) {
      const uint32_t remembered = remembered_repeats(info.network, hash, now);
      Repeats& repeats = repeats_.find_or_insert(info.network, hash).value;
      repeats.bans = std::max(remembered, info.repeats);
      repeats.remember_until = std::max(repeats.remember_until, remember_until);
    }
  }
  if (remaining <= 0) return false;
  if (info.automatic && overlaps_trusted(info.network)) return false;
  BanTable::Ban ban;
  ban.until_ns = now + remaining * kNsPerSecond;
  ban.until_unix = info.until_unix;
  ban.reason = printable(info.reason, kMaxReason);
  ban.automatic = info.automatic;
  ban.repeats = info.repeats;
  announce_eviction(bans_.put(info.network, hash, std::move(ban)));
  return true;
}

bool Guard::unban(const Network& network, std::string_view reason) {
  const uint64_t hash = hash_network(hash_, network);
  const BanTable::Ban* ban = bans_.find(network, hash);
  if (ban == nullptr || ban->until_ns <= now_ns()) return false;  // an ended ban counts as none
  std::optional<BanTable::Ban> removed = bans_.remove(network, hash);
  ++counters_.unbans_manual;
  Event event;
  event.kind = Event::Kind::kUnban;
  event.network = network;
  event.reason = printable(reason, kMaxReason);
  event.automatic = removed->automatic;
  event.by_operator = true;
  event.repeats = removed->repeats;
  emit(event);
  return true;
}

std::vector<BanInfo> Guard::bans() const {
  return bans_.list(now_ns());
}

std::vector<LockInfo> Guard::locks() const {
  return auth_.locks(now_ns());
}

void Guard::expire() {
  const int64_t now = now_ns();
  for (BanInfo& ended : bans_.expire(now)) {
    ++counters_.bans_ended;
    Event event;
    event.kind = Event::Kind::kUnban;
    event.network = ended.network;
    event.reason = "ban ended";
    event.automatic = ended.automatic;
    event.repeats = ended.repeats;
    emit(event);
  }
  for (LockInfo& lifted : auth_.expire(now)) {
    ++counters_.lockouts_ended;
    Event event;
    event.kind = Event::Kind::kAccountUnlocked;
    event.account = std::move(lifted.account);
    event.reason = "lockout ended";
    event.repeats = lifted.lockouts;
    emit(event);
  }
  // Recency order is the order of last use: prune from the old end while nothing is held.
  while (const SourceState* oldest = sources_.oldest_value()) {
    if (now - oldest->last_seen < source_idle_ns_) break;
    sources_.erase_oldest();
  }
  while (const Repeats* oldest = repeats_.oldest_value()) {
    if (oldest->remember_until > now) break;
    repeats_.erase_oldest();
  }
}

Counters Guard::counters() const {
  Counters out = counters_;
  auto table = [](const auto& t) { return Counters::Table{t.size(), t.capacity(), t.evictions()}; };
  out.sources = table(sources_);
  out.repeats = table(repeats_);
  out.bans = table(bans_);
  const AuthTracker::TableSizes auth = auth_.sizes();
  const uint32_t capacity = settings_.max_entries;
  out.auth_sources = {auth.sources, capacity, auth.source_evictions};
  out.accounts = {auth.accounts, capacity, auth.account_evictions};
  out.successes = {auth.successes, capacity, auth.success_evictions};
  out.authenticated = {auth.authenticated, capacity, auth.authenticated_evictions};
  out.locks = {auth.locks, capacity, auth.lock_evictions};
  return out;
}

void Guard::emit(const Event& event) {
  if (sink_ != nullptr) sink_->on_event(event);
}

}  // namespace hardline::guard
