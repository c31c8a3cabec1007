#pragma once
// Accounts as an operator manages them (`hardline user`, later the admin API): an extension,
// a display name, groups, and digest HA1 values for the deployment's realm. The password is
// generated or checked here, hashed, and never stored.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/digest.h"
#include "common/network.h"
#include "common/result.h"
#include "store/store.h"

namespace hardline::admin {

// 1 to 32 characters: letters, digits, '.', '_', '-'; starting with a letter or digit. Such an
// extension needs no escaping in a SIP URI and is safe in every file and log.
bool valid_extension(std::string_view extension);

// 1 to 32 letters, digits, '.', '_' or '-' (as the dialplan's groups = [...] accepts them).
bool valid_group(std::string_view group);
// The first invalid or repeated group, as an error that says how to fix it.
Result<void, std::string> check_groups(const std::vector<std::string>& groups);

// A display name is stored only as a phone would be shown it (common/display_name.h): one line
// of printable text, no control, escape or invisible characters, at most kMaxDisplayName (64)
// bytes, no spaces at the ends. `user list` and the phones then show exactly what was stored.
inline constexpr const char* kDisplayNameRule =
    "use at most 64 bytes of plain text on one line, without control, escape or invisible "
    "characters or spaces at the ends, e.g. --name \"Alice Smith\"";
bool valid_display_name(std::string_view name);

struct NewAccount {
  std::string extension;
  std::string name;
  std::vector<std::string> groups;
  std::optional<std::string> password;  // nullopt: generate one
  // kSha256 stores no MD5 HA1 at all.
  auth::DigestPolicy digest = auth::DigestPolicy::kAny;
};

struct PasswordChange {
  std::string password;  // the password now in force, to show once when it was generated
  bool generated = false;
};

// The realm is the deployment's SIP domain (the HA1 values depend on it).
Result<PasswordChange, std::string> add_account(store::Store& store, std::string_view realm,
                                                const NewAccount& account, int64_t now_unix);
// With `digest`, the account's policy changes with the password (the only way back from
// "sha-256" to a policy with MD5: its MD5 HA1 needs the password); without, it is kept.
Result<PasswordChange, std::string> change_password(
    store::Store& store, std::string_view realm, std::string_view extension,
    std::optional<std::string> password, std::optional<auth::DigestPolicy> digest = std::nullopt);
// `hardline user digest EXT POLICY`. To "sha-256" drops the MD5 HA1; to "any" or "md5" needs it,
// so an account without one (pinned, or created "sha-256") is refused with the fix (a new
// password with --digest). `allowed` is the config's auth.algorithms: a policy that admits none
// of them is refused. Returns whether anything changed.
Result<bool, std::string> set_digest(store::Store& store, std::string_view extension,
                                     auth::DigestPolicy digest,
                                     const std::vector<auth::Algorithm>& allowed);
// Whether a policy admits any of the config's algorithms, as an error with the fix.
Result<void, std::string> check_digest_allowed(auth::DigestPolicy digest,
                                               const std::vector<auth::Algorithm>& allowed);
Result<void, std::string> remove_account(store::Store& store, std::string_view extension);
// Makes `groups` the account's groups (the dialplan's groups = [...] refer to them).
// `hardline user unlock`: with `network`, devices there may authenticate as `extension` while
// it is locked out, for `duration` (at most 1 day), each with a failure allowance of its own;
// without, the lockout in force is lifted once (an attacker can lock it again). A running serve
// applies it within a second. Refuses an unknown extension, a /0 and a duration out of range.
inline constexpr std::chrono::seconds kMaxAdmission = std::chrono::hours(24);
Result<store::Admission, std::string> unlock_account(store::Store& store,
                                                     std::string_view extension,
                                                     const std::optional<Network>& network,
                                                     std::chrono::seconds duration,
                                                     int64_t now_unix);

Result<void, std::string> set_groups(store::Store& store, std::string_view extension,
                                     const std::vector<std::string>& groups);

}  // namespace hardline::admin
