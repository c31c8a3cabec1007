#include "sip/params.h"

#include "sip/chars.h"

namespace hardline::sip {
namespace {

// Splits one parameter "name = value" (whitespace only meaningful for header params).
Param split_param(std::string_view item) {
  Param p;
  size_t eq = find_unquoted(item, '=');
  if (eq == std::string_view::npos) {
    p.name = trim(item);
  } else {
    p.name = trim(item.substr(0, eq));
    p.value = trim(item.substr(eq + 1));
    p.has_value = true;
  }
  return p;
}

// gen-value = token / host / quoted-string; host covers [IPv6] and, as Via's received= takes
// it, a bare IPv6 address, hence ':' '[' ']'.
bool valid_header_param_value(std::string_view v) {
  if (v.empty()) return false;
  if (v.front() == '"') return is_quoted_string(v);
  for (char c : v) {
    if (!is(c, kToken) && c != ':' && c != '[' && c != ']') return false;
  }
  return true;
}

}  // namespace

size_t quoted_string_end(std::string_view s) {
  if (s.empty() || s.front() != '"') return std::string_view::npos;
  for (size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\') {
      if (i + 1 >= s.size() || s[i + 1] == '\r' || s[i + 1] == '\n') return std::string_view::npos;
      ++i;
    } else if (c == '"') {
      return i + 1;
    } else if (c == '\r' || c == '\n') {
      return std::string_view::npos;
    }
  }
  return std::string_view::npos;
}

bool is_quoted_string(std::string_view s) {
  if (quoted_string_end(s) != s.size()) return false;
  // qdtext excludes CTLs other than HTAB (UTF-8 and SP are fine); quoted-pair may escape any
  // byte except CR and LF (RFC 3261 allows %x00-09 / %x0B-0C / %x0E-7F after the backslash).
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      ++i;
      continue;
    }
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
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
  size_t count = 0;
  std::string_view rest = text;
  while (true) {
    // An unclosed quote makes the item run to the end, where the value check rejects it.
    size_t semi = syntax == ParamSyntax::kHeader ? find_unquoted(rest, ';') : rest.find(';');
    std::string_view item = rest.substr(0, semi);
    if (++count > max_count) return fail("too many parameters");
    Param p = split_param(item);
    if (p.name.empty()) return fail("empty parameter");
    if (syntax == ParamSyntax::kUri) {
      if (item.size() != p.name.size() + (p.has_value ? p.value.size() + 1 : 0)) {
        return fail("whitespace in URI parameter");
      }
      if (!all_escaped_of(p.name, kUnreserved | kParamExtra)) {
        return fail("bad URI parameter name");
      }
      // pvalue = 1*paramchar: "transport=" is as malformed as ";;".
      if (p.has_value && (p.value.empty() || !all_escaped_of(p.value, kUnreserved | kParamExtra))) {
        return fail("bad URI parameter value");
      }
    } else {
      if (!is_token(p.name)) return fail("bad parameter name");
      if (p.has_value && !valid_header_param_value(p.value)) return fail("bad parameter value");
    }
    if (semi == std::string_view::npos) break;
    rest.remove_prefix(semi + 1);
  }
  return ParamList(text, syntax);
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
  size_t semi = syntax_ == ParamSyntax::kHeader ? find_unquoted(rest_, ';') : rest_.find(';');
  current_ = split_param(rest_.substr(0, semi));
  done_ = false;
  if (semi == std::string_view::npos) {
    more_ = false;
  } else {
    rest_.remove_prefix(semi + 1);
  }
}

}  // namespace hardline::sip
