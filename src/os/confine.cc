#include "os/confine.h"

#include <grp.h>
#include <linux/capability.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "os/account.h"
#include "os/syscalls.h"

#if defined(__has_include)
#if __has_include(<sanitizer/lsan_interface.h>)
#include <sanitizer/lsan_interface.h>
#define HARDLINE_HAS_LSAN_INTERFACE 1
#endif
#endif

namespace hardline::os {

namespace fs = std::filesystem;

namespace {

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// Soft and hard limit both set to the value. Raising a hard limit needs CAP_SYS_RESOURCE, which
// a container may withhold: the limit then stays at the current hard limit, which is lower, so
// still a limit (a warning says so), and `applied` records what was set.
Result<void, std::string> set_limits(std::vector<ResourceLimit>& applied) {
  for (ResourceLimit& limit : applied) {
    struct rlimit value {
      static_cast<rlim_t>(limit.value), static_cast<rlim_t>(limit.value)
    };
    if (::setrlimit(limit.resource, &value) != 0) {
      struct rlimit current {};
      if (errno != EPERM || ::getrlimit(limit.resource, &current) != 0 ||
          current.rlim_max >= value.rlim_max) {
        return tl::unexpected(errno_text(std::string("cannot set ") + limit.name + " to " +
                                         std::to_string(limit.value)));
      }
      spdlog::warn(
          "{} = {} is above the hard limit {}, which this process may not raise (no "
          "CAP_SYS_RESOURCE): it stays at {}",
          limit.name, limit.value, current.rlim_max, current.rlim_max);
      value = {current.rlim_max, current.rlim_max};
      limit.value = current.rlim_max;
      if (::setrlimit(limit.resource, &value) != 0) {
        return tl::unexpected(errno_text(std::string("cannot set ") + limit.name + " to " +
                                         std::to_string(limit.value)));
      }
    }
    struct rlimit check {};
    if (::getrlimit(limit.resource, &check) != 0 || check.rlim_cur != value.rlim_cur ||
        check.rlim_max != value.rlim_max) {
      return tl::unexpected(std::string(limit.name) + " did not take the value " +
                            std::to_string(limit.value));
    }
  }
  return {};
}

Result<void, std::string> set_dumpable(bool dumpable) {
  if (::prctl(PR_SET_DUMPABLE, dumpable ? 1 : 0, 0, 0, 0) != 0) {
    return tl::unexpected(errno_text("prctl(PR_SET_DUMPABLE)"));
  }
  return {};
}

Result<void, std::string> enter_jail(const fs::path& jail) {
  struct stat st {};
  if (::stat(jail.c_str(), &st) != 0) return tl::unexpected(errno_text("chroot " + jail.string()));
  if (!S_ISDIR(st.st_mode)) {
    return tl::unexpected("chroot " + jail.string() + ": not a directory");
  }
  if (::chroot(jail.c_str()) != 0) return tl::unexpected(errno_text("chroot " + jail.string()));
  if (::chdir("/") != 0) return tl::unexpected(errno_text("chdir / in the jail"));
  return {};
}

// Every capability out of the bounding set (needs CAP_SETPCAP, so before the uid switch) and
// the ambient set emptied.
Result<void, std::string> drop_bounding_and_ambient() {
  for (int cap = 0;; ++cap) {
    const int present = ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (present < 0) {
      if (errno == EINVAL && cap > 0) break;  // past the kernel's last capability
      return tl::unexpected(errno_text("prctl(PR_CAPBSET_READ)"));
    }
    if (present == 1 && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      return tl::unexpected(errno_text("prctl(PR_CAPBSET_DROP, " + std::to_string(cap) + ")"));
    }
    if (::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 0) {
      return tl::unexpected("capability " + std::to_string(cap) +
                            " is still in the bounding set after PR_CAPBSET_DROP");
    }
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    return tl::unexpected(errno_text("prctl(PR_CAP_AMBIENT_CLEAR_ALL)"));
  }
  return {};
}

Result<void, std::string> switch_user(const ServiceIdentity& identity) {
  const std::string who = identity.user + ":" + identity.group + " (" +
                          std::to_string(identity.uid) + ":" + std::to_string(identity.gid) + ")";
  if (::setgroups(0, nullptr) != 0) return tl::unexpected(errno_text("setgroups(0)"));
  if (::setresgid(identity.gid, identity.gid, identity.gid) != 0) {
    return tl::unexpected(errno_text("setresgid to " + who));
  }
  if (::setresuid(identity.uid, identity.uid, identity.uid) != 0) {
    return tl::unexpected(errno_text("setresuid to " + who));
  }
  // Verify: every id is the service's, no supplementary group is left, and root is out of reach.
  uid_t ruid = 0, euid = 0, suid = 0;
  gid_t rgid = 0, egid = 0, sgid = 0;
  if (::getresuid(&ruid, &euid, &suid) != 0 || ::getresgid(&rgid, &egid, &sgid) != 0 ||
      ruid != identity.uid || euid != identity.uid || suid != identity.uid ||
      rgid != identity.gid || egid != identity.gid || sgid != identity.gid) {
    return tl::unexpected("after switching to " + who +
                          " the real, effective and saved ids differ");
  }
  if (::getgroups(0, nullptr) != 0) {
    return tl::unexpected(std::string("supplementary groups are left after setgroups(0)"));
  }
  if (::setuid(0) == 0 || ::seteuid(0) == 0 || ::setgid(0) == 0 || ::setegid(0) == 0) {
    return tl::unexpected("the switch to " + who + " can be undone: root is still reachable");
  }
  return {};
}

// Effective, permitted and inheritable capabilities all cleared, then read back.
Result<void, std::string> clear_capabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capset, &header, data) != 0) return tl::unexpected(errno_text("capset"));
  __user_cap_data_struct check[_LINUX_CAPABILITY_U32S_3] = {};
  header = {_LINUX_CAPABILITY_VERSION_3, 0};
  if (::syscall(SYS_capget, &header, check) != 0) return tl::unexpected(errno_text("capget"));
  for (const __user_cap_data_struct& word : check) {
    if (word.effective != 0 || word.permitted != 0 || word.inheritable != 0) {
      return tl::unexpected(std::string("capabilities are left after capset"));
    }
  }
  return {};
}

Result<void, std::string> set_no_new_privs() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return tl::unexpected(errno_text("prctl(PR_SET_NO_NEW_PRIVS)"));
  }
  if (::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
    return tl::unexpected(std::string("no_new_privs did not stay set"));
  }
  return {};
}

std::string limits_text(const std::vector<ResourceLimit>& limits) {
  std::string text;
  for (const ResourceLimit& limit : limits) {
    if (!text.empty()) text += ", ";
    text += std::string(limit.name) + "=" + std::to_string(limit.value);
  }
  return text;
}

}  // namespace

fs::path Confinement::inside(const fs::path& outside) const {
  if (jail.empty()) return outside;
  const fs::path relative = outside.lexically_normal().lexically_relative(jail);
  if (relative.empty() || *relative.begin() == "..") return {};
  if (relative == ".") return "/";
  return fs::path("/") / relative;
}

std::vector<ResourceLimit> resource_limits(const config::Config::System& system, bool privileged,
                                           bool sanitizer) {
  std::vector<ResourceLimit> limits;
  limits.push_back({RLIMIT_CORE, "RLIMIT_CORE", 0});
  if (!privileged) return limits;
  limits.push_back({RLIMIT_NOFILE, "RLIMIT_NOFILE", system.max_open_files});
  limits.push_back({RLIMIT_NPROC, "RLIMIT_NPROC", system.max_processes});
  if (system.max_address_space_mib != 0 && !sanitizer) {
    limits.push_back(
        {RLIMIT_AS, "RLIMIT_AS", static_cast<uint64_t>(system.max_address_space_mib) << 20});
  }
  return limits;
}

Result<Confinement, std::string> confine(const config::Config::System& system,
                                         const fs::path& database) {
  Confinement confinement;
  auto identity = service_identity(system);
  if (!identity) return tl::unexpected(identity.error());
  confinement.identity = *identity;
  std::vector<ResourceLimit> limits = resource_limits(system, identity->privileged);
  if (auto set = set_limits(limits); !set) return tl::unexpected(set.error());

  if (!identity->privileged) {
    spdlog::warn(
        "not sandboxed: started as {} (uid {}), not as root, so there is no chroot, no switch "
        "to a dedicated user, no capability drop and no system-call filter (only {}); start "
        "`hardline serve` as root to get them (docs/sandbox.md)",
        identity->user, identity->uid, limits_text(limits));
    return confinement;
  }

  // Sanitizer builds stay dumpable: LeakSanitizer ptrace-attaches to the process at exit.
  if (auto set = set_dumpable(kSanitizerBuild); !set) return tl::unexpected(set.error());
  if (system.chroot) {
    if constexpr (kSanitizerBuild) {
      // LeakSanitizer reads /proc, which the jail hides: its end-of-process check cannot run
      // there, so it runs now, at the end of start-up, and not again at exit.
#if defined(HARDLINE_HAS_LSAN_INTERFACE)
      spdlog::info("sanitizer build: leak check now, before the chroot hides /proc");
      __lsan_do_leak_check();
#endif
    }
    confinement.jail = database.parent_path();
    if (auto entered = enter_jail(confinement.jail); !entered) {
      return tl::unexpected(entered.error());
    }
  }
  if (auto dropped = drop_bounding_and_ambient(); !dropped) return tl::unexpected(dropped.error());
  if (auto switched = switch_user(*identity); !switched) return tl::unexpected(switched.error());
  if (auto cleared = clear_capabilities(); !cleared) return tl::unexpected(cleared.error());
  // The uid switch made the process non-dumpable already (fs.suid_dumpable); say it again.
  if (auto set = set_dumpable(kSanitizerBuild); !set) return tl::unexpected(set.error());
  if (auto set = set_no_new_privs(); !set) return tl::unexpected(set.error());
  auto filter = install_seccomp_filter(kSanitizerBuild);
  if (!filter) return tl::unexpected(filter.error());
  confinement.allowed_syscalls = *filter;
  confinement.sandboxed = true;
  spdlog::info(
      "sandboxed: running as {}:{} ({}:{}), {}, no capabilities, no_new_privs, {} system calls "
      "allowed (any other kills the process), {}{}",
      identity->user, identity->group, identity->uid, identity->gid,
      system.chroot ? "chroot " + confinement.jail.string() : std::string("no chroot"),
      confinement.allowed_syscalls, limits_text(limits),
      kSanitizerBuild ? " (sanitizer build: no RLIMIT_AS, dumpable)" : "");
  return confinement;
}

}  // namespace hardline::os
