#include "routing/regex_language.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <random>
#include <string>
#include <vector>

namespace hardline::routing {
namespace {

RE2::Options latin1() {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_log_errors(false);
  return options;
}

bool re2_matches(const std::string& pattern, const std::string& text) {
  RE2 re(pattern, latin1());
  EXPECT_TRUE(re.ok()) << pattern;
  return RE2::FullMatch(text, re);
}

TEST(Language, ParsesTheSubsetAndRefusesTheRest) {
  const std::vector<std::string> inside = {
      "1234",
      "[0-9]+",
      "0(900|137)[0-9]*",
      "\\+?[0-9A-D]{1,32}",
      "^00[1-9]\\d{6,14}$",
      "(?:12|34)?5",
      "(?P<n>[0-9])x",
      "[^#*]+",
      "a.b",
      "\\x41\\x{42}",
      "a{3,}",
      "a*?b+?c??",
      "[]a]",
      "[a-]",
      "\\.\\*",
      "\\A1\\z",
      "",
      "a|",
      "{",
      "a{,3}",
  };
  for (const std::string& pattern : inside) {
    EXPECT_TRUE(Language::parse(pattern).has_value()) << pattern;
  }
  const std::vector<std::string> outside = {
      "(?i)abc",
      "\\bfoo",
      "\\pN",
      "[[:digit:]]",
      "\\x{100}",
      "a{1001}",
      "(ab",
      "*a",
      "\\Qa\\E",
      // 2000 states and more: the automaton's bound.
      "([0-9]{100}){40}",
  };
  for (const std::string& pattern : outside) {
    EXPECT_FALSE(Language::parse(pattern).has_value()) << pattern;
  }
}

TEST(Language, EmptyOnlyWhenNothingMatches) {
  struct Case {
    const char* pattern;
    bool empty;
  };
  const Case cases[] = {
      {"1234", false},    {"a^b", true},   {"a$b", true},
      {"^$", false},      {"", false},     {"[^\\x00-\\xff]", true},
      {"(a^)|b", false},  {"$^", false},   {"x\\zy", true},
      {"(^1|2)3", false}, {"1(^2)", true}, {"[0-9]{0}", false},
  };
  for (const Case& c : cases) {
    auto language = Language::parse(c.pattern);
    ASSERT_TRUE(language) << c.pattern;
    EXPECT_EQ(language->empty(), c.empty) << c.pattern;
    // The example is a string RE2 itself matches.
    if (auto example = language->example()) {
      EXPECT_TRUE(re2_matches(c.pattern, *example)) << c.pattern << " example '" << *example << "'";
    }
  }
}

TEST(Language, SubsetDecidesInclusion) {
  struct Case {
    const char* later;
    std::vector<const char*> earlier;
    bool subset;
  };
  const std::vector<Case> cases = {
      {"1234", {"[0-9]+"}, true},
      {"[0-9]+", {"1234"}, false},
      {"00[1-9][0-9]{6,14}", {"00[0-9]*"}, true},
      {"00[0-9]*", {"00[1-9][0-9]{6,14}"}, false},
      {"0[0-9]*", {"0", "0[0-9]+"}, true},  // covered only by the two together
      {"0[0-9]*", {"0[0-9]+"}, false},      // "0" itself escapes
      {"1(00|01|02)", {"10[0-2]"}, true},
      {"\\+?49[0-9]+", {"\\+49[0-9]+", "49[0-9]*"}, true},
      {"\\d{3}", {"[0-9][0-9][0-9]"}, true},
      {"a.b", {"a[^\\n]b"}, true},
      {"a[^x]b", {"a.b"}, false},  // [^x] matches a newline, '.' does not
      {"^1$", {"1"}, true},
      {"1", {"^1"}, true},
      {"12", {"1$"}, false},
      {"(1|2)*", {"[12]*"}, true},
      {"[12]*", {"(1|2)*"}, true},
      {"9{3,5}", {"9{3}", "9{4,}"}, true},
      {"9{2,5}", {"9{3}", "9{4,}"}, false},
      // RE2 reads a count with a leading zero as literal text (found by fuzz_dialplan).
      {"a{03,}", {"a\\{03,\\}"}, true},
      {"aaa", {"a{03,}"}, false},
  };
  for (const Case& c : cases) {
    auto later = Language::parse(c.later);
    ASSERT_TRUE(later) << c.later;
    std::vector<Language> earlier;
    for (const char* pattern : c.earlier) earlier.push_back(*Language::parse(pattern));
    std::vector<const Language*> pointers;
    for (const Language& language : earlier) pointers.push_back(&language);
    EXPECT_EQ(is_subset(*later, pointers), std::optional<bool>(c.subset)) << c.later;
  }
}

TEST(Language, CombinedUnionAndIntersection) {
  auto zero = Language::parse("0");
  auto more = Language::parse("0[0-9]+");
  auto all = Language::parse("0[0-9]*");
  auto ones = Language::parse("1+");
  ASSERT_TRUE(zero && more && all && ones);
  const Language* parts[] = {&*zero, &*more};
  auto combined = Language::combine(parts);
  ASSERT_TRUE(combined);
  const Language* union_of[] = {&*combined};
  EXPECT_EQ(is_subset(*all, union_of), std::optional<bool>(true));
  EXPECT_EQ(is_subset(*ones, union_of), std::optional<bool>(false));
  EXPECT_EQ(combined->example(), std::optional<std::string>("0"));
  EXPECT_EQ(intersects(*all, *more), std::optional<bool>(true));
  EXPECT_EQ(intersects(*zero, *more), std::optional<bool>(false));
  EXPECT_EQ(intersects(*ones, *all), std::optional<bool>(false));
  EXPECT_TRUE(Language::combine({})->empty());
}

// Soundness against RE2 itself: whenever the analysis says "every string A matches, B matches",
// no random string contradicts it; and strings RE2 matches are never in an "empty" language.
TEST(Language, AgreesWithRe2OnRandomStrings) {
  const std::vector<std::string> patterns = {
      "[0-9]+",    "0[0-9]*",    "00[1-9][0-9]{2,5}",
      "1[0-9]{2}", "(1|2)+3?",   "\\+?[0-9A-D]{1,6}",
      "0(9|1)0?",  "[^0]+",      ".*",
      "12|21",     "[0-9]{3,4}", "0+",
      "(00)*",     "(0|00)*1",   "\\d\\d?",
  };
  std::mt19937 random(42);
  const std::string alphabet = "0123+A9\n";
  std::vector<std::string> samples = {""};
  for (int i = 0; i < 4000; ++i) {
    std::string text;
    const int length = static_cast<int>(random() % 8);
    for (int k = 0; k < length; ++k) text += alphabet[random() % alphabet.size()];
    samples.push_back(text);
  }
  // Which samples each pattern matches, by RE2.
  std::vector<std::vector<bool>> matched;
  for (const std::string& pattern : patterns) {
    RE2 re(pattern, latin1());
    ASSERT_TRUE(re.ok()) << pattern;
    std::vector<bool> row;
    for (const std::string& text : samples) row.push_back(RE2::FullMatch(text, re));
    matched.push_back(std::move(row));
  }
  for (size_t a = 0; a < patterns.size(); ++a) {
    auto la = Language::parse(patterns[a]);
    ASSERT_TRUE(la) << patterns[a];
    for (size_t b = 0; b < patterns.size(); ++b) {
      auto lb = Language::parse(patterns[b]);
      const Language* union_of[] = {&*lb};
      const auto subset = is_subset(*la, union_of);
      ASSERT_TRUE(subset.has_value()) << patterns[a] << " in " << patterns[b];
      bool contradicted = false;
      for (size_t s = 0; s < samples.size(); ++s) {
        contradicted = contradicted || (matched[a][s] && !matched[b][s]);
      }
      if (*subset) {
        EXPECT_FALSE(contradicted) << patterns[a] << " claimed inside " << patterns[b];
      }
      const auto meet = intersects(*la, *lb);
      ASSERT_TRUE(meet.has_value());
      bool both = false;
      for (size_t s = 0; s < samples.size(); ++s) both = both || (matched[a][s] && matched[b][s]);
      if (both) {
        EXPECT_TRUE(*meet) << patterns[a] << " and " << patterns[b] << " share a string";
      }
    }
    for (size_t s = 0; s < samples.size(); ++s) {
      if (matched[a][s]) {
        EXPECT_FALSE(la->empty()) << patterns[a];
      }
    }
  }
}

// For the premium-forms analysis (bar_forms.h): what is left after a prefix, concatenation, and
// the shortest shared string, each checked against RE2 on every short string of an alphabet.
TEST(Language, AfterConcatAndSharedExampleAgreeWithRe2) {
  struct Case {
    const char* pattern;
    const char* prefix;
    const char* then;      // concat(after(pattern, prefix), then)
    const char* expected;  // an RE2 pattern for the same language
  };
  const std::vector<Case> cases = {
      {"0(900|137)[0-9]*", "0", "", "(900|137)[0-9]*"},
      {"0(900|137)[0-9]*", "09", "", "00[0-9]*"},
      {"0(900|137)[0-9]*", "1", "", "[^\\x00-\\xff]"},  // nothing
      {"^0[0-9]$", "0", "", "[0-9]"},                   // ^ held at the start only
      {"0?9", "0", "", "9"},
      {"0[0-9]*", "", "1", "0[0-9]*1"},
      {"0[0-9]*$", "", "1", "[^\\x00-\\xff]"},  // $ before more text: nothing
      {"0[0-9]*$", "", "1?", "0[0-9]*"},
      {"1", "", "^2", "[^\\x00-\\xff]"},  // ^ after text: nothing
      {"9", "", "0|1", "9(0|1)"},
  };
  const std::string alphabet = "01239";
  std::vector<std::string> samples = {""};
  for (size_t length = 1; length <= 5; ++length) {
    const size_t before = samples.size();
    for (size_t i = 0; i < before; ++i) {
      if (samples[i].size() != length - 1) continue;
      for (char c : alphabet) samples.push_back(samples[i] + c);
    }
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.pattern) + " after '" + c.prefix + "' then " + c.then);
    auto language = Language::parse(c.pattern);
    ASSERT_TRUE(language);
    Language result = language->after(c.prefix);
    if (*c.then != '\0') {
      auto then = Language::parse(c.then);
      ASSERT_TRUE(then);
      auto joined = Language::concat(result, *then);
      ASSERT_TRUE(joined);
      result = *joined;
    }
    RE2 expected(c.expected, latin1());
    ASSERT_TRUE(expected.ok());
    std::optional<std::string> shortest;
    for (const std::string& text : samples) {
      auto single = Language::parse(text.empty() ? "" : text);
      ASSERT_TRUE(single);
      const bool in = RE2::FullMatch(text, expected);
      EXPECT_EQ(intersects(result, *single), std::optional<bool>(in)) << "'" << text << "'";
      if (in && !shortest) shortest = text;
    }
    auto everything = Language::parse("[0-9]*");
    const auto shared = shared_example(result, *everything);
    ASSERT_TRUE(shared);
    ASSERT_EQ(shared->has_value(), shortest.has_value());
    if (shortest) {
      EXPECT_EQ((*shared)->size(), shortest->size());  // the shortest, one of several maybe
      EXPECT_TRUE(RE2::FullMatch(**shared, expected)) << **shared;
    }
  }
}

}  // namespace
}  // namespace hardline::routing
