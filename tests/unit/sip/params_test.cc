// Parameter lists (RFC 3261 §19.1.1 uri-parameters, §25.1 generic-param) and quoted-strings.

#include "sip/params.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

using namespace hardline::sip;
using namespace std::string_view_literals;

namespace {

struct ExpectedParam {
  std::string_view name;
  std::string_view value;
  bool has_value;
};

std::vector<ExpectedParam> collect(const ParamList& list) {
  std::vector<ExpectedParam> out;
  for (const Param& p : list) out.push_back({p.name, p.value, p.has_value});
  return out;
}

void expect_params(const ParamList& list, const std::vector<ExpectedParam>& expected) {
  std::vector<ExpectedParam> got = collect(list);
  ASSERT_EQ(got.size(), expected.size());
  size_t i = 0;
  for (const ExpectedParam& e : expected) {
    SCOPED_TRACE(i);
    EXPECT_EQ(got[i].name, e.name);
    EXPECT_EQ(got[i].value, e.value);
    EXPECT_EQ(got[i].has_value, e.has_value);
    ++i;
  }
}

struct ValidCase {
  std::string_view input;
  std::vector<ExpectedParam> params;
};

TEST(ParamListTest, ParsesUriSyntaxInOrder) {
  const ValidCase kCases[] = {
      {"lr", {{"lr", "", false}}},
      {"transport=tcp", {{"transport", "tcp", true}}},
      {"transport=tcp;lr;maddr=[2001:db8::1];ttl=15",
       {{"transport", "tcp", true},
        {"lr", "", false},
        {"maddr", "[2001:db8::1]", true},
        {"ttl", "15", true}}},
      {"user=phone;method=REGISTER", {{"user", "phone", true}, {"method", "REGISTER", true}}},
      // Escapes are kept as received (RFC 4475 §3.1.1.3).
      {"%6C%72;n%61me=v%61lue%25%34%31",
       {{"%6C%72", "", false}, {"n%61me", "v%61lue%25%34%31", true}}},
      // param-unreserved: [ ] / : & + $
      {"x=a/b:c&d+e$f[g]", {{"x", "a/b:c&d+e$f[g]", true}}},
      {"phone-context=+1-914-555", {{"phone-context", "+1-914-555", true}}},
      {"a;a=1;A=2", {{"a", "", false}, {"a", "1", true}, {"A", "2", true}}},
  };
  for (const ValidCase& row : kCases) {
    SCOPED_TRACE(row.input);
    auto list = ParamList::parse(row.input, ParamSyntax::kUri, 32);
    ASSERT_TRUE(list.has_value()) << list.error().what;
    EXPECT_EQ(list->text(), row.input);
    EXPECT_FALSE(list->empty());
    expect_params(*list, row.params);
  }
}

TEST(ParamListTest, ParsesHeaderSyntaxInOrder) {
  const ValidCase kCases[] = {
      {"tag=1918181833n", {{"tag", "1918181833n", true}}},
      // LWS around '=' and ';' (RFC 4475 §3.1.1.1 wsinv).
      {"   tag    = 1918181833n", {{"tag", "1918181833n", true}}},
      {" newparam =\t newvalue ;  secondparam ; q = 0.33",
       {{"newparam", "newvalue", true}, {"secondparam", "", false}, {"q", "0.33", true}}},
      // Quoted values keep their quotes and may hold ';' and '='.
      {"boundary=\"a;b=c\";x=1", {{"boundary", "\"a;b=c\"", true}, {"x", "1", true}}},
      {"a=\"\";b", {{"a", "\"\"", true}, {"b", "", false}}},
      {"a=\"esc \\\" ; still\";b=2", {{"a", "\"esc \\\" ; still\"", true}, {"b", "2", true}}},
      // UTF-8 inside a quoted value (RFC 4475 §3.1.1.2 intmeth).
      {"fromParam''~+*_!.-%=\"\xd1\x80\xd0\xb0\";tag=_token~1'+`*%!-.",
       {{"fromParam''~+*_!.-%", "\"\xd1\x80\xd0\xb0\"", true}, {"tag", "_token~1'+`*%!-.", true}}},
      // gen-value = token / host / quoted-string.
      {"received=192.0.2.1;maddr=[2001:db8::1];rport",
       {{"received", "192.0.2.1", true}, {"maddr", "[2001:db8::1]", true}, {"rport", "", false}}},
      {"received=2001:db8::1", {{"received", "2001:db8::1", true}}},
      {"expires=3600;q=0.7", {{"expires", "3600", true}, {"q", "0.7", true}}},
  };
  for (const ValidCase& row : kCases) {
    SCOPED_TRACE(row.input);
    auto list = ParamList::parse(row.input, ParamSyntax::kHeader, 32);
    ASSERT_TRUE(list.has_value()) << list.error().what;
    EXPECT_EQ(list->text(), row.input);
    expect_params(*list, row.params);
  }
}

TEST(ParamListTest, RejectsMalformedUriParams) {
  constexpr std::string_view kCases[] = {
      "",  // the text after a ';' may not be empty
      ";",          ";;",    "lr;",   ";lr",   "a;;b",    "=tcp",
      "transport=",  // pvalue = 1*paramchar
      "a=b=c",      "a=b,c", "a=b?c", "a=b@c", "a=\"b\"", "a b",  "a =b",  "a= b",
      " a",         "a ",    "a\t",   "a=%4",  "a=%G1",   "%4=b", "a\0"sv, "a=caf\xc3\xa9",
  };
  for (std::string_view input : kCases) {
    SCOPED_TRACE(testing::PrintToString(std::string(input)));
    EXPECT_FALSE(ParamList::parse(input, ParamSyntax::kUri, 32).has_value());
  }
}

TEST(ParamListTest, RejectsMalformedHeaderParams) {
  constexpr std::string_view kCases[] = {
      "",
      ";",
      ";;",
      "tag=1;",
      ";tag=1",
      "tag=1;;q=1",
      "tag=1; ;q=1",
      "=1",
      "tag=",
      "tag= ",
      "a b=1",
      "a=b c",
      "a=b/c",  // '/' is neither token nor host
      "a=b@c",
      "a=<b>",
      "a=\"unterminated",
      "a=\"unterminated;b=2",
      "a=\"x\"y",
      "a=x\"y\"",
      "\"a\"=1",
      "a=\"line\r\nfold\"",
      "a=\"ctl\x01\"",
      "a,b",
      "t\xc3\xa1g=1",
  };
  for (std::string_view input : kCases) {
    SCOPED_TRACE(testing::PrintToString(std::string(input)));
    EXPECT_FALSE(ParamList::parse(input, ParamSyntax::kHeader, 32).has_value());
  }
}

TEST(ParamListTest, MaxCount) {
  struct Case {
    std::string_view input;
    ParamSyntax syntax;
    size_t max;
    bool ok;
  };
  constexpr Case kCases[] = {
      {"a;b;c", ParamSyntax::kUri, 3, true},
      {"a;b;c", ParamSyntax::kUri, 2, false},
      {"a", ParamSyntax::kUri, 1, true},
      {"a", ParamSyntax::kUri, 0, false},
      {"a=1;b=\"x;y;z\";c", ParamSyntax::kHeader, 3, true},  // ';' in quotes does not count
      {"a=1;b=\"x;y;z\";c", ParamSyntax::kHeader, 2, false},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(std::string(row.input) + " max " + std::to_string(row.max));
    EXPECT_EQ(ParamList::parse(row.input, row.syntax, row.max).has_value(), row.ok);
  }
}

TEST(ParamListTest, FindIsCaseInsensitiveAndReturnsTheFirstMatch) {
  auto list =
      ParamList::parse("Tag=abc;LR;Expires=60;q=\"0.5;x\";tag=second", ParamSyntax::kHeader, 32);
  ASSERT_TRUE(list.has_value()) << list.error().what;
  struct Case {
    std::string_view name;
    std::optional<std::string_view> expected;
  };
  const Case kCases[] = {
      {"tag", "abc"},       {"TAG", "abc"},         {"lr", ""},         {"Lr", ""},
      {"expires", "60"},    {"EXPIRES", "60"},      {"q", "\"0.5;x\""}, {"x", std::nullopt},
      {"ta", std::nullopt}, {"tags", std::nullopt}, {"", std::nullopt},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(list->find(row.name), row.expected);
    EXPECT_EQ(list->has(row.name), row.expected.has_value());
  }
}

TEST(ParamListTest, DefaultListIsEmpty) {
  ParamList list;
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.text(), "");
  EXPECT_TRUE(list.begin() == list.end());
  EXPECT_FALSE(list.find("lr").has_value());
  EXPECT_FALSE(list.has("lr"));
}

TEST(ParamListTest, ViewsPointIntoTheParsedText) {
  std::string_view text = "transport=tcp;lr";
  auto list = ParamList::parse(text, ParamSyntax::kUri, 32);
  ASSERT_TRUE(list.has_value());
  auto it = list->begin();
  EXPECT_EQ(it->name.data(), text.data());
  EXPECT_EQ(it->value.data(), text.data() + 10);
  ++it;
  EXPECT_EQ(it->name.data(), text.data() + 14);
  ++it;
  EXPECT_TRUE(it == list->end());
}

TEST(QuotedStringTest, QuotedStringEnd) {
  struct Case {
    std::string_view input;
    size_t expected;
  };
  constexpr size_t npos = std::string_view::npos;
  constexpr Case kCases[] = {
      {"\"\"", 2},
      {"\"abc\"", 5},
      {"\"abc\" <sip:x@y>", 5},
      {"\"a\\\"b\"", 6},    // "a\"b"
      {"\"a\\\\\"", 5},     // "a\\"
      {"\"a\\\\\"b\"", 5},  // "a\\" then b": the second quote closes
      {"\"a,b;c<d>\"", 10},
      {"\"J Rosenberg \\\\\\\"\"", 18},  // RFC 4475 wsinv: "J Rosenberg \\\""
      {"\"x\\\0y\""sv, 6},               // quoted-pair may escape NUL
      {"", npos},
      {"abc", npos},
      {" \"abc\"", npos},  // must start at the quote
      {"\"abc", npos},
      {"\"abc\\\"", npos},  // the last quote is escaped
      {"\"a\\", npos},
      {"\"a\rb\"", npos},
      {"\"a\nb\"", npos},
      {"\"a\\\rb\"", npos},  // quoted-pair cannot escape CR
      {"\"a\\\nb\"", npos},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(testing::PrintToString(std::string(row.input)));
    EXPECT_EQ(quoted_string_end(row.input), row.expected);
  }
}

TEST(QuotedStringTest, IsQuotedString) {
  struct Case {
    std::string_view input;
    bool expected;
  };
  constexpr Case kCases[] = {
      {"\"\"", true},
      {"\"abc\"", true},
      {"\"a b\tc\"", true},
      {"\"Bell, Alexander\"", true},
      {"\"caf\xc3\xa9\"", true},  // UTF-8 is qdtext
      {"\"a\\\"b\"", true},
      {"\"BEL:\\\x07 NUL:\\\0 DEL:\\\x7f\""sv, true},  // RFC 4475 intmeth: quoted-pairs of CTLs
      {"\"%Z%45\"", true},                             // RFC 4475 esc02
      {"", false},
      {"\"", false},
      {"abc", false},
      {"\"abc\"x", false},
      {"\"abc\" ", false},
      {"x\"abc\"", false},
      {"\"a\x01"
       "b\"",
       false},  // bare CTL
      {"\"a\0b\""sv, false},
      {"\"a\x7f\"", false},
      {"\"a\rb\"", false},
      {"\"abc", false},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(testing::PrintToString(std::string(row.input)));
    EXPECT_EQ(is_quoted_string(row.input), row.expected);
  }
}

TEST(QuotedStringTest, FindUnquoted) {
  struct Case {
    std::string_view input;
    char c;
    bool angle_brackets;
    size_t expected;
  };
  constexpr size_t npos = std::string_view::npos;
  constexpr Case kCases[] = {
      {"a,b", ',', false, 1},
      {"abc", ',', false, npos},
      {"", ',', false, npos},
      {"\"a,b\",c", ',', false, 5},
      {"\"a\\\",b\",c", ',', false, 7},  // escaped quote does not close
      {"\"a,b", ',', false, npos},       // unclosed quote hides the rest
      {"x,\"a", ',', false, 1},          // ... but not what comes before it
      {"<sip:a,b>,c", ',', true, 9},
      {"<sip:a,b>,c", ',', false, 6},
      {"\"x>\" <sip:a;b>;c", ';', true, 14},
      {"\"x>\" <sip:a;b>;c", ';', false, 11},
      {"<sip:\"a,b>,c", ',', true, 10},  // a quote inside <...> is just a byte
      {"a=\"1;2\";b", ';', false, 7},
      {"a=\"1;2\";b", '=', false, 1},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(std::string(row.input) + " find '" + row.c + "'" +
                 (row.angle_brackets ? " with <>" : ""));
    EXPECT_EQ(find_unquoted(row.input, row.c, row.angle_brackets), row.expected);
  }
}

}  // namespace
