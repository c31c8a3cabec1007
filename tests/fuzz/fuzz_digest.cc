// Fuzz target: what a REGISTER's Authorization header reaches after the parser. The bytes are
// split into a nonce and an Authorization value; the nonce service decodes and checks the
// nonce (untrusted base64url), and the authenticator verifies the credentials against a real
// account, with the nonce substituted in. Invariants besides the sanitizers: nothing made up by
// the fuzzer authenticates, and a replayed answer is never accepted twice.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/digest.h"
#include "auth/digest_authenticator.h"
#include "auth/nonce_service.h"
#include "common/assert.h"
#include "common/clock.h"
#include "sip/auth_headers.h"

using namespace hardline;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ManualClock clock;
  static auth::NonceService nonces(clock);
  static auth::DigestAuthenticator authenticator(nonces, auth::DigestSettings{"hardline.test"});
  static const auth::StoredCredentials credentials =
      auth::make_credentials("201", "hardline.test", "fuzz-password-not-guessable-8c1f");
  static const IpAddress source = *parse_ip_address("192.0.2.1");

  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const size_t split = bytes.find('\n');
  const std::string_view nonce = split == std::string_view::npos ? bytes : bytes.substr(0, split);
  const std::string_view header =
      split == std::string_view::npos ? std::string_view{} : bytes.substr(split + 1);

  // A made-up nonce is never valid, nor stale (either would need the HMAC guessed; a stale
  // answer to a made-up nonce was the password oracle of issue 12's first finding).
  const auto check = nonces.check_and_consume(nonce, source, 1);
  HL_CHECK(check == auth::NonceService::Check::kInvalid);

  auto parsed = sip::parse_auth_header(header);
  if (!parsed || !parsed->is_digest) return 0;
  // Give it a real nonce half the time, so that verify gets past the nonce check.
  std::string with_nonce;
  if (size % 2 == 0) {
    const std::string real = nonces.issue(source);
    with_nonce = std::string(header) + ", nonce=\"" + real + "\"";
    auto again = sip::parse_auth_header(with_nonce);
    if (!again) return 0;
    parsed = std::move(again);
  }
  for (const std::optional<auth::StoredCredentials>& stored :
       {std::optional<auth::StoredCredentials>(credentials),
        std::optional<auth::StoredCredentials>()}) {
    const auto verdict =
        authenticator.verify(*parsed, "REGISTER", "sip:hardline.test", stored, source);
    HL_CHECK(verdict.outcome != auth::DigestAuthenticator::Verdict::Outcome::kAuthenticated);
  }
  (void)authenticator.challenges(source, size % 3 == 0);
  clock.advance(Millis(size % 1000));
  return 0;
}
