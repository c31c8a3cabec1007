#include "server/account_cache.h"

#include <algorithm>

namespace hardline::server {

AccountCache::AccountCache(const Clock& clock, store::Store& store, Settings settings)
    : clock_(clock), store_(store), settings_(settings) {}

Result<std::optional<auth::StoredCredentials>> AccountCache::find(std::string_view extension) {
  const SteadyTime now = clock_.now();
  if (!version_ || now - checked_ >= settings_.recheck) {
    auto version = store_.data_version();
    if (!version) return tl::unexpected(version.error());
    if (version_ != *version) {
      entries_.clear();
      names_.clear();
      groups_.clear();
    }
    version_ = *version;
    checked_ = now;
  }
  // A username no account can have is not cached: guessed names of any length must not
  // grow the cache (only valid-length ones take an entry, and the entries are bounded).
  if (extension.size() > store::kMaxExtensionLength) {
    return std::optional<auth::StoredCredentials>{};
  }
  if (auto it = entries_.find(extension); it != entries_.end()) return credentials_of(it->second);
  auto account = store_.find_account(extension);
  if (!account) return tl::unexpected(account.error());
  Entry entry;
  // An HA1 of an unexpected length (an edited database) is kept as nothing: it never verifies.
  if (*account) {
    entry.exists = true;
    const std::string& md5 = (*account)->ha1_md5;
    const std::string& sha256 = (*account)->ha1_sha256;
    if (md5.size() <= entry.md5.size()) {
      std::copy(md5.begin(), md5.end(), entry.md5.begin());
      entry.md5_size = static_cast<uint8_t>(md5.size());
    }
    if (sha256.size() <= entry.sha256.size()) {
      std::copy(sha256.begin(), sha256.end(), entry.sha256.begin());
      entry.sha256_size = static_cast<uint8_t>(sha256.size());
    }
  }
  if (entries_.size() >= settings_.max_entries) {
    entries_.clear();
    names_.clear();
    groups_.clear();
  }
  if (*account && !(*account)->name.empty()) names_.emplace(extension, (*account)->name);
  if (*account && !(*account)->groups.empty()) groups_.emplace(extension, (*account)->groups);
  return credentials_of(entries_.emplace(std::string(extension), entry).first->second);
}

std::string_view AccountCache::display_name(std::string_view extension) const {
  auto it = names_.find(extension);
  return it != names_.end() ? std::string_view(it->second) : std::string_view{};
}

const std::vector<std::string>& AccountCache::groups(std::string_view extension) const {
  static const std::vector<std::string> kNone;
  auto it = groups_.find(extension);
  return it != groups_.end() ? it->second : kNone;
}

std::optional<auth::StoredCredentials> AccountCache::credentials_of(const Entry& entry) {
  if (!entry.exists) return std::nullopt;
  return auth::StoredCredentials{std::string(entry.md5.data(), entry.md5_size),
                                 std::string(entry.sha256.data(), entry.sha256_size)};
}

}  // namespace hardline::server
