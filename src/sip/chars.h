#pragma once
// Character classes of the RFC 3261 grammar (§25.1), as constant-time table lookups.

#include <cstdint>
#include <string_view>

namespace hardline::sip {

enum CharClass : uint16_t {
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
  kWhitespace = 1 << 14,   // SP / HTAB
  kListSpecial = 1 << 15,  // what a comma-separated list must look at: " < > ,
};

// Classes that do not fit in the 16 bits above, in a second table.
enum ExtraCharClass : uint8_t {
  kQdtextPlain = 1 << 0,  // qdtext other than '\\' and '"': a quoted-string's ordinary bytes
};
extern const uint8_t kExtraCharTable[256];
inline bool is_qdtext_plain(char c) {
  return (kExtraCharTable[static_cast<unsigned char>(c)] & kQdtextPlain) != 0;
}

extern const uint16_t kCharTable[256];

inline bool is(unsigned char c, uint16_t cls) {
  return (kCharTable[c] & cls) != 0;
}
inline bool is(char c, uint16_t cls) {
  return is(static_cast<unsigned char>(c), cls);
}

// True when every byte of s is in cls (and s is not empty).
inline bool all_of(std::string_view s, uint16_t cls) {
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
bool all_escaped_of(std::string_view s, uint16_t cls);

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
