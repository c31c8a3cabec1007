#pragma once
// Parameter lists (";name=value;flag"): validated once when parsed, then kept as a view into the
// message and walked on lookup, so that parsing allocates nothing for them.

#include <cstddef>
#include <optional>
#include <string_view>

#include "common/result.h"

namespace hardline::sip {

struct Param {
  std::string_view name;
  std::string_view value;  // as received (may be a quoted-string with its quotes); empty if none
  bool has_value = false;
};

// The two grammars parameters come in.
enum class ParamSyntax {
  kUri,     // uri-parameter: paramchar (escaped allowed), no whitespace, no quotes
  kHeader,  // generic-param: token [ EQUAL ( token / host / quoted-string ) ], LWS allowed
};

class ParamList {
 public:
  ParamList() = default;

  // Validates `text`, the part after the first ';' (so "a=1;lr"). Fails on an empty parameter
  // (";;", and so an empty text: a ';' with nothing after it), a bad name or value, or more than
  // max_count. A list with no parameters at all is a default-constructed ParamList.
  static Result<ParamList> parse(std::string_view text, ParamSyntax syntax, size_t max_count);

  // Parameter names compare case-insensitively (RFC 3261 §7.3.1, §19.1.4).
  std::optional<std::string_view> find(std::string_view name) const;
  bool has(std::string_view name) const { return find(name).has_value(); }

  std::string_view text() const { return text_; }
  bool empty() const { return text_.empty(); }

  class Iterator {
   public:
    Iterator() = default;
    Iterator(std::string_view text, ParamSyntax syntax)
        : rest_(text), syntax_(syntax), more_(!text.empty()) {
      next();
    }
    const Param& operator*() const { return current_; }
    const Param* operator->() const { return &current_; }
    Iterator& operator++() {
      next();
      return *this;
    }
    bool operator==(const Iterator& other) const { return done_ && other.done_; }

   private:
    void next();
    std::string_view rest_;
    size_t pos_ = 0;
    ParamSyntax syntax_ = ParamSyntax::kUri;
    Param current_;
    bool more_ = false;
    bool done_ = true;
  };
  Iterator begin() const { return Iterator(text_, syntax_); }
  Iterator end() const { return Iterator(); }

 private:
  ParamList(std::string_view text, ParamSyntax syntax) : text_(text), syntax_(syntax) {}
  std::string_view text_;
  ParamSyntax syntax_ = ParamSyntax::kUri;
};

// Finds the end of a quoted-string that starts at s[0] == '"' and checks it on the way; returns
// the index just past the closing quote, or npos when it is never closed or holds a control
// character other than HTAB outside a quoted-pair ("\" any byte but CR/LF).
size_t quoted_string_end(std::string_view s);

// Validates a quoted-string (with its quotes) per RFC 3261 §25.1.
bool is_quoted_string(std::string_view s);

// Finds the first occurrence of `c` at depth zero: outside quoted-strings and, when
// `angle_brackets` is set, outside <...>. Returns npos when there is none; an unclosed quote
// hides everything after it.
size_t find_unquoted(std::string_view s, char c, bool angle_brackets = false);

}  // namespace hardline::sip
