#include "routing/analysis.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <string>
#include <vector>

#include "routing/bar_forms.h"
#include "unit/routing/test_support.h"

namespace hardline::routing {
namespace {

using testing::config_of;

const std::string kTrunk = R"(
[sources]
office = ["10.0.0.0/8"]
lab = ["192.168.0.0/16"]

[[trunk]]
name = "provider"
host = "sip.provider.example"
sources = ["198.51.100.0/24"]
)";

std::string rule(const std::string& name, const std::string& match, const std::string& extra = "",
                 const std::string& action = "action = \"reject\"") {
  return "\n[[dialplan.rule]]\nname = \"" + name + "\"\nmatch = '" + match + "'\n" + action + "\n" +
         extra + "\n";
}

// "rule:severity" of each finding, in order.
std::vector<std::string> findings_of(const std::string& rules,
                                     std::optional<std::set<std::string>> groups = std::nullopt) {
  std::vector<std::string> out;
  for (const Finding& finding : check_dialplan(config_of(kTrunk + rules), groups)) {
    // kTrunk's provider has sources, and most tables give it no inbound rule: that warning is
    // tested on its own (TrunksWithSourcesThatNoRuleAdmitsAreWarned).
    if (finding.rule.empty() && finding.message.starts_with("trunk 'provider' has sources")) {
      continue;
    }
    out.push_back(finding.rule + ":" + std::string(severity_name(finding.severity)));
  }
  return out;
}

using Findings = std::vector<std::string>;

TEST(CheckDialplan, ReportsShadowedRulesOnlyWhenCertain) {
  struct Case {
    const char* what;
    std::string rules;
    Findings expected;
  };
  const std::string dialout = "groups = [\"dialout\"]";
  const std::vector<Case> cases = {
      {"a general rule before a specific one",
       rule("any", "[0-9]+") + rule("one", "1234"),
       {"one:error"}},
      {"the specific rule first is fine", rule("one", "1234") + rule("any", "[0-9]+"), {}},
      {"two earlier rules together",
       rule("zero", "0") + rule("more", "0[0-9]+") + rule("all", "0[0-9]*"),
       {"all:error"}},
      {"an earlier rule for fewer callers does not shadow",
       rule("dialout", "0[0-9]+", dialout) + rule("others", "0[0-9]+"),
       {}},
      {"an earlier rule for more callers does",
       rule("everyone", "0[0-9]+") + rule("dialout", "0[0-9]+", dialout),
       {"dialout:error"}},
      {"sources narrower earlier: no claim",
       rule("office", "0[0-9]+", "sources = [\"office\"]") + rule("any", "0[0-9]+"),
       {}},
      {"sources equal: shadowed",
       rule("office", "0[0-9]+", "sources = [\"office\"]") +
           rule("office2", "0[0-9]{3}", "sources = [\"office\"]"),
       {"office2:error"}},
      {"other sources: no claim",
       rule("office", "0[0-9]+", "sources = [\"office\"]") +
           rule("lab", "0[0-9]+", "sources = [\"lab\"]"),
       {}},
      {"times narrower earlier: no claim",
       rule("day", "0[0-9]+", "times = [\"Mon-Fri 08:00-18:00\"]") + rule("any", "0[0-9]+"),
       {}},
      {"transports narrower earlier: no claim",
       rule("tls", "0[0-9]+", "transports = [\"tls\"]") + rule("any", "0[0-9]+"),
       {}},
      {"callers differ: no claim",
       rule("anon", "0[0-9]+", "callers = [\"anonymous\"]") + rule("accounts", "0[0-9]+"),
       {}},
      {"callers superset earlier: shadowed",
       rule("all", "0[0-9]+", "callers = [\"account\", \"anonymous\"]") +
           rule("accounts", "0[0-9]+"),
       {"accounts:error"}},
      {"a pattern that matches nothing", rule("never", "0^1"), {"never:error"}},
      {"a pattern beyond the subset is noted, not judged",
       rule("any", "[0-9]+") + rule("flags", "(?i)1234"),
       {"flags:note"}},
      {"a pattern that matches nothing shadows nothing",
       rule("never", "1$2") + rule("one", "12"),
       {"never:error"}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(findings_of(c.rules), c.expected) << c.what;
  }
}

TEST(CheckDialplan, ShadowingMessageNamesTheRulesAndTheirLines) {
  // kTrunk + rule("did", ...) admits the trunk: no warning about it.
  const auto findings =
      check_dialplan(config_of(kTrunk + rule("any", "[0-9]+") + rule("one", "1234") +
                               rule("did", "555", "callers = [\"trunk:provider\"]")),
                     std::nullopt);
  ASSERT_EQ(findings.size(), 1U);
  EXPECT_EQ(findings[0].where.file, "/etc/hardline/hardline.toml");
  EXPECT_EQ(findings[0].where.line, 20U);
  EXPECT_NE(findings[0].message.find("rule 'any' (line 14)"), std::string::npos)
      << findings[0].message;
  EXPECT_EQ(findings[0].to_string().rfind("/etc/hardline/hardline.toml:20: error: rule 'one'", 0),
            0U)
      << findings[0].to_string();
}

TEST(CheckDialplan, UnknownGroupsAreWarningsWhenTheAccountsAreKnown) {
  const std::string rules = rule("out", "0[0-9]+", "groups = [\"dialout\", \"sales\"]",
                                 "action = \"trunk\"\ntrunk = \"provider\"");
  EXPECT_EQ(findings_of(rules), Findings{});
  EXPECT_EQ(findings_of(rules, std::set<std::string>{"dialout"}), Findings{"out:warning"});
  EXPECT_EQ(findings_of(rules, std::set<std::string>{"dialout", "sales"}), Findings{});
}

TEST(CheckDialplan, RulesForTrunksWithoutSourcesAreWarned) {
  const std::string rules = R"(
[[trunk]]
name = "mute"
host = "192.0.2.50"

[[dialplan.rule]]
name = "from-mute"
match = '[0-9]+'
action = "local"
callers = ["trunk:mute"]
)";
  EXPECT_EQ(findings_of(rules), Findings{"from-mute:warning"});
}

// Issue 13: a trunk whose calls are recognised (it has sources) but that no rule admits has
// every call refused; `dialplan check` said nothing.
TEST(CheckDialplan, TrunksWithSourcesThatNoRuleAdmitsAreWarned) {
  const std::string did =
      "\n[[dialplan.rule]]\nname = \"did\"\nmatch = '0301234[0-9]{2}'\n"
      "action = \"local\"\nto = \"1000\"\n";
  struct Case {
    std::string what;
    std::string routing;
    std::vector<std::string> warned;  // the trunks warned about, in order
  };
  const std::vector<Case> cases = {
      {"sources and no rule", kTrunk, {"provider"}},
      {"sources and a rule for accounts only", kTrunk + did, {"provider"}},
      {"a rule for this trunk", kTrunk + did + "callers = [\"trunk:provider\"]\n", {}},
      {"a rule for any trunk", kTrunk + did + "callers = [\"trunk\"]\n", {}},
      {"a rule for this trunk among others",
       kTrunk + did +
           "callers = [\"account\", "
           "\"trunk:provider\"]\n",
       {}},
      {"no sources: nothing recognised, nothing to warn about",
       "[[trunk]]\nname = \"quiet\"\nhost = \"192.0.2.1\"\n",
       {}},
      {"two trunks, one admitted",
       kTrunk +
           "[[trunk]]\nname = \"second\"\nhost = \"192.0.2.1\"\nsources = "
           "[\"192.0.2.0/24\"]\n" +
           did + "callers = [\"trunk:second\"]\n",
       {"provider"}},
  };
  for (const Case& c : cases) {
    std::vector<std::string> warned;
    for (const Finding& finding : check_dialplan(config_of(c.routing), std::nullopt)) {
      if (!finding.rule.empty()) continue;
      EXPECT_EQ(finding.severity, Severity::kWarning) << c.what;
      const size_t quote = finding.message.find('\'');
      warned.push_back(
          finding.message.substr(quote + 1, finding.message.find('\'', quote + 1) - quote - 1));
    }
    EXPECT_EQ(warned, c.warned) << c.what;
  }
  // The message: the trunk's own line, what happens to its calls, and the fix.
  const auto findings = check_dialplan(config_of(kTrunk), std::nullopt);
  ASSERT_EQ(findings.size(), 1U);
  EXPECT_EQ(findings[0].to_string(),
            "/etc/hardline/hardline.toml:9: warning: trunk 'provider' has sources, so calls from "
            "its addresses are recognised as its, but no rule admits it: every call it delivers "
            "is refused (404); add a rule for the numbers it delivers with callers = "
            "[\"trunk:provider\"] (docs/dialplan.md), or remove its sources if it never calls "
            "in");
}

// Issue 13: a pattern whose every match holds a character that no dialled number has (a
// literal brace, a comma) can never match a call; the loader catches the unclosed '{', this
// the rest.
TEST(CheckDialplan, PatternsOnlyForCharactersNoDialledNumberHasAreWarned) {
  const std::string odd = "warning: rule 'r' can never match a dialled number";
  const std::string rewritten = "error: rule 'r' can never match: numbers are normalised";
  struct Case {
    std::string match;
    std::string numbering;  // "" or kGermany
    std::string says;       // "": no finding
  };
  const std::string germany = "\n[dialplan]\ncountry_code = \"49\"\n";
  const std::vector<Case> cases = {
      {R"(0[1-9][0-9]\{5,13\})", "", odd},  // a literal brace
      {"0[1-9][0-9]{5,13}", "", ""},
      {"[0-9]+,[0-9]+", "", odd},  // a comma
      {"[0-9]+[,;]?", "", ""},     // the comma is optional
      {"1000|\\{x\\}", "", ""},    // one branch matches numbers
      {"[*#][0-9]{2}#", "", ""},
      {"\\+49[0-9]+", "", ""},
      {"alice|bob", "", ""},                   // letters: SIP names
      {"0[0-9]+ [0-9]+", "", ""},              // separators reach the rules as dialled...
      {"0[0-9]+ [0-9]+", germany, rewritten},  // ...unless normalisation removes them first
      {"0[0-9]+/[0-9]+", germany, rewritten},
      {"0[0-9]+", germany, ""},
      {"[^0-9A-Za-z*#+]+", germany, odd},
      {"[^0-9]+", germany, ""},  // letters and '*' are not digits
      {"\\x00", "", odd},
  };
  for (const Case& c : cases) {
    const std::string routing = "\n[[dialplan.rule]]\nname = \"r\"\nmatch = '" + c.match +
                                "'\naction = \"reject\"\n" + c.numbering;
    std::string found;
    for (const Finding& finding : check_dialplan(config_of(routing), std::nullopt)) {
      found += finding.to_string() + "\n";
    }
    if (c.says.empty()) {
      EXPECT_EQ(found, "") << c.match;
    } else {
      EXPECT_NE(found.find(c.says), std::string::npos) << c.match << ": " << found;
      EXPECT_EQ(std::count(found.begin(), found.end(), '\n'), 1) << c.match << ": " << found;
    }
  }
  const auto findings =
      check_dialplan(config_of("\n[[dialplan.rule]]\nname = \"r\"\nmatch = '0[0-9]\\{5,13\\}'\n"
                               "action = \"reject\"\n"),
                     std::nullopt);
  ASSERT_EQ(findings.size(), 1U);
  EXPECT_EQ(findings[0].to_string(),
            "/etc/hardline/hardline.toml:5: warning: rule 'r' can never match a dialled number: "
            "every number its pattern 0[0-9]\\{5,13\\} matches contains a character no dialled "
            "number has ('{' in '02{5,13}'); dialled numbers hold only digits, letters, '*', "
            "'#', '+' and the separators ' ', '-', '.', '(', ')', '/': for a repeat write the "
            "braces unescaped, e.g. [0-9]{5,13}; else remove the rule");
  // Another character: take it out.
  const auto comma =
      check_dialplan(config_of("\n[[dialplan.rule]]\nname = \"r\"\nmatch = '[0-9]+,[0-9]+'\n"
                               "action = \"reject\"\n"),
                     std::nullopt);
  ASSERT_EQ(comma.size(), 1U);
  EXPECT_NE(comma[0].message.find("(',' in '0,0'); "), std::string::npos) << comma[0].message;
  EXPECT_NE(comma[0].message.find("take that character out of the pattern (or make it optional)"),
            std::string::npos)
      << comma[0].message;
}

// What `dialplan check` prints and `serve` refuses to start on: check_dialplan()'s findings and
// their counts, one function for both.
TEST(ReviewDialplan, CountsWhatStopsTheServer) {
  struct Case {
    std::string what;
    std::string rules;
    size_t errors;
    size_t warnings;
  };
  const std::vector<Case> cases = {
      {"clean (the trunk admitted)", rule("did", "555", "callers = [\"trunk:provider\"]"), 0, 0},
      {"a trunk no rule admits", "", 0, 1},
      {"a shadowed rule", rule("any", "[0-9]+") + rule("one", "1234"), 1, 1},
      {"a pattern that matches nothing", rule("never", "1^2"), 1, 1},
  };
  for (const Case& c : cases) {
    const DialplanReview review = review_dialplan(config_of(kTrunk + c.rules), std::nullopt);
    EXPECT_EQ(review.errors, c.errors) << c.what;
    EXPECT_EQ(review.warnings, c.warnings) << c.what;
    EXPECT_EQ(review.findings.size(), c.errors + c.warnings) << c.what;
  }
}

const std::string kGermany = "\n[dialplan]\ncountry_code = \"49\"\n";
const std::string kDialout = "groups = [\"dialout\"]";
const std::string kToTrunk = "action = \"trunk\"\ntrunk = \"provider\"";

TEST(CheckDialplan, WarnsWhenATrunkRuleTakesABarredNumberWrittenAnotherWay) {
  struct Case {
    const char* what;
    std::string plan;
    Findings expected;
  };
  const std::string premium = rule("premium", "0(900|137)[0-9]*");
  const std::vector<Case> cases = {
      {"without a country code, 0049 900 walks around a national bar",
       premium + rule("international", "00([1-9][0-9]{6,14})", kDialout, kToTrunk),
       {"international:warning"}},
      {"and so does +49 900",
       premium + rule("plus", "\\+([1-9][0-9]{6,14})", kDialout, kToTrunk),
       {"plus:warning"}},
      {"with a country code, numbers are normalised first",
       kGermany + premium + rule("international", "00([1-9][0-9]{6,14})", kDialout, kToTrunk),
       {}},
      {"a trunk rule that takes service codes walks around it even so",
       kGermany + premium + rule("anything", "[*#0-9]+", kDialout, kToTrunk),
       {"anything:warning"}},
      {"unless service codes are barred too",
       kGermany + premium + rule("codes", "[*#][0-9*]{1,6}#.*") +
           rule("anything", "[*#0-9]+", kDialout, kToTrunk),
       {}},
      {"a bar that barred the international forms too",
       premium + rule("abroad", "00(49|[1-9][0-9]{0,2})0*(900|137)[0-9]*") +
           rule("international", "00([1-9][0-9]{6,14})", kDialout, kToTrunk),
       {}},
      {"a national trunk rule takes no international form",
       premium + rule("national", "0[1-9][0-9]{5,13}", kDialout, kToTrunk),
       {}},
      {"a reject rule after the trunk rule is no bar for it",
       rule("international", "00([1-9][0-9]{6,14})", kDialout, kToTrunk) + premium,
       {}},
      {"a reject rule for fewer callers is no bar for it",
       rule("premium", "0(900|137)[0-9]*", "sources = [\"lab\"]") +
           rule("international", "00([1-9][0-9]{6,14})", kDialout, kToTrunk),
       {}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(findings_of(c.plan), c.expected) << c.what;
  }
}

TEST(CheckDialplan, WalkAroundMessageGivesAnExampleAndTheFix) {
  const auto config = config_of(kTrunk + rule("premium", "0900[0-9]*") +
                                rule("international", "00([1-9][0-9]{6,14})", kDialout, kToTrunk));
  const auto found = find_bar_walkarounds(config);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].trunk_rule->name, "international");
  EXPECT_EQ(found[0].bar->name, "premium");
  // 00, a country code, then what the bar refuses after its 0.
  EXPECT_TRUE(RE2::FullMatch(found[0].example, "00[1-9][0-9]{0,2}0*900[0-9]*")) << found[0].example;
  const std::string message = found[0].message();
  EXPECT_NE(message.find("rule 'international' sends numbers to trunk 'provider' that rule "
                         "'premium' (line "),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("dialplan.country_code"), std::string::npos) << message;
}

TEST(CheckDialplan, RulesOnlyForNumbersThatNormalisationRewritesCanNeverMatch) {
  const std::string did = "callers = [\"trunk:provider\"]";
  const std::string local = "action = \"local\"\nto = \"1001\"";
  EXPECT_EQ(findings_of(kGermany + rule("did", "\\+4930123(4[0-9])", did, local)),
            Findings{"did:error"});
  EXPECT_EQ(findings_of(kGermany + rule("did", "004930123(4[0-9])", did, local)),
            Findings{"did:error"});
  EXPECT_EQ(findings_of(kGermany + rule("spaced", "030 123", did, local)),
            Findings{"spaced:error"});
  // The national form, or a pattern for both: fine.
  EXPECT_EQ(findings_of(kGermany + rule("did", "030123(4[0-9])", did, local)), Findings{});
  EXPECT_EQ(findings_of(kGermany + rule("did", "(\\+49|0)30123(4[0-9])", did, local)), Findings{});
  // Without a country code nothing is rewritten.
  EXPECT_EQ(findings_of(rule("did", "\\+4930123(4[0-9])", did, local)), Findings{});
  const auto findings = check_dialplan(
      config_of(kTrunk + kGermany + rule("did", "\\+4930123(4[0-9])", did, local)), std::nullopt);
  ASSERT_EQ(findings.size(), 1U);
  EXPECT_NE(findings[0].message.find("normalised to national form (country code 49"),
            std::string::npos)
      << findings[0].message;
}

}  // namespace
}  // namespace hardline::routing
