// Via (RFC 3261 §20.42, §18.2.1; RFC 3581 rport; RFC 4475).

#include "sip/via.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

#include "sip/chars.h"

using namespace hardline::sip;

namespace {

struct ViaCase {
  std::string_view input;
  std::string_view protocol_name;
  std::string_view protocol_version;
  std::string_view transport;
  std::string_view host;
  HostKind host_kind;
  bool has_port;
  uint16_t port;
  std::string_view params;
  std::optional<std::string_view> branch;
  std::optional<std::string_view> received;
  bool has_rport;
  std::optional<uint16_t> rport;
  std::optional<std::string_view> maddr;
  std::optional<uint8_t> ttl;
};

constexpr auto kNoStr = std::nullopt;

const ViaCase kValidVias[] = {
    {"SIP/2.0/UDP host", "SIP", "2.0", "UDP", "host", HostKind::kName, false, 0, "", kNoStr, kNoStr,
     false, std::nullopt, kNoStr, std::nullopt},
    {"  SIP/2.0/UDP host  ", "SIP", "2.0", "UDP", "host", HostKind::kName, false, 0, "", kNoStr,
     kNoStr, false, std::nullopt, kNoStr, std::nullopt},
    {"SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds", "SIP", "2.0", "UDP",
     "pc33.atlanta.com", HostKind::kName, false, 0, "branch=z9hG4bK776asdhds", "z9hG4bK776asdhds",
     kNoStr, false, std::nullopt, kNoStr, std::nullopt},
    {"SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;received=192.0.2.101", "SIP",
     "2.0", "TCP", "client.atlanta.example.com", HostKind::kName, true, 5060,
     "branch=z9hG4bK74bf9;received=192.0.2.101", "z9hG4bK74bf9", "192.0.2.101", false, std::nullopt,
     kNoStr, std::nullopt},
    // LWS around '/' and before parameters (RFC 4475 §3.1.1.1 wsinv, unfolded).
    {"SIP  /   2.0 /UDP    192.0.2.2;branch=390skdjuw", "SIP", "2.0", "UDP", "192.0.2.2",
     HostKind::kIpv4, false, 0, "branch=390skdjuw", "390skdjuw", kNoStr, false, std::nullopt,
     kNoStr, std::nullopt},
    {"SIP\t/\t2.0\t/\tUDP\t192.0.2.2", "SIP", "2.0", "UDP", "192.0.2.2", HostKind::kIpv4, false, 0,
     "", kNoStr, kNoStr, false, std::nullopt, kNoStr, std::nullopt},
    {"SIP  / 2.0  / TCP     spindle.example.com   ;  branch  =   z9hG4bK9ikj8", "SIP", "2.0", "TCP",
     "spindle.example.com", HostKind::kName, false, 0, "  branch  =   z9hG4bK9ikj8", "z9hG4bK9ikj8",
     kNoStr, false, std::nullopt, kNoStr, std::nullopt},
    // IPv6 sent-by, with and without port, and LWS around the colon.
    {"SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKabc", "SIP", "2.0", "UDP", "2001:db8::1",
     HostKind::kIpv6, true, 5060, "branch=z9hG4bKabc", "z9hG4bKabc", kNoStr, false, std::nullopt,
     kNoStr, std::nullopt},
    {"SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3-111", "SIP", "2.0",
     "UDP", "2001:db8::9:1", HostKind::kIpv6, false, 0,
     "received=2001:db8::9:255;branch=z9hG4bKas3-111", "z9hG4bKas3-111", "2001:db8::9:255", false,
     std::nullopt, kNoStr, std::nullopt},
    // RFC 5118 §4.5: received with and without the IPv6 reference's brackets; the field holds
    // the bare address either way.
    {"SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3-111", "SIP", "2.0",
     "UDP", "2001:db8::9:1", HostKind::kIpv6, false, 0,
     "received=[2001:db8::9:255];branch=z9hG4bKas3-111", "z9hG4bKas3-111", "2001:db8::9:255", false,
     std::nullopt, kNoStr, std::nullopt},
    // RFC 5118 §4.9: an IPv4-mapped IPv6 address.
    {"SIP/2.0/UDP [::ffff:192.0.2.10]:19823;branch=z9hG4bKbzx", "SIP", "2.0", "UDP",
     "::ffff:192.0.2.10", HostKind::kIpv6, true, 19823, "branch=z9hG4bKbzx", "z9hG4bKbzx", kNoStr,
     false, std::nullopt, kNoStr, std::nullopt},
    {"SIP/2.0/UDP [::1] : 5070", "SIP", "2.0", "UDP", "::1", HostKind::kIpv6, true, 5070, "",
     kNoStr, kNoStr, false, std::nullopt, kNoStr, std::nullopt},
    {"SIP/2.0/UDP host.example.com : 5070 ;rport", "SIP", "2.0", "UDP", "host.example.com",
     HostKind::kName, true, 5070, "rport", kNoStr, kNoStr, true, std::nullopt, kNoStr,
     std::nullopt},
    {"SIP/2.0/UDP host:05060", "SIP", "2.0", "UDP", "host", HostKind::kName, true, 5060, "", kNoStr,
     kNoStr, false, std::nullopt, kNoStr, std::nullopt},
    {"SIP/2.0/UDP host:65535", "SIP", "2.0", "UDP", "host", HostKind::kName, true, 65535, "",
     kNoStr, kNoStr, false, std::nullopt, kNoStr, std::nullopt},
    // rport with a value (RFC 3581 §4), received, every typed parameter at once.
    {"SIP/2.0/UDP 192.0.2.1:5060;rport=5061;received=192.0.2.200;branch=z9hG4bK1", "SIP", "2.0",
     "UDP", "192.0.2.1", HostKind::kIpv4, true, 5060,
     "rport=5061;received=192.0.2.200;branch=z9hG4bK1", "z9hG4bK1", "192.0.2.200", true,
     uint16_t{5061}, kNoStr, std::nullopt},
    {"SIP/2.0/UDP 192.0.2.1;rport=65535", "SIP", "2.0", "UDP", "192.0.2.1", HostKind::kIpv4, false,
     0, "rport=65535", kNoStr, kNoStr, true, uint16_t{65535}, kNoStr, std::nullopt},
    {"SIP/2.0/UDP 224.2.0.1;maddr=224.2.0.1;ttl=16;branch=z9hG4bK2", "SIP", "2.0", "UDP",
     "224.2.0.1", HostKind::kIpv4, false, 0, "maddr=224.2.0.1;ttl=16;branch=z9hG4bK2", "z9hG4bK2",
     kNoStr, false, std::nullopt, "224.2.0.1", uint8_t{16}},
    {"SIP/2.0/UDP host;ttl=0", "SIP", "2.0", "UDP", "host", HostKind::kName, false, 0, "ttl=0",
     kNoStr, kNoStr, false, std::nullopt, kNoStr, uint8_t{0}},
    {"SIP/2.0/UDP host;ttl=255;maddr=mcast.example.com", "SIP", "2.0", "UDP", "host",
     HostKind::kName, false, 0, "ttl=255;maddr=mcast.example.com", kNoStr, kNoStr, false,
     std::nullopt, "mcast.example.com", uint8_t{255}},
    {"SIP/2.0/UDP host;maddr=[2001:db8::1]", "SIP", "2.0", "UDP", "host", HostKind::kName, false, 0,
     "maddr=[2001:db8::1]", kNoStr, kNoStr, false, std::nullopt, "[2001:db8::1]", std::nullopt},
    // Parameter names are case-insensitive.
    {"SIP/2.0/UDP host;BRANCH=z9hG4bKX;Received=192.0.2.1;RPORT;TTL=1;MAddr=192.0.2.2", "SIP",
     "2.0", "UDP", "host", HostKind::kName, false, 0,
     "BRANCH=z9hG4bKX;Received=192.0.2.1;RPORT;TTL=1;MAddr=192.0.2.2", "z9hG4bKX", "192.0.2.1",
     true, std::nullopt, "192.0.2.2", uint8_t{1}},
    // Unknown transports (RFC 4475 §3.1.1.10 transports) and any token as received.
    {"SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf", "SIP", "2.0", "SCTP", "t2.example.com",
     HostKind::kName, false, 0, "branch=z9hG4bKklasjdhf", "z9hG4bKklasjdhf", kNoStr, false,
     std::nullopt, kNoStr, std::nullopt},
    {"SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en", "SIP", "2.0", "UNKNOWN",
     "t4.example.com", HostKind::kName, false, 0, "branch=z9hG4bKasd0f3en", "z9hG4bKasd0f3en",
     kNoStr, false, std::nullopt, kNoStr, std::nullopt},
    {"SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK56sdasks", "SIP", "2.0", "WSS",
     "df7jal23ls0d.invalid", HostKind::kName, false, 0, "branch=z9hG4bK56sdasks", "z9hG4bK56sdasks",
     kNoStr, false, std::nullopt, kNoStr, std::nullopt},
    {"sip/2.0/udp host", "sip", "2.0", "udp", "host", HostKind::kName, false, 0, "", kNoStr, kNoStr,
     false, std::nullopt, kNoStr, std::nullopt},
    // Branches: every token character (intmeth), the bare cookie (badbranch), RFC 2543 style.
    {"SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~", "SIP", "2.0", "TCP",
     "host1.example.com", HostKind::kName, false, 0, "branch=z9hG4bK-.!%66*_+`'~",
     "z9hG4bK-.!%66*_+`'~", kNoStr, false, std::nullopt, kNoStr, std::nullopt},
    {"SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK", "SIP", "2.0", "UDP", "192.0.2.1", HostKind::kIpv4,
     false, 0, "branch=z9hG4bK", "z9hG4bK", kNoStr, false, std::nullopt, kNoStr, std::nullopt},
    // Unknown parameters are kept, quoted values included.
    {"SIP/2.0/UDP host;branch=z9hG4bK1;x-custom=\"a;b\";flag", "SIP", "2.0", "UDP", "host",
     HostKind::kName, false, 0, "branch=z9hG4bK1;x-custom=\"a;b\";flag", "z9hG4bK1", kNoStr, false,
     std::nullopt, kNoStr, std::nullopt},
    // RFC 4475 §3.3.10 (bcast): syntactically fine; refusing it is the proxy's job.
    {"SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber23", "SIP", "2.0", "UDP", "255.255.255.255",
     HostKind::kIpv4, false, 0, "branch=z9hG4bK1saber23", "z9hG4bK1saber23", kNoStr, false,
     std::nullopt, kNoStr, std::nullopt},
};

TEST(ViaTest, ParsesValidVias) {
  for (const ViaCase& row : kValidVias) {
    SCOPED_TRACE(row.input);
    auto via = parse_via(row.input);
    ASSERT_TRUE(via.has_value()) << via.error().what;
    EXPECT_EQ(via->text, trim(row.input));
    EXPECT_EQ(via->protocol_name, row.protocol_name);
    EXPECT_EQ(via->protocol_version, row.protocol_version);
    EXPECT_EQ(via->transport, row.transport);
    EXPECT_EQ(via->host, row.host);
    EXPECT_EQ(via->host_kind, row.host_kind);
    EXPECT_EQ(via->has_port, row.has_port);
    EXPECT_EQ(via->port, row.port);
    EXPECT_EQ(via->params.text(), row.params);
    EXPECT_EQ(via->branch, row.branch);
    EXPECT_EQ(via->received, row.received);
    EXPECT_EQ(via->has_rport, row.has_rport);
    EXPECT_EQ(via->rport, row.rport);
    EXPECT_EQ(via->maddr, row.maddr);
    EXPECT_EQ(via->ttl, row.ttl);
  }
}

TEST(ViaTest, UnknownParametersAreFoundThroughTheList) {
  auto via = parse_via("SIP/2.0/UDP host;branch=z9hG4bK1;X-Custom=\"a;b\";flag");
  ASSERT_TRUE(via.has_value()) << via.error().what;
  EXPECT_EQ(via->params.find("x-custom"), std::optional<std::string_view>("\"a;b\""));
  EXPECT_TRUE(via->params.has("FLAG"));
  EXPECT_FALSE(via->params.has("a"));
}

TEST(ViaTest, RejectsMalformedVias) {
  constexpr std::string_view kCases[] = {
      // sent-protocol.
      "",
      "SIP",
      "SIP/2.0",
      "SIP/2.0/",
      "SIP/2.0/UDP",
      "SIP/2.0/UDP ",
      "SIP/2.0 UDP host",
      "SIP 2.0/UDP host",
      "SIP//UDP host",
      "/2.0/UDP host",
      "SIP/2.0//UDP host",
      "SIP/2.0/UDPhost",
      "SIP/2.0/UDP;branch=z9hG4bK1",
      "SIP/2.0/U@DP host",
      "SIP/2.0/UDP/TCP host",
      "S\"IP/2.0/UDP host",
      // sent-by.
      "SIP/2.0/UDP  ;branch=z9hG4bK1",
      "SIP/2.0/UDP host:",
      "SIP/2.0/UDP host:65536",
      "SIP/2.0/UDP host:99999999999999999999",
      "SIP/2.0/UDP host:abc",
      "SIP/2.0/UDP host:-1",
      "SIP/2.0/UDP host:50 60",
      "SIP/2.0/UDP 2001:db8::1",
      "SIP/2.0/UDP [2001:db8::1",
      "SIP/2.0/UDP [2001:db8::1]x",
      "SIP/2.0/UDP [2001:db8::1]x5060",
      "SIP/2.0/UDP [2001:db8::1]:",
      "SIP/2.0/UDP [2001:db8::1]:70000",
      "SIP/2.0/UDP [not-v6]",
      "SIP/2.0/UDP 256.1.1.1",
      "SIP/2.0/UDP -a.com",
      "SIP/2.0/UDP a..b",
      "SIP/2.0/UDP host extra",
      "SIP/2.0/UDP host,other",
      "SIP/2.0/UDP ho_st",
      // Empty parameters (RFC 4475 §3.1.2.1 badinv01).
      "SIP/2.0/UDP 192.0.2.15;;",
      "SIP/2.0/UDP host;",
      "SIP/2.0/UDP host;;branch=z9hG4bK1",
      "SIP/2.0/UDP host;branch=z9hG4bK1;",
      "SIP/2.0/UDP host; ;rport",
      "SIP/2.0/UDP host;=x",
      // branch.
      "SIP/2.0/UDP host;branch",
      "SIP/2.0/UDP host;branch=",
      "SIP/2.0/UDP host;branch=\"z9hG4bK1\"",
      "SIP/2.0/UDP host;branch=[::1]",
      "SIP/2.0/UDP host;branch=a b",
      // received.
      "SIP/2.0/UDP host;received=notanip",
      "SIP/2.0/UDP host;received=256.1.1.1",
      "SIP/2.0/UDP host;received=192.0.2",
      "SIP/2.0/UDP host;received",
      "SIP/2.0/UDP host;received=",
      "SIP/2.0/UDP host;received=\"192.0.2.1\"",
      "SIP/2.0/UDP host;received=2001:db8::g",
      "SIP/2.0/UDP host;received=[192.0.2.1]",
      "SIP/2.0/UDP host;received=[2001:db8::g]",
      "SIP/2.0/UDP host;received=[2001:db8::1",
      "SIP/2.0/UDP host;received=2001:db8::1]",
      "SIP/2.0/UDP host;received=[]",
      "SIP/2.0/UDP host;received=[[::1]]",
      // rport.
      "SIP/2.0/UDP host;rport=70000",
      "SIP/2.0/UDP host;rport=65536",
      "SIP/2.0/UDP host;rport=abc",
      "SIP/2.0/UDP host;rport=-1",
      "SIP/2.0/UDP host;rport=",
      // maddr.
      "SIP/2.0/UDP host;maddr",
      "SIP/2.0/UDP host;maddr=-bad.example.com",
      "SIP/2.0/UDP host;maddr=a..b",
      "SIP/2.0/UDP host;maddr=256.0.0.1",
      // ttl = 1*3DIGIT, 0..255.
      "SIP/2.0/UDP host;ttl=256",
      "SIP/2.0/UDP host;ttl=1000",
      "SIP/2.0/UDP host;ttl=0016",
      "SIP/2.0/UDP host;ttl=-1",
      "SIP/2.0/UDP host;ttl=abc",
      "SIP/2.0/UDP host;ttl",
      "SIP/2.0/UDP host;ttl=",
  };
  for (std::string_view input : kCases) {
    SCOPED_TRACE(input);
    EXPECT_FALSE(parse_via(input).has_value());
  }
}

TEST(ViaTest, MaxParams) {
  EXPECT_TRUE(parse_via("SIP/2.0/UDP host;a;b;c", 3).has_value());
  EXPECT_FALSE(parse_via("SIP/2.0/UDP host;a;b;c", 2).has_value());
  EXPECT_TRUE(parse_via("SIP/2.0/UDP host", 0).has_value());  // no parameters, nothing to count
}

}  // namespace
