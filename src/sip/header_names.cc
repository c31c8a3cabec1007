#include "sip/header_names.h"

#include <array>

#include "sip/chars.h"

namespace hardline::sip {
namespace {

struct NameEntry {
  std::string_view name;
  HeaderId id;
};

// Lower-case long names and compact forms. The table is small enough that a length check
// followed by a comparison beats hashing.
constexpr std::array kNames = {
    NameEntry{"accept", HeaderId::kAccept},
    NameEntry{"accept-contact", HeaderId::kAcceptContact},
    NameEntry{"a", HeaderId::kAcceptContact},
    NameEntry{"allow", HeaderId::kAllow},
    NameEntry{"allow-events", HeaderId::kAllowEvents},
    NameEntry{"u", HeaderId::kAllowEvents},
    NameEntry{"authorization", HeaderId::kAuthorization},
    NameEntry{"call-id", HeaderId::kCallId},
    NameEntry{"i", HeaderId::kCallId},
    NameEntry{"contact", HeaderId::kContact},
    NameEntry{"m", HeaderId::kContact},
    NameEntry{"content-encoding", HeaderId::kContentEncoding},
    NameEntry{"e", HeaderId::kContentEncoding},
    NameEntry{"content-length", HeaderId::kContentLength},
    NameEntry{"l", HeaderId::kContentLength},
    NameEntry{"content-type", HeaderId::kContentType},
    NameEntry{"c", HeaderId::kContentType},
    NameEntry{"cseq", HeaderId::kCSeq},
    NameEntry{"date", HeaderId::kDate},
    NameEntry{"event", HeaderId::kEvent},
    NameEntry{"o", HeaderId::kEvent},
    NameEntry{"expires", HeaderId::kExpires},
    NameEntry{"from", HeaderId::kFrom},
    NameEntry{"f", HeaderId::kFrom},
    NameEntry{"identity", HeaderId::kIdentity},
    NameEntry{"y", HeaderId::kIdentity},
    NameEntry{"max-forwards", HeaderId::kMaxForwards},
    NameEntry{"min-expires", HeaderId::kMinExpires},
    NameEntry{"proxy-authenticate", HeaderId::kProxyAuthenticate},
    NameEntry{"proxy-authorization", HeaderId::kProxyAuthorization},
    NameEntry{"proxy-require", HeaderId::kProxyRequire},
    NameEntry{"record-route", HeaderId::kRecordRoute},
    NameEntry{"refer-to", HeaderId::kReferTo},
    NameEntry{"r", HeaderId::kReferTo},
    NameEntry{"referred-by", HeaderId::kReferredBy},
    NameEntry{"b", HeaderId::kReferredBy},
    NameEntry{"require", HeaderId::kRequire},
    NameEntry{"retry-after", HeaderId::kRetryAfter},
    NameEntry{"route", HeaderId::kRoute},
    NameEntry{"server", HeaderId::kServer},
    NameEntry{"session-expires", HeaderId::kSessionExpires},
    NameEntry{"x", HeaderId::kSessionExpires},
    NameEntry{"subject", HeaderId::kSubject},
    NameEntry{"s", HeaderId::kSubject},
    NameEntry{"supported", HeaderId::kSupported},
    NameEntry{"k", HeaderId::kSupported},
    NameEntry{"to", HeaderId::kTo},
    NameEntry{"t", HeaderId::kTo},
    NameEntry{"unsupported", HeaderId::kUnsupported},
    NameEntry{"user-agent", HeaderId::kUserAgent},
    NameEntry{"via", HeaderId::kVia},
    NameEntry{"v", HeaderId::kVia},
    NameEntry{"warning", HeaderId::kWarning},
    NameEntry{"www-authenticate", HeaderId::kWwwAuthenticate},
};

constexpr std::array<std::string_view, static_cast<size_t>(HeaderId::kCount)> kCanonical = {
    "",                   "Accept",         "Accept-Contact",      "Allow",
    "Allow-Events",       "Authorization",  "Call-ID",             "Contact",
    "Content-Encoding",   "Content-Length", "Content-Type",        "CSeq",
    "Date",               "Event",          "Expires",             "From",
    "Identity",           "Max-Forwards",   "Min-Expires",         "Proxy-Authenticate",
    "Proxy-Authorization", "Proxy-Require", "Record-Route",        "Refer-To",
    "Referred-By",        "Require",        "Retry-After",         "Route",
    "Server",             "Session-Expires", "Subject",            "Supported",
    "To",                 "Unsupported",    "User-Agent",          "Via",
    "Warning",            "WWW-Authenticate",
};

}  // namespace

HeaderId lookup_header(std::string_view name) {
  if (name.size() > 19) return HeaderId::kOther;  // longer than "proxy-authorization"
  for (const NameEntry& e : kNames) {
    if (e.name.size() == name.size() && iequals(e.name, name)) return e.id;
  }
  return HeaderId::kOther;
}

std::string_view canonical_name(HeaderId id) { return kCanonical[static_cast<size_t>(id)]; }

}  // namespace hardline::sip
