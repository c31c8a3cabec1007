#include "routing/analysis.h"

#include <algorithm>

#include "routing/bar_forms.h"
#include "routing/numbering.h"
#include "routing/regex_language.h"
#include "routing/text.h"

namespace hardline::routing {
namespace {

template <class T>
bool subset_of(const std::vector<T>& inner, const std::vector<T>& outer) {
  return std::all_of(inner.begin(), inner.end(), [&](const T& item) {
    return std::find(outer.begin(), outer.end(), item) != outer.end();
  });
}

// 'x' with what a terminal must not see replaced, for text from a pattern's example.
std::string printable_quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    out += byte < 0x20 || byte >= 0x7f ? '?' : c;
  }
  return out + "'";
}

std::string located(const config::Rule& rule) {
  return "'" + rule.name + "' (line " + std::to_string(rule.where.line) + ")";
}

}  // namespace

bool admits_all(const config::Rule& earlier, const config::Rule& later) {
  const config::Callers& a = earlier.callers;
  const config::Callers& b = later.callers;
  if ((b.accounts && !a.accounts) || (b.anonymous && !a.anonymous) ||
      (b.any_trunk && !a.any_trunk)) {
    return false;
  }
  if (!a.any_trunk && !subset_of(b.trunks, a.trunks)) return false;
  // A rule with groups admits accounts only (the loader enforces it).
  if (!earlier.groups.empty() &&
      (later.groups.empty() || !subset_of(later.groups, earlier.groups))) {
    return false;
  }
  if (!earlier.sources.empty() &&
      (later.sources.empty() || !subset_of(later.sources, earlier.sources))) {
    return false;
  }
  if (!earlier.transports.empty() &&
      (later.transports.empty() || !subset_of(later.transports, earlier.transports))) {
    return false;
  }
  if (!earlier.times.empty() && (later.times.empty() || !subset_of(later.times, earlier.times))) {
    return false;
  }
  return true;
}

std::string_view severity_name(Severity severity) {
  switch (severity) {
    case Severity::kWarning:
      return "warning";
    case Severity::kNote:
      return "note";
    case Severity::kError:
      break;
  }
  return "error";
}

std::string Finding::to_string() const {
  return where.file + ":" + std::to_string(where.line) + ": " +
         std::string(severity_name(severity)) + ": " + message;
}

std::vector<Finding> check_dialplan(const config::Config& config,
                                    const std::optional<std::set<std::string>>& known_groups) {
  std::vector<Finding> findings;
  const auto& rules = config.dialplan.rules;
  std::vector<std::optional<Language>> languages;
  languages.reserve(rules.size());
  for (const config::Rule& rule : rules) languages.push_back(Language::parse(rule.match));

  // With normalisation, numbers in these forms never reach a rule.
  std::optional<Language> rewritten;
  if (normalises(config.dialplan.numbering)) {
    rewritten = Language::parse(changed_numbers_pattern(config.dialplan.numbering));
  }
  const std::vector<BarWalkaround> walkarounds = find_bar_walkarounds(config);
  // Every string made only of what dialled numbers hold (numbering.h).
  const std::optional<Language> dialled =
      Language::parse("[" + dialled_characters(config.dialplan.numbering) + "]*");

  std::optional<Language> cached_union;
  std::vector<size_t> cached_members;
  for (size_t j = 0; j < rules.size(); ++j) {
    const config::Rule& rule = rules[j];
    auto report = [&](Severity severity, std::string message) {
      findings.push_back(Finding{severity, rule.where, rule.name, std::move(message)});
    };
    const std::string named = "rule '" + rule.name + "'";
    if (!languages[j]) {
      report(Severity::kNote, named +
                                  ": its pattern uses syntax beyond what the check "
                                  "analyses (flags, \\b, \\p, POSIX classes, or a very "
                                  "large repeat), so shadowing was not checked; test it "
                                  "with `hardline dialplan test`");
    } else if (languages[j]->empty()) {
      report(Severity::kError, named + " can never match: its pattern " + rule.match +
                                   " matches no number at all; fix the pattern or remove "
                                   "the rule");
    } else if (const Language * of[] = {rewritten ? &*rewritten : nullptr};
               rewritten && is_subset(*languages[j], of) == std::optional<bool>(true)) {
      report(Severity::kError,
             named + " can never match: numbers are normalised to " +
                 describe_numbering(config.dialplan.numbering) +
                 " before any rule, and every number its pattern " + rule.match +
                 " matches is one normalisation rewrites; write it for the normalised form "
                 "(e.g. 030... rather than +4930... or 004930...)");
    } else if (dialled && intersects(*languages[j], *dialled) == std::optional<bool>(false)) {
      // Issue 13: '0[1-9][0-9]\{5,13\}' is valid, and matches only text no phone sends.
      const std::string example = languages[j]->example().value_or("");
      auto odd = std::find_if(example.begin(), example.end(), [&](char c) {
        return !is_dialled_character(c, config.dialplan.numbering);
      });
      const std::string culprit =
          odd == example.end() ? std::string() : printable_quoted(std::string_view(&*odd, 1));
      // An escaped brace is most likely a repeat written as text.
      const bool brace = odd != example.end() && (*odd == '{' || *odd == '}');
      report(Severity::kWarning,
             detail::concat(named, " can never match a dialled number: every number its pattern ",
                            rule.match, " matches contains a character no dialled number has (",
                            culprit, " in ", printable_quoted(example),
                            "); dialled numbers hold only ",
                            describe_dialled_characters(config.dialplan.numbering), ": ",
                            brace ? "for a repeat write the braces unescaped, e.g. [0-9]{5,13}; "
                                    "else remove the rule"
                                  : "take that character out of the pattern (or make it "
                                    "optional), or remove the rule"));
    } else {
      std::vector<const config::Rule*> covering;
      std::vector<const Language*> covering_languages;
      std::vector<size_t> members;
      for (size_t i = 0; i < j; ++i) {
        if (!languages[i] || languages[i]->empty() || !admits_all(rules[i], rule)) continue;
        covering.push_back(&rules[i]);
        covering_languages.push_back(&*languages[i]);
        members.push_back(i);
      }
      // First whether the earlier rules together cover it (one automaton for their union);
      // only then which of them: one alone when one does, else those that share numbers with it.
      std::vector<const config::Rule*> culprits;
      // Successive rules usually have the same earlier rules plus one: extend the union built
      // for the previous rule rather than build it again.
      const bool extends =
          cached_union && members.size() >= cached_members.size() &&
          std::equal(cached_members.begin(), cached_members.end(), members.begin());
      if (!extends) {
        cached_union = Language::combine({});
        cached_members.clear();
      }
      for (size_t k = cached_members.size(); k < members.size() && cached_union; ++k) {
        if (!cached_union->add_to_union(*languages[members[k]])) cached_union.reset();
        cached_members.push_back(members[k]);
      }
      const Language* union_of[] = {cached_union ? &*cached_union : nullptr};
      if (!covering.empty() && cached_union &&
          is_subset(*languages[j], union_of) == std::optional<bool>(true)) {
        for (size_t k = 0; k < covering.size() && culprits.empty(); ++k) {
          const Language* one[] = {covering_languages[k]};
          if (is_subset(*languages[j], one) == std::optional<bool>(true)) {
            culprits.push_back(covering[k]);
          }
        }
        if (culprits.empty()) {
          for (size_t k = 0; k < covering.size(); ++k) {
            if (intersects(*languages[j], *covering_languages[k]) != std::optional<bool>(false)) {
              culprits.push_back(covering[k]);
            }
          }
        }
      }
      if (!culprits.empty()) {
        std::string names;
        for (size_t k = 0; k < culprits.size() && k < 6; ++k) {
          names += (names.empty() ? "" : ", ") + located(*culprits[k]);
        }
        if (culprits.size() > 6) names += " and others";
        report(Severity::kError,
               detail::concat(named,
                              " can never decide a call: every number it matches is matched "
                              "first by ",
                              culprits.size() == 1 ? "rule " : "rules ", names,
                              culprits.size() == 1 ? ", which admits" : ", which admit",
                              " every caller it admits; move it above ",
                              culprits.size() == 1 ? "that rule" : "them",
                              ", narrow the earlier pattern, or remove it"));
      }
    }
    if (known_groups) {
      for (const std::string& group : rule.groups) {
        if (known_groups->count(group) == 0) {
          report(Severity::kWarning,
                 detail::concat(named, " names group '", group,
                                "', which no account is in yet: add it with `hardline user "
                                "groups EXT --set ",
                                group, "`, or fix the spelling"));
        }
      }
    }
    for (const BarWalkaround& walkaround : walkarounds) {
      if (walkaround.trunk_rule == &rule) report(Severity::kWarning, walkaround.message());
    }
    const config::Callers& callers = rule.callers;
    if (!callers.accounts && !callers.anonymous && !callers.any_trunk && !callers.trunks.empty()) {
      const bool none_recognised =
          std::all_of(callers.trunks.begin(), callers.trunks.end(), [&](const std::string& name) {
            auto trunk = std::find_if(config.trunks.begin(), config.trunks.end(),
                                      [&](const config::Trunk& t) { return t.name == name; });
            return trunk == config.trunks.end() || trunk->sources.empty();
          });
      if (none_recognised) {
        report(Severity::kWarning,
               named +
                   " admits only calls from trunks that have no sources, so no call is "
                   "ever recognised as coming from them: add the provider's addresses to "
                   "the trunk's sources");
      }
    }
  }
  // Issue 13: a trunk with sources is recognised, and then refused by the default unless some
  // rule admits it. (A rule that admits it but cannot match is reported above.)
  for (const config::Trunk& trunk : config.trunks) {
    if (trunk.sources.empty()) continue;
    const bool admitted = std::any_of(rules.begin(), rules.end(), [&](const config::Rule& rule) {
      return rule.callers.any_trunk ||
             std::count(rule.callers.trunks.begin(), rule.callers.trunks.end(), trunk.name) != 0;
    });
    if (admitted) continue;
    findings.push_back(Finding{
        Severity::kWarning, trunk.where, "",
        detail::concat("trunk '", trunk.name,
                       "' has sources, so calls from its addresses are recognised as its, but no "
                       "rule admits it: every call it delivers is refused (404); add a rule for "
                       "the numbers it delivers with callers = [\"trunk:",
                       trunk.name,
                       "\"] (docs/dialplan.md), or remove its sources if it never calls in")});
  }
  return findings;
}

DialplanReview review_dialplan(const config::Config& config,
                               const std::optional<std::set<std::string>>& known_groups) {
  DialplanReview review;
  review.findings = check_dialplan(config, known_groups);
  for (const Finding& finding : review.findings) {
    review.errors += finding.severity == Severity::kError ? 1 : 0;
    review.warnings += finding.severity == Severity::kWarning ? 1 : 0;
  }
  return review;
}

}  // namespace hardline::routing
