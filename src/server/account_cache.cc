#include "server/account_cache.h"

namespace hardline::server {

AccountCache::AccountCache(const Clock& clock, store::Store& store, Settings settings)
    : clock_(clock), store_(store), settings_(settings) {}

Result<std::optional<auth::StoredCredentials>> AccountCache::find(std::string_view extension) {
  const SteadyTime now = clock_.now();
  if (!version_ || now - checked_ >= settings_.recheck) {
    auto version = store_.data_version();
    if (!version) return tl::unexpected(version.error());
    if (version_ != *version) entries_.clear();
    version_ = *version;
    checked_ = now;
  }
  // A username no account can have is not cached: guessed names of any length must not
  // grow the cache (only valid-length ones take an entry, and the entries are bounded).
  if (extension.size() > store::kMaxExtensionLength) {
    return std::optional<auth::StoredCredentials>{};
  }
  if (auto it = entries_.find(extension); it != entries_.end()) return it->second;
  auto account = store_.find_account(extension);
  if (!account) return tl::unexpected(account.error());
  std::optional<auth::StoredCredentials> credentials;
  if (*account) {
    credentials = auth::StoredCredentials{(*account)->ha1_md5, (*account)->ha1_sha256};
  }
  if (entries_.size() >= settings_.max_entries) entries_.clear();
  entries_.emplace(std::string(extension), credentials);
  return credentials;
}

}  // namespace hardline::server
