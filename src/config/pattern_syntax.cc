#include "config/pattern_syntax.h"

#include <vector>

namespace hardline::config {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string column(size_t offset) {
  return "column " + std::to_string(offset + 1) + " of the pattern";
}

// Where the escape at `pos` (a backslash) ends: one past its last byte.
size_t skip_escape(std::string_view text, size_t pos) {
  size_t p = pos + 1;
  if (p >= text.size()) return p;
  const char c = text[p++];
  if (c == 'Q') {  // \Q...\E: literal text up to \E or the end
    const size_t end = text.find("\\E", p);
    return end == std::string_view::npos ? text.size() : end + 2;
  }
  if ((c == 'x' || c == 'p' || c == 'P') && p < text.size() && text[p] == '{') {
    const size_t close = text.find('}', p);
    return close == std::string_view::npos ? text.size() : close + 1;
  }
  return p;
}

// One past the ']' that closes the class opened at `pos`, or npos. As in RE2, a ']' right after
// "[" or "[^" is a member, and "[:alpha:]" is a member too.
size_t class_end(std::string_view text, size_t pos) {
  size_t p = pos + 1;
  if (p < text.size() && text[p] == '^') ++p;
  if (p < text.size() && text[p] == ']') ++p;
  while (p < text.size()) {
    const char c = text[p];
    if (c == ']') return p + 1;
    if (c == '\\') {
      p = skip_escape(text, p);
    } else if (c == '[' && p + 1 < text.size() && text[p + 1] == ':') {
      const size_t close = text.find(":]", p + 2);
      p = close == std::string_view::npos ? p + 1 : close + 2;
    } else {
      ++p;
    }
  }
  return std::string_view::npos;
}

// A whole number as RE2 reads one in a repeat: digits, no leading zero.
bool repeat_number(std::string_view text, size_t& p) {
  const size_t start = p;
  while (p < text.size() && is_digit(text[p])) ++p;
  return p > start && !(p - start > 1 && text[start] == '0');
}

// One past a complete repeat {m}, {m,} or {m,n} at `pos`, or npos.
size_t repeat_end(std::string_view text, size_t pos) {
  size_t p = pos + 1;
  if (!repeat_number(text, p)) return std::string_view::npos;
  if (p < text.size() && text[p] == ',') {
    ++p;
    if (p < text.size() && text[p] != '}' && !repeat_number(text, p)) {
      return std::string_view::npos;
    }
  }
  if (p >= text.size() || text[p] != '}') return std::string_view::npos;
  return p + 1;
}

PatternMistake brace_mistake(std::string_view text, size_t pos) {
  // What the operator probably meant: the digits and comma that follow, closed.
  size_t p = pos + 1;
  while (p < text.size() && p - pos <= 12 && (is_digit(text[p]) || text[p] == ',')) ++p;
  const std::string_view written = text.substr(pos, p - pos);
  const bool started = written.size() > 1 && (p >= text.size() || text[p] != '}');
  if (started && is_digit(written[1])) {
    return {pos, "the '{' at " + column(pos) + " begins a repeat that is never closed, so RE2 " +
                     "would read \"" + std::string(written) +
                     "\" as literal text that no dialled number contains: close it, e.g. " +
                     std::string(written) + "}"};
  }
  return {pos, "the '{' at " + column(pos) +
                   " does not begin a repeat {m}, {m,} or {m,n} (whole numbers without leading "
                   "zeros; {,n} is written {0,n}), so RE2 would read it as a literal brace: write "
                   "a complete repeat, or \\{ if you mean the character"};
}

}  // namespace

std::optional<PatternMistake> find_pattern_mistake(std::string_view pattern) {
  std::vector<size_t> open_groups;
  size_t p = 0;
  while (p < pattern.size()) {
    const char c = pattern[p];
    if (c == '\\') {
      p = skip_escape(pattern, p);
    } else if (c == '[') {
      const size_t end = class_end(pattern, p);
      if (end == std::string_view::npos) {
        return PatternMistake{p, "the '[' at " + column(p) +
                                     " opens a class that is never closed: add the ']', e.g. "
                                     "[0-9], or write \\[ for the character"};
      }
      p = end;
    } else if (c == '(') {
      open_groups.push_back(p++);
    } else if (c == ')') {
      if (open_groups.empty()) {
        return PatternMistake{p, "the ')' at " + column(p) +
                                     " closes no group: remove it, add the '(' it belongs to, "
                                     "or write \\) for the character"};
      }
      open_groups.pop_back();
      ++p;
    } else if (c == '{') {
      const size_t end = repeat_end(pattern, p);
      if (end == std::string_view::npos) return brace_mistake(pattern, p);
      p = end;
    } else {
      ++p;
    }
  }
  if (!open_groups.empty()) {
    // The innermost unclosed group is the one a ')' is missing from first.
    const size_t at = open_groups.back();
    return PatternMistake{at, "the '(' at " + column(at) +
                                  " opens a group that is never closed: add the ')', or write "
                                  "\\( for the character"};
  }
  return std::nullopt;
}

}  // namespace hardline::config
