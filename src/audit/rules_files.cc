// FS-1..FS-4: owners and modes of every file the deployment relies on.
#include <string>

#include "audit/rules.h"
#include "audit/rules_util.h"

namespace hardline::audit {
namespace {

using detail::describe;
using detail::find_file;
using detail::finding;
using detail::join;

// The files FS-1 and FS-2 are about: what the service reads but must never change.
constexpr const char* kReadOnlyRoles[] = {
    kRoleConfig,    kRoleConfigDirectory, kRoleProgram, kRoleProgramDirectory,
    kRoleTokenFile, kRoleTlsCertificate,  kRoleTlsKey};
// The files FS-3 is about: secrets or personal data; others may not touch them at all.
constexpr const char* kSecretRoles[] = {kRoleDatabase,      kRoleDatabaseWal,    kRoleDatabaseShm,
                                        kRoleDataDirectory, kRoleTokenFile,      kRoleTlsKey,
                                        kRoleAccessLog,     kRoleBackupDirectory};

std::string chmod_fix(const FileFacts& file, const char* mode) {
  return "chmod " + std::string(mode) + " " + file.path.string();
}

Finding fs_1(const config::Config& config, const Facts& facts) {
  const AccountFacts& user = facts.service_user;
  std::vector<std::string> problems, checked, fixes;
  for (const char* role : kReadOnlyRoles) {
    const FileFacts* file = find_file(facts, role);
    if (file == nullptr || !file->exists) continue;
    checked.push_back(std::string(role) + " " + describe(*file));
    if (user.exists && file->uid == user.uid) {
      problems.push_back(std::string(role) + " " + describe(*file) + " is owned by " + user.name);
      fixes.push_back("chown root " + file->path.string());
    }
  }
  if (!problems.empty()) {
    return finding(
        "FS-1", "owner of program and config files", Status::kFail,
        join(problems) + ": the server could change what it runs and obeys",
        join(fixes, "; ") + " (root owns them; group " + config.system.group + " may read)");
  }
  if (!user.exists) {
    return finding("FS-1", "owner of program and config files", Status::kWarn,
                   "system.user " + config.system.user +
                       " does not exist, so ownership cannot "
                       "be compared with it; " +
                       join(checked),
                   "create the service account (`hardline init --system`)");
  }
  return finding("FS-1", "owner of program and config files", Status::kPass,
                 "none owned by " + user.name + ": " + join(checked));
}

Finding fs_2(const Facts& facts) {
  const AccountFacts& user = facts.service_user;
  const FileFacts* config_dir = find_file(facts, kRoleConfigDirectory);
  const FileFacts* data_dir = find_file(facts, kRoleDataDirectory);
  const bool shared_directory =
      config_dir != nullptr && data_dir != nullptr && config_dir->path == data_dir->path;
  std::vector<std::string> fails, warns, fixes;
  for (const char* role : kReadOnlyRoles) {
    const FileFacts* file = find_file(facts, role);
    if (file == nullptr || !file->exists) continue;
    if ((file->mode & 0002U) != 0) {
      fails.push_back(std::string(role) + " " + describe(*file) + " is writable by everyone");
      fixes.push_back(chmod_fix(*file, "o-w"));
      continue;
    }
    if (!writable_by(*file, user)) continue;
    if (role == std::string_view(kRoleConfigDirectory) && shared_directory) {
      warns.push_back("the config's directory " + describe(*file) +
                      " is also the data directory, writable by " + user.name +
                      ", so the server could replace its config");
      fixes.push_back("use the system layout: config in /etc/hardline (root:" + user.name +
                      " 0750), data in /var/lib/hardline (`hardline init --system`)");
      continue;
    }
    fails.push_back(std::string(role) + " " + describe(*file) + " is writable by " + user.name);
    fixes.push_back("chown root " + file->path.string() + " && " + chmod_fix(*file, "go-w"));
  }
  if (!fails.empty()) {
    return finding("FS-2", "read-only for the service user", Status::kFail,
                   join(fails) + (warns.empty() ? "" : "; " + join(warns)), join(fixes, "; "));
  }
  if (!warns.empty()) {
    return finding("FS-2", "read-only for the service user", Status::kWarn, join(warns),
                   join(fixes, "; "));
  }
  return finding("FS-2", "read-only for the service user", Status::kPass,
                 "config, program, token, certificate and key files are not writable by " +
                     (user.exists ? user.name : std::string("others")));
}

std::vector<Finding> fs_3(const config::Config& config, const Facts& facts) {
  std::vector<std::string> fails, warns, fixes, unreadable, checked;
  for (const char* role : kSecretRoles) {
    const FileFacts* file = find_file(facts, role);
    if (file == nullptr) continue;
    if (!file->error.empty()) {
      unreadable.push_back(std::string(role) + " " + describe(*file));
      continue;
    }
    if (!file->exists) continue;
    checked.push_back(std::string(role) + " " + detail::octal_mode(file->mode));
    const uint32_t others = file->mode & 0007U;
    if (others == 0) continue;
    const bool directory = file->directory;
    if (directory && (others & 0002U) == 0 && role != std::string_view(kRoleBackupDirectory)) {
      // Others may list the directory but not open its 0600 files: names only.
      warns.push_back(std::string(role) + " " + describe(*file) + " can be listed by others");
      fixes.push_back(chmod_fix(*file, "o-rwx"));
    } else if (role == std::string_view(kRoleAccessLog) && (others & 0002U) == 0) {
      warns.push_back(std::string(role) + " " + describe(*file) +
                      " is readable by others (it holds source addresses)");
      fixes.push_back(chmod_fix(*file, "o-rwx"));
    } else {
      fails.push_back(std::string(role) + " " + describe(*file) + " is open to others");
      fixes.push_back(chmod_fix(*file, directory ? "o-rwx" : "0600"));
    }
  }
  std::vector<Finding> out;
  if (!fails.empty()) {
    out.push_back(finding("FS-3", "secrets unreadable for others", Status::kFail,
                          join(fails) + (warns.empty() ? "" : "; " + join(warns)),
                          join(fixes, "; ")));
  } else if (!warns.empty()) {
    out.push_back(finding("FS-3", "secrets unreadable for others", Status::kWarn, join(warns),
                          join(fixes, "; ")));
  } else if (!unreadable.empty()) {
    out.push_back(finding("FS-3", "secrets unreadable for others", Status::kWarn,
                          "could not check " + join(unreadable) + detail::not_root_note(facts),
                          "run `hardline audit` as root"));
  } else {
    out.push_back(finding("FS-3", "secrets unreadable for others", Status::kPass,
                          "no access for others: " + join(checked, ", ")));
  }
  if (const FileFacts* file = find_file(facts, kRoleConfig); file != nullptr && file->exists) {
    if ((file->mode & 0004U) != 0) {
      out.push_back(
          finding("FS-3", "config not readable by others", Status::kWarn,
                  describe(*file) + " is readable by everyone on this host",
                  "chmod 0640 " + file->path.string() + " (root:" + config.system.group + ")"));
    } else {
      out.push_back(
          finding("FS-3", "config not readable by others", Status::kPass, describe(*file)));
    }
  }
  return out;
}

Finding fs_4(const Facts& facts) {
  const char* fix =
      "keep /var/lib/hardline and /var/backups/hardline on an encrypted block device "
      "(LUKS/dm-crypt) so that a stolen disk or backup reveals nothing";
  if (facts.data_encrypted) {
    return finding("FS-4", "encrypted storage", Status::kPass,
                   "the database is on " + facts.data_filesystem + " (dm-crypt)");
  }
  return finding("FS-4", "encrypted storage", Status::kManual,
                 facts.data_filesystem.empty()
                     ? std::string("the database's file system could not be determined")
                     : "the database is on " + facts.data_filesystem +
                           ", not a dm-crypt device as far as the audit can tell",
                 fix);
}

}  // namespace

std::vector<Finding> file_rules(const config::Config& config, const Facts& facts) {
  std::vector<Finding> out;
  out.push_back(fs_1(config, facts));
  out.push_back(fs_2(facts));
  std::vector<Finding> secrets = fs_3(config, facts);
  out.insert(out.end(), secrets.begin(), secrets.end());
  out.push_back(fs_4(facts));
  return out;
}

}  // namespace hardline::audit
