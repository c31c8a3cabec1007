#include "common/network.h"

#include <gtest/gtest.h>

namespace hardline {
namespace {

struct NetworkCase {
  const char* text;
  const char* normalised;  // nullptr: refused
};

TEST(Network, ParseTable) {
  const NetworkCase cases[] = {
      {"10.0.0.0/8", "10.0.0.0/8"},
      {"192.0.2.7", "192.0.2.7/32"},
      {"192.0.2.7/32", "192.0.2.7/32"},
      {"0.0.0.0/0", "0.0.0.0/0"},
      {"fd00::/8", "fd00::/8"},
      {"[2001:db8::1]", "2001:db8::1/128"},
      {"2001:db8:0:1::/64", "2001:db8:0:1::/64"},
      {"::/0", "::/0"},
      {"10.0.0.1/8", nullptr},   // host bits set
      {"10.0.0.0/33", nullptr},  // longer than IPv4
      {"fd00::/129", nullptr},
      {"10.0.0.0/", nullptr},
      {"10.0.0.0/-1", nullptr},
      {"10.0.0.0/8x", nullptr},
      {"10.0.0.0/0008", nullptr},
      {"example.org/8", nullptr},
      {"", nullptr},
      {"/8", nullptr},
  };
  for (const auto& c : cases) {
    auto network = parse_network(c.text);
    if (c.normalised == nullptr) {
      EXPECT_FALSE(network.has_value()) << c.text;
    } else {
      ASSERT_TRUE(network.has_value()) << c.text;
      EXPECT_EQ(to_string(*network), c.normalised) << c.text;
    }
  }
}

TEST(Network, Contains) {
  const auto office = *parse_network("10.1.0.0/16");
  EXPECT_TRUE(contains(office, *parse_ip_address("10.1.200.3")));
  EXPECT_FALSE(contains(office, *parse_ip_address("10.2.0.1")));
  EXPECT_FALSE(contains(office, *parse_ip_address("::ffff:10.1.0.1")));  // other family
  const auto v6 = *parse_network("2001:db8:0:1::/64");
  EXPECT_TRUE(contains(v6, *parse_ip_address("2001:db8:0:1:ffff::1")));
  EXPECT_FALSE(contains(v6, *parse_ip_address("2001:db8:0:2::1")));
  const auto odd = *parse_network("192.0.2.128/25");
  EXPECT_TRUE(contains(odd, *parse_ip_address("192.0.2.200")));
  EXPECT_FALSE(contains(odd, *parse_ip_address("192.0.2.127")));
  EXPECT_TRUE(contains(*parse_network("0.0.0.0/0"), *parse_ip_address("203.0.113.9")));
}

TEST(Network, NetworkOfGroupsIpv6By64) {
  const auto a = network_of(*parse_ip_address("2001:db8:1:2:aaaa::1"), 64);
  const auto b = network_of(*parse_ip_address("2001:db8:1:2:bbbb::9"), 64);
  EXPECT_EQ(a, b);
  EXPECT_EQ(to_string(a), "2001:db8:1:2::/64");
  // A prefix longer than the family is clamped.
  EXPECT_EQ(to_string(network_of(*parse_ip_address("192.0.2.1"), 64)), "192.0.2.1/32");
}

}  // namespace
}  // namespace hardline
