#include "server/advertise.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hardline::server {
namespace {

IpAddress ip(const char* text) {
  auto parsed = parse_ip_address(text);
  EXPECT_TRUE(parsed) << text;
  return parsed.value_or(IpAddress{});
}

Endpoint spec(const char* text) {
  auto parsed = parse_endpoint_spec(text);
  EXPECT_TRUE(parsed) << text;
  return parsed.value_or(Endpoint{});
}

// Only "pbx.example.org" resolves; each name asked is recorded (no DNS in tests).
struct FakeResolver {
  std::vector<std::string> asked;
  Resolver resolver() {
    return [this](const std::string& name) {
      asked.push_back(name);
      return name == "pbx.example.org";
    };
  }
};

TEST(AdvertiseWarnings, AWildcardWithoutAdvertiseSaysWhatItNamesAndThatNatNeedsAdvertise) {
  config::Config::Sip sip;
  sip.listen = {spec("udp:0.0.0.0:5060"), spec("tcp:[::]:5060"), spec("udp:192.0.2.1:5070")};
  FakeResolver fake;
  const auto warnings = advertise_warnings(sip, sip.listen, fake.resolver());
  ASSERT_EQ(warnings.size(), 2U);
  EXPECT_NE(warnings[0].find("the udp listener on every address (port 5060) has no "
                             "sip.advertise: Via and Contact name the address each phone's "
                             "messages arrive at"),
            std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[0].find("behind NAT, set sip.advertise"), std::string::npos);
  EXPECT_NE(warnings[1].find("tcp listener on every IPv6 address (port 5060)"), std::string::npos)
      << warnings[1];
  // No address in them (privacy.mode "stats" logs none), and nobody asked DNS.
  EXPECT_EQ(warnings[0].find("0.0.0.0"), std::string::npos);
  EXPECT_TRUE(fake.asked.empty());
}

TEST(AdvertiseWarnings, AnAdvertisedNameThatDoesNotResolveIsNamedOnce) {
  config::Config::Sip sip;
  sip.listen = {spec("udp:0.0.0.0:5060"), spec("tcp:0.0.0.0:5060"), spec("udp:[::]:5060"),
                spec("tcp:[::]:5060")};
  sip.advertise = {{sip.listen[0], "pbx.example.org", 0},
                   {sip.listen[1], "nowhere.example", 0},
                   {sip.listen[2], "nowhere.example", 5062},
                   {sip.listen[3], "[2001:db8::5]", 0}};
  FakeResolver fake;
  const auto warnings = advertise_warnings(sip, sip.listen, fake.resolver());
  ASSERT_EQ(warnings.size(), 1U);
  EXPECT_NE(warnings[0].find("sip.advertise names nowhere.example, which does not resolve here"),
            std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[0].find("ends after 32 s"), std::string::npos);
  // Names only: an address needs no resolving.
  EXPECT_EQ(fake.asked, (std::vector<std::string>{"pbx.example.org", "nowhere.example"}));
}

TEST(AddressFacing, PicksTheHostAddressAPeerCanReach) {
  const std::vector<HostAddress> host = {
      {ip("127.0.0.1"), 8}, {ip("192.168.1.2"), 24}, {ip("10.0.0.2"), 8},
      {ip("10.1.0.2"), 16}, {ip("169.254.3.3"), 16}, {ip("::1"), 128},
      {ip("fe80::2"), 64},  {ip("2001:db8::2"), 64},
  };
  struct Case {
    const char* peer;
    const char* expected;  // "" for unspecified
  };
  const Case cases[] = {
      {"127.0.0.5", "127.0.0.1"},       // loopback toward loopback
      {"192.168.1.77", "192.168.1.2"},  // a phone on the LAN
      {"10.1.9.9", "10.1.0.2"},         // the longest prefix that holds it
      {"10.200.0.1", "10.0.0.2"},
      {"198.51.100.7", "192.168.1.2"},  // elsewhere: the first global address
      {"::1", "::1"},
      {"2001:db8::99", "2001:db8::2"},
      {"2001:db8:1::99", "2001:db8::2"},  // not link-local fe80::2
  };
  for (const Case& c : cases) {
    const IpAddress expected = *c.expected == 0 ? IpAddress{} : ip(c.expected);
    EXPECT_EQ(address_facing(host, ip(c.peer)), expected) << c.peer;
  }
  // A host with no address of the family: unspecified, and the server falls back to the domain.
  EXPECT_EQ(address_facing({{ip("127.0.0.1"), 8}}, ip("2001:db8::1")), IpAddress{});
  EXPECT_EQ(address_facing({}, ip("127.0.0.9")), ip("127.0.0.1"));
}

TEST(HostAddresses, IncludeLoopback) {
  const auto addresses = host_addresses();
  bool loopback = false;
  for (const HostAddress& address : addresses) loopback = loopback || is_loopback(address.address);
  EXPECT_TRUE(loopback);
}

}  // namespace
}  // namespace hardline::server
