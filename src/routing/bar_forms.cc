#include "routing/bar_forms.h"

#include <cstdio>
#include <optional>

#include "routing/analysis.h"
#include "routing/numbering.h"
#include "routing/regex_language.h"

namespace hardline::routing {
namespace {

// A pattern for exactly `text`, whatever bytes it holds.
std::string literal(std::string_view text) {
  std::string out;
  for (char c : text) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02X", static_cast<unsigned>(static_cast<unsigned char>(c)));
    out += hex;
  }
  return out;
}

// Service codes phones and networks put before a number: *31#, #31#, *67#...
constexpr std::string_view kServiceCode = R"([*#][0-9*]{1,6}#)";

// The other forms of the numbers `bar` refuses in national form, or nullopt when a pattern is
// beyond the analysis.
std::optional<Language> other_forms(const Language& bar, const config::Numbering& numbering) {
  // What the bar refuses after its national prefix and a first digit 1-9: its national numbers
  // only, not its international ones ("0" + "0881...").
  std::optional<Language> national = bar;
  if (!numbering.national_prefix.empty()) {
    national = Language::combine({});
    for (char digit = '1'; digit <= '9' && national; ++digit) {
      const std::string first(1, digit);
      auto start = Language::parse(first);
      auto part = Language::concat(*start, bar.after(numbering.national_prefix + first));
      if (!part || !national->add_to_union(*part)) national.reset();
    }
    if (!national) return std::nullopt;
  }
  const std::string country = numbering.country_code.empty() ? std::string("[1-9][0-9]{0,2}")
                                                             : literal(numbering.country_code);
  std::string international = "(?:" + literal(numbering.international_prefix) + "|\\+)" + country;
  if (!numbering.national_prefix.empty()) {
    international += "(?:" + literal(numbering.national_prefix) + ")*";
  }
  const auto prefix = Language::parse(international);
  const auto service = Language::parse(kServiceCode);
  if (!prefix || !service) return std::nullopt;
  auto written_internationally = Language::concat(*prefix, *national);
  if (!written_internationally) return std::nullopt;
  // Behind a service code: the national form and the international ones.
  auto after_code = Language::combine({});
  if (!after_code || !after_code->add_to_union(bar) ||
      !after_code->add_to_union(*written_internationally)) {
    return std::nullopt;
  }
  auto coded = Language::concat(*service, *after_code);
  if (!coded) return std::nullopt;
  if (normalises(numbering)) return coded;  // the international forms are normalised away
  auto forms = Language::combine({});
  if (!forms || !forms->add_to_union(*written_internationally) || !forms->add_to_union(*coded)) {
    return std::nullopt;
  }
  return forms;
}

}  // namespace

std::string BarWalkaround::message() const {
  return "rule '" + trunk_rule->name + "' sends numbers to trunk '" + trunk_rule->trunk +
         "' that rule '" + bar->name + "' (line " + std::to_string(bar->where.line) +
         ") refuses in national form, written another way (e.g. " + example +
         "): set dialplan.country_code so that numbers are normalised before any rule, or bar "
         "the international and service-code forms too";
}

std::vector<BarWalkaround> find_bar_walkarounds(const config::Config& config) {
  std::vector<BarWalkaround> out;
  const auto& rules = config.dialplan.rules;
  const config::Numbering& numbering = config.dialplan.numbering;
  std::vector<std::optional<Language>> languages;
  languages.reserve(rules.size());
  for (const config::Rule& rule : rules) languages.push_back(Language::parse(rule.match));
  // Computed once per bar, when a trunk rule needs it.
  std::vector<std::optional<std::optional<Language>>> forms(rules.size());

  for (size_t t = 0; t < rules.size(); ++t) {
    const config::Rule& trunk_rule = rules[t];
    if (trunk_rule.action != config::RuleAction::kTrunk || !languages[t]) continue;
    // The bars of this rule: reject rules before it that refuse every caller it admits.
    std::vector<size_t> bars;
    for (size_t b = 0; b < t; ++b) {
      if (rules[b].action == config::RuleAction::kReject && languages[b] &&
          admits_all(rules[b], trunk_rule)) {
        bars.push_back(b);
      }
    }
    for (size_t b : bars) {
      if (!forms[b]) forms[b] = other_forms(*languages[b], numbering);
      if (!*forms[b]) continue;
      const auto shared = shared_example(*languages[t], **forms[b]);
      if (!shared || !*shared) continue;
      // A form another bar refuses first is no walk-around (the example must go through).
      const auto number = Language::parse(literal(**shared));
      bool barred = false;
      for (size_t other : bars) {
        barred = barred || intersects(*languages[other], *number) != std::optional<bool>(false);
      }
      if (barred) continue;
      out.push_back(BarWalkaround{&trunk_rule, &rules[b], **shared});
      break;  // one finding per trunk rule: the fix is the same for every bar
    }
  }
  return out;
}

}  // namespace hardline::routing
