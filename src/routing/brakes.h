#pragma once
// Toll-fraud brakes: how many calls one caller may have running through one rule, and how many
// it may start per hour. A tripped brake refuses the call; the caller of try_start() counts it
// and reports it as a security event (routing does no I/O).
//
// Memory is bounded: one entry per (caller, rule) with a brake, about 200 bytes whatever the
// limits (the hour is counted in 61 one-minute buckets, so a call counts against max_per_hour
// for 60 to 61 minutes: never less than an hour). When `max_entries` are in use, entries with
// no running call and no start in the last hour are dropped; when none can be dropped the call
// is refused (kCapacity) rather than let through uncounted. Time comes from the injected clock.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"
#include "common/result.h"

namespace hardline::routing {

enum class Brake : uint8_t { kConcurrent, kPerHour, kCapacity };
std::string_view brake_name(Brake brake);  // "max_concurrent", "max_per_hour", "capacity"

struct BrakeLimits {
  uint32_t max_concurrent = 0;  // 0: no limit
  uint32_t max_per_hour = 0;    // 0: no limit
};

// Proof that a call was counted; give it back to finish() when the call ends.
struct BrakeTicket {
  std::string key;  // "" when no brake applied (nothing to finish)
};

class Brakes {
 public:
  explicit Brakes(const Clock& clock, size_t max_entries = 100000);

  // Counts a call by `caller` (an account's extension, a trunk's name or a source address)
  // through rule number `rule`, or says which brake refuses it.
  Result<BrakeTicket, Brake> try_start(std::string_view caller, uint32_t rule,
                                       const BrakeLimits& limits);
  // The call ended (answered or not). Finishing a ticket twice is harmless.
  void finish(BrakeTicket& ticket);

  size_t entries() const { return entries_.size(); }
  uint64_t tripped(Brake brake) const { return tripped_[static_cast<size_t>(brake)]; }

 private:
  static constexpr size_t kBuckets = 61;  // this minute and the 60 before it
  struct Entry {
    uint32_t running = 0;
    int64_t minute = 0;                       // the minute of the newest bucket
    std::array<uint16_t, kBuckets> starts{};  // calls started in each minute
  };
  // Moves the entry's window to `minute`, forgetting what fell out of it; returns the count.
  static uint32_t advance(Entry& entry, int64_t minute);
  int64_t minute_now() const;
  // Drops idle entries; at most once a second, since it walks them all.
  void sweep(SteadyTime now);

  const Clock& clock_;
  size_t max_entries_;
  std::unordered_map<std::string, Entry> entries_;
  SteadyTime last_sweep_{};
  bool swept_ = false;
  std::array<uint64_t, 3> tripped_{};
};

}  // namespace hardline::routing
