// Guard::admit() and admit_method(): packet, byte and per-method buckets per source group, and
// sustained abuse turning into bans that double on repeat. Time moves by hand.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "guard/guard.h"
#include "test_support.h"

namespace hardline::guard {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::ip;
using testing::net;
using testing::RecordingSink;

constexpr int64_t kStartUnix = 1'700'000'000;

class GuardRateTest : public ::testing::Test {
 protected:
  Guard& make(Settings settings = {}) {
    guard_ = std::make_unique<Guard>(std::move(settings), clock_, &sink_);
    return *guard_;
  }
  // Sends small datagrams from `source` until it is banned; the number sent, or -1 if `limit`
  // datagrams did not get it banned.
  int flood_until_banned(const IpAddress& source, int limit = 100000) {
    for (int sent = 1; sent <= limit; ++sent) {
      if (guard_->admit(source, 100) == Verdict::kBanned) return sent;
    }
    return -1;
  }
  int64_t elapsed_seconds() const { return clock_.unix_seconds() - kStartUnix; }

  ManualClock clock_{kStartUnix};
  RecordingSink sink_;
  std::unique_ptr<Guard> guard_;
};

TEST_F(GuardRateTest, PacketBucketGrantsTheBurstThenTheRate) {
  Guard& guard = make();
  const IpAddress phone = ip("192.0.2.1");
  for (int i = 0; i < 400; ++i) ASSERT_EQ(guard.admit(phone, 100), Verdict::kAdmit) << i;
  EXPECT_EQ(guard.admit(phone, 100), Verdict::kRateLimited);
  EXPECT_EQ(guard.admit(ip("192.0.2.2"), 100), Verdict::kAdmit);  // another source: own bucket
  clock_.advance(milliseconds(4));
  EXPECT_EQ(guard.admit(phone, 100), Verdict::kRateLimited);
  clock_.advance(milliseconds(1));  // 200/s: one datagram every 5 ms
  EXPECT_EQ(guard.admit(phone, 100), Verdict::kAdmit);
  EXPECT_EQ(guard.admit(phone, 100), Verdict::kRateLimited);
  clock_.advance(seconds(2));  // the whole burst is back
  for (int i = 0; i < 400; ++i) ASSERT_EQ(guard.admit(phone, 100), Verdict::kAdmit) << i;
  EXPECT_EQ(guard.admit(phone, 100), Verdict::kRateLimited);
  EXPECT_EQ(guard.counters().dropped_packet_rate, 4U);
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(GuardRateTest, ByteBucketLimitsLargeDatagrams) {
  Guard& guard = make();
  const IpAddress peer = ip("198.51.100.7");
  for (int i = 0; i < 8; ++i) ASSERT_EQ(guard.admit(peer, 65536), Verdict::kAdmit) << i;
  EXPECT_EQ(guard.admit(peer, 65536), Verdict::kRateLimited);  // 512 KiB burst used up
  EXPECT_EQ(guard.admit(peer, 1), Verdict::kRateLimited);
  clock_.advance(milliseconds(250));  // 256 KiB/s: 64 KiB a quarter second
  EXPECT_EQ(guard.admit(peer, 65536), Verdict::kAdmit);
  const Counters counters = guard.counters();
  EXPECT_EQ(counters.dropped_byte_rate, 2U);
  EXPECT_EQ(counters.dropped_packet_rate, 0U);
}

TEST_F(GuardRateTest, SourcesAreGroupedByNetwork) {
  struct Case {
    const char* first;
    const char* second;
    bool same_group;
  };
  const Case cases[] = {
      {"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe", true},  // one /64
      {"2001:db8:1:2::1", "2001:db8:1:3::1", false},
      {"192.0.2.1", "192.0.2.2", false},                // IPv4: /32
      {"192.0.2.1", "::ffff:192.0.2.1", true},          // IPv4-mapped is IPv4
      {"::ffff:192.0.2.1", "::ffff:192.0.2.2", false},  // not one big ::ffff:0:0/64
      {"192.0.2.1", "::c000:201", false},               // IPv6 with the same low bytes
  };
  for (const Case& c : cases) {
    Settings settings;
    settings.packets = {1, 2};
    Guard& guard = make(settings);
    EXPECT_EQ(guard.admit(ip(c.first), 10), Verdict::kAdmit);
    EXPECT_EQ(guard.admit(ip(c.first), 10), Verdict::kAdmit);
    EXPECT_EQ(guard.admit(ip(c.second), 10), c.same_group ? Verdict::kRateLimited : Verdict::kAdmit)
        << c.first << " and " << c.second;
  }
}

TEST_F(GuardRateTest, GroupPrefixesAreSettings) {
  Settings settings;
  settings.packets = {1, 1};
  settings.source_prefix_v4 = 24;
  settings.source_prefix_v6 = 48;
  Guard& guard = make(settings);
  EXPECT_EQ(guard.admit(ip("203.0.113.1"), 10), Verdict::kAdmit);
  EXPECT_EQ(guard.admit(ip("203.0.113.200"), 10), Verdict::kRateLimited);
  EXPECT_EQ(guard.admit(ip("203.0.114.1"), 10), Verdict::kAdmit);
  EXPECT_EQ(guard.admit(ip("2001:db8:5::1"), 10), Verdict::kAdmit);
  EXPECT_EQ(guard.admit(ip("2001:db8:5:ffff::1"), 10), Verdict::kRateLimited);
}

TEST_F(GuardRateTest, MethodBucketsPerClass) {
  Guard& guard = make();
  const IpAddress office = ip("192.0.2.10");
  auto admitted_in_a_row = [&](const char* method) {
    int admitted = 0;
    while (guard.admit_method(office, method) == Verdict::kAdmit) ++admitted;
    return admitted;  // and one refused
  };
  EXPECT_EQ(admitted_in_a_row("REGISTER"), 100);
  EXPECT_EQ(admitted_in_a_row("INVITE"), 40);
  // Every other method shares one bucket of 100; methods are case-sensitive.
  for (int i = 0; i < 60; ++i) ASSERT_EQ(guard.admit_method(office, "OPTIONS"), Verdict::kAdmit);
  EXPECT_EQ(admitted_in_a_row("BYE"), 40);
  EXPECT_EQ(admitted_in_a_row("register"), 0);
  EXPECT_EQ(admitted_in_a_row("REGISTER"), 0);
  // REGISTER refills at 50/s, one every 20 ms.
  clock_.advance(milliseconds(19));
  EXPECT_EQ(guard.admit_method(office, "REGISTER"), Verdict::kMethodRateLimited);
  clock_.advance(milliseconds(1));
  EXPECT_EQ(guard.admit_method(office, "REGISTER"), Verdict::kAdmit);
  EXPECT_EQ(guard.admit_method(office, "REGISTER"), Verdict::kMethodRateLimited);
  EXPECT_EQ(guard.admit_method(ip("192.0.2.11"), "REGISTER"), Verdict::kAdmit);
  EXPECT_EQ(guard.counters().dropped_method_rate, 7U);
  EXPECT_EQ(guard.admit(office, 500), Verdict::kAdmit);  // the packet buckets are separate
}

TEST_F(GuardRateTest, SustainedAbuseBansTheSource) {
  Guard& guard = make();
  const IpAddress attacker = ip("203.0.113.66");
  for (int i = 0; i < 400; ++i) ASSERT_EQ(guard.admit(attacker, 200), Verdict::kAdmit);
  for (int i = 1; i < 500; ++i) ASSERT_EQ(guard.admit(attacker, 200), Verdict::kRateLimited) << i;
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_EQ(guard.admit(attacker, 200), Verdict::kRateLimited);  // the 500th drop bans
  ASSERT_EQ(sink_.events.size(), 1U);
  const Event& ban = sink_.events[0];
  EXPECT_EQ(ban.kind, Event::Kind::kBan);
  EXPECT_EQ(ban.network, net("203.0.113.66/32"));
  EXPECT_EQ(ban.until_unix, kStartUnix + 300);
  EXPECT_EQ(ban.reason, "rate limits exceeded: 500 drops in 10s");
  EXPECT_TRUE(ban.automatic);
  EXPECT_FALSE(ban.by_operator);
  EXPECT_EQ(ban.repeats, 1U);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(guard.admit(attacker, 200), Verdict::kBanned);
  EXPECT_EQ(sink_.events.size(), 1U);  // drops of a banned source do not ban again
  EXPECT_EQ(guard.admit(ip("203.0.113.67"), 200), Verdict::kAdmit);
  const Counters counters = guard.counters();
  EXPECT_EQ(counters.dropped_banned, 1000U);
  EXPECT_EQ(counters.bans_automatic, 1U);
  EXPECT_EQ(counters.bans.entries, 1U);
}

TEST_F(GuardRateTest, MethodDropsCountTowardsAbuse) {
  Guard& guard = make();
  const IpAddress attacker = ip("203.0.113.70");
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(guard.admit_method(attacker, "REGISTER"), Verdict::kAdmit);
  for (int i = 0; i < 500; ++i) guard.admit_method(attacker, "REGISTER");
  EXPECT_EQ(guard.admit(attacker, 300), Verdict::kBanned);
  EXPECT_EQ(sink_.of(Event::Kind::kBan).size(), 1U);
}

TEST_F(GuardRateTest, DropsSpreadOverMoreThanTheWindowDoNotBan) {
  Guard& guard = make();
  const IpAddress busy = ip("192.0.2.50");
  auto burst_with_drops = [&](int drops) {
    for (int i = 0; i < 400; ++i) ASSERT_EQ(guard.admit(busy, 100), Verdict::kAdmit);
    for (int i = 0; i < drops; ++i) ASSERT_EQ(guard.admit(busy, 100), Verdict::kRateLimited);
  };
  burst_with_drops(499);
  clock_.advance(seconds(10));  // the first 499 drops leave the window
  burst_with_drops(499);
  EXPECT_TRUE(sink_.events.empty());
  clock_.advance(seconds(8));  // the second 499 are still inside it
  burst_with_drops(1);
  EXPECT_EQ(sink_.of(Event::Kind::kBan).size(), 1U);
}

TEST_F(GuardRateTest, BansEndAndRepeatBansDoubleUpToTheMaximum) {
  Guard& guard = make();
  const IpAddress attacker = ip("2001:db8:bad::1");
  const int64_t expected[] = {300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 76800, 86400, 86400};
  for (size_t round = 0; round < std::size(expected); ++round) {
    sink_.events.clear();
    ASSERT_GT(flood_until_banned(attacker), 0) << round;
    const std::vector<Event> bans = sink_.of(Event::Kind::kBan);
    ASSERT_EQ(bans.size(), 1U) << round;
    EXPECT_EQ(bans[0].network, net("2001:db8:bad::/64"));
    EXPECT_EQ(bans[0].until_unix - clock_.unix_seconds(), expected[round]) << round;
    EXPECT_EQ(bans[0].repeats, round + 1);
    ASSERT_EQ(guard.bans().size(), 1U);
    EXPECT_EQ(guard.bans()[0].until_unix, bans[0].until_unix);

    clock_.advance(seconds(expected[round]) - milliseconds(1));
    guard.expire();
    EXPECT_EQ(guard.admit(attacker, 100), Verdict::kBanned) << round;
    clock_.advance(milliseconds(1));
    // Enforced to the nanosecond even before expire() runs.
    EXPECT_EQ(guard.admit(attacker, 100), Verdict::kAdmit) << round;
    EXPECT_TRUE(guard.bans().empty());
    guard.expire();
    const std::vector<Event> unbans = sink_.of(Event::Kind::kUnban);
    ASSERT_EQ(unbans.size(), 1U) << round;
    EXPECT_EQ(unbans[0].network, net("2001:db8:bad::/64"));
    EXPECT_EQ(unbans[0].reason, "ban ended");
    EXPECT_EQ(unbans[0].until_unix, 0);
    EXPECT_TRUE(unbans[0].automatic);
    clock_.advance(seconds(5));  // the buckets refill before the next round
  }
  EXPECT_EQ(guard.counters().bans_ended, std::size(expected));
}

TEST_F(GuardRateTest, TheRepeatCountIsForgottenAfterRepeatMemory) {
  struct Case {
    seconds wait_after_end;
    int64_t second_ban;
  };
  const Case cases[] = {{hours(24) - seconds(1), 600}, {hours(24), 300}};
  for (const Case& c : cases) {
    for (bool pruned : {false, true}) {  // whether expire() has dropped the count meanwhile
      Guard& guard = make();
      const IpAddress attacker = ip("198.51.100.99");
      ASSERT_GT(flood_until_banned(attacker), 0);
      clock_.advance(seconds(300) + c.wait_after_end);
      if (pruned) guard.expire();
      sink_.events.clear();
      ASSERT_GT(flood_until_banned(attacker), 0);
      const std::vector<Event> bans = sink_.of(Event::Kind::kBan);
      ASSERT_EQ(bans.size(), 1U);
      EXPECT_EQ(bans[0].until_unix - clock_.unix_seconds(), c.second_ban)
          << c.wait_after_end.count() << (pruned ? " after expire()" : "");
    }
  }
}

TEST_F(GuardRateTest, TrustedSourcesAreRateLimitedButNeverBanned) {
  Settings settings;
  settings.trusted = {net("192.0.2.0/24"), net("2001:db8:aa:1::5")};
  Guard& guard = make(settings);
  const IpAddress trunk = ip("192.0.2.77");
  EXPECT_EQ(flood_until_banned(trunk, 20000), -1);
  EXPECT_EQ(guard.admit(trunk, 100), Verdict::kRateLimited);
  // A source sharing a /64 with a trusted address is not banned either: banning its group
  // would ban the trusted one.
  EXPECT_EQ(flood_until_banned(ip("2001:db8:aa:1::6"), 20000), -1);
  EXPECT_GT(guard.counters().bans_spared, 0U);
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_GT(flood_until_banned(ip("192.0.3.1")), 0);  // just outside the trusted /24
  EXPECT_GT(flood_until_banned(ip("2001:db8:aa:2::6")), 0);
  EXPECT_TRUE(guard.trusted(ip("::ffff:192.0.2.1")));
  EXPECT_FALSE(guard.trusted(ip("127.0.0.1")));
}

TEST_F(GuardRateTest, NothingIsTrustedByDefaultNotEvenLoopback) {
  Settings settings;
  settings.protected_networks.clear();
  Guard& guard = make(settings);
  EXPECT_FALSE(guard.trusted(ip("127.0.0.1")));
  EXPECT_FALSE(guard.trusted(ip("::1")));
  EXPECT_GT(flood_until_banned(ip("127.0.0.2")), 0);
}

// Issue 12, items 3 and 10: anyone can send a flood or a scanner's datagram "from" a trunk or
// from loopback. Such a source is rate-limited and its scanner requests dropped and counted, but
// it is never banned for them: one forged packet must not cut the provider or /health off.
TEST_F(GuardRateTest, ProtectedNetworksAreRateLimitedAndFilteredButNeverBannedForForgeableCauses) {
  Guard& guard = make();
  EXPECT_EQ(guard.settings().protected_networks, default_protected_networks());
  EXPECT_TRUE(guard.add_protected(net("192.0.2.5")));  // a trunk's host, as the server adds it
  EXPECT_TRUE(guard.add_protected(net("2001:db8:7::/48")));
  EXPECT_FALSE(guard.add_protected(net("0.0.0.0/0")));
  EXPECT_FALSE(guard.add_protected(Network{ip("192.0.2.1"), 24}));  // host bits set
  for (const char* source :
       {"127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1", "192.0.2.5", "2001:db8:7:1::1"}) {
    SCOPED_TRACE(source);
    const IpAddress address = ip(source);
    EXPECT_EQ(flood_until_banned(address, 20000), -1);
    EXPECT_EQ(guard.admit(address, 100), Verdict::kRateLimited);
    EXPECT_EQ(guard.check_signatures(address, "friendly-scanner", ""), Verdict::kScanner);
    EXPECT_EQ(guard.admit_method(address, "INVITE"), Verdict::kAdmit);
    clock_.advance(seconds(10));
    EXPECT_EQ(guard.admit(address, 100), Verdict::kAdmit);  // working again once the flood ends
  }
  EXPECT_TRUE(sink_.events.empty());
  const Counters counters = guard.counters();
  EXPECT_GE(counters.bans_spared_protected, 12U);  // a flood and a scanner from each
  EXPECT_EQ(counters.bans_spared, 0U);
  EXPECT_EQ(counters.bans_automatic, 0U);
  EXPECT_EQ(counters.scanner_hits, 6U);
  // Just outside: banned as anyone.
  EXPECT_EQ(guard.check_signatures(ip("192.0.2.6"), "friendly-scanner", ""), Verdict::kScanner);
  EXPECT_EQ(guard.admit(ip("192.0.2.6"), 100), Verdict::kBanned);
  EXPECT_GT(flood_until_banned(ip("2001:db8:8::1")), 0);
}

TEST_F(GuardRateTest, ProtectedNetworksAreStillBannedForAuthenticationFailures) {
  // Failures over a nonce issued to the source cannot be forged: only its owner receives our
  // challenges. Loopback is banned for them like anyone.
  Guard& guard = make();
  const IpAddress local = ip("127.0.0.70");
  for (int i = 0; i < 10; ++i) guard.on_auth_failure(local, "alice");
  ASSERT_EQ(sink_.of(Event::Kind::kBan).size(), 1U);
  EXPECT_EQ(guard.admit(local, 100), Verdict::kBanned);
  EXPECT_EQ(guard.counters().bans_spared_protected, 0U);
}

TEST_F(GuardRateTest, WrongAdminTokensNeverBanAProtectedNetworkButBanOthers) {
  // Issue 13, item 13: a Prometheus on the same host still holding the old token after a
  // rotation must not get loopback banned from the admin API, /health and SIP.
  Guard& guard = make();
  const IpAddress local = ip("127.0.0.1");
  for (int i = 0; i < 30; ++i)
    guard.on_auth_failure(local, " admin API", {}, AuthFailure::kAdminToken);
  EXPECT_TRUE(sink_.of(Event::Kind::kBan).empty());
  EXPECT_EQ(guard.admit(local, 100), Verdict::kAdmit);
  EXPECT_EQ(guard.counters().bans_spared_protected, 3U);  // once per ten
  // An unprotected source that authenticated recently is still banned: unlike a forged packet,
  // a wrong token comes over an established TCP connection.
  const IpAddress remote = ip("192.0.2.80");
  guard.on_auth_success(remote, "alice");
  for (int i = 0; i < 10; ++i)
    guard.on_auth_failure(remote, " admin API", {}, AuthFailure::kAdminToken);
  EXPECT_EQ(guard.admit(remote, 100), Verdict::kBanned);
}

TEST_F(GuardRateTest, AProtectedAddressSparesTheSourceGroupAroundIt) {
  // Banning the /64 (or a /24 group) around a trunk's address would ban the trunk.
  Settings settings;
  settings.source_prefix_v4 = 24;
  Guard& guard = make(settings);
  ASSERT_TRUE(guard.add_protected(net("2001:db8:aa:1::5")));
  ASSERT_TRUE(guard.add_protected(net("198.51.100.9")));
  EXPECT_EQ(flood_until_banned(ip("2001:db8:aa:1::6"), 20000), -1);
  EXPECT_EQ(flood_until_banned(ip("198.51.100.200"), 20000), -1);
  EXPECT_GT(flood_until_banned(ip("2001:db8:aa:2::6")), 0);
  EXPECT_GT(flood_until_banned(ip("198.51.101.1")), 0);
}

TEST_F(GuardRateTest, DisabledAdmitsEverything) {
  Settings settings;
  settings.enabled = false;
  Guard& guard = make(settings);
  const IpAddress attacker = ip("203.0.113.1");
  for (int i = 0; i < 5000; ++i) {
    ASSERT_EQ(guard.admit(attacker, 65535), Verdict::kAdmit);
    ASSERT_EQ(guard.admit_method(attacker, "INVITE"), Verdict::kAdmit);
  }
  EXPECT_EQ(guard.check_signatures(attacker, "friendly-scanner", ""), Verdict::kAdmit);
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_EQ(guard.counters().sources.entries, 0U);
}

TEST_F(GuardRateTest, ExpireForgetsIdleSources) {
  Guard& guard = make();
  for (int i = 0; i < 100; ++i) {
    IpAddress address = ip("10.0.0.0");
    address.bytes[3] = static_cast<uint8_t>(i);
    guard.admit(address, 100);
  }
  EXPECT_EQ(guard.counters().sources.entries, 100U);
  clock_.advance(seconds(9));
  guard.admit(ip("10.0.1.1"), 100);
  guard.expire();
  EXPECT_EQ(guard.counters().sources.entries, 101U);  // drops still within abuse_window
  clock_.advance(seconds(1));
  guard.expire();
  EXPECT_EQ(guard.counters().sources.entries, 1U);
  clock_.advance(seconds(10));
  guard.expire();
  EXPECT_EQ(guard.counters().sources.entries, 0U);
}

}  // namespace
}  // namespace hardline::guard
