#include "common/display_name.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

namespace hardline {
namespace {

struct Range {
  char32_t first;
  char32_t last;
};

// Removed: format characters (Unicode 15, category Cf), line and paragraph separators, and
// invisible characters of other categories that serve to make a name look like another one
// (fillers, the combining grapheme joiner, variation selectors). Sorted, for a binary search.
constexpr std::array<Range, 28> kRemoved = {{
    {0x00AD, 0x00AD},     // soft hyphen
    {0x034F, 0x034F},     // combining grapheme joiner
    {0x0600, 0x0605},     // Arabic number signs
    {0x061C, 0x061C},     // Arabic letter mark (bidi)
    {0x06DD, 0x06DD},     //
    {0x070F, 0x070F},     //
    {0x0890, 0x0891},     //
    {0x08E2, 0x08E2},     //
    {0x115F, 0x1160},     // Hangul fillers (blank names)
    {0x17B4, 0x17B5},     // Khmer inherent vowels (invisible)
    {0x180B, 0x180F},     // Mongolian variation selectors and vowel separator
    {0x200B, 0x200F},     // zero width space, non-joiner, joiner; LRM, RLM
    {0x2028, 0x202E},     // line and paragraph separators; LRE RLE PDF LRO RLO
    {0x2060, 0x206F},     // word joiner, invisible operators, isolates LRI RLI FSI PDI, ...
    {0x3164, 0x3164},     // Hangul filler
    {0xE000, 0xF8FF},     // private use
    {0xFDD0, 0xFDEF},     // noncharacters
    {0xFE00, 0xFE0F},     // variation selectors
    {0xFEFF, 0xFEFF},     // zero width no-break space (BOM)
    {0xFFA0, 0xFFA0},     // halfwidth Hangul filler
    {0xFFF9, 0xFFFB},     // interlinear annotation
    {0x110BD, 0x110BD},   //
    {0x110CD, 0x110CD},   //
    {0x13430, 0x1343F},   // Egyptian hieroglyph format controls
    {0x1BCA0, 0x1BCA3},   // shorthand format controls
    {0x1D173, 0x1D17A},   // musical symbol format controls
    {0xE0000, 0xE0FFF},   // tags, variation selectors supplement
    {0xF0000, 0x10FFFF},  // private use planes
}};

// Spaces other than U+0020 (category Zs): shown as one ordinary space.
bool is_other_space(char32_t c) {
  return c == 0x00A0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

bool is_removed(char32_t c) {
  if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) return true;  // C0, DEL, C1
  if ((c & 0xFFFE) == 0xFFFE) return true;                // U+xFFFE, U+xFFFF in every plane
  // The first range that does not end before c.
  const auto* range = std::lower_bound(kRemoved.begin(), kRemoved.end(), c,
                                       [](const Range& r, char32_t v) { return r.last < v; });
  return range != kRemoved.end() && range->first <= c;
}

// The code point at text[at] and its length in bytes; length 0 for an invalid sequence (a stray
// continuation byte, a truncated or overlong sequence, a surrogate, beyond U+10FFFF).
std::pair<char32_t, size_t> decode(std::string_view text, size_t at) {
  const auto lead = static_cast<unsigned char>(text[at]);
  if (lead < 0x80) return {lead, 1};
  size_t length = 0;
  char32_t c = 0;
  char32_t minimum = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, c = lead & 0x1F, minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, c = lead & 0x0F, minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, c = lead & 0x07, minimum = 0x10000;
  } else {
    return {0, 0};
  }
  if (at + length > text.size()) return {0, 0};
  for (size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(text[at + i]);
    if ((next & 0xC0) != 0x80) return {0, 0};
    c = (c << 6) | (next & 0x3F);
  }
  if (c < minimum || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return {0, 0};
  return {c, length};
}

}  // namespace

std::string sanitize_display_name(std::string_view name) {
  std::string out;
  out.reserve(std::min(name.size(), kMaxDisplayName));
  bool pending_space = false;
  size_t at = 0;
  while (at < name.size()) {
    const auto [c, length] = decode(name, at);
    if (length == 0) {
      ++at;  // an invalid byte: dropped, and decoding resumes at the next one
      continue;
    }
    const std::string_view bytes = name.substr(at, length);
    at += length;
    if (c == ' ' || is_other_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (is_removed(c)) continue;
    const size_t needed = bytes.size() + (pending_space ? 1 : 0);
    if (out.size() + needed > kMaxDisplayName) break;  // whole characters only
    if (pending_space) out += ' ';
    pending_space = false;
    out.append(bytes);
  }
  return out;
}

}  // namespace hardline
