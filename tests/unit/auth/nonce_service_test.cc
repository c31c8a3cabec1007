// NonceService: signed, expiring, source-bound nonces; single-use nonce-counts; key rotation;
// bounded memory. Time moves by hand (ManualClock).

#include "auth/nonce_service.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace hardline;
using namespace hardline::auth;
using Check = NonceService::Check;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

IpAddress ip(std::string_view text) {
  auto address = parse_ip_address(text);
  EXPECT_TRUE(address.has_value()) << text;
  return address.value_or(IpAddress{});
}

class NonceServiceTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  IpAddress alice_ = ip("192.0.2.1");
  IpAddress mallory_ = ip("192.0.2.2");
};

TEST_F(NonceServiceTest, IssuesDistinctBase64UrlTokens) {
  NonceService nonces(clock_);
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string nonce = nonces.issue(alice_);
    EXPECT_EQ(nonce.size(), 44u);
    EXPECT_EQ(nonce.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                      "0123456789-_"),
              std::string::npos)
        << nonce;
    EXPECT_TRUE(seen.insert(nonce).second) << "issued twice: " << nonce;
  }
}

TEST_F(NonceServiceTest, AcceptsOnceThenReportsReplay) {
  NonceService nonces(clock_);
  const std::string nonce = nonces.issue(alice_);
  EXPECT_EQ(nonces.check_and_consume(nonce, alice_, 1), Check::kValid);
  EXPECT_EQ(nonces.check_and_consume(nonce, alice_, 1), Check::kReplay);
  EXPECT_EQ(nonces.tracked(), 1u);
}

TEST_F(NonceServiceTest, AcceptsOnlyIncreasingNonceCounts) {
  NonceService nonces(clock_);
  const std::string nonce = nonces.issue(alice_);
  EXPECT_EQ(nonces.check_and_consume(nonce, alice_, 1), Check::kValid);
  EXPECT_EQ(nonces.check_and_consume(nonce, alice_, 2), Check::kValid);
  EXPECT_EQ(nonces.check_and_consume(nonce, alice_, 5), Check::kValid);  // gaps are fine
  EXPECT_EQ(nonces.check_and_consume(nonce, alice_, 4), Check::kReplay);
  EXPECT_EQ(nonces.check_and_consume(nonce, alice_, 5), Check::kReplay);
  EXPECT_EQ(nonces.check_and_consume(nonce, alice_, 6), Check::kValid);
  EXPECT_EQ(nonces.check_and_consume(nonce, alice_, 0xffffffff), Check::kValid);
  EXPECT_EQ(nonces.check_and_consume(nonce, alice_, 0xffffffff), Check::kReplay);
}

TEST_F(NonceServiceTest, NonceCountsAreKeptPerNonce) {
  NonceService nonces(clock_);
  const std::string first = nonces.issue(alice_);
  const std::string second = nonces.issue(alice_);
  EXPECT_EQ(nonces.check_and_consume(first, alice_, 7), Check::kValid);
  EXPECT_EQ(nonces.check_and_consume(second, alice_, 1), Check::kValid);
}

TEST_F(NonceServiceTest, RefusesNonceCountZero) {
  NonceService nonces(clock_);
  const std::string nonce = nonces.issue(alice_);
  EXPECT_EQ(nonces.check_and_consume(nonce, alice_, 0), Check::kInvalid);
  EXPECT_EQ(nonces.check_and_consume(nonce, alice_, 1), Check::kValid);
}

TEST_F(NonceServiceTest, ExpiresAfterItsLifetime) {
  NonceService nonces(clock_, {.lifetime = seconds(300), .key_rotation = seconds(600)});
  const std::string used = nonces.issue(alice_);
  const std::string unused = nonces.issue(alice_);
  EXPECT_EQ(nonces.check_and_consume(used, alice_, 1), Check::kValid);
  clock_.advance(seconds(300));  // the last millisecond of its life
  EXPECT_EQ(nonces.check_and_consume(used, alice_, 2), Check::kValid);
  clock_.advance(milliseconds(1));
  EXPECT_EQ(nonces.check_and_consume(used, alice_, 3), Check::kStale);
  EXPECT_EQ(nonces.check_and_consume(unused, alice_, 1), Check::kStale);
  // A fresh one works.
  EXPECT_EQ(nonces.check_and_consume(nonces.issue(alice_), alice_, 1), Check::kValid);
}

TEST_F(NonceServiceTest, IsBoundToTheSourceAddress) {
  NonceService nonces(clock_);
  const std::string nonce = nonces.issue(alice_);
  EXPECT_EQ(nonces.check_and_consume(nonce, mallory_, 1), Check::kInvalid);
  // The same four bytes as IPv6 are another address.
  IpAddress same_bytes_v6 = alice_;
  same_bytes_v6.v6 = true;
  EXPECT_EQ(nonces.check_and_consume(nonce, same_bytes_v6, 1), Check::kInvalid);
  // Failed checks consumed nothing.
  EXPECT_EQ(nonces.check_and_consume(nonce, alice_, 1), Check::kValid);

  const IpAddress v6 = ip("2001:db8::1");
  const std::string nonce6 = nonces.issue(v6);
  EXPECT_EQ(nonces.check_and_consume(nonce6, ip("2001:db8::2"), 1), Check::kInvalid);
  EXPECT_EQ(nonces.check_and_consume(nonce6, v6, 1), Check::kValid);
}

TEST_F(NonceServiceTest, RefusesEveryTamperedCharacter) {
  NonceService nonces(clock_);
  const std::string nonce = nonces.issue(alice_);
  for (size_t i = 0; i < nonce.size(); ++i) {
    for (char replacement : {'A', 'z', '-', '_', '7'}) {
      if (nonce[i] == replacement) continue;
      std::string tampered = nonce;
      tampered[i] = replacement;
      EXPECT_EQ(nonces.check_and_consume(tampered, alice_, 1), Check::kInvalid)
          << "position " << i << ": " << tampered;
    }
  }
  EXPECT_EQ(nonces.check_and_consume(nonce, alice_, 1), Check::kValid);
}

TEST_F(NonceServiceTest, RefusesMalformedNonces) {
  NonceService nonces(clock_);
  const std::string nonce = nonces.issue(alice_);
  const std::string kCases[] = {
      "",
      "abc",
      nonce.substr(0, 43),
      nonce + "A",
      nonce.substr(0, 43) + "=",
      nonce.substr(0, 43) + "+",
      nonce.substr(0, 43) + "/",
      nonce.substr(0, 43) + " ",
      std::string(44, 'A'),
      std::string(48, 'A'),                  // the old layout's length
      "dcd98b7102dd2f0e8b11d0f600bfb0c093",  // RFC 2617's example nonce
  };
  for (const std::string& bad : kCases) {
    EXPECT_EQ(nonces.check_and_consume(bad, alice_, 1), Check::kInvalid) << bad;
  }
}

TEST_F(NonceServiceTest, RefusesAnotherServicesNonces) {
  NonceService ours(clock_);
  NonceService theirs(clock_);  // another key, as after a restart
  EXPECT_EQ(ours.check_and_consume(theirs.issue(alice_), alice_, 1), Check::kInvalid);
}

TEST_F(NonceServiceTest, PreviousKeyStillVerifiesAfterOneRotation) {
  NonceService nonces(clock_, {.lifetime = seconds(300), .key_rotation = seconds(600)});
  clock_.advance(seconds(590));
  const std::string before = nonces.issue(alice_);
  clock_.advance(seconds(20));  // t = 610 s: the key rotated at 600 s
  const std::string after = nonces.issue(alice_);
  EXPECT_EQ(nonces.check_and_consume(before, alice_, 1), Check::kValid);
  EXPECT_EQ(nonces.check_and_consume(after, alice_, 1), Check::kValid);
  EXPECT_EQ(nonces.check_and_consume(before, mallory_, 2), Check::kInvalid);
}

TEST_F(NonceServiceTest, KeyIsRetiredAfterTwoRotations) {
  NonceService nonces(clock_, {.lifetime = seconds(600), .key_rotation = seconds(600)});
  clock_.advance(seconds(599));
  const std::string old = nonces.issue(alice_);
  EXPECT_EQ(nonces.check_and_consume(old, alice_, 1), Check::kValid);
  clock_.advance(seconds(2));  // t = 601 s: one rotation, still the previous key
  EXPECT_EQ(nonces.check_and_consume(old, alice_, 2), Check::kValid);
  const std::string middle = nonces.issue(alice_);
  clock_.advance(seconds(600));  // t = 1201 s: two rotations
  // Its key is gone: it can no longer be told from a forgery, so it is garbage, not stale.
  EXPECT_EQ(nonces.check_and_consume(old, alice_, 3), Check::kInvalid);
  EXPECT_EQ(nonces.check_and_consume(middle, alice_, 1), Check::kValid);  // previous key now
  EXPECT_EQ(nonces.check_and_consume(nonces.issue(alice_), alice_, 1), Check::kValid);
}

TEST_F(NonceServiceTest, LongIdleRetiresEveryOldKey) {
  NonceService nonces(clock_, {.lifetime = seconds(600), .key_rotation = seconds(600)});
  clock_.advance(seconds(1199));  // one rotation at 600 s: there is a previous key
  EXPECT_EQ(nonces.check_and_consume(nonces.issue(alice_), alice_, 1), Check::kValid);
  const std::string old = nonces.issue(alice_);
  std::string tampered = old;
  tampered[40] = tampered[40] == 'A' ? 'B' : 'A';  // in the tag
  EXPECT_EQ(nonces.check_and_consume(tampered, alice_, 1), Check::kInvalid);
  clock_.advance(seconds(1300));  // nothing happened for two periods: one lazy rotation
  // Its key is gone, so it can no longer be told from a forgery: both are garbage. Were either
  // "stale", the answer to a right password over a made-up nonce would differ (the oracle of
  // issue 12's first finding).
  EXPECT_EQ(nonces.check_and_consume(old, alice_, 1), Check::kInvalid);
  EXPECT_EQ(nonces.check_and_consume(tampered, alice_, 1), Check::kInvalid);
  EXPECT_EQ(nonces.check_and_consume(nonces.issue(alice_), alice_, 1), Check::kValid);
}

TEST_F(NonceServiceTest, ForgettingRaisesAWatermarkInsteadOfAllowingReplays) {
  NonceService nonces(clock_,
                      {.lifetime = seconds(300), .key_rotation = seconds(600), .max_tracked = 3});
  const std::string never_used = nonces.issue(alice_);  // t = 0
  std::vector<std::string> used;
  for (int i = 0; i < 4; ++i) {
    clock_.advance(milliseconds(10));
    used.push_back(nonces.issue(alice_));  // t = 10, 20, 30, 40 ms
  }
  clock_.advance(milliseconds(5));
  const std::string issued_later = nonces.issue(alice_);  // t = 45 ms, unused

  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(nonces.check_and_consume(used[i], alice_, 1), Check::kValid);
  EXPECT_EQ(nonces.tracked(), 3u);
  EXPECT_EQ(nonces.check_and_consume(used[3], alice_, 1), Check::kValid);  // forgets used[0]
  EXPECT_EQ(nonces.tracked(), 3u);

  // used[0] was forgotten: neither a replay nor a higher count gets through.
  EXPECT_EQ(nonces.check_and_consume(used[0], alice_, 1), Check::kStale);
  EXPECT_EQ(nonces.check_and_consume(used[0], alice_, 2), Check::kStale);
  // Nor does an unused nonce issued before it.
  EXPECT_EQ(nonces.check_and_consume(never_used, alice_, 1), Check::kStale);
  // Those still tracked keep their counts.
  EXPECT_EQ(nonces.check_and_consume(used[1], alice_, 1), Check::kReplay);
  EXPECT_EQ(nonces.check_and_consume(used[1], alice_, 2), Check::kValid);
  // Nonces issued after the watermark are fine (and push it up again).
  EXPECT_EQ(nonces.check_and_consume(issued_later, alice_, 1), Check::kValid);
  EXPECT_EQ(nonces.tracked(), 3u);
  EXPECT_EQ(nonces.check_and_consume(used[1], alice_, 3), Check::kStale);
}

TEST_F(NonceServiceTest, MemoryStaysBoundedUnderLoad) {
  NonceService nonces(clock_,
                      {.lifetime = seconds(30), .key_rotation = seconds(60), .max_tracked = 50});
  std::vector<std::string> issued;
  for (int i = 0; i < 2000; ++i) {
    clock_.advance(milliseconds(7));
    issued.push_back(nonces.issue(alice_));
    ASSERT_EQ(nonces.check_and_consume(issued.back(), alice_, 1), Check::kValid) << i;
    ASSERT_LE(nonces.tracked(), 50u);
  }
  // None of them can be used again with the same count, tracked or not.
  for (const std::string& nonce : issued) {
    const Check check = nonces.check_and_consume(nonce, alice_, 1);
    EXPECT_TRUE(check == Check::kReplay || check == Check::kStale) << static_cast<int>(check);
  }
}

TEST_F(NonceServiceTest, ExpiredEntriesAreDroppedFirst) {
  NonceService nonces(clock_,
                      {.lifetime = seconds(10), .key_rotation = seconds(60), .max_tracked = 2});
  EXPECT_EQ(nonces.check_and_consume(nonces.issue(alice_), alice_, 1), Check::kValid);
  clock_.advance(seconds(11));
  const std::string unused = nonces.issue(alice_);  // t = 11 s
  EXPECT_EQ(nonces.check_and_consume(nonces.issue(alice_), alice_, 1), Check::kValid);
  EXPECT_EQ(nonces.tracked(), 1u);  // the expired one made room without a watermark
  EXPECT_EQ(nonces.check_and_consume(unused, alice_, 1), Check::kValid);
  EXPECT_EQ(nonces.tracked(), 2u);
}

TEST_F(NonceServiceTest, IsSafeToShareBetweenThreads) {
  NonceService nonces(clock_);
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string nonce = nonces.issue(alice_);
        if (nonces.check_and_consume(nonce, alice_, 1) != Check::kValid) ++failures[t];
        if (nonces.check_and_consume(nonce, alice_, 1) != Check::kReplay) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int f : failures) EXPECT_EQ(f, 0);
  EXPECT_EQ(nonces.tracked(), 2000u);
}

TEST_F(NonceServiceTest, InspectConsumesNothingAndNeverSaysReplay) {
  NonceService nonces(clock_, {.lifetime = seconds(300), .key_rotation = seconds(600)});
  const std::string nonce = nonces.issue(alice_);
  EXPECT_EQ(nonces.inspect(nonce, alice_), Check::kValid);
  EXPECT_EQ(nonces.inspect(nonce, mallory_), Check::kInvalid);
  EXPECT_EQ(nonces.check_and_consume(nonce, alice_, 1), Check::kValid);
  EXPECT_EQ(nonces.inspect(nonce, alice_), Check::kValid);  // used, still ours and live
  clock_.advance(seconds(301));
  EXPECT_EQ(nonces.inspect(nonce, alice_), Check::kStale);
  EXPECT_EQ(nonces.inspect(nonce, mallory_), Check::kInvalid);  // stale only for its source
  clock_.advance(seconds(900));
  EXPECT_EQ(nonces.inspect(nonce, alice_), Check::kInvalid);  // its key retired
}

// Issue 12, finding 12: a nonce once began with its issue time, so uptime and restarts were
// public. Now every character position varies across nonces issued at the same instant and
// across time, and two services' nonces share no fixed part.
TEST_F(NonceServiceTest, RevealsNothingButRandomness) {
  NonceService nonces(clock_);
  clock_.advance(seconds(5));
  std::vector<std::set<char>> seen(44);
  for (int i = 0; i < 200; ++i) {
    if (i % 50 == 0) clock_.advance(seconds(3600));
    const std::string nonce = nonces.issue(alice_);
    ASSERT_EQ(nonce.size(), 44u);
    for (size_t p = 0; p < nonce.size(); ++p) seen[p].insert(nonce[p]);
  }
  for (size_t p = 0; p < seen.size(); ++p) {
    // 200 draws of 64 symbols: a random position shows about 60; a fixed field shows 1 to 4.
    EXPECT_GT(seen[p].size(), 30u) << "position " << p << " varies too little";
  }
}

TEST(NonceServiceDeathTest, RefusesALifetimeLongerThanTheKeyRotation) {
  ManualClock clock;
  EXPECT_DEATH(NonceService(clock, {.lifetime = seconds(700), .key_rotation = seconds(600)}),
               "key_rotation");
}

}  // namespace
