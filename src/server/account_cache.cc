#include "server/account_cache.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace hardline::server {

AccountCache::AccountCache(const Clock& clock, store::Store& store, Settings settings)
    : clock_(clock), store_(store), settings_(settings) {}

void AccountCache::clear() {
  entries_.clear();
  names_.clear();
  groups_.clear();
  policies_ = {};
  complete_ = false;
}

AccountCache::Entry AccountCache::entry_of(const store::Account& account) {
  Entry entry;
  entry.exists = true;
  // An HA1 of an unexpected length (an edited database) is kept as nothing: it never verifies.
  if (account.ha1_md5.size() <= entry.md5.size()) {
    std::copy(account.ha1_md5.begin(), account.ha1_md5.end(), entry.md5.begin());
    entry.md5_size = static_cast<uint8_t>(account.ha1_md5.size());
  }
  if (account.ha1_sha256.size() <= entry.sha256.size()) {
    std::copy(account.ha1_sha256.begin(), account.ha1_sha256.end(), entry.sha256.begin());
    entry.sha256_size = static_cast<uint8_t>(account.ha1_sha256.size());
  }
  // A policy the code does not know (an edited database) is read as the strictest.
  entry.policy = auth::parse_digest_policy(account.digest).value_or(auth::DigestPolicy::kSha256);
  return entry;
}

Result<void> AccountCache::load_all() {
  clear();
  auto count = store_.count_accounts();
  if (!count) return tl::unexpected(count.error());
  if (*count > settings_.max_entries) {
    if (!warned_incomplete_) {
      warned_incomplete_ = true;
      spdlog::warn(
          "{} accounts are more than the account cache holds ({}): accounts are read one by one, "
          "and an unknown extension's first lookup is no longer timed like a known one's",
          *count, settings_.max_entries);
    }
    return {};
  }
  auto accounts = store_.list_accounts();
  if (!accounts) return tl::unexpected(accounts.error());
  entries_.reserve(accounts->size());
  for (const store::Account& account : *accounts) {
    const Entry& entry = entries_.emplace(account.extension, entry_of(account)).first->second;
    ++policies_[static_cast<size_t>(entry.policy)];
    if (!account.name.empty()) names_.emplace(account.extension, account.name);
    if (!account.groups.empty()) groups_.emplace(account.extension, account.groups);
  }
  complete_ = true;
  return {};
}

Result<void> AccountCache::refresh() {
  const SteadyTime now = clock_.now();
  if (version_ && now - checked_ < settings_.recheck) return {};
  auto version = store_.data_version();
  if (!version) return tl::unexpected(version.error());
  if (version_ != *version) {
    if (auto loaded = load_all(); !loaded) {
      version_.reset();  // try again at the next lookup
      return tl::unexpected(loaded.error());
    }
  }
  version_ = *version;
  checked_ = now;
  return {};
}

Result<auth::DigestPolicy> AccountCache::challenge_policy(std::string_view extension) {
  if (auto fresh = refresh(); !fresh) return tl::unexpected(fresh.error());
  if (auto it = entries_.find(extension); it != entries_.end() && it->second.exists) {
    return it->second.policy;
  }
  return policy_for_unknown(extension);
}

Result<std::optional<auth::StoredCredentials>> AccountCache::find(std::string_view extension) {
  if (auto fresh = refresh(); !fresh) return tl::unexpected(fresh.error());
  if (auto it = entries_.find(extension); it != entries_.end()) return credentials_of(it->second);
  // Holding every account, a name not here is no account: nothing more to read.
  if (complete_) return std::optional<auth::StoredCredentials>{};

  // A username no account can have is not cached: guessed names of any length must not
  // grow the cache (only valid-length ones take an entry, and the entries are bounded).
  if (extension.size() > store::kMaxExtensionLength) {
    return std::optional<auth::StoredCredentials>{};
  }
  ++single_reads_;
  auto account = store_.find_account(extension);
  if (!account) return tl::unexpected(account.error());
  const Entry entry = *account ? entry_of(**account) : Entry{};
  if (entries_.size() >= settings_.max_entries) clear();
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

auth::DigestPolicy AccountCache::policy_for_unknown(std::string_view extension) const {
  size_t total = 0;
  for (size_t count : policies_) total += count;
  if (!complete_ || total == 0) return auth::DigestPolicy::kAny;
  size_t pick = camouflage_(extension) % total;
  for (size_t i = 0; i < policies_.size(); ++i) {
    if (pick < policies_[i]) return static_cast<auth::DigestPolicy>(i);
    pick -= policies_[i];
  }
  return auth::DigestPolicy::kAny;
}

void AccountCache::pinned_sha256(std::string_view extension) {
  auto it = entries_.find(extension);
  if (it == entries_.end() || !it->second.exists) return;
  Entry& entry = it->second;
  if (complete_) {
    --policies_[static_cast<size_t>(entry.policy)];
    ++policies_[static_cast<size_t>(auth::DigestPolicy::kSha256)];
  }
  entry.policy = auth::DigestPolicy::kSha256;
  entry.md5 = {};
  entry.md5_size = 0;
}

std::optional<auth::StoredCredentials> AccountCache::credentials_of(const Entry& entry) {
  if (!entry.exists) return std::nullopt;
  return auth::StoredCredentials{std::string(entry.md5.data(), entry.md5_size),
                                 std::string(entry.sha256.data(), entry.sha256_size), entry.policy};
}

}  // namespace hardline::server
