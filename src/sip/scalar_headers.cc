#include "sip/scalar_headers.h"

#include <array>

#include "sip/chars.h"

namespace hardline::sip {
namespace {

bool two_digits(std::string_view s, size_t pos, int max) {
  if (pos + 2 > s.size() || !is(s[pos], kDigit) || !is(s[pos + 1], kDigit)) return false;
  return (s[pos] - '0') * 10 + (s[pos + 1] - '0') <= max;
}

bool one_of(std::string_view s, std::initializer_list<std::string_view> names) {
  for (std::string_view n : names) {
    if (s == n) return true;
  }
  return false;
}

}  // namespace

Result<CSeq> parse_cseq(std::string_view value) {
  value = trim(value);
  size_t i = 0;
  while (i < value.size() && is(value[i], kDigit)) ++i;
  uint64_t number = 0;
  if (!parse_uint(value.substr(0, i), UINT32_MAX, number)) return fail("bad CSeq number");
  if (i >= value.size() || !is(value[i], kWhitespace)) return fail("bad CSeq");
  std::string_view method = trim(value.substr(i));
  if (!is_token(method)) return fail("bad CSeq method");
  return CSeq{static_cast<uint32_t>(number), method};
}

Result<uint32_t> parse_delta_seconds(std::string_view value) {
  uint64_t v = 0;
  if (!parse_uint(trim(value), UINT32_MAX, v)) return fail("bad delta-seconds");
  return static_cast<uint32_t>(v);
}

Result<uint8_t> parse_max_forwards(std::string_view value) {
  uint64_t v = 0;
  if (!parse_uint(trim(value), 255, v)) return fail("bad Max-Forwards");
  return static_cast<uint8_t>(v);
}

Result<uint32_t> parse_content_length(std::string_view value) {
  uint64_t v = 0;
  if (!parse_uint(trim(value), UINT32_MAX, v)) return fail("bad Content-Length");
  return static_cast<uint32_t>(v);
}

Result<MediaType> parse_media_type(std::string_view value) {
  value = trim(value);
  size_t semi = value.find(';');
  std::string_view type_text = trim(value.substr(0, semi));
  size_t slash = type_text.find('/');
  if (slash == std::string_view::npos) return fail("bad media type");
  MediaType mt;
  mt.type = trim(type_text.substr(0, slash));
  mt.subtype = trim(type_text.substr(slash + 1));
  if (!is_token(mt.type) || !is_token(mt.subtype)) return fail("bad media type");
  if (semi != std::string_view::npos) {
    auto params = ParamList::parse(value.substr(semi + 1), ParamSyntax::kHeader, 32);
    if (!params) return tl::unexpected(params.error());
    mt.params = *params;
  }
  return mt;
}

bool is_call_id(std::string_view value) {
  size_t at = value.find('@');
  if (at == std::string_view::npos) return all_of(value, kWord);
  return all_of(value.substr(0, at), kWord) && all_of(value.substr(at + 1), kWord);
}

bool is_sip_date(std::string_view v) {
  // "Sun, 06 Nov 1994 08:49:37 GMT": fixed width, 29 bytes.
  if (v.size() != 29) return false;
  if (!one_of(v.substr(0, 3), {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"})) return false;
  if (v.substr(3, 2) != ", " || v[7] != ' ' || v[11] != ' ' || v[16] != ' ') return false;
  if (!two_digits(v, 5, 31) || v.substr(5, 2) == "00") return false;
  if (!one_of(v.substr(8, 3), {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                               "Nov", "Dec"})) {
    return false;
  }
  if (!all_of(v.substr(12, 4), kDigit)) return false;
  if (!two_digits(v, 17, 23) || v[19] != ':' || !two_digits(v, 20, 59) || v[22] != ':' ||
      !two_digits(v, 23, 60)) {
    return false;
  }
  return v.substr(25) == " GMT";
}

Result<uint32_t> parse_retry_after(std::string_view value) {
  value = trim(value);
  size_t i = 0;
  while (i < value.size() && is(value[i], kDigit)) ++i;
  auto seconds = parse_delta_seconds(value.substr(0, i));
  if (!seconds) return fail("bad Retry-After");
  std::string_view rest = trim(value.substr(i));
  if (!rest.empty() && rest.front() == '(') {
    // comment: nesting and quoted-pairs allowed; bounded by the header's own length.
    int depth = 0;
    size_t j = 0;
    for (; j < rest.size(); ++j) {
      if (rest[j] == '\\') {
        ++j;
      } else if (rest[j] == '(') {
        ++depth;
      } else if (rest[j] == ')' && --depth == 0) {
        break;
      }
    }
    if (depth != 0) return fail("bad Retry-After comment");
    rest = trim(rest.substr(j + 1));
  }
  if (!rest.empty()) {
    if (rest.front() != ';') return fail("bad Retry-After");
    if (!ParamList::parse(rest.substr(1), ParamSyntax::kHeader, 32)) {
      return fail("bad Retry-After parameter");
    }
  }
  return *seconds;
}

bool is_warning_value(std::string_view element) {
  // warn-code SP warn-agent SP warn-text
  if (element.size() < 7 || !all_of(element.substr(0, 3), kDigit) || element[3] != ' ') {
    return false;
  }
  std::string_view rest = element.substr(4);
  size_t sp = rest.find(' ');
  if (sp == std::string_view::npos || sp == 0) return false;
  // warn-agent = hostport / pseudonym, the pseudonym a token.
  for (char c : rest.substr(0, sp)) {
    if (!is(c, kToken) && c != ':' && c != '[' && c != ']') return false;
  }
  return is_quoted_string(trim(rest.substr(sp + 1)));
}

}  // namespace hardline::sip
