#include "sip/name_addr.h"

#include "sip/chars.h"

namespace hardline::sip {
namespace {

// display-name = *(token LWS) / quoted-string
bool valid_display_name(std::string_view s) {
  if (s.empty()) return true;
  if (s.front() == '"') return is_quoted_string(s);
  for (char c : s) {
    if (!is(c, kToken | kWhitespace)) return false;
  }
  return true;
}

Result<void> parse_params_after(NameAddr& na, std::string_view rest, size_t max_params) {
  rest = trim(rest);
  if (rest.empty()) return {};
  if (rest.front() != ';') return fail("unexpected text after URI");
  auto params = ParamList::parse(rest.substr(1), ParamSyntax::kHeader, max_params);
  if (!params) return tl::unexpected(params.error());
  na.params = *params;
  return {};
}

}  // namespace

Result<NameAddr> parse_name_addr(std::string_view text, const NameAddrLimits& limits) {
  NameAddr na;
  na.text = text = trim(text);
  if (text.empty()) return fail("empty address");

  size_t lt;
  if (text.front() == '"') {
    size_t end = quoted_string_end(text);
    if (end == std::string_view::npos) return fail("unterminated quoted-string in display name");
    na.display_name = text.substr(0, end);
    lt = text.find_first_not_of(" \t", end);
    if (lt == std::string_view::npos || text[lt] != '<')
      return fail("display name not followed by <URI>");
  } else {
    // A '<' inside a quoted header parameter of an addr-spec opens nothing:
    // sip:a@b;+sip.instance="<urn:uuid:...>" (RFC 5626) has no display name.
    lt = find_unquoted(text, '<');
    if (lt != std::string_view::npos) na.display_name = trim(text.substr(0, lt));
  }
  if (!valid_display_name(na.display_name)) return fail("bad display name");

  if (lt != std::string_view::npos) {
    size_t gt = text.find('>', lt);
    if (gt == std::string_view::npos) return fail("unclosed '<'");
    std::string_view inner = text.substr(lt + 1, gt - lt - 1);
    if (inner.find_first_of(" \t\r\n") != std::string_view::npos) {
      return fail("whitespace inside <URI>");
    }
    auto uri = parse_uri(inner, limits.uri);
    if (!uri) return tl::unexpected(uri.error());
    na.uri = *uri;
    na.bracketed = true;
    auto params = parse_params_after(na, text.substr(gt + 1), limits.max_params);
    if (!params) return tl::unexpected(params.error());
    return na;
  }

  // addr-spec: the URI ends at the first ';', which starts the header parameters; a URI with
  // its own parameters, headers or commas must be written in <...>.
  size_t semi = text.find(';');
  std::string_view uri_text = trim(text.substr(0, semi));
  if (uri_text.find_first_of(" \t\r\n") != std::string_view::npos) {
    return fail("whitespace in URI");
  }
  if (uri_text.find_first_of("?,") != std::string_view::npos) {
    return fail("URI with '?' or ',' must be enclosed in <>");
  }
  auto uri = parse_uri(uri_text, limits.uri);
  if (!uri) return tl::unexpected(uri.error());
  na.uri = *uri;
  auto params = parse_params_after(
      na, semi == std::string_view::npos ? std::string_view() : text.substr(semi),
      limits.max_params);
  if (!params) return tl::unexpected(params.error());
  return na;
}

std::string display_name_text(const NameAddr& name_addr) {
  std::string_view s = name_addr.display_name;
  if (s.empty() || s.front() != '"') return std::string(s);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '\\' && i + 2 < s.size()) ++i;
    out.push_back(s[i]);
  }
  return out;
}

bool parse_qvalue(std::string_view text, uint16_t& thousandths) {
  if (text.empty() || (text[0] != '0' && text[0] != '1')) return false;
  uint16_t value = static_cast<uint16_t>((text[0] - '0') * 1000);
  if (text.size() > 1) {
    if (text[1] != '.' || text.size() > 5) return false;
    uint16_t scale = 100;
    for (size_t i = 2; i < text.size(); ++i, scale /= 10) {
      if (!is(text[i], kDigit)) return false;
      value = static_cast<uint16_t>(value + (text[i] - '0') * scale);
    }
  }
  if (value > 1000) return false;
  thousandths = value;
  return true;
}

Result<Contact> parse_contact(std::string_view text, const NameAddrLimits& limits) {
  auto na = parse_name_addr(text, limits);
  if (!na) return tl::unexpected(na.error());
  Contact contact{*na, std::nullopt, std::nullopt};
  // One walk over the parameters for both; the first of each counts, as find() would.
  for (const Param& p : contact.address.params) {
    if (!contact.expires && iequals(p.name, "expires")) {
      uint64_t v = 0;
      if (!parse_uint(p.value, UINT32_MAX, v)) return fail("bad expires parameter");
      contact.expires = static_cast<uint32_t>(v);
    } else if (!contact.q && iequals(p.name, "q")) {
      uint16_t v = 0;
      if (!parse_qvalue(p.value, v)) return fail("bad q parameter");
      contact.q = v;
    }
  }
  return contact;
}

}  // namespace hardline::sip
