// Authentication failures: sliding windows per source group and per account, source bans,
// account lockouts with back-off, and the exemptions (recent success, trusted networks) that
// keep real users working while their account is under attack.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "guard/guard.h"
#include "test_support.h"

namespace hardline::guard {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::ip;
using testing::net;
using testing::RecordingSink;

constexpr int64_t kStartUnix = 1'700'000'000;

// The i-th of many attacking sources, each failing once: only the account's count grows.
IpAddress botnet(int i) {
  IpAddress address = ip("203.0.113.0");
  address.bytes[2] = static_cast<uint8_t>(i / 256);
  address.bytes[3] = static_cast<uint8_t>(i % 256);
  return address;
}

class GuardAuthTest : public ::testing::Test {
 protected:
  Guard& make(Settings settings = {}) {
    guard_ = std::make_unique<Guard>(std::move(settings), clock_, &sink_);
    return *guard_;
  }
  // `count` failures as `account`, each from its own source, starting at botnet(first).
  void fail_from_many(std::string_view account, int count, int first = 0) {
    for (int i = 0; i < count; ++i) guard_->on_auth_failure(botnet(first + i), account);
  }

  ManualClock clock_{kStartUnix};
  RecordingSink sink_;
  std::unique_ptr<Guard> guard_;
};

TEST_F(GuardAuthTest, TenFailuresFromOneSourceBanIt) {
  Guard& guard = make();
  const IpAddress cracker = ip("198.51.100.23");
  for (int i = 0; i < 9; ++i) {
    guard.on_auth_failure(cracker, "100");
    clock_.advance(seconds(30));
  }
  EXPECT_EQ(guard.admit(cracker, 500), Verdict::kAdmit);
  EXPECT_TRUE(sink_.events.empty());
  guard.on_auth_failure(cracker, "100");
  ASSERT_EQ(sink_.events.size(), 1U);
  EXPECT_EQ(sink_.events[0].kind, Event::Kind::kBan);
  EXPECT_EQ(sink_.events[0].network, net("198.51.100.23/32"));
  EXPECT_EQ(sink_.events[0].reason, "10 authentication failures in 10m");
  EXPECT_TRUE(sink_.events[0].automatic);
  EXPECT_EQ(sink_.events[0].until_unix, clock_.unix_seconds() + 300);
  EXPECT_EQ(guard.admit(cracker, 500), Verdict::kBanned);
  EXPECT_EQ(guard.counters().auth_failures, 10U);
}

TEST_F(GuardAuthTest, FailuresThatSlideOutOfTheWindowDoNotCount) {
  struct Case {
    const char* what;
    std::vector<milliseconds> gaps;  // before each failure after the first
    bool banned;
  };
  auto even = [](int failures, milliseconds gap) {
    return std::vector<milliseconds>(static_cast<size_t>(failures - 1), gap);
  };
  std::vector<milliseconds> nine_then_late(8, milliseconds(0));
  nine_then_late.push_back(minutes(10));  // the tenth exactly 10 minutes after the first nine
  std::vector<milliseconds> nine_then_just_in_time(8, milliseconds(0));
  nine_then_just_in_time.push_back(minutes(10) - milliseconds(1));
  const Case cases[] = {
      {"ten at once", even(10, milliseconds(0)), true},
      {"ten, one a minute", even(10, minutes(1)), true},  // 9 minutes from first to last
      {"ten, 66 s apart", even(10, seconds(66)), true},   // 594 s
      {"ten, 67 s apart", even(10, seconds(67)), false},  // 603 s: never ten in 600 s
      {"thirty, 67 s apart", even(30, seconds(67)), false},
      {"nine, then one 10 min later", nine_then_late, false},
      {"nine, then one just in time", nine_then_just_in_time, true},
      {"nine", even(9, milliseconds(0)), false},
  };
  for (const Case& c : cases) {
    Guard& guard = make();
    sink_.events.clear();
    const IpAddress source = ip("192.0.2.44");
    guard.on_auth_failure(source, "alice");
    for (milliseconds gap : c.gaps) {
      clock_.advance(gap);
      guard.on_auth_failure(source, "alice");
    }
    EXPECT_EQ(guard.admit(source, 100) == Verdict::kBanned, c.banned) << c.what;
  }
}

TEST_F(GuardAuthTest, TwentyFailuresAsOneAccountFromAnywhereLockIt) {
  Guard& guard = make();
  fail_from_many("101", 19);
  EXPECT_TRUE(guard.may_authenticate(botnet(500), "101"));
  EXPECT_TRUE(sink_.events.empty());  // no source failed ten times
  fail_from_many("101", 1, 19);
  ASSERT_EQ(sink_.events.size(), 1U);
  const Event& lock = sink_.events[0];
  EXPECT_EQ(lock.kind, Event::Kind::kAccountLocked);
  EXPECT_EQ(lock.account, "101");
  EXPECT_EQ(lock.until_unix, kStartUnix + 300);
  EXPECT_EQ(lock.reason, "20 authentication failures in 10m");
  EXPECT_EQ(lock.repeats, 1U);
  EXPECT_FALSE(guard.may_authenticate(botnet(500), "101"));
  EXPECT_FALSE(guard.may_authenticate(ip("2001:db8::1"), "101"));
  EXPECT_TRUE(guard.may_authenticate(botnet(500), "102"));  // other accounts are not affected
  const std::vector<LockInfo> locks = guard.locks();
  ASSERT_EQ(locks.size(), 1U);
  EXPECT_EQ(locks[0].account, "101");
  EXPECT_EQ(guard.counters().lockouts, 1U);
  EXPECT_EQ(guard.counters().auth_refused, 2U);
}

TEST_F(GuardAuthTest, LockoutsEndAndDoubleOnRepeatUpToTheMaximum) {
  Guard& guard = make();
  const int64_t expected[] = {300, 600, 1200, 2400, 3600, 3600};
  int next_source = 0;
  for (size_t round = 0; round < std::size(expected); ++round) {
    sink_.events.clear();
    fail_from_many("alice", 20, next_source);
    next_source += 20;
    const std::vector<Event> locks = sink_.of(Event::Kind::kAccountLocked);
    ASSERT_EQ(locks.size(), 1U) << round;
    EXPECT_EQ(locks[0].until_unix - clock_.unix_seconds(), expected[round]) << round;
    EXPECT_EQ(locks[0].repeats, round + 1);
    clock_.advance(seconds(expected[round]) - milliseconds(1));
    EXPECT_FALSE(guard.may_authenticate(ip("192.0.2.1"), "alice"));
    clock_.advance(milliseconds(1));
    EXPECT_TRUE(guard.may_authenticate(ip("192.0.2.1"), "alice"));  // before expire() too
    guard.expire();
    const std::vector<Event> unlocks = sink_.of(Event::Kind::kAccountUnlocked);
    ASSERT_EQ(unlocks.size(), 1U) << round;
    EXPECT_EQ(unlocks[0].account, "alice");
    EXPECT_EQ(unlocks[0].reason, "lockout ended");
    EXPECT_TRUE(guard.locks().empty());
  }
  // A day without lockouts and the back-off starts again.
  clock_.advance(hours(24));
  guard.expire();
  sink_.events.clear();
  fail_from_many("alice", 20, next_source);
  const std::vector<Event> locks = sink_.of(Event::Kind::kAccountLocked);
  ASSERT_EQ(locks.size(), 1U);
  EXPECT_EQ(locks[0].until_unix - clock_.unix_seconds(), 300);
}

TEST_F(GuardAuthTest, FailuresDuringALockoutDoNotExtendIt) {
  Guard& guard = make();
  fail_from_many("alice", 20);
  clock_.advance(seconds(100));
  fail_from_many("alice", 60, 20);
  EXPECT_EQ(sink_.of(Event::Kind::kAccountLocked).size(), 1U);
  clock_.advance(seconds(200));
  EXPECT_TRUE(guard.may_authenticate(ip("192.0.2.1"), "alice"));
}

TEST_F(GuardAuthTest, ARecentSuccessKeepsThatSourceWorkingDuringALockout) {
  Guard& guard = make();
  const IpAddress office = ip("192.0.2.10");
  const IpAddress laptop = ip("2001:db8:77:1::abcd");
  guard.on_auth_success(office, "alice");
  guard.on_auth_success(laptop, "alice");
  clock_.advance(minutes(30));
  fail_from_many("alice", 20);
  ASSERT_EQ(sink_.of(Event::Kind::kAccountLocked).size(), 1U);
  EXPECT_TRUE(guard.may_authenticate(office, "alice"));
  EXPECT_TRUE(guard.may_authenticate(ip("2001:db8:77:1::1234"), "alice"));  // same /64
  EXPECT_FALSE(guard.may_authenticate(ip("2001:db8:77:2::1"), "alice"));
  EXPECT_FALSE(guard.may_authenticate(ip("192.0.2.11"), "alice"));
  // The exemption is per account: the office's success as alice says nothing about carol.
  fail_from_many("carol", 20, 100);
  EXPECT_FALSE(guard.may_authenticate(office, "carol"));
  // It lasts recent_success (1 h) after the last success; each success renews it.
  clock_.advance(minutes(29));
  guard.on_auth_success(office, "alice");
  clock_.advance(minutes(31));  // the laptop's success is now 1 h old, the office's 31 min
  fail_from_many("alice", 20, 200);
  EXPECT_TRUE(guard.may_authenticate(office, "alice"));
  EXPECT_FALSE(guard.may_authenticate(laptop, "alice"));
}

TEST_F(GuardAuthTest, ARecentSuccessSparesTheSourceFromBansAForgedAddressCouldCause) {
  // Over UDP anyone can send a flood or a scanner's User-Agent with a real user's address as
  // the source. A group that authenticated recently is rate-limited and has its scanner requests
  // dropped, but is not banned for them; authentication failures need a nonce sent to the
  // source, so they still ban it.
  Guard& guard = make();
  const IpAddress phone = ip("192.0.2.30");
  guard.on_auth_success(phone, "alice");
  int drops = 0;
  for (int i = 0; i < 5000; ++i) {
    const Verdict verdict = guard.admit(phone, 100);
    ASSERT_NE(verdict, Verdict::kBanned) << i;
    drops += verdict == Verdict::kRateLimited ? 1 : 0;
  }
  EXPECT_GT(drops, 4000);
  EXPECT_EQ(guard.check_signatures(phone, "friendly-scanner", ""), Verdict::kScanner);
  EXPECT_TRUE(sink_.of(Event::Kind::kBan).empty());
  EXPECT_GT(guard.counters().bans_spared, 0U);
  for (int i = 0; i < 10; ++i) guard.on_auth_failure(phone, "alice");
  ASSERT_EQ(sink_.of(Event::Kind::kBan).size(), 1U);
  EXPECT_EQ(sink_.of(Event::Kind::kBan)[0].reason, "10 authentication failures in 10m");
  // An hour later the success no longer counts.
  clock_.advance(hours(1));
  const IpAddress other = ip("192.0.2.31");
  guard.on_auth_success(other, "bob");
  clock_.advance(hours(1));
  EXPECT_EQ(guard.check_signatures(other, "friendly-scanner", ""), Verdict::kScanner);
  EXPECT_EQ(sink_.of(Event::Kind::kBan).size(), 2U);
}

TEST_F(GuardAuthTest, NoSuccessExemptionWhenRecentSuccessIsZero) {
  Settings settings;
  settings.recent_success = seconds(0);
  Guard& guard = make(settings);
  const IpAddress phone = ip("192.0.2.30");
  guard.on_auth_success(phone, "alice");
  fail_from_many("alice", 20);
  EXPECT_FALSE(guard.may_authenticate(phone, "alice"));
  EXPECT_EQ(guard.check_signatures(phone, "friendly-scanner", ""), Verdict::kScanner);
  EXPECT_EQ(sink_.of(Event::Kind::kBan).size(), 1U);
}

// Issue 12, finding 7: trust spares a source from bans, never from the per-account guessing
// limit (300 guesses from a trusted source once found the password while the account was locked
// for everyone else).
TEST_F(GuardAuthTest, TrustSparesBansButNeverTheGuessingLimit) {
  Settings settings;
  settings.trusted = {net("10.20.0.0/16")};
  Guard& guard = make(settings);
  const IpAddress pbx = ip("10.20.3.4");
  for (int i = 0; i < 30; ++i) guard.on_auth_failure(pbx, "trunk");
  EXPECT_EQ(guard.admit(pbx, 100), Verdict::kAdmit);
  EXPECT_TRUE(sink_.of(Event::Kind::kBan).empty());
  // Its failures count towards the account, which is locked, for the trusted source too.
  EXPECT_EQ(sink_.of(Event::Kind::kAccountLocked).size(), 1U);
  EXPECT_FALSE(guard.may_authenticate(pbx, "trunk"));
  EXPECT_FALSE(guard.may_authenticate(ip("10.21.0.1"), "trunk"));
}

// A known device (its source group authenticated as the account) keeps working through an
// attack, but has an allowance of failures of its own: trusted and known together must not
// mean unlimited guesses.
TEST_F(GuardAuthTest, AKnownDeviceHasAFailureAllowanceOfItsOwn) {
  Settings settings;
  settings.trusted = {net("10.20.0.0/16")};
  Guard& guard = make(settings);
  const IpAddress desk = ip("10.20.3.4");
  guard.on_auth_success(desk, "alice");
  for (int i = 0; i < 19; ++i) guard.on_auth_failure(desk, "alice");
  EXPECT_TRUE(guard.may_authenticate(desk, "alice"));
  // Its failures are its own: the account is not locked for anyone else.
  EXPECT_TRUE(sink_.of(Event::Kind::kAccountLocked).empty());
  EXPECT_TRUE(guard.may_authenticate(ip("192.0.2.99"), "alice"));
  guard.on_auth_failure(desk, "alice");  // the 20th within the window
  EXPECT_FALSE(guard.may_authenticate(desk, "alice"));
  EXPECT_EQ(guard.counters().device_lockouts, 1U);
  EXPECT_TRUE(guard.may_authenticate(ip("192.0.2.99"), "alice"));
  // The device's lock ends after lockout_duration.
  clock_.advance(seconds(301));
  EXPECT_TRUE(guard.may_authenticate(desk, "alice"));
  // A success forgives its failures.
  for (int i = 0; i < 19; ++i) guard.on_auth_failure(desk, "alice");
  guard.on_auth_success(desk, "alice");
  for (int i = 0; i < 19; ++i) guard.on_auth_failure(desk, "alice");
  EXPECT_TRUE(guard.may_authenticate(desk, "alice"));
}

// A phone that registered with a +sip.instance (RFC 5626) is known by it: it keeps working
// through a lockout from a new address (a roaming laptop, a phone on mobile data).
TEST_F(GuardAuthTest, AKnownInstanceIsNeverLockedOutFromANewAddress) {
  Guard& guard = make();
  const std::string_view instance = "\"<urn:uuid:00000000-0000-1000-8000-000a95a0e128>\"";
  guard.on_auth_success(ip("192.0.2.10"), "alice", instance);
  fail_from_many("alice", 20);
  ASSERT_EQ(sink_.of(Event::Kind::kAccountLocked).size(), 1U);
  const IpAddress roaming = ip("198.51.100.50");
  EXPECT_TRUE(guard.may_authenticate(roaming, "alice", instance));
  EXPECT_FALSE(guard.may_authenticate(roaming, "alice"));
  EXPECT_FALSE(guard.may_authenticate(roaming, "alice", "\"<urn:uuid:someone-else>\""));
  // The instance is the device's word: it buys an allowance of its own, not unlimited guesses.
  for (int i = 0; i < 20; ++i) guard.on_auth_failure(roaming, "alice", instance);
  EXPECT_FALSE(guard.may_authenticate(roaming, "alice", instance));
  EXPECT_TRUE(guard.may_authenticate(ip("192.0.2.10"), "alice"));  // the office is known too
}

TEST_F(GuardAuthTest, LockoutEventsSayHowManySourcesTookPart) {
  Guard& guard = make();
  // 27 failures from 3 addresses (9 each, none banned) lock the account at the 20th.
  for (int i = 0; i < 27; ++i) guard.on_auth_failure(botnet(i % 3), "alice");
  const auto locked = sink_.of(Event::Kind::kAccountLocked);
  ASSERT_EQ(locked.size(), 1U);
  EXPECT_EQ(locked[0].account, "alice");
  EXPECT_EQ(locked[0].sources, 3U);
  EXPECT_TRUE(sink_.of(Event::Kind::kBan).empty());
}

// The operator's way to let a new device in while an attack goes on.
TEST_F(GuardAuthTest, TheOperatorAdmitsANewDeviceOrLiftsTheLockout) {
  Guard& guard = make();
  fail_from_many("alice", 20);
  const IpAddress hotel = ip("198.51.100.77");
  EXPECT_FALSE(guard.may_authenticate(hotel, "alice"));
  EXPECT_TRUE(guard.admit("alice", net("198.51.100.0/24"), hours(1)));
  EXPECT_TRUE(guard.may_authenticate(hotel, "alice"));
  EXPECT_TRUE(guard.may_authenticate(hotel, "bob"));  // other accounts: never locked
  EXPECT_FALSE(guard.may_authenticate(ip("203.0.113.200"), "alice"));  // the attacker
  // Refused: a /0, no duration, more than a day.
  EXPECT_FALSE(guard.admit("alice", net("0.0.0.0/0"), hours(1)));
  EXPECT_FALSE(guard.admit("alice", net("198.51.100.0/24"), seconds(0)));
  EXPECT_FALSE(guard.admit("alice", net("198.51.100.0/24"), hours(25)));
  clock_.advance(hours(1));
  guard.expire();
  fail_from_many("alice", 20, 300);
  EXPECT_FALSE(guard.may_authenticate(hotel, "alice"));  // the admission ended
  // Lifting the lockout outright.
  EXPECT_TRUE(guard.unlock("alice", "lifted by the operator"));
  EXPECT_TRUE(guard.may_authenticate(hotel, "alice"));
  EXPECT_FALSE(guard.unlock("alice", "again"));
  const auto unlocked = sink_.of(Event::Kind::kAccountUnlocked);
  ASSERT_FALSE(unlocked.empty());
  EXPECT_TRUE(unlocked.back().by_operator);
}

// A failure over a nonce the server never sent to the source (kForgeable) counts, but bans
// only as a rate limit does: never a source that authenticated recently.
TEST_F(GuardAuthTest, ForgeableFailuresNeverBanARecentlyAuthenticatedSource) {
  Guard& guard = make();
  const IpAddress office = ip("192.0.2.10");
  guard.on_auth_success(office, "alice");
  for (int i = 0; i < 30; ++i) {
    guard.on_auth_failure(office, "bob", "", AuthFailure::kForgeable);
  }
  EXPECT_TRUE(sink_.of(Event::Kind::kBan).empty());
  EXPECT_EQ(guard.counters().forged_failures, 30U);
  const IpAddress stranger = ip("198.51.100.9");
  for (int i = 0; i < 10; ++i) {
    guard.on_auth_failure(stranger, "bob", "", AuthFailure::kForgeable);
  }
  EXPECT_EQ(sink_.of(Event::Kind::kBan).size(), 1U);
}

TEST_F(GuardAuthTest, KnownAndUnknownAccountNamesAreTreatedAlike) {
  // The guard never learns which accounts exist: the same story with an extension that exists
  // on this server and one that does not produces the same events, times and answers.
  auto story = [&](std::string_view account) {
    Guard& guard = make();
    sink_.events.clear();
    std::vector<std::string> trace;
    for (int i = 0; i < 25; ++i) {
      guard.on_auth_failure(botnet(i % 15), account);
      trace.push_back(guard.may_authenticate(ip("192.0.2.1"), account) ? "yes" : "no");
      clock_.advance(seconds(10));
    }
    clock_.advance(seconds(300));
    guard.expire();
    for (const Event& event : sink_.events) {
      const int64_t until = event.until_unix == 0 ? 0 : event.until_unix - clock_.unix_seconds();
      trace.push_back(std::to_string(static_cast<int>(event.kind)) + " " +
                      (event.account == account ? "NAME" : event.account) + " " +
                      std::to_string(until) + " " + event.reason);
    }
    return trace;
  };
  const std::vector<std::string> existing = story("100");
  const std::vector<std::string> missing = story("1099");
  EXPECT_EQ(existing, missing);
  EXPECT_NE(std::find(existing.begin(), existing.end(), "no"), existing.end());
}

TEST_F(GuardAuthTest, AccountNamesAreCountedWithoutRegardToCase) {
  Guard& guard = make();
  fail_from_many("Alice", 10);
  fail_from_many("ALICE", 5, 10);
  fail_from_many("alice", 5, 15);
  ASSERT_EQ(sink_.of(Event::Kind::kAccountLocked).size(), 1U);
  EXPECT_EQ(sink_.of(Event::Kind::kAccountLocked)[0].account, "alice");  // as last written
  EXPECT_FALSE(guard.may_authenticate(ip("192.0.2.1"), "aLiCe"));
}

TEST_F(GuardAuthTest, AccountNamesInEventsAreShortAndPrintable) {
  Guard& guard = make();
  const std::string name = "evil\r\nname" + std::string(100, 'x');
  fail_from_many(name, 20);
  const std::vector<Event> locks = sink_.of(Event::Kind::kAccountLocked);
  ASSERT_EQ(locks.size(), 1U);
  EXPECT_EQ(locks[0].account.rfind("evil??name", 0), 0U);
  EXPECT_EQ(locks[0].account.size(), 64U + 3U);
  EXPECT_FALSE(guard.may_authenticate(ip("192.0.2.1"), name));
  EXPECT_TRUE(guard.may_authenticate(ip("192.0.2.1"), name.substr(0, 64)));  // another name
}

TEST_F(GuardAuthTest, DisabledNeverRefuses) {
  Settings settings;
  settings.enabled = false;
  Guard& guard = make(settings);
  fail_from_many("alice", 100);
  EXPECT_TRUE(guard.may_authenticate(ip("192.0.2.1"), "alice"));
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(GuardAuthTest, ExpireForgetsWhatNoLongerCounts) {
  Guard& guard = make();
  fail_from_many("alice", 5);
  guard.on_auth_success(ip("192.0.2.1"), "alice");
  Counters counters = guard.counters();
  EXPECT_EQ(counters.auth_sources.entries, 5U);
  EXPECT_EQ(counters.accounts.entries, 1U);
  EXPECT_EQ(counters.successes.entries, 1U);
  clock_.advance(hours(1));
  guard.expire();
  counters = guard.counters();
  EXPECT_EQ(counters.auth_sources.entries, 0U);
  EXPECT_EQ(counters.accounts.entries, 0U);
  EXPECT_EQ(counters.successes.entries, 0U);
}

}  // namespace
}  // namespace hardline::guard
