// SIP, SIPS, tel and other URIs (RFC 3261 §19.1, §25.1; RFC 3966; RFC 4475).

#include "sip/uri.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

using namespace hardline::sip;
using namespace std::string_view_literals;

namespace {

struct SipUriCase {
  std::string_view input;
  UriScheme scheme;
  std::string_view scheme_name;
  bool has_userinfo;
  std::string_view user;
  bool has_password;
  std::string_view password;
  std::string_view host;
  HostKind host_kind;
  bool has_port;
  uint16_t port;
  std::string_view params;  // ParamList::text()
  std::string_view headers;
};

constexpr SipUriCase kValidSipUris[] = {
    // RFC 3261 §19.1.3 examples.
    {"sip:alice@atlanta.com", UriScheme::kSip, "sip", true, "alice", false, "", "atlanta.com",
     HostKind::kName, false, 0, "", ""},
    {"sip:alice:secretword@atlanta.com;transport=tcp", UriScheme::kSip, "sip", true, "alice", true,
     "secretword", "atlanta.com", HostKind::kName, false, 0, "transport=tcp", ""},
    {"sips:alice@atlanta.com?subject=project%20x&priority=urgent", UriScheme::kSips, "sips", true,
     "alice", false, "", "atlanta.com", HostKind::kName, false, 0, "",
     "subject=project%20x&priority=urgent"},
    {"sip:+1-212-555-1212:1234@gateway.com;user=phone", UriScheme::kSip, "sip", true,
     "+1-212-555-1212", true, "1234", "gateway.com", HostKind::kName, false, 0, "user=phone", ""},
    {"sips:1212@gateway.com", UriScheme::kSips, "sips", true, "1212", false, "", "gateway.com",
     HostKind::kName, false, 0, "", ""},
    {"sip:alice@192.0.2.4", UriScheme::kSip, "sip", true, "alice", false, "", "192.0.2.4",
     HostKind::kIpv4, false, 0, "", ""},
    {"sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com", UriScheme::kSip, "sip", false, "",
     false, "", "atlanta.com", HostKind::kName, false, 0, "method=REGISTER",
     "to=alice%40atlanta.com"},
    {"sip:alice;day=tuesday@atlanta.com", UriScheme::kSip, "sip", true, "alice;day=tuesday", false,
     "", "atlanta.com", HostKind::kName, false, 0, "", ""},
    // Scheme names compare case-insensitively but are kept as received.
    {"SIP:Alice@AtLanta.COM", UriScheme::kSip, "SIP", true, "Alice", false, "", "AtLanta.COM",
     HostKind::kName, false, 0, "", ""},
    {"SiPs:bob@biloxi.example.com:5061", UriScheme::kSips, "SiPs", true, "bob", false, "",
     "biloxi.example.com", HostKind::kName, true, 5061, "", ""},
    // No userinfo; ports across the range; a fully qualified name with its trailing dot.
    {"sip:example.com", UriScheme::kSip, "sip", false, "", false, "", "example.com",
     HostKind::kName, false, 0, "", ""},
    {"sip:example.com.", UriScheme::kSip, "sip", false, "", false, "", "example.com.",
     HostKind::kName, false, 0, "", ""},
    {"sip:localhost", UriScheme::kSip, "sip", false, "", false, "", "localhost", HostKind::kName,
     false, 0, "", ""},
    {"sip:1host.example-1.com", UriScheme::kSip, "sip", false, "", false, "", "1host.example-1.com",
     HostKind::kName, false, 0, "", ""},
    {"sip:example.com:0", UriScheme::kSip, "sip", false, "", false, "", "example.com",
     HostKind::kName, true, 0, "", ""},
    {"sip:example.com:5060", UriScheme::kSip, "sip", false, "", false, "", "example.com",
     HostKind::kName, true, 5060, "", ""},
    {"sip:example.com:65535", UriScheme::kSip, "sip", false, "", false, "", "example.com",
     HostKind::kName, true, 65535, "", ""},
    {"sip:example.com:05060", UriScheme::kSip, "sip", false, "", false, "", "example.com",
     HostKind::kName, true, 5060, "", ""},
    {"sip:192.0.2.1:5070", UriScheme::kSip, "sip", false, "", false, "", "192.0.2.1",
     HostKind::kIpv4, true, 5070, "", ""},
    {"sip:255.255.255.255", UriScheme::kSip, "sip", false, "", false, "", "255.255.255.255",
     HostKind::kIpv4, false, 0, "", ""},
    // IPv6 references: the host view drops the brackets.
    {"sip:[2001:db8::1]", UriScheme::kSip, "sip", false, "", false, "", "2001:db8::1",
     HostKind::kIpv6, false, 0, "", ""},
    {"sip:user@[2001:db8::10]:5070;transport=tcp", UriScheme::kSip, "sip", true, "user", false, "",
     "2001:db8::10", HostKind::kIpv6, true, 5070, "transport=tcp", ""},
    {"sips:[::1]:5061", UriScheme::kSips, "sips", false, "", false, "", "::1", HostKind::kIpv6,
     true, 5061, "", ""},
    // RFC 5118 §4.3: inside the brackets ":5070" is part of the address, not a port.
    {"sip:[2001:db8::10:5070]", UriScheme::kSip, "sip", false, "", false, "", "2001:db8::10:5070",
     HostKind::kIpv6, false, 0, "", ""},
    {"sip:[2001:db8::10]:5070", UriScheme::kSip, "sip", false, "", false, "", "2001:db8::10",
     HostKind::kIpv6, true, 5070, "", ""},
    // RFC 5118 §4.10: an IPv4 tail after two colons.
    {"sip:user@[2001:db8::192.0.2.1]", UriScheme::kSip, "sip", true, "user", false, "",
     "2001:db8::192.0.2.1", HostKind::kIpv6, false, 0, "", ""},
    {"sip:[::ffff:192.0.2.1]", UriScheme::kSip, "sip", false, "", false, "", "::ffff:192.0.2.1",
     HostKind::kIpv6, false, 0, "", ""},
    // RFC 5118 §4.10: RFC 3261's ABNF also derives three colons before the IPv4 tail, and an
    // implementation must tolerate it; the view keeps the text as received.
    {"sip:user@[2001:db8:::192.0.2.1]", UriScheme::kSip, "sip", true, "user", false, "",
     "2001:db8:::192.0.2.1", HostKind::kIpv6, false, 0, "", ""},
    {"sip:[:::192.0.2.1]:5070", UriScheme::kSip, "sip", false, "", false, "", ":::192.0.2.1",
     HostKind::kIpv6, true, 5070, "", ""},
    // Escapes in the user part, kept escaped in the view.
    {"sip:%61lice@atlanta.com", UriScheme::kSip, "sip", true, "%61lice", false, "", "atlanta.com",
     HostKind::kName, false, 0, "", ""},
    {"sip:null-%00-null@example.com", UriScheme::kSip, "sip", true, "null-%00-null", false, "",
     "example.com", HostKind::kName, false, 0, "", ""},
    {"sip:alice:p%40ss@atlanta.com", UriScheme::kSip, "sip", true, "alice", true, "p%40ss",
     "atlanta.com", HostKind::kName, false, 0, "", ""},
    // An empty password is allowed: password = *( ... ).
    {"sip:alice:@atlanta.com", UriScheme::kSip, "sip", true, "alice", true, "", "atlanta.com",
     HostKind::kName, false, 0, "", ""},
    // Parameters and headers together, in their places.
    {"sip:alice@atlanta.com:5060;transport=udp;lr;maddr=239.255.255.1;ttl=15?subject=hi&to=",
     UriScheme::kSip, "sip", true, "alice", false, "", "atlanta.com", HostKind::kName, true, 5060,
     "transport=udp;lr;maddr=239.255.255.1;ttl=15", "subject=hi&to="},
    {"sip:services.example.com;lr;unknownwith=value;unknown-no-value", UriScheme::kSip, "sip",
     false, "", false, "", "services.example.com", HostKind::kName, false, 0,
     "lr;unknownwith=value;unknown-no-value", ""},
    // RFC 4475 §3.1.1.3 (esc01): escapes in user and in parameter names and values.
    {"sip:sips%3Auser%40example.com@example.net", UriScheme::kSip, "sip", true,
     "sips%3Auser%40example.com", false, "", "example.net", HostKind::kName, false, 0, "", ""},
    {"sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31", UriScheme::kSip, "sip", true,
     "cal%6Cer", false, "", "host5.example.net", HostKind::kName, false, 0,
     "%6C%72;n%61me=v%61lue%25%34%31", ""},
    // RFC 4475 §3.1.1.9 (semiuri): the user part holds ';' and an escaped '@'.
    {"sip:user;par=u%40example.net@example.com", UriScheme::kSip, "sip", true,
     "user;par=u%40example.net", false, "", "example.com", HostKind::kName, false, 0, "", ""},
    // RFC 4475 §3.1.1.2 (intmeth): user and password split at the first ':' of the userinfo.
    {"sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-"
     "it)@example.com",
     UriScheme::kSip, "sip", true, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*", true,
     "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)", "example.com", HostKind::kName, false, 0, "",
     ""},
    {"sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com", UriScheme::kSip, "sip",
     true, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*", false, "", "example.com",
     HostKind::kName, false, 0, "", ""},
    // RFC 4475 §3.1.2.11 / §3.3.14: an escaped Route header is a valid URI header.
    {"sip:user@example.com?Route=%3Csip:sip.example.com%3E", UriScheme::kSip, "sip", true, "user",
     false, "", "example.com", HostKind::kName, false, 0, "", "Route=%3Csip:sip.example.com%3E"},
};

TEST(UriTest, ParsesSipAndSipsUris) {
  for (const SipUriCase& row : kValidSipUris) {
    SCOPED_TRACE(row.input);
    auto uri = parse_uri(row.input);
    ASSERT_TRUE(uri.has_value()) << uri.error().what;
    EXPECT_EQ(uri->scheme, row.scheme);
    EXPECT_TRUE(uri->is_sip());
    EXPECT_EQ(uri->text, row.input);
    EXPECT_EQ(uri->scheme_name, row.scheme_name);
    EXPECT_EQ(uri->has_userinfo, row.has_userinfo);
    EXPECT_EQ(uri->user, row.user);
    EXPECT_EQ(uri->has_password, row.has_password);
    EXPECT_EQ(uri->password, row.password);
    EXPECT_EQ(uri->host, row.host);
    EXPECT_EQ(uri->host_kind, row.host_kind);
    EXPECT_EQ(uri->has_port, row.has_port);
    EXPECT_EQ(uri->port, row.port);
    EXPECT_EQ(uri->params.text(), row.params);
    EXPECT_EQ(uri->headers, row.headers);
    EXPECT_TRUE(uri->number.empty());
    EXPECT_TRUE(uri->opaque.empty());
  }
}

TEST(UriTest, UriParametersAreFoundCaseInsensitively) {
  auto uri = parse_uri("sip:alice@atlanta.com;Transport=TCP;lr;maddr=[2001:db8::1];user=phone");
  ASSERT_TRUE(uri.has_value()) << uri.error().what;
  EXPECT_EQ(uri->params.find("transport"), std::optional<std::string_view>("TCP"));
  EXPECT_EQ(uri->params.find("MADDR"), std::optional<std::string_view>("[2001:db8::1]"));
  EXPECT_EQ(uri->params.find("user"), std::optional<std::string_view>("phone"));
  EXPECT_TRUE(uri->params.has("LR"));
  EXPECT_EQ(uri->params.find("lr"), std::optional<std::string_view>(""));
  EXPECT_FALSE(uri->params.has("ttl"));
}

TEST(UriTest, ParsesTelUris) {
  struct Case {
    std::string_view input;
    std::string_view number;
    std::string_view params;
  };
  constexpr Case kCases[] = {
      {"tel:+1-201-555-0123", "+1-201-555-0123", ""},
      {"tel:+12015550123", "+12015550123", ""},
      {"TEL:+1(201)555.0123", "+1(201)555.0123", ""},
      {"tel:7042;phone-context=example.com", "7042", "phone-context=example.com"},
      {"tel:863-1234;phone-context=+1-914-555", "863-1234", "phone-context=+1-914-555"},
      {"tel:*67#", "*67#", ""},
      {"tel:#31#", "#31#", ""},
      {"tel:0a1B;phone-context=example.com", "0a1B", "phone-context=example.com"},  // HEXDIG
      {"tel:+1-201-555-0123;ext=1234;isub=abc", "+1-201-555-0123", "ext=1234;isub=abc"},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.input);
    auto uri = parse_uri(row.input);
    ASSERT_TRUE(uri.has_value()) << uri.error().what;
    EXPECT_EQ(uri->scheme, UriScheme::kTel);
    EXPECT_FALSE(uri->is_sip());
    EXPECT_EQ(uri->number, row.number);
    EXPECT_EQ(uri->params.text(), row.params);
    EXPECT_EQ(uri->host_kind, HostKind::kNone);
    EXPECT_TRUE(uri->host.empty());
  }
}

TEST(UriTest, KeepsOtherSchemesOpaque) {
  struct Case {
    std::string_view input;
    std::string_view scheme_name;
    std::string_view opaque;
  };
  constexpr Case kCases[] = {
      // RFC 4475 §3.3.2 (unkscm) and §3.3.3 (novelsc): parsed, then answered with 416.
      {"nobodyKnowsThisScheme:totallyopaquecontent", "nobodyKnowsThisScheme",
       "totallyopaquecontent"},
      {"soap.beep://192.0.2.103:3002", "soap.beep", "//192.0.2.103:3002"},
      // RFC 4475 §3.3.4 (unksm2).
      {"isbn:2983792873", "isbn", "2983792873"},
      {"http://www.example.com", "http", "//www.example.com"},
      {"name:John_Smith", "name", "John_Smith"},
      {"mailto:alice@example.com?subject=hi%20there", "mailto",
       "alice@example.com?subject=hi%20there"},
      {"urn:service:sos", "urn", "service:sos"},
      {"im+x.y-z:a", "im+x.y-z", "a"},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.input);
    auto uri = parse_uri(row.input);
    ASSERT_TRUE(uri.has_value()) << uri.error().what;
    EXPECT_EQ(uri->scheme, UriScheme::kOther);
    EXPECT_FALSE(uri->is_sip());
    EXPECT_EQ(uri->scheme_name, row.scheme_name);
    EXPECT_EQ(uri->opaque, row.opaque);
    EXPECT_EQ(uri->host_kind, HostKind::kNone);
    EXPECT_TRUE(uri->user.empty());
  }
}

TEST(UriTest, RejectsMalformedUris) {
  constexpr std::string_view kCases[] = {
      // No scheme, or a bad one.
      "",
      "alice@atlanta.com",
      ":alice@atlanta.com",
      "1sip:alice@atlanta.com",
      "+sip:alice@atlanta.com",
      "s_p:alice@atlanta.com",
      "<sip:user@example.com>",  // RFC 4475 §3.1.2.7 (ltgtruri)
      "sip:",
      "tel:",
      "foo:",
      // Bad escapes in userinfo.
      "sip:%G1@example.com",
      "sip:a%4@example.com",
      "sip:a%@example.com",
      "sip:alice:pa%zzss@example.com",
      "sip:alice:pa%4@example.com",
      // Empty user.
      "sip:@example.com",
      "sip::password@example.com",
      // Characters outside user / password.
      "sip:al ice@example.com",
      "sip:al\"ice@example.com",
      "sip:alice:pa;ss@example.com",
      "sip:alice:pa:ss@example.com",
      "sip:alice@bob@example.com",
      // Missing or bad hosts.
      "sip:alice@",
      "sip:alice@;transport=tcp",
      "sip:alice@:5060",
      "sip:;lr",
      "sip:?subject=x",
      "sip:256.1.1.1",
      "sip:1.2.3",
      "sip:1.2.3.4.5",
      "sip:1.2.3.4.",
      "sip:1.2.3.1234",
      "sip:-a.com",
      "sip:a-.com",
      "sip:a..b",
      "sip:.example.com",
      "sip:example.com..",
      "sip:ex_ample.com",
      "sip:example.123",
      "sip:[2001:db8::1",
      "sip:[2001:db8::g]",
      "sip:[]",
      "sip:[192.0.2.1]",
      "sip:[2001:db8:::1]",             // three colons only before an IPv4 tail
      "sip:[2001:db8::1:::192.0.2.1]",  // and never beside another "::"
      "sip:[1:2:3:4:5:6:::192.0.2.1]",  // "::" standing for no group at all
      "sip:[2001:db8::::192.0.2.1]",
      "sip:[2001:db8:::192.0.2]",
      "sip:2001:db8::10",  // RFC 5118 §4.2: no brackets
      "sip:[::1]x",
      "sip:[::1]:",
      "sip:2001:db8::1",
      "sip:exa mple.com",
      // Ports.
      "sip:example.com:65536",
      "sip:example.com:99999999999999999999999",
      "sip:example.com:",
      "sip:example.com:-1",
      "sip:example.com:+5060",
      "sip:example.com:50a",
      "sip:example.com:5060:5061",
      "sip:[::1]:65536",
      // Parameters: empty, bad characters, whitespace (RFC 4475 §3.1.2.8 lwsruri).
      "sip:example.com;",
      "sip:example.com;;lr",
      "sip:example.com;lr;",
      "sip:example.com;lr;;transport=tcp",
      "sip:example.com;=tcp",
      "sip:example.com;transport=",
      "sip:example.com;a=b=c",
      "sip:example.com;a=\"b\"",
      "sip:example.com;a=%4",
      "sip:user@example.com; lr",
      "sip:user@example.com;lr ",
      "sip:user@example.com ;lr",
      // Headers.
      "sip:example.com?",
      "sip:example.com?subject",
      "sip:example.com?=x",
      "sip:example.com?a=1&",
      "sip:example.com?a=1&&b=2",
      "sip:example.com?a=%G0",
      "sip:example.com?a=<x>",
      "sip:example.com?a=b;c",
      // Whitespace anywhere.
      "sip:alice@example.com ",
      " sip:alice@example.com",
      "sip: alice@example.com",
      "sip:alice@example.com\r\n",
      // tel numbers.
      "tel:+",
      "tel:+1 201",
      "tel:1+2",
      "tel:12g4",
      "tel:+-",  // RFC 3966: at least one DIGIT ...
      "tel:+()",
      "tel:-.",          // ... or HEXDIG / "*" / "#" in a local number
      "tel:+1-201-abc",  // global numbers are decimal
      "tel:+1*2",
      "tel:+1#",
      "tel:++1",
      "tel:1(2)+",
      "tel:;a=b",
      "tel:123;",
      // Other schemes still need uric characters.
      "http://example.com/a b",
      "http://example.com/<x>",
      "foo:%zz",
      "foo:\"bar\"",
  };
  for (std::string_view input : kCases) {
    SCOPED_TRACE(input);
    auto uri = parse_uri(input);
    EXPECT_FALSE(uri.has_value());
  }
}

TEST(UriTest, RejectsEmbeddedNulAndControlBytes) {
  constexpr std::string_view kCases[] = {
      "sip:a\0b@example.com"sv,       "sip:alice@exam\0ple.com"sv,
      "sip:alice@example.com;lr\0"sv, "foo:a\0b"sv,
      "sip:a\x7f@example.com"sv,      "sip:caf\xc3\xa9@example.com"sv,
  };
  for (std::string_view input : kCases) {
    SCOPED_TRACE(testing::PrintToString(std::string(input)));
    EXPECT_FALSE(parse_uri(input).has_value());
  }
}

TEST(UriTest, LengthLimit) {
  const std::string prefix = "sip:";
  const std::string suffix = "@example.com";
  std::string at_limit = prefix + std::string(2048 - prefix.size() - suffix.size(), 'a') + suffix;
  ASSERT_EQ(at_limit.size(), 2048u);
  auto ok = parse_uri(at_limit);
  ASSERT_TRUE(ok.has_value()) << ok.error().what;
  EXPECT_EQ(ok->user.size(), 2048u - prefix.size() - suffix.size());
  EXPECT_EQ(ok->host, "example.com");

  std::string over = prefix + std::string(2049 - prefix.size() - suffix.size(), 'a') + suffix;
  ASSERT_EQ(over.size(), 2049u);
  EXPECT_FALSE(parse_uri(over).has_value());

  UriLimits tight;
  tight.max_length = 15;
  EXPECT_TRUE(parse_uri("sip:a@b.example", tight).has_value());    // 15 bytes
  EXPECT_FALSE(parse_uri("sip:ab@b.example", tight).has_value());  // 16 bytes
  EXPECT_FALSE(parse_uri("foo:0123456789ab", tight).has_value());  // other schemes too
}

TEST(UriTest, ParameterCountLimit) {
  UriLimits limits;
  limits.max_params = 2;
  EXPECT_TRUE(parse_uri("sip:example.com;a;b", limits).has_value());
  EXPECT_FALSE(parse_uri("sip:example.com;a;b;c", limits).has_value());
  EXPECT_TRUE(parse_uri("tel:123;a;b", limits).has_value());
  EXPECT_FALSE(parse_uri("tel:123;a;b;c", limits).has_value());
}

TEST(UriTest, Unescape) {
  struct Case {
    std::string_view input;
    std::string_view expected;
  };
  constexpr Case kCases[] = {
      {"", ""},
      {"alice", "alice"},
      {"%61lice", "alice"},
      {"%4A%4a", "JJ"},
      {"I%20have%20spaces", "I have spaces"},
      {"sips%3Auser%40example.com", "sips:user@example.com"},
      {"cal%6Cer", "caller"},
      {"%75se%72", "user"},
      // RFC 4475 §3.1.1.3: decoded once only.
      {"v%61lue%25%34%31", "value%41"},
      {"%2541", "%41"},
      // RFC 4475 §3.1.1.4: %00 becomes NUL and nothing after it is lost.
      {"null-%00-null", "null-\0-null"sv},
      {"%00", "\0"sv},
      {"%00%00", "\0\0"sv},
      {"%ff", "\xff"},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.input);
    std::string out = unescape(row.input);
    EXPECT_EQ(out.size(), row.expected.size());
    EXPECT_EQ(out, row.expected);
  }
}

TEST(UriTest, EscapedNulUsersStayDistinct) {
  // RFC 4475 §3.1.1.4 (escnull): two contacts that must not collapse into one.
  auto one = parse_uri("sip:%00@host5.example.com");
  auto two = parse_uri("sip:%00%00@host5.example.com");
  ASSERT_TRUE(one.has_value());
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(unescape(one->user), "\0"sv);
  EXPECT_EQ(unescape(two->user), "\0\0"sv);
  EXPECT_NE(unescape(one->user), unescape(two->user));
}

TEST(UriTest, ParseHost) {
  struct Case {
    std::string_view input;
    bool ok;
    std::string_view host;
    HostKind kind;
  };
  constexpr Case kCases[] = {
      {"example.com", true, "example.com", HostKind::kName},
      {"a", true, "a", HostKind::kName},
      {"a-b.c-d", true, "a-b.c-d", HostKind::kName},
      {"0.0.0.0", true, "0.0.0.0", HostKind::kIpv4},
      {"192.0.2.1", true, "192.0.2.1", HostKind::kIpv4},
      {"[2001:db8::1]", true, "2001:db8::1", HostKind::kIpv6},
      {"[::]", true, "::", HostKind::kIpv6},
      {"", false, "", HostKind::kNone},
      {"256.1.1.1", false, "", HostKind::kNone},
      {"-a.com", false, "", HostKind::kNone},
      {"a..b", false, "", HostKind::kNone},
      {"2001:db8::1", false, "", HostKind::kNone},  // IPv6 needs its brackets here
      {"[2001:db8::1", false, "", HostKind::kNone},
      {"[example.com]", false, "", HostKind::kNone},
      {"[]", false, "", HostKind::kNone},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.input);
    std::string_view host;
    HostKind kind = HostKind::kNone;
    ASSERT_EQ(parse_host(row.input, host, kind), row.ok);
    if (row.ok) {
      EXPECT_EQ(host, row.host);
      EXPECT_EQ(kind, row.kind);
    }
  }
}

TEST(UriTest, IpAddressPredicates) {
  struct Case {
    std::string_view input;
    bool ipv4;
    bool ipv6;
  };
  constexpr Case kCases[] = {
      {"192.0.2.1", true, false},
      {"0.0.0.0", true, false},
      {"255.255.255.255", true, false},
      {"256.0.0.0", false, false},
      {"1.2.3", false, false},
      {"1.2.3.4.5", false, false},
      {"1..2.3", false, false},
      {"1.2.3.", false, false},
      {"1.2.3.0255", false, false},  // 1*3DIGIT
      {"a.b.c.d", false, false},
      {"", false, false},
      {"::1", false, true},
      {"2001:db8::9:1", false, true},
      {"2001:0db8:0000:0000:0000:0000:0000:0001", false, true},
      {"::ffff:192.0.2.1", false, true},
      {"2001:db8::g", false, false},
      {"2001:db8:::1", false, false},
      {"2001:db8::192.0.2.1", false, true},
      {"2001:db8:::192.0.2.1", false, true},  // RFC 5118 §4.10
      {":::192.0.2.1", false, true},
      {"2001:db8:::192.0.2.1:1", false, false},
      {"2001:db8::::192.0.2.1", false, false},
      {"2001:db8::1:::192.0.2.1", false, false},
      {"1:2:3:4:5:6:::192.0.2.1", false, false},
      {"1:2:3:4:5:::192.0.2.1", false, true},
      {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", false, true},    // 45 characters
      {"ffff:ffff:ffff:ffff:ffff:ffff::255.255.255.255", false, false},  // 46
      {"[::1]", false, false},
      {"1:2:3:4:5:6:7:8:9", false, false},
      {"0000:0000:0000:0000:0000:0000:0000:0000:0000:0000", false, false},  // too long
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.input);
    EXPECT_EQ(is_ipv4_address(row.input), row.ipv4);
    EXPECT_EQ(is_ipv6_address(row.input), row.ipv6);
  }
  EXPECT_EQ(ipv6_without_extra_colon("2001:db8:::192.0.2.1"), "2001:db8::192.0.2.1");
  EXPECT_EQ(ipv6_without_extra_colon("2001:db8::1"), "2001:db8::1");
}

}  // namespace
