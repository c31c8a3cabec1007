#pragma once
// The seccomp filter of `hardline serve` once confined (docs/sandbox.md says how the list was
// found and how to extend it). Every entry says which part of the server needs it. A few
// file-system calls that SQLite tries and copes without are refused with EACCES; anything else
// not listed kills the process (SCMP_ACT_KILL_PROCESS).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "common/result.h"

namespace hardline::os {

struct AllowedSyscall {
  const char* name = "";  // as libseccomp and strace name it
  const char* why = "";   // who needs it
  // Allowed only when (argument[arg] & mask) == value; arg < 0: whatever the arguments.
  int arg = -1;
  uint64_t mask = 0;
  uint64_t value = 0;
};

// What the server itself calls after confine().
std::span<const AllowedSyscall> allowed_syscalls();
// Refused with EACCES instead of killing: SQLite opens its directory to fsync it, probes for a
// temporary directory and /dev/urandom, and removes the WAL at close; in the jail it copes.
std::span<const AllowedSyscall> refused_syscalls();
// What AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer call besides (build-san).
std::span<const AllowedSyscall> sanitizer_syscalls();

// Installs the filter for this process (no_new_privs must be set): allowed_syscalls(), plus
// sanitizer_syscalls() when `sanitizer`, refused_syscalls() answered EACCES, and the process
// killed on anything else. A name unknown on this architecture is skipped. Returns how many
// system calls were allowed.
Result<size_t, std::string> install_seccomp_filter(bool sanitizer);

}  // namespace hardline::os
