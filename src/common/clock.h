#pragma once
// Time as an injected dependency: every timer (T1, T2, Timer B..K, nonce expiry, bans, TCP idle)
// reads a Clock, so tests drive time by hand and never sleep.
#include <chrono>
#include <cstdint>

namespace hardline {

using SteadyTime = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time, for timers within one run of the process.
  virtual SteadyTime now() const = 0;
  // Seconds since the Unix epoch, for what outlives the process (binding expiry in the store).
  virtual int64_t unix_seconds() const = 0;
};

class SystemClock final : public Clock {
 public:
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }
  int64_t unix_seconds() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock tests move by hand. Both readings advance together.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t unix_start = 1'700'000'000) : unix_start_(unix_start) {}
  SteadyTime now() const override { return SteadyTime{} + elapsed_; }
  int64_t unix_seconds() const override {
    return unix_start_ + std::chrono::duration_cast<std::chrono::seconds>(elapsed_).count();
  }
  void advance(Millis by) { elapsed_ += by; }

 private:
  int64_t unix_start_;
  Millis elapsed_{0};
};

}  // namespace hardline
