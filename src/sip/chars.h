#pragma once
// Character classes of the RFC 3261 grammar (§25.1), as constant-time table lookups.

#include <array>
#include <cstdint>
#include <string_view>

namespace hardline::sip {

enum CharClass : uint32_t {
  kAlpha = 1 << 0,
  kDigit = 1 << 1,
  kToken = 1 << 2,          // token: alphanum / - . ! % * _ + ` ' ~
  kWord = 1 << 3,           // word (Call-ID): token / ( ) < > : \ " / [ ] ? { }
  kUnreserved = 1 << 4,     // alphanum / mark
  kUserExtra = 1 << 5,      // user-unreserved: & = + $ , ; ? /
  kPasswordExtra = 1 << 6,  // & = + $ ,
  kParamExtra = 1 << 7,     // param-unreserved: [ ] / : & + $
  kHeaderExtra = 1 << 8,    // hnv-unreserved: [ ] / ? : + $
  kHex = 1 << 9,
  kHostname = 1 << 10,     // alphanum / - .
  kSchemeChar = 1 << 11,   // ALPHA / DIGIT / + - .
  kUric = 1 << 12,         // RFC 2396 uric plus the few extras seen in absolute URIs
  kWhitespace = 1 << 13,   // SP / HTAB
  kListSpecial = 1 << 14,  // what a comma-separated list must look at: " < > ,
  kQdtextPlain = 1 << 15,  // qdtext but '\\' and '"': a quoted-string's ordinary bytes
};

namespace detail {

constexpr std::array<uint32_t, 256> build_char_table() {
  std::array<uint32_t, 256> t{};
  auto add = [&t](std::string_view chars, uint32_t cls) {
    for (char c : chars) t[static_cast<unsigned char>(c)] |= cls;
  };
  for (int c = 'a'; c <= 'z'; ++c) t[c] |= kAlpha;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] |= kAlpha;
  for (int c = '0'; c <= '9'; ++c) t[c] |= kDigit | kHex;
  add("abcdefABCDEF", kHex);
  const uint32_t alnum_classes = kToken | kWord | kUnreserved | kHostname | kSchemeChar | kUric;
  for (int c = 0; c < 256; ++c) {
    if (t[c] & (kAlpha | kDigit)) t[c] |= alnum_classes;
    // qdtext = LWS / %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII: every byte but CTLs (HTAB
    // aside), DEL, '"' and '\\'.
    if ((c >= 0x20 || c == '\t') && c != 0x7f && c != '"' && c != '\\') t[c] |= kQdtextPlain;
  }
  add("-.!%*_+`'~", kToken | kWord);
  add("()<>:\\\"/[]?{}", kWord);
  add("-_.!~*'()", kUnreserved | kUric);
  add("&=+$,;?/", kUserExtra);
  add("&=+$,", kPasswordExtra);
  add("[]/:&+$", kParamExtra);
  add("[]/?:+$", kHeaderExtra);
  add("-.", kHostname);
  add("+-.", kSchemeChar);
  add(";/?:@&=+$,%[]#", kUric);
  add(" \t", kWhitespace);
  add("\"<>,", kListSpecial);
  return t;
}

}  // namespace detail

inline constexpr std::array<uint32_t, 256> kCharTable = detail::build_char_table();

inline bool is(unsigned char c, uint32_t cls) {
  return (kCharTable[c] & cls) != 0;
}
inline bool is(char c, uint32_t cls) {
  return is(static_cast<unsigned char>(c), cls);
}

// True when every byte of s is in cls (and s is not empty).
inline bool all_of(std::string_view s, uint32_t cls) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is(c, cls)) return false;
  }
  return true;
}

inline bool is_token(std::string_view s) {
  return all_of(s, kToken);
}

// True when every byte of s is in cls or starts a valid escape ("%" HEX HEX). Empty is true.
bool all_escaped_of(std::string_view s, uint32_t cls);

inline char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// ASCII lower-case comparison without locale.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// Strips SP/HTAB (and CR/LF, which unfolded values no longer hold) from both ends.
inline std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// Parses 1*DIGIT into a value no larger than max; false on an empty string, a non-digit or
// overflow. max must stay below 2^60. Leading zeros are allowed ("0068" is 68), as RFC 4475
// §3.1.1.1 requires.
bool parse_uint(std::string_view s, uint64_t max, uint64_t& out);

}  // namespace hardline::sip
