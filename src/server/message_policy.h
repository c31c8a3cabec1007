#pragma once
// What the server does with a message's bytes, decided in one place: the answer to a malformed
// request (or why it gets none), the refusals of the request policy (method, URI scheme,
// domain, Require), OPTIONS, and which handler a request goes to. SipServer acts on these
// decisions; `hardline sip check` prints them. Both call the same functions, so the tool can
// never claim an answer the server does not give. Pure code: no I/O, no clock, no state beyond
// the settings (the scanner matcher keeps a scratch buffer, so one instance per thread).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/endpoint.h"
#include "guard/signatures.h"
#include "sip/message.h"
#include "sip/parser.h"
#include "sip/response.h"

namespace hardline::config {
struct Config;
}

namespace hardline::server {

// Where a message goes once decided. kAnswer and kDrop end it here; the others name the handler
// that takes it on, with state this function does not see (nonces, dialogs, transactions).
enum class Route : uint8_t {
  kAnswer,            // answered now: status, reason and headers below
  kDrop,              // no answer at all
  kResponse,          // a response: to the transaction or call waiting for it, else dropped
  kAck,               // to the transaction layer or the call; never answered
  kRegister,          // digest authentication (401), then the registrar
  kInvite,            // a trunk's address, or digest authentication (407); then the B2BUA
  kInDialog,          // to the B2BUA's dialog (481 without one)
  kCancel,            // to the INVITE transaction it names (481 without one)
  kAuthenticateFirst  // dialog-creating SUBSCRIBE or MESSAGE: 407, then 501 once authenticated
};

struct Decision {
  Route route = Route::kDrop;
  // kAnswer: the status sent. For the handler routes: the answer when no state helps (no
  // credentials that verify, no dialog, no transaction), which is what a message replayed
  // from a file gets. 0 for kDrop, kResponse and kAck.
  uint16_t status = 0;
  std::string reason;  // the reason phrase (Hardline's own words for a malformed request)
  std::string why;     // why, in Hardline's own words: safe to log, never bytes of the message
  std::vector<std::pair<std::string_view, std::string>> headers;  // kAnswer: to add
  std::optional<sip::ResponseBasis> salvaged;  // kAnswer to a malformed request: what it echoes

  bool answered_now() const { return route == Route::kAnswer; }
};

struct PolicySettings {
  sip::Limits limits;  // the parser's, with transport.max_message_size
  std::string domain;  // empty: every host is taken as ours (`sip check` without a config)
  std::vector<std::string> aliases;        // with sip.advertise's hosts (IPv6 without brackets)
  std::vector<IpAddress> local_addresses;  // a Request-URI naming one of these is ours
  std::vector<sip::Method> methods;        // enabled (sip.methods)
  bool check_signatures = true;            // guard.enabled
  std::vector<std::string> scanner_signatures;
};

// The settings a server with `config` uses; local_addresses from its listen addresses (the
// server replaces them with what it bound).
PolicySettings policy_settings(const config::Config& config);

class MessagePolicy {
 public:
  explicit MessagePolicy(PolicySettings settings);

  const sip::Limits& limits() const { return settings_.limits; }
  void set_local_addresses(std::vector<IpAddress> addresses) {
    settings_.local_addresses = std::move(addresses);
  }
  // The Allow header: the enabled methods the server serves (an enabled method it can only
  // refuse with 501 is not listed).
  const std::string& allow() const { return allow_; }

  // A message the parser refused: the status its error names, when a valid response can be
  // built from the salvaged Via, From, To, Call-ID and CSeq; otherwise kDrop, saying why.
  Decision on_malformed(std::string_view bytes, const sip::ParseError& error) const;
  // A parsed message: responses and ACKs to their routes; a request through the policy in
  // RFC 3261 §8.2's order (501 unknown method, 405 disabled, 416 URI scheme, 403 not our
  // domain, 420 Require), then OPTIONS (200) or the handler of its method. The scanner
  // signatures are not checked here: the guard does that, and bans (see decide()).
  // `arrived_at`: our address the message was sent to, when a wildcard listener read it.
  Decision on_message(const sip::Message& message, const IpAddress& arrived_at = {}) const;
  // Everything at once, for `hardline sip check`: parse as the server does, then
  // on_malformed(), or the scanner signatures (kDrop) and on_message().
  // The decision's views (salvaged) point into `bytes`.
  Decision decide(std::string_view bytes, sip::Framing framing);

  // A sip or sips URI naming sip.domain, an alias, an advertised name or address, a local
  // address, or `arrived_at` (the address a request came to on a wildcard listener, which is
  // what our Contact named there); any, without a domain.
  bool is_ours(const sip::Uri& uri, const IpAddress& arrived_at = {}) const;

 private:
  bool enabled(sip::Method method) const;
  Decision answer(uint16_t status, std::string why) const;

  PolicySettings settings_;
  std::string allow_;
  guard::SignatureMatcher signatures_;
};

}  // namespace hardline::server
