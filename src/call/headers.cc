#include "call/headers.h"

#include <array>

#include "call/router.h"
#include "common/display_name.h"
#include "sip/chars.h"

namespace hardline::call {
namespace {

// Extension headers on the allow-list (known ones are matched by id). Kept to what describes the
// body and what the peer can accept: nothing a caller writes for the callee to read or obey.
constexpr std::array<std::string_view, 4> kForwardedOthers = {
    "Content-Disposition",
    "Content-Language",
    "Accept-Encoding",
    "Accept-Language",
};

int failure_rank(uint16_t status) {
  if (status >= 600) return 0;
  if (status == 486) return 1;
  if (status >= 400 && status < 500 && status != 408) return 2;
  if (status >= 500) return 3;
  return 4;  // 408, and anything odd
}

}  // namespace

bool is_forwarded_header(const sip::Header& header) {
  switch (header.id) {
    case sip::HeaderId::kContentType:
    case sip::HeaderId::kContentEncoding:
    case sip::HeaderId::kAccept:
      return true;
    case sip::HeaderId::kOther:
      for (std::string_view name : kForwardedOthers) {
        if (sip::iequals(header.name, name)) return true;
      }
      return false;
    default:
      return false;
  }
}

void append_forwarded_headers(const sip::Message& message, std::string& out) {
  for (const sip::Header& header : message.headers) {
    if (!is_forwarded_header(header)) continue;
    const std::string_view name =
        header.id == sip::HeaderId::kOther ? header.name : sip::canonical_name(header.id);
    out.append(name).append(": ").append(header.value).append("\r\n");
  }
}

std::string rewrite_sdp_for_leg(std::string_view body, std::string_view /*content_type*/,
                                Side /*to*/, uint64_t /*call*/) {
  return std::string(body);
}

std::string quote_display_name(std::string_view name) {
  // Every name a phone shows passes through the one sanitizer (RT-5, RT-6), whatever its source.
  const std::string clean = sanitize_display_name(name);
  if (clean.empty()) return {};
  std::string out = "\"";
  for (char c : clean) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

bool is_plain_number(std::string_view user) {
  if (!user.empty() && user.front() == '+') user.remove_prefix(1);
  if (user.empty() || user.size() > 32) return false;
  for (char c : user) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'D'))) return false;
  }
  return true;
}

std::string caller_identity(std::optional<std::string_view> account, std::string_view display_name,
                            const sip::NameAddr& from, std::string_view domain) {
  std::string out;
  if (account) {
    const std::string quoted = quote_display_name(display_name);
    if (!quoted.empty()) out.append(quoted).append(" ");
    out.append("<sip:").append(*account).append("@").append(domain).append(">");
    return out;
  }
  const std::string user = from.uri.is_sip() ? sip::unescape(from.uri.user) : std::string();
  if (is_plain_number(user)) return "<sip:" + user + "@" + std::string(domain) + ">";
  return "\"Anonymous\" <sip:anonymous@anonymous.invalid>";
}

std::string shown_identity(const ShownCaller& shown, std::string_view domain) {
  if (shown.anonymous || shown.number.empty()) {
    return "\"Anonymous\" <sip:anonymous@anonymous.invalid>";
  }
  std::string out;
  const std::string quoted = quote_display_name(shown.display_name);
  if (!quoted.empty()) out.append(quoted).append(" ");
  out.append("<sip:").append(escape_user(shown.number)).append("@").append(domain).append(">");
  return out;
}

std::string escape_user(std::string_view user) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  static constexpr std::string_view kMarks = "-_.!~*'()&=+$,;?/";
  std::string out;
  out.reserve(user.size());
  for (const char c : user) {
    const auto byte = static_cast<unsigned char>(c);
    const bool alnum = (byte >= '0' && byte <= '9') || (byte >= 'a' && byte <= 'z') ||
                       (byte >= 'A' && byte <= 'Z');
    if (alnum || kMarks.find(c) != std::string_view::npos) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  return out;
}

uint32_t hop_count(const sip::Message& request) {
  for (const sip::Header& header : request.headers) {
    if (header.id != sip::HeaderId::kOther || !sip::iequals(header.name, kHopHeader)) continue;
    uint64_t value = 0;
    if (sip::parse_uint(sip::trim(header.value), 999, value)) return static_cast<uint32_t>(value);
    return 0;
  }
  return 0;
}

uint16_t map_failure(uint16_t status) {
  switch (status) {
    case 403:
    case 404:
    case 408:
    case 410:
    case 480:
    case 482:  // a loop seen further on: the caller learns it was a loop, and nothing else
    case 483:
    case 484:
    case 486:
    case 487:
    case 488:
      return status;
    default:
      break;
  }
  if (status >= 600 && status <= 699) return status;
  if (status >= 500) return 502;
  return 480;
}

bool better_failure(uint16_t candidate, uint16_t current) {
  if (current == 0) return true;
  return failure_rank(candidate) < failure_rank(current);
}

}  // namespace hardline::call
