#pragma once
// The client side of SIP Digest (RFC 3261 §22.2, RFC 7616 §3.4, RFC 2617 §3.2.2): Hardline
// answering a challenge from a peer it calls (a provider's trunk asking 401/407). Pure functions
// of their inputs plus a caller-supplied cnonce, so that tests reproduce the RFC examples.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/digest.h"
#include "common/result.h"
#include "sip/auth_headers.h"

namespace hardline::auth {

// What Hardline knows to answer a peer's challenge. The password is a secret: never logged,
// never put in an error.
struct ClientCredentials {
  std::string username;
  std::string password;
};

// Among a 401's WWW-Authenticate (or a 407's Proxy-Authenticate) values, the Digest challenge
// to answer: SHA-256 before MD5 (RFC 8760 §2.4), and among equals the first. nullptr when none
// is a Digest challenge with an algorithm this client can do (SHA-256 or MD5, not -sess) and a
// nonce and a realm, or when the only qop offered is one other than "auth".
const sip::AuthHeader* pick_challenge(const std::vector<sip::AuthHeader>& challenges);

// The Authorization / Proxy-Authorization value answering `challenge` for `method` and the
// Request-URI `uri` (the digest-uri). With qop "auth" offered: qop=auth, `nc` (as 8 hex digits)
// and `cnonce` are used (RFC 7616); without qop: the RFC 2069 form that RFC 2617 keeps. The
// realm, nonce, opaque and algorithm of the challenge are echoed. Fails when the challenge
// cannot be answered (see pick_challenge()) or a value would need characters a quoted-string
// cannot hold.
Result<std::string> answer_challenge(const sip::AuthHeader& challenge,
                                     const ClientCredentials& credentials, std::string_view method,
                                     std::string_view uri, std::string_view cnonce, uint32_t nc);

}  // namespace hardline::auth
