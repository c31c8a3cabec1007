// Bans an operator makes, lifts and reloads: networks of any prefix, exact-network unbans,
// restored back-off, the bound on the ban table, and the events each step emits.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "guard/guard.h"
#include "test_support.h"

namespace hardline::guard {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using testing::ip;
using testing::net;
using testing::RecordingSink;

constexpr int64_t kStartUnix = 1'700'000'000;

class GuardBanTest : public ::testing::Test {
 protected:
  Guard& make(Settings settings = {}) {
    guard_ = std::make_unique<Guard>(std::move(settings), clock_, &sink_);
    return *guard_;
  }
  bool banned(const char* source) { return guard_->admit(ip(source), 100) == Verdict::kBanned; }

  ManualClock clock_{kStartUnix};
  RecordingSink sink_;
  std::unique_ptr<Guard> guard_;
};

TEST_F(GuardBanTest, NetworkBansOfEveryPrefixLength) {
  Guard& guard = make();
  for (const char* network : {"10.0.0.0/8", "192.0.2.0/24", "198.51.100.7", "2001:db8::/32",
                              "2001:db8:ffff:1::5", "fd00:1:2:3::/64", "fe80::/10"}) {
    ASSERT_TRUE(guard.ban(net(network), hours(1), "test")) << network;
  }
  struct Case {
    const char* source;
    bool banned;
  };
  const Case cases[] = {
      {"10.255.1.2", true},      {"11.0.0.1", false},
      {"192.0.2.200", true},     {"192.0.3.1", false},
      {"198.51.100.7", true},    {"198.51.100.8", false},
      {"::ffff:10.1.1.1", true}, {"2001:db8:1234::1", true},
      {"2001:db9::1", false},    {"2001:db8:ffff:1::5", true},  // inside the /32 too
      {"fd00:1:2:3:4::1", true}, {"fd00:1:2:4::1", false},
      {"fe80::1", true},         {"febf::1", true},
      {"fec0::1", false},        {"127.0.0.1", false},
  };
  for (const Case& c : cases) EXPECT_EQ(banned(c.source), c.banned) << c.source;
  const std::vector<BanInfo> bans = guard.bans();
  EXPECT_EQ(bans.size(), 7U);
}

TEST_F(GuardBanTest, AHostBanSmallerThanTheSourceGroup) {
  Guard& guard = make();
  ASSERT_TRUE(guard.ban(net("2001:db8:1:2::5/128"), hours(1), "one host"));
  EXPECT_TRUE(banned("2001:db8:1:2::5"));
  EXPECT_FALSE(banned("2001:db8:1:2::6"));  // same /64, another host
}

TEST_F(GuardBanTest, ManualBansAndUnbansAreEventsWithTheOperatorsReason) {
  Settings settings;
  settings.trusted = {net("192.0.2.0/24")};
  Guard& guard = make(settings);
  // An operator may ban a trusted network: they asked for it.
  ASSERT_TRUE(guard.ban(net("192.0.2.0/24"), seconds(600), "compromised office"));
  EXPECT_TRUE(banned("192.0.2.9"));
  ASSERT_EQ(sink_.events.size(), 1U);
  const Event& ban = sink_.events[0];
  EXPECT_EQ(ban.kind, Event::Kind::kBan);
  EXPECT_EQ(ban.network, net("192.0.2.0/24"));
  EXPECT_EQ(ban.until_unix, kStartUnix + 600);
  EXPECT_EQ(ban.reason, "compromised office");
  EXPECT_FALSE(ban.automatic);
  EXPECT_TRUE(ban.by_operator);

  EXPECT_FALSE(guard.unban(net("192.0.2.9/32"), "no containment"));  // exact network only
  EXPECT_FALSE(guard.unban(net("192.0.0.0/16"), "no containment"));
  ASSERT_TRUE(guard.unban(net("192.0.2.0/24"), "false alarm"));
  EXPECT_FALSE(banned("192.0.2.9"));
  ASSERT_EQ(sink_.events.size(), 2U);
  const Event& unban = sink_.events[1];
  EXPECT_EQ(unban.kind, Event::Kind::kUnban);
  EXPECT_EQ(unban.network, net("192.0.2.0/24"));
  EXPECT_EQ(unban.reason, "false alarm");
  EXPECT_EQ(unban.until_unix, 0);
  EXPECT_TRUE(unban.by_operator);
  EXPECT_FALSE(guard.unban(net("192.0.2.0/24"), "twice"));
  const Counters counters = guard.counters();
  EXPECT_EQ(counters.bans_manual, 1U);
  EXPECT_EQ(counters.unbans_manual, 1U);
}

TEST_F(GuardBanTest, RefusesBansThatMakeNoSense) {
  Guard& guard = make();
  Network host_bits = net("10.0.0.0/8");
  host_bits.base.bytes[3] = 1;  // 10.0.0.1/8
  Network too_long = net("10.0.0.0/8");
  too_long.prefix = 33;
  struct Case {
    const char* what;
    Network network;
    seconds duration;
  };
  const Case cases[] = {
      {"zero duration", net("10.0.0.0/8"), seconds(0)},
      {"negative duration", net("10.0.0.0/8"), seconds(-5)},
      {"over ten years", net("10.0.0.0/8"), hours(24 * 3651)},
      {"host bits set", host_bits, seconds(60)},
      {"prefix too long", too_long, seconds(60)},
      {"everyone (IPv4)", net("0.0.0.0/0"), seconds(60)},
      {"everyone (IPv6)", net("::/0"), seconds(60)},
  };
  for (const Case& c : cases) EXPECT_FALSE(guard.ban(c.network, c.duration, "x")) << c.what;
  EXPECT_TRUE(guard.bans().empty());
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(GuardBanTest, ReasonsAreMadePrintableAndShort) {
  Guard& guard = make();
  ASSERT_TRUE(
      guard.ban(net("10.0.0.0/8"), hours(1), "line\nbreak\x1b[31m" + std::string(300, 'x')));
  ASSERT_EQ(sink_.events.size(), 1U);
  const std::string& reason = sink_.events[0].reason;
  EXPECT_EQ(reason.find('\n'), std::string::npos);
  EXPECT_EQ(reason.find('\x1b'), std::string::npos);
  EXPECT_EQ(reason.rfind("line?break?[31m", 0), 0U);
  EXPECT_EQ(reason.size(), 203U);  // 200 and "..."
}

TEST_F(GuardBanTest, AManualBanReplacesAnAutomaticOneAndKeepsItsBackOff) {
  Guard& guard = make();
  const IpAddress attacker = ip("203.0.113.5");
  while (guard.admit(attacker, 100) != Verdict::kBanned) {
  }
  ASSERT_TRUE(guard.ban(net("203.0.113.5/32"), seconds(60), "looking into it"));
  ASSERT_EQ(guard.bans().size(), 1U);
  EXPECT_FALSE(guard.bans()[0].automatic);
  EXPECT_EQ(sink_.events.back().repeats, 1U);  // for the store's copy of the back-off
  clock_.advance(seconds(61));
  guard.expire();
  while (guard.admit(attacker, 100) != Verdict::kBanned) {
  }
  EXPECT_EQ(sink_.events.back().kind, Event::Kind::kBan);
  EXPECT_EQ(sink_.events.back().until_unix - clock_.unix_seconds(), 600);  // second offence
  EXPECT_EQ(sink_.events.back().repeats, 2U);
}

TEST_F(GuardBanTest, RestoredBansAreInForceWithoutEvents) {
  Guard& guard = make();
  BanInfo manual{net("198.51.100.0/24"), kStartUnix + 3600, "from the store", false, 0};
  BanInfo automatic{net("203.0.113.9/32"), kStartUnix + 100, "rate limits exceeded", true, 3};
  BanInfo ended{net("203.0.113.10/32"), kStartUnix - 100, "old", true, 2};
  BanInfo long_ago{net("203.0.113.11/32"), kStartUnix - 86400 - 1, "older", true, 5};
  EXPECT_TRUE(guard.restore_ban(manual));
  EXPECT_TRUE(guard.restore_ban(automatic));
  EXPECT_FALSE(guard.restore_ban(ended));     // over, but its back-off is remembered
  EXPECT_FALSE(guard.restore_ban(long_ago));  // over, and past repeat_memory
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_TRUE(banned("198.51.100.77"));
  EXPECT_TRUE(banned("203.0.113.9"));
  EXPECT_FALSE(banned("203.0.113.10"));
  const std::vector<BanInfo> bans = guard.bans();
  ASSERT_EQ(bans.size(), 2U);
  EXPECT_EQ(bans[0], automatic);  // soonest ending first
  EXPECT_EQ(bans[1], manual);

  // The back-off goes on: the fourth ban of .9, the third of .10, the first of .11.
  clock_.advance(seconds(100));
  const struct {
    const char* source;
    int64_t duration;
    uint32_t repeats;
  } next[] = {{"203.0.113.9", 2400, 4}, {"203.0.113.10", 1200, 3}, {"203.0.113.11", 300, 1}};
  for (const auto& n : next) {
    sink_.events.clear();
    while (guard.admit(ip(n.source), 100) != Verdict::kBanned) {
    }
    const std::vector<Event> bans_now = sink_.of(Event::Kind::kBan);
    ASSERT_EQ(bans_now.size(), 1U) << n.source;
    EXPECT_EQ(bans_now[0].until_unix - clock_.unix_seconds(), n.duration) << n.source;
    EXPECT_EQ(bans_now[0].repeats, n.repeats) << n.source;
  }
}

TEST_F(GuardBanTest, AnAutomaticBanOfANetworkNowTrustedIsNotRestored) {
  Settings settings;
  settings.trusted = {net("192.0.2.0/24")};
  Guard& guard = make(settings);
  EXPECT_FALSE(guard.restore_ban({net("192.0.2.5/32"), kStartUnix + 300, "flood", true, 1}));
  EXPECT_TRUE(guard.restore_ban({net("192.0.2.6/32"), kStartUnix + 300, "manual", false, 0}));
  EXPECT_FALSE(banned("192.0.2.5"));
  EXPECT_TRUE(banned("192.0.2.6"));
}

TEST_F(GuardBanTest, AFullBanTableDropsTheBanThatEndsSoonestAutomaticFirst) {
  Settings settings;
  settings.max_bans = 4;
  Guard& guard = make(settings);
  ASSERT_TRUE(guard.ban(net("10.0.0.1/32"), seconds(100), "manual, soonest"));
  ASSERT_TRUE(guard.ban(net("10.0.0.2/32"), seconds(5000), "manual"));
  ASSERT_TRUE(guard.restore_ban({net("10.0.0.3/32"), kStartUnix + 200, "auto", true, 1}));
  ASSERT_TRUE(guard.restore_ban({net("10.0.0.4/32"), kStartUnix + 400, "auto", true, 1}));
  sink_.events.clear();
  ASSERT_TRUE(guard.ban(net("10.0.0.5/32"), seconds(50), "new"));
  ASSERT_EQ(sink_.events.size(), 2U);
  EXPECT_EQ(sink_.events[0].kind, Event::Kind::kUnban);
  EXPECT_EQ(sink_.events[0].network, net("10.0.0.3/32"));  // automatic before manual
  EXPECT_EQ(sink_.events[0].reason, "ban table full");
  EXPECT_EQ(sink_.events[1].kind, Event::Kind::kBan);
  ASSERT_TRUE(guard.ban(net("10.0.0.6/32"), seconds(50), "new"));
  ASSERT_TRUE(guard.ban(net("10.0.0.7/32"), seconds(50), "new"));  // only manual ones left
  EXPECT_FALSE(banned("10.0.0.3"));
  EXPECT_FALSE(banned("10.0.0.4"));
  EXPECT_FALSE(banned("10.0.0.5"));  // ended soonest of the manual ones (50 s, added first)
  EXPECT_TRUE(banned("10.0.0.1"));
  EXPECT_TRUE(banned("10.0.0.2"));
  EXPECT_TRUE(banned("10.0.0.6"));
  EXPECT_TRUE(banned("10.0.0.7"));
  const Counters counters = guard.counters();
  EXPECT_EQ(counters.bans.entries, 4U);
  EXPECT_EQ(counters.bans.capacity, 4U);
  EXPECT_EQ(counters.bans.evictions, 3U);
}

TEST_F(GuardBanTest, ReplacingABanOfTheSameNetworkDoesNotGrowTheTable) {
  Guard& guard = make();
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(guard.ban(net("10.0.0.0/8"), seconds(60 * i), "again"));
  const std::vector<BanInfo> bans = guard.bans();
  ASSERT_EQ(bans.size(), 1U);
  EXPECT_EQ(bans[0].until_unix, kStartUnix + 300);
  clock_.advance(seconds(60));
  guard.expire();
  EXPECT_TRUE(banned("10.1.1.1"));  // the first end is gone with the first ban
  EXPECT_TRUE(sink_.of(Event::Kind::kUnban).empty());
}

TEST_F(GuardBanTest, LiftingTheLastBanOfAPrefixLengthStopsLookingThere) {
  Guard& guard = make();
  ASSERT_TRUE(guard.ban(net("10.0.0.0/8"), hours(1), "a"));
  ASSERT_TRUE(guard.ban(net("10.1.0.0/16"), hours(2), "b"));
  ASSERT_TRUE(guard.unban(net("10.0.0.0/8"), "lifted"));
  EXPECT_TRUE(banned("10.1.2.3"));
  EXPECT_FALSE(banned("10.2.2.3"));
  clock_.advance(hours(2));
  guard.expire();
  EXPECT_FALSE(banned("10.1.2.3"));
  EXPECT_EQ(guard.counters().bans.entries, 0U);
}

TEST_F(GuardBanTest, AnEndedBanCannotBeLifted) {
  Guard& guard = make();
  ASSERT_TRUE(guard.ban(net("10.0.0.0/8"), seconds(10), "short"));
  clock_.advance(seconds(10));
  EXPECT_FALSE(guard.unban(net("10.0.0.0/8"), "late"));
  guard.expire();
  const std::vector<Event> unbans = sink_.of(Event::Kind::kUnban);
  ASSERT_EQ(unbans.size(), 1U);
  EXPECT_EQ(unbans[0].reason, "ban ended");
  EXPECT_FALSE(unbans[0].by_operator);
}

}  // namespace
}  // namespace hardline::guard
