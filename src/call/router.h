#pragma once
// Where a call goes: the call layer asks a Router once per new INVITE and does what it says.
// The default LocalRouter lets authenticated callers reach local accounts and nothing else; the
// dialplan (src/routing) implements the same interface with rules, trunks and brakes.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "auth/digest_client.h"
#include "common/clock.h"
#include "common/endpoint.h"
#include "common/result.h"

namespace hardline::call {

struct RouteRequest {
  std::string_view dialled;                // the Request-URI's user, unescaped
  std::optional<std::string_view> caller;  // the authenticated account, or none
  Endpoint source;                         // where the INVITE came from
  Protocol transport = Protocol::kUdp;
  // The caller's From as sent (user part unescaped; display name unquoted): only for a caller
  // without an account (a trunk), whose caller ID the router checks. Never trusted as who calls.
  std::string_view from_user;
  std::string_view from_display;
};

// The caller ID the callee is shown when the router decides it (a call from a trunk, checked
// against the trunk's policy): the number at our domain, or anonymous.
struct ShownCaller {
  std::string number;        // a plain number: the URI's user part as is
  std::string display_name;  // quoted on the way out; may be ""
  bool anonymous = false;
};

// A peer outside this server: a provider's trunk, another PBX.
struct RemoteTarget {
  Endpoint endpoint;        // where the INVITE is sent (its protocol is the transport)
  std::string request_uri;  // e.g. "sip:+4930123456@trunk.example.net"; also the To URI
  // Answers the peer's 401/407 once per call when set (Hardline as the digest client).
  std::optional<auth::ClientCredentials> credentials;
  // A peer that may see Hardline's hop count (another Hardline, a trusted trunk). Toward an
  // untrusted one the header is never sent.
  bool trusted = false;
};

struct RouteDecision {
  enum class Kind : uint8_t { kLocal, kRemote, kReject };
  Kind kind = Kind::kReject;
  std::string account;    // kLocal: the account to ring, at every contact it registered
  RemoteTarget remote;    // kRemote
  uint16_t status = 404;  // kReject
  // 0: the [calls] max_duration. Otherwise the shorter of the two.
  Millis max_duration{0};
  // Opaque to the call layer: handed back to the hooks (e.g. the rule that matched).
  uint64_t cookie = 0;
  // Set: the callee sees this caller ID (From). Unset: the account's identity, or for a caller
  // without one the From user when it is a plain number, else anonymous.
  std::optional<ShownCaller> shown_caller;
};

// How a call ended, for the finish hook and the counters.
enum class CallEnd : uint8_t {
  kAnswered,  // it was answered; it ended by BYE, timeout or max duration
  kFailed,    // refused or unanswered: `status` is what the caller got
};

class Router {
 public:
  virtual ~Router() = default;

  // The decision for one new call. Never throws; an internal failure is a kReject with 500.
  virtual RouteDecision route(const RouteRequest& request) = 0;

  // Sources whose INVITEs need no digest authentication (a trunk, recognised by its source
  // address, never by headers). None by default: every caller authenticates.
  virtual bool trusted_source(const Endpoint& /*source*/) const { return false; }

  // Hooks around each call the router accepted (kLocal or kRemote), for per-call brakes
  // (concurrent calls, calls per hour). `call` is unique among live calls. The start hook runs
  // before anything is sent on the call's behalf; a status (300..699) refuses the call with it
  // (a tripped brake), and then the finish hook does not run. 0 lets the call go on.
  virtual uint16_t on_call_started(uint64_t /*call*/, const RouteRequest& /*request*/,
                                   const RouteDecision& /*decision*/) {
    return 0;
  }
  virtual void on_call_finished(uint64_t /*call*/, const RouteDecision& /*decision*/,
                                CallEnd /*end*/, uint16_t /*status*/) {}
};

// The behaviour with no dialplan: an authenticated caller dialling a local account rings that
// account; anything else is refused (404 for a number that is no account, 403 for a caller
// without an account). `account_exists` answers whether an extension exists; an error is a 500.
class LocalRouter final : public Router {
 public:
  using AccountExists = std::function<Result<bool>(std::string_view extension)>;

  explicit LocalRouter(AccountExists account_exists) : exists_(std::move(account_exists)) {}

  RouteDecision route(const RouteRequest& request) override;

 private:
  AccountExists exists_;
};

}  // namespace hardline::call
