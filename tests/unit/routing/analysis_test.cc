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
  const auto findings =
      check_dialplan(config_of(kTrunk + rule("any", "[0-9]+") + rule("one", "1234")), std::nullopt);
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
