// A device that fails for one account over and over with one Call-ID and a rising CSeq (a phone
// with a mistyped password) counts once against its source's ban threshold and gets the account
// throttled from that source instead, so that one phone cannot get its office's shared address
// banned (issue 13, item 3). A source that fails with new Call-IDs, with a CSeq that does not
// rise (svcrack), or for several accounts, is banned as before.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "guard/guard.h"
#include "test_support.h"

namespace hardline::guard {
namespace {

using std::chrono::seconds;
using testing::ip;
using testing::RecordingSink;

constexpr int64_t kStartUnix = 1'700'000'000;

class GuardThrottleTest : public ::testing::Test {
 protected:
  Guard& make(Settings settings = {}) {
    guard_ = std::make_unique<Guard>(std::move(settings), clock_, &sink_);
    return *guard_;
  }
  bool banned(const IpAddress& source) { return guard_->admit(source, 500) == Verdict::kBanned; }
  std::optional<Guard::Throttle> fail(const IpAddress& source, const std::string& account,
                                      const std::string& call_id, uint32_t cseq,
                                      AuthFailure kind = AuthFailure::kPassword) {
    return guard_->on_auth_failure(source, account, {}, kind, {.call_id = call_id, .cseq = cseq});
  }

  ManualClock clock_{kStartUnix};
  RecordingSink sink_;
  std::unique_ptr<Guard> guard_;
};

TEST_F(GuardThrottleTest, WhoIsBannedAndWhoIsThrottled) {
  enum class CallId { kOne, kNewEachTime };
  enum class CSeq { kRising, kFixed };
  struct Case {
    const char* what;
    int failures;
    CallId call_id;
    CSeq cseq;
    bool same_account;
    AuthFailure kind;
    bool banned;    // after all the failures
    int throttled;  // how many of the failures throttled the account from the source
  };
  const std::vector<Case> cases = {
      {"a phone with a wrong password, 30 times", 30, CallId::kOne, CSeq::kRising, true,
       AuthFailure::kPassword, false, 28},
      {"two failures: not yet throttled", 2, CallId::kOne, CSeq::kRising, true,
       AuthFailure::kPassword, false, 0},
      {"svcrack: one Call-ID, CSeq 2 every time", 10, CallId::kOne, CSeq::kFixed, true,
       AuthFailure::kPassword, true, 0},
      {"nine guesses with a fixed CSeq: below the ban", 9, CallId::kOne, CSeq::kFixed, true,
       AuthFailure::kPassword, false, 0},
      {"a guesser with a new Call-ID each time", 10, CallId::kNewEachTime, CSeq::kRising, true,
       AuthFailure::kPassword, true, 0},
      {"nine new Call-IDs: below the ban", 9, CallId::kNewEachTime, CSeq::kRising, true,
       AuthFailure::kPassword, false, 0},
      {"one Call-ID, a new account each time", 10, CallId::kOne, CSeq::kRising, false,
       AuthFailure::kPassword, true, 0},
      {"made-up nonces are never repeats", 10, CallId::kOne, CSeq::kRising, true,
       AuthFailure::kForgeable, true, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    make();
    const IpAddress office = ip("198.51.100.7");
    int throttled = 0;
    for (int i = 0; i < c.failures; ++i) {
      const std::string account = c.same_account ? "100" : "1" + std::to_string(i);
      const std::string call_id =
          c.call_id == CallId::kOne ? "a84b4c76e66710" : std::to_string(i) + "@x";
      const auto cseq = static_cast<uint32_t>(c.cseq == CSeq::kRising ? i + 1 : 2);
      if (fail(office, account, call_id, cseq, c.kind)) ++throttled;
    }
    EXPECT_EQ(banned(office), c.banned);
    EXPECT_EQ(throttled, c.throttled);
    EXPECT_EQ(guard_->counters().devices_throttled, static_cast<uint64_t>(c.throttled));
  }
}

TEST_F(GuardThrottleTest, ThrottleHoldsTheAccountFromTheSourceAndDoublesUpToTheMaximum) {
  Guard& guard = make();
  const IpAddress office = ip("198.51.100.7");
  const std::string broken = "a84b4c76e66710";
  const std::string good = "good-phone";
  guard.on_auth_success(office, "100", {}, good);  // a colleague's phone on the same account
  EXPECT_FALSE(guard.throttled(office, "100", broken));
  EXPECT_FALSE(fail(office, "100", broken, 1));
  EXPECT_FALSE(fail(office, "100", broken, 2));
  std::vector<int64_t> durations;
  for (uint32_t i = 0; i < 11; ++i) {
    if (i > 0) guard.on_auth_success(office, "100", {}, good);  // it registers now and then
    const auto throttle = fail(office, "100", broken, 3 + i);
    ASSERT_TRUE(throttle);
    EXPECT_EQ(throttle->first, i == 0);
    durations.push_back(throttle->until_unix - clock_.unix_seconds());
    EXPECT_TRUE(guard.throttled(office, "100", broken));
    // The account from that source, whatever Call-ID a guesser picks next ...
    EXPECT_TRUE(guard.throttled(office, "100", "a-new-call-id"));
    EXPECT_TRUE(guard.throttled(office, "100", ""));
    // ... but not the phone that authenticated with its own Call-ID, another account, or the
    // account from elsewhere.
    EXPECT_FALSE(guard.throttled(office, "100", good));
    EXPECT_FALSE(guard.throttled(office, "101", broken));
    EXPECT_FALSE(guard.throttled(ip("198.51.100.8"), "100", broken));
    clock_.advance(seconds(durations.back()));
    EXPECT_FALSE(guard.throttled(office, "100", broken));
  }
  EXPECT_EQ(durations,
            (std::vector<int64_t>{10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600}));
  EXPECT_GE(guard.counters().auth_throttled, 22U);
  EXPECT_FALSE(banned(office));
  // The user fixes the password: its success lifts the throttle and forgets its failures.
  guard.on_auth_success(office, "100", {}, broken);
  EXPECT_FALSE(guard.throttled(office, "100", "a-new-call-id"));
  EXPECT_FALSE(fail(office, "100", broken, 20));
  EXPECT_FALSE(fail(office, "100", broken, 21));
}

TEST_F(GuardThrottleTest, AGuesserWhoBehavesLikeAPhoneGainsNothingByChangingItsCallId) {
  // A guess a second for a day, one account, from one source: as a phone (one Call-ID, CSeq
  // rising), or as a phone that starts afresh with a new Call-ID whenever it is throttled. Each
  // guess that is not refused unverified counts; both stay far below what bans alone would allow
  // (9 guesses per ban, bans from 5 minutes doubling to a day: about 90 a day), and changing the
  // Call-ID buys nothing.
  for (const bool new_call_id_after_throttle : {false, true}) {
    SCOPED_TRACE(new_call_id_after_throttle ? "new Call-ID after each throttle" : "one Call-ID");
    Guard& guard = make();
    const IpAddress source = ip("203.0.113.9");
    int device = 0;
    uint32_t cseq = 1;
    int verified_first_10_minutes = 0;
    int verified = 0;
    for (int second = 0; second < 24 * 3600; ++second) {
      const std::string call_id = "guesser-" + std::to_string(device);
      if (guard.admit(source, 500) == Verdict::kBanned || guard.throttled(source, "100", call_id)) {
        clock_.advance(seconds(1));
        continue;
      }
      ++verified;
      if (second < 600) ++verified_first_10_minutes;
      if (fail(source, "100", call_id, cseq++) && new_call_id_after_throttle) {
        ++device;
        cseq = 1;
      }
      clock_.advance(seconds(1));
      guard.expire();
    }
    // 3 then one per throttle: 10 s, 20 s, ... an hour (about 35 a day), either way.
    EXPECT_LE(verified_first_10_minutes, 8);
    EXPECT_LE(verified, 36);
  }
}

TEST_F(GuardThrottleTest, AThrottledAccountStillCountsAgainstItsLockout) {
  // Each verified failure counts against the account, so throttling gives a guesser who keeps
  // one Call-ID no way around the account's lockout (20 failures in 10 minutes).
  Settings settings;
  settings.account_auth_failures = 5;
  make(settings);
  for (uint32_t i = 0; i < 5; ++i) fail(ip("198.51.100.7"), "100", "one", i + 1);
  EXPECT_FALSE(guard_->may_authenticate(ip("203.0.113.1"), "100"));
}

TEST_F(GuardThrottleTest, ADeviceIsForgottenAfterTheSourceWindow) {
  Guard& guard = make();
  const IpAddress office = ip("198.51.100.7");
  for (uint32_t i = 0; i < 2; ++i) fail(office, "100", "c", i + 1);
  clock_.advance(seconds(601));
  // Two more after the window: a fresh start, not the third and fourth.
  for (uint32_t i = 2; i < 4; ++i) EXPECT_FALSE(fail(office, "100", "c", i + 1));
  guard.expire();
  EXPECT_EQ(guard.counters().devices_throttled, 0U);
  EXPECT_FALSE(guard.throttled(office, "100", "c"));
}

TEST_F(GuardThrottleTest, AFailureWithoutAHigherCSeqIsNotARepeat) {
  // A retransmission, or svcrack answering each fresh challenge with CSeq 2: every one counts
  // against the source and none throttles.
  Guard& guard = make();
  const IpAddress source = ip("198.51.100.9");
  for (int i = 0; i < 9; ++i) EXPECT_FALSE(fail(source, "100", "same", 2));
  EXPECT_FALSE(banned(source));
  EXPECT_FALSE(fail(source, "100", "same", 2));
  EXPECT_TRUE(banned(source));
  EXPECT_FALSE(guard.throttled(source, "100", "same"));
}

}  // namespace
}  // namespace hardline::guard
