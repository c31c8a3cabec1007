#include "guard/config_settings.h"

#include <chrono>

namespace hardline::guard {

Settings settings_from_config(const config::Config::Guard& config) {
  using std::chrono::seconds;
  Settings settings;
  settings.enabled = config.enabled;
  settings.trusted = config.trusted;
  settings.protected_networks = config.protected_networks;
  settings.source_prefix_v4 = static_cast<uint8_t>(config.source_prefix_v4);
  settings.source_prefix_v6 = static_cast<uint8_t>(config.source_prefix_v6);
  settings.packets = {config.packet_rate, config.packet_burst};
  settings.bytes = {config.byte_rate, config.byte_burst};
  settings.register_requests = {config.register_rate, config.register_burst};
  settings.invite_requests = {config.invite_rate, config.invite_burst};
  settings.other_requests = {config.other_rate, config.other_burst};
  settings.abuse_drops = config.abuse_drops;
  settings.abuse_window = seconds(config.abuse_window);
  settings.ban_duration = seconds(config.ban_duration);
  settings.max_ban_duration = seconds(config.max_ban_duration);
  settings.repeat_memory = seconds(config.repeat_memory);
  settings.source_auth_failures = config.source_auth_failures;
  settings.source_auth_window = seconds(config.source_auth_window);
  settings.account_auth_failures = config.account_auth_failures;
  settings.account_auth_window = seconds(config.account_auth_window);
  settings.lockout_duration = seconds(config.lockout_duration);
  settings.max_lockout_duration = seconds(config.max_lockout_duration);
  settings.recent_success = seconds(config.recent_success);
  settings.scanner_signatures = config.scanner_signatures;
  settings.ban_scanners = config.ban_scanners;
  settings.max_entries = config.max_entries;
  settings.max_bans = config.max_bans;
  return settings;
}

}  // namespace hardline::guard
