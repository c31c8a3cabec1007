// Character classes and small helpers of the RFC 3261 grammar (§25.1).

#include "sip/chars.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

using namespace hardline::sip;
using namespace std::string_view_literals;

namespace {

struct ClassCase {
  char c;
  uint32_t cls;
  const char* cls_name;
  bool expected;
};

// One row per (byte, class) pair worth pinning: every punctuation mark the grammar names, and
// the near misses that a class must not take in.
constexpr ClassCase kClassCases[] = {
    // token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
    {'a', kToken, "token", true},
    {'Z', kToken, "token", true},
    {'7', kToken, "token", true},
    {'-', kToken, "token", true},
    {'.', kToken, "token", true},
    {'!', kToken, "token", true},
    {'%', kToken, "token", true},
    {'*', kToken, "token", true},
    {'_', kToken, "token", true},
    {'+', kToken, "token", true},
    {'`', kToken, "token", true},
    {'\'', kToken, "token", true},
    {'~', kToken, "token", true},
    {' ', kToken, "token", false},
    {'\t', kToken, "token", false},
    {'"', kToken, "token", false},
    {'(', kToken, "token", false},
    {')', kToken, "token", false},
    {'<', kToken, "token", false},
    {'>', kToken, "token", false},
    {'@', kToken, "token", false},
    {',', kToken, "token", false},
    {';', kToken, "token", false},
    {':', kToken, "token", false},
    {'\\', kToken, "token", false},
    {'/', kToken, "token", false},
    {'[', kToken, "token", false},
    {']', kToken, "token", false},
    {'?', kToken, "token", false},
    {'=', kToken, "token", false},
    {'{', kToken, "token", false},
    {'}', kToken, "token", false},
    {'\0', kToken, "token", false},
    {'\x7f', kToken, "token", false},
    {'\xe9', kToken, "token", false},
    // word = token chars plus ( ) < > : \ DQUOTE / [ ] ? { }
    {'x', kWord, "word", true},
    {'%', kWord, "word", true},
    {'~', kWord, "word", true},
    {'(', kWord, "word", true},
    {')', kWord, "word", true},
    {'<', kWord, "word", true},
    {'>', kWord, "word", true},
    {':', kWord, "word", true},
    {'\\', kWord, "word", true},
    {'"', kWord, "word", true},
    {'/', kWord, "word", true},
    {'[', kWord, "word", true},
    {']', kWord, "word", true},
    {'?', kWord, "word", true},
    {'{', kWord, "word", true},
    {'}', kWord, "word", true},
    {'@', kWord, "word", false},
    {';', kWord, "word", false},
    {',', kWord, "word", false},
    {'=', kWord, "word", false},
    {' ', kWord, "word", false},
    {'&', kWord, "word", false},
    {'$', kWord, "word", false},
    // unreserved = alphanum / mark; mark = - _ . ! ~ * ' ( )
    {'q', kUnreserved, "unreserved", true},
    {'-', kUnreserved, "unreserved", true},
    {'_', kUnreserved, "unreserved", true},
    {'.', kUnreserved, "unreserved", true},
    {'!', kUnreserved, "unreserved", true},
    {'~', kUnreserved, "unreserved", true},
    {'*', kUnreserved, "unreserved", true},
    {'\'', kUnreserved, "unreserved", true},
    {'(', kUnreserved, "unreserved", true},
    {')', kUnreserved, "unreserved", true},
    {'%', kUnreserved, "unreserved", false},
    {'+', kUnreserved, "unreserved", false},
    {'`', kUnreserved, "unreserved", false},
    {'@', kUnreserved, "unreserved", false},
    {':', kUnreserved, "unreserved", false},
    // user-unreserved = & = + $ , ; ? /
    {'&', kUserExtra, "user-unreserved", true},
    {'=', kUserExtra, "user-unreserved", true},
    {'+', kUserExtra, "user-unreserved", true},
    {'$', kUserExtra, "user-unreserved", true},
    {',', kUserExtra, "user-unreserved", true},
    {';', kUserExtra, "user-unreserved", true},
    {'?', kUserExtra, "user-unreserved", true},
    {'/', kUserExtra, "user-unreserved", true},
    {':', kUserExtra, "user-unreserved", false},
    {'@', kUserExtra, "user-unreserved", false},
    {'a', kUserExtra, "user-unreserved", false},
    // password = *( unreserved / escaped / & = + $ , )
    {'&', kPasswordExtra, "password", true},
    {'=', kPasswordExtra, "password", true},
    {'+', kPasswordExtra, "password", true},
    {'$', kPasswordExtra, "password", true},
    {',', kPasswordExtra, "password", true},
    {';', kPasswordExtra, "password", false},
    {'?', kPasswordExtra, "password", false},
    {'/', kPasswordExtra, "password", false},
    {':', kPasswordExtra, "password", false},
    {'@', kPasswordExtra, "password", false},
    // param-unreserved = [ ] / : & + $
    {'[', kParamExtra, "param-unreserved", true},
    {']', kParamExtra, "param-unreserved", true},
    {'/', kParamExtra, "param-unreserved", true},
    {':', kParamExtra, "param-unreserved", true},
    {'&', kParamExtra, "param-unreserved", true},
    {'+', kParamExtra, "param-unreserved", true},
    {'$', kParamExtra, "param-unreserved", true},
    {'=', kParamExtra, "param-unreserved", false},
    {';', kParamExtra, "param-unreserved", false},
    {'?', kParamExtra, "param-unreserved", false},
    {',', kParamExtra, "param-unreserved", false},
    // hnv-unreserved = [ ] / ? : + $
    {'[', kHeaderExtra, "hnv-unreserved", true},
    {']', kHeaderExtra, "hnv-unreserved", true},
    {'/', kHeaderExtra, "hnv-unreserved", true},
    {'?', kHeaderExtra, "hnv-unreserved", true},
    {':', kHeaderExtra, "hnv-unreserved", true},
    {'+', kHeaderExtra, "hnv-unreserved", true},
    {'$', kHeaderExtra, "hnv-unreserved", true},
    {'&', kHeaderExtra, "hnv-unreserved", false},
    {'=', kHeaderExtra, "hnv-unreserved", false},
    {';', kHeaderExtra, "hnv-unreserved", false},
    // HEXDIG
    {'0', kHex, "hex", true},
    {'9', kHex, "hex", true},
    {'a', kHex, "hex", true},
    {'f', kHex, "hex", true},
    {'A', kHex, "hex", true},
    {'F', kHex, "hex", true},
    {'g', kHex, "hex", false},
    {'G', kHex, "hex", false},
    {'x', kHex, "hex", false},
    // hostname characters: alphanum / - .
    {'h', kHostname, "hostname", true},
    {'5', kHostname, "hostname", true},
    {'-', kHostname, "hostname", true},
    {'.', kHostname, "hostname", true},
    {'_', kHostname, "hostname", false},
    {':', kHostname, "hostname", false},
    {'[', kHostname, "hostname", false},
    // scheme = ALPHA *( ALPHA / DIGIT / + - . )
    {'s', kSchemeChar, "scheme", true},
    {'3', kSchemeChar, "scheme", true},
    {'+', kSchemeChar, "scheme", true},
    {'-', kSchemeChar, "scheme", true},
    {'.', kSchemeChar, "scheme", true},
    {'_', kSchemeChar, "scheme", false},
    {':', kSchemeChar, "scheme", false},
    {'/', kSchemeChar, "scheme", false},
    // uric (RFC 2396) and the extras
    {';', kUric, "uric", true},
    {'/', kUric, "uric", true},
    {'?', kUric, "uric", true},
    {':', kUric, "uric", true},
    {'@', kUric, "uric", true},
    {'&', kUric, "uric", true},
    {'=', kUric, "uric", true},
    {'#', kUric, "uric", true},
    {'~', kUric, "uric", true},
    {' ', kUric, "uric", false},
    {'"', kUric, "uric", false},
    {'<', kUric, "uric", false},
    {'>', kUric, "uric", false},
    {'\\', kUric, "uric", false},
    // tel number characters
    // SP / HTAB only: CR and LF are not whitespace inside a value.
    {' ', kWhitespace, "whitespace", true},
    {'\t', kWhitespace, "whitespace", true},
    {'\r', kWhitespace, "whitespace", false},
    {'\n', kWhitespace, "whitespace", false},
    {'\v', kWhitespace, "whitespace", false},
    // ALPHA and DIGIT
    {'a', kAlpha, "alpha", true},
    {'Z', kAlpha, "alpha", true},
    {'0', kAlpha, "alpha", false},
    {'@', kAlpha, "alpha", false},
    {'[', kAlpha, "alpha", false},
    {'`', kAlpha, "alpha", false},
    {'{', kAlpha, "alpha", false},
    {'0', kDigit, "digit", true},
    {'9', kDigit, "digit", true},
    {'a', kDigit, "digit", false},
    {'/', kDigit, "digit", false},
    {':', kDigit, "digit", false},
};

TEST(CharsTest, ClassMembership) {
  for (const ClassCase& row : kClassCases) {
    SCOPED_TRACE(std::string("char 0x") + std::to_string(static_cast<unsigned char>(row.c)) + " '" +
                 std::string(1, row.c) + "' in " + row.cls_name);
    EXPECT_EQ(is(row.c, row.cls), row.expected);
    EXPECT_EQ(is(static_cast<unsigned char>(row.c), row.cls), row.expected);
  }
}

TEST(CharsTest, ControlAndNonAsciiBytesBelongOnlyToQuotedText) {
  // Outside printable ASCII, a byte may only appear inside a quoted-string (UTF-8, HTAB) or as
  // whitespace (HTAB); CTLs and DEL belong to no class at all.
  for (int c = 0; c < 256; ++c) {
    if (c >= 0x20 && c < 0x7f) continue;
    SCOPED_TRACE(c);
    uint32_t expected = c == '\t'   ? static_cast<uint32_t>(kWhitespace | kQdtextPlain)
                        : c >= 0x80 ? static_cast<uint32_t>(kQdtextPlain)
                                    : 0;
    EXPECT_EQ(kCharTable[c], expected);
  }
}

TEST(CharsTest, AllOf) {
  struct Case {
    std::string_view input;
    uint32_t cls;
    bool expected;
  };
  constexpr Case kCases[] = {
      {"", kToken, false},  // empty is never "all of"
      {"", kAlpha, false},
      {"abc", kAlpha, true},
      {"ab1", kAlpha, false},
      {"INVITE", kToken, true},
      {"!interesting-Method0123456789_*+`.%indeed'~", kToken, true},
      {"IN VITE", kToken, false},
      {"a\0b"sv, kToken, false},
      {"0123456789", kDigit, true},
      {"012345678a", kDigit, false},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.input);
    EXPECT_EQ(all_of(row.input, row.cls), row.expected);
  }
}

TEST(CharsTest, IsToken) {
  struct Case {
    std::string_view input;
    bool expected;
  };
  constexpr Case kCases[] = {
      {"INVITE", true}, {"RE%47IST%45R", true}, {"z9hG4bK-.!%66*_+`'~", true},
      {"", false},      {"a b", false},         {"a;b", false},
      {"a,b", false},   {"\"a\"", false},       {"caf\xc3\xa9", false},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.input);
    EXPECT_EQ(is_token(row.input), row.expected);
  }
}

TEST(CharsTest, AllEscapedOf) {
  struct Case {
    std::string_view input;
    uint32_t cls;
    bool expected;
  };
  constexpr Case kCases[] = {
      {"", kUnreserved, true},  // empty is fine: callers check emptiness themselves
      {"alice", kUnreserved, true},
      {"%41", kUnreserved, true},
      {"%4a%4A%ff%00", kUnreserved, true},
      {"I%20have%20spaces", kUnreserved, true},
      {"null-%00-null", kUnreserved, true},
      {"v%61lue%25%34%31", kUnreserved, true},
      {"a%2", kUnreserved, false},  // truncated escape at the end
      {"%4", kUnreserved, false},
      {"%", kUnreserved, false},
      {"a%", kUnreserved, false},
      {"%G1", kUnreserved, false},  // not hex
      {"%1G", kUnreserved, false},
      {"%%41", kUnreserved, false},  // '%' itself is not in the class
      {"%ZK", kUnreserved, false},
      {"a b", kUnreserved, false},
      {"a+b", kUnreserved, false},
      {"a+b", kUnreserved | kUserExtra, true},
      {"a@b", kUnreserved | kUserExtra, false},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.input);
    EXPECT_EQ(all_escaped_of(row.input, row.cls), row.expected);
  }
}

TEST(CharsTest, AllEscapedOfStopsAtTheEndOfTheView) {
  // Views into a receive buffer: the bytes after the view's end must never complete an escape.
  constexpr std::string_view kBuffer = "ab%4A%";
  EXPECT_TRUE(all_escaped_of(kBuffer.substr(0, 5), kUnreserved));
  EXPECT_FALSE(all_escaped_of(kBuffer.substr(0, 4), kUnreserved));  // "ab%4"
  EXPECT_FALSE(all_escaped_of(kBuffer.substr(0, 3), kUnreserved));  // "ab%"
  EXPECT_TRUE(all_escaped_of(kBuffer.substr(0, 2), kUnreserved));
}

TEST(CharsTest, Iequals) {
  struct Case {
    std::string_view a;
    std::string_view b;
    bool expected;
  };
  constexpr Case kCases[] = {
      {"", "", true},
      {"Digest", "DIGEST", true},
      {"branch", "BrAnCh", true},
      {"via", "Via", true},
      {"a", "ab", false},
      {"ab", "a", false},
      {"abc", "abd", false},
      // Only A-Z fold: '@' / '`', '[' / '{', ']' / '}' differ by 0x20 too but are not letters.
      {"@", "`", false},
      {"[", "{", false},
      {"]", "}", false},
      {"\xc3\xa9", "\xc3\x89", false},  // no locale: é and É are different bytes
      {"a\0b"sv, "A\0B"sv, true},
      {"a\0b"sv, "a\0c"sv, false},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(std::string(row.a) + " vs " + std::string(row.b));
    EXPECT_EQ(iequals(row.a, row.b), row.expected);
    EXPECT_EQ(iequals(row.b, row.a), row.expected);
  }
}

TEST(CharsTest, AsciiLower) {
  EXPECT_EQ(ascii_lower('A'), 'a');
  EXPECT_EQ(ascii_lower('Z'), 'z');
  EXPECT_EQ(ascii_lower('a'), 'a');
  EXPECT_EQ(ascii_lower('@'), '@');
  EXPECT_EQ(ascii_lower('['), '[');
  EXPECT_EQ(ascii_lower('\xc9'), '\xc9');
}

TEST(CharsTest, Trim) {
  struct Case {
    std::string_view input;
    std::string_view expected;
  };
  constexpr Case kCases[] = {
      {"", ""},
      {"abc", "abc"},
      {"  abc", "abc"},
      {"abc  ", "abc"},
      {" \t a b \t ", "a b"},  // inner whitespace kept
      {"\r\n x \r\n", "x"},
      {" \t\r\n", ""},
      {"\va\v", "\va\v"},  // only SP, HTAB, CR, LF are stripped
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.input);
    EXPECT_EQ(trim(row.input), row.expected);
  }
}

TEST(CharsTest, TrimReturnsAViewIntoTheInput) {
  std::string_view input = "  value  ";
  std::string_view out = trim(input);
  EXPECT_EQ(out.data(), input.data() + 2);
  EXPECT_EQ(out.size(), 5u);
}

TEST(CharsTest, ParseUintValid) {
  struct Case {
    std::string_view input;
    uint64_t max;
    uint64_t expected;
  };
  constexpr uint64_t kLarge = (uint64_t{1} << 60) - 1;
  constexpr Case kCases[] = {
      {"0", 255, 0},
      {"7", 255, 7},
      {"255", 255, 255},
      {"0068", 255, 68},  // RFC 4475 §3.1.1.1: Max-Forwards 0068
      {"0009", UINT32_MAX, 9},
      {"00000000000000000000000000000000000000001", 255, 1},  // leading zeros never overflow
      {"0000000000000000000000000000000000000000", 0, 0},
      {"4294967295", UINT32_MAX, 4294967295u},
      {"65535", 65535, 65535},
      {"1152921504606846975", kLarge, kLarge},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.input);
    uint64_t out = 12345;
    ASSERT_TRUE(parse_uint(row.input, row.max, out));
    EXPECT_EQ(out, row.expected);
  }
}

TEST(CharsTest, ParseUintInvalid) {
  struct Case {
    std::string_view input;
    uint64_t max;
  };
  constexpr uint64_t kLarge = (uint64_t{1} << 60) - 1;
  constexpr Case kCases[] = {
      {"", 255},
      {"256", 255},
      {"4294967296", UINT32_MAX},
      {"65536", 65535},
      {"1", 0},
      {"1152921504606846976", kLarge},
      // 2^64 and 2^64 + 1: a naive loop wraps them to 0 and 1.
      {"18446744073709551616", kLarge},
      {"18446744073709551617", kLarge},
      {"949302838503028349304023988", UINT32_MAX},  // RFC 4475 scalarlg Retry-After
      {"36893488147419103232", UINT32_MAX},         // RFC 4475 scalar02 CSeq (2^65)
      {"-1", 255},
      {"+1", 255},
      {" 1", 255},
      {"1 ", 255},
      {"12a", 255},
      {"0x10", 255},
      {"1.0", 255},
      {"1\0"sv, 255},
      {"\xd9\xa1", 255},  // ARABIC-INDIC DIGIT ONE is not a DIGIT
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.input);
    uint64_t out = 0;
    EXPECT_FALSE(parse_uint(row.input, row.max, out));
  }
}

}  // namespace
