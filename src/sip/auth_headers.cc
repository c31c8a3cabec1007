#include "sip/auth_headers.h"

#include "sip/chars.h"
#include "sip/params.h"

namespace hardline::sip {
namespace {

struct AuthParam {
  std::string_view name;
  std::string_view value;  // without quotes
};

// Reads one auth-param (token "=" ( token / quoted-string ), LWS around '=') starting at s[i],
// in one pass, leaving i past the ',' that ends it or at the end. Fails on any other shape,
// including an empty element (",,").
Result<AuthParam> scan_auth_param(std::string_view s, size_t& i) {
  auto skip_ws = [&s, &i] {
    while (i < s.size() && is(s[i], kWhitespace)) ++i;
  };
  skip_ws();
  size_t start = i;
  while (i < s.size() && is(s[i], kToken)) ++i;
  AuthParam p{s.substr(start, i - start), {}};
  if (p.name.empty()) return fail("bad auth parameter name");
  skip_ws();
  if (i >= s.size() || s[i] != '=') return fail("auth parameter without '='");
  ++i;
  skip_ws();
  if (i < s.size() && s[i] == '"') {
    size_t end = quoted_string_end(s.substr(i));
    if (end == std::string_view::npos) return fail("bad quoted auth parameter");
    p.value = s.substr(i + 1, end - 2);
    i += end;
  } else {
    start = i;
    while (i < s.size() && is(s[i], kToken)) ++i;
    p.value = s.substr(start, i - start);
    if (p.value.empty()) return fail("bad auth parameter value");
  }
  skip_ws();
  if (i < s.size()) {
    if (s[i] != ',') return fail("bad auth parameter value");
    ++i;
    skip_ws();
    if (i == s.size()) return fail("empty element in list");
  }
  return p;
}

DigestParams::Value* digest_field(DigestParams& d, std::string_view name) {
  struct Field {
    std::string_view name;
    DigestParams::Value DigestParams::*member;
  };
  static constexpr Field kFields[] = {
      {"username", &DigestParams::username}, {"realm", &DigestParams::realm},
      {"nonce", &DigestParams::nonce},       {"uri", &DigestParams::uri},
      {"response", &DigestParams::response}, {"algorithm", &DigestParams::algorithm},
      {"cnonce", &DigestParams::cnonce},     {"opaque", &DigestParams::opaque},
      {"qop", &DigestParams::qop},           {"nc", &DigestParams::nc},
      {"domain", &DigestParams::domain},     {"stale", &DigestParams::stale},
      {"userhash", &DigestParams::userhash},
  };
  for (const Field& f : kFields) {
    if (iequals(f.name, name)) return &(d.*f.member);
  }
  return nullptr;
}

}  // namespace

Result<AuthHeader> parse_auth_header(std::string_view value, size_t max_params) {
  AuthHeader h;
  h.text = value = trim(value);
  size_t sp = value.find_first_of(" \t");
  h.scheme = value.substr(0, sp);
  if (!is_token(h.scheme)) return fail("bad auth scheme");
  h.params = sp == std::string_view::npos ? std::string_view() : trim(value.substr(sp));
  h.is_digest = iequals(h.scheme, "Digest");
  if (!h.is_digest) return h;
  if (h.params.empty()) return fail("Digest without parameters");

  size_t i = 0;
  for (size_t count = 0; i < h.params.size(); ++count) {
    if (count >= max_params) return fail("too many elements in list");
    auto p = scan_auth_param(h.params, i);
    if (!p) return tl::unexpected(p.error());
    if (DigestParams::Value* field = digest_field(h.digest, p->name)) {
      if (field->has_value()) return fail("Digest parameter repeated");
      *field = p->value;
    }
  }
  const auto& nc = h.digest.nc;
  if (nc && (nc->size() != 8 || !all_of(*nc, kHex))) return fail("bad nc");
  return h;
}

std::optional<std::string_view> AuthHeader::find(std::string_view name) const {
  size_t i = 0;
  while (i < params.size()) {
    auto p = scan_auth_param(params, i);
    if (!p) return std::nullopt;
    if (iequals(p->name, name)) return p->value;
  }
  return std::nullopt;
}

std::string unquote(std::string_view inner) {
  std::string out;
  out.reserve(inner.size());
  for (size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '\\' && i + 1 < inner.size()) ++i;
    out.push_back(inner[i]);
  }
  return out;
}

}  // namespace hardline::sip
