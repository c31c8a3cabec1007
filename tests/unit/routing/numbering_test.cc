#include "routing/numbering.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <random>
#include <string>

namespace hardline::routing {
namespace {

config::Numbering germany() {
  return config::Numbering{"49", "0", "00"};
}

TEST(Numbering, EveryFormOfANumberBecomesOne) {
  struct Case {
    const char* dialled;
    const char* normal;
  };
  const Case cases[] = {
      // National numbers as dialled stay.
      {"0900123456", "0900123456"},
      {"030123456", "030123456"},
      // The own country, written internationally: national form.
      {"0049900123456", "0900123456"},
      {"+49900123456", "0900123456"},
      {"+490900123456", "0900123456"},    // +49 (0)900
      {"00490900123456", "0900123456"},   // 0049 (0)900
      {"004900900123456", "0900123456"},  // leading zeros after the country code
      {"+49 (0)30 / 123-456", "030123456"},
      {"0049 30 123456", "030123456"},
      {"+49.30.123456", "030123456"},
      {"0 9 0 0 1 2 3", "0900123"},
      {"+49", "0"},
      // Other countries: the international prefix, never national.
      {"+33123456789", "0033123456789"},
      {"0033 1 23 45 67 89", "0033123456789"},
      {"+1 900 555 0100", "0019005550100"},
      {"+4", "004"},
      {"+", "00"},
      // Internal numbers, service codes and anything else stay.
      {"1002", "1002"},
      {"10-02", "1002"},
      {"*31#0900123", "*31#0900123"},
      {"*31#+49900123", "*31#+49900123"},
      {"#31#", "#31#"},
      {"alice", "alice"},
      {"", ""},
      {"0049+900", "0+900"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(normalize_number(c.dialled, germany()), c.normal) << c.dialled;
    EXPECT_EQ(normalize_number(c.normal, germany()), c.normal) << c.dialled;  // idempotent
  }
}

TEST(Numbering, OffWithoutACountryCode) {
  const config::Numbering off;
  EXPECT_FALSE(normalises(off));
  for (const char* number : {"+49900123", "0049 900", "*31#0900", "10-02"}) {
    EXPECT_EQ(normalize_number(number, off), number);
  }
  EXPECT_EQ(changed_numbers_pattern(off), "");
  EXPECT_EQ(describe_numbering(off), "");
}

TEST(Numbering, OtherPlans) {
  // No national prefix (Italy): the 0 belongs to the number.
  const config::Numbering italy{"39", "", "00"};
  EXPECT_EQ(normalize_number("+39 06 1234567", italy), "061234567");
  EXPECT_EQ(normalize_number("0039 0039 06 12", italy), "0612");
  // North America: 011 abroad, 1 at home.
  const config::Numbering nanp{"1", "1", "011"};
  EXPECT_EQ(normalize_number("+1 212 555 0100", nanp), "12125550100");
  EXPECT_EQ(normalize_number("011 1 212 555 0100", nanp), "12125550100");
  EXPECT_EQ(normalize_number("+44 20 7946 0000", nanp), "011442079460000");
  EXPECT_EQ(describe_numbering(nanp),
            "national form (country code 1, national prefix 1, international prefix 011)");
}

TEST(Numbering, ChangedPatternMatchesExactlyWhatNormalisationChanges) {
  // The analysis relies on it: a rule whose pattern matches only these can never match.
  const config::Numbering plan = germany();
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  const RE2 changed(changed_numbers_pattern(plan), options);
  ASSERT_TRUE(changed.ok()) << changed.error();
  std::mt19937 random(12);
  const std::string alphabet = "0049+ -()./*#19";
  for (int i = 0; i < 20000; ++i) {
    std::string number;
    const int length = static_cast<int>(random() % 10);
    for (int k = 0; k < length; ++k) number += alphabet[random() % alphabet.size()];
    const bool rewritten = normalize_number(number, plan) != number;
    EXPECT_EQ(RE2::FullMatch(number, changed), rewritten) << number;
  }
}

}  // namespace
}  // namespace hardline::routing
