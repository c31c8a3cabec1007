// find_pattern_mistake(): what RE2 refuses without a position, or accepts as literal text no
// dialled number contains ('{5,13' with its '}' forgotten), found with its column and fix.
#include "config/pattern_syntax.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hardline::config {
namespace {

TEST(PatternSyntax, AcceptsWhatDialplansWrite) {
  const std::vector<std::string> valid = {
      "1[0-9]{3}",
      "00([1-9][0-9]{6,14})",
      "0[1-9][0-9]{5,13}",
      "[0-9]{3,}",
      "0(900|13[78]|18|19|12)[0-9]*|00(870|88[1-3]|979|808)[0-9]*",
      "[*#][0-9*]{1,6}#.*",
      R"(\*([0-9]{2}))",
      R"(\{literal\})",         // escaped braces are characters
      R"(\(0\)30)",             // escaped parentheses too
      "[]a]",                   // ']' first in a class is a member
      "[^]a]",                  // also after '^'
      "[[:digit:]]+",           // a POSIX class inside a class
      "[{(]",                   // braces and parentheses in a class are members
      R"(\x{41}\p{Greek}\pN)",  // escapes with braces
      R"(\Q{5,13\E)",           // quoted text
      "(?:12)(?P<rest>[0-9]+)",
      "^\\+?[0-9A-D]{1,32}$",
      "a{0}",
      "",
  };
  for (const std::string& pattern : valid) {
    EXPECT_EQ(find_pattern_mistake(pattern), std::nullopt) << pattern;
  }
}

TEST(PatternSyntax, FindsTheCulpritWithItsColumnAndTheFix) {
  struct Case {
    std::string pattern;
    size_t offset;
    std::string says;
  };
  const std::vector<Case> cases = {
      // Issue 13: RE2 takes these braces as literal text, so the rule matches no number.
      {"0[1-9][0-9]{5,13", 11, "never closed"},
      {"0[1-9][0-9]{5,13", 11, "e.g. {5,13}"},
      {"0[1-9][0-9]{5", 11, "e.g. {5}"},
      {"0[0-9]{5,13x", 6, "never closed"},
      {"1{", 1, "does not begin a repeat"},
      {"1{,5}", 1, "{,n} is written {0,n}"},
      {"1{05}", 1, "leading zeros"},
      {"1{a}", 1, "\\{ if you mean the character"},
      {"1{2,3,4}", 1, "does not begin a repeat"},
      // RE2 refuses these, but without saying where.
      {"[0-9", 0, "class that is never closed"},
      {"12[0-9", 2, "column 3 of the pattern"},
      {"[]", 0, "never closed"},  // ']' first is a member: the class goes on
      {"(12", 0, "group that is never closed"},
      {"((1)", 0, "never closed"},
      {"(1(2", 2, "column 3"},  // the innermost open group
      {"12)", 2, "closes no group"},
      {"(1))", 3, "closes no group"},
      {"(1|2{3,)", 4, "never closed"},
  };
  for (const Case& c : cases) {
    auto mistake = find_pattern_mistake(c.pattern);
    ASSERT_TRUE(mistake) << c.pattern;
    EXPECT_EQ(mistake->offset, c.offset) << c.pattern << ": " << mistake->message;
    EXPECT_NE(mistake->message.find(c.says), std::string::npos)
        << c.pattern << ": " << mistake->message;
  }
}

TEST(PatternSyntax, EndsOnAnyInput) {
  // Truncated escapes and classes must not read past the end.
  for (const std::string pattern : {"\\", "[\\", "[[:", "\\x{", "\\Q", "{", "[^", "(", ")"}) {
    (void)find_pattern_mistake(pattern);
  }
}

}  // namespace
}  // namespace hardline::config
