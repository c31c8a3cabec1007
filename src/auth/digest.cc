#include "auth/digest.h"

#include <openssl/evp.h>

#include <memory>

#include "sip/chars.h"

namespace hardline::auth {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// Fetched once: an explicit fetch spares OpenSSL 3 the implicit lookup it does on every
// EVP_DigestInit_ex() given EVP_sha256(). nullptr when the provider lacks the algorithm.
// Never freed: they live as long as the process.
const EVP_MD* message_digest(Algorithm algorithm) {
  static const EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  static const EVP_MD* const kMd5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  return algorithm == Algorithm::kSha256 ? kSha256 : kMd5;
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// One context per thread, reused: no allocation per hash.
EVP_MD_CTX* thread_md_ctx() {
  thread_local const std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  return ctx.get();
}

}  // namespace

std::string_view algorithm_name(Algorithm algorithm) {
  return algorithm == Algorithm::kSha256 ? "SHA-256" : "MD5";
}

std::optional<Algorithm> parse_algorithm(std::optional<std::string_view> param) {
  if (!param) return Algorithm::kMd5;
  if (sip::iequals(*param, "SHA-256")) return Algorithm::kSha256;
  if (sip::iequals(*param, "MD5")) return Algorithm::kMd5;
  return std::nullopt;
}

std::string_view digest_policy_name(DigestPolicy policy) {
  switch (policy) {
    case DigestPolicy::kAny:
      return "any";
    case DigestPolicy::kSha256:
      return "sha-256";
    case DigestPolicy::kMd5:
      return "md5";
  }
  return "any";
}

std::optional<DigestPolicy> parse_digest_policy(std::string_view name) {
  for (DigestPolicy policy : {DigestPolicy::kAny, DigestPolicy::kSha256, DigestPolicy::kMd5}) {
    if (name == digest_policy_name(policy)) return policy;
  }
  return std::nullopt;
}

bool policy_allows(DigestPolicy policy, Algorithm algorithm) {
  switch (policy) {
    case DigestPolicy::kAny:
      return true;
    case DigestPolicy::kSha256:
      return algorithm == Algorithm::kSha256;
    case DigestPolicy::kMd5:
      return algorithm == Algorithm::kMd5;
  }
  return false;
}

size_t hex_size(Algorithm algorithm) {
  return algorithm == Algorithm::kSha256 ? 64 : 32;
}

HexDigest hash_joined(Algorithm algorithm, std::initializer_list<std::string_view> parts) {
  HexDigest out;
  const EVP_MD* md = message_digest(algorithm);
  EVP_MD_CTX* ctx = thread_md_ctx();
  if (md == nullptr || ctx == nullptr || EVP_DigestInit_ex2(ctx, md, nullptr) != 1) return out;
  bool first = true;
  for (std::string_view part : parts) {
    if (!first && EVP_DigestUpdate(ctx, ":", 1) != 1) return out;
    first = false;
    if (!part.empty() && EVP_DigestUpdate(ctx, part.data(), part.size()) != 1) return out;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> raw{};
  unsigned int raw_size = 0;
  if (EVP_DigestFinal_ex(ctx, raw.data(), &raw_size) != 1) return out;
  if (size_t{raw_size} * 2 != hex_size(algorithm)) return out;
  for (size_t i = 0; i < raw_size; ++i) {
    out.chars[2 * i] = kHexDigits[raw[i] >> 4];
    out.chars[2 * i + 1] = kHexDigits[raw[i] & 0x0f];
  }
  out.size = size_t{raw_size} * 2;
  return out;
}

std::string compute_ha1(Algorithm algorithm, std::string_view user, std::string_view realm,
                        std::string_view password) {
  return std::string(hash_joined(algorithm, {user, realm, password}).view());
}

std::string compute_response(Algorithm algorithm, std::string_view ha1, std::string_view nonce,
                             std::string_view nc, std::string_view cnonce, std::string_view qop,
                             std::string_view method, std::string_view digest_uri) {
  HexDigest ha2 = hash_joined(algorithm, {method, digest_uri});
  if (ha2.empty()) return {};
  return std::string(hash_joined(algorithm, {ha1, nonce, nc, cnonce, qop, ha2.view()}).view());
}

StoredCredentials make_credentials(std::string_view user, std::string_view realm,
                                   std::string_view password) {
  return StoredCredentials{compute_ha1(Algorithm::kMd5, user, realm, password),
                           compute_ha1(Algorithm::kSha256, user, realm, password)};
}

}  // namespace hardline::auth
