#include "routing/brakes.h"

#include <chrono>

namespace hardline::routing {
namespace {

constexpr std::chrono::seconds kHour{3600};

}  // namespace

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

void Brakes::forget_old(Entry& entry, SteadyTime now) const {
  while (!entry.starts.empty() && now - entry.starts.front() >= kHour) entry.starts.pop_front();
}

void Brakes::sweep(SteadyTime now) {
  if (swept_ && now - last_sweep_ < std::chrono::seconds(1)) return;
  swept_ = true;
  last_sweep_ = now;
  for (auto it = entries_.begin(); it != entries_.end();) {
    forget_old(it->second, now);
    if (it->second.running == 0 && it->second.starts.empty()) {
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
    found = entries_.emplace(key, Entry{}).first;
  }
  Entry& entry = found->second;
  forget_old(entry, now);
  if (limits.max_concurrent != 0 && entry.running >= limits.max_concurrent) {
    ++tripped_[static_cast<size_t>(Brake::kConcurrent)];
    return tl::unexpected(Brake::kConcurrent);
  }
  if (limits.max_per_hour != 0 && entry.starts.size() >= limits.max_per_hour) {
    ++tripped_[static_cast<size_t>(Brake::kPerHour)];
    return tl::unexpected(Brake::kPerHour);
  }
  ++entry.running;
  if (limits.max_per_hour != 0) entry.starts.push_back(now);
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
