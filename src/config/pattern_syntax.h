#pragma once
// Mistakes in a dialplan pattern that RE2 either refuses without saying where ("missing ]") or,
// worse, accepts with another meaning: RE2 reads a '{' that does not begin a complete repeat
// ({m}, {m,} or {m,n}) as a literal brace, so '0[1-9][0-9]{5,13' compiles and matches only
// numbers that end in the text "{5,13" (none). The loader calls this before RE2 so that every
// such pattern is refused with the position of the culprit and the fix.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace hardline::config {

struct PatternMistake {
  size_t offset = 0;    // 0-based byte offset of the culprit in the pattern
  std::string message;  // what is wrong there and how to fix it, e.g. "the '{' at column 12 ..."
};

// The first unclosed '[' or '(', unmatched ')', or '{' that is not a complete repeat, in
// pattern order; nullopt when there is none. Escapes (\{ \[ \( \x{41} \p{Greek} \Q...\E) and the
// inside of classes are skipped as RE2 skips them. Pure and linear.
std::optional<PatternMistake> find_pattern_mistake(std::string_view pattern);

}  // namespace hardline::config
