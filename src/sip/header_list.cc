#include "sip/header_list.h"

#include "sip/chars.h"
#include "sip/params.h"

namespace hardline::sip {

Result<bool> ListSplitter::next(std::string_view& element) {
  if (!more_) return false;
  bool in_angle = false;
  size_t i = 0;
  for (; i < rest_.size(); ++i) {
    char c = rest_[i];
    if (!is(c, kListSpecial)) continue;
    if (c == '"' && !in_angle) {
      size_t end = quoted_string_end(rest_.substr(i));
      if (end == std::string_view::npos) return fail("unterminated quoted-string");
      i += end - 1;
    } else if (c == '<') {
      if (in_angle) return fail("nested '<'");
      in_angle = true;
    } else if (c == '>') {
      in_angle = false;
    } else if (c == ',' && !in_angle) {
      break;
    }
  }
  if (in_angle) return fail("unclosed '<'");
  element = trim(rest_.substr(0, i));
  if (element.empty()) return fail("empty element in list");
  if (++count_ > max_) return fail("too many elements in list");
  if (i == rest_.size()) {
    more_ = false;
  } else {
    rest_.remove_prefix(i + 1);
  }
  return true;
}

}  // namespace hardline::sip
