// [sources], [[trunk]], [[dialplan.rule]] and dialplan.include: what the loader accepts, and
// every refusal with its line and its fix.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"

namespace hardline::config {
namespace {

namespace fs = std::filesystem;

const std::string kSip =
    "[sip]\n"
    "domain = \"pbx.example.org\"\n"
    "listen = [\"udp:192.0.2.10:5060\"]\n";

Result<Config, ConfigError> parse(const std::string& routing) {
  return parse_config(kSip + routing, "/etc/hardline/hardline.toml");
}

TEST(RoutingConfig, ReadsSourcesTrunksAndRules) {
  auto config = parse(R"(
[sources]
office = ["10.0.0.0/8", "fd00::/8"]

[[trunk]]
name = "provider"
host = "sip.provider.example"
port = 5061
transport = "tls"
username = "4930123"
password = "pw"
sources = ["198.51.100.0/24", "office"]
caller_id_pattern = '^0[0-9]+$'
caller_id_mismatch = "reject"
trusted = true

[[dialplan.rule]]
name = "out"
match = '00([1-9][0-9]+)'
action = "trunk"
trunk = "provider"
to = "+$1"
groups = ["dialout"]
sources = ["office"]
transports = ["tls", "tcp"]
times = ["Mon-Fri 08:00-18:00", "Sat 10:00-12:00"]
max_concurrent = 1

[[dialplan.rule]]
name = "barred"
match = '0900.*'
action = "reject"
status = 603
callers = ["account", "anonymous", "trunk:provider"]
)");
  ASSERT_TRUE(config) << config.error().to_string();
  ASSERT_EQ(config->sources.size(), 1U);
  EXPECT_EQ(config->sources[0].networks.size(), 2U);
  EXPECT_EQ(config->sources[0].where.line, 6U);
  ASSERT_EQ(config->trunks.size(), 1U);
  const Trunk& trunk = config->trunks[0];
  EXPECT_EQ(trunk.port, 5061);
  EXPECT_EQ(trunk.transport, Transport::kTls);
  EXPECT_EQ(trunk.sources.size(), 3U);  // one network and the office's two
  EXPECT_EQ(trunk.caller_id_mismatch, CallerIdMismatch::kReject);
  EXPECT_TRUE(trunk.trusted);
  ASSERT_EQ(config->dialplan.rules.size(), 2U);
  const Rule& out = config->dialplan.rules[0];
  EXPECT_EQ(out.where.line, 20U);
  EXPECT_EQ(out.to, "+$1");
  EXPECT_EQ(out.times.size(), 2U);
  EXPECT_EQ(out.max_concurrent, 1U);
  EXPECT_EQ(out.max_per_hour, kTrunkMaxPerHour);  // not set: the trunk default
  EXPECT_EQ(out.max_duration, kTrunkMaxDuration);
  const Rule& barred = config->dialplan.rules[1];
  EXPECT_EQ(barred.status, 603);
  EXPECT_TRUE(barred.callers.anonymous);
  EXPECT_EQ(barred.callers.trunks, std::vector<std::string>{"provider"});
  EXPECT_EQ(barred.max_concurrent, 0U);  // no default brakes on a reject rule
}

TEST(RoutingConfig, EveryMistakeGetsItsLineAndAFix) {
  const std::string trunk = "[[trunk]]\nname = \"provider\"\nhost = \"sip.example.org\"\n";
  const std::string rule_head = "[[dialplan.rule]]\nname = \"r\"\n";
  struct Case {
    std::string text;
    uint32_t line;  // in the whole file: kSip is lines 1-3
    std::string says;
  };
  const std::vector<Case> cases = {
      {"[sources]\noffice = [\"10.0.0.1/8\"]\n", 5, "write the network, \"10.0.0.0/8\""},
      {"[sources]\noffice = [\"10.0.0\"]\n", 5, "is not a network: write an address"},
      {trunk + "sources = [\"198.51.100.1/24\"]\n", 7, "write the network, \"198.51.100.0/24\""},
      {"[sources]\noffice = []\n", 5, "is empty"},
      {"[sources]\n\"bad name\" = [\"10.0.0.0/8\"]\n", 5, "is not a valid name"},
      {"[[trunk]]\nname = \"p\"\n", 4, "has no host"},
      {"[[trunk]]\nhost = \"sip.example.org\"\n", 4, "has no name"},
      {trunk + "port = 0\n", 7, "out of range"},
      {trunk + "transport = \"sctp\"\n", 7, "use \"udp\", \"tcp\" or \"tls\""},
      {trunk + "sources = [\"0.0.0.0/0\"]\n", 7, "every address on the Internet"},
      {trunk + "sources = [\"nowhere\"]\n", 7, "neither a network"},
      {trunk + "caller_id_pattern = '('\n", 7, "'(' at column 1 of the pattern"},
      {trunk + "caller_id_pattern = '[0-9]++'\n", 7, "not a valid regular expression"},
      {trunk + "caller_id_mismatch = \"drop\"\n", 7, "\"anonymous\""},
      {trunk + "colour = \"red\"\n", 7, "unknown key 'colour' in [[trunk]]"},
      {trunk + trunk, 8, "defined twice"},
      {"[[trunk]]\nname = \"p\"\nhost = \"bad host!\"\n", 6, "is not a host"},
      {"[[dialplan.rule]]\nmatch = '1'\naction = \"local\"\n", 4, "has no name"},
      {rule_head + "action = \"local\"\n", 4, "has no match"},
      {rule_head + "match = '1'\n", 4, "has no action"},
      {rule_head + "match = '(1'\naction = \"local\"\n", 6, "group that is never closed"},
      {rule_head + "match = '1**'\naction = \"local\"\n", 6, "not a valid regular expression"},
      {rule_head + "match = ''\naction = \"local\"\n", 6, "it is empty"},
      {rule_head + "match = '1'\naction = \"ring\"\n", 7, "is not an action"},
      {rule_head + "match = '1'\naction = \"trunk\"\n", 4, "names none"},
      {rule_head + "match = '1'\naction = \"local\"\ntrunk = \"p\"\n", 8, "uses no trunk"},
      {rule_head + "match = '1'\naction = \"reject\"\nto = \"2\"\n", 8, "to has no use"},
      {rule_head + "match = '1'\naction = \"local\"\nstatus = 404\n", 8, "status and reason"},
      {rule_head + "match = '1'\naction = \"reject\"\nstatus = 200\n", 8, "out of range"},
      {rule_head + "match = '(1)'\naction = \"local\"\nto = \"$2\"\n", 8, "only 1 group(s)"},
      {rule_head + "match = '1'\naction = \"local\"\nto = \"$x\"\n", 8, "'$' is followed"},
      {rule_head + "match = '1'\naction = \"local\"\ncallers = []\n", 8, "could never match"},
      {rule_head + "match = '1'\naction = \"local\"\ncallers = [\"everyone\"]\n", 8, "not known"},
      {rule_head + "match = '1'\naction = \"local\"\ncallers = [\"account\", \"account\"]\n", 8,
       "twice"},
      {rule_head + "match = '1'\naction = \"local\"\ngroups = [\"dial out\"]\n", 8,
       "not a group name"},
      {rule_head + "match = '1'\naction = \"local\"\ntimes = [\"Mon 25:00-26:00\"]\n", 8,
       "not a time window"},
      {rule_head + "match = '1'\naction = \"local\"\ntransports = [\"ws\"]\n", 8,
       "not a transport"},
      {rule_head + "match = '1'\naction = \"local\"\nmax_per_hour = 10001\n", 8, "out of range"},
      {rule_head + "match = '1'\naction = \"local\"\ncallers = [\"anonymous\"]\ngroups = [\"x\"]\n",
       4, "only accounts can be in"},
      {rule_head + "match = '1'\naction = \"local\"\nwhen = \"now\"\n", 8, "unknown key 'when'"},
      {rule_head + "match = '1'\naction = \"local\"\n" + rule_head +
           "match = '2'\naction = \"local\"\n",
       9, "two dialplan rules are named"},
      // References, checked once everything is read.
      {rule_head + "match = '1'\naction = \"trunk\"\ntrunk = \"nope\"\ngroups = [\"g\"]\n", 4,
       "trunk 'nope', which is not defined"},
      {rule_head + "match = '1'\naction = \"local\"\nsources = [\"office\"]\n", 4,
       "[sources] does not define"},
      {rule_head + "match = '1'\naction = \"local\"\ncallers = [\"trunk:nope\"]\n", 4,
       "which is not defined"},
      // Safe by default: nothing reaches a trunk unless the rule says who may use it.
      {trunk + rule_head + "match = '0[0-9]+'\naction = \"trunk\"\ntrunk = \"provider\"\n", 7,
       "without saying who may use it, so every account"},
      {trunk + rule_head +
           "match = '0[0-9]+'\naction = \"trunk\"\ntrunk = \"provider\"\ncallers = "
           "[\"anonymous\"]\n",
       7, "anyone on the network"},
      {"[dialplan]\ninclude = \"d.toml\"\n[[dialplan.rule]]\nname = \"r\"\nmatch = '1'\naction = "
       "\"local\"\n",
       4, "both include and"},
      {"[dialplan]\nrule = 1\n", 5, "[[dialplan.rule]] sections"},
      {"[dialplan]\nextra = 1\n", 5, "unknown key 'extra' in [dialplan]"},
      // Issue 12: the numbering plan and what counts as internal.
      {"[dialplan]\ncountry_code = \"+49\"\n", 5, "must be 1 to 3 digits"},
      {"[dialplan]\ncountry_code = \"0049\"\n", 5, "must be 1 to 3 digits"},
      {"[dialplan]\ncountry_code = \"049\"\n", 5, "starts with 0"},
      {"[dialplan]\nnational_prefix = \"00\"\n", 5, "must differ from international_prefix"},
      {"[dialplan]\ninternational_prefix = \"0\"\n", 5, "must differ from"},
      {"[dialplan]\ninternational_prefix = \"\"\n", 5, "must be 1 to 4 digits"},
      {"[dialplan]\ninternal_numbers = '('\n", 5, "never closed"},
      {"[dialplan]\ninternal_numbers = '[1-9]{2,3'\n", 5, "e.g. {2,3}"},
      {"[dialplan]\ninclude = \"d.toml\"\ncountry_code = \"49\"\n", 6,
       "move it to the [dialplan] table of the included file"},
      {trunk + "caller_id_internal = \"hide\"\n", 7, "\"prefix\""},
      {trunk + "caller_id_internal = \"prefix\"\n", 4, "needs caller_id_prefix"},
      {trunk + "caller_id_prefix = \"0\"\n", 7, "has no use unless"},
      {trunk + "caller_id_internal = \"prefix\"\ncaller_id_prefix = \"0 30\"\n", 8,
       "1 to 16 of the characters"},
      {trunk + "caller_name_prefix = \"   \"\n", 7, "not only spaces"},
      {trunk + "caller_name_prefix = \"Caf\xc3\xa9: \"\n", 7, "printable ASCII"},
  };
  for (const Case& c : cases) {
    auto config = parse(c.text);
    ASSERT_FALSE(config) << c.text;
    EXPECT_EQ(config.error().line, c.line) << c.text << "\n" << config.error().to_string();
    EXPECT_NE(config.error().message.find(c.says), std::string::npos) << c.text << "\n"
                                                                      << config.error().to_string();
  }
}

// Issue 13: '0[1-9][0-9]{5,13' compiled (RE2 reads the brace as text) and matched nothing. Such
// patterns are refused with the column of the culprit in the file, and the fix.
TEST(RoutingConfig, PatternMistakesAreRefusedAtTheirColumn) {
  const std::string rule_head = "[[dialplan.rule]]\nname = \"r\"\n";
  struct Case {
    std::string match_line;  // line 6 of the file
    uint32_t column;         // 0: the error names no column
    std::string says;
  };
  const std::vector<Case> cases = {
      // "match = '" is 9 characters: the pattern's first character is in column 10.
      {"match = '0[1-9][0-9]{5,13'", 21, "the '{' at column 12 of the pattern begins a repeat"},
      {"match = '0[1-9][0-9]{5,13'", 21, "close it, e.g. {5,13}"},
      {"match  =  '[0-9'", 12, "'[' at column 1 of the pattern opens a class"},
      {"match = \"(12\"", 10, "'(' at column 1"},
      {"match = '12)'", 12, "')' at column 3 of the pattern closes no group"},
      // With escapes in double quotes the columns shift: the error points at the string.
      {"match = \"\\\\d{5,13\"", 9, "the '{' at column 3 of the pattern"},
      // RE2's own refusals keep its words.
      {"match = '1**'", 9, "bad repetition operator"},
  };
  for (const Case& c : cases) {
    auto config = parse(rule_head + c.match_line + "\naction = \"local\"\n");
    ASSERT_FALSE(config) << c.match_line;
    EXPECT_EQ(config.error().line, 6U) << config.error().to_string();
    EXPECT_EQ(config.error().column, c.column) << config.error().to_string();
    EXPECT_NE(config.error().message.find(c.says), std::string::npos) << config.error().to_string();
  }
  // The same reader guards the other patterns.
  auto internal = parse("[dialplan]\ninternal_numbers = '[1-9][0-9]{2,3'\n");
  ASSERT_FALSE(internal);
  EXPECT_EQ(internal.error().to_string(),
            "/etc/hardline/hardline.toml:5:31: dialplan.internal_numbers '[1-9][0-9]{2,3' is not "
            "a valid pattern: the '{' at column 11 of the pattern begins a repeat that is never "
            "closed, so RE2 would read \"{2,3\" as literal text that no dialled number contains: "
            "close it, e.g. {2,3}");
  // Well-formed patterns still load.
  EXPECT_TRUE(parse(rule_head + "match = '0[1-9][0-9]{5,13}'\naction = \"local\"\n"))
      << parse(rule_head + "match = '0[1-9][0-9]{5,13}'\naction = \"local\"\n").error().to_string();
}

TEST(RoutingConfig, ReadsTheNumberingPlanAndTheCallerIdProtection) {
  auto config = parse(R"(
[[trunk]]
name = "provider"
host = "sip.example.org"
caller_id_internal = "prefix"
caller_id_prefix = "+4930"
caller_name_prefix = "ext: "

[dialplan]
country_code = "49"
national_prefix = "0"
international_prefix = "00"
internal_numbers = '9[0-9]{2}'
)");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->dialplan.numbering, (Numbering{"49", "0", "00"}));
  EXPECT_EQ(config->dialplan.internal_numbers, "9[0-9]{2}");
  ASSERT_EQ(config->trunks.size(), 1U);
  EXPECT_EQ(config->trunks[0].caller_id_internal, InternalCallerId::kPrefix);
  EXPECT_EQ(config->trunks[0].caller_id_prefix, "+4930");
  EXPECT_EQ(config->trunks[0].caller_name_prefix, "ext: ");
  // The defaults: no normalisation, internal-looking caller IDs shown as Anonymous, display
  // names behind the trunk's name.
  auto plain = parse("[[trunk]]\nname = \"p\"\nhost = \"sip.example.org\"\n");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->dialplan.numbering, Numbering{});
  EXPECT_EQ(plain->dialplan.numbering.national_prefix, "0");
  EXPECT_EQ(plain->dialplan.numbering.international_prefix, "00");
  EXPECT_TRUE(plain->dialplan.numbering.country_code.empty());
  EXPECT_EQ(plain->trunks[0].caller_id_internal, InternalCallerId::kAnonymous);
  EXPECT_EQ(plain->trunks[0].caller_name_prefix, "");
  // Italy: no national prefix.
  auto italy = parse("[dialplan]\ncountry_code = \"39\"\nnational_prefix = \"\"\n");
  ASSERT_TRUE(italy) << italy.error().to_string();
  EXPECT_EQ(italy->dialplan.numbering, (Numbering{"39", "", "00"}));
}

TEST(RoutingConfig, ATrunkRuleThatSaysWhoMayUseItIsAccepted) {
  const std::string trunk =
      "[sources]\noffice = [\"10.0.0.0/8\"]\n[[trunk]]\nname = \"p\"\n"
      "host = \"sip.example.org\"\n[[dialplan.rule]]\nname = \"r\"\n"
      "match = '0[0-9]+'\naction = \"trunk\"\ntrunk = \"p\"\n";
  EXPECT_TRUE(parse(trunk + "groups = [\"dialout\"]\n"));
  EXPECT_TRUE(parse(trunk + "sources = [\"office\"]\n"));
  EXPECT_TRUE(parse(trunk + "callers = [\"anonymous\"]\nsources = [\"office\"]\n"));
  EXPECT_TRUE(parse(trunk + "callers = [\"trunk:p\"]\n"));
}

TEST(RoutingConfig, TheTrunkPasswordIsNeverQuoted) {
  auto config = parse("[[trunk]]\nname = \"p\"\nhost = \"sip.example.org\"\npassword = \"" +
                      std::string(200, 'S') + "\"\n");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message.find("SSS"), std::string::npos);
  auto typed = parse("[[trunk]]\nname = \"p\"\nhost = \"sip.example.org\"\npassword = 12345\n");
  ASSERT_FALSE(typed);
  EXPECT_EQ(typed.error().message.find("12345"), std::string::npos);
}

TEST(TimeWindows, ParseAndContain) {
  struct Case {
    const char* text;
    bool valid;
    LocalTime inside;
    LocalTime outside;
  };
  const Case cases[] = {
      {"Mon-Fri 08:00-18:00", true, {0, 8 * 60}, {0, 18 * 60}},
      {"Sat,Sun", true, {6, 0}, {4, 720}},
      {"22:00-06:00", true, {3, 23 * 60}, {3, 12 * 60}},
      {"22:00-06:00", true, {3, 5 * 60 + 59}, {3, 6 * 60}},
      {"Fri-Mon", true, {6, 100}, {2, 100}},
      {"mon 00:00-24:00", true, {0, 1439}, {1, 0}},
      {"Funday", false, {}, {}},
      {"08:00", false, {}, {}},
      {"08:00-08:00", false, {}, {}},
      {"Mon 24:00-25:00", false, {}, {}},
      {"", false, {}, {}},
  };
  for (const Case& c : cases) {
    auto window = parse_time_window(c.text);
    ASSERT_EQ(window.has_value(), c.valid) << c.text;
    if (!window) continue;
    EXPECT_TRUE(window->contains(c.inside)) << c.text;
    EXPECT_FALSE(window->contains(c.outside)) << c.text;
  }
  EXPECT_EQ(to_string(*parse_time_window("Mon-Fri 08:00-18:00")),
            "Mon,Tue,Wed,Thu,Fri 08:00-18:00");
  EXPECT_EQ(parse_local_time("Mon 14:30"), (LocalTime{0, 870}));
  EXPECT_EQ(parse_local_time("sun 00:00"), (LocalTime{6, 0}));
  EXPECT_EQ(parse_local_time("Mon 24:00"), std::nullopt);
  EXPECT_EQ(parse_local_time("14:30"), std::nullopt);
}

class IncludeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("hardline-include-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  fs::path dir_;
};

TEST_F(IncludeTest, RulesAndTrunksComeFromTheIncludedFile) {
  write("hardline.toml", kSip +
                             "[sources]\noffice = [\"10.0.0.0/8\"]\n[dialplan]\n"
                             "include = \"dialplan.toml\"\n");
  write("dialplan.toml",
        "[[trunk]]\nname = \"p\"\nhost = \"sip.example.org\"\nsources = [\"office\"]\n"
        "[[dialplan.rule]]\nname = \"r\"\nmatch = '0[0-9]+'\naction = \"trunk\"\ntrunk = \"p\"\n"
        "sources = [\"office\"]\n");
  auto config = load_config(dir_ / "hardline.toml");
  ASSERT_TRUE(config) << config.error().to_string();
  ASSERT_EQ(config->dialplan.rules.size(), 1U);
  EXPECT_EQ(config->dialplan.rules[0].where.file, (dir_ / "dialplan.toml").string());
  EXPECT_EQ(config->dialplan.rules[0].where.line, 5U);
  EXPECT_EQ(config->trunks.size(), 1U);
}

TEST_F(IncludeTest, TheNumberingPlanComesWithTheIncludedRules) {
  write("hardline.toml", kSip + "[dialplan]\ninclude = \"dialplan.toml\"\n");
  write("dialplan.toml", "[dialplan]\ncountry_code = \"43\"\ninternal_numbers = '2[0-9]{2}'\n");
  auto config = load_config(dir_ / "hardline.toml");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->dialplan.numbering.country_code, "43");
  EXPECT_EQ(config->dialplan.internal_numbers, "2[0-9]{2}");
}

TEST_F(IncludeTest, ErrorsInTheIncludedFileNameThatFile) {
  write("hardline.toml", kSip + "[dialplan]\ninclude = \"dialplan.toml\"\n");
  write("dialplan.toml", "\n[[dialplan.rule]]\nname = \"r\"\nmatch = '(('\naction = \"local\"\n");
  auto config = load_config(dir_ / "hardline.toml");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().file, (dir_ / "dialplan.toml").string());
  EXPECT_EQ(config.error().line, 4U);

  write("dialplan.toml", "[guard]\nenabled = false\n");
  config = load_config(dir_ / "hardline.toml");
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("may hold only"), std::string::npos);

  write("dialplan.toml", "[dialplan]\ninclude = \"other.toml\"\n");
  config = load_config(dir_ / "hardline.toml");
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("unknown key 'include'"), std::string::npos);

  fs::remove(dir_ / "dialplan.toml");
  config = load_config(dir_ / "hardline.toml");
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("dialplan.include"), std::string::npos);
  EXPECT_NE(config.error().message.find("dialplan.toml"), std::string::npos);
}

TEST(ExampleDialplan, InitsConfigIncludesAnExampleThatLoads) {
  const std::vector<Endpoint> listen = {*parse_endpoint_spec("udp:127.0.0.1:5060")};
  const std::string text = default_config_text("pbx.example.org", listen, "dialplan.toml");
  auto config = parse_config(text, "/srv/pbx/hardline.toml");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->dialplan.include, "dialplan.toml");
  EXPECT_EQ(included_dialplan_path(*config), fs::path("/srv/pbx/dialplan.toml"));
  auto included =
      parse_included_dialplan(example_dialplan_text(), "/srv/pbx/dialplan.toml", *config);
  ASSERT_TRUE(included) << included.error().to_string();
  std::vector<std::string> names;
  for (const Rule& rule : config->dialplan.rules) names.push_back(rule.name);
  EXPECT_EQ(names, (std::vector<std::string>{"internal", "premium", "service-codes",
                                             "international", "national", "no-dialout"}));
  // Numbers are normalised for Germany, whose numbering the example's bars are written in.
  EXPECT_EQ(config->dialplan.numbering, (Numbering{"49", "0", "00"}));
  EXPECT_EQ(config->trunks.at(0).caller_id_internal, InternalCallerId::kAnonymous);
  // Dial-out only for the group dialout, and braked.
  for (const Rule& rule : config->dialplan.rules) {
    if (rule.action != RuleAction::kTrunk) continue;
    EXPECT_EQ(rule.groups, std::vector<std::string>{"dialout"}) << rule.name;
    EXPECT_NE(rule.max_concurrent, 0U);
    EXPECT_NE(rule.max_per_hour, 0U);
    EXPECT_NE(rule.max_duration, 0U);
  }
  // Without an include, the text is the defaults exactly (no routing at all).
  auto plain = parse_config(default_config_text("pbx.example.org", listen), "/x/hardline.toml");
  ASSERT_TRUE(plain);
  EXPECT_TRUE(plain->dialplan.include.empty());
  EXPECT_TRUE(plain->trunks.empty());
}

}  // namespace
}  // namespace hardline::config
