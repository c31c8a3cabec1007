#pragma once
// The dialplan as the B2BUA's router: builds a routing::CallRequest from a new INVITE (the
// dialled number; the caller: its account and groups, or the trunk recognised by source address,
// or nobody; the source; the transport; the local weekday and time), asks routing::evaluate(),
// and maps the decision to a local account, a remote target (a trunk, resolved at start-up) or a
// refusal. The toll-fraud brakes count calls in the start hook and release them in the finish
// hook; a tripped brake refuses the call with 403 and is logged as a security event.
//
// src/routing stays pure: the I/O (logging, name resolution, the time zone) is here. The pure
// parts (identify_caller, make_call_request, map_decision, local_time_of) are free functions,
// for the tests.

#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/digest_client.h"
#include "call/router.h"
#include "common/clock.h"
#include "common/endpoint.h"
#include "config/config.h"
#include "routing/brakes.h"
#include "routing/dialplan.h"

namespace hardline::server {

// A trunk as calls toward it need it: resolved once, before the process confines itself (no
// name can be resolved inside the chroot, and the seccomp allow-list has no socket for DNS).
struct TrunkTarget {
  std::string name;
  std::optional<Endpoint> endpoint;  // nullopt: the host did not resolve; calls to it get 503
  std::string uri_host;              // "host", "host:port", with ";transport=tcp" for TCP
  std::optional<auth::ClientCredentials> credentials;  // when the trunk has a username
  bool trusted = false;
};

// Resolves every trunk's host (an IP address as it is; a name by the system's resolver, the
// first address; a name under .invalid never). Start-up only. A trunk that cannot be resolved,
// or that asks for TLS (not supported toward trunks yet), is kept without an endpoint; `problems`
// gets one line per such trunk (names of trunks only: no secrets). With `notes`, a trunk whose
// host is a placeholder under .invalid (the example dialplan's, not set up yet: no fault) goes
// there instead, for an info line rather than a warning.
std::vector<TrunkTarget> resolve_trunks(const std::vector<config::Trunk>& trunks,
                                        std::vector<std::string>& problems,
                                        std::vector<std::string>* notes = nullptr);

// Where each trunk's traffic comes from: its `sources` and its host as resolved (one address).
// The guard never bans these for what a forged source address can cause (issue 12, item 3).
std::vector<Network> trunk_networks(const std::vector<config::Trunk>& trunks,
                                    const std::vector<TrunkTarget>& targets);

// What the router needs of the accounts (the server's AccountCache).
class AccountDirectory {
 public:
  virtual ~AccountDirectory() = default;
  virtual bool exists(std::string_view extension) = 0;
  virtual std::vector<std::string> groups(std::string_view extension) = 0;
};

// The caller as the dialplan sees it: the authenticated account (with its groups), else the
// trunk whose sources hold the source address, else anonymous. Never anything from headers.
routing::Caller identify_caller(const call::RouteRequest& request,
                                const routing::Dialplan& dialplan, AccountDirectory& accounts);

config::Transport transport_of(Protocol protocol);

// The weekday (Monday 0) and minute of the day of a broken-down local time.
config::LocalTime local_time_of(const std::tm& local);
// The local time now in the server's time zone (localtime_r; the zone is read by tzset() before
// confinement, see prepare_time_zone()).
config::LocalTime system_local_time(int64_t unix_seconds);
// Reads the time zone (TZ, /etc/localtime) while the files are still reachable.
void prepare_time_zone();

routing::CallRequest make_call_request(const call::RouteRequest& request, routing::Caller caller,
                                       config::LocalTime time);

// The B2BUA's decision for the dialplan's: kLocal → the account; kTrunk → the trunk's target
// with the rewritten number as the Request-URI's user (503 when the trunk has no address);
// kReject → the status. The rule's maximum duration and, as cookie, the rule (index + 1, 0 for
// the built-in default) travel along. A needs_authentication refusal is 403 here: the server
// challenges every caller without an account before routing, so none gets this far.
call::RouteDecision map_decision(const routing::Decision& decision,
                                 const std::vector<TrunkTarget>& trunks);

class DialplanRouter final : public call::Router {
 public:
  using LocalTimeAt = std::function<config::LocalTime(int64_t unix_seconds)>;
  // The status a tripped brake refuses a call with.
  static constexpr uint16_t kBrakeStatus = 403;

  // Keeps references to all; they must outlive the router. `name_callers`: privacy.mode "debug"
  // (security events may name the account or trunk).
  DialplanRouter(const routing::Dialplan& dialplan, std::vector<TrunkTarget> trunks,
                 const Clock& clock, AccountDirectory& accounts, bool name_callers,
                 LocalTimeAt local_time = system_local_time);

  call::RouteDecision route(const call::RouteRequest& request) override;
  bool trusted_source(const Endpoint& source) const override;
  uint16_t on_call_started(uint64_t call, const call::RouteRequest& request,
                           const call::RouteDecision& decision) override;
  void on_call_finished(uint64_t call, const call::RouteDecision& decision, call::CallEnd end,
                        uint16_t status) override;

  const routing::Brakes& brakes() const { return brakes_; }
  uint64_t brakes_tripped() const;
  uint64_t caller_ids_rewritten() const { return caller_ids_rewritten_; }
  uint64_t caller_ids_refused() const { return caller_ids_refused_; }
  // Trunk calls whose caller ID had the shape of an internal number (rewritten or refused).
  uint64_t caller_ids_internal() const { return caller_ids_internal_; }
  size_t tickets() const { return tickets_.size(); }

 private:
  const routing::Dialplan& dialplan_;
  std::vector<TrunkTarget> trunks_;
  const Clock& clock_;
  AccountDirectory& accounts_;
  bool name_callers_;
  LocalTimeAt local_time_;
  routing::Brakes brakes_;
  std::unordered_map<uint64_t, routing::BrakeTicket> tickets_;  // live calls with a brake
  uint64_t caller_ids_rewritten_ = 0;
  uint64_t caller_ids_refused_ = 0;
  uint64_t caller_ids_internal_ = 0;
};

}  // namespace hardline::server
