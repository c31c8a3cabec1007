#pragma once
// SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966); any other scheme is kept as an absolute URI
// so that the server can answer 416 rather than 400. All fields are views into the parsed text.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "sip/params.h"

namespace hardline::sip {

enum class UriScheme : uint8_t { kSip, kSips, kTel, kOther };
enum class HostKind : uint8_t { kNone, kName, kIpv4, kIpv6 };

struct Uri {
  UriScheme scheme = UriScheme::kOther;
  std::string_view text;         // the whole URI as received
  std::string_view scheme_name;  // as received: "sip", "SIPS", "soap.beep"

  // sip and sips.
  bool has_userinfo = false;
  std::string_view user;      // still %-escaped; unescape() before comparing
  std::string_view password;  // still %-escaped; never log it
  bool has_password = false;
  std::string_view host;  // IPv6 without its brackets
  HostKind host_kind = HostKind::kNone;
  uint16_t port = 0;  // 0 when absent
  bool has_port = false;
  ParamList params;          // uri-parameters (sip, sips) or tel parameters
  std::string_view headers;  // after '?', validated, still escaped; empty when none

  // tel: the telephone-subscriber's number, visual separators kept.
  std::string_view number;

  // Other schemes: everything after "scheme:".
  std::string_view opaque;

  bool is_sip() const { return scheme == UriScheme::kSip || scheme == UriScheme::kSips; }
};

struct UriLimits {
  size_t max_length = 2048;
  size_t max_params = 32;
};

// Parses an absolute URI. Fails on a bad character, a bad %HH escape, a missing host, a port
// above 65535, an empty parameter, or text longer than limits.max_length.
Result<Uri> parse_uri(std::string_view text, const UriLimits& limits = {});

// Decodes %HH escapes; %00 becomes a NUL byte and nothing is truncated. Decodes once only
// ("%2541" becomes "%41"). Input must already be validated.
std::string unescape(std::string_view escaped);

// Validates a host: a hostname, an IPv4 address or an IPv6 reference ("[...]").
// On success sets kind and the host view (IPv6 without brackets).
bool parse_host(std::string_view text, std::string_view& host, HostKind& kind);

bool is_ipv4_address(std::string_view s);
// Also true for RFC 5118 §4.10's three colons before an embedded IPv4 address
// ("2001:db8:::192.0.2.1", meaning 2001:db8::192.0.2.1), which RFC 3261's ABNF allows. Views
// keep the text as received: ipv6_without_extra_colon() gives the form inet_pton() reads.
bool is_ipv6_address(std::string_view s);
std::string ipv6_without_extra_colon(std::string_view s);

}  // namespace hardline::sip
