#include "sip/chars.h"

#include <array>

namespace hardline::sip {
namespace {

constexpr std::array<uint16_t, 256> build_table() {
  std::array<uint16_t, 256> t{};
  auto add = [&t](std::string_view chars, uint16_t cls) {
    for (char c : chars) t[static_cast<unsigned char>(c)] |= cls;
  };
  for (int c = 'a'; c <= 'z'; ++c) t[c] |= kAlpha;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] |= kAlpha;
  for (int c = '0'; c <= '9'; ++c) t[c] |= kDigit | kHex;
  add("abcdefABCDEF", kHex);
  const uint16_t alnum_classes = kToken | kWord | kUnreserved | kHostname | kSchemeChar | kUric;
  for (int c = 0; c < 256; ++c) {
    if (t[c] & (kAlpha | kDigit)) t[c] |= alnum_classes;
  }
  add("-.!%*_+`'~", kToken | kWord);
  add("()<>:\\\"/[]?{}", kWord);
  add("-_.!~*'()", kUnreserved | kUric);
  add("&=+$,;?/", kUserExtra);
  add("&=+$,", kPasswordExtra);
  add("[]/:&+$", kParamExtra);
  add("[]/?:+$", kHeaderExtra);
  add("-.", kHostname);
  add("+-.", kSchemeChar);
  add(";/?:@&=+$,%[]#", kUric);
  add(" \t", kWhitespace);
  add("\"<>,", kListSpecial);
  return t;
}

constexpr std::array<uint16_t, 256> kTable = build_table();

}  // namespace

const uint16_t kCharTable[256] = {
#define HL_ROW(i) kTable[i], kTable[i + 1], kTable[i + 2], kTable[i + 3]
#define HL_ROW16(i) HL_ROW(i), HL_ROW(i + 4), HL_ROW(i + 8), HL_ROW(i + 12)
    HL_ROW16(0),   HL_ROW16(16),  HL_ROW16(32),  HL_ROW16(48),  HL_ROW16(64),  HL_ROW16(80),
    HL_ROW16(96),  HL_ROW16(112), HL_ROW16(128), HL_ROW16(144), HL_ROW16(160), HL_ROW16(176),
    HL_ROW16(192), HL_ROW16(208), HL_ROW16(224), HL_ROW16(240),
#undef HL_ROW16
#undef HL_ROW
};

const uint8_t kExtraCharTable[256] = {
#define HL_Q(c) \
  static_cast<uint8_t>((c) >= 0x20 && (c) != 0x7f && (c) != '"' && (c) != '\\' ? kQdtextPlain : 0)
#define HL_Q4(i) HL_Q(i), HL_Q(i + 1), HL_Q(i + 2), HL_Q(i + 3)
#define HL_Q16(i) HL_Q4(i), HL_Q4(i + 4), HL_Q4(i + 8), HL_Q4(i + 12)
    HL_Q16(0),   HL_Q16(16),  HL_Q16(32),  HL_Q16(48),  HL_Q16(64),  HL_Q16(80),
    HL_Q16(96),  HL_Q16(112), HL_Q16(128), HL_Q16(144), HL_Q16(160), HL_Q16(176),
    HL_Q16(192), HL_Q16(208), HL_Q16(224), HL_Q16(240),
#undef HL_Q16
#undef HL_Q4
#undef HL_Q
};

bool all_escaped_of(std::string_view s, uint16_t cls) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (s.size() - i < 3 || !is(s[i + 1], kHex) || !is(s[i + 2], kHex)) return false;
      i += 2;
    } else if (!is(s[i], cls)) {
      return false;
    }
  }
  return true;
}

bool parse_uint(std::string_view s, uint64_t max, uint64_t& out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > max) return false;  // max < 2^63, so v*10 cannot wrap before this check trips
  }
  out = v;
  return true;
}

}  // namespace hardline::sip
