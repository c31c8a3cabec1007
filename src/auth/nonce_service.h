#pragma once
// Digest nonces that need no table to be checked: each carries its issue time and a random id,
// encrypted (one AES-128 block) so that its holder learns nothing but randomness (no uptime, no
// restarts, no key generation), and signed with the address it was issued to by an HMAC-SHA256.
// Both keys rotate together and live in memory only, so a restart invalidates every nonce. Only
// the nonce-counts already accepted are remembered, in a bounded table.
//
// A nonce is only ever "stale" when it is provably ours: its tag verifies for the source under
// a key still held, and its age is past the lifetime. Anything else, a retired key included, is
// kInvalid (garbage), so that no made-up nonce can ever be told apart by the answer it gets.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/endpoint.h"
#include "common/flat_map64.h"

struct evp_mac_ctx_st;  // OpenSSL's EVP_MAC_CTX and EVP_CIPHER_CTX, kept out of this header
struct evp_cipher_ctx_st;

namespace hardline::auth {

struct NonceSettings {
  // How long after issue a nonce is accepted; after that it is stale. At most key_rotation.
  Millis lifetime{300000};
  // How often the signing key changes. A nonce verifies while its key is the current or the
  // previous one, so for at least key_rotation and at most twice that.
  Millis key_rotation{600000};
  // How many used nonces are remembered with their last nonce-count. Above that the oldest is
  // forgotten and every nonce issued up to it becomes stale, never replayable.
  size_t max_tracked = 200000;
};

class NonceService {
 public:
  using Settings = NonceSettings;

  enum class Check : uint8_t {
    kValid,    // ours, for this source, in time, and this nonce-count is new: now consumed
    kStale,    // ours, issued to this source, verified, but past its lifetime
    kInvalid,  // not provably ours: malformed, tampered, issued to another source, signed with a
               // key already retired, from the future, or nc of 0
    kReplay,   // ours and in time, but this nonce-count is not above one already accepted
  };

  // Draws the first key; aborts (start-up only) when the settings are inconsistent or OpenSSL
  // has no randomness or HMAC.
  explicit NonceService(const Clock& clock, Settings settings = {});
  ~NonceService();
  NonceService(const NonceService&) = delete;
  NonceService& operator=(const NonceService&) = delete;

  // A new nonce for a challenge sent to `source`: 44 base64url characters (token characters, so
  // safe in a quoted-string), indistinguishable from random to anyone without the keys.
  std::string issue(const IpAddress& source);

  // Accepts each (nonce, nc) once: nc must be above every nc accepted before for this nonce.
  // Only kValid records anything. Thread-safe, as is issue().
  Check check_and_consume(std::string_view nonce, const IpAddress& source, uint32_t nc);

  // What `nonce` is for `source`, consuming nothing: kValid (ours, for this source, in time, used
  // or not), kStale or kInvalid (never kReplay). The digest verifier asks it before it looks at
  // the password, so that the answer to a request never depends on the password unless the
  // nonce is live and was issued to the request's source.
  Check inspect(std::string_view nonce, const IpAddress& source);

  // How many used nonces are remembered now (for metrics and tests).
  size_t tracked() const;

 private:
  struct MacCtxDeleter {
    void operator()(evp_mac_ctx_st* ctx) const;
  };
  struct CipherCtxDeleter {
    void operator()(evp_cipher_ctx_st* ctx) const;
  };
  using CipherCtx = std::unique_ptr<evp_cipher_ctx_st, CipherCtxDeleter>;
  struct Key {
    int64_t created_ms = 0;
    std::unique_ptr<evp_mac_ctx_st, MacCtxDeleter> mac;  // HMAC-SHA256, keyed once
    CipherCtx encrypt;                                   // AES-128-ECB, one block, keyed once
    CipherCtx decrypt;
    bool usable() const { return mac && encrypt && decrypt; }
  };
  struct Used {
    int64_t issued_ms = 0;
    uint32_t last_nc = 0;
  };

  int64_t now_ms() const;
  // The signature, source and age checks of a nonce (mutex_ held): kValid, kStale or kInvalid.
  Check verify_locked(std::string_view nonce, const IpAddress& source, int64_t now, int64_t& issued,
                      uint64_t& id);
  void rotate_if_due(int64_t now);
  static std::unique_ptr<evp_mac_ctx_st, MacCtxDeleter> new_mac_key();
  static Key new_key(int64_t created_ms);
  bool sign(const Key& key, const uint8_t* block, const IpAddress& source, uint8_t* tag) const;
  void remember(uint64_t id, int64_t issued_ms, uint32_t nc, int64_t now);

  const Clock& clock_;
  const Settings settings_;
  const SteadyTime start_;  // nonce times count from here: they reveal no host uptime

  mutable std::mutex mutex_;
  Key current_;
  Key previous_;  // not usable() when retired
  uint64_t fallback_counter_ = 0;
  FlatMap64<Used> used_;             // by the nonce's random id (never chosen by a client: signed)
  std::deque<uint64_t> used_order_;  // ids in the order they were first accepted
  int64_t watermark_ms_ = -1;        // an untracked nonce issued at or before this is stale
};

}  // namespace hardline::auth
