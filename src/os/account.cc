#include "os/account.h"

#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

extern char** environ;

namespace hardline::os {

namespace {

std::string create_hint(const config::Config::System& system) {
  return "create it with `hardline init --system` (for the default \"hardline\"), or with "
         "`groupadd --system " +
         system.group + " && useradd --system --gid " + system.group +
         " --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin " + system.user +
         "`, or name an existing account in [system]";
}

// Runs `argv` (an absolute program path first) without a shell; its exit status, or -1.
int run_program(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  if (::posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

constexpr int kAlreadyExists = 9;  // groupadd(8) and useradd(8): the name is taken

}  // namespace

bool running_as_root() {
  return ::geteuid() == 0;
}

Result<ServiceIdentity, std::string> service_identity(const config::Config::System& system) {
  ServiceIdentity identity;
  if (!running_as_root()) {
    identity.uid = ::getuid();
    identity.gid = ::getgid();
    const struct passwd* user = ::getpwuid(identity.uid);
    const struct group* group = ::getgrgid(identity.gid);
    identity.user = user != nullptr ? user->pw_name : std::to_string(identity.uid);
    identity.group = group != nullptr ? group->gr_name : std::to_string(identity.gid);
    return identity;
  }
  identity.privileged = true;
  const struct passwd* user = ::getpwnam(system.user.c_str());
  if (user == nullptr) {
    return tl::unexpected("system.user \"" + system.user +
                          "\" does not exist, and serve started as root never keeps running as "
                          "root: " +
                          create_hint(system));
  }
  identity.uid = user->pw_uid;
  identity.user = system.user;
  const struct group* group = ::getgrnam(system.group.c_str());
  if (group == nullptr) {
    return tl::unexpected("system.group \"" + system.group +
                          "\" does not exist: " + create_hint(system));
  }
  identity.gid = group->gr_gid;
  identity.group = system.group;
  if (identity.uid == 0 || identity.gid == 0) {
    return tl::unexpected("system.user \"" + system.user + "\" or system.group \"" + system.group +
                          "\" has id 0, which is root: use a dedicated account (`hardline init "
                          "--system` creates \"hardline\")");
  }
  return identity;
}

Result<SystemAccount, std::string> ensure_system_account(const std::string& user,
                                                         const std::string& group,
                                                         const std::string& home) {
  SystemAccount account;
  if (::getgrnam(group.c_str()) == nullptr) {
    const int status = run_program({"/usr/sbin/groupadd", "--system", group});
    if (status != 0 && status != kAlreadyExists) {
      return tl::unexpected("groupadd --system " + group + " failed (status " +
                            std::to_string(status) + ")");
    }
    account.created_group = status == 0;
  }
  const struct group* group_entry = ::getgrnam(group.c_str());
  if (group_entry == nullptr) return tl::unexpected("group " + group + " was not created");
  account.gid = group_entry->gr_gid;
  if (::getpwnam(user.c_str()) == nullptr) {
    const int status = run_program({"/usr/sbin/useradd", "--system", "--gid", group,
                                    "--no-create-home", "--home-dir", home, "--shell",
                                    "/usr/sbin/nologin", "--comment", "Hardline SIP server", user});
    if (status != 0 && status != kAlreadyExists) {
      return tl::unexpected("useradd --system " + user + " failed (status " +
                            std::to_string(status) + ")");
    }
    account.created_user = status == 0;
  }
  const struct passwd* user_entry = ::getpwnam(user.c_str());
  if (user_entry == nullptr) return tl::unexpected("user " + user + " was not created");
  account.uid = user_entry->pw_uid;
  if (account.uid == 0 || account.gid == 0) {
    return tl::unexpected("the account " + user + ":" + group +
                          " has id 0 (root): choose another name with --user and --group");
  }
  return account;
}

}  // namespace hardline::os
