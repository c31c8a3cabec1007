// Memory stays flat under floods: every table holds at most its bound whatever the number of
// sources, IPv4 or IPv6, and names; what made room is counted.

#include <gtest/gtest.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <chrono>
#include <cstdint>
#include <random>
#include <string>

#include "guard/guard.h"
#include "test_support.h"

namespace hardline::guard {
namespace {

using std::chrono::milliseconds;
using testing::RecordingSink;

// A random source: IPv4, or an IPv6 address in a random /64.
IpAddress random_source(std::mt19937_64& random) {
  IpAddress address;
  const uint64_t high = random();
  const uint64_t low = random();
  address.v6 = (low & 1) != 0;
  for (size_t i = 0; i < 8; ++i) {
    address.bytes[i] = static_cast<uint8_t>(high >> (8 * i));
    address.bytes[i + 8] = static_cast<uint8_t>(low >> (8 * i));
  }
  if (!address.v6) std::fill(address.bytes.begin() + 4, address.bytes.end(), 0);
  if (address.v6) address.bytes[0] = 0x20;  // not ::ffff:0:0/96, which would be IPv4
  return address;
}

size_t heap_in_use() {
#if defined(__GLIBC__)
  return mallinfo2().uordblks;
#else
  return 0;
#endif
}

TEST(GuardBounds, AMillionRandomSourcesNeverOverflowTheSourceTable) {
  constexpr uint32_t kBound = 20000;
  constexpr int kSources = 1'000'000;
  ManualClock clock;
  Settings settings;
  settings.max_entries = kBound;
  Guard guard(settings, clock);
  std::mt19937_64 random(7);
  size_t heap_when_full = 0;
  for (int i = 0; i < kSources; ++i) {
    ASSERT_EQ(guard.admit(random_source(random), 500), Verdict::kAdmit);
    if (i % 4096 == 0) {
      const Counters counters = guard.counters();
      ASSERT_LE(counters.sources.entries, kBound) << i;
      clock.advance(milliseconds(1));
    }
    if (i == 2 * static_cast<int>(kBound)) heap_when_full = heap_in_use();
  }
  const Counters counters = guard.counters();
  EXPECT_EQ(counters.sources.entries, kBound);
  EXPECT_EQ(counters.sources.capacity, kBound);
  // Random 64-bit /64s and 32-bit addresses hardly ever repeat: nearly every one took an entry.
  EXPECT_GE(counters.sources.evictions, static_cast<uint64_t>(kSources - kBound - 100));
  EXPECT_LE(counters.sources.evictions, static_cast<uint64_t>(kSources - kBound));
  // Once full, the table allocates nothing more (glibc's count; 0 == 0 elsewhere).
  EXPECT_EQ(heap_in_use(), heap_when_full);
}

TEST(GuardBounds, ForgedFloodsFillTheBanTableOnlyUpToItsBound) {
  ManualClock clock;
  RecordingSink sink;
  Settings settings;
  settings.packets = {1, 1};
  settings.abuse_drops = 1;  // every source is banned at its second datagram
  settings.max_bans = 1000;
  settings.max_entries = 5000;
  settings.protected_networks.clear();  // random sources fall into 127.0.0.0/8 too
  Guard guard(settings, clock, &sink);
  std::mt19937_64 random(11);
  constexpr int kSources = 20000;
  for (int i = 0; i < kSources; ++i) {
    const IpAddress source = random_source(random);
    guard.admit(source, 100);
    ASSERT_EQ(guard.admit(source, 100), Verdict::kRateLimited);
    ASSERT_EQ(guard.admit(source, 100), Verdict::kBanned);
    clock.advance(milliseconds(1));
  }
  const Counters counters = guard.counters();
  EXPECT_EQ(counters.bans.entries, 1000U);
  EXPECT_EQ(counters.bans.evictions, static_cast<uint64_t>(kSources - 1000));
  EXPECT_EQ(counters.bans_automatic, static_cast<uint64_t>(kSources));
  EXPECT_LE(counters.repeats.entries, 5000U);
  EXPECT_EQ(sink.of(Event::Kind::kUnban).size(), static_cast<size_t>(kSources - 1000));
  EXPECT_EQ(guard.bans().size(), 1000U);
}

TEST(GuardBounds, AuthenticationTablesStayBoundedUnderRandomNamesAndSources) {
  constexpr uint32_t kBound = 2000;
  ManualClock clock;
  RecordingSink sink;
  Settings settings;
  settings.max_entries = kBound;
  settings.account_auth_failures = 1;  // every failure locks its (random) account
  Guard guard(settings, clock, &sink);
  std::mt19937_64 random(13);
  for (int i = 0; i < 50000; ++i) {
    const std::string name = std::to_string(random());
    guard.on_auth_failure(random_source(random), name);
    guard.on_auth_success(random_source(random), name);
    if (i % 1000 == 0) {
      const Counters counters = guard.counters();
      ASSERT_LE(counters.auth_sources.entries, kBound);
      ASSERT_LE(counters.accounts.entries, kBound);
      ASSERT_LE(counters.successes.entries, kBound);
      ASSERT_LE(counters.authenticated.entries, kBound);
      ASSERT_LE(counters.locks.entries, kBound);
    }
  }
  const Counters counters = guard.counters();
  EXPECT_EQ(counters.locks.entries, kBound);
  EXPECT_EQ(counters.lockouts, 50000U);
  EXPECT_EQ(counters.locks.evictions, 50000U - kBound);
  EXPECT_EQ(counters.accounts.evictions, 50000U - kBound);
  EXPECT_EQ(counters.auth_sources.evictions, 50000U - kBound);
  EXPECT_EQ(counters.successes.evictions, 50000U - kBound);
  EXPECT_EQ(counters.authenticated.evictions, 50000U - kBound);
  // Each lockout that made room is announced as lifted.
  EXPECT_EQ(sink.of(Event::Kind::kAccountUnlocked).size(), 50000U - kBound);
}

}  // namespace
}  // namespace hardline::guard
