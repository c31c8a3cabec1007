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
