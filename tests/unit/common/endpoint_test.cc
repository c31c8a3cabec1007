#include "common/endpoint.h"

#include <gtest/gtest.h>

namespace hardline {
namespace {

struct SpecCase {
  const char* spec;
  bool valid;
  const char* round_trip;  // to_spec of the parsed value
};

TEST(EndpointSpec, Table) {
  const SpecCase cases[] = {
      {"udp:127.0.0.1:5060", true, "udp:127.0.0.1:5060"},
      {"tcp:127.0.0.1:5061", true, "tcp:127.0.0.1:5061"},
      {"udp:[::1]:5060", true, "udp:[::1]:5060"},
      {"tcp:[2001:db8::1]:65535", true, "tcp:[2001:db8::1]:65535"},
      {"udp:::1:5060", false, ""},  // IPv6 must be bracketed
      {"udp:127.0.0.1", false, ""},
      {"udp:127.0.0.1:0", false, ""},
      {"udp:127.0.0.1:65536", false, ""},
      {"udp:127.0.0.1:50x", false, ""},
      {"udp:127.0.0.1:", false, ""},
      {"sctp:127.0.0.1:5060", false, ""},
      {"udp:example.org:5060", false, ""},  // listen addresses are addresses
      {"udp:256.0.0.1:5060", false, ""},
      {"", false, ""},
  };
  for (const auto& c : cases) {
    auto endpoint = parse_endpoint_spec(c.spec);
    EXPECT_EQ(endpoint.has_value(), c.valid) << c.spec;
    if (endpoint && c.valid) {
      EXPECT_EQ(to_spec(*endpoint), c.round_trip);
    }
  }
}

TEST(IpAddress, ParsesBothFamiliesAndOrders) {
  auto v4 = parse_ip_address("192.0.2.1");
  auto v6 = parse_ip_address("[2001:db8::1]");
  ASSERT_TRUE(v4 && v6);
  EXPECT_FALSE(v4->v6);
  EXPECT_TRUE(v6->v6);
  EXPECT_EQ(to_string(*v6), "2001:db8::1");
  EXPECT_NE(*v4, *v6);
  EXPECT_FALSE(parse_ip_address("1.2.3"));
  EXPECT_FALSE(parse_ip_address(std::string(100, '1')));
}

TEST(IsLoopback, OnlyAddressesOfThisHost) {
  const std::pair<const char*, bool> cases[] = {
      {"127.0.0.1", true},        {"127.255.0.9", true}, {"::1", true},
      {"::ffff:127.0.0.1", true}, {"128.0.0.1", false},  {"10.0.0.1", false},
      {"0.0.0.0", false},         {"::", false},         {"::2", false},
      {"::ffff:10.0.0.1", false}, {"fe80::1", false},    {"2001:db8::1", false},
  };
  for (const auto& [text, loopback] : cases) {
    auto address = parse_ip_address(text);
    ASSERT_TRUE(address) << text;
    EXPECT_EQ(is_loopback(*address), loopback) << text;
  }
}

}  // namespace
}  // namespace hardline
