#include "sip/chars.h"

namespace hardline::sip {

bool all_escaped_of(std::string_view s, uint32_t cls) {
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
