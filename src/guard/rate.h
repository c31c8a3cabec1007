#pragma once
// The counting the guard does per source: token buckets (as GCRA, one 64-bit number each) and
// the window of recent drops that decides when rate limiting turns into a ban.

#include <algorithm>
#include <array>
#include <cstdint>

#include "common/assert.h"
#include "guard/settings.h"

namespace hardline::guard {

// A token bucket in the form of GCRA, the generic cell rate algorithm (ITU-T I.371): the state
// is one "theoretical arrival time" in nanoseconds, the moment the bucket will be full again,
// so a bucket costs 8 bytes and no floating point. A new bucket (state 0) is full.
class TokenBucket {
 public:
  TokenBucket() = default;
  explicit TokenBucket(Rate rate) : burst_(rate.burst) {
    HL_CHECK(rate.per_second > 0 && rate.burst > 0);
    constexpr uint64_t kSecond = 1'000'000'000;
    // The refill time of one token as whole nanoseconds and 16 bits of fraction.
    whole_ns_ = kSecond / rate.per_second;
    fraction_ = ((kSecond % rate.per_second) << 16) / rate.per_second;
    tolerance_ns_ = static_cast<int64_t>(rate.burst * kSecond / rate.per_second);
  }

  // Takes `tokens` from the bucket whose state is `state` at time `now_ns` if it holds that
  // many; otherwise leaves it untouched and returns false.
  bool take(int64_t& state, int64_t now_ns, uint64_t tokens) const {
    int64_t next = 0;
    if (!fits(state, now_ns, tokens, next)) return false;
    state = next;
    return true;
  }
  // The same check without taking: `next` receives the state to store if the caller commits.
  bool fits(int64_t state, int64_t now_ns, uint64_t tokens, int64_t& next) const {
    if (tokens > burst_) return false;  // never fits; also keeps the arithmetic below in range
    const auto cost = static_cast<int64_t>(tokens * whole_ns_ + ((tokens * fraction_) >> 16));
    next = std::max(state, now_ns) + cost;
    return next - now_ns <= tolerance_ns_;
  }
  // How long an untouched bucket takes to become full again.
  int64_t refill_ns() const { return tolerance_ns_; }

 private:
  uint64_t burst_ = 0;
  uint64_t whole_ns_ = 0;
  uint64_t fraction_ = 0;  // in 1/65536 ns
  int64_t tolerance_ns_ = 0;
};

// Drops of one source over the last `kSlots` slots of a window, each slot a tenth of it: "500
// drops within 10 s" counts the drops of the last 9 to 10 seconds, in 28 bytes.
class DropWindow {
 public:
  static constexpr int64_t kSlots = 10;

  // Counts one drop in slot `now_slot` (time / slot length, never decreasing) and returns the
  // drops in this slot and the kSlots - 1 before it.
  uint32_t add(int64_t now_slot) {
    advance(now_slot);
    uint16_t& here = counts_[static_cast<size_t>(now_slot % kSlots)];
    if (here < UINT16_MAX) ++here;
    uint32_t total = 0;
    for (uint16_t count : counts_) total += count;
    return total;
  }
  void clear() { counts_.fill(0); }

 private:
  void advance(int64_t now_slot) {
    if (now_slot - newest_ >= kSlots) {
      counts_.fill(0);
    } else {
      for (int64_t slot = newest_ + 1; slot <= now_slot; ++slot) {
        counts_[static_cast<size_t>(slot % kSlots)] = 0;
      }
    }
    newest_ = std::max(newest_, now_slot);
  }

  int64_t newest_ = 0;
  std::array<uint16_t, kSlots> counts_{};
};

// A back-off: `base` doubled for each of `previous` earlier occurrences, at most `max`.
inline int64_t backoff_ns(int64_t base, int64_t max, uint32_t previous) {
  int64_t duration = base;
  for (uint32_t i = 0; i < previous && duration < max; ++i) duration *= 2;
  return std::min(duration, max);
}

}  // namespace hardline::guard
