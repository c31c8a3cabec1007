#pragma once
// The admin API's bearer token: 32 random bytes, base64url without padding (43 characters),
// shown once by `hardline init` and `hardline admin token`, and stored only as an argon2id hash
// (libsodium crypto_pwhash_str) in admin.token_file, mode 0600.
//
// Why OPSLIMIT/MEMLIMIT_INTERACTIVE (2 passes, 64 MiB, ~50 ms) and not MODERATE (3 passes,
// 256 MiB, ~0.7 s): the token carries 256 bits of entropy, so no work factor is what protects it
// from guessing; the hash only keeps a leaked token file from being a usable credential, which any
// argon2id cost does. MODERATE would cost a quarter of a GiB per wrong token, so that a client
// sending wrong tokens could push the server towards its address-space limit (system.
// max_address_space_mib), for no gain in security.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.h"

namespace hardline::admin {

inline constexpr size_t kTokenBytes = 32;
inline constexpr size_t kTokenLength = 43;  // base64url of kTokenBytes, no padding
// A presented token longer than this is refused without hashing it.
inline constexpr size_t kMaxPresentedTokenLength = 256;

// A new random token (libsodium randombytes_buf). Aborts when libsodium cannot initialise: only
// called from the command line.
std::string generate_token();

// The argon2id hash of `token` in crypto_pwhash_str format ("$argon2id$v=19$m=65536,t=2,p=1$...").
// `fast` (tests only) uses libsodium's minimum cost instead of the interactive one.
Result<std::string, std::string> hash_token(std::string_view token, bool fast = false);

// Generates a token, writes its hash to `path` (mode 0600, owner the caller) and returns the
// token, to be shown once. `replace` false: refuses an existing file (init never overwrites);
// true: writes a temporary file beside it, with the old file's owner, group and mode (at most
// 0640), and renames it over the old one, so a reader sees the old hash or the new one, never
// half of one. The error names the path and the reason.
Result<std::string, std::string> create_token_file(const std::filesystem::path& path, bool replace);

// Reads the hash from `path`: a regular file (not a symbolic link) holding one argon2id hash
// string and an optional newline. The error names the path and says how to make one.
Result<std::string, std::string> read_token_hash(const std::filesystem::path& path);

// Checks presented tokens against the stored hash. A token that verified once is remembered as
// its HMAC-SHA-256 under a key drawn at start-up, so that the operator's client pays argon2id
// only for its first request; a cache hit is a constant-time comparison. A wrong token always
// pays the full argon2id verification. The admin thread owns it; only matches() may run on
// another thread (the hash never changes), which is how wrong tokens are hashed without making
// the operator's requests wait (token_checks.h).
class TokenVerifier {
 public:
  // An empty hash (no token file) refuses every token.
  explicit TokenVerifier(std::string hash);
  TokenVerifier(const TokenVerifier&) = delete;
  TokenVerifier& operator=(const TokenVerifier&) = delete;
  ~TokenVerifier();

  bool configured() const { return !hash_.empty(); }
  // Answers without hashing when `token` is the remembered valid one; otherwise false means the
  // caller should verify() (and pay for it).
  bool cached(std::string_view token) const;
  // The full argon2id check; a success is remembered.
  bool verify(std::string_view token);
  // The full argon2id check alone, remembering nothing: safe on any thread, at the same time
  // as anything else here.
  bool matches(std::string_view token) const;
  // Remembers `token`, which matches() accepted.
  void remember(std::string_view token);

 private:
  std::array<unsigned char, 32> mac_of(std::string_view token) const;

  std::string hash_;
  std::array<unsigned char, 32> key_{};
  std::array<unsigned char, 32> valid_mac_{};
  bool has_valid_ = false;
};

}  // namespace hardline::admin
