#pragma once
// Header field names: case-insensitive lookup of long and compact forms (RFC 3261 §7.3.3 and the
// compact forms registered since), and the canonical spelling used when Hardline writes one.

#include <cstdint>
#include <string_view>

namespace hardline::sip {

enum class HeaderId : uint8_t {
  kOther,  // an extension header: kept and forwarded, never interpreted
  kAccept,
  kAcceptContact,  // a
  kAllow,
  kAllowEvents,  // u
  kAuthorization,
  kCallId,           // i
  kContact,          // m
  kContentEncoding,  // e
  kContentLength,    // l
  kContentType,      // c
  kCSeq,
  kDate,
  kEvent,  // o
  kExpires,
  kFrom,      // f
  kIdentity,  // y
  kMaxForwards,
  kMinExpires,
  kProxyAuthenticate,
  kProxyAuthorization,
  kProxyRequire,
  kRecordRoute,
  kReferTo,     // r
  kReferredBy,  // b
  kRequire,
  kRetryAfter,
  kRoute,
  kServer,
  kSessionExpires,  // x
  kSubject,         // s
  kSupported,       // k
  kTo,              // t
  kUnsupported,
  kUserAgent,
  kVia,  // v
  kWarning,
  kWwwAuthenticate,
  kCount,
};

// Looks up a received name (long or compact form, any case). Unknown names are kOther.
HeaderId lookup_header(std::string_view name);

// The canonical long name ("Call-ID", "WWW-Authenticate"); empty for kOther.
std::string_view canonical_name(HeaderId id);

}  // namespace hardline::sip
