#pragma once
// The account `hardline serve` runs as: looked up by name (system.user, system.group) while
// /etc/passwd and /etc/group are still reachable, i.e. before any chroot.
#include <sys/types.h>

#include <string>

#include "common/result.h"
#include "config/config.h"
#include "os/file_checks.h"

namespace hardline::os {

// True when the process runs with effective uid 0: then serve confines itself.
bool running_as_root();

// Started as root: the configured user and group, which must exist (the error names the
// command that creates them). Started as anyone else: the current user and group, with
// `privileged` false.
Result<ServiceIdentity, std::string> service_identity(const config::Config::System& system);

struct SystemAccount {
  uid_t uid = 0;
  gid_t gid = 0;
  bool created_user = false;  // false: an existing account was reused
  bool created_group = false;
};

// `hardline init --system` (root only): the system group `group` and the system user `user`
// (primary group `group`, shell /usr/sbin/nologin, home `home`, not created), made with
// groupadd(8) and useradd(8) when missing and reused when present. Idempotent; refuses an
// existing account with uid or gid 0.
Result<SystemAccount, std::string> ensure_system_account(const std::string& user,
                                                         const std::string& group,
                                                         const std::string& home);

}  // namespace hardline::os
