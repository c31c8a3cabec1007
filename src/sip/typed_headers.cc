#include "sip/typed_headers.h"

#include <algorithm>
#include <string>

#include "sip/chars.h"
#include "sip/header_list.h"

namespace hardline::sip {
namespace {

ParseError header_error(const Header& header, ParseErrorCode code, std::string_view detail) {
  std::string reason;
  reason.reserve(64);
  if (code == ParseErrorCode::kDuplicateHeader) {
    reason.append("More than one ").append(canonical_name(header.id)).append(" header");
  } else {
    reason.append("Malformed ").append(canonical_name(header.id)).append(" header");
    if (!detail.empty()) reason.append(": ").append(detail);
  }
  return ParseError{400, code, std::move(reason)};
}

ParseResult<void> bad(const Header& header, std::string_view detail) {
  return tl::unexpected(header_error(header, ParseErrorCode::kBadHeaderValue, detail));
}

ParseResult<void> duplicate(const Header& header) {
  return tl::unexpected(header_error(header, ParseErrorCode::kDuplicateHeader, {}));
}

// How many more elements a list may take: the limits bound each list header in total over all
// of its fields, so that 128 Route fields cannot hold 128 times the limit.
size_t room(size_t used, size_t max) {
  return used >= max ? 0 : max - used;
}

// Stores a checked value in a field that may be set only once.
template <class T, class V>
ParseResult<void> set_once(const Header& header, std::optional<T>& slot, Result<V> value) {
  if (slot) return duplicate(header);
  if (!value) return bad(header, value.error().what);
  slot = *value;
  return {};
}

ParseResult<void> token_list(const Header& header, std::vector<std::string_view>& out,
                             const Limits& limits, bool may_be_empty) {
  if (header.value.empty()) {
    return may_be_empty ? ParseResult<void>() : bad(header, "empty list");
  }
  // One allocation for the whole list rather than one per doubling.
  out.reserve(out.size() + 1 +
              static_cast<size_t>(std::count(header.value.begin(), header.value.end(), ',')));
  auto walked = for_each_element(header.value, room(out.size(), limits.max_list_elements),
                                 [&out](std::string_view element) -> Result<void> {
                                   if (!is_token(element)) return fail("not a token");
                                   out.push_back(element);
                                   return {};
                                 });
  if (!walked) return bad(header, walked.error().what);
  return {};
}

template <class Parse>
ParseResult<void> name_addr_list(const Header& header, std::vector<NameAddr>& out,
                                 const Limits& limits, Parse&& parse) {
  auto walked = for_each_element(header.value, room(out.size(), limits.max_list_elements),
                                 [&](std::string_view element) -> Result<void> {
                                   auto na = parse(element);
                                   if (!na) return tl::unexpected(na.error());
                                   out.push_back(*na);
                                   return {};
                                 });
  if (!walked) return bad(header, walked.error().what);
  return {};
}

}  // namespace

ParseResult<void> apply_typed_header(Message& m, const Header& h, const Limits& limits) {
  NameAddrLimits na_limits{UriLimits{limits.max_uri_length, limits.max_params}, limits.max_params};
  switch (h.id) {
    case HeaderId::kVia: {
      auto walked = for_each_element(h.value, room(m.vias.size(), limits.max_vias),
                                     [&](std::string_view element) -> Result<void> {
                                       auto via = parse_via(element, limits.max_params);
                                       if (!via) return tl::unexpected(via.error());
                                       m.vias.push_back(*via);
                                       return {};
                                     });
      if (!walked) {
        if (m.vias.size() >= limits.max_vias) {
          return tl::unexpected(
              ParseError{400, ParseErrorCode::kTooManyVias, "Too many Via header values"});
        }
        return bad(h, walked.error().what);
      }
      return {};
    }
    case HeaderId::kFrom:
    case HeaderId::kTo: {
      NameAddr& slot = h.id == HeaderId::kFrom ? m.from : m.to;
      if (!slot.text.empty()) return duplicate(h);
      auto na = parse_name_addr(h.value, na_limits);
      if (!na) return bad(h, na.error().what);
      slot = *na;
      return {};
    }
    case HeaderId::kCallId: {
      if (!m.call_id.empty()) return duplicate(h);
      if (!is_call_id(h.value)) return bad(h, {});
      m.call_id = h.value;
      return {};
    }
    case HeaderId::kCSeq: {
      if (!m.cseq.method.empty()) return duplicate(h);
      auto cseq = parse_cseq(h.value);
      if (!cseq) return bad(h, cseq.error().what);
      m.cseq = *cseq;
      return {};
    }
    case HeaderId::kMaxForwards:
      return set_once(h, m.max_forwards, parse_max_forwards(h.value));
    case HeaderId::kExpires:
      return set_once(h, m.expires, parse_delta_seconds(h.value));
    case HeaderId::kMinExpires:
      return set_once(h, m.min_expires, parse_delta_seconds(h.value));
    case HeaderId::kContentLength: {
      if (m.content_length) return duplicate(h);
      auto length = parse_content_length(h.value);
      if (!length) {
        return tl::unexpected(
            header_error(h, ParseErrorCode::kBadContentLength, length.error().what));
      }
      m.content_length = *length;
      return {};
    }
    case HeaderId::kContentType:
      return set_once(h, m.content_type, parse_media_type(h.value));
    case HeaderId::kContact: {
      if (h.value == "*") {
        if (m.contact_star) return duplicate(h);
        m.contact_star = true;
        return {};
      }
      auto walked = for_each_element(h.value, room(m.contacts.size(), limits.max_list_elements),
                                     [&](std::string_view element) -> Result<void> {
                                       auto c = parse_contact(element, na_limits);
                                       if (!c) return tl::unexpected(c.error());
                                       m.contacts.push_back(*c);
                                       return {};
                                     });
      if (!walked) return bad(h, walked.error().what);
      return {};
    }
    case HeaderId::kRoute:
    case HeaderId::kRecordRoute:
      return name_addr_list(h, h.id == HeaderId::kRoute ? m.routes : m.record_routes, limits,
                            [&](std::string_view element) -> Result<NameAddr> {
                              auto na = parse_name_addr(element, na_limits);
                              if (na && !na->bracketed) return fail("URI must be in <>");
                              return na;
                            });
    case HeaderId::kRequire:
      return token_list(h, m.require, limits, false);
    case HeaderId::kProxyRequire:
      return token_list(h, m.proxy_require, limits, false);
    case HeaderId::kUnsupported:
      return token_list(h, m.unsupported, limits, false);
    case HeaderId::kSupported:
      return token_list(h, m.supported, limits, true);
    case HeaderId::kAllow:
      return token_list(h, m.allow, limits, true);
    case HeaderId::kAuthorization:
    case HeaderId::kProxyAuthorization:
    case HeaderId::kWwwAuthenticate:
    case HeaderId::kProxyAuthenticate: {
      auto auth = parse_auth_header(h.value, limits.max_params);
      if (!auth) return bad(h, auth.error().what);
      auto& list = h.id == HeaderId::kAuthorization        ? m.authorizations
                   : h.id == HeaderId::kProxyAuthorization ? m.proxy_authorizations
                   : h.id == HeaderId::kWwwAuthenticate    ? m.www_authenticates
                                                           : m.proxy_authenticates;
      if (list.size() >= limits.max_list_elements) return bad(h, "too many values");
      list.push_back(*auth);
      return {};
    }
    case HeaderId::kUserAgent:
      return set_once(h, m.user_agent, Result<std::string_view>(h.value));
    case HeaderId::kServer:
      return set_once(h, m.server, Result<std::string_view>(h.value));
    case HeaderId::kDate:
      if (!is_sip_date(h.value)) return bad(h, "not an RFC 1123 date in GMT");
      return {};
    case HeaderId::kRetryAfter: {
      auto r = parse_retry_after(h.value);
      if (!r) return bad(h, r.error().what);
      return {};
    }
    case HeaderId::kWarning: {
      auto walked = for_each_element(h.value, limits.max_list_elements,
                                     [](std::string_view element) -> Result<void> {
                                       if (!is_warning_value(element)) return fail("bad warning");
                                       return {};
                                     });
      if (!walked) return bad(h, walked.error().what);
      return {};
    }
    default:
      return {};
  }
}

}  // namespace hardline::sip
