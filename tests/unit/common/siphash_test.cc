#include "common/siphash.h"

#include <gtest/gtest.h>

#include <string>

namespace hardline {
namespace {

// The reference vectors of the SipHash paper (key 00..0f, message 00..n-1).
TEST(SipHash, ReferenceVectors) {
  const uint64_t k0 = 0x0706050403020100ULL;
  const uint64_t k1 = 0x0f0e0d0c0b0a0908ULL;
  std::string message;
  EXPECT_EQ(siphash24(k0, k1, message), 0x726fdb47dd0e0e31ULL);
  for (int i = 0; i < 15; ++i) message.push_back(static_cast<char>(i));
  EXPECT_EQ(siphash24(k0, k1, message), 0xa129ca6149be45e5ULL);
}

TEST(SipHash, KeyedHashDependsOnTheKey) {
  KeyedHash a{1, 2};
  KeyedHash b{1, 3};
  EXPECT_EQ(a("z9hG4bK-x"), a("z9hG4bK-x"));
  EXPECT_NE(a("z9hG4bK-x"), b("z9hG4bK-x"));
  EXPECT_NE(a("z9hG4bK-x"), a("z9hG4bK-y"));
  KeyedHash r1 = KeyedHash::random();
  KeyedHash r2 = KeyedHash::random();
  EXPECT_FALSE(r1.k0 == r2.k0 && r1.k1 == r2.k1);
}

}  // namespace
}  // namespace hardline
