// What the guard tells other layers about a source: its group (the transport counts TCP
// connections per group) and whether that group authenticated recently (the transport keeps
// slots for such groups).

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "guard/guard.h"
#include "test_support.h"

namespace hardline::guard {
namespace {

using std::chrono::minutes;
using testing::ip;
using testing::net;

TEST(GuardSourcesTest, SourceGroupIsTheGroupEveryTableCounts) {
  struct Case {
    const char* address;
    uint8_t prefix_v4;
    uint8_t prefix_v6;
    const char* group;
  };
  const std::vector<Case> cases = {
      {"192.0.2.77", 32, 64, "192.0.2.77/32"},
      {"2001:db8:64::1:2", 32, 64, "2001:db8:64::/64"},
      {"2001:db8:64:0:ffff:ffff:ffff:ffff", 32, 64, "2001:db8:64::/64"},
      {"::ffff:192.0.2.77", 32, 64, "192.0.2.77/32"},  // a dual-stack socket's IPv4 peer
      {"192.0.2.77", 24, 56, "192.0.2.0/24"},
      {"2001:db8:64:1234::1", 24, 56, "2001:db8:64:1200::/56"},
      {"::1", 32, 128, "::1/128"},
  };
  ManualClock clock;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.address);
    Settings settings;
    settings.source_prefix_v4 = c.prefix_v4;
    settings.source_prefix_v6 = c.prefix_v6;
    Guard guard(settings, clock);
    EXPECT_EQ(guard.source_group(ip(c.address)), net(c.group));
  }
}

TEST(GuardSourcesTest, RecentlyAuthenticatedIsPerGroupAndLastsRecentSuccess) {
  ManualClock clock;
  Guard guard(Settings{}, clock);
  const IpAddress phone = ip("2001:db8:64::10");
  EXPECT_FALSE(guard.recently_authenticated(phone));
  guard.on_auth_success(phone, "alice");
  EXPECT_TRUE(guard.recently_authenticated(phone));
  EXPECT_TRUE(guard.recently_authenticated(ip("2001:db8:64::99")));  // the same /64
  EXPECT_FALSE(guard.recently_authenticated(ip("2001:db8:65::10")));
  // Failures earn nothing: a source that only guessed is a stranger.
  const IpAddress guesser = ip("192.0.2.5");
  guard.on_auth_failure(guesser, "alice");
  EXPECT_FALSE(guard.recently_authenticated(guesser));
  clock.advance(minutes(59));
  EXPECT_TRUE(guard.recently_authenticated(phone));
  clock.advance(minutes(2));
  EXPECT_FALSE(guard.recently_authenticated(phone));
}

TEST(GuardSourcesTest, NobodyIsRecentlyAuthenticatedWhileTheGuardIsOff) {
  ManualClock clock;
  Settings settings;
  settings.enabled = false;
  Guard guard(settings, clock);
  const IpAddress phone = ip("192.0.2.10");
  guard.on_auth_success(phone, "alice");
  EXPECT_FALSE(guard.recently_authenticated(phone));
  EXPECT_EQ(guard.source_group(phone), net("192.0.2.10/32"));
}

}  // namespace
}  // namespace hardline::guard
