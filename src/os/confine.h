#pragma once
// The confinement `hardline serve` applies to itself once it holds everything it needs
// (docs/sandbox.md). Call `confine()` exactly once, AFTER every socket is bound (SIP listeners,
// the admin API) and every file outside the jail is open (database, TLS keys, token hash, access
// log), and BEFORE serving: anything that needs root, a capability or a path outside the
// database's directory must happen before it, because afterwards it is impossible.
//
// Started as root, in this order: the service account is looked up; resource limits are set
// (open files, processes, core size 0, address space); the process becomes non-dumpable; it
// chroots into the database's directory (system.chroot); the capability bounding set and the
// ambient set are emptied; supplementary groups are dropped and real, effective and saved
// gid and uid switch to system.group and system.user, and the switch is verified to be
// irreversible; the effective, permitted and inheritable capabilities are cleared and verified
// empty; no_new_privs is set; a seccomp allow-list of system calls (syscalls.h) is installed,
// whose default action kills the process. Any step that fails is an error: the caller must then
// stop, never serve.
//
// Started as another user nothing can be dropped: the core size is set to 0 and a single log
// line says that the server is not sandboxed and why.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "os/file_checks.h"

namespace hardline::os {

struct Confinement {
  bool sandboxed = false;       // every step above was applied (started as root)
  ServiceIdentity identity;     // whom the process runs as from now on
  std::filesystem::path jail;   // the chroot directory as seen from outside; empty: none
  size_t allowed_syscalls = 0;  // size of the seccomp allow-list installed

  // Where an absolute path from the config is reachable now: itself without a jail, its part
  // below the jail (as "/name") inside one, and empty when the jail hides it.
  std::filesystem::path inside(const std::filesystem::path& outside) const;
};

// True in AddressSanitizer builds (build-san): RLIMIT_AS is not set (ASan's shadow memory
// reserves terabytes of address space), the process stays dumpable (LeakSanitizer attaches to
// its own threads with ptrace at exit) and the seccomp list has the sanitizers' extra calls.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitizerBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kSanitizerBuild = true;
#else
inline constexpr bool kSanitizerBuild = false;
#endif
#else
inline constexpr bool kSanitizerBuild = false;
#endif

struct ResourceLimit {
  int resource = 0;       // RLIMIT_*
  const char* name = "";  // "RLIMIT_NOFILE"
  uint64_t value = 0;     // soft and hard limit
};

// The limits confine() sets. Privileged: RLIMIT_NOFILE = max_open_files, RLIMIT_NPROC =
// max_processes, RLIMIT_CORE = 0, RLIMIT_AS = max_address_space_mib MiB unless 0 or
// `sanitizer`. Unprivileged: RLIMIT_CORE = 0 only (raising a hard limit needs root).
std::vector<ResourceLimit> resource_limits(const config::Config::System& system, bool privileged,
                                           bool sanitizer = kSanitizerBuild);

// `database` is config.store.database (absolute): the jail is its directory.
Result<Confinement, std::string> confine(const config::Config::System& system,
                                         const std::filesystem::path& database);

}  // namespace hardline::os
