#include "admin/token.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace hardline::admin {

namespace fs = std::filesystem;

namespace {

// The hash file is a few hundred bytes; anything much longer is not ours.
constexpr size_t kMaxHashFileSize = 512;

void require_sodium() {
  if (sodium_init() < 0) std::abort();  // no randomness: nothing safe can be done
}

std::string errno_text() {
  return std::strerror(errno);
}

Result<void, std::string> write_all(int fd, std::string_view text, const fs::path& path) {
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return tl::unexpected(path.string() + ": " + errno_text());
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return tl::unexpected(path.string() + ": " + errno_text());
  return {};
}

// The owner, group and mode a replaced token file had, to be given to its successor.
struct Ownership {
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t mode = 0600;
};

// Creates `path` exclusively with mode 0600 (or `like`'s owner, group and mode) and writes
// `text` to it.
Result<void, std::string> write_new(const fs::path& path, std::string_view text,
                                    const std::optional<Ownership>& like = std::nullopt) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return tl::unexpected(path.string() + ": " + errno_text());
  bool owned = true;
  if (like && (like->uid != ::geteuid() || like->gid != ::getegid())) {
    owned = ::fchown(fd, like->uid, like->gid) == 0;
  }
  // Whatever the umask took away or left; never more than owner read-write, group read.
  owned = owned && ::fchmod(fd, like ? like->mode : 0600) == 0;
  if (!owned) {
    const std::string error = path.string() + ": " + errno_text();
    ::close(fd);
    ::unlink(path.c_str());
    return tl::unexpected(error);
  }
  auto written = write_all(fd, text, path);
  if (::close(fd) != 0 && written) written = tl::unexpected(path.string() + ": " + errno_text());
  if (!written) ::unlink(path.c_str());
  return written;
}

}  // namespace

std::string generate_token() {
  require_sodium();
  std::array<unsigned char, kTokenBytes> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::string token(
      sodium_base64_ENCODED_LEN(kTokenBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(token.data(), token.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  token.resize(std::strlen(token.c_str()));
  sodium_memzero(bytes.data(), bytes.size());
  return token;
}

Result<std::string, std::string> hash_token(std::string_view token, bool fast) {
  require_sodium();
  char out[crypto_pwhash_STRBYTES] = {};
  const unsigned long long ops =
      fast ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE;
  const size_t mem = fast ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE;
  if (crypto_pwhash_str_alg(out, token.data(), token.size(), ops, mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return tl::unexpected(std::string("argon2id hashing failed (out of memory?)"));
  }
  return std::string(out);
}

Result<std::string, std::string> create_token_file(const fs::path& path, bool replace) {
  std::string token = generate_token();
  auto hash = hash_token(token);
  if (!hash) return tl::unexpected(hash.error());
  const std::string text = *hash + "\n";
  if (!replace) {
    if (auto written = write_new(path, text); !written) return tl::unexpected(written.error());
    return token;
  }
  // The new file gets the old one's owner, group and mode (at most 0640): `init --system` makes
  // it root:hardline 0640 so that a serve started as User=hardline can read it, and a rotation
  // run as root must not turn it into root:root 0600 (issue 13, item 13).
  std::optional<Ownership> like;
  struct stat old {};
  if (::lstat(path.c_str(), &old) == 0 && S_ISREG(old.st_mode)) {
    like = Ownership{old.st_uid, old.st_gid, static_cast<mode_t>((old.st_mode & 0640) | 0600)};
  }
  fs::path temporary = path;
  temporary += ".new";
  ::unlink(temporary.c_str());  // a leftover of an interrupted rotation
  if (auto written = write_new(temporary, text, like); !written) {
    return tl::unexpected(written.error());
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string error = path.string() + ": " + errno_text();
    ::unlink(temporary.c_str());
    return tl::unexpected(error);
  }
  return token;
}

Result<std::string, std::string> read_token_hash(const fs::path& path) {
  const std::string fix = " (create one with `hardline admin token -c CONFIG`)";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return tl::unexpected(path.string() + ": " + errno_text() + fix);
  struct stat info {};
  std::string text(kMaxHashFileSize + 1, '\0');
  ssize_t n = -1;
  if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode)) {
    do {
      n = ::read(fd, text.data(), text.size());
    } while (n < 0 && errno == EINTR);
  }
  ::close(fd);
  if (n < 0) return tl::unexpected(path.string() + ": not a readable regular file" + fix);
  text.resize(static_cast<size_t>(n));
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (text.size() >= crypto_pwhash_STRBYTES || !text.starts_with("$argon2id$") ||
      text.find_first_of("\n\r") != std::string::npos) {
    return tl::unexpected(path.string() + ": not an argon2id token hash" + fix);
  }
  return text;
}

TokenVerifier::TokenVerifier(std::string hash) : hash_(std::move(hash)) {
  require_sodium();
  crypto_auth_hmacsha256_keygen(key_.data());
}

TokenVerifier::~TokenVerifier() {
  sodium_memzero(key_.data(), key_.size());
}

std::array<unsigned char, 32> TokenVerifier::mac_of(std::string_view token) const {
  std::array<unsigned char, 32> mac{};
  crypto_auth_hmacsha256(mac.data(), reinterpret_cast<const unsigned char*>(token.data()),
                         token.size(), key_.data());
  return mac;
}

bool TokenVerifier::cached(std::string_view token) const {
  if (!has_valid_ || token.size() > kMaxPresentedTokenLength) return false;
  const std::array<unsigned char, 32> mac = mac_of(token);
  return sodium_memcmp(mac.data(), valid_mac_.data(), mac.size()) == 0;
}

bool TokenVerifier::verify(std::string_view token) {
  if (!matches(token)) return false;
  remember(token);
  return true;
}

bool TokenVerifier::matches(std::string_view token) const {
  if (hash_.empty() || token.empty() || token.size() > kMaxPresentedTokenLength) return false;
  return crypto_pwhash_str_verify(hash_.c_str(), token.data(), token.size()) == 0;
}

void TokenVerifier::remember(std::string_view token) {
  valid_mac_ = mac_of(token);
  has_valid_ = true;
}

}  // namespace hardline::admin
