// settings_from_config(): the config's [guard] table maps onto Settings field by field, and
// the two sets of defaults (config/ cannot include guard/) are the same.

#include "guard/config_settings.h"

#include <gtest/gtest.h>

#include <chrono>

#include "test_support.h"

namespace hardline::guard {
namespace {

using std::chrono::seconds;
using testing::net;

TEST(SettingsFromConfig, TheDefaultsAgree) {
  EXPECT_EQ(settings_from_config(config::Config::Guard{}), Settings{});
  EXPECT_EQ(config::Config::Guard{}.scanner_signatures, default_scanner_signatures());
}

TEST(SettingsFromConfig, MapsEveryField) {
  config::Config::Guard c;
  c.enabled = false;
  c.trusted = {net("192.0.2.0/24"), net("2001:db8::/32")};
  c.protected_networks = {net("198.51.100.7")};
  c.source_prefix_v4 = 24;
  c.source_prefix_v6 = 56;
  c.packet_rate = 1;
  c.packet_burst = 2;
  c.byte_rate = 3;
  c.byte_burst = 4;
  c.register_rate = 5;
  c.register_burst = 6;
  c.invite_rate = 7;
  c.invite_burst = 8;
  c.other_rate = 9;
  c.other_burst = 10;
  c.abuse_drops = 11;
  c.abuse_window = 12;
  c.ban_duration = 13;
  c.max_ban_duration = 14;
  c.repeat_memory = 15;
  c.source_auth_failures = 16;
  c.source_auth_window = 17;
  c.account_auth_failures = 18;
  c.account_auth_window = 19;
  c.lockout_duration = 20;
  c.max_lockout_duration = 21;
  c.recent_success = 22;
  c.scanner_signatures = {"one", "two"};
  c.ban_scanners = false;
  c.max_entries = 23;
  c.max_bans = 24;

  Settings expected;
  expected.enabled = false;
  expected.trusted = c.trusted;
  expected.protected_networks = c.protected_networks;
  expected.source_prefix_v4 = 24;
  expected.source_prefix_v6 = 56;
  expected.packets = {1, 2};
  expected.bytes = {3, 4};
  expected.register_requests = {5, 6};
  expected.invite_requests = {7, 8};
  expected.other_requests = {9, 10};
  expected.abuse_drops = 11;
  expected.abuse_window = seconds(12);
  expected.ban_duration = seconds(13);
  expected.max_ban_duration = seconds(14);
  expected.repeat_memory = seconds(15);
  expected.source_auth_failures = 16;
  expected.source_auth_window = seconds(17);
  expected.account_auth_failures = 18;
  expected.account_auth_window = seconds(19);
  expected.lockout_duration = seconds(20);
  expected.max_lockout_duration = seconds(21);
  expected.recent_success = seconds(22);
  expected.scanner_signatures = {"one", "two"};
  expected.ban_scanners = false;
  expected.max_entries = 23;
  expected.max_bans = 24;
  EXPECT_EQ(settings_from_config(c), expected);
}

}  // namespace
}  // namespace hardline::guard
