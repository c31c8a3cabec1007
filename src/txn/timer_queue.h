#pragma once
// A min-heap of deadlines with O(log n) cancellation. Each timer has a handle (slot and
// generation): cancelling removes it from the heap at once, so the heap holds only live
// timers, and a handle whose timer already fired or was cancelled is harmless (its generation
// no longer matches). Time is whatever the caller passes; the queue never reads a clock.

#include <cstdint>
#include <optional>
#include <vector>

#include "common/clock.h"
#include "txn/types.h"

namespace hardline::txn {

struct TimerHandle {
  uint32_t slot = 0;
  uint32_t generation = 0;  // 0: no timer

  bool armed() const { return generation != 0; }
};

class TimerQueue {
 public:
  struct Expired {
    uint64_t owner = 0;  // what the caller passed to schedule()
    TimerKind kind = TimerKind::kA;
  };

  // Adds a timer. Timers with the same deadline expire in the order they were scheduled.
  TimerHandle schedule(SteadyTime deadline, uint64_t owner, TimerKind kind);

  // Removes the timer if it is still pending, and disarms the handle in every case.
  void cancel(TimerHandle& handle);

  bool pending(const TimerHandle& handle) const;

  // The earliest pending deadline, if any.
  std::optional<SteadyTime> next_deadline() const;

  // Removes and returns the earliest timer whose deadline is at or before `now`.
  std::optional<Expired> pop_expired(SteadyTime now);

  size_t size() const { return heap_.size(); }

 private:
  static constexpr uint32_t kNotInHeap = UINT32_MAX;

  struct Entry {
    SteadyTime deadline;
    uint64_t sequence = 0;
    uint32_t slot = 0;
  };
  struct Slot {
    uint32_t generation = 1;
    uint32_t heap_index = kNotInHeap;
    uint64_t owner = 0;
    TimerKind kind = TimerKind::kA;
  };

  static bool earlier(const Entry& a, const Entry& b) {
    return a.deadline != b.deadline ? a.deadline < b.deadline : a.sequence < b.sequence;
  }
  void place(size_t index, const Entry& entry);
  void sift_up(size_t index);
  void sift_down(size_t index);
  void remove_at(size_t index);
  void release(uint32_t slot);

  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  uint64_t next_sequence_ = 0;
};

}  // namespace hardline::txn
