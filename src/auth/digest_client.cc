#include "auth/digest_client.h"

#include <cstdio>

#include "sip/chars.h"

namespace hardline::auth {
namespace {

// The qop list of a challenge ("auth", "auth,auth-int"): whether "auth" is in it.
bool offers_qop_auth(std::string_view qop) {
  while (!qop.empty()) {
    const size_t comma = qop.find(',');
    if (sip::iequals(sip::trim(qop.substr(0, comma)), "auth")) return true;
    if (comma == std::string_view::npos) break;
    qop.remove_prefix(comma + 1);
  }
  return false;
}

// Whether the challenge is one this client can answer, and with which algorithm.
std::optional<Algorithm> answerable(const sip::AuthHeader& challenge) {
  if (!challenge.is_digest) return std::nullopt;
  const sip::DigestParams& d = challenge.digest;
  if (!d.nonce || !d.realm) return std::nullopt;
  if (d.qop && !offers_qop_auth(*d.qop)) return std::nullopt;  // auth-int only
  return parse_algorithm(d.algorithm);
}

// Text that may go inside a quoted-string as it is: no '"', '\\' or control characters.
bool quotable(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\' || byte < 0x20 || byte == 0x7f) return false;
  }
  return true;
}

}  // namespace

const sip::AuthHeader* pick_challenge(const std::vector<sip::AuthHeader>& challenges) {
  const sip::AuthHeader* best = nullptr;
  for (const sip::AuthHeader& challenge : challenges) {
    const std::optional<Algorithm> algorithm = answerable(challenge);
    if (!algorithm) continue;
    if (*algorithm == Algorithm::kSha256) return &challenge;
    if (best == nullptr) best = &challenge;
  }
  return best;
}

Result<std::string> answer_challenge(const sip::AuthHeader& challenge,
                                     const ClientCredentials& credentials, std::string_view method,
                                     std::string_view uri, std::string_view cnonce, uint32_t nc) {
  const std::optional<Algorithm> algorithm = answerable(challenge);
  if (!algorithm) return fail("the challenge is not one Hardline can answer");
  const sip::DigestParams& d = challenge.digest;
  // The values as the server meant them: its quoted-pairs resolved.
  const std::string realm = sip::unquote(*d.realm);
  const std::string nonce = sip::unquote(*d.nonce);
  if (!quotable(credentials.username) || !quotable(uri) || !quotable(cnonce) || !quotable(realm) ||
      !quotable(nonce)) {
    return fail("a digest value cannot be sent as a quoted-string");
  }
  const bool qop = d.qop.has_value();
  char nc_text[9];
  std::snprintf(nc_text, sizeof nc_text, "%08x", static_cast<unsigned>(nc));

  const HexDigest ha1 =
      hash_joined(*algorithm, {credentials.username, realm, credentials.password});
  const HexDigest ha2 = hash_joined(*algorithm, {method, uri});
  if (ha1.empty() || ha2.empty()) return fail("the digest algorithm is not available");
  const HexDigest response =
      qop ? hash_joined(*algorithm, {ha1.view(), nonce, nc_text, cnonce, "auth", ha2.view()})
          : hash_joined(*algorithm, {ha1.view(), nonce, ha2.view()});
  if (response.empty()) return fail("the digest algorithm is not available");

  std::string out;
  out.reserve(256 + realm.size() + nonce.size() + uri.size());
  out.append("Digest username=\"").append(credentials.username).append("\"");
  out.append(", realm=\"").append(realm).append("\"");
  out.append(", nonce=\"").append(nonce).append("\"");
  out.append(", uri=\"").append(uri).append("\"");
  out.append(", response=\"").append(response.view()).append("\"");
  out.append(", algorithm=").append(algorithm_name(*algorithm));
  if (qop) {
    out.append(", cnonce=\"").append(cnonce).append("\"");
    out.append(", qop=auth, nc=").append(nc_text);
  }
  if (d.opaque) out.append(", opaque=\"").append(*d.opaque).append("\"");
  return out;
}

}  // namespace hardline::auth
