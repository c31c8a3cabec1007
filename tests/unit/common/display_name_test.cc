#include "common/display_name.h"

#include <gtest/gtest.h>

#include <string>

namespace hardline {
namespace {

TEST(DisplayName, ReducedToPrintableTextWithoutFormatCharacters) {
  struct Case {
    const char* what;
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"plain", "Alice", "Alice"},
      {"trimmed", "  Alice  ", "Alice"},
      {"quotes stay (the caller escapes them)", "Al \"the\" \\ Boss", "Al \"the\" \\ Boss"},
      {"line breaks", "Bob\r\nVia: evil", "BobVia: evil"},
      {"NUL", std::string("N\0ul", 4), "Nul"},
      {"escape sequence", "\x1b[31mred", "[31mred"},
      {"DEL and C1",
       "a\x7f"
       "b\xc2\x85"
       "c\xc2\x9b"
       "d",
       "abcd"},
      {"UTF-8 letters stay", "J\xc3\xbcrgen M\xc3\xbcller", "J\xc3\xbcrgen M\xc3\xbcller"},
      {"CJK stays", "\xe5\xb1\xb1\xe7\x94\xb0", "\xe5\xb1\xb1\xe7\x94\xb0"},
      {"emoji stays", "Bob \xf0\x9f\x93\x9e", "Bob \xf0\x9f\x93\x9e"},
      // U+202E RIGHT-TO-LEFT OVERRIDE: "Colleague" written to look like something else.
      {"RLO",
       "Coll\xe2\x80\xae"
       "eague",
       "Colleague"},
      {"LRO, PDF, LRE, RLE",
       "\xe2\x80\xad"
       "A\xe2\x80\xac"
       "B\xe2\x80\xaa"
       "C\xe2\x80\xab",
       "ABC"},
      {"isolates LRI RLI FSI PDI",
       "\xe2\x81\xa6"
       "a\xe2\x81\xa7"
       "b\xe2\x81\xa8"
       "c\xe2\x81\xa9",
       "abc"},
      {"LRM, RLM, ALM",
       "\xe2\x80\x8e"
       "a\xe2\x80\x8f"
       "b\xd8\x9c",
       "ab"},
      {"zero width space, non-joiner, joiner",
       "A\xe2\x80\x8b"
       "l\xe2\x80\x8c"
       "i\xe2\x80\x8d"
       "ce",
       "Alice"},
      {"word joiner and BOM",
       "\xef\xbb\xbf"
       "Al\xe2\x81\xa0ice",
       "Alice"},
      {"soft hyphen",
       "Al\xc2\xad"
       "ice",
       "Alice"},
      {"tags (U+E0041)", "Alice\xf3\xa0\x81\x81", "Alice"},
      {"variation selector",
       "A\xef\xb8\x8f"
       "b",
       "Ab"},
      {"Hangul filler only: nothing left", "\xe3\x85\xa4", ""},
      {"line separator",
       "a\xe2\x80\xa8"
       "b",
       "ab"},
      {"private use",
       "a\xee\x80\x80"
       "b",
       "ab"},
      {"noncharacter",
       "a\xef\xbf\xbe"
       "b",
       "ab"},
      {"other spaces become one space", "Bob\xc2\xa0\xe3\x80\x80 Smith", "Bob Smith"},
      {"runs of spaces", "Bob     Smith", "Bob Smith"},
      {"invalid UTF-8: stray continuation",
       "a\x80"
       "b",
       "ab"},
      {"invalid UTF-8: truncated", "ab\xe2\x80", "ab"},
      {"invalid UTF-8: overlong slash",
       "a\xc0\xaf"
       "b",
       "ab"},
      {"invalid UTF-8: surrogate",
       "a\xed\xa0\x80"
       "b",
       "ab"},
      {"invalid UTF-8: beyond U+10FFFF",
       "a\xf4\x90\x80\x80"
       "b",
       "ab"},
      {"only format characters", "\xe2\x80\xae\xe2\x80\x8b", ""},
      {"empty", "", ""},
      {"long", std::string(100, 'x'), std::string(kMaxDisplayName, 'x')},
      // 63 ASCII bytes and a two-byte character: cut before the character, never inside it.
      {"cut at a character", std::string(63, 'a') + "\xc3\xa9", std::string(63, 'a')},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string out = sanitize_display_name(c.in);
    EXPECT_EQ(out, c.out);
    EXPECT_LE(out.size(), kMaxDisplayName);
    EXPECT_EQ(sanitize_display_name(out), out);  // idempotent
  }
}

TEST(DisplayName, EveryByteSequenceGivesValidShortText) {
  // Every two-byte sequence, and a sample of three-byte ones, between letters.
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; b += (a < 0xE0 ? 1 : 7)) {
      std::string in = "x";
      in += static_cast<char>(a);
      in += static_cast<char>(b);
      in +=
          "\xbf"
          "y";
      const std::string out = sanitize_display_name(in);
      ASSERT_EQ(sanitize_display_name(out), out) << a << " " << b;
      for (char c : out) {
        const auto byte = static_cast<unsigned char>(c);
        ASSERT_TRUE(byte >= 0x20 && byte != 0x7f) << a << " " << b;
      }
    }
  }
}

}  // namespace
}  // namespace hardline
