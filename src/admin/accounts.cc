#include "admin/accounts.h"

#include "auth/digest.h"
#include "auth/password.h"
#include "common/display_name.h"

namespace hardline::admin {

namespace {

bool is_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

Result<PasswordChange, std::string> choose_password(std::string_view extension,
                                                    std::string_view realm,
                                                    std::optional<std::string> password) {
  if (!password) return PasswordChange{auth::generate_password(), true};
  if (auto strong = auth::check_password_strength(*password, extension, realm); !strong) {
    return tl::unexpected("password refused: " + strong.error());
  }
  return PasswordChange{std::move(*password), false};
}

}  // namespace

bool valid_extension(std::string_view extension) {
  if (extension.empty() || extension.size() > store::kMaxExtensionLength ||
      !is_alnum(extension.front()))
    return false;
  for (char c : extension) {
    if (!is_alnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

bool valid_group(std::string_view group) {
  if (group.empty() || group.size() > 32) return false;
  for (char c : group) {
    if (!is_alnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

bool valid_display_name(std::string_view name) {
  return sanitize_display_name(name) == name;
}

Result<void, std::string> check_groups(const std::vector<std::string>& groups) {
  for (size_t i = 0; i < groups.size(); ++i) {
    if (!valid_group(groups[i])) {
      return tl::unexpected("invalid group '" + groups[i].substr(0, 40) +
                            "': use 1 to 32 letters, digits, '.', '_' or '-', e.g. dialout");
    }
    for (size_t j = 0; j < i; ++j) {
      if (groups[j] == groups[i]) {
        return tl::unexpected("group " + groups[i] + " is given twice: give it once");
      }
    }
  }
  return {};
}

Result<PasswordChange, std::string> add_account(store::Store& store, std::string_view realm,
                                                const NewAccount& account, int64_t now_unix) {
  if (!valid_extension(account.extension)) {
    return tl::unexpected(std::string(
        "invalid extension: use 1 to 32 letters, digits, '.', '_' or '-', starting with a "
        "letter or digit"));
  }
  if (!valid_display_name(account.name)) {
    return tl::unexpected("display name refused: " + std::string(kDisplayNameRule));
  }
  if (auto groups = check_groups(account.groups); !groups) {
    return tl::unexpected(groups.error());
  }
  auto existing = store.find_account(account.extension);
  if (!existing) return tl::unexpected(std::string(existing.error().what));
  if (*existing) return tl::unexpected("extension " + account.extension + " already exists");
  auto password = choose_password(account.extension, realm, account.password);
  if (!password) return password;
  const bool md5 = account.digest != auth::DigestPolicy::kSha256;
  store::Account record;
  record.extension = account.extension;
  record.name = account.name;
  record.groups = account.groups;
  if (md5) {
    record.ha1_md5 =
        auth::compute_ha1(auth::Algorithm::kMd5, account.extension, realm, password->password);
  }
  record.ha1_sha256 =
      auth::compute_ha1(auth::Algorithm::kSha256, account.extension, realm, password->password);
  record.created_at = now_unix;
  record.digest = auth::digest_policy_name(account.digest);
  if (auto added = store.add_account(record); !added) {
    return tl::unexpected(std::string(added.error().what));
  }
  return password;
}

Result<PasswordChange, std::string> change_password(store::Store& store, std::string_view realm,
                                                    std::string_view extension,
                                                    std::optional<std::string> password,
                                                    std::optional<auth::DigestPolicy> digest) {
  auto existing = store.find_account(extension);
  if (!existing) return tl::unexpected(std::string(existing.error().what));
  if (!*existing) return tl::unexpected("no extension " + std::string(extension));
  auto chosen = choose_password(extension, realm, std::move(password));
  if (!chosen) return chosen;
  // The policy in force after the change: the one given, or the stored one.
  const auth::DigestPolicy policy =
      digest ? *digest
             : auth::parse_digest_policy((*existing)->digest).value_or(auth::DigestPolicy::kSha256);
  const std::string ha1_md5 =
      policy == auth::DigestPolicy::kSha256
          ? std::string()
          : auth::compute_ha1(auth::Algorithm::kMd5, extension, realm, chosen->password);
  auto changed = store.set_credentials(
      extension, ha1_md5,
      auth::compute_ha1(auth::Algorithm::kSha256, extension, realm, chosen->password));
  if (!changed) return tl::unexpected(std::string(changed.error().what));
  if (digest) {
    auto set = store.set_digest(extension, auth::digest_policy_name(*digest), false);
    if (!set) return tl::unexpected(std::string(set.error().what));
  }
  return chosen;
}

Result<void, std::string> check_digest_allowed(auth::DigestPolicy digest,
                                               const std::vector<auth::Algorithm>& allowed) {
  for (auth::Algorithm algorithm : allowed) {
    if (auth::policy_allows(digest, algorithm)) return {};
  }
  return tl::unexpected("digest policy \"" + std::string(auth::digest_policy_name(digest)) +
                        "\" admits none of auth.algorithms in the config: add " +
                        (digest == auth::DigestPolicy::kMd5 ? "\"MD5\"" : "\"SHA-256\"") +
                        " to algorithms under [auth], or choose another policy");
}

Result<bool, std::string> set_digest(store::Store& store, std::string_view extension,
                                     auth::DigestPolicy digest,
                                     const std::vector<auth::Algorithm>& allowed) {
  if (auto admitted = check_digest_allowed(digest, allowed); !admitted) {
    return tl::unexpected(admitted.error());
  }
  auto existing = store.find_account(extension);
  if (!existing) return tl::unexpected(std::string(existing.error().what));
  if (!*existing) return tl::unexpected("no extension " + std::string(extension));
  const store::Account& account = **existing;
  const std::string_view name = auth::digest_policy_name(digest);
  if (account.digest == name) return false;
  if (digest != auth::DigestPolicy::kSha256 && account.ha1_md5.empty()) {
    return tl::unexpected(
        "extension " + std::string(extension) +
        " has no MD5 hash any more (it was pinned to SHA-256, or created so), so MD5 needs its "
        "password again: hardline user passwd " +
        std::string(extension) + " --digest " + std::string(name));
  }
  auto set = store.set_digest(extension, name, digest == auth::DigestPolicy::kSha256);
  if (!set) return tl::unexpected(std::string(set.error().what));
  return *set;
}

Result<void, std::string> remove_account(store::Store& store, std::string_view extension) {
  auto removed = store.remove_account(extension);
  if (!removed) return tl::unexpected(std::string(removed.error().what));
  if (!*removed) return tl::unexpected("no extension " + std::string(extension));
  return {};
}

Result<store::Admission, std::string> unlock_account(store::Store& store,
                                                     std::string_view extension,
                                                     const std::optional<Network>& network,
                                                     std::chrono::seconds duration,
                                                     int64_t now_unix) {
  if (duration.count() <= 0 || duration > kMaxAdmission) {
    return tl::unexpected(std::string("the duration must be more than 0 and at most 1d"));
  }
  if (network && network->prefix == 0) {
    return tl::unexpected(
        std::string("a /0 would admit everyone, the attacker included: name "
                    "the new device's address or network"));
  }
  auto account = store.find_account(extension);
  if (!account) return tl::unexpected(std::string(account.error().what));
  if (!*account) return tl::unexpected("no extension " + std::string(extension));
  store::Admission admission;
  admission.extension = std::string(extension);
  admission.network = network ? hardline::to_string(*network) : std::string();
  admission.created_at = now_unix;
  // An unlock without a network is a one-off the server applies at once; the row only needs to
  // live until a running server has read it.
  admission.until = now_unix + (network ? duration.count() : int64_t{60});
  if (auto written = store.put_admission(admission); !written) {
    return tl::unexpected(std::string(written.error().what));
  }
  return admission;
}

Result<void, std::string> set_groups(store::Store& store, std::string_view extension,
                                     const std::vector<std::string>& groups) {
  if (auto checked = check_groups(groups); !checked) return checked;
  auto changed = store.set_groups(extension, groups);
  if (!changed) return tl::unexpected(std::string(changed.error().what));
  if (!*changed) return tl::unexpected("no extension " + std::string(extension));
  return {};
}

}  // namespace hardline::admin
