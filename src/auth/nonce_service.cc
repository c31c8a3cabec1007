#include "auth/nonce_service.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "common/assert.h"

namespace hardline::auth {
namespace {

// A nonce is base64url(block | tag). The block is one AES-128 block encrypting the issue time in
// milliseconds since the service started (8 bytes, big-endian) and a random id (8): a permutation
// of unique plaintexts, so it reads as random. The tag is the first 17 bytes of HMAC-SHA256 over
// the block followed by the source address (16 + 1): it binds the nonce to where it was sent, and
// it is checked before the block is decrypted, so a forged block is never looked into.
constexpr size_t kBlockSize = 16;
constexpr size_t kIssuedAt = 0;  // inside the decrypted block
constexpr size_t kIdAt = 8;
constexpr size_t kTagAt = kBlockSize;
constexpr size_t kTagSize = 17;
constexpr size_t kRawSize = kTagAt + kTagSize;  // 33: a multiple of 3, so no padding
constexpr size_t kEncodedSize = kRawSize / 3 * 4;
constexpr size_t kMacKeySize = 32;
constexpr size_t kCipherKeySize = 16;

using Raw = std::array<uint8_t, kRawSize>;

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<int8_t, 256> build_base64url_values() {
  std::array<int8_t, 256> values{};
  for (auto& v : values) v = -1;
  for (int i = 0; i < 64; ++i) values[static_cast<unsigned char>(kBase64Url[i])] = int8_t(i);
  return values;
}
constexpr std::array<int8_t, 256> kBase64UrlValues = build_base64url_values();

std::string encode(const Raw& raw) {
  std::string out(kEncodedSize, '\0');
  for (size_t i = 0, o = 0; i < kRawSize; i += 3, o += 4) {
    uint32_t group = uint32_t{raw[i]} << 16 | uint32_t{raw[i + 1]} << 8 | raw[i + 2];
    out[o] = kBase64Url[(group >> 18) & 0x3f];
    out[o + 1] = kBase64Url[(group >> 12) & 0x3f];
    out[o + 2] = kBase64Url[(group >> 6) & 0x3f];
    out[o + 3] = kBase64Url[group & 0x3f];
  }
  return out;
}

bool decode(std::string_view text, Raw& raw) {
  if (text.size() != kEncodedSize) return false;
  for (size_t i = 0, o = 0; i < kEncodedSize; i += 4, o += 3) {
    uint32_t group = 0;
    for (size_t k = 0; k < 4; ++k) {
      int8_t v = kBase64UrlValues[static_cast<unsigned char>(text[i + k])];
      if (v < 0) return false;
      group = group << 6 | static_cast<uint32_t>(v);
    }
    raw[o] = static_cast<uint8_t>(group >> 16);
    raw[o + 1] = static_cast<uint8_t>(group >> 8);
    raw[o + 2] = static_cast<uint8_t>(group);
  }
  return true;
}

void put_be(uint8_t* out, uint64_t value, size_t size) {
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>(value >> (8 * (size - 1 - i)));
}

uint64_t get_be(const uint8_t* in, size_t size) {
  uint64_t value = 0;
  for (size_t i = 0; i < size; ++i) value = value << 8 | in[i];
  return value;
}

// Fetched once; never freed.
EVP_MAC* hmac_algorithm() {
  static EVP_MAC* const kHmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return kHmac;
}

}  // namespace

void NonceService::MacCtxDeleter::operator()(evp_mac_ctx_st* ctx) const {
  EVP_MAC_CTX_free(ctx);
}

void NonceService::CipherCtxDeleter::operator()(evp_cipher_ctx_st* ctx) const {
  EVP_CIPHER_CTX_free(ctx);
}

NonceService::NonceService(const Clock& clock, Settings settings)
    : clock_(clock), settings_(settings), start_(clock.now()) {
  HL_CHECK(settings_.lifetime.count() > 0);
  // A nonce must expire before its key is retired, or a genuine nonce would look stale early.
  HL_CHECK(settings_.key_rotation >= settings_.lifetime);
  HL_CHECK(settings_.max_tracked > 0);
  current_ = new_key(0);
  HL_CHECK(current_.usable());
}

NonceService::~NonceService() = default;

int64_t NonceService::now_ms() const {
  return std::chrono::duration_cast<Millis>(clock_.now() - start_).count();
}

std::unique_ptr<evp_mac_ctx_st, NonceService::MacCtxDeleter> NonceService::new_mac_key() {
  EVP_MAC* hmac = hmac_algorithm();
  if (hmac == nullptr) return nullptr;
  std::unique_ptr<evp_mac_ctx_st, MacCtxDeleter> ctx(EVP_MAC_CTX_new(hmac));
  if (!ctx) return nullptr;
  std::array<unsigned char, kMacKeySize> key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) return nullptr;
  char digest_name[] = "SHA2-256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end(),
  };
  const bool keyed = EVP_MAC_init(ctx.get(), key.data(), key.size(), params) == 1;
  OPENSSL_cleanse(key.data(), key.size());
  if (!keyed) return nullptr;
  return ctx;
}

NonceService::Key NonceService::new_key(int64_t created_ms) {
  Key key;
  key.created_ms = created_ms;
  key.mac = new_mac_key();
  std::array<unsigned char, kCipherKeySize> secret{};
  if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) return key;
  CipherCtx encrypt(EVP_CIPHER_CTX_new());
  CipherCtx decrypt(EVP_CIPHER_CTX_new());
  const bool keyed =
      encrypt && decrypt &&
      EVP_EncryptInit_ex(encrypt.get(), EVP_aes_128_ecb(), nullptr, secret.data(), nullptr) == 1 &&
      EVP_DecryptInit_ex(decrypt.get(), EVP_aes_128_ecb(), nullptr, secret.data(), nullptr) == 1 &&
      EVP_CIPHER_CTX_set_padding(encrypt.get(), 0) == 1 &&
      EVP_CIPHER_CTX_set_padding(decrypt.get(), 0) == 1;
  OPENSSL_cleanse(secret.data(), secret.size());
  if (keyed) {
    key.encrypt = std::move(encrypt);
    key.decrypt = std::move(decrypt);
  }
  return key;
}

void NonceService::rotate_if_due(int64_t now) {
  const int64_t period = settings_.key_rotation.count();
  const int64_t elapsed = now - current_.created_ms;
  if (elapsed < period) return;
  const int64_t periods = elapsed / period;
  Key next = new_key(current_.created_ms + periods * period);
  if (!next.usable()) return;  // keep signing with the current key; the next call tries again
  if (periods == 1) {
    previous_ = std::move(current_);
  } else {
    // Idle for two periods or more: the current key's successor is already due to be retired.
    previous_ = Key{};
  }
  current_ = std::move(next);
}

bool NonceService::sign(const Key& key, const uint8_t* block, const IpAddress& source,
                        uint8_t* tag) const {
  evp_mac_ctx_st* ctx = key.mac.get();
  if (ctx == nullptr) return false;
  const uint8_t family = source.v6 ? 6 : 4;
  std::array<unsigned char, 32> full{};
  size_t full_size = 0;
  // A null key re-initialises HMAC with the key set when the context was made.
  if (EVP_MAC_init(ctx, nullptr, 0, nullptr) != 1 || EVP_MAC_update(ctx, block, kBlockSize) != 1 ||
      EVP_MAC_update(ctx, source.bytes.data(), source.bytes.size()) != 1 ||
      EVP_MAC_update(ctx, &family, 1) != 1 ||
      EVP_MAC_final(ctx, full.data(), &full_size, full.size()) != 1 || full_size < kTagSize) {
    return false;
  }
  std::memcpy(tag, full.data(), kTagSize);
  return true;
}

std::string NonceService::issue(const IpAddress& source) {
  std::array<uint8_t, kBlockSize> plain{};
  const bool random_ok = RAND_bytes(plain.data() + kIdAt, static_cast<int>(8)) == 1;
  Raw raw{};
  std::lock_guard<std::mutex> lock(mutex_);
  const int64_t now = now_ms();
  rotate_if_due(now);
  put_be(plain.data() + kIssuedAt, static_cast<uint64_t>(now), 8);
  // Without randomness the nonce stays unique (a counter) and unforgeable (the HMAC).
  if (!random_ok) put_be(plain.data() + kIdAt, ++fallback_counter_, 8);
  int written = 0;
  const bool sealed = EVP_EncryptUpdate(current_.encrypt.get(), raw.data(), &written, plain.data(),
                                        static_cast<int>(kBlockSize)) == 1 &&
                      written == static_cast<int>(kBlockSize) &&
                      sign(current_, raw.data(), source, raw.data() + kTagAt);
  OPENSSL_cleanse(plain.data(), plain.size());
  // A failure leaves a tag of zeros: this nonce will never verify, which fails closed.
  if (!sealed) std::fill(raw.begin() + kTagAt, raw.end(), uint8_t{0});
  return encode(raw);
}

NonceService::Check NonceService::verify_locked(std::string_view nonce, const IpAddress& source,
                                                int64_t now, int64_t& issued, uint64_t& id) {
  Raw raw{};
  if (!decode(nonce, raw)) return Check::kInvalid;
  // The tag under each key still held; a retired key's nonces cannot be told from forgeries,
  // so they are garbage like forgeries (never "stale": that answer would be an oracle).
  const Key* key = nullptr;
  std::array<uint8_t, kTagSize> tag{};
  for (const Key* candidate : {&current_, &previous_}) {
    if (!candidate->usable() || !sign(*candidate, raw.data(), source, tag.data())) continue;
    if (CRYPTO_memcmp(tag.data(), raw.data() + kTagAt, kTagSize) == 0) {
      key = candidate;
      break;
    }
  }
  if (key == nullptr) return Check::kInvalid;
  std::array<uint8_t, kBlockSize> plain{};
  int written = 0;
  if (EVP_DecryptUpdate(key->decrypt.get(), plain.data(), &written, raw.data(),
                        static_cast<int>(kBlockSize)) != 1 ||
      written != static_cast<int>(kBlockSize)) {
    return Check::kInvalid;
  }
  const uint64_t issued_field = get_be(plain.data() + kIssuedAt, 8);
  id = get_be(plain.data() + kIdAt, 8);
  if (issued_field > uint64_t{INT64_MAX}) return Check::kInvalid;
  issued = static_cast<int64_t>(issued_field);
  if (issued > now || issued < key->created_ms) return Check::kInvalid;
  if (now - issued > settings_.lifetime.count()) return Check::kStale;
  return Check::kValid;
}

NonceService::Check NonceService::inspect(std::string_view nonce, const IpAddress& source) {
  std::lock_guard<std::mutex> lock(mutex_);
  const int64_t now = now_ms();
  rotate_if_due(now);
  int64_t issued = 0;
  uint64_t id = 0;
  return verify_locked(nonce, source, now, issued, id);
}

NonceService::Check NonceService::check_and_consume(std::string_view nonce, const IpAddress& source,
                                                    uint32_t nc) {
  std::lock_guard<std::mutex> lock(mutex_);
  const int64_t now = now_ms();
  rotate_if_due(now);
  int64_t issued = 0;
  uint64_t id = 0;
  if (const Check check = verify_locked(nonce, source, now, issued, id); check != Check::kValid) {
    return check;
  }
  if (nc == 0) return Check::kInvalid;

  if (Used* used = used_.find(id)) {
    if (nc <= used->last_nc) return Check::kReplay;
    used->last_nc = nc;
    return Check::kValid;
  }
  // Forgotten to make room: whether it was used cannot be known, so it is never accepted again.
  if (issued <= watermark_ms_) return Check::kStale;
  remember(id, issued, nc, now);
  return Check::kValid;
}

void NonceService::remember(uint64_t id, int64_t issued_ms, uint32_t nc, int64_t now) {
  // What has expired is stale whatever the table says, so it can go without raising the mark.
  while (!used_order_.empty()) {
    const Used* front = used_.find(used_order_.front());
    if (front != nullptr && now - front->issued_ms <= settings_.lifetime.count()) break;
    if (front != nullptr) used_.erase(used_order_.front());
    used_order_.pop_front();
  }
  while (used_.size() >= settings_.max_tracked && !used_order_.empty()) {
    if (const Used* oldest = used_.find(used_order_.front())) {
      watermark_ms_ = std::max(watermark_ms_, oldest->issued_ms);
      used_.erase(used_order_.front());
    }
    used_order_.pop_front();
  }
  used_.insert(id, Used{issued_ms, nc});
  used_order_.push_back(id);
}

size_t NonceService::tracked() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return used_.size();
}

}  // namespace hardline::auth
