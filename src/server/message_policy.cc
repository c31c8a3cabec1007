#include "server/message_policy.h"

#include <algorithm>

#include "config/config.h"
#include "sip/chars.h"

namespace hardline::server {
namespace {

// The methods SipServer has a handler for. An enabled method outside this list can only be
// refused (501), so Allow does not name it: RFC 3261 §20.5 lists what a UA supports.
bool served(sip::Method method) {
  switch (method) {
    case sip::Method::kRegister:
    case sip::Method::kInvite:
    case sip::Method::kAck:
    case sip::Method::kBye:
    case sip::Method::kCancel:
    case sip::Method::kOptions:
    case sip::Method::kUpdate:
    case sip::Method::kInfo:
      return true;
    default:
      return false;
  }
}

std::string allow_value(const std::vector<sip::Method>& methods) {
  std::string out;
  for (sip::Method method : methods) {
    if (!served(method)) continue;
    if (!out.empty()) out += ", ";
    out += sip::method_name(method);
  }
  return out;
}

Decision handled(Route route, uint16_t status, std::string why) {
  Decision decision;
  decision.route = route;
  decision.status = status;
  decision.reason = std::string(sip::default_reason(status));
  decision.why = std::move(why);
  return decision;
}

Decision dropped(Route route, std::string why) {
  Decision decision;
  decision.route = route;
  decision.why = std::move(why);
  return decision;
}

}  // namespace

PolicySettings policy_settings(const config::Config& config) {
  PolicySettings settings;
  settings.limits.max_message_size = config.transport.max_message_size;
  settings.domain = config.sip.domain;
  settings.aliases = config.sip.aliases;
  // What Via and Contact name comes back as the Request-URI of in-dialog requests.
  for (const config::Config::Sip::Advertise& advertised : config.sip.advertise) {
    std::string host = advertised.host;
    if (host.starts_with('[')) host = host.substr(1, host.size() - 2);
    if (std::find(settings.aliases.begin(), settings.aliases.end(), host) ==
        settings.aliases.end()) {
      settings.aliases.push_back(std::move(host));
    }
  }
  for (const Endpoint& listen : config.sip.listen)
    settings.local_addresses.push_back(listen.address);
  settings.methods = config.sip.methods;
  settings.check_signatures = config.guard.enabled;
  settings.scanner_signatures = config.guard.scanner_signatures;
  return settings;
}

MessagePolicy::MessagePolicy(PolicySettings settings)
    : settings_(std::move(settings)),
      allow_(allow_value(settings_.methods)),
      signatures_(settings_.check_signatures ? settings_.scanner_signatures
                                             : std::vector<std::string>{}) {}

Decision MessagePolicy::answer(uint16_t status, std::string why) const {
  Decision decision = handled(Route::kAnswer, status, std::move(why));
  if (status == 405 || status == 501) decision.headers.emplace_back("Allow", allow_);
  return decision;
}

Decision MessagePolicy::on_malformed(std::string_view bytes, const sip::ParseError& error) const {
  if (error.drop()) {
    if (error.code == sip::ParseErrorCode::kEmpty) {
      return dropped(Route::kDrop, "an empty datagram or a CRLF keep-alive: never answered");
    }
    return dropped(Route::kDrop,
                   "a malformed response (" + error.reason + "): a response is never answered");
  }
  auto basis = sip::salvage_basis(bytes, settings_.limits.max_line_length);
  if (!basis) {
    // Answering needs Via, From, To, Call-ID and CSeq that are valid themselves; guessing them
    // would send a response nobody can match, or somewhere a forged header chose.
    return dropped(Route::kDrop, "malformed (" + error.reason + ") and no valid answer can be " +
                                     "built from it: " + std::string(basis.error().what));
  }
  Decision decision;
  decision.route = Route::kAnswer;
  decision.status = error.status;
  decision.reason = error.reason;
  decision.why = "malformed: " + error.reason;
  decision.salvaged = std::move(*basis);
  return decision;
}

Decision MessagePolicy::on_message(const sip::Message& message, const IpAddress& arrived_at) const {
  if (!message.is_request) {
    return dropped(Route::kResponse,
                   "a response: handed to the transaction or call waiting for it, else "
                   "dropped; a response is never answered");
  }
  if (message.method == sip::Method::kAck) {
    return dropped(Route::kAck, "an ACK: to its transaction or call, never answered");
  }
  // RFC 3261 §8.2.1: the method first, then §8.2.2.1 the Request-URI, then §8.2.2.3 Require.
  if (message.method == sip::Method::kOther || sip::method_name(message.method).empty()) {
    return answer(501, "a method Hardline does not know");
  }
  if (!enabled(message.method)) return answer(405, "a method not enabled in sip.methods");
  if (!message.request_uri.is_sip()) {
    // RFC 4475 §3.3.2-3: 416 whatever the rest says; never routed on To.
    return answer(416, "a Request-URI scheme other than sip or sips");
  }
  if (!is_ours(message.request_uri, arrived_at)) {
    return answer(403,
                  "a Request-URI that names neither sip.domain, an alias nor a listen "
                  "address (no relaying)");
  }
  if (!message.require.empty() && message.method != sip::Method::kCancel) {
    // Hardline supports no extension a request may require.
    std::string unsupported;
    for (std::string_view option : message.require) {
      if (!unsupported.empty()) unsupported += ", ";
      unsupported += option;
    }
    Decision decision = answer(420, "a Require naming extensions Hardline does not support");
    decision.headers.emplace_back("Unsupported", std::move(unsupported));
    return decision;
  }
  const bool in_dialog = message.to.tag().has_value();
  switch (message.method) {
    case sip::Method::kOptions: {
      // RFC 3261 §11.2: what the server supports, the same for every Request-URI (no account
      // is looked up, so nothing is revealed about users) and nothing about the software.
      Decision decision = answer(200, "OPTIONS: the server's capabilities, the same for anyone");
      decision.headers.emplace_back("Allow", allow_);
      decision.headers.emplace_back("Accept", "application/sdp");
      decision.headers.emplace_back("Supported", "");
      return decision;
    }
    case sip::Method::kRegister:
      return handled(Route::kRegister, 401,
                     "REGISTER: a digest challenge, unless credentials verify over a nonce "
                     "this server issued");
    case sip::Method::kInvite:
      if (in_dialog) {
        return handled(Route::kInDialog, 481, "a re-INVITE: to its call, 481 without one");
      }
      return handled(Route::kInvite, 407,
                     "INVITE: a digest challenge, unless it comes from a trunk's address or its "
                     "credentials verify over a nonce this server issued");
    case sip::Method::kCancel:
      return handled(Route::kCancel, 481,
                     "CANCEL: to the INVITE transaction it names, 481 without one");
    case sip::Method::kBye:
    case sip::Method::kUpdate:
    case sip::Method::kInfo:
      if (in_dialog)
        return handled(Route::kInDialog, 481, "in a dialog: to its call, 481 without one");
      return answer(481, "a request that belongs in a dialog, without a To tag");
    case sip::Method::kSubscribe:
    case sip::Method::kMessage:
      // Whoever sends one authenticates first, so that the 501 says nothing about the account
      // named.
      if (!in_dialog) {
        return handled(Route::kAuthenticateFirst, 407,
                       "a digest challenge, then 501 (not served) once credentials verify");
      }
      return answer(501, "a method Hardline does not serve");
    default:
      return answer(501, "a method Hardline does not serve");
  }
}

Decision MessagePolicy::decide(std::string_view bytes, sip::Framing framing) {
  if (framing == sip::Framing::kDatagram && bytes.size() > settings_.limits.max_message_size) {
    return dropped(Route::kDrop,
                   "a datagram larger than transport.max_message_size: the transport drops it");
  }
  auto parsed = sip::parse_message(bytes, framing, settings_.limits);
  if (!parsed) return on_malformed(bytes, parsed.error());
  const sip::Message& message = *parsed;
  if (message.is_request && !signatures_.empty()) {
    const sip::Header* from = message.find(sip::HeaderId::kFrom);
    std::optional<size_t> hit = signatures_.find(message.user_agent.value_or(""));
    if (!hit && from != nullptr) hit = signatures_.find(from->value);
    if (hit) {
      return dropped(Route::kDrop, "the scanner signature '" + signatures_.signature(*hit) +
                                       "': the guard drops it (and bans the source, see "
                                       "guard.ban_scanners)");
    }
  }
  return on_message(message);
}

bool MessagePolicy::enabled(sip::Method method) const {
  return std::find(settings_.methods.begin(), settings_.methods.end(), method) !=
         settings_.methods.end();
}

bool MessagePolicy::is_ours(const sip::Uri& uri, const IpAddress& arrived_at) const {
  if (!uri.is_sip()) return false;
  if (settings_.domain.empty()) return true;
  if (sip::iequals(uri.host, settings_.domain)) return true;
  for (const std::string& alias : settings_.aliases) {
    if (sip::iequals(uri.host, alias)) return true;
  }
  if (uri.host_kind == sip::HostKind::kIpv4 || uri.host_kind == sip::HostKind::kIpv6) {
    // RFC 5118 §4.10's three colons name the same address as two.
    const auto address = parse_ip_address(sip::ipv6_without_extra_colon(uri.host));
    for (const IpAddress& local : settings_.local_addresses) {
      if (address && *address == local) return true;
    }
    if (address && !is_unspecified(arrived_at) && *address == arrived_at) return true;
  }
  return false;
}

}  // namespace hardline::server
