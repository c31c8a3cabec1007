#include "audit/firewall.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace hardline::audit {
namespace {

// Listings captured from nft 1.0.6 and iptables 1.8.9 (Debian 12) in a network namespace; the
// rules that produced them are in each case's comment.
std::string data(const std::string& name) {
  std::ifstream in(std::string(HARDLINE_TEST_DATA) + "/audit/" + name);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << name;
  return text.str();
}

struct PortCase {
  Family family;
  Protocol protocol;
  uint16_t port;
  bool accepted;
};

struct ListingCase {
  const char* name;
  const char* file;
  bool iptables;  // iptables-save text (file's family in `iptables_family`)
  Family iptables_family;
  size_t dropping_v4;
  size_t dropping_v6;
  std::vector<PortCase> ports;
};

class Listing : public ::testing::TestWithParam<ListingCase> {};

TEST_P(Listing, DropsAndAcceptsAsTheRulesSay) {
  const ListingCase& c = GetParam();
  auto parsed = c.iptables ? parse_iptables_save(data(c.file), c.iptables_family)
                           : parse_nft_json(data(c.file));
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(dropping_chains(*parsed, Family::kIpv4).size(), c.dropping_v4);
  EXPECT_EQ(dropping_chains(*parsed, Family::kIpv6).size(), c.dropping_v6);
  for (const PortCase& port : c.ports) {
    EXPECT_EQ(port_accepted(*parsed, port.family, port.protocol, port.port), port.accepted)
        << family_name(port.family) << " " << protocol_name(port.protocol) << " " << port.port;
  }
}

constexpr Family k4 = Family::kIpv4;
constexpr Family k6 = Family::kIpv6;
constexpr Protocol kU = Protocol::kUdp;
constexpr Protocol kT = Protocol::kTcp;

INSTANTIATE_TEST_SUITE_P(
    Audit, Listing,
    ::testing::Values(
        // packaging/nftables/hardline.nft: inet, policy drop, SIP, SIPS, RTP; 8088 dropped.
        ListingCase{"packaging",
                    "nft-packaging.json",
                    false,
                    k4,
                    1,
                    1,
                    {{k4, kU, 5060, true},
                     {k6, kU, 5060, true},
                     {k4, kT, 5060, true},
                     {k6, kT, 5061, true},
                     {k6, kU, 5061, false},
                     {k4, kU, 10000, true},
                     {k6, kU, 20000, true},
                     {k6, kU, 20001, false},
                     {k4, kT, 8088, false},
                     {k6, kT, 22, false}}},
        // table ip filter: policy drop, 5060 udp/tcp. IPv6 has no input chain at all.
        ListingCase{"ipv4 only",
                    "nft-ipv4-only.json",
                    false,
                    k4,
                    1,
                    0,
                    {{k4, kU, 5060, true}, {k4, kT, 5060, true}, {k6, kU, 5060, false}}},
        // inet, policy accept but a final `counter reject`; a named set {5060, 5061} for
        // `meta nfproto ipv6 meta l4proto {tcp, udp} th dport @sip_ports`; 5060/udp from
        // 192.0.2.0/24 only over IPv4; 8088/tcp accepted.
        ListingCase{"named set, final reject",
                    "nft-named-set-final-drop.json",
                    false,
                    k4,
                    1,
                    1,
                    {{k6, kU, 5060, true},
                     {k6, kT, 5061, true},
                     {k4, kT, 5061, false},
                     {k4, kU, 5060, true},
                     {k4, kT, 8088, true}}},
        // policy drop, then `counter accept`: everything is open.
        ListingCase{"accept all", "nft-accept-all.json", false, k4, 0, 0, {{k4, kU, 5060, false}}},
        // Two dropping base chains: a port must pass both.
        ListingCase{"two chains",
                    "nft-two-chains.json",
                    false,
                    k4,
                    2,
                    2,
                    {{k4, kU, 5060, false}, {k4, kT, 5060, false}, {k6, kU, 15000, false}}},
        // iptables-save: policy DROP, lo, conntrack, udp 5060, multiport tcp 5060,5061, a range
        // with a comment.
        ListingCase{"iptables-save",
                    "iptables-save.txt",
                    true,
                    k4,
                    1,
                    0,
                    {{k4, kU, 5060, true},
                     {k4, kT, 5061, true},
                     {k4, kU, 12345, true},
                     {k4, kT, 12345, false},
                     {k4, kU, 5061, false}}},
        // ip6tables-save: policy ACCEPT, udp 5060, then a final REJECT.
        ListingCase{"ip6tables-save",
                    "ip6tables-save.txt",
                    true,
                    k6,
                    0,
                    1,
                    {{k6, kU, 5060, true}, {k6, kT, 5060, false}}}),
    [](const auto& test) {
      std::string name = test.param.name;
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

TEST(NftJson, RulesOfTablesIptablesManagesAreReadWithTheirOpaqueParts) {
  // iptables-nft: the multiport and conntrack matches are xt expressions, the REJECT target too;
  // the audit reads those tables from iptables-save instead (gather.cc), and nft's reading must
  // not claim more than it understands.
  auto parsed = parse_nft_json(data("nft-from-iptables.json"));
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_TRUE(parsed->has_ip_filter);
  EXPECT_TRUE(parsed->has_ip6_filter);
  EXPECT_TRUE(port_accepted(*parsed, k4, kU, 5060));
  EXPECT_FALSE(port_accepted(*parsed, k4, kT, 5061));  // behind multiport: not understood
  EXPECT_TRUE(dropping_chains(*parsed, k6).empty());   // the xt REJECT is not a verdict here
}

TEST(NftJson, LoopbackAndEstablishedAcceptsOpenNoPort) {
  const std::string text = R"({"nftables": [
    {"chain": {"family": "inet", "table": "t", "name": "in", "type": "filter", "hook": "input",
               "prio": 0, "policy": "drop"}},
    {"rule": {"family": "inet", "table": "t", "chain": "in", "expr": [
      {"match": {"op": "==", "left": {"meta": {"key": "iif"}}, "right": "lo"}},
      {"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}},
                 "right": 5060}}, {"accept": null}]}},
    {"rule": {"family": "inet", "table": "t", "chain": "in", "expr": [
      {"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established"]}},
      {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}},
                 "right": 5060}}, {"accept": null}]}},
    {"rule": {"family": "inet", "table": "t", "chain": "in", "expr": [
      {"match": {"op": "!=", "left": {"payload": {"protocol": "tcp", "field": "dport"}},
                 "right": 22}}, {"accept": null}]}}
  ]})";
  auto parsed = parse_nft_json(text);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(dropping_chains(*parsed, k4).size(), 1U);
  EXPECT_FALSE(port_accepted(*parsed, k4, kU, 5060));
  EXPECT_FALSE(port_accepted(*parsed, k6, kT, 5060));
  EXPECT_FALSE(port_accepted(*parsed, k4, kT, 5060));  // "!= 22" is not a port accept
}

TEST(NftJson, ChainsOnOtherHooksAndFamiliesAreIgnored) {
  const std::string text = R"({"nftables": [
    {"chain": {"family": "inet", "table": "t", "name": "fw", "type": "filter", "hook": "forward",
               "prio": 0, "policy": "drop"}},
    {"chain": {"family": "netdev", "table": "t", "name": "ing", "type": "filter",
               "hook": "ingress", "prio": 0, "policy": "drop"}},
    {"chain": {"family": "ip", "table": "t", "name": "plain"}}
  ]})";
  auto parsed = parse_nft_json(text);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->chains.empty());
}

TEST(NftJson, MalformedInputIsAnErrorNeverACrash) {
  const char* cases[] = {"",
                         "not json",
                         "[]",
                         R"({"nftables": 3})",
                         R"({"nftables": [1, "x", null, {"chain": 5}, {"rule": []}]})",
                         R"({"nftables": [{"chain": {"family": 1, "hook": ["input"]}}]})",
                         R"({"nftables": [{"rule": {"family": "inet", "expr": [{"match": 1}]}}]})"};
  for (const char* text : cases) {
    auto parsed = parse_nft_json(text);
    if (parsed) {
      EXPECT_TRUE(parsed->chains.empty()) << text;
    }
  }
  EXPECT_FALSE(parse_nft_json("not json"));
  EXPECT_FALSE(parse_nft_json(R"({"other": []})"));
}

TEST(IptablesSave, NegationsAndSourcesAreConditionsNotPorts) {
  const std::string text =
      "*filter\n"
      ":INPUT DROP [0:0]\n"
      "-A INPUT -p udp ! --dport 5060 -j ACCEPT\n"
      "-A INPUT -s 192.0.2.0/24 -p tcp --dport 5060 -j ACCEPT\n"
      "-A INPUT -p tcp --dport 99999 -j ACCEPT\n"
      "COMMIT\n"
      "*nat\n"
      ":INPUT ACCEPT [0:0]\n"
      "-A INPUT -p udp --dport 5061 -j ACCEPT\n"
      "COMMIT\n";
  auto parsed = parse_iptables_save(text, k4);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(dropping_chains(*parsed, k4).size(), 1U);
  EXPECT_TRUE(port_accepted(*parsed, k4, kT, 5060));   // from one network: still accepted
  EXPECT_FALSE(port_accepted(*parsed, k4, kU, 5061));  // the nat table is not the filter table
  EXPECT_FALSE(port_accepted(*parsed, k4, kU, 4000));  // "! --dport" is not a port accept
}

TEST(IptablesSave, AnUnconditionalAcceptOpensEverything) {
  auto parsed = parse_iptables_save("*filter\n:INPUT DROP [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n", k6);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(dropping_chains(*parsed, k6).empty());
  EXPECT_EQ(open_chains(*parsed, k6).size(), 1U);
}

TEST(IptablesSave, NoFilterTableIsNoChain) {
  auto parsed = parse_iptables_save("# Warning: iptables-legacy tables present\n", k4);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->chains.empty());
}

}  // namespace
}  // namespace hardline::audit
