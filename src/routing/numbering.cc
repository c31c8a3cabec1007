#include "routing/numbering.h"

namespace hardline::routing {
namespace {

constexpr std::string_view kSeparators = " -.()/";

bool is_separator(char c) {
  return kSeparators.find(c) != std::string_view::npos;
}

// A literal in a pattern: digits need no escape, '+' does.
std::string literal(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '+') out += '\\';
    out += c;
  }
  return out;
}

// One round of steps 2 and 3 on a number without separators.
std::string normalize_once(std::string_view number, const config::Numbering& numbering) {
  std::string_view international;  // the part after the international prefix
  if (number.starts_with('+')) {
    international = number.substr(1);
  } else if (number.starts_with(numbering.international_prefix)) {
    international = number.substr(numbering.international_prefix.size());
  } else {
    return std::string(number);
  }
  if (!international.starts_with(numbering.country_code)) {
    return numbering.international_prefix + std::string(international);
  }
  std::string_view after = international.substr(numbering.country_code.size());
  // "+49 (0)30": the national prefix has no place after the country code, but phones, people and
  // some providers write it; whatever follows is read as the national number.
  const std::string& national = numbering.national_prefix;
  while (!national.empty() && after.starts_with(national)) after.remove_prefix(national.size());
  return national + std::string(after);
}

}  // namespace

bool normalises(const config::Numbering& numbering) {
  return !numbering.country_code.empty();
}

std::string normalize_number(std::string_view number, const config::Numbering& numbering) {
  if (!normalises(numbering)) return std::string(number);
  std::string out;
  out.reserve(number.size() + numbering.international_prefix.size());
  for (char c : number) {
    if (!is_separator(c)) out += c;
  }
  // One round is enough with a national prefix; without one ("+39 0039 06") the national
  // number may itself begin with the international prefix again. Bounded by the length.
  for (size_t round = 0; round <= number.size(); ++round) {
    std::string next = normalize_once(out, numbering);
    if (next == out) break;
    out = std::move(next);
  }
  return out;
}

std::string changed_numbers_pattern(const config::Numbering& numbering) {
  if (!normalises(numbering)) return {};
  // A separator anywhere; a leading '+'; the international prefix and the own country code.
  return ".*[ ().\\-/].*|\\+.*|" + literal(numbering.international_prefix) +
         literal(numbering.country_code) + ".*";
}

bool is_dialled_character(char c, const config::Numbering& numbering) {
  if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return true;
  if (c == '*' || c == '#' || c == '+') return true;
  // Separators reach the rules only when nothing removes them.
  return !normalises(numbering) && is_separator(c);
}

std::string dialled_characters(const config::Numbering& numbering) {
  // '-' last, escaped anyway: the class body is read as RE2 reads it.
  return normalises(numbering) ? "0-9A-Za-z*#+" : "0-9A-Za-z*#+ ()./\\-";
}

std::string describe_dialled_characters(const config::Numbering& numbering) {
  return normalises(numbering)
             ? "digits, letters, '*', '#' and '+' (separators are removed first)"
             : "digits, letters, '*', '#', '+' and the separators ' ', '-', '.', '(', ')', '/'";
}

std::string describe_numbering(const config::Numbering& numbering) {
  if (!normalises(numbering)) return {};
  return "national form (country code " + numbering.country_code + ", national prefix " +
         (numbering.national_prefix.empty() ? std::string("none") : numbering.national_prefix) +
         ", international prefix " + numbering.international_prefix + ")";
}

}  // namespace hardline::routing
