// DigestAuthenticator: challenges, choice among credentials, and the verdict table.

#include "auth/digest_authenticator.h"

#include <gtest/gtest.h>

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "sip/auth_headers.h"

using namespace hardline;
using namespace hardline::auth;
using Outcome = DigestAuthenticator::Verdict::Outcome;
using Failure = DigestAuthenticator::Verdict::Failure;
using std::chrono::seconds;

namespace {

constexpr std::string_view kRealm = "hardline.test";
constexpr std::string_view kUser = "201";
constexpr std::string_view kPassword = "Tr0ub4dor&3-horse-staple";
constexpr std::string_view kMethod = "REGISTER";
constexpr std::string_view kRequestUri = "sip:hardline.test";

// The fields a client puts in its Authorization; nullopt leaves a field out.
struct Fields {
  std::optional<std::string> username{std::string(kUser)};
  std::optional<std::string> realm{std::string(kRealm)};
  std::optional<std::string> nonce;  // filled by the fixture
  std::optional<std::string> uri{std::string(kRequestUri)};
  std::optional<std::string> algorithm{"SHA-256"};
  std::optional<std::string> qop{"auth"};
  std::optional<std::string> nc{"00000001"};
  std::optional<std::string> cnonce{"0a4f113b"};
  std::optional<std::string> response;  // computed from the fields unless set
  bool send_response = true;
  std::string password{kPassword};
  std::string scheme{"Digest"};
};

std::string response_for(const Fields& f) {
  const Algorithm algorithm = parse_algorithm(f.algorithm).value_or(Algorithm::kMd5);
  const std::string ha1 =
      compute_ha1(algorithm, f.username.value_or(""), f.realm.value_or(""), f.password);
  return compute_response(algorithm, ha1, f.nonce.value_or(""), f.nc.value_or(""),
                          f.cnonce.value_or(""), f.qop.value_or(""), kMethod, f.uri.value_or(""));
}

std::string authorization_text(const Fields& f) {
  std::string out = f.scheme + " ";
  bool first = true;
  auto add = [&](std::string_view name, const std::optional<std::string>& value, bool quoted) {
    if (!value) return;
    if (!first) out += ", ";
    first = false;
    out.append(name).append("=");
    out += quoted ? "\"" + *value + "\"" : *value;
  };
  add("username", f.username, true);
  add("realm", f.realm, true);
  add("nonce", f.nonce, true);
  add("uri", f.uri, true);
  if (f.send_response) add("response", f.response ? f.response : response_for(f), true);
  add("algorithm", f.algorithm, false);
  add("cnonce", f.cnonce, true);
  add("qop", f.qop, false);
  add("nc", f.nc, false);
  return out;
}

IpAddress ip(std::string_view text) {
  return parse_ip_address(text).value_or(IpAddress{});
}

class DigestAuthenticatorTest : public ::testing::Test {
 protected:
  // Parses an Authorization value kept alive by the fixture (the header holds views into it).
  const sip::AuthHeader& parse(std::string text) {
    const std::string& kept = texts_.emplace_back(std::move(text));
    auto parsed = sip::parse_auth_header(kept);
    EXPECT_TRUE(parsed.has_value()) << kept;
    return headers_.emplace_back(parsed.value_or(sip::AuthHeader{}));
  }

  Fields fresh_fields() {
    Fields f;
    f.nonce = nonces_.issue(phone_);
    return f;
  }

  DigestAuthenticator::Verdict verify(const Fields& f, std::optional<StoredCredentials> credentials,
                                      std::string_view request_uri = kRequestUri,
                                      bool allowed = true) {
    return authenticator_.verify(parse(authorization_text(f)), kMethod, request_uri, credentials,
                                 phone_, allowed);
  }

  ManualClock clock_;
  NonceService nonces_{clock_, {.lifetime = seconds(300), .key_rotation = seconds(600)}};
  DigestAuthenticator authenticator_{nonces_, {.realm = std::string(kRealm)}};
  StoredCredentials account_ = make_credentials(kUser, kRealm, kPassword);
  IpAddress phone_ = ip("192.0.2.10");
  std::deque<std::string> texts_;
  std::deque<sip::AuthHeader> headers_;
};

TEST_F(DigestAuthenticatorTest, AcceptsTheRightPasswordWithSha256) {
  const auto verdict = verify(fresh_fields(), account_);
  EXPECT_EQ(verdict.outcome, Outcome::kAuthenticated);
  EXPECT_EQ(verdict.algorithm, Algorithm::kSha256);
}

TEST_F(DigestAuthenticatorTest, AcceptsTheRightPasswordWithMd5) {
  Fields f = fresh_fields();
  f.algorithm = "MD5";
  auto verdict = verify(f, account_);
  EXPECT_EQ(verdict.outcome, Outcome::kAuthenticated);
  EXPECT_EQ(verdict.algorithm, Algorithm::kMd5);

  f = fresh_fields();
  f.algorithm.reset();  // absent means MD5
  verdict = verify(f, account_);
  EXPECT_EQ(verdict.outcome, Outcome::kAuthenticated);
  EXPECT_EQ(verdict.algorithm, Algorithm::kMd5);
}

TEST_F(DigestAuthenticatorTest, AcceptsUpperCaseHexInResponseAndStore) {
  Fields f = fresh_fields();
  std::string response = response_for(f);
  for (char& c : response) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  f.response = response;
  StoredCredentials upper = account_;
  for (char& c : upper.ha1_sha256)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(verify(f, upper).outcome, Outcome::kAuthenticated);
}

TEST_F(DigestAuthenticatorTest, ReplayIsChallengedAndTheNextCountAccepted) {
  Fields f = fresh_fields();
  EXPECT_EQ(verify(f, account_).outcome, Outcome::kAuthenticated);
  EXPECT_EQ(verify(f, account_).outcome, Outcome::kChallenge);
  f.nc = "00000002";
  EXPECT_EQ(verify(f, account_).outcome, Outcome::kAuthenticated);
  f.nc = "00000002";
  EXPECT_EQ(verify(f, account_).outcome, Outcome::kChallenge);
}

TEST_F(DigestAuthenticatorTest, WrongPasswordIsChallengedWithoutUsingTheNonce) {
  Fields f = fresh_fields();
  f.password = "Tr0ub4dor&3-horse-stapler";
  EXPECT_EQ(verify(f, account_).outcome, Outcome::kChallenge);
  f.password = std::string(kPassword);
  EXPECT_EQ(verify(f, account_).outcome, Outcome::kAuthenticated);  // same nonce, same nc
}

TEST_F(DigestAuthenticatorTest, UnknownUserLooksExactlyLikeAWrongPassword) {
  for (const char* algorithm : {"SHA-256", "MD5"}) {
    SCOPED_TRACE(algorithm);
    Fields wrong = fresh_fields();
    wrong.algorithm = algorithm;
    wrong.password = "not the password";
    Fields unknown = fresh_fields();
    unknown.algorithm = algorithm;
    unknown.username = "999";
    const auto wrong_verdict = verify(wrong, account_);
    const auto unknown_verdict = verify(unknown, std::nullopt);
    EXPECT_EQ(wrong_verdict.outcome, Outcome::kChallenge);
    EXPECT_EQ(unknown_verdict.outcome, wrong_verdict.outcome);
    EXPECT_EQ(unknown_verdict.algorithm, wrong_verdict.algorithm);
  }
}

TEST_F(DigestAuthenticatorTest, UnknownUserIsNeverAuthenticatedEvenOnAnExpiredNonce) {
  Fields f = fresh_fields();
  clock_.advance(seconds(301));
  // Stale for both (the answer tells nothing), but only the unknown user's attempt counts.
  EXPECT_EQ(verify(f, std::nullopt).outcome, Outcome::kStale);
  EXPECT_EQ(verify(f, std::nullopt).failure, Failure::kPassword);
  EXPECT_EQ(verify(f, account_).outcome, Outcome::kStale);
  EXPECT_EQ(verify(f, account_).failure, Failure::kNone);
}

TEST_F(DigestAuthenticatorTest, AccountWithoutThatAlgorithmIsChallenged) {
  StoredCredentials md5_only = account_;
  md5_only.ha1_sha256.clear();
  EXPECT_EQ(verify(fresh_fields(), md5_only).outcome, Outcome::kChallenge);
  Fields f = fresh_fields();
  f.algorithm = "MD5";
  EXPECT_EQ(verify(f, md5_only).outcome, Outcome::kAuthenticated);
  StoredCredentials garbled = account_;
  garbled.ha1_sha256[3] = 'x';
  EXPECT_EQ(verify(fresh_fields(), garbled).outcome, Outcome::kChallenge);
}

// The stale=true oracle (issue 12, finding 1): over an expired nonce the answer is the same for
// every password, and only a wrong one is counted.
TEST_F(DigestAuthenticatorTest, ExpiredNonceIsStaleWhateverThePasswordAndWrongOnesCount) {
  Fields right = fresh_fields();
  Fields wrong = right;
  wrong.password = "guess";
  Fields unknown = right;
  unknown.username = "999";
  clock_.advance(seconds(301));
  const auto r = verify(right, account_);
  const auto w = verify(wrong, account_);
  const auto u = verify(unknown, std::nullopt);
  const auto locked = verify(right, account_, kRequestUri, false);
  EXPECT_EQ(r.outcome, Outcome::kStale);
  EXPECT_EQ(w.outcome, Outcome::kStale);
  EXPECT_EQ(u.outcome, Outcome::kStale);
  EXPECT_EQ(locked.outcome, Outcome::kStale);
  EXPECT_EQ(r.failure, Failure::kNone);
  EXPECT_EQ(w.failure, Failure::kPassword);
  EXPECT_EQ(u.failure, Failure::kPassword);
  EXPECT_EQ(locked.failure, Failure::kPassword);
}

// A nonce of a retired key cannot be told from a made-up one: garbage, never stale.
TEST_F(DigestAuthenticatorTest, NonceOfARetiredKeyIsGarbageWhateverThePassword) {
  Fields right = fresh_fields();
  Fields wrong = right;
  wrong.password = "guess";
  clock_.advance(seconds(1201));  // two rotations: the key that signed it is gone
  const auto r = verify(right, account_);
  const auto w = verify(wrong, account_);
  EXPECT_EQ(r.outcome, Outcome::kChallenge);
  EXPECT_EQ(w.outcome, Outcome::kChallenge);
  EXPECT_EQ(r.failure, Failure::kForged);
  EXPECT_EQ(w.failure, Failure::kForged);
}

// A made-up nonce (the attacker's own, any generation): the password is never looked at, so a
// right and a wrong one get the same answer, and the attempt still counts.
TEST_F(DigestAuthenticatorTest, MadeUpNonceNeverTellsARightPasswordFromAWrongOne) {
  const std::string made_up[] = {
      "AAAAAAAAAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  // old layout, generation 1
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",      // new length
      "dcd98b7102dd2f0e8b11d0f600bfb0c093",
  };
  for (const std::string& nonce : made_up) {
    Fields right;
    right.nonce = nonce;
    Fields wrong = right;
    wrong.password = "guess";
    const auto r = verify(right, account_);
    const auto w = verify(wrong, account_);
    EXPECT_EQ(r.outcome, Outcome::kChallenge) << nonce;
    EXPECT_EQ(w.outcome, Outcome::kChallenge) << nonce;
    EXPECT_EQ(r.failure, Failure::kForged) << nonce;
    EXPECT_EQ(w.failure, Failure::kForged) << nonce;
  }
}

// A refusal by the guard (a locked account) answers exactly as a wrong password does.
TEST_F(DigestAuthenticatorTest, RefusedAccountIsAnsweredAsAWrongPassword) {
  Fields right = fresh_fields();
  const auto refused = verify(right, account_, kRequestUri, false);
  EXPECT_EQ(refused.outcome, Outcome::kChallenge);
  EXPECT_EQ(refused.failure, Failure::kPassword);
  // The nonce-count was not consumed: the same request passes once allowed.
  EXPECT_EQ(verify(right, account_).outcome, Outcome::kAuthenticated);
}

TEST_F(DigestAuthenticatorTest, NonceIssuedToAnotherSourceIsChallenged) {
  Fields f;
  f.nonce = nonces_.issue(ip("198.51.100.7"));
  EXPECT_EQ(verify(f, account_).outcome, Outcome::kChallenge);
}

// Which failure it was, for the guard: kPassword only over a nonce we issued to this source.
TEST_F(DigestAuthenticatorTest, SaysWhichKindOfFailureItWas) {
  Fields wrong = fresh_fields();
  wrong.password = "guess";
  EXPECT_EQ(verify(wrong, account_).failure, Failure::kPassword);
  Fields unknown = fresh_fields();
  unknown.username = "999";
  EXPECT_EQ(verify(unknown, std::nullopt).failure, Failure::kPassword);  // as a wrong password
  Fields right = fresh_fields();
  EXPECT_EQ(verify(right, account_).failure, Failure::kNone);
  EXPECT_EQ(verify(right, account_).failure, Failure::kPassword);  // a replay
  Fields elsewhere = wrong;
  elsewhere.nonce = nonces_.issue(ip("198.51.100.7"));  // a spoofer's request from our source
  EXPECT_EQ(verify(elsewhere, account_).failure, Failure::kForged);
  Fields tampered = wrong;
  tampered.nonce->back() = tampered.nonce->back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(verify(tampered, account_).failure, Failure::kForged);
  Fields malformed = fresh_fields();
  malformed.qop = "auth-int";
  EXPECT_EQ(verify(malformed, account_).failure, Failure::kNone);  // nothing was guessed
}

TEST_F(DigestAuthenticatorTest, ForeignOrTamperedNonceIsChallenged) {
  Fields f = fresh_fields();
  f.nonce->back() = f.nonce->back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(verify(f, account_).outcome, Outcome::kChallenge);
  f.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  EXPECT_EQ(verify(f, account_).outcome, Outcome::kChallenge);
}

// Each row breaks one requirement while the response stays right for the fields as sent and the
// account's HA1 matches them (same user, realm and password), so a row can only pass because of
// the rule it names.
TEST_F(DigestAuthenticatorTest, RefusesCredentialsThatBreakARule) {
  struct Case {
    const char* rule;
    void (*change)(Fields&);
  };
  const Case kCases[] = {
      {"qop missing (RFC 2069 style)", [](Fields& f) { f.qop.reset(); }},
      {"qop=auth-int", [](Fields& f) { f.qop = "auth-int"; }},
      {"nc missing", [](Fields& f) { f.nc.reset(); }},
      {"nc zero", [](Fields& f) { f.nc = "00000000"; }},
      {"cnonce missing", [](Fields& f) { f.cnonce.reset(); }},
      {"cnonce empty", [](Fields& f) { f.cnonce = ""; }},
      {"realm missing", [](Fields& f) { f.realm.reset(); }},
      {"another realm", [](Fields& f) { f.realm = "evil.test"; }},
      {"realm in another case", [](Fields& f) { f.realm = "Hardline.test"; }},
      {"uri missing", [](Fields& f) { f.uri.reset(); }},
      {"uri not the Request-URI", [](Fields& f) { f.uri = "sip:other.test"; }},
      {"uri with a different case", [](Fields& f) { f.uri = "sip:HARDLINE.test"; }},
      {"username missing", [](Fields& f) { f.username.reset(); }},
      {"nonce missing", [](Fields& f) { f.nonce.reset(); }},
      {"nonce empty", [](Fields& f) { f.nonce = ""; }},
      {"response missing", [](Fields& f) { f.send_response = false; }},
      {"response truncated", [](Fields& f) { f.response = response_for(f).substr(0, 63); }},
      {"response not hex", [](Fields& f) { f.response = std::string(64, 'g'); }},
      {"MD5 response under SHA-256",
       [](Fields& f) {
         Fields md5 = f;
         md5.algorithm = "MD5";
         f.response = response_for(md5);
       }},
      {"algorithm MD5-sess", [](Fields& f) { f.algorithm = "MD5-sess"; }},
      {"algorithm SHA-512-256", [](Fields& f) { f.algorithm = "SHA-512-256"; }},
      {"algorithm SHA-256-sess", [](Fields& f) { f.algorithm = "SHA-256-sess"; }},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.rule);
    Fields f = fresh_fields();
    row.change(f);
    const StoredCredentials matching =
        make_credentials(f.username.value_or(""), f.realm.value_or(""), f.password);
    EXPECT_EQ(verify(f, matching).outcome, Outcome::kChallenge);
  }
  // The same fields unbroken pass, so the table tests what it says.
  EXPECT_EQ(verify(fresh_fields(), account_).outcome, Outcome::kAuthenticated);
}

TEST_F(DigestAuthenticatorTest, RefusesMalformedNonceCounts) {
  // The parser refuses these already; verify() must not rely on it.
  for (std::string_view nc : {"1", "0000001", "000000001", "0000000g", "-0000001", ""}) {
    SCOPED_TRACE(nc);
    Fields f = fresh_fields();
    sip::AuthHeader header = parse(authorization_text(f));
    header.digest.nc = nc;
    EXPECT_EQ(authenticator_.verify(header, kMethod, kRequestUri, account_, phone_).outcome,
              Outcome::kChallenge);
  }
}

TEST_F(DigestAuthenticatorTest, RefusesOtherSchemes) {
  const sip::AuthHeader& basic = parse("Basic MjAxOlRyMHViNGRvcg==");
  EXPECT_EQ(authenticator_.verify(basic, kMethod, kRequestUri, account_, phone_).outcome,
            Outcome::kChallenge);
}

TEST_F(DigestAuthenticatorTest, Md5DisabledRefusesMd5) {
  DigestAuthenticator strict(nonces_,
                             {.realm = std::string(kRealm), .algorithms = {Algorithm::kSha256}});
  for (const std::optional<std::string>& algorithm :
       {std::optional<std::string>("MD5"), std::optional<std::string>()}) {
    Fields f = fresh_fields();
    f.algorithm = algorithm;
    const auto verdict =
        strict.verify(parse(authorization_text(f)), kMethod, kRequestUri, account_, phone_);
    EXPECT_EQ(verdict.outcome, Outcome::kChallenge);
    EXPECT_EQ(verdict.algorithm, Algorithm::kMd5);
  }
  EXPECT_EQ(
      strict
          .verify(parse(authorization_text(fresh_fields())), kMethod, kRequestUri, account_, phone_)
          .outcome,
      Outcome::kAuthenticated);
}

TEST_F(DigestAuthenticatorTest, ChallengesOfferSha256FirstThenMd5) {
  const std::vector<std::string> values = authenticator_.challenges(phone_, false);
  ASSERT_EQ(values.size(), 2u);
  const sip::AuthHeader& sha = parse(values[0]);
  const sip::AuthHeader& md5 = parse(values[1]);
  EXPECT_TRUE(sha.is_digest);
  EXPECT_EQ(sha.scheme, "Digest");
  EXPECT_EQ(sha.digest.realm, kRealm);
  EXPECT_EQ(sha.digest.algorithm, "SHA-256");
  EXPECT_EQ(sha.digest.qop, "auth");
  EXPECT_FALSE(sha.digest.stale.has_value());
  EXPECT_FALSE(sha.digest.opaque.has_value());
  ASSERT_TRUE(sha.digest.nonce.has_value());
  EXPECT_EQ(sha.digest.nonce->size(), 44u);
  EXPECT_EQ(md5.digest.algorithm, "MD5");
  EXPECT_EQ(md5.digest.realm, kRealm);
  EXPECT_EQ(md5.digest.qop, "auth");
  EXPECT_EQ(md5.digest.nonce, sha.digest.nonce);
  EXPECT_EQ(values[0], "Digest realm=\"hardline.test\", nonce=\"" + std::string(*sha.digest.nonce) +
                           "\", algorithm=SHA-256, qop=\"auth\"");
  // A fresh nonce each time.
  EXPECT_NE(parse(authenticator_.challenges(phone_, false)[0]).digest.nonce, sha.digest.nonce);
}

TEST_F(DigestAuthenticatorTest, StaleChallengesSaySo) {
  const std::vector<std::string> values = authenticator_.challenges(phone_, true);
  ASSERT_EQ(values.size(), 2u);
  for (const std::string& value : values) EXPECT_EQ(parse(value).digest.stale, "true");
}

TEST_F(DigestAuthenticatorTest, Md5FirstPutsMd5BeforeSha256AndStillAcceptsBoth) {
  DigestAuthenticator legacy(
      nonces_, {.realm = std::string(kRealm), .algorithms = {Algorithm::kMd5, Algorithm::kSha256}});
  const std::vector<std::string> values = legacy.challenges(phone_, false);
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(parse(values[0]).digest.algorithm, "MD5");
  EXPECT_EQ(parse(values[1]).digest.algorithm, "SHA-256");
  EXPECT_EQ(
      legacy
          .verify(parse(authorization_text(fresh_fields())), kMethod, kRequestUri, account_, phone_)
          .outcome,
      Outcome::kAuthenticated);
}

TEST_F(DigestAuthenticatorTest, Md5OnlyRefusesSha256) {
  DigestAuthenticator legacy(nonces_,
                             {.realm = std::string(kRealm), .algorithms = {Algorithm::kMd5}});
  const std::vector<std::string> values = legacy.challenges(phone_, false);
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(parse(values[0]).digest.algorithm, "MD5");
  EXPECT_EQ(
      legacy
          .verify(parse(authorization_text(fresh_fields())), kMethod, kRequestUri, account_, phone_)
          .outcome,
      Outcome::kChallenge);
}

TEST_F(DigestAuthenticatorTest, WithoutMd5OnlySha256IsOffered) {
  DigestAuthenticator strict(nonces_,
                             {.realm = std::string(kRealm), .algorithms = {Algorithm::kSha256}});
  const std::vector<std::string> values = strict.challenges(phone_, false);
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(parse(values[0]).digest.algorithm, "SHA-256");
}

TEST_F(DigestAuthenticatorTest, RealmIsQuotedSafely) {
  const std::string realm = "Hardline \"HQ\" \\ lab";
  DigestAuthenticator odd(nonces_, {.realm = realm, .algorithms = {Algorithm::kSha256}});
  const sip::AuthHeader& challenge = parse(odd.challenges(phone_, false)[0]);
  ASSERT_TRUE(challenge.digest.realm.has_value());
  EXPECT_EQ(sip::unquote(*challenge.digest.realm), realm);
}

TEST_F(DigestAuthenticatorTest, ClientAnsweringOurChallengeIsAuthenticated) {
  for (size_t i = 0; i < 2; ++i) {
    // Both challenges share one nonce, so each answer gets a challenge of its own.
    const sip::AuthHeader& challenge = parse(authenticator_.challenges(phone_, false).at(i));
    Fields f;
    f.nonce = std::string(*challenge.digest.nonce);
    f.algorithm = std::string(*challenge.digest.algorithm);
    SCOPED_TRACE(*f.algorithm);
    const auto verdict = verify(f, account_);
    EXPECT_EQ(verdict.outcome, Outcome::kAuthenticated);
    EXPECT_EQ(verdict.algorithm, parse_algorithm(challenge.digest.algorithm));
  }
}

TEST_F(DigestAuthenticatorTest, SelectPrefersSha256ForOurRealm) {
  std::vector<sip::AuthHeader> headers = {
      parse("Basic MjAxOnNlY3JldA=="),
      parse("Digest username=\"201\", realm=\"other.test\", algorithm=SHA-256, nonce=\"a\""),
      parse("Digest username=\"201\", realm=\"hardline.test\", algorithm=MD5, nonce=\"b\""),
      parse("Digest username=\"201\", realm=\"hardline.test\", algorithm=SHA-256, nonce=\"c\""),
  };
  const sip::AuthHeader* chosen = authenticator_.select(headers);
  ASSERT_NE(chosen, nullptr);
  EXPECT_EQ(chosen->digest.nonce, "c");

  headers.pop_back();
  chosen = authenticator_.select(headers);
  ASSERT_NE(chosen, nullptr);
  EXPECT_EQ(chosen->digest.nonce, "b");

  headers.pop_back();
  EXPECT_EQ(authenticator_.select(headers), nullptr);
  EXPECT_EQ(authenticator_.select({}), nullptr);
}

TEST_F(DigestAuthenticatorTest, SelectFallsBackToWhatVerifyWillRefuse) {
  // An algorithm we do not support is still ours to answer (with a challenge), but only last.
  std::vector<sip::AuthHeader> headers = {
      parse("Digest username=\"201\", realm=\"hardline.test\", algorithm=SHA-512-256, nonce=\"x\""),
  };
  const sip::AuthHeader* chosen = authenticator_.select(headers);
  ASSERT_NE(chosen, nullptr);
  EXPECT_EQ(chosen->digest.nonce, "x");
  headers.push_back(parse("Digest username=\"201\", realm=\"hardline.test\", nonce=\"y\""));
  chosen = authenticator_.select(headers);
  ASSERT_NE(chosen, nullptr);
  EXPECT_EQ(chosen->digest.nonce, "y");  // no algorithm: MD5
}

}  // namespace

// Issue 13, item 1: each account's digest policy narrows what is offered and accepted.
TEST(DigestPolicyTest, NamesAndWhatEachAdmits) {
  struct Case {
    std::string_view name;
    std::optional<DigestPolicy> policy;
    bool sha256;
    bool md5;
  };
  const Case cases[] = {
      {"any", DigestPolicy::kAny, true, true},
      {"sha-256", DigestPolicy::kSha256, true, false},
      {"md5", DigestPolicy::kMd5, false, true},
      {"SHA-256", std::nullopt, false, false},  // the policy names are exact
      {"MD5", std::nullopt, false, false},
      {"", std::nullopt, false, false},
      {"sha256", std::nullopt, false, false},
      {"any ", std::nullopt, false, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(parse_digest_policy(c.name), c.policy);
    if (!c.policy) continue;
    EXPECT_EQ(digest_policy_name(*c.policy), c.name);
    EXPECT_EQ(policy_allows(*c.policy, Algorithm::kSha256), c.sha256);
    EXPECT_EQ(policy_allows(*c.policy, Algorithm::kMd5), c.md5);
  }
}

TEST_F(DigestAuthenticatorTest, ChallengesOfferWhatThePolicyAdmitsInTheConfiguredOrder) {
  auto algorithms = [&](DigestAuthenticator& a, DigestPolicy policy) {
    std::vector<std::string> out;
    for (const std::string& value : a.challenges(phone_, false, policy)) {
      out.emplace_back(*parse(value).digest.algorithm);
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(algorithms(authenticator_, DigestPolicy::kAny), (V{"SHA-256", "MD5"}));
  EXPECT_EQ(algorithms(authenticator_, DigestPolicy::kSha256), (V{"SHA-256"}));
  EXPECT_EQ(algorithms(authenticator_, DigestPolicy::kMd5), (V{"MD5"}));
  DigestAuthenticator md5_first(
      nonces_, {.realm = std::string(kRealm), .algorithms = {Algorithm::kMd5, Algorithm::kSha256}});
  EXPECT_EQ(algorithms(md5_first, DigestPolicy::kAny), (V{"MD5", "SHA-256"}));
  // A policy that admits none of the server's algorithms gets them all (and cannot pass verify).
  DigestAuthenticator strict(nonces_,
                             {.realm = std::string(kRealm), .algorithms = {Algorithm::kSha256}});
  EXPECT_EQ(algorithms(strict, DigestPolicy::kMd5), (V{"SHA-256"}));
}

TEST_F(DigestAuthenticatorTest, AnAlgorithmThePolicyRefusesFailsAsAWrongPasswordDoes) {
  // The right password in MD5 for an account pinned to SHA-256 (a downgrade): refused, and
  // counted like a wrong password; the same for SHA-256 to an "md5" account.
  struct Case {
    DigestPolicy policy;
    std::string algorithm;
    Outcome outcome;
    Failure failure;
  };
  const Case cases[] = {
      {DigestPolicy::kAny, "SHA-256", Outcome::kAuthenticated, Failure::kNone},
      {DigestPolicy::kAny, "MD5", Outcome::kAuthenticated, Failure::kNone},
      {DigestPolicy::kSha256, "SHA-256", Outcome::kAuthenticated, Failure::kNone},
      {DigestPolicy::kSha256, "MD5", Outcome::kChallenge, Failure::kPassword},
      {DigestPolicy::kMd5, "MD5", Outcome::kAuthenticated, Failure::kNone},
      {DigestPolicy::kMd5, "SHA-256", Outcome::kChallenge, Failure::kPassword},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(digest_policy_name(c.policy)) + " answered with " + c.algorithm);
    StoredCredentials account = account_;  // both HA1 values: only the policy refuses
    account.policy = c.policy;
    Fields f = fresh_fields();
    f.algorithm = c.algorithm;
    const auto verdict = verify(f, account);
    EXPECT_EQ(verdict.outcome, c.outcome);
    EXPECT_EQ(verdict.failure, c.failure);
  }
  // Over an expired nonce, the refused algorithm is stale like any password, and counted.
  StoredCredentials pinned = account_;
  pinned.policy = DigestPolicy::kSha256;
  Fields f = fresh_fields();
  f.algorithm = "MD5";
  clock_.advance(seconds(301));
  const auto verdict = verify(f, pinned);
  EXPECT_EQ(verdict.outcome, Outcome::kStale);
  EXPECT_EQ(verdict.failure, Failure::kPassword);
}

TEST_F(DigestAuthenticatorTest, SelectWithAPolicyPutsWhatItRefusesLast) {
  std::vector<sip::AuthHeader> headers = {
      parse("Digest username=\"201\", realm=\"hardline.test\", algorithm=SHA-256, nonce=\"s\""),
      parse("Digest username=\"201\", realm=\"hardline.test\", algorithm=MD5, nonce=\"m\""),
  };
  EXPECT_EQ(authenticator_.select(headers)->digest.nonce, "s");
  EXPECT_EQ(authenticator_.select(headers, DigestPolicy::kAny)->digest.nonce, "s");
  EXPECT_EQ(authenticator_.select(headers, DigestPolicy::kSha256)->digest.nonce, "s");
  EXPECT_EQ(authenticator_.select(headers, DigestPolicy::kMd5)->digest.nonce, "m");
  headers.pop_back();
  // Nothing the policy admits: the refused one is still judged (and refused by verify).
  EXPECT_EQ(authenticator_.select(headers, DigestPolicy::kMd5)->digest.nonce, "s");
}
