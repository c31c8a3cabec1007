// TimerQueue: order of expiry, ties, cancellation by handle, stale handles.

#include "txn/timer_queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <vector>

namespace hardline::txn {
namespace {

SteadyTime at(int64_t ms) {
  return SteadyTime{} + Millis{ms};
}

std::vector<uint64_t> drain(TimerQueue& queue, SteadyTime now) {
  std::vector<uint64_t> owners;
  while (auto expired = queue.pop_expired(now)) owners.push_back(expired->owner);
  return owners;
}

TEST(TimerQueue, EmptyHasNoDeadline) {
  TimerQueue queue;
  EXPECT_FALSE(queue.next_deadline().has_value());
  EXPECT_FALSE(queue.pop_expired(at(1'000'000)).has_value());
}

TEST(TimerQueue, ExpiresInDeadlineOrderAndOnlyWhenDue) {
  TimerQueue queue;
  queue.schedule(at(300), 3, TimerKind::kB);
  queue.schedule(at(100), 1, TimerKind::kA);
  queue.schedule(at(200), 2, TimerKind::kE);
  EXPECT_EQ(queue.next_deadline(), at(100));
  EXPECT_FALSE(queue.pop_expired(at(99)).has_value());
  auto first = queue.pop_expired(at(100));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->owner, 1u);
  EXPECT_EQ(first->kind, TimerKind::kA);
  EXPECT_EQ(queue.next_deadline(), at(200));
  EXPECT_EQ(drain(queue, at(1000)), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(queue.size(), 0u);
}

TEST(TimerQueue, SameDeadlineExpiresInScheduleOrder) {
  TimerQueue queue;
  for (uint64_t owner = 1; owner <= 5; ++owner) queue.schedule(at(50), owner, TimerKind::kJ);
  EXPECT_EQ(drain(queue, at(50)), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
}

TEST(TimerQueue, CancelRemovesAtOnceAndDisarmsHandle) {
  TimerQueue queue;
  TimerHandle a = queue.schedule(at(100), 1, TimerKind::kA);
  TimerHandle b = queue.schedule(at(200), 2, TimerKind::kB);
  TimerHandle c = queue.schedule(at(300), 3, TimerKind::kD);
  EXPECT_TRUE(queue.pending(a));
  queue.cancel(a);
  EXPECT_FALSE(a.armed());
  EXPECT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue.next_deadline(), at(200));
  queue.cancel(c);
  EXPECT_EQ(drain(queue, at(1000)), (std::vector<uint64_t>{2}));
  EXPECT_FALSE(queue.pending(b));  // fired
}

TEST(TimerQueue, StaleHandleCannotCancelTheSlotsNextTimer) {
  TimerQueue queue;
  TimerHandle old = queue.schedule(at(100), 1, TimerKind::kA);
  TimerHandle copy = old;
  queue.cancel(old);
  // The slot is reused for a new timer; the stale copy must not reach it.
  TimerHandle fresh = queue.schedule(at(100), 2, TimerKind::kA);
  EXPECT_EQ(fresh.slot, copy.slot);
  EXPECT_FALSE(queue.pending(copy));
  queue.cancel(copy);
  EXPECT_TRUE(queue.pending(fresh));
  EXPECT_EQ(drain(queue, at(100)), (std::vector<uint64_t>{2}));
  // A handle whose timer fired is just as harmless.
  queue.cancel(fresh);
  EXPECT_EQ(queue.size(), 0u);
}

TEST(TimerQueue, RandomScheduleAndCancelKeepsOrder) {
  TimerQueue queue;
  std::mt19937 random(42);
  std::vector<TimerHandle> handles;
  std::vector<int64_t> deadlines;
  for (uint64_t i = 0; i < 2000; ++i) {
    int64_t deadline = random() % 10000;
    handles.push_back(queue.schedule(at(deadline), i, TimerKind::kE));
    deadlines.push_back(deadline);
  }
  size_t cancelled = 0;
  for (size_t i = 0; i < handles.size(); i += 3) {
    queue.cancel(handles[i]);
    ++cancelled;
  }
  EXPECT_EQ(queue.size(), handles.size() - cancelled);
  int64_t last = -1;
  size_t fired = 0;
  while (auto expired = queue.pop_expired(at(10000))) {
    EXPECT_NE(expired->owner % 3, 0u) << "a cancelled timer fired";
    int64_t deadline = deadlines[expired->owner];
    EXPECT_GE(deadline, last);
    last = deadline;
    ++fired;
  }
  EXPECT_EQ(fired, handles.size() - cancelled);
}

}  // namespace
}  // namespace hardline::txn
