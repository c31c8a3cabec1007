#include "routing/brakes.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hardline::routing {
namespace {

using std::chrono::minutes;

TEST(Brakes, ConcurrentCallsPerCallerAndRule) {
  ManualClock clock;
  Brakes brakes(clock);
  const BrakeLimits two_at_once{2, 0};
  auto first = brakes.try_start("1000", 3, two_at_once);
  auto second = brakes.try_start("1000", 3, two_at_once);
  ASSERT_TRUE(first && second);
  auto third = brakes.try_start("1000", 3, two_at_once);
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error(), Brake::kConcurrent);
  EXPECT_EQ(brakes.tripped(Brake::kConcurrent), 1U);
  // Another caller, or the same caller through another rule, has its own count.
  EXPECT_TRUE(brakes.try_start("1001", 3, two_at_once));
  EXPECT_TRUE(brakes.try_start("1000", 4, two_at_once));
  // A call that ends frees its place; finishing twice frees it once.
  brakes.finish(*first);
  brakes.finish(*first);
  EXPECT_TRUE(brakes.try_start("1000", 3, two_at_once));
  EXPECT_FALSE(brakes.try_start("1000", 3, two_at_once));
}

TEST(Brakes, CallsPerHourIsASlidingWindowOnTheInjectedClock) {
  ManualClock clock;
  Brakes brakes(clock);
  const BrakeLimits three_an_hour{0, 3};
  for (int i = 0; i < 3; ++i) {
    auto ticket = brakes.try_start("1000", 0, three_an_hour);
    ASSERT_TRUE(ticket) << i;
    brakes.finish(*ticket);  // ended calls still count towards the hour
    clock.advance(minutes(10));
  }
  auto refused = brakes.try_start("1000", 0, three_an_hour);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), Brake::kPerHour);
  // A start counts for at least an hour (minute buckets: 60 to 61 minutes), never less.
  clock.advance(minutes(30));  // 60 minutes after the first start
  EXPECT_FALSE(brakes.try_start("1000", 0, three_an_hour));
  clock.advance(minutes(1));  // 61 minutes: the first start is forgotten
  EXPECT_TRUE(brakes.try_start("1000", 0, three_an_hour));
  EXPECT_FALSE(brakes.try_start("1000", 0, three_an_hour));
  clock.advance(minutes(10));  // the second start is forgotten
  EXPECT_TRUE(brakes.try_start("1000", 0, three_an_hour));
  // A long silence forgets everything.
  clock.advance(std::chrono::hours(5));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(brakes.try_start("1000", 0, three_an_hour)) << i;
  EXPECT_EQ(brakes.tripped(Brake::kPerHour), 3U);
}

TEST(Brakes, NoLimitsMeansNothingToCount) {
  ManualClock clock;
  Brakes brakes(clock);
  for (int i = 0; i < 1000; ++i) {
    auto ticket = brakes.try_start("1000", 0, BrakeLimits{});
    ASSERT_TRUE(ticket);
    EXPECT_TRUE(ticket->key.empty());
  }
  EXPECT_EQ(brakes.entries(), 0U);
}

TEST(Brakes, MemoryIsBoundedAndAFullTableRefusesRatherThanForgets) {
  ManualClock clock;
  Brakes brakes(clock, 100);
  const BrakeLimits limits{1, 10};
  std::vector<BrakeTicket> running;
  for (int i = 0; i < 100; ++i) {
    auto ticket = brakes.try_start("10.0.0." + std::to_string(i), 0, limits);
    ASSERT_TRUE(ticket);
    running.push_back(*ticket);
  }
  EXPECT_EQ(brakes.entries(), 100U);
  // Every entry has a running call: a new caller is refused, never counted in a forgotten slot.
  auto refused = brakes.try_start("192.0.2.1", 0, limits);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), Brake::kCapacity);
  EXPECT_EQ(brakes.entries(), 100U);
  // Calls end, an hour passes: the idle entries are swept and new callers fit.
  for (BrakeTicket& ticket : running) brakes.finish(ticket);
  clock.advance(minutes(61));
  EXPECT_TRUE(brakes.try_start("192.0.2.1", 0, limits));
  EXPECT_LE(brakes.entries(), 100U);
  // An entry with a running call survives the sweep: its caller is still held to one call.
  EXPECT_FALSE(brakes.try_start("192.0.2.1", 0, limits));
}

TEST(Brakes, NamesForEvents) {
  EXPECT_EQ(brake_name(Brake::kConcurrent), "max_concurrent");
  EXPECT_EQ(brake_name(Brake::kPerHour), "max_per_hour");
  EXPECT_EQ(brake_name(Brake::kCapacity), "capacity");
}

}  // namespace
}  // namespace hardline::routing
