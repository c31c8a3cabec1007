#include "routing/brakes.h"

#include <chrono>

namespace hardline::routing {
std::string_view brake_name(Brake brake) {
  switch (brake) {
    case Brake::kConcurrent:
      return "max_concurrent";
    case Brake::kPerHour:
      return "max_per_hour";
    case Brake::kCapacity:
      break;
  }
  return "capacity";
}

Brakes::Brakes(const Clock& clock, size_t max_entries)
    : clock_(clock), max_entries_(max_entries == 0 ? 1 : max_entries) {}

int64_t Brakes::minute_now() const {
  return std::chrono::duration_cast<std::chrono::minutes>(clock_.now().time_since_epoch()).count();
}

uint32_t Brakes::advance(Entry& entry, int64_t minute) {
  const int64_t passed = minute - entry.minute;
  if (passed >= static_cast<int64_t>(kBuckets)) {
    entry.starts.fill(0);
  } else {
    for (int64_t m = entry.minute + 1; m <= minute; ++m) {
      entry.starts[static_cast<size_t>(m % static_cast<int64_t>(kBuckets))] = 0;
    }
  }
  if (passed > 0) entry.minute = minute;
  uint32_t count = 0;
  for (uint16_t started : entry.starts) count += started;
  return count;
}

void Brakes::sweep(SteadyTime now) {
  if (swept_ && now - last_sweep_ < std::chrono::seconds(1)) return;
  swept_ = true;
  last_sweep_ = now;
  const int64_t minute = minute_now();
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.running == 0 && advance(it->second, minute) == 0) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

Result<BrakeTicket, Brake> Brakes::try_start(std::string_view caller, uint32_t rule,
                                             const BrakeLimits& limits) {
  if (limits.max_concurrent == 0 && limits.max_per_hour == 0) return BrakeTicket{};
  const SteadyTime now = clock_.now();
  const int64_t minute = minute_now();
  std::string key(caller);
  key += '\0';
  key += std::to_string(rule);
  auto found = entries_.find(key);
  if (found == entries_.end()) {
    if (entries_.size() >= max_entries_) sweep(now);
    if (entries_.size() >= max_entries_) {
      ++tripped_[static_cast<size_t>(Brake::kCapacity)];
      return tl::unexpected(Brake::kCapacity);
    }
    found = entries_.emplace(key, Entry{0, minute, {}}).first;
  }
  Entry& entry = found->second;
  const uint32_t started = advance(entry, minute);
  if (limits.max_concurrent != 0 && entry.running >= limits.max_concurrent) {
    ++tripped_[static_cast<size_t>(Brake::kConcurrent)];
    return tl::unexpected(Brake::kConcurrent);
  }
  if (limits.max_per_hour != 0 && started >= limits.max_per_hour) {
    ++tripped_[static_cast<size_t>(Brake::kPerHour)];
    return tl::unexpected(Brake::kPerHour);
  }
  ++entry.running;
  uint16_t& bucket = entry.starts[static_cast<size_t>(minute % static_cast<int64_t>(kBuckets))];
  if (bucket < UINT16_MAX) ++bucket;
  return BrakeTicket{std::move(key)};
}

void Brakes::finish(BrakeTicket& ticket) {
  if (ticket.key.empty()) return;
  auto found = entries_.find(ticket.key);
  ticket.key.clear();
  if (found == entries_.end() || found->second.running == 0) return;
  --found->second.running;
}

}  // namespace hardline::routing
