#pragma once
// Scanner signatures: a list of names matched without regard to ASCII case, each as a whole
// word (the characters either side of it, if any, are not letters or digits), so that "sipcli"
// finds "sipcli/v1.8" but not "MySipClient", and "smap" finds "smap 0.6" but not "Smappee".

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hardline::guard {

class SignatureMatcher {
 public:
  explicit SignatureMatcher(const std::vector<std::string>& signatures);

  // The index (in the list given) of the first signature found in `text`; nullopt for none.
  // Allocates only when `text` is longer than any text before it.
  std::optional<size_t> find(std::string_view text);

  bool empty() const { return signatures_.empty(); }
  const std::string& signature(size_t index) const { return signatures_[index]; }

 private:
  std::vector<std::string> signatures_;  // as configured, for reasons
  std::vector<std::string> folded_;      // lower case
  std::string scratch_;                  // the text being searched, lower case
};

}  // namespace hardline::guard
