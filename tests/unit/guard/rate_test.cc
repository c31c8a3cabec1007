// TokenBucket (GCRA) bursts and refills, and DropWindow's sliding count of drops.

#include "guard/rate.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace hardline::guard {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSecond = 1000 * kMs;

// How many single tokens a bucket grants at `now` until it refuses.
int take_all(const TokenBucket& bucket, int64_t& state, int64_t now) {
  int taken = 0;
  while (bucket.take(state, now, 1)) ++taken;
  return taken;
}

TEST(TokenBucket, AFreshBucketGrantsItsBurstThenItsRate) {
  struct Case {
    Rate rate;
    int64_t wait;  // after emptying the bucket
    int refilled;  // tokens granted after the wait
  };
  const Case cases[] = {
      {{200, 400}, 5 * kMs, 1},         // one token every 5 ms
      {{200, 400}, 5 * kMs - 1, 0},     // not a nanosecond early
      {{200, 400}, 1 * kSecond, 200},   // a second refills a second's worth
      {{200, 400}, 10 * kSecond, 400},  // never more than the burst
      {{50, 100}, 20 * kMs, 1},
      {{3, 1}, kSecond / 3 + 1, 1},  // rates that do not divide a second
      {{3, 1}, kSecond / 3 - 1, 0},
      {{1, 1}, kSecond, 1},
  };
  for (const Case& c : cases) {
    const TokenBucket bucket(c.rate);
    int64_t state = 0;
    const int64_t start = 1000 * kSecond;
    EXPECT_EQ(take_all(bucket, state, start), static_cast<int>(c.rate.burst))
        << c.rate.per_second << "/" << c.rate.burst;
    EXPECT_EQ(take_all(bucket, state, start + c.wait), c.refilled)
        << c.rate.per_second << "/" << c.rate.burst << " after " << c.wait << " ns";
  }
}

TEST(TokenBucket, ARefusedRequestTakesNothing) {
  const TokenBucket bucket({256 * 1024, 512 * 1024});
  int64_t state = 0;
  const int64_t now = kSecond;
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(bucket.take(state, now, 65536)) << i;  // 512 KiB
  const int64_t full = state;
  EXPECT_FALSE(bucket.take(state, now, 1));
  EXPECT_EQ(state, full);
  // 65536 bytes refill in a quarter of a second at 256 KiB/s.
  EXPECT_FALSE(bucket.take(state, now + kSecond / 4 - 1, 65536));
  EXPECT_TRUE(bucket.take(state, now + kSecond / 4, 65536));
}

TEST(TokenBucket, MoreThanTheBurstNeverFits) {
  const TokenBucket bucket({1000, 100});
  int64_t state = 0;
  EXPECT_FALSE(bucket.take(state, kSecond, 101));
  EXPECT_TRUE(bucket.take(state, kSecond, 100));
  EXPECT_EQ(bucket.refill_ns(), kSecond / 10);
}

TEST(DropWindow, CountsTheLastTenSlots) {
  DropWindow window;
  for (int i = 0; i < 5; ++i) window.add(0);
  EXPECT_EQ(window.add(9), 6U);    // slot 0 is still inside slots 0..9
  EXPECT_EQ(window.add(10), 2U);   // slot 0 has left; slots 9 and 10 remain
  EXPECT_EQ(window.add(19), 2U);   // slots 10..19 hold the drops of 10 and 19
  EXPECT_EQ(window.add(20), 2U);   // slots 11..20 hold those of 19 and 20
  EXPECT_EQ(window.add(100), 1U);  // a long gap clears everything
  window.clear();
  EXPECT_EQ(window.add(100), 1U);
}

TEST(Backoff, DoublesUpToTheMaximum) {
  EXPECT_EQ(backoff_ns(300, 86400, 0), 300);
  EXPECT_EQ(backoff_ns(300, 86400, 1), 600);
  EXPECT_EQ(backoff_ns(300, 86400, 8), 76800);
  EXPECT_EQ(backoff_ns(300, 86400, 9), 86400);
  EXPECT_EQ(backoff_ns(300, 86400, 4'000'000'000U), 86400);
}

}  // namespace
}  // namespace hardline::guard
