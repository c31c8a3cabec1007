#pragma once
// Authorization / Proxy-Authorization (credentials) and WWW-Authenticate / Proxy-Authenticate
// (challenges): RFC 3261 §22, RFC 7616 (Digest with SHA-256), RFC 8760 (SIP's use of it).
// These headers are never split on commas: the commas separate their parameters.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace hardline::sip {

// Parameters as received, each present or not. A quoted value is stored without its quotes,
// quoted-pairs still in it: use unquote() for the value the digest computation needs.
struct DigestParams {
  using Value = std::optional<std::string_view>;
  Value username, realm, nonce, uri, response, algorithm, cnonce, opaque, qop, nc;
  Value domain, stale, userhash;
};

struct AuthHeader {
  std::string_view text;    // the whole value
  std::string_view scheme;  // "Digest" (any case) or another scheme, as received
  std::string_view params;  // everything after the scheme
  bool is_digest = false;
  DigestParams digest;  // filled when is_digest

  // Looks a parameter up by name (case-insensitive) in `params`; quotes stripped.
  std::optional<std::string_view> find(std::string_view name) const;
};

// Parses a credentials or challenge value. Digest parameters must be name=token or
// name="quoted"; a known Digest parameter given twice, or an nc that is not 8 hex digits, fails.
// Another scheme is accepted when its scheme is a token (its parameters are the server's
// concern: RFC 4475 §3.3.7 expects a new challenge, not a 400).
Result<AuthHeader> parse_auth_header(std::string_view value, size_t max_params = 32);

// Removes the quoted-pairs of a quoted-string's inside ("a\"b" becomes a"b).
std::string unquote(std::string_view inner);

}  // namespace hardline::sip
