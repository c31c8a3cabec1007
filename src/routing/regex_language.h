#pragma once
// The language of a dialplan pattern, for deciding offline what RE2 would do on every possible
// number: whether a pattern matches nothing, and whether every number one pattern matches is
// matched by earlier ones (a shadowed rule). Patterns are read as RE2 reads them with Latin-1
// encoding and full-match semantics, but only in the subset dialplans use: literals, escapes
// (\d \w \s and their negations, \x41, \. ...), classes ([0-9], [^#]), '.', groups ((...),
// (?:...), (?P<n>...)), alternation, ? * + {m} {m,} {m,n} (lazy or not), ^ $ \A \z. Anything
// else (flags, \b, \p{..}, POSIX classes, code points above 0xFF) makes a Language undecided, and
// callers then report nothing: an answer is given only when it is certain.

#include <bitset>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hardline::routing {

class Language {
 public:
  // nullopt when the pattern is outside the subset or too large (more than kMaxStates states).
  static std::optional<Language> parse(std::string_view pattern);

  // True when no string at all matches.
  bool empty() const;
  // The shortest matching string (bytes), or nullopt when empty.
  std::optional<std::string> example() const;

  // One automaton for the union of several (nullopt beyond kMaxCombinedStates): deciding
  // inclusion in it is far cheaper than in the languages one by one.
  static std::optional<Language> combine(std::span<const Language* const> languages);
  // Adds `other` to a combined automaton; false (and nothing added) beyond kMaxCombinedStates.
  bool add_to_union(const Language& other);
  // The strings of `first` followed by one of `second` (nullopt beyond kMaxCombinedStates).
  static std::optional<Language> concat(const Language& first, const Language& second);
  // The strings w for which `prefix` followed by w matches: what is left of the language once
  // `prefix` has been read ("0900..." after "0" is "900...").
  Language after(std::string_view prefix) const;

  static constexpr size_t kMaxStates = 4000;
  static constexpr size_t kMaxCombinedStates = 200000;

 private:
  friend struct LanguageBuilder;
  friend std::optional<bool> is_subset(const Language&, std::span<const Language* const>);
  friend std::optional<std::optional<std::string>> shared_example(const Language&, const Language&);

  struct State {
    std::vector<uint32_t> epsilon;   // unconditional
    std::vector<uint32_t> at_begin;  // only before the first byte (^, \A)
    std::vector<uint32_t> at_end;    // only after the last byte ($, \z)
    std::bitset<256> bytes;          // the byte edge, to `next`, when any bit is set
    uint32_t next = 0;
  };
  std::vector<State> states_;
  uint32_t start_ = 0;
  uint32_t accept_ = 0;
};

// Whether every string `subset` matches is matched by at least one of `union_of`. nullopt when
// the search would exceed its bounds (then nothing is claimed).
std::optional<bool> is_subset(const Language& subset, std::span<const Language* const> union_of);
// Whether some string matches both. nullopt beyond the search's bounds.
std::optional<bool> intersects(const Language& a, const Language& b);
// The shortest string both match (bytes): nullopt beyond the search's bounds, and inside it
// nullopt when they share none.
std::optional<std::optional<std::string>> shared_example(const Language& a, const Language& b);

}  // namespace hardline::routing
