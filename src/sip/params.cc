#include "sip/params.h"

#include "sip/chars.h"

namespace hardline::sip {
namespace {

void skip_whitespace(std::string_view s, size_t& i) {
  while (i < s.size() && is(s[i], kWhitespace)) ++i;
}

// gen-value = token / host / quoted-string; host covers [IPv6] and, as Via's received= takes
// it, a bare IPv6 address, hence ':' '[' ']'.
bool is_header_value_char(char c) {
  return is(c, kToken) || c == ':' || c == '[' || c == ']';
}

// Reads the parameter that starts at s[i], in one pass, leaving i at the ';' that ends it or
// at the end of s. Returns false, with `why` set, when it breaks the grammar; on text that
// parse() accepted it always succeeds, which is what lets iteration reuse it unchecked.
bool scan_param(std::string_view s, size_t& i, ParamSyntax syntax, Param& p,
                std::string_view& why) {
  p = Param{};
  if (syntax == ParamSyntax::kUri) {
    size_t start = i;
    while (i < s.size() && s[i] != ';' && s[i] != '=') ++i;
    p.name = s.substr(start, i - start);
    if (i < s.size() && s[i] == '=') {
      size_t value_start = ++i;
      while (i < s.size() && s[i] != ';') ++i;
      p.value = s.substr(value_start, i - value_start);
      p.has_value = true;
    }
    if (p.name.empty()) {
      why = "empty parameter";
      return false;
    }
    if (!all_escaped_of(p.name, kUnreserved | kParamExtra)) {
      why = "bad URI parameter name";
      return false;
    }
    // pvalue = 1*paramchar: "transport=" is as malformed as ";;".
    if (p.has_value && (p.value.empty() || !all_escaped_of(p.value, kUnreserved | kParamExtra))) {
      why = "bad URI parameter value";
      return false;
    }
    return true;
  }

  skip_whitespace(s, i);
  size_t start = i;
  while (i < s.size() && is(s[i], kToken)) ++i;
  p.name = s.substr(start, i - start);
  skip_whitespace(s, i);
  if (i < s.size() && s[i] == '=') {
    ++i;
    skip_whitespace(s, i);
    size_t value_start = i;
    if (i < s.size() && s[i] == '"') {
      size_t end = quoted_string_end(s.substr(i));
      if (end == std::string_view::npos) {
        why = "bad quoted-string in parameter";
        return false;
      }
      i += end;
    } else {
      while (i < s.size() && is_header_value_char(s[i])) ++i;
    }
    p.value = s.substr(value_start, i - value_start);
    p.has_value = true;
    skip_whitespace(s, i);
  }
  if (p.name.empty()) {
    why = (i == s.size() || s[i] == ';') ? "empty parameter" : "bad parameter name";
    return false;
  }
  if (p.has_value && p.value.empty()) {
    why = "bad parameter value";
    return false;
  }
  if (i < s.size() && s[i] != ';') {
    why = "bad character in parameter";
    return false;
  }
  return true;
}

}  // namespace

size_t quoted_string_end(std::string_view s) {
  if (s.empty() || s.front() != '"') return std::string_view::npos;
  for (size_t i = 1; i < s.size(); ++i) {
    if (is(s[i], kQdtextPlain)) continue;  // the common case, one table lookup
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"') return i + 1;
    if (c == '\\') {
      // quoted-pair: any byte but CR and LF (RFC 3261 allows %x00-09 / %x0B-0C / %x0E-7F).
      if (i + 1 >= s.size() || s[i + 1] == '\r' || s[i + 1] == '\n') return std::string_view::npos;
      ++i;
    } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
      // qdtext excludes CTLs but HTAB; UTF-8 and SP are fine.
      return std::string_view::npos;
    }
  }
  return std::string_view::npos;
}

bool is_quoted_string(std::string_view s) {
  return quoted_string_end(s) == s.size();
}

size_t find_unquoted(std::string_view s, char c, bool angle_brackets) {
  bool in_angle = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    if (ch == '"' && !in_angle) {
      size_t end = quoted_string_end(s.substr(i));
      if (end == std::string_view::npos) return std::string_view::npos;
      i += end - 1;
      continue;
    }
    if (angle_brackets) {
      if (ch == '<') in_angle = true;
      if (ch == '>') in_angle = false;
      if (in_angle) continue;
    }
    if (ch == c) return i;
  }
  return std::string_view::npos;
}

Result<ParamList> ParamList::parse(std::string_view text, ParamSyntax syntax, size_t max_count) {
  size_t i = 0;
  size_t count = 0;
  Param p;
  std::string_view why;
  while (true) {
    if (++count > max_count) return fail("too many parameters");
    if (!scan_param(text, i, syntax, p, why)) return fail(why);
    if (i == text.size()) return ParamList(text, syntax);
    ++i;  // the ';'
  }
}

std::optional<std::string_view> ParamList::find(std::string_view name) const {
  for (const Param& p : *this) {
    if (iequals(p.name, name)) return p.value;
  }
  return std::nullopt;
}

void ParamList::Iterator::next() {
  if (!more_) {
    done_ = true;
    return;
  }
  std::string_view why;
  scan_param(rest_, pos_, syntax_, current_, why);
  done_ = false;
  if (pos_ >= rest_.size()) {
    more_ = false;
  } else {
    ++pos_;  // the ';'
  }
}

}  // namespace hardline::sip
