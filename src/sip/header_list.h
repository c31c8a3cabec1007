#pragma once
// Splitting a header value that holds several elements ("a, b, c") on commas that stand outside
// quoted-strings and <...> (RFC 3261 §7.3.1).

#include <cstddef>
#include <string_view>

#include "common/result.h"

namespace hardline::sip {

// Walks the elements of a comma-separated header value, each trimmed of LWS.
// next() fails on an empty element (",,"), an unclosed quote or '<', or more than max elements.
class ListSplitter {
 public:
  ListSplitter(std::string_view value, size_t max_elements)
      : rest_(value), max_(max_elements), more_(true) {}

  // Sets `element` and returns true, or returns false when the list is exhausted.
  Result<bool> next(std::string_view& element);

 private:
  std::string_view rest_;
  size_t max_;
  size_t count_ = 0;
  bool more_;
};

// Convenience: calls on_element(std::string_view) for each element; returns the first error
// from the splitter or from the callback.
template <class OnElement>
Result<void> for_each_element(std::string_view value, size_t max_elements, OnElement&& on_element) {
  ListSplitter splitter(value, max_elements);
  std::string_view element;
  while (true) {
    auto more = splitter.next(element);
    if (!more) return tl::unexpected(more.error());
    if (!*more) return {};
    auto r = on_element(element);
    if (!r) return tl::unexpected(r.error());
  }
}

}  // namespace hardline::sip
