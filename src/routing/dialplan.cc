#include "routing/dialplan.h"

#include <re2/re2.h>

#include <algorithm>
#include <array>

#include "routing/numbering.h"
#include "routing/text.h"

namespace hardline::routing {
namespace {

RE2::Options pattern_options() {
  // As config/ checks them: bytes, not UTF-8 (a dialled number is bytes off the wire).
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_log_errors(false);
  return options;
}

// Text from the network in a trace line: printable, short.
std::string shown(std::string_view text) {
  std::string out = "'";
  for (char c : text.substr(0, 64)) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 || byte >= 0x7f) ? '?' : c;
  }
  if (text.size() > 64) out += "...";
  return out + "'";
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

std::string where(const config::Rule& rule) {
  return rule.where.file + ":" + std::to_string(rule.where.line);
}

std::string_view caller_kind(const Caller& caller) {
  switch (caller.kind) {
    case CallerKind::kAccount:
      return "account";
    case CallerKind::kTrunk:
      return "trunk";
    case CallerKind::kAnonymous:
      break;
  }
  return "anonymous caller";
}

Decision reject(uint16_t status, std::string_view reason) {
  Decision decision;
  decision.action = ActionKind::kReject;
  decision.status = status;
  decision.reason = reason.empty() ? std::string(config::status_phrase(status)) : reason;
  return decision;
}

}  // namespace

std::string_view action_name(ActionKind action) {
  switch (action) {
    case ActionKind::kLocal:
      return "local";
    case ActionKind::kTrunk:
      return "trunk";
    case ActionKind::kReject:
      break;
  }
  return "reject";
}

std::string Decision::summary() const {
  switch (action) {
    case ActionKind::kLocal:
      return "local " + number;
    case ActionKind::kTrunk:
      return "trunk " + trunk + " " + number;
    case ActionKind::kReject:
      break;
  }
  return "reject " + std::to_string(status) + " " + reason;
}

std::string rewrite(std::string_view to, const std::vector<std::string_view>& groups) {
  std::string out;
  for (size_t i = 0; i < to.size(); ++i) {
    if (to[i] != '$' || i + 1 >= to.size()) {
      out += to[i];
      continue;
    }
    const char next = to[++i];
    if (next == '$') {
      out += '$';
    } else if (next >= '0' && next <= '9') {
      const auto index = static_cast<size_t>(next - '0');
      if (index < groups.size()) out.append(groups[index]);
    } else {
      out += '$';
      out += next;
    }
  }
  return out;
}

Result<Dialplan, std::string> Dialplan::compile(const config::Config& config) {
  Dialplan dialplan;
  dialplan.rules_ = config.dialplan.rules;
  dialplan.trunks_ = config.trunks;
  dialplan.sources_ = config.sources;
  for (const config::Rule& rule : dialplan.rules_) {
    auto pattern = std::make_unique<RE2>(rule.match, pattern_options());
    if (!pattern->ok()) {
      return tl::unexpected(where(rule) + ": rule '" + rule.name +
                            "': the pattern does not compile: " + pattern->error());
    }
    dialplan.patterns_.push_back(std::move(pattern));
  }
  dialplan.numbering_ = config.dialplan.numbering;
  for (size_t i = 0; i < dialplan.rules_.size(); ++i) {
    const config::Rule& rule = dialplan.rules_[i];
    if (rule.action == config::RuleAction::kLocal && rule.callers.accounts) {
      dialplan.internal_rules_.push_back(i);
    }
  }
  if (!config.dialplan.internal_numbers.empty()) {
    dialplan.internal_numbers_ =
        std::make_unique<RE2>(config.dialplan.internal_numbers, pattern_options());
    if (!dialplan.internal_numbers_->ok()) {
      return tl::unexpected("dialplan.internal_numbers does not compile: " +
                            dialplan.internal_numbers_->error());
    }
  }
  for (const config::Trunk& trunk : dialplan.trunks_) {
    auto policy = CallerIdPolicy::make(trunk);
    if (!policy) {
      return tl::unexpected(trunk.where.file + ":" + std::to_string(trunk.where.line) +
                            ": trunk '" + trunk.name + "': " + policy.error());
    }
    dialplan.caller_ids_.push_back(std::move(*policy));
  }
  return dialplan;
}

Dialplan::Dialplan(Dialplan&&) noexcept = default;
Dialplan& Dialplan::operator=(Dialplan&&) noexcept = default;
Dialplan::~Dialplan() = default;

std::optional<std::string> Dialplan::trunk_at(const IpAddress& address) const {
  for (const config::Trunk& trunk : trunks_) {
    for (const Network& network : trunk.sources) {
      if (contains(network, address)) return trunk.name;
    }
  }
  return std::nullopt;
}

std::vector<std::string> Dialplan::categories_of(const IpAddress& address) const {
  std::vector<std::string> out;
  for (const config::SourceCategory& category : sources_) {
    const bool inside = std::any_of(category.networks.begin(), category.networks.end(),
                                    [&](const Network& n) { return contains(n, address); });
    if (inside) out.push_back(category.name);
  }
  return out;
}

const CallerIdPolicy* Dialplan::caller_id_policy(std::string_view trunk) const {
  for (size_t i = 0; i < trunks_.size(); ++i) {
    if (trunks_[i].name == trunk) return &caller_ids_[i];
  }
  return nullptr;
}

std::string Dialplan::normalized(std::string_view number) const {
  return normalize_number(number, numbering_);
}

bool Dialplan::looks_internal(std::string_view number, const IsLocalAccount& is_local) const {
  if (number.size() > kMaxNumberLength) return false;
  auto internal = [&](std::string_view candidate) {
    const re2::StringPiece piece(candidate.data(), candidate.size());
    if (internal_numbers_ && RE2::FullMatch(piece, *internal_numbers_)) return true;
    for (size_t i : internal_rules_) {
      if (RE2::FullMatch(piece, *patterns_[i])) return true;
    }
    return is_local && is_local(candidate);
  };
  if (internal(number)) return true;
  const std::string normal = normalized(number);
  return normal != number && internal(normal);
}

TrunkCallerId Dialplan::trunk_caller_id(std::string_view trunk, std::string_view number,
                                        std::string_view display_name,
                                        const IsLocalAccount& is_local) const {
  const CallerIdPolicy* policy = caller_id_policy(trunk);
  if (policy == nullptr) return TrunkCallerId{CallerIdVerdict::kAnonymous, anonymous_caller_id()};
  return policy->apply(number, display_name, [&](std::string_view candidate) {
    return looks_internal(candidate, is_local);
  });
}

bool Dialplan::admits(const config::Rule& rule, const CallRequest& request,
                      std::string* why) const {
  // The reason is written only when asked for (explain): the data path builds no text.
  auto refuse = [why](auto&& reason) {
    if (why != nullptr) *why = reason();
    return false;
  };
  const Caller& caller = request.caller;
  const config::Callers& callers = rule.callers;
  bool admitted = false;
  switch (caller.kind) {
    case CallerKind::kAccount:
      admitted = callers.accounts;
      break;
    case CallerKind::kAnonymous:
      admitted = callers.anonymous;
      break;
    case CallerKind::kTrunk:
      admitted = callers.any_trunk ||
                 std::count(callers.trunks.begin(), callers.trunks.end(), caller.name) != 0;
      break;
  }
  if (!admitted) {
    return refuse([&] {
      std::string who(caller_kind(caller));
      if (caller.kind == CallerKind::kTrunk) who += " " + caller.name;
      return "callers does not admit the caller (" + who + ")";
    });
  }
  if (!rule.groups.empty()) {
    const bool member = std::any_of(rule.groups.begin(), rule.groups.end(), [&](const auto& g) {
      return std::count(caller.groups.begin(), caller.groups.end(), g) != 0;
    });
    if (!member) {
      return refuse([&] { return "the caller is in none of the groups " + joined(rule.groups); });
    }
  }
  if (!rule.sources.empty()) {
    bool inside = false;
    if (request.source) {
      for (const config::SourceCategory& category : sources_) {
        if (std::count(rule.sources.begin(), rule.sources.end(), category.name) == 0) continue;
        inside =
            inside || std::any_of(category.networks.begin(), category.networks.end(),
                                  [&](const Network& n) { return contains(n, *request.source); });
      }
    }
    if (!inside) {
      return refuse([&] {
        return request.source ? "the source " + to_string(*request.source) +
                                    " is in none of the sources " + joined(rule.sources)
                              : "the source address is unknown and sources requires one of " +
                                    joined(rule.sources);
      });
    }
  }
  if (!rule.transports.empty() &&
      std::count(rule.transports.begin(), rule.transports.end(), request.transport) == 0) {
    return refuse([&] {
      return "the transport " + std::string(config::transport_name(request.transport)) +
             " is not one of transports";
    });
  }
  if (!rule.times.empty()) {
    const bool now =
        std::any_of(rule.times.begin(), rule.times.end(),
                    [&](const config::TimeWindow& w) { return w.contains(request.time); });
    if (!now) return refuse([&] { return to_string(request.time) + " is outside times"; });
  }
  return true;
}

Decision Dialplan::evaluate(const CallRequest& request, const IsLocalAccount& is_local,
                            bool explain) const {
  std::vector<std::string> trace;
  // Trace lines are built only with explain: `make` is called then and only then.
  auto note = [&](auto&& make) {
    if (!explain) return;
    std::string line = make();
    // Rewritten numbers carry bytes of the dialled one: no control byte reaches a terminal.
    for (char& c : line) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte < 0x20 || byte == 0x7f) c = '?';
    }
    trace.push_back(std::move(line));
  };
  auto finish = [&](Decision decision) {
    decision.trace = std::move(trace);
    return decision;
  };
  if (request.number.size() > kMaxNumberLength) {
    note([&] {
      return "the dialled number is longer than " + std::to_string(kMaxNumberLength) +
             " bytes: refused before any rule";
    });
    Decision decision = reject(404, "");
    decision.rule_name = "default";
    return finish(std::move(decision));
  }
  // RT-4: the rules see one form of each number, so that a bar written for the national form
  // holds for "+49...", "0049 ..." and "+49 (0)..." alike (numbering.h).
  const std::string normal = normalized(request.number);
  const std::string_view dialled = normal;
  if (dialled != request.number) {
    note([&] {
      return "the number is normalised to " + shown(dialled) +
             " (dialplan.country_code = " + numbering_.country_code + "): the rules see that";
    });
  }
  const re2::StringPiece number(dialled.data(), dialled.size());
  constexpr int kMaxGroups = 10;
  std::array<re2::StringPiece, kMaxGroups> groups;
  for (size_t i = 0; i < rules_.size(); ++i) {
    const config::Rule& rule = rules_[i];
    const RE2& pattern = *patterns_[i];
    auto head = [&] {
      return "rule " + std::to_string(i + 1) + " '" + rule.name + "' (" + where(rule) + "): ";
    };
    const int wanted = std::min(pattern.NumberOfCapturingGroups() + 1, kMaxGroups);
    if (!pattern.Match(number, 0, number.size(), RE2::ANCHOR_BOTH, groups.data(), wanted)) {
      note([&] {
        return head() + "passed over: " + shown(dialled) + " does not match " + rule.match;
      });
      continue;
    }
    std::string why;
    if (!admits(rule, request, explain ? &why : nullptr)) {
      note([&] { return detail::concat(head(), "passed over: the number matches, but ", why); });
      continue;
    }
    Decision decision;
    decision.rule = static_cast<int>(i);
    decision.rule_name = rule.name;
    decision.max_duration = rule.max_duration;
    decision.max_concurrent = rule.max_concurrent;
    decision.max_per_hour = rule.max_per_hour;
    if (rule.action == config::RuleAction::kReject) {
      Decision rejected = reject(rule.status, rule.reason);
      rejected.rule = decision.rule;
      rejected.rule_name = rule.name;
      note([&] { return head() + "decides: " + rejected.summary(); });
      return finish(std::move(rejected));
    }
    std::vector<std::string_view> captured;
    captured.reserve(static_cast<size_t>(wanted));
    for (int g = 0; g < wanted; ++g) captured.emplace_back(groups[g].data(), groups[g].size());
    decision.number = rewrite(rule.to, captured);
    if (decision.number.empty() || decision.number.size() > kMaxNumberLength) {
      Decision refused = reject(404, "");
      refused.rule = decision.rule;
      refused.rule_name = rule.name;
      note([&] {
        return head() + "matches, but its rewrite gives " +
               (decision.number.empty() ? std::string("an empty number") : "a number too long") +
               ": " + refused.summary();
      });
      return finish(std::move(refused));
    }
    if (rule.action == config::RuleAction::kLocal) {
      decision.action = ActionKind::kLocal;
      if (!is_local(decision.number)) {
        Decision missing = reject(404, "");
        missing.rule = decision.rule;
        missing.rule_name = rule.name;
        note([&] {
          return head() + "matches, but " + shown(decision.number) +
                 " is no local account: " + missing.summary();
        });
        return finish(std::move(missing));
      }
    } else {
      decision.action = ActionKind::kTrunk;
      decision.trunk = rule.trunk;
    }
    note([&] { return head() + "decides: " + decision.summary(); });
    return finish(std::move(decision));
  }

  // The built-in default: local accounts call each other; nothing else.
  Decision decision;
  if (request.caller.kind == CallerKind::kAccount && is_local(dialled)) {
    decision.action = ActionKind::kLocal;
    decision.number = std::string(dialled);
    note([&] {
      return "no rule decided; the default puts an authenticated account through to the local "
             "account " +
             shown(dialled);
    });
  } else if (request.caller.kind == CallerKind::kAnonymous) {
    decision = reject(403, "");
    decision.needs_authentication = true;
    note([&] {
      return "no rule decided; the default refuses every caller that is not an authenticated "
             "account (challenge it to authenticate)";
    });
  } else if (request.caller.kind == CallerKind::kTrunk) {
    // Whatever the number, the default never puts a trunk's call through: the reason to give
    // is the missing rule for the trunk, not the number (issue 13).
    decision = reject(404, "");
    note([&] {
      const std::string& trunk = request.caller.name;
      const bool admitted = std::any_of(rules_.begin(), rules_.end(), [&](const auto& rule) {
        return rule.callers.any_trunk ||
               std::count(rule.callers.trunks.begin(), rule.callers.trunks.end(), trunk) != 0;
      });
      if (!admitted) {
        return "no rule decided, and none admits calls from trunk " + trunk +
               ": the default connects only authenticated accounts, never a trunk's callers; "
               "add a rule for the numbers it delivers with callers = [\"trunk:" +
               trunk + "\"]";
      }
      return "no rule that admits trunk " + trunk + " matches " + shown(dialled) +
             ", and the default connects only authenticated accounts, never a trunk's callers; "
             "widen the pattern of the rule for its numbers if it should";
    });
  } else {
    decision = reject(404, "");
    note([&] {
      return "no rule decided; the default connects only local accounts, and " + shown(dialled) +
             " is no local account";
    });
  }
  decision.rule_name = "default";
  return finish(std::move(decision));
}

}  // namespace hardline::routing
