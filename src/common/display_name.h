#pragma once
// Display names that reach a phone's screen (checklist RT-5, RT-6): THE one function that makes a
// name from anywhere (an account, a trunk's From) safe to show. A name is text someone else
// chose, so it is reduced to what a person reads: no control characters, no bidirectional
// overrides or isolates (U+202E turns "moc.knab" into "bank.com"), no zero-width or other
// invisible format characters (which make "Alice" and "Al\u200bice" different names that look
// the same), no invalid UTF-8.

#include <cstddef>
#include <string>
#include <string_view>

namespace hardline {

inline constexpr size_t kMaxDisplayName = 64;

// `name` as printable UTF-8: invalid sequences, C0 and C1 controls, DEL, format characters
// (Unicode category Cf: bidi controls, zero-width characters, soft hyphen, tags ...), line and
// paragraph separators, private-use code points, noncharacters and invisible fillers are
// removed; other spaces (no-break, ideographic, ...) become ' ', runs of spaces one, and the
// ends are trimmed; the result is cut to kMaxDisplayName bytes at a character boundary. Quotes
// and backslashes stay (the caller quotes the result); empty in, empty out.
std::string sanitize_display_name(std::string_view name);

}  // namespace hardline
