#include "server/log_limiter.h"

#include <gtest/gtest.h>

namespace hardline::server {
namespace {

constexpr Millis kWindow{10'000};

TEST(LogLimiter, LogsTheFirstLineAndCountsTheRepeats) {
  LogLimiter limiter(kWindow);
  const SteadyTime start{};
  EXPECT_EQ(limiter.note("store", "could not write: full", start), "could not write: full");
  // 801 more within the window: nothing logged, each counted.
  for (int i = 1; i <= 801; ++i) {
    EXPECT_EQ(limiter.note("store", "could not write: full", start + Millis{i * 10}), "");
  }
  // Another kind is not held back by the first.
  EXPECT_EQ(limiter.note("bans", "could not write bans", start + Millis{100}),
            "could not write bans");
  EXPECT_TRUE(limiter.expire(start + Millis{9'999}).empty());
  const std::vector<std::string> summaries = limiter.expire(start + Millis{16'000});
  ASSERT_EQ(summaries.size(), 1U);  // the bans' line had no repeats: no summary
  EXPECT_EQ(summaries[0], "could not write: full (repeated 801 times in 16 s)");
  // Forgotten once summed up: the next one is logged at once.
  EXPECT_EQ(limiter.note("store", "could not write: full", start + Millis{16'001}),
            "could not write: full");
}

TEST(LogLimiter, ANewWindowSaysWhatTheLastOneHeld) {
  LogLimiter limiter(kWindow);
  const SteadyTime start{};
  limiter.note("store", "first", start);
  limiter.note("store", "second", start + Millis{1'000});
  // No expire() in between (it runs once a second, but a line may come first).
  EXPECT_EQ(limiter.note("store", "third", start + Millis{12'000}),
            "second (repeated 1 time in 12 s); again: third");
}

TEST(LogLimiter, AtStopEverythingCountedIsSaid) {
  LogLimiter limiter(kWindow);
  const SteadyTime start{};
  limiter.note("store", "full", start);
  limiter.note("store", "full", start + Millis{2'000});
  limiter.note("store", "full", start + Millis{3'000});
  const std::vector<std::string> summaries = limiter.expire(start + Millis{4'000}, true);
  ASSERT_EQ(summaries.size(), 1U);
  EXPECT_EQ(summaries[0], "full (repeated 2 times in 4 s)");
  EXPECT_TRUE(limiter.expire(start + Millis{20'000}, true).empty());
}

}  // namespace
}  // namespace hardline::server
