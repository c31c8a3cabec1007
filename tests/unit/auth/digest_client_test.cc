// The digest client against the worked examples of RFC 7616 §3.9.1 (MD5 and SHA-256) and
// RFC 2617 §3.5, the RFC 2069 form without qop, and the choice among several challenges.

#include "auth/digest_client.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "sip/auth_headers.h"

using namespace hardline;
using namespace hardline::auth;

namespace {

sip::AuthHeader challenge(std::string_view text) {
  auto parsed = sip::parse_auth_header(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(sip::AuthHeader{});
}

// The value of one parameter in a credentials string, quotes removed.
std::string param(const std::string& credentials, std::string_view name) {
  auto parsed = sip::parse_auth_header(credentials);
  EXPECT_TRUE(parsed.has_value()) << credentials;
  if (!parsed) return {};
  return std::string(parsed->find(name).value_or("<absent>"));
}

// RFC 7616 §3.9.1 (the password with a lower-case "of", erratum 4495).
constexpr std::string_view kRfc7616Md5 =
    "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=MD5, "
    "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
    "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
constexpr std::string_view kRfc7616Sha256 =
    "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=SHA-256, "
    "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
    "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
constexpr std::string_view kRfc7616Cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

TEST(DigestClientTest, AnswersTheRfcExamples) {
  struct Case {
    std::string_view challenge;
    std::string_view password;
    std::string_view cnonce;
    std::string_view expected_response;
    std::string_view expected_algorithm;
  };
  const Case kCases[] = {
      {kRfc7616Md5, "Circle of Life", kRfc7616Cnonce, "8ca523f5e9506fed4657c9700eebdbec", "MD5"},
      {kRfc7616Sha256, "Circle of Life", kRfc7616Cnonce,
       "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", "SHA-256"},
      // RFC 2617 §3.5 (no algorithm parameter: MD5).
      {"Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
       "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
       "Circle Of Life", "0a4f113b", "6629fae49393a05397450978507c4ef1", "MD5"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.challenge);
    const sip::AuthHeader header = challenge(c.challenge);
    const ClientCredentials credentials{"Mufasa", std::string(c.password)};
    auto answer = answer_challenge(header, credentials, "GET", "/dir/index.html", c.cnonce, 1);
    ASSERT_TRUE(answer.has_value()) << answer.error().what;
    EXPECT_EQ(param(*answer, "response"), c.expected_response);
    EXPECT_EQ(param(*answer, "algorithm"), c.expected_algorithm);
    EXPECT_EQ(param(*answer, "username"), "Mufasa");
    EXPECT_EQ(param(*answer, "uri"), "/dir/index.html");
    EXPECT_EQ(param(*answer, "qop"), "auth");
    EXPECT_EQ(param(*answer, "nc"), "00000001");
    EXPECT_EQ(param(*answer, "cnonce"), c.cnonce);
    EXPECT_EQ(param(*answer, "realm"), header.find("realm").value_or(""));
    EXPECT_EQ(param(*answer, "opaque"), header.find("opaque").value_or(""));
    // The password never appears in what is sent.
    EXPECT_EQ(answer->find(c.password), std::string::npos);
  }
}

TEST(DigestClientTest, AnswersWithoutQopInTheRfc2069Form) {
  // H(HA1:nonce:HA2), computed apart (Python hashlib) for the RFC 2617 example's values.
  const sip::AuthHeader header = challenge(
      "Digest realm=\"testrealm@host.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"");
  auto answer = answer_challenge(header, {"Mufasa", "Circle Of Life"}, "GET", "/dir/index.html",
                                 "ignored", 1);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(param(*answer, "response"), "670fd8c2df070c60b045671b8b24ff02");
  EXPECT_EQ(param(*answer, "qop"), "<absent>");
  EXPECT_EQ(param(*answer, "nc"), "<absent>");
  EXPECT_EQ(param(*answer, "cnonce"), "<absent>");
}

TEST(DigestClientTest, CountsNonceUses) {
  const sip::AuthHeader header = challenge(kRfc7616Md5);
  auto answer = answer_challenge(header, {"Mufasa", "x"}, "INVITE", "sip:1@a", "c", 0x1f);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(param(*answer, "nc"), "0000001f");
}

TEST(DigestClientTest, PicksSha256ThenMd5AndRefusesWhatItCannotDo) {
  struct Case {
    std::vector<std::string_view> offered;
    int expected;  // index into offered, -1 for none
  };
  const std::string_view md5 = "Digest realm=\"r\", nonce=\"n\", algorithm=MD5, qop=\"auth\"";
  const std::string_view sha = "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256, qop=\"auth\"";
  const std::string_view sess = "Digest realm=\"r\", nonce=\"n\", algorithm=MD5-sess, qop=\"auth\"";
  const std::string_view sha512 = "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256";
  const std::string_view auth_int = "Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"";
  const std::string_view no_nonce = "Digest realm=\"r\", algorithm=MD5";
  const std::string_view basic = "Basic realm=\"r\"";
  const Case kCases[] = {
      {{md5, sha}, 1},         {{sha, md5}, 0},      {{md5}, 0},
      {{sess, md5}, 1},        {{sha512, sess}, -1}, {{auth_int}, -1},
      {{no_nonce, basic}, -1}, {{basic, md5}, 1},    {{}, -1},
  };
  for (const Case& c : kCases) {
    std::vector<sip::AuthHeader> headers;
    for (std::string_view text : c.offered) headers.push_back(challenge(text));
    const sip::AuthHeader* picked = pick_challenge(headers);
    if (c.expected < 0) {
      EXPECT_EQ(picked, nullptr);
    } else {
      EXPECT_EQ(picked, &headers[static_cast<size_t>(c.expected)]);
    }
  }
  EXPECT_FALSE(answer_challenge(challenge(sess), {"u", "p"}, "INVITE", "sip:x", "c", 1));
  EXPECT_FALSE(answer_challenge(challenge(md5), {"u\"", "p"}, "INVITE", "sip:x", "c", 1));
}

}  // namespace
