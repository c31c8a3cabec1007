#include "sip/uri.h"

#include <arpa/inet.h>

#include <array>

#include "sip/chars.h"

namespace hardline::sip {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return ascii_lower(c) - 'a' + 10;
}

bool is_hostname(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  if (s.back() == '.') s.remove_suffix(1);
  if (s.empty()) return false;
  size_t label_start = 0;
  std::string_view top;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      std::string_view label = s.substr(label_start, i - label_start);
      if (label.empty() || label.front() == '-' || label.back() == '-') return false;
      top = label;
      label_start = i + 1;
    } else if (!is(s[i], kAlpha | kDigit) && s[i] != '-') {
      return false;
    }
  }
  // toplabel = ALPHA / ALPHA *( alphanum / "-" ) alphanum: a name never ends in a number,
  // which keeps "256.1.1.1" from passing as a hostname.
  return is(top.front(), kAlpha);
}

// port = 1*DIGIT, at most 65535.
bool parse_port(std::string_view s, uint16_t& port) {
  uint64_t v = 0;
  if (!parse_uint(s, 65535, v)) return false;
  port = static_cast<uint16_t>(v);
  return true;
}

// hname "=" hvalue *( "&" hname "=" hvalue )
bool valid_uri_headers(std::string_view s) {
  if (s.empty()) return false;
  while (true) {
    size_t amp = s.find('&');
    std::string_view item = s.substr(0, amp);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) return false;
    std::string_view name = item.substr(0, eq);
    std::string_view value = item.substr(eq + 1);
    if (!all_escaped_of(name, kUnreserved | kHeaderExtra)) return false;
    if (!all_escaped_of(value, kUnreserved | kHeaderExtra)) return false;
    if (amp == std::string_view::npos) return true;
    s.remove_prefix(amp + 1);
  }
}

Result<Uri> parse_sip_uri(Uri uri, std::string_view rest, const UriLimits& limits) {
  // userinfo ends at the first '@': no component after it may hold one unescaped.
  size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    uri.has_userinfo = true;
    size_t colon = userinfo.find(':');
    uri.user = userinfo.substr(0, colon);
    if (colon != std::string_view::npos) {
      uri.password = userinfo.substr(colon + 1);
      uri.has_password = true;
      if (!all_escaped_of(uri.password, kUnreserved | kPasswordExtra)) {
        return fail("bad character in URI password");
      }
    }
    if (uri.user.empty()) return fail("empty user in URI");
    if (!all_escaped_of(uri.user, kUnreserved | kUserExtra))
      return fail("bad character in URI user");
    rest.remove_prefix(at + 1);
  }

  size_t q = rest.find('?');
  if (q != std::string_view::npos) {
    uri.headers = rest.substr(q + 1);
    if (!valid_uri_headers(uri.headers)) return fail("bad URI headers");
    rest = rest.substr(0, q);
  }
  size_t semi = rest.find(';');
  if (semi != std::string_view::npos) {
    auto params = ParamList::parse(rest.substr(semi + 1), ParamSyntax::kUri, limits.max_params);
    if (!params) return tl::unexpected(params.error());
    uri.params = *params;
    rest = rest.substr(0, semi);
  }

  // hostport
  std::string_view host_text = rest;
  size_t port_colon;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return fail("unterminated IPv6 reference");
    host_text = rest.substr(0, close + 1);
    port_colon = close + 1 < rest.size() ? close + 1 : std::string_view::npos;
    if (port_colon != std::string_view::npos && rest[port_colon] != ':') {
      return fail("bad character after IPv6 reference");
    }
  } else {
    port_colon = rest.find(':');
    host_text = rest.substr(0, port_colon);
  }
  if (!parse_host(host_text, uri.host, uri.host_kind)) return fail("bad host in URI");
  if (port_colon != std::string_view::npos) {
    if (!parse_port(rest.substr(port_colon + 1), uri.port)) return fail("bad port in URI");
    uri.has_port = true;
  }
  return uri;
}

// global-number-digits = "+" *phonedigit DIGIT *phonedigit
// local-number-digits  = *phonedigit-hex ( HEXDIG / "*" / "#" ) *phonedigit-hex
// Visual separators alone ("+-", "()") are no number (RFC 3966 §3).
bool is_tel_number(std::string_view number) {
  bool global = !number.empty() && number.front() == '+';
  if (global) number.remove_prefix(1);
  bool has_digit = false;
  for (char c : number) {
    if (global ? is(c, kDigit) : (is(c, kHex) || c == '*' || c == '#')) {
      has_digit = true;
    } else if (c != '-' && c != '.' && c != '(' && c != ')') {
      return false;
    }
  }
  return has_digit;
}

// telephone-subscriber = global-number / local-number, then ;par (RFC 3966 §3).
Result<Uri> parse_tel_uri(Uri uri, std::string_view rest, const UriLimits& limits) {
  size_t semi = rest.find(';');
  uri.number = rest.substr(0, semi);
  if (!is_tel_number(uri.number)) return fail("bad tel number");
  if (semi != std::string_view::npos) {
    auto params = ParamList::parse(rest.substr(semi + 1), ParamSyntax::kUri, limits.max_params);
    if (!params) return tl::unexpected(params.error());
    uri.params = *params;
  }
  return uri;
}

}  // namespace

bool is_ipv4_address(std::string_view s) {
  int parts = 0;
  while (true) {
    size_t dot = s.find('.');
    std::string_view part = s.substr(0, dot);
    uint64_t v = 0;
    if (part.empty() || part.size() > 3 || !parse_uint(part, 255, v)) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    s.remove_prefix(dot + 1);
  }
  return parts == 4;
}

bool is_ipv6_address(std::string_view s) {
  if (s.empty() || s.size() > 46) return false;
  std::array<char, 47> buf{};
  // RFC 5118 §4.10: RFC 3261's ABNF (taken from RFC 2373) also derives three colons before an
  // embedded IPv4 address ("2001:db8:::192.0.2.1"), and implementations must tolerate it. It
  // is read as "::" in that one position only; any other ":::" stays invalid.
  const size_t triple = s.find(":::");
  if (triple != std::string_view::npos) {
    const std::string_view ipv4 = s.substr(triple + 3);
    if (!is_ipv4_address(ipv4)) return false;
    s.substr(0, triple + 2).copy(buf.data(), triple + 2);
    ipv4.copy(buf.data() + triple + 2, ipv4.size());
  } else {
    if (s.size() > 45) return false;
    s.copy(buf.data(), s.size());
  }
  unsigned char out[16];
  return inet_pton(AF_INET6, buf.data(), out) == 1;
}

std::string ipv6_without_extra_colon(std::string_view s) {
  std::string out(s);
  if (const size_t triple = out.find(":::"); triple != std::string::npos) out.erase(triple, 1);
  return out;
}

bool parse_host(std::string_view text, std::string_view& host, HostKind& kind) {
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
    std::string_view inner = text.substr(1, text.size() - 2);
    if (!is_ipv6_address(inner)) return false;
    host = inner;
    kind = HostKind::kIpv6;
    return true;
  }
  if (!text.empty() && is(text.back(), kDigit) && is_ipv4_address(text)) {
    host = text;
    kind = HostKind::kIpv4;
    return true;
  }
  if (is_hostname(text)) {
    host = text;
    kind = HostKind::kName;
    return true;
  }
  return false;
}

Result<Uri> parse_uri(std::string_view text, const UriLimits& limits) {
  if (text.size() > limits.max_length) return fail("URI too long");
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return fail("URI has no scheme");
  Uri uri;
  uri.text = text;
  uri.scheme_name = text.substr(0, colon);
  if (!is(uri.scheme_name.front(), kAlpha) || !all_of(uri.scheme_name, kSchemeChar)) {
    return fail("bad URI scheme");
  }
  std::string_view rest = text.substr(colon + 1);
  if (rest.empty()) return fail("empty URI");
  if (iequals(uri.scheme_name, "sip")) {
    uri.scheme = UriScheme::kSip;
    return parse_sip_uri(uri, rest, limits);
  }
  if (iequals(uri.scheme_name, "sips")) {
    uri.scheme = UriScheme::kSips;
    return parse_sip_uri(uri, rest, limits);
  }
  if (iequals(uri.scheme_name, "tel")) {
    uri.scheme = UriScheme::kTel;
    return parse_tel_uri(uri, rest, limits);
  }
  uri.scheme = UriScheme::kOther;
  uri.opaque = rest;
  if (!all_escaped_of(rest, kUric)) return fail("bad character in URI");
  return uri;
}

std::string unescape(std::string_view escaped) {
  std::string out;
  out.reserve(escaped.size());
  for (size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] == '%' && escaped.size() - i >= 3 && is(escaped[i + 1], kHex) &&
        is(escaped[i + 2], kHex)) {
      out.push_back(static_cast<char>(hex_value(escaped[i + 1]) * 16 + hex_value(escaped[i + 2])));
      i += 2;
    } else {
      out.push_back(escaped[i]);
    }
  }
  return out;
}

}  // namespace hardline::sip
