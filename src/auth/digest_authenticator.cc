#include "auth/digest_authenticator.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <utility>

#include "common/assert.h"
#include "sip/chars.h"

namespace hardline::auth {
namespace {

using Outcome = DigestAuthenticator::Verdict::Outcome;
using Failure = DigestAuthenticator::Verdict::Failure;

// Compares a quoted-string's inside (quoted-pairs still in it) with plain text, without the copy
// that sip::unquote() makes.
bool unquoted_equals(std::string_view inner, std::string_view plain) {
  size_t j = 0;
  for (size_t i = 0; i < inner.size(); ++i) {
    char c = inner[i];
    if (c == '\\' && i + 1 < inner.size()) c = inner[++i];
    if (j >= plain.size() || plain[j] != c) return false;
    ++j;
  }
  return j == plain.size();
}

// nc is exactly 8 hex digits (RFC 7616 §3.4).
bool parse_nc(std::string_view text, uint32_t& nc) {
  if (text.size() != 8 || !sip::all_of(text, sip::kHex)) return false;
  nc = 0;
  for (char c : text) {
    const char l = sip::ascii_lower(c);
    nc = nc << 4 | static_cast<uint32_t>(l <= '9' ? l - '0' : l - 'a' + 10);
  }
  return true;
}

// Copies hex into out in lower case; false when it is not exactly `size` hex digits.
bool lower_hex(std::string_view hex, size_t size, std::array<char, 64>& out) {
  if (hex.size() != size || size > out.size()) return false;
  bool ok = true;
  for (size_t i = 0; i < size; ++i) {
    ok &= sip::is(hex[i], sip::kHex);
    out[i] = sip::ascii_lower(hex[i]);
  }
  return ok;
}

std::string random_hex(size_t size) {
  std::array<unsigned char, 32> bytes{};
  HL_CHECK(size <= 2 * bytes.size());
  HL_CHECK(RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) == 1);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size, '0');
  for (size_t i = 0; i < size; ++i) {
    const unsigned char b = bytes[i / 2];
    out[i] = kDigits[i % 2 == 0 ? b >> 4 : b & 0x0f];
  }
  return out;
}

// The position of an algorithm in the offered list; past its end when not offered.
int preference(Algorithm algorithm, const std::vector<Algorithm>& offered) {
  const auto it = std::find(offered.begin(), offered.end(), algorithm);
  return static_cast<int>(it - offered.begin());
}

}  // namespace

DigestAuthenticator::DigestAuthenticator(NonceService& nonces, Settings settings)
    : nonces_(nonces), settings_(std::move(settings)) {
  // Start-up: a realm that cannot be sent as a quoted-string is a configuration bug.
  HL_CHECK(!settings_.realm.empty());
  HL_CHECK(!settings_.algorithms.empty());
  quoted_realm_.reserve(settings_.realm.size() + 2);
  quoted_realm_.push_back('"');
  for (char c : settings_.realm) {
    HL_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
    if (c == '"' || c == '\\') quoted_realm_.push_back('\\');
    quoted_realm_.push_back(c);
  }
  quoted_realm_.push_back('"');
  dummy_ha1_md5_ = random_hex(hex_size(Algorithm::kMd5));
  dummy_ha1_sha256_ = random_hex(hex_size(Algorithm::kSha256));
}

std::vector<std::string> DigestAuthenticator::challenges(const IpAddress& source, bool stale,
                                                         DigestPolicy policy) {
  const std::string nonce = nonces_.issue(source);
  std::vector<std::string> out;
  out.reserve(2);
  auto add = [&](Algorithm algorithm) {
    std::string& value = out.emplace_back();
    value.reserve(96 + quoted_realm_.size() + nonce.size());
    value.append("Digest realm=").append(quoted_realm_);
    value.append(", nonce=\"").append(nonce).append("\"");
    value.append(", algorithm=").append(algorithm_name(algorithm));
    value.append(", qop=\"auth\"");
    if (stale) value.append(", stale=true");
  };
  for (Algorithm algorithm : settings_.algorithms) {
    if (policy_allows(policy, algorithm)) add(algorithm);
  }
  if (out.empty()) {
    for (Algorithm algorithm : settings_.algorithms) add(algorithm);
  }
  return out;
}

DigestAuthenticator::Verdict DigestAuthenticator::verify(
    const sip::AuthHeader& authorization, std::string_view method, std::string_view request_uri,
    const std::optional<StoredCredentials>& credentials, const IpAddress& source, bool allowed) {
  Verdict verdict;  // kChallenge
  // Checks of the credentials' shape: they depend on the request alone, never on the account.
  if (!authorization.is_digest) return verdict;
  const sip::DigestParams& d = authorization.digest;
  const std::optional<Algorithm> algorithm = parse_algorithm(d.algorithm);
  if (!algorithm) return verdict;
  verdict.algorithm = *algorithm;
  if (std::find(settings_.algorithms.begin(), settings_.algorithms.end(), *algorithm) ==
      settings_.algorithms.end()) {
    return verdict;
  }
  if (!d.username || !d.realm || !d.nonce || !d.uri || !d.response || !d.qop || !d.nc ||
      !d.cnonce) {
    return verdict;
  }
  if (!sip::iequals(*d.qop, "auth")) return verdict;
  uint32_t nc = 0;
  if (!parse_nc(*d.nc, nc) || nc == 0) return verdict;
  if (d.cnonce->empty()) return verdict;
  if (!unquoted_equals(*d.realm, settings_.realm)) return verdict;
  if (!unquoted_equals(*d.uri, request_uri)) return verdict;
  // Our nonces are base64url: one with a quoted-pair is not ours.
  const std::string_view nonce = *d.nonce;
  if (nonce.empty() || nonce.find('\\') != std::string_view::npos) return verdict;
  const size_t size = hex_size(*algorithm);
  std::array<char, 64> given{};
  if (!lower_hex(*d.response, size, given)) return verdict;
  std::string cnonce_unquoted;  // only for the rare cnonce with quoted-pairs
  std::string_view cnonce = *d.cnonce;
  if (cnonce.find('\\') != std::string_view::npos) {
    cnonce_unquoted = sip::unquote(cnonce);
    cnonce = cnonce_unquoted;
  }

  // The nonce first: unless it is ours and was sent to this source, the password is never
  // looked at, so a made-up or borrowed nonce cannot be used to test one.
  const NonceService::Check nonce_state = nonces_.inspect(nonce, source);
  if (nonce_state != NonceService::Check::kValid && nonce_state != NonceService::Check::kStale) {
    verdict.failure = Failure::kForged;
    return verdict;
  }

  // From here on an unknown user (or an account without this algorithm's HA1) costs exactly what
  // a known one does: the dummy HA1 goes through the same hashing and comparison.
  const std::string& dummy = *algorithm == Algorithm::kSha256 ? dummy_ha1_sha256_ : dummy_ha1_md5_;
  const std::string* stored = &dummy;
  if (credentials) {
    stored = *algorithm == Algorithm::kSha256 ? &credentials->ha1_sha256 : &credentials->ha1_md5;
  }
  std::array<char, 64> stored_ha1{};
  std::array<char, 64> dummy_ha1{};
  const bool stored_ok = lower_hex(*stored, size, stored_ha1);
  lower_hex(dummy, size, dummy_ha1);
  const bool known = credentials.has_value() && stored_ok;
  const std::string_view ha1((known ? stored_ha1 : dummy_ha1).data(), size);

  // The uri as sent (RFC 7616 §3.4.3), equal to the Request-URI as checked above.
  const std::string_view digest_uri =
      d.uri->find('\\') == std::string_view::npos ? *d.uri : request_uri;
  const HexDigest ha2 = hash_joined(*algorithm, {method, digest_uri});
  const HexDigest expected =
      hash_joined(*algorithm, {ha1, nonce, *d.nc, cnonce, *d.qop, ha2.view()});
  if (ha2.size != size || expected.size != size) return verdict;  // hash unavailable
  const bool match = CRYPTO_memcmp(expected.chars.data(), given.data(), size) == 0;
  // The account's policy is looked at only here, after the same work for every algorithm: a
  // downgrade attempt costs and answers what a wrong password does.
  const bool admitted = !credentials || policy_allows(credentials->policy, *algorithm);
  const bool right = match && known && allowed && admitted;

  if (nonce_state == NonceService::Check::kStale) {
    // The same answer for every password: stale=true tells the phone to retry with a new nonce,
    // never whether its guess was right. A wrong one counts like one over a live nonce.
    verdict.outcome = Outcome::kStale;
    if (!right) verdict.failure = Failure::kPassword;
    return verdict;
  }
  if (!right) {
    verdict.failure = Failure::kPassword;
    return verdict;
  }
  switch (nonces_.check_and_consume(nonce, source, nc)) {
    case NonceService::Check::kValid:
      verdict.outcome = Outcome::kAuthenticated;
      break;
    case NonceService::Check::kStale:
      // Expired since inspect(), or forgotten to make room: ours all the same.
      verdict.outcome = Outcome::kStale;
      break;
    case NonceService::Check::kReplay:
      verdict.failure = Failure::kPassword;  // a captured request sent again
      break;
    case NonceService::Check::kInvalid:
      verdict.failure = Failure::kForged;
      break;
  }
  return verdict;
}

const sip::AuthHeader* DigestAuthenticator::select(
    const std::vector<sip::AuthHeader>& authorizations, DigestPolicy policy) const {
  const sip::AuthHeader* best = nullptr;
  int best_rank = 0;
  for (const sip::AuthHeader& h : authorizations) {
    if (!h.is_digest || !h.digest.realm || !unquoted_equals(*h.digest.realm, settings_.realm)) {
      continue;
    }
    const std::optional<Algorithm> algorithm = parse_algorithm(h.digest.algorithm);
    int rank = algorithm ? preference(*algorithm, settings_.algorithms) : 3;
    if (algorithm && !policy_allows(policy, *algorithm)) rank += 4;
    if (best == nullptr || rank < best_rank) {
      best = &h;
      best_rank = rank;
    }
  }
  return best;
}

}  // namespace hardline::auth
