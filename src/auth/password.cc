#include "auth/password.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <zxcvbn.h>

#include <array>
#include <cmath>
#include <vector>

#include "common/assert.h"
#include "sip/chars.h"

namespace hardline::auth {
namespace {

static_assert(kPasswordAlphabet.size() >= 62 && kPasswordAlphabet.size() <= 256);

// Bytes at or above this would make some symbols likelier than others: they are drawn again.
constexpr unsigned kAcceptBelow = 256 - 256 % kPasswordAlphabet.size();

bool icontains(std::string_view haystack, std::string_view needle) {
  if (needle.empty() || needle.size() > haystack.size()) return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (sip::iequals(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

tl::unexpected<std::string> refuse(std::string reason) {
  return tl::unexpected(std::move(reason));
}

// The copy zxcvbn needs (NUL-terminated), wiped when it goes.
class WipedString {
 public:
  explicit WipedString(std::string_view text) : text_(text) {}
  ~WipedString() { OPENSSL_cleanse(text_.data(), text_.size()); }
  WipedString(const WipedString&) = delete;
  WipedString& operator=(const WipedString&) = delete;
  const char* c_str() const { return text_.c_str(); }

 private:
  std::string text_;
};

}  // namespace

std::string generate_password(size_t length) {
  if (length < kMinGeneratedLength) length = kMinGeneratedLength;
  std::string out;
  out.reserve(length);
  std::array<unsigned char, 64> pool{};
  size_t used = pool.size();
  while (out.size() < length) {
    if (used == pool.size()) {
      HL_CHECK(RAND_bytes(pool.data(), static_cast<int>(pool.size())) == 1);
      used = 0;
    }
    const unsigned byte = pool[used++];
    if (byte < kAcceptBelow) out.push_back(kPasswordAlphabet[byte % kPasswordAlphabet.size()]);
  }
  OPENSSL_cleanse(pool.data(), pool.size());
  return out;
}

std::string generate_password_for(std::string_view extension, std::string_view domain,
                                  size_t length) {
  for (;;) {
    std::string password = generate_password(length);
    if (check_password_strength(password, extension, domain)) return password;
    OPENSSL_cleanse(password.data(), password.size());
  }
}

int zxcvbn_score(double entropy_bits) {
  const double log10_guesses = entropy_bits * std::log10(2.0);
  if (log10_guesses < 3) return 0;
  if (log10_guesses < 6) return 1;
  if (log10_guesses < 8) return 2;
  if (log10_guesses < 10) return 3;
  return 4;
}

Result<void, std::string> check_password_strength(std::string_view password,
                                                  std::string_view extension,
                                                  std::string_view domain) {
  if (password.size() < kMinPasswordLength) {
    return refuse("The password is shorter than " + std::to_string(kMinPasswordLength) +
                  " characters.");
  }
  if (password.size() > kMaxPasswordLength) {
    return refuse("The password is longer than " + std::to_string(kMaxPasswordLength) +
                  " characters.");
  }
  for (char c : password) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return refuse("The password contains a control character.");
  }
  if (extension.size() >= 3 && icontains(password, extension)) {
    return refuse("The password contains the extension number.");
  }
  // The domain and its labels (the "example" of "sip.example.com") are the first guesses of
  // anyone attacking this server; labels shorter than 4 (sip, com) would refuse too much.
  std::vector<std::string> words;
  if (extension.size() >= 3) words.emplace_back(extension);
  if (domain.size() >= 4) {
    if (icontains(password, domain)) return refuse("The password contains the domain name.");
    words.emplace_back(domain);
  }
  for (size_t start = 0; start < domain.size();) {
    size_t dot = domain.find('.', start);
    if (dot == std::string_view::npos) dot = domain.size();
    const std::string_view label = domain.substr(start, dot - start);
    if (label.size() >= 4 && label.size() < domain.size()) {
      if (icontains(password, label)) {
        return refuse("The password contains part of the domain name.");
      }
      words.emplace_back(label);
    }
    start = dot + 1;
  }

  std::vector<const char*> user_dict;
  user_dict.reserve(words.size() + 1);
  for (const std::string& w : words) user_dict.push_back(w.c_str());
  user_dict.push_back(nullptr);
  const WipedString copy(password);
  const double entropy = ZxcvbnMatch(copy.c_str(), user_dict.data(), nullptr);
  const int score = zxcvbn_score(entropy);
  if (score < 3) {
    return refuse("The password is too easy to guess (strength " + std::to_string(score) +
                  " of 4, at least 3 is needed).");
  }
  return {};
}

}  // namespace hardline::auth
