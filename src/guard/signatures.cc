#include "guard/signatures.h"

#include "common/assert.h"

namespace hardline::guard {
namespace {

char fold(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

SignatureMatcher::SignatureMatcher(const std::vector<std::string>& signatures)
    : signatures_(signatures) {
  for (const std::string& signature : signatures_) {
    HL_CHECK(!signature.empty());
    std::string folded;
    for (char c : signature) folded += fold(c);
    folded_.push_back(std::move(folded));
  }
}

std::optional<size_t> SignatureMatcher::find(std::string_view text) {
  if (folded_.empty() || text.empty()) return std::nullopt;
  scratch_.resize(text.size());
  for (size_t i = 0; i < text.size(); ++i) scratch_[i] = fold(text[i]);
  const std::string_view haystack = scratch_;
  for (size_t index = 0; index < folded_.size(); ++index) {
    const std::string& needle = folded_[index];
    for (size_t at = haystack.find(needle); at != std::string_view::npos;
         at = haystack.find(needle, at + 1)) {
      const size_t end = at + needle.size();
      const bool starts_word =
          at == 0 || !is_word_char(haystack[at - 1]) || !is_word_char(needle.front());
      const bool ends_word =
          end == haystack.size() || !is_word_char(haystack[end]) || !is_word_char(needle.back());
      if (starts_word && ends_word) return index;
    }
  }
  return std::nullopt;
}

}  // namespace hardline::guard
