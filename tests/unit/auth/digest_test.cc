// Digest computations: RFC 7616 §3.9.1 (MD5 and SHA-256) and a SIP MD5 example computed apart.

#include "auth/digest.h"

#include <gtest/gtest.h>

#include <optional>
#include <string_view>

using namespace hardline::auth;

namespace {

// RFC 7616 §3.9.1: the same GET answered with MD5 and with SHA-256. The password has a lower-case
// "of" (erratum 4495).
constexpr std::string_view kUser = "Mufasa";
constexpr std::string_view kRealm = "http-auth@example.org";
constexpr std::string_view kPassword = "Circle of Life";
constexpr std::string_view kNonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
constexpr std::string_view kCnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
constexpr std::string_view kNc = "00000001";
constexpr std::string_view kQop = "auth";
constexpr std::string_view kMethod = "GET";
constexpr std::string_view kUri = "/dir/index.html";

TEST(DigestTest, AlgorithmNames) {
  EXPECT_EQ(algorithm_name(Algorithm::kSha256), "SHA-256");
  EXPECT_EQ(algorithm_name(Algorithm::kMd5), "MD5");
  EXPECT_EQ(hex_size(Algorithm::kSha256), 64u);
  EXPECT_EQ(hex_size(Algorithm::kMd5), 32u);
}

TEST(DigestTest, ParsesAlgorithmParameter) {
  struct Case {
    std::optional<std::string_view> param;
    std::optional<Algorithm> expected;
  };
  const Case kCases[] = {
      {std::nullopt, Algorithm::kMd5},  // RFC 2617 / RFC 3261 default
      {"MD5", Algorithm::kMd5},
      {"md5", Algorithm::kMd5},
      {"SHA-256", Algorithm::kSha256},
      {"sha-256", Algorithm::kSha256},
      {"Sha-256", Algorithm::kSha256},
      {"MD5-sess", std::nullopt},
      {"SHA-256-sess", std::nullopt},
      {"SHA-512-256", std::nullopt},
      {"SHA256", std::nullopt},
      {"SHA-1", std::nullopt},
      {"", std::nullopt},
      {"MD5 ", std::nullopt},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.param.value_or("(absent)"));
    EXPECT_EQ(parse_algorithm(row.param), row.expected);
  }
}

TEST(DigestTest, Rfc7616Md5Example) {
  const std::string ha1 = compute_ha1(Algorithm::kMd5, kUser, kRealm, kPassword);
  EXPECT_EQ(ha1, "3d78807defe7de2157e2b0b6573a855f");
  EXPECT_EQ(compute_response(Algorithm::kMd5, ha1, kNonce, kNc, kCnonce, kQop, kMethod, kUri),
            "8ca523f5e9506fed4657c9700eebdbec");
}

TEST(DigestTest, Rfc7616Sha256Example) {
  const std::string ha1 = compute_ha1(Algorithm::kSha256, kUser, kRealm, kPassword);
  EXPECT_EQ(ha1, "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232");
  EXPECT_EQ(compute_response(Algorithm::kSha256, ha1, kNonce, kNc, kCnonce, kQop, kMethod, kUri),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

TEST(DigestTest, PasswordCaseMatters) {
  // RFC 2617's "Circle Of Life" must not give RFC 7616's answer.
  const std::string ha1 = compute_ha1(Algorithm::kMd5, kUser, kRealm, "Circle Of Life");
  EXPECT_NE(compute_response(Algorithm::kMd5, ha1, kNonce, kNc, kCnonce, kQop, kMethod, kUri),
            "8ca523f5e9506fed4657c9700eebdbec");
}

TEST(DigestTest, SipRegisterMd5Example) {
  // Computed apart with Python:
  //   import hashlib; H = lambda s: hashlib.md5(s.encode()).hexdigest()
  //   ha1 = H("201:hardline.test:Tr0ub4dor&3-horse-staple")
  //   H(ha1 + ":5d9f1c0a:0000002a:7c2e0b1f:auth:" + H("REGISTER:sip:hardline.test"))
  const std::string ha1 =
      compute_ha1(Algorithm::kMd5, "201", "hardline.test", "Tr0ub4dor&3-horse-staple");
  EXPECT_EQ(ha1, "80716d715b89e737b227dc555d380fcb");
  EXPECT_EQ(compute_response(Algorithm::kMd5, ha1, "5d9f1c0a", "0000002a", "7c2e0b1f", "auth",
                             "REGISTER", "sip:hardline.test"),
            "0481cf4110c9e4a850ac3ce5abd90496");
}

TEST(DigestTest, HashJoinedPutsColonsBetweenParts) {
  EXPECT_EQ(hash_joined(Algorithm::kMd5, {}).view(), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(hash_joined(Algorithm::kMd5, {"a", "b"}).view(), "d8160c9b3dc20d4e931aeb4f45262155");
  EXPECT_EQ(hash_joined(Algorithm::kSha256, {"a", "", "b"}).view(),
            "78f0be89237d77f7a70e94e0ce7a43935e8931af91b392a1e1917a7c7a6c00a4");
  EXPECT_FALSE(hash_joined(Algorithm::kSha256, {"x"}).empty());
}

TEST(DigestTest, MakeCredentialsKeepsBothHa1AndNoPassword) {
  const StoredCredentials c = make_credentials("201", "hardline.test", "Tr0ub4dor&3-horse-staple");
  EXPECT_EQ(c.ha1_md5, "80716d715b89e737b227dc555d380fcb");
  EXPECT_EQ(c.ha1_sha256, "0dc6923307d3893a7412855d9b0b61da4c1b6f3a376210741d2eb9a98bf02b01");
}

}  // namespace
