#include "server/dialplan_router.h"

#include <netdb.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <utility>

#include "call/headers.h"

namespace hardline::server {

namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// The address of `host` (a literal, with or without brackets, or a name), or nullopt.
// A name under .invalid (RFC 6761), as the example dialplan's placeholder trunk has.
bool placeholder_host(std::string_view host) {
  std::string lower(host);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "invalid" || ends_with(lower, ".invalid") || ends_with(lower, ".invalid.");
}

std::optional<IpAddress> resolve_host(std::string_view host) {
  std::string_view literal = host;
  if (literal.size() > 2 && literal.front() == '[' && literal.back() == ']') {
    literal = literal.substr(1, literal.size() - 2);
  }
  if (auto address = parse_ip_address(literal)) return address;
  // RFC 6761: .invalid never resolves; asking would only wait on the resolver.
  if (placeholder_host(host)) return std::nullopt;
  std::string lower(host);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(lower.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  std::optional<IpAddress> address;
  char text[NI_MAXHOST] = {};
  if (getnameinfo(found->ai_addr, found->ai_addrlen, text, sizeof text, nullptr, 0,
                  NI_NUMERICHOST) == 0) {
    address = parse_ip_address(text);
  }
  freeaddrinfo(found);
  return address;
}

}  // namespace

std::vector<TrunkTarget> resolve_trunks(const std::vector<config::Trunk>& trunks,
                                        std::vector<std::string>& problems,
                                        std::vector<std::string>* notes) {
  std::vector<TrunkTarget> out;
  out.reserve(trunks.size());
  for (const config::Trunk& trunk : trunks) {
    TrunkTarget target;
    target.name = trunk.name;
    target.trusted = trunk.trusted;
    target.uri_host = trunk.host;
    if (trunk.port != 5060) target.uri_host.append(":").append(std::to_string(trunk.port));
    if (trunk.transport == config::Transport::kTcp) target.uri_host.append(";transport=tcp");
    if (!trunk.username.empty()) {
      target.credentials = auth::ClientCredentials{trunk.username, trunk.password};
    }
    if (trunk.transport == config::Transport::kTls) {
      problems.push_back("trunk '" + trunk.name +
                         "' asks for TLS, which Hardline does not speak toward trunks yet: calls "
                         "to it are refused with 503; use \"udp\" or \"tcp\"");
    } else if (auto address = resolve_host(trunk.host)) {
      Endpoint endpoint;
      endpoint.protocol =
          trunk.transport == config::Transport::kTcp ? Protocol::kTcp : Protocol::kUdp;
      endpoint.address = *address;
      endpoint.port = trunk.port;
      target.endpoint = endpoint;
    } else if (notes != nullptr && placeholder_host(trunk.host)) {
      notes->push_back("trunk '" + trunk.name + "' still has a placeholder host (" + trunk.host +
                       "): calls to it are refused with 503 until you put in your provider's "
                       "host, username and password in the dialplan and restart");
    } else {
      problems.push_back("trunk '" + trunk.name +
                         "': its host does not resolve at start-up: calls to it are refused with "
                         "503 until a restart with a host that resolves");
    }
    out.push_back(std::move(target));
  }
  return out;
}

std::vector<Network> trunk_networks(const std::vector<config::Trunk>& trunks,
                                    const std::vector<TrunkTarget>& targets) {
  std::vector<Network> out;
  auto add = [&out](const Network& network) {
    if (std::find(out.begin(), out.end(), network) == out.end()) out.push_back(network);
  };
  for (const config::Trunk& trunk : trunks) {
    for (const Network& network : trunk.sources) add(network);
  }
  for (const TrunkTarget& target : targets) {
    if (target.endpoint) {
      add(network_of(target.endpoint->address, target.endpoint->address.v6 ? 128 : 32));
    }
  }
  return out;
}

routing::Caller identify_caller(const call::RouteRequest& request,
                                const routing::Dialplan& dialplan, AccountDirectory& accounts) {
  if (request.caller) {
    std::string extension(*request.caller);
    return routing::Caller::account(std::move(extension), accounts.groups(*request.caller));
  }
  if (auto trunk = dialplan.trunk_at(request.source.address)) {
    return routing::Caller::trunk(std::move(*trunk));
  }
  return routing::Caller::anonymous();
}

config::Transport transport_of(Protocol protocol) {
  return protocol == Protocol::kTcp ? config::Transport::kTcp : config::Transport::kUdp;
}

config::LocalTime local_time_of(const std::tm& local) {
  config::LocalTime time;
  // tm_wday counts from Sunday (0); the dialplan from Monday.
  time.weekday = static_cast<uint8_t>((local.tm_wday + 6) % 7);
  time.minute = static_cast<uint16_t>(local.tm_hour * 60 + local.tm_min);
  return time;
}

config::LocalTime system_local_time(int64_t unix_seconds) {
  const auto seconds = static_cast<std::time_t>(unix_seconds);
  std::tm local{};
  if (localtime_r(&seconds, &local) == nullptr) return {};
  return local_time_of(local);
}

void prepare_time_zone() {
  tzset();
}

routing::CallRequest make_call_request(const call::RouteRequest& request, routing::Caller caller,
                                       config::LocalTime time) {
  routing::CallRequest out;
  out.number = request.dialled;
  out.caller = std::move(caller);
  out.source = request.source.address;
  out.transport = transport_of(request.transport);
  out.time = time;
  return out;
}

call::RouteDecision map_decision(const routing::Decision& decision,
                                 const std::vector<TrunkTarget>& trunks) {
  call::RouteDecision out;
  out.cookie = decision.rule < 0 ? 0 : static_cast<uint64_t>(decision.rule) + 1;
  out.max_duration = Millis(int64_t{decision.max_duration} * 1000);
  switch (decision.action) {
    case routing::ActionKind::kLocal:
      out.kind = call::RouteDecision::Kind::kLocal;
      out.account = decision.number;
      return out;
    case routing::ActionKind::kTrunk:
      for (const TrunkTarget& trunk : trunks) {
        if (trunk.name != decision.trunk) continue;
        if (!trunk.endpoint) break;
        out.kind = call::RouteDecision::Kind::kRemote;
        out.remote.endpoint = *trunk.endpoint;
        out.remote.request_uri = "sip:" + call::escape_user(decision.number) + "@" + trunk.uri_host;
        out.remote.credentials = trunk.credentials;
        out.remote.trusted = trunk.trusted;
        return out;
      }
      out.kind = call::RouteDecision::Kind::kReject;
      out.status = 503;
      return out;
    case routing::ActionKind::kReject:
      break;
  }
  out.kind = call::RouteDecision::Kind::kReject;
  out.status = decision.needs_authentication ? 403 : decision.status;
  if (out.status < 300 || out.status > 699) out.status = 403;
  return out;
}

DialplanRouter::DialplanRouter(const routing::Dialplan& dialplan, std::vector<TrunkTarget> trunks,
                               const Clock& clock, AccountDirectory& accounts, bool name_callers,
                               LocalTimeAt local_time)
    : dialplan_(dialplan),
      trunks_(std::move(trunks)),
      clock_(clock),
      accounts_(accounts),
      name_callers_(name_callers),
      local_time_(std::move(local_time)),
      brakes_(clock) {}

call::RouteDecision DialplanRouter::route(const call::RouteRequest& request) {
  routing::Caller caller = identify_caller(request, dialplan_, accounts_);
  std::optional<call::ShownCaller> shown;
  const routing::IsLocalAccount is_local = [this](std::string_view number) {
    return accounts_.exists(number);
  };
  if (caller.kind == routing::CallerKind::kTrunk) {
    // RT-5: the trunk's caller ID is kept only when it passes the trunk's policy, and never
    // shown as an internal number.
    const routing::TrunkCallerId verdict =
        dialplan_.trunk_caller_id(caller.name, request.from_user, request.from_display, is_local);
    if (verdict.looked_internal) {
      ++caller_ids_internal_;
      spdlog::warn(
          "security event: a call from trunk '{}' carries a caller ID in the shape of an "
          "internal number: {}",
          caller.name,
          verdict.verdict == routing::CallerIdVerdict::kReject ? "call refused"
          : verdict.verdict == routing::CallerIdVerdict::kAnonymous
              ? "shown as Anonymous"
              : "shown behind the trunk's caller_id_prefix");
    }
    if (verdict.verdict == routing::CallerIdVerdict::kReject) {
      ++caller_ids_refused_;
      if (!verdict.looked_internal) {
        spdlog::warn(
            "security event: a call from trunk '{}' refused: its caller ID fails the "
            "trunk's caller_id_pattern",
            caller.name);
      }
      call::RouteDecision refused;
      refused.status = 403;
      return refused;
    }
    shown = verdict.verdict == routing::CallerIdVerdict::kKeep
                ? call::ShownCaller{verdict.id.number, verdict.id.display_name, false}
                : call::ShownCaller{{}, {}, true};
    if (shown->anonymous || verdict.looked_internal) ++caller_ids_rewritten_;
  }
  const routing::CallRequest call_request =
      make_call_request(request, std::move(caller), local_time_(clock_.unix_seconds()));
  const routing::Decision decision = dialplan_.evaluate(call_request, is_local);
  call::RouteDecision out = map_decision(decision, trunks_);
  out.shown_caller = std::move(shown);
  return out;
}

bool DialplanRouter::trusted_source(const Endpoint& source) const {
  return dialplan_.trunk_at(source.address).has_value();
}

uint16_t DialplanRouter::on_call_started(uint64_t call, const call::RouteRequest& request,
                                         const call::RouteDecision& decision) {
  if (decision.cookie == 0 || decision.cookie > dialplan_.rules().size()) return 0;
  const auto rule_index = static_cast<uint32_t>(decision.cookie - 1);
  const config::Rule& rule = dialplan_.rules()[rule_index];
  if (rule.max_concurrent == 0 && rule.max_per_hour == 0) return 0;
  // Brakes count per caller: the account, else the trunk, else the source address.
  std::string key;
  std::string_view kind = "account";
  if (request.caller) {
    key = std::string(*request.caller);
  } else if (auto trunk = dialplan_.trunk_at(request.source.address)) {
    key = "trunk:" + *trunk;
    kind = "trunk";
  } else {
    key = "source:" + to_string(request.source.address);
    kind = "source";
  }
  auto started = brakes_.try_start(key, rule_index, {rule.max_concurrent, rule.max_per_hour});
  if (!started) {
    // Privacy: the account or trunk is named only under privacy.mode = "debug".
    if (name_callers_ && kind != "source") {
      spdlog::warn(
          "security event: toll-fraud brake {} tripped on dialplan rule '{}' by {} {}: "
          "call refused with {}",
          routing::brake_name(started.error()), rule.name, kind,
          kind == "trunk" ? key.substr(6) : key, kBrakeStatus);
    } else {
      spdlog::warn(
          "security event: toll-fraud brake {} tripped on dialplan rule '{}': call "
          "refused with {}",
          routing::brake_name(started.error()), rule.name, kBrakeStatus);
    }
    return kBrakeStatus;
  }
  if (!started->key.empty()) tickets_[call] = std::move(*started);
  return 0;
}

void DialplanRouter::on_call_finished(uint64_t call, const call::RouteDecision& /*decision*/,
                                      call::CallEnd /*end*/, uint16_t /*status*/) {
  auto it = tickets_.find(call);
  if (it == tickets_.end()) return;
  brakes_.finish(it->second);
  tickets_.erase(it);
}

uint64_t DialplanRouter::brakes_tripped() const {
  return brakes_.tripped(routing::Brake::kConcurrent) + brakes_.tripped(routing::Brake::kPerHour) +
         brakes_.tripped(routing::Brake::kCapacity);
}

}  // namespace hardline::server
