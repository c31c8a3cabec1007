#pragma once
// The server side of SIP Digest (RFC 3261 §22, RFC 7616, RFC 8760): the challenges to send, the
// credentials to pick among a request's Authorization headers, and the check of one of them.
// Answers never tell an unknown user from a wrong password, in outcome or in work done.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/digest.h"
#include "auth/nonce_service.h"
#include "common/endpoint.h"
#include "sip/auth_headers.h"

namespace hardline::auth {

struct DigestSettings {
  std::string realm;  // as sent in challenges and required in credentials
  // Offered in this order (RFC 8760 §2.4: the preferred first) and the only ones accepted.
  // Not empty. MD5 is there for the many phones that cannot do SHA-256; MD5 first, or MD5
  // alone, for clients that read only the first challenge (SIPp 3.6, sipsak) or give up on any
  // they cannot do (baresip 1.0).
  std::vector<Algorithm> algorithms{Algorithm::kSha256, Algorithm::kMd5};
};

class DigestAuthenticator {
 public:
  using Settings = DigestSettings;

  struct Verdict {
    enum class Outcome : uint8_t {
      kAuthenticated,  // the response is right and the nonce fresh and unused: let it through
      kChallenge,      // anything else: answer 401/407 with challenges(source, false)
      kStale,          // a nonce of ours for this source, past its lifetime, whatever the
                       // password: challenges(source, true)
    };
    // Which failure this was, for the guard. The answer (Outcome) depends on the password only
    // when the nonce is live and was issued to this source; the count never leaks into it.
    enum class Failure : uint8_t {
      kNone,      // authenticated, a right password over a stale nonce, or malformed
                  // credentials (nothing was guessed)
      kForged,    // a nonce this server did not issue to this source (made up, tampered,
                  // another address's, a retired key's): the password was never looked at.
                  // Counts against the source and the account, but a forged UDP source
                  // address can cause it, so it must never ban a protected source.
      kPassword,  // a wrong password (or unknown user, or a refused account) over a nonce of
                  // ours for this source, live or stale, or a replay: counts against both.
    };
    Outcome outcome = Outcome::kChallenge;
    Failure failure = Failure::kNone;
    Algorithm algorithm = Algorithm::kSha256;  // the credentials' algorithm, when it was known
  };

  // The nonce service must outlive the authenticator; it may be shared by several.
  DigestAuthenticator(NonceService& nonces, Settings settings);

  // WWW-Authenticate / Proxy-Authenticate values, most preferred first (RFC 8760 §2.4): the
  // allowed algorithms (SHA-256, then MD5 by default) that `policy` admits, or all allowed ones
  // when it admits none of them (the account cannot authenticate then: verify() refuses). Each
  // is `Digest realm="...", nonce="...", algorithm=..., qop="auth"` with `, stale=true` when
  // asked; all share one fresh nonce bound to `source`.
  std::vector<std::string> challenges(const IpAddress& source, bool stale,
                                      DigestPolicy policy = DigestPolicy::kAny);

  // Checks one Digest credential for `method` and the Request-URI as received. `credentials` are
  // the store's for the account the header names (sip::unquote(*digest.username)), nullopt for an
  // unknown user: the same work is then done against a random dummy HA1, so the answer and its
  // timing match a wrong password. Requires qop=auth, nc (8 hex, above 0), cnonce, realm equal
  // to ours, an allowed algorithm, uri equal to `request_uri`. An algorithm the account's policy
  // does not admit (MD5 for an account pinned to SHA-256: a downgrade) fails as a wrong password
  // does, after the nonce is judged.
  //
  // The nonce is judged first, the password only after: a nonce not issued to `source` is
  // kChallenge/kForged without any hashing; a stale one is kStale whether the password is right
  // or not (a wrong one is still counted: kPassword); only over a live nonce does a right
  // password (with `allowed`, the guard's may_authenticate()) make kAuthenticated, consuming the
  // nonce-count. `allowed` false answers exactly as a wrong password does.
  Verdict verify(const sip::AuthHeader& authorization, std::string_view method,
                 std::string_view request_uri, const std::optional<StoredCredentials>& credentials,
                 const IpAddress& source, bool allowed = true);

  // Among a request's Authorization (or Proxy-Authorization) values, the Digest one for our
  // realm: SHA-256 first, then an allowed MD5, then any other; nullptr when there is none. With
  // `policy`, credentials in an algorithm it does not admit come after every other (a client
  // that answers several challenges is judged by the one its account may use).
  const sip::AuthHeader* select(const std::vector<sip::AuthHeader>& authorizations,
                                DigestPolicy policy = DigestPolicy::kAny) const;

  const Settings& settings() const { return settings_; }

 private:
  NonceService& nonces_;
  const Settings settings_;
  std::string quoted_realm_;  // the realm as a quoted-string, quotes included
  // Per-instance random HA1 values for unknown users: nobody can compute a response for them.
  std::string dummy_ha1_md5_;
  std::string dummy_ha1_sha256_;
};

}  // namespace hardline::auth
