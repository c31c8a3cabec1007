#pragma once
// `hardline dialplan check`: what is wrong with a dialplan that loads. The loader has already
// refused what is invalid (config/); this finds what is valid but cannot be what the operator
// meant, each with the rule's file:line:
//   - error: a pattern that matches no number at all;
//   - error: a rule that can never decide a call because earlier rules, which admit every
//     caller it admits, together match every number it matches (it is shadowed);
//   - warning: a group no account is in (when the accounts are known);
//   - warning: a rule that only admits trunks which have no sources (no call is ever recognised
//     as coming from them);
//   - warning: a pattern whose every match holds a character no dialled number has (numbering.h:
//     '0[1-9][0-9]\{5,13\}'): it can never match a number;
//   - warning (after the rules' findings, with an empty `rule`): a trunk with sources that no
//     rule admits, so every call it delivers is refused;
//   - note: a pattern outside the subset the analysis decides (see regex_language.h): nothing
//     is claimed about it.
// Every error is certain: the analysis reports only what it has proved.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"

namespace hardline::routing {

enum class Severity : uint8_t { kError, kWarning, kNote };
std::string_view severity_name(Severity severity);  // "error", "warning", "note"

struct Finding {
  Severity severity = Severity::kError;
  config::Origin where;
  std::string rule;
  std::string message;

  // "FILE:LINE: error: rule 'x' ..."
  std::string to_string() const;
};

// `known_groups`: every group some account is in, or nullopt when the accounts are unknown
// (no database), which skips that check. Findings come in rule order. Also:
//   - error: with dialplan.country_code set, a rule whose pattern matches only numbers that
//     normalisation rewrites ("\+49.*", "0049.*"): no rule ever sees one;
//   - warning: a trunk rule that takes another form of a number a bar before it refuses in
//     national form (bar_forms.h).
std::vector<Finding> check_dialplan(const config::Config& config,
                                    const std::optional<std::set<std::string>>& known_groups);

// What `hardline dialplan check` prints and `hardline serve` logs before it binds anything: the
// findings of check_dialplan() and their counts. Any error fails the check (exit 1) and stops
// serve (exit 2): both call this, so that serve never runs a dialplan check rejects.
struct DialplanReview {
  std::vector<Finding> findings;
  size_t errors = 0;
  size_t warnings = 0;
};
DialplanReview review_dialplan(const config::Config& config,
                               const std::optional<std::set<std::string>>& known_groups);

// Whether `earlier` admits every request `later` admits (patterns aside). Sound, not complete:
// false when unsure.
bool admits_all(const config::Rule& earlier, const config::Rule& later);

}  // namespace hardline::routing
