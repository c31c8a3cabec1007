#pragma once
// Dialled numbers in one form (checklist RT-4): a phone can write the same number many ways
// ("0900 1234", "0049 900 1234", "+49-900-1234", "+49 (0)900 1234"), and a dialplan that bars
// one of them must bar them all. With the deployment's country code set (dialplan.country_code),
// every dialled number is normalised before any rule sees it:
//
//   1. visual separators are removed: ' ', '-', '.', '(', ')', '/';
//   2. "+" becomes the international prefix ("+33 1" -> "00331");
//   3. the international prefix and the own country code become the national prefix, and
//      national prefixes written after the country code are dropped ("+49 (0)30" -> "030",
//      "00490030" -> "030").
//
// Everything else stays as dialled: internal numbers, service codes (*31#...), letters. The
// result is the national form for numbers of the own country and the international form (with
// the international prefix) for others. Pure; the same function serves the server, `dialplan
// explain | test` and the analysis.

#include <string>
#include <string_view>

#include "config/routing_config.h"

namespace hardline::routing {

// Whether `numbering` asks for normalisation (a country code is set).
bool normalises(const config::Numbering& numbering);

// `number` in its normal form; `number` itself when normalises() is false. Idempotent.
std::string normalize_number(std::string_view number, const config::Numbering& numbering);

// An RE2 pattern (in the subset the analysis reads) for the numbers normalize_number() changes:
// no rule ever sees one of them. Empty when normalises() is false.
std::string changed_numbers_pattern(const config::Numbering& numbering);

// What a dialled number, as the rules see it, is made of: digits, letters, '*', '#' and '+',
// and, when numbers are not normalised, the separators normalisation would remove. A pattern
// that matches only strings with some other byte (a '{', a ',') can never match a real number.
// `dialled_characters()` lists them as a class body for a pattern ("0-9A-Za-z*#+ ().\-/");
// `is_dialled_character()` tests one byte; `describe_dialled_characters()` is for messages.
std::string dialled_characters(const config::Numbering& numbering);
bool is_dialled_character(char c, const config::Numbering& numbering);
std::string describe_dialled_characters(const config::Numbering& numbering);

// "national form (country code 49, national prefix 0, international prefix 00)": for explain
// and graph. Empty when normalises() is false.
std::string describe_numbering(const config::Numbering& numbering);

}  // namespace hardline::routing
