#pragma once
// The dialplan engine: who may call what. Pure: no I/O, no SIP, no clock (the local time is an
// input). Built once from the checked configuration (config/routing_config.h) and then only
// read, so one Dialplan may be shared by threads.
//
// evaluate() tries the rules top-down; the first rule whose pattern matches the whole dialled
// number (RE2, Latin-1, linear time) and whose conditions all hold decides the call. When none
// does, the built-in default applies: an authenticated account calling a local account is put
// through, everything else is refused. Rewrites ("to") use $0 for the whole number, $1..$9 for
// the pattern's groups and $$ for a dollar sign.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/endpoint.h"
#include "common/result.h"
#include "config/config.h"
#include "routing/caller_id.h"

namespace re2 {
class RE2;
}

namespace hardline::routing {

using config::LocalTime;
using config::Transport;

// Numbers longer than this (dialled or rewritten) are refused without trying a pattern.
inline constexpr size_t kMaxNumberLength = 128;

enum class CallerKind : uint8_t { kAnonymous, kAccount, kTrunk };

struct Caller {
  CallerKind kind = CallerKind::kAnonymous;
  std::string name;                 // the account's extension or the trunk's name
  std::vector<std::string> groups;  // the account's groups

  static Caller anonymous() { return {}; }
  static Caller account(std::string extension, std::vector<std::string> groups) {
    return {CallerKind::kAccount, std::move(extension), std::move(groups)};
  }
  static Caller trunk(std::string name) { return {CallerKind::kTrunk, std::move(name), {}}; }
};

struct CallRequest {
  std::string_view number;  // the Request-URI's user part, as received (any bytes)
  Caller caller;
  std::optional<IpAddress> source;  // where the request came from; nullopt: unknown
  Transport transport = Transport::kUdp;
  LocalTime time;  // local weekday and time of day, from the caller's clock
};

enum class ActionKind : uint8_t { kLocal, kTrunk, kReject };
std::string_view action_name(ActionKind action);  // "local", "trunk", "reject"

struct Decision {
  ActionKind action = ActionKind::kReject;
  std::string number;           // kLocal: the account to call; kTrunk: the number to send
  std::string trunk;            // kTrunk: the trunk's name
  uint16_t status = 0;          // kReject: 400..699
  std::string reason;           // kReject: the reason phrase
  int rule = -1;                // index of the deciding rule; -1: the built-in default decided
  std::string rule_name;        // the deciding rule's name, or "default"
  uint32_t max_duration = 0;    // seconds, 0: no limit
  uint32_t max_concurrent = 0;  // the rule's brakes, for Brakes::try_start
  uint32_t max_per_hour = 0;
  // The built-in default refused an anonymous caller: the caller should be challenged (407)
  // rather than refused, since an authenticated account may be allowed.
  bool needs_authentication = false;
  // With explain: one line per rule tried, saying why it decided or was passed over.
  std::vector<std::string> trace;

  // "local 1001", "trunk provider +4930123", "reject 403 Forbidden"
  std::string summary() const;
};

// Tells the engine whether a number names a local account (the store's, through a cache).
using IsLocalAccount = std::function<bool(std::string_view number)>;

class Dialplan {
 public:
  // Compiles the patterns of a configuration that config::load_config() has checked. Fails
  // (with the rule's file:line) only when a pattern does not compile, which a checked config
  // never has.
  static Result<Dialplan, std::string> compile(const config::Config& config);

  Dialplan(Dialplan&&) noexcept;
  Dialplan& operator=(Dialplan&&) noexcept;
  ~Dialplan();

  // The decision for one call. With `explain`, the trace says what each rule made of it.
  Decision evaluate(const CallRequest& request, const IsLocalAccount& is_local,
                    bool explain = false) const;

  // The trunk whose sources hold `address` (calls from a trunk are recognised this way only),
  // or nullopt. The first trunk in file order wins when several hold it.
  std::optional<std::string> trunk_at(const IpAddress& address) const;
  // The names of the source categories that hold `address`.
  std::vector<std::string> categories_of(const IpAddress& address) const;
  // The caller ID policy of a trunk, or nullptr for an unknown name.
  const CallerIdPolicy* caller_id_policy(std::string_view trunk) const;
  // What a call from `trunk` shows as its caller (RT-5): the trunk's policy applied to the
  // caller ID and display name it sent, with looks_internal() deciding what counts as internal.
  // An unknown trunk's callers are anonymous.
  TrunkCallerId trunk_caller_id(std::string_view trunk, std::string_view number,
                                std::string_view display_name,
                                const IsLocalAccount& is_local) const;
  // Whether a number (as sent, or normalised) has the shape of an internal one: a local
  // account, a number a `local` rule for accounts matches, or one dialplan.internal_numbers
  // matches. A caller from outside showing such a number could pass for a colleague.
  bool looks_internal(std::string_view number, const IsLocalAccount& is_local) const;

  // The dialled number as the rules see it (numbering.h).
  std::string normalized(std::string_view number) const;
  const config::Numbering& numbering() const { return numbering_; }

  const std::vector<config::Rule>& rules() const { return rules_; }
  const std::vector<config::Trunk>& trunks() const { return trunks_; }
  const std::vector<config::SourceCategory>& sources() const { return sources_; }

 private:
  Dialplan() = default;
  // Whether `rule`'s conditions hold for `request` (the pattern aside); when not and `why` is
  // given, the reason.
  bool admits(const config::Rule& rule, const CallRequest& request, std::string* why) const;

  std::vector<config::Rule> rules_;
  std::vector<std::unique_ptr<re2::RE2>> patterns_;  // one per rule
  std::vector<config::Trunk> trunks_;
  std::vector<CallerIdPolicy> caller_ids_;  // one per trunk
  std::vector<config::SourceCategory> sources_;
  config::Numbering numbering_;
  std::unique_ptr<re2::RE2> internal_numbers_;  // nullptr when not configured
  std::vector<size_t> internal_rules_;          // `local` rules that admit accounts
};

// "$1" expansion: `to` with $0..$9 replaced by `groups` (absent groups expand to "") and $$ by
// '$'.
std::string rewrite(std::string_view to, const std::vector<std::string_view>& groups);

}  // namespace hardline::routing
