#include "sip/header_names.h"

#include <algorithm>
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
    "",
    "Accept",
    "Accept-Contact",
    "Allow",
    "Allow-Events",
    "Authorization",
    "Call-ID",
    "Contact",
    "Content-Encoding",
    "Content-Length",
    "Content-Type",
    "CSeq",
    "Date",
    "Event",
    "Expires",
    "From",
    "Identity",
    "Max-Forwards",
    "Min-Expires",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Proxy-Require",
    "Record-Route",
    "Refer-To",
    "Referred-By",
    "Require",
    "Retry-After",
    "Route",
    "Server",
    "Session-Expires",
    "Subject",
    "Supported",
    "To",
    "Unsupported",
    "User-Agent",
    "Via",
    "Warning",
    "WWW-Authenticate",
};

// kNames grouped by first letter, so a lookup compares against two or three names at most.
struct Buckets {
  std::array<NameEntry, kNames.size()> sorted{};
  std::array<uint8_t, 27> start{};  // names starting with 'a' + i are sorted[start[i], start[i+1])
};

constexpr Buckets build_buckets() {
  Buckets b;
  b.sorted = kNames;
  std::sort(b.sorted.begin(), b.sorted.end(),
            [](const NameEntry& x, const NameEntry& y) { return x.name[0] < y.name[0]; });
  size_t i = 0;
  for (int letter = 0; letter < 26; ++letter) {
    b.start[letter] = static_cast<uint8_t>(i);
    while (i < b.sorted.size() && b.sorted[i].name[0] == 'a' + letter) ++i;
  }
  b.start[26] = static_cast<uint8_t>(i);
  return b;
}

constexpr Buckets kBuckets = build_buckets();
static_assert(kBuckets.start[26] == kNames.size(), "every header name starts with a letter");

}  // namespace

HeaderId lookup_header(std::string_view name) {
  if (name.empty() || name.size() > 19) return HeaderId::kOther;  // > "proxy-authorization"
  char first = ascii_lower(name[0]);
  if (first < 'a' || first > 'z') return HeaderId::kOther;
  int letter = first - 'a';
  for (size_t i = kBuckets.start[letter]; i < kBuckets.start[letter + 1]; ++i) {
    const NameEntry& e = kBuckets.sorted[i];
    if (e.name.size() == name.size() && iequals(e.name, name)) return e.id;
  }
  return HeaderId::kOther;
}

std::string_view canonical_name(HeaderId id) {
  return kCanonical[static_cast<size_t>(id)];
}

}  // namespace hardline::sip
