#pragma once
// A Config with a dialplan, from TOML text, for the routing tests.
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "routing/dialplan.h"

namespace hardline::routing::testing {

inline const std::string kSip =
    "[sip]\n"
    "domain = \"pbx.example.org\"\n"
    "listen = [\"udp:192.0.2.10:5060\"]\n";

// Parses kSip + `routing`; fails the test (and returns a default Config) on a config error.
inline config::Config config_of(const std::string& routing) {
  auto parsed = config::parse_config(kSip + routing, "/etc/hardline/hardline.toml");
  EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().to_string());
  return parsed ? *parsed : config::Config{};
}

inline Dialplan dialplan_of(const std::string& routing) {
  auto compiled = Dialplan::compile(config_of(routing));
  EXPECT_TRUE(compiled) << (compiled ? "" : compiled.error());
  if (!compiled) return std::move(*Dialplan::compile(config::Config{}));
  return std::move(*compiled);
}

}  // namespace hardline::routing::testing
