#pragma once
// name-addr / addr-spec with header parameters: the shape of From, To, Contact, Route,
// Record-Route (RFC 3261 §20.10, §20.20, §20.39).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "sip/params.h"
#include "sip/uri.h"

namespace hardline::sip {

struct NameAddr {
  std::string_view text;          // the whole element as received
  std::string_view display_name;  // as received: a quoted-string with its quotes, or tokens
  bool bracketed = false;         // the URI was in <...>
  Uri uri;
  ParamList params;  // header parameters after the URI: tag, expires, q, ...

  std::optional<std::string_view> tag() const { return params.find("tag"); }
};

struct NameAddrLimits {
  UriLimits uri;
  size_t max_params = 32;
};

// Parses one element. Rejects a display name that is neither a quoted-string nor tokens,
// whitespace inside <...>, and an addr-spec (no <...>) whose URI holds '?' or ',' (RFC 3261 §20).
Result<NameAddr> parse_name_addr(std::string_view text, const NameAddrLimits& limits = {});

// The display name without quotes and with quoted-pairs resolved ("\"" becomes ").
std::string display_name_text(const NameAddr& name_addr);

// A Contact element: "*" or a name-addr with expires and q parameters checked.
struct Contact {
  NameAddr address;
  std::optional<uint32_t> expires;  // the expires parameter, 0..2^32-1
  std::optional<uint16_t> q;        // the q parameter in thousandths, 0..1000
};

Result<Contact> parse_contact(std::string_view text, const NameAddrLimits& limits = {});

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), as thousandths.
bool parse_qvalue(std::string_view text, uint16_t& thousandths);

}  // namespace hardline::sip
