#include "admin/accounts.h"

#include "auth/digest.h"
#include "auth/password.h"

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
  if (auto groups = check_groups(account.groups); !groups) {
    return tl::unexpected(groups.error());
  }
  auto existing = store.find_account(account.extension);
  if (!existing) return tl::unexpected(std::string(existing.error().what));
  if (*existing) return tl::unexpected("extension " + account.extension + " already exists");
  auto password = choose_password(account.extension, realm, account.password);
  if (!password) return password;
  store::Account record;
  record.extension = account.extension;
  record.name = account.name;
  record.groups = account.groups;
  record.ha1_md5 =
      auth::compute_ha1(auth::Algorithm::kMd5, account.extension, realm, password->password);
  record.ha1_sha256 =
      auth::compute_ha1(auth::Algorithm::kSha256, account.extension, realm, password->password);
  record.created_at = now_unix;
  if (auto added = store.add_account(record); !added) {
    return tl::unexpected(std::string(added.error().what));
  }
  return password;
}

Result<PasswordChange, std::string> change_password(store::Store& store, std::string_view realm,
                                                    std::string_view extension,
                                                    std::optional<std::string> password) {
  auto existing = store.find_account(extension);
  if (!existing) return tl::unexpected(std::string(existing.error().what));
  if (!*existing) return tl::unexpected("no extension " + std::string(extension));
  auto chosen = choose_password(extension, realm, std::move(password));
  if (!chosen) return chosen;
  auto changed = store.set_credentials(
      extension, auth::compute_ha1(auth::Algorithm::kMd5, extension, realm, chosen->password),
      auth::compute_ha1(auth::Algorithm::kSha256, extension, realm, chosen->password));
  if (!changed) return tl::unexpected(std::string(changed.error().what));
  return chosen;
}

Result<void, std::string> remove_account(store::Store& store, std::string_view extension) {
  auto removed = store.remove_account(extension);
  if (!removed) return tl::unexpected(std::string(removed.error().what));
  if (!*removed) return tl::unexpected("no extension " + std::string(extension));
  return {};
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
