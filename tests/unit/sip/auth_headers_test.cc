// Authorization / WWW-Authenticate values (RFC 3261 §22, §25.1; RFC 7616; RFC 8760; RFC 4475).

#include "sip/auth_headers.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

using namespace hardline::sip;

namespace {

using Value = std::optional<std::string_view>;
constexpr auto kNone = std::nullopt;

struct DigestCase {
  std::string_view input;
  std::string_view scheme;
  Value username, realm, nonce, uri, response, algorithm, cnonce, opaque, qop, nc;
  Value domain, stale, userhash;
};

const DigestCase kValidDigest[] = {
    // Credentials with SHA-256 (RFC 8760) and every credentials field.
    {"Digest username=\"alice\", realm=\"atlanta.com\", "
     "nonce=\"84a4cc6f3082121f32b42a2187831a9e\", uri=\"sip:bob@biloxi.com\", "
     "response=\"2c5f2bb6ad6a6c6b7e1d4b4c9b0f1e6d8a7c5b3e1f0d9c8b7a6e5d4c3b2a1f0e\", "
     "algorithm=SHA-256, cnonce=\"0a4f113b\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", "
     "qop=auth, nc=00000001, userhash=false",
     "Digest", "alice", "atlanta.com", "84a4cc6f3082121f32b42a2187831a9e", "sip:bob@biloxi.com",
     "2c5f2bb6ad6a6c6b7e1d4b4c9b0f1e6d8a7c5b3e1f0d9c8b7a6e5d4c3b2a1f0e", "SHA-256", "0a4f113b",
     "5ccc069c403ebaf9f0171e9517f40e41", "auth", "00000001", kNone, kNone, "false"},
    // Credentials with MD5, as a UA sends them (fuzz seed auth_digest.sip).
    {"Digest username=\"bob\", realm=\"example.com\", "
     "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
     "uri=\"sip:registrar.example.com\", qop=auth, nc=00000001, cnonce=\"0a4f113b\", "
     "response=\"6629fae49393a05397450978507c4ef1\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
     "Digest", "bob", "example.com", "dcd98b7102dd2f0e8b11d0f600bfb0c093",
     "sip:registrar.example.com", "6629fae49393a05397450978507c4ef1", kNone, "0a4f113b",
     "5ccc069c403ebaf9f0171e9517f40e41", "auth", "00000001", kNone, kNone, kNone},
    // RFC 3261 §22.4-style credentials without qop, algorithm=MD5.
    {"Digest username=\"bob\",realm=\"biloxi.com\",nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\","
     "uri=\"sip:bob@biloxi.com\",response=\"245f23415f11432b3434341c022\",algorithm=MD5",
     "Digest", "bob", "biloxi.com", "dcd98b7102dd2f0e8b11d0f600bfb0c093", "sip:bob@biloxi.com",
     "245f23415f11432b3434341c022", "MD5", kNone, kNone, kNone, kNone, kNone, kNone, kNone},
    // A challenge: domain, stale, an empty opaque, qop list in quotes (its comma does not split).
    {"Digest realm=\"atlanta.com\", domain=\"sip:ss1.carrier.com sip:ss2.carrier.com\", "
     "qop=\"auth,auth-int\", nonce=\"f84f1cec41e6cbe5aea9c8e88d359\", opaque=\"\", stale=FALSE, "
     "algorithm=SHA-256",
     "Digest", kNone, "atlanta.com", "f84f1cec41e6cbe5aea9c8e88d359", kNone, kNone, "SHA-256",
     kNone, "", "auth,auth-int", kNone, "sip:ss1.carrier.com sip:ss2.carrier.com", "FALSE", kNone},
    // Scheme and parameter names in any case; LWS around '=' and ','; quoted commas in values.
    {"  digest   USERNAME = \"Doe, John\" ,Realm=\"a,b\\\"c\"\t,\tNONCE=abc ,NC=0000000A  ",
     "digest", "Doe, John", "a,b\\\"c", "abc", kNone, kNone, kNone, kNone, kNone, kNone, "0000000A",
     kNone, kNone, kNone},
    // Unknown Digest parameters are allowed and ignored by the typed fields.
    {"Digest realm=\"r\", nonce=\"n\", x-extension=\"whatever\", charset=UTF-8", "Digest", kNone,
     "r", "n", kNone, kNone, kNone, kNone, kNone, kNone, kNone, kNone, kNone, kNone},
    // nc is 8 hex digits in either case.
    {"Digest nc=deadBEEF", "Digest", kNone, kNone, kNone, kNone, kNone, kNone, kNone, kNone, kNone,
     "deadBEEF", kNone, kNone, kNone},
};

TEST(AuthHeaderTest, ParsesDigestFields) {
  for (const DigestCase& row : kValidDigest) {
    SCOPED_TRACE(row.input);
    auto h = parse_auth_header(row.input);
    ASSERT_TRUE(h.has_value()) << h.error().what;
    EXPECT_TRUE(h->is_digest);
    EXPECT_EQ(h->scheme, row.scheme);
    const DigestParams& d = h->digest;
    EXPECT_EQ(d.username, row.username);
    EXPECT_EQ(d.realm, row.realm);
    EXPECT_EQ(d.nonce, row.nonce);
    EXPECT_EQ(d.uri, row.uri);
    EXPECT_EQ(d.response, row.response);
    EXPECT_EQ(d.algorithm, row.algorithm);
    EXPECT_EQ(d.cnonce, row.cnonce);
    EXPECT_EQ(d.opaque, row.opaque);
    EXPECT_EQ(d.qop, row.qop);
    EXPECT_EQ(d.nc, row.nc);
    EXPECT_EQ(d.domain, row.domain);
    EXPECT_EQ(d.stale, row.stale);
    EXPECT_EQ(d.userhash, row.userhash);
  }
}

TEST(AuthHeaderTest, KeepsTextSchemeAndParams) {
  auto h = parse_auth_header("  Digest realm=\"r\", nonce=\"n\"  ");
  ASSERT_TRUE(h.has_value()) << h.error().what;
  EXPECT_EQ(h->text, "Digest realm=\"r\", nonce=\"n\"");
  EXPECT_EQ(h->scheme, "Digest");
  EXPECT_EQ(h->params, "realm=\"r\", nonce=\"n\"");
}

TEST(AuthHeaderTest, AcceptsUnknownSchemes) {
  struct Case {
    std::string_view input;
    std::string_view scheme;
    std::string_view params;
  };
  constexpr Case kCases[] = {
      // RFC 4475 §3.3.7 (regaut01): answered with a new challenge, not a 400.
      {"NoOneKnowsThisScheme opaque-data=here", "NoOneKnowsThisScheme", "opaque-data=here"},
      {"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Basic", "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="},
      {"Bearer", "Bearer", ""},
      {"Custom a=1,,b", "Custom", "a=1,,b"},  // its parameters are not ours to judge
      {"Digestive realm=x", "Digestive", "realm=x"},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.input);
    auto h = parse_auth_header(row.input);
    ASSERT_TRUE(h.has_value()) << h.error().what;
    EXPECT_FALSE(h->is_digest);
    EXPECT_EQ(h->scheme, row.scheme);
    EXPECT_EQ(h->params, row.params);
    EXPECT_FALSE(h->digest.realm.has_value());
    EXPECT_FALSE(h->digest.nonce.has_value());
  }
}

TEST(AuthHeaderTest, RejectsMalformedValues) {
  constexpr std::string_view kCases[] = {
      "",
      "   ",
      "Digest",
      "Digest   ",
      "Dig\"est realm=x",
      "Dig@est realm=x",
      // Repeated known parameters, in any case.
      "Digest realm=\"a\", realm=\"b\"",
      "Digest realm=\"a\", Realm=\"a\"",
      "Digest nonce=a, username=\"u\", NONCE=b",
      "Digest response=\"x\", response=\"x\"",
      "Digest nc=00000001, nc=00000002",
      // nc = 8LHEX.
      "Digest nc=0000001",
      "Digest nc=000000001",
      "Digest nc=0000000g",
      "Digest nc=",
      "Digest nc=\"0000001\"",
      // Parameter syntax.
      "Digest realm",
      "Digest realm=",
      "Digest =x",
      "Digest realm=a b",
      "Digest realm=\"unterminated",
      "Digest realm=\"x\" nonce=\"y\"",  // a missing comma
      "Digest realm=\"x\"y",
      "Digest realm=<x>",
      "Digest re alm=x",
      "Digest realm=\"x\",",
      "Digest , realm=\"x\"",
      "Digest realm=\"x\",, nonce=\"y\"",
      "Digest realm=\"a\x01"
      "b\"",
  };
  for (std::string_view input : kCases) {
    SCOPED_TRACE(testing::PrintToString(std::string(input)));
    EXPECT_FALSE(parse_auth_header(input).has_value());
  }
}

TEST(AuthHeaderTest, UnknownParametersMayRepeat) {
  auto h = parse_auth_header("Digest x=1, x=2, realm=\"r\"");
  ASSERT_TRUE(h.has_value()) << h.error().what;
  EXPECT_EQ(h->digest.realm, Value("r"));
  EXPECT_EQ(h->find("x"), Value("1"));
}

TEST(AuthHeaderTest, MaxParams) {
  EXPECT_TRUE(parse_auth_header("Digest a=1, b=2, c=3", 3).has_value());
  EXPECT_FALSE(parse_auth_header("Digest a=1, b=2, c=3", 2).has_value());
  EXPECT_TRUE(parse_auth_header("Digest a=1, b=\"x,y,z\"", 2).has_value());  // quoted commas
}

TEST(AuthHeaderTest, Find) {
  auto h = parse_auth_header(
      "Digest username=\"Doe, John\", realm=\"atlanta.com\", qop=\"auth,auth-int\", "
      "algorithm=SHA-256, x-ext=tok, opaque=\"\", nonce=\"a\\\"b\"");
  ASSERT_TRUE(h.has_value()) << h.error().what;
  struct Case {
    std::string_view name;
    Value expected;
  };
  const Case kCases[] = {
      {"username", "Doe, John"},  // quotes stripped
      {"USERNAME", "Doe, John"},  // names compare case-insensitively
      {"Realm", "atlanta.com"},
      {"qop", "auth,auth-int"},
      {"algorithm", "SHA-256"},
      {"x-ext", "tok"},
      {"opaque", ""},
      {"nonce", "a\\\"b"},  // quoted-pairs kept: unquote() resolves them
      {"cnonce", kNone},
      {"user", kNone},
      {"", kNone},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(h->find(row.name), row.expected);
  }
}

TEST(AuthHeaderTest, FindOnUnknownScheme) {
  auto h = parse_auth_header("NoOneKnowsThisScheme opaque-data=here");
  ASSERT_TRUE(h.has_value()) << h.error().what;
  EXPECT_EQ(h->find("opaque-data"), Value("here"));
  EXPECT_EQ(h->find("OPAQUE-DATA"), Value("here"));
  EXPECT_EQ(h->find("realm"), kNone);
}

TEST(AuthHeaderTest, Unquote) {
  struct Case {
    std::string_view inner;
    std::string_view expected;
  };
  constexpr Case kCases[] = {
      {"", ""},
      {"plain", "plain"},
      {"a\\\"b", "a\"b"},
      {"a\\\\b", "a\\b"},
      {"\\a\\b", "ab"},
      {"\\\\\\\"", "\\\""},
      {"J Rosenberg \\\\\\\"", "J Rosenberg \\\""},
      {"Doe, John", "Doe, John"},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.inner);
    EXPECT_EQ(unquote(row.inner), row.expected);
  }
}

TEST(AuthHeaderTest, UnquoteOfAParsedValue) {
  auto h = parse_auth_header("Digest username=\"a\\\"b\\\\c\", realm=\"r\"");
  ASSERT_TRUE(h.has_value()) << h.error().what;
  ASSERT_TRUE(h->digest.username.has_value());
  EXPECT_EQ(*h->digest.username, "a\\\"b\\\\c");
  EXPECT_EQ(unquote(*h->digest.username), "a\"b\\c");
}

}  // namespace
