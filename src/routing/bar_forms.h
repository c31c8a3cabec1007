#pragma once
// Bars that can be walked around (checklist RT-4, issue 12): a reject rule that refuses
// "0900..." before the trunk rules protects nothing when a trunk rule after it takes "0049900..."
// or "+49900...", the same number written internationally, or "*31#0900...", the same number
// behind a service code. For each trunk rule this finds the reject rules before it that refuse
// every caller it admits (its bars), and asks the automata (regex_language.h) whether the trunk
// rule matches another form of a number such a bar refuses in national form:
//
//   - international forms: the international prefix or '+', a country code (the configured one,
//     or any when dialplan.country_code is unset), optionally the national prefix again, then
//     what the bar refuses after its national prefix;
//   - any of these, or the national form, behind a service code ([*#] digits #, like *31#).
//
// With dialplan.country_code set, numbers are normalised before the rules (numbering.h), so the
// international forms of the own country never reach a rule; only the service-code forms are
// checked then. A finding is certain for the example it gives; patterns beyond the analysed
// subset are skipped (no claim).

#include <string>
#include <vector>

#include "config/config.h"

namespace hardline::routing {

struct BarWalkaround {
  const config::Rule* trunk_rule = nullptr;
  const config::Rule* bar = nullptr;
  std::string example;  // a number the trunk rule takes that the bar refuses in another form

  // "rule 'international' sends numbers to trunk 'provider' that rule 'premium' (line 40)
  // refuses in national form, written another way (e.g. 0019000000)"
  std::string message() const;
};

// Every walk-around, in rule order (one per trunk rule and bar at most).
std::vector<BarWalkaround> find_bar_walkarounds(const config::Config& config);

}  // namespace hardline::routing
