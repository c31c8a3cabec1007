#pragma once
// The Digest computations of RFC 7616 §3.4 (RFC 8760 for SIP) with qop=auth: HA1, HA2 and the
// response, in MD5 or SHA-256. Pure functions of their inputs; thread-safe.

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace hardline::auth {

enum class Algorithm : uint8_t { kSha256, kMd5 };

std::string_view algorithm_name(Algorithm algorithm);  // "SHA-256", "MD5"

// The algorithm parameter of a challenge or credentials. Absent means MD5 (RFC 2617, RFC 3261);
// "MD5" and "SHA-256" in any case; "-sess" variants, SHA-512-256 and anything else give nullopt.
std::optional<Algorithm> parse_algorithm(std::optional<std::string_view> param);

// Length of the algorithm's digest in hex characters: 64 for SHA-256, 32 for MD5.
size_t hex_size(Algorithm algorithm);

// A digest as lowercase hex, held on the stack so that the per-request path never allocates.
// size is 0 when the hash could not be computed (an OpenSSL without MD5, as in FIPS mode).
struct HexDigest {
  std::array<char, 64> chars{};
  size_t size = 0;

  std::string_view view() const { return {chars.data(), size}; }
  bool empty() const { return size == 0; }
};

// H(parts[0] ":" parts[1] ":" ...) in lowercase hex: every Digest formula is of this shape.
HexDigest hash_joined(Algorithm algorithm, std::initializer_list<std::string_view> parts);

// HA1 = H(user ":" realm ":" password), lowercase hex; empty when the hash is unavailable.
// This is what the store keeps instead of the password.
std::string compute_ha1(Algorithm algorithm, std::string_view user, std::string_view realm,
                        std::string_view password);

// response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" H(method ":" digest_uri)), the qop=auth
// form, lowercase hex; empty when the hash is unavailable. Values are the unquoted ones.
std::string compute_response(Algorithm algorithm, std::string_view ha1, std::string_view nonce,
                             std::string_view nc, std::string_view cnonce, std::string_view qop,
                             std::string_view method, std::string_view digest_uri);

// What the store keeps for a SIP account: both HA1 values (lowercase hex), never the password.
// An empty value means the account cannot use that algorithm.
// Which algorithms an account's devices are offered and may answer with (`hardline user add
// --digest`, docs/configuration.md "Digest algorithms per account"), always within what the
// config's auth.algorithms allows.
enum class DigestPolicy : uint8_t {
  kAny,     // every allowed algorithm, in the config's order (SHA-256 first by default); the
            // first device to answer with SHA-256 pins the account to kSha256 for good
  kSha256,  // SHA-256 only: nobody can make the account fall back to MD5
  kMd5,     // MD5 only: for clients that read only the first challenge or give up at any
            // challenge they cannot answer (baresip 1.0, SIPp 3.6, sipsak 0.9.8)
};

std::string_view digest_policy_name(DigestPolicy policy);  // "any", "sha-256", "md5"
// The names above, exactly; nullopt for anything else.
std::optional<DigestPolicy> parse_digest_policy(std::string_view name);
bool policy_allows(DigestPolicy policy, Algorithm algorithm);

struct StoredCredentials {
  std::string ha1_md5;
  std::string ha1_sha256;
  DigestPolicy policy = DigestPolicy::kAny;
};

// Both HA1 values for an account, as `hardline user` stores them.
StoredCredentials make_credentials(std::string_view user, std::string_view realm,
                                   std::string_view password);

}  // namespace hardline::auth
