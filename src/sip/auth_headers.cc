#include "sip/auth_headers.h"

#include "sip/chars.h"
#include "sip/header_list.h"
#include "sip/params.h"

namespace hardline::sip {
namespace {

struct AuthParam {
  std::string_view name;
  std::string_view value;  // unquoted
};

Result<AuthParam> split_auth_param(std::string_view element) {
  size_t eq = element.find('=');
  if (eq == std::string_view::npos) return fail("auth parameter without '='");
  AuthParam p{trim(element.substr(0, eq)), trim(element.substr(eq + 1))};
  if (!is_token(p.name)) return fail("bad auth parameter name");
  if (!p.value.empty() && p.value.front() == '"') {
    if (!is_quoted_string(p.value)) return fail("bad quoted auth parameter");
    p.value = p.value.substr(1, p.value.size() - 2);
  } else if (!is_token(p.value)) {
    return fail("bad auth parameter value");
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

  auto walked = for_each_element(h.params, max_params, [&h](std::string_view element) -> Result<void> {
    auto p = split_auth_param(element);
    if (!p) return tl::unexpected(p.error());
    if (DigestParams::Value* field = digest_field(h.digest, p->name)) {
      if (field->has_value()) return fail("Digest parameter repeated");
      *field = p->value;
    }
    return {};
  });
  if (!walked) return tl::unexpected(walked.error());
  const auto& nc = h.digest.nc;
  if (nc && (nc->size() != 8 || !all_of(*nc, kHex))) return fail("bad nc");
  return h;
}

std::optional<std::string_view> AuthHeader::find(std::string_view name) const {
  ListSplitter splitter(params, 64);
  std::string_view element;
  while (true) {
    auto more = splitter.next(element);
    if (!more || !*more) return std::nullopt;
    auto p = split_auth_param(element);
    if (p && iequals(p->name, name)) return p->value;
  }
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
