#include "os/syscalls.h"

#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace hardline::os {

namespace {

constexpr uint64_t kAnyBits = ~uint64_t{0};

// Found by tracing the integration tests (strace -f, every call after the "sandboxed" line),
// under the normal and the sanitizer build; see docs/sandbox.md.
constexpr AllowedSyscall kServer[] = {
    // Event loop (Boost.Asio's epoll reactor, its eventfd and timerfd).
    {"epoll_wait", "event loop"},
    {"epoll_pwait", "event loop (some C libraries)"},
    {"epoll_ctl", "event loop: sockets added and removed"},
    {"timerfd_settime", "event loop: timers"},
    {"read", "event loop: eventfd and timerfd"},
    {"write", "event loop: eventfd wake-up; logs to stderr"},
    {"writev", "logs to stderr (some C libraries)"},
    {"close", "sockets closed"},
    {"fcntl", "SQLite's POSIX locks; non-blocking sockets"},
    {"ioctl", "Asio makes an accepted socket non-blocking (FIONBIO only)", 1, kAnyBits, FIONBIO},
    // Sockets: all bound before confine(); no new socket, bind, listen or connect afterwards.
    {"recvfrom", "TCP receive"},
    {"recvmsg", "UDP receive (some C libraries)"},
    {"recvmmsg", "UDP receive, a batch per call"},
    {"sendto", "TCP send"},
    {"sendmsg", "UDP send (some C libraries)"},
    {"sendmmsg", "UDP send, a batch per call"},
    {"accept", "TCP connections accepted (Asio)"},
    {"accept4", "TCP connections accepted (some C libraries)"},
    {"getpeername", "remote address of an accepted connection"},
    {"getsockname", "local address of an accepted connection"},
    {"setsockopt", "TCP_NODELAY on an accepted connection"},
    {"getsockopt", "pending socket error"},
    {"shutdown", "TCP connections closed"},
    // SQLite, on the database, WAL and shared-memory files opened before confine().
    {"pread64", "SQLite reads"},
    {"pwrite64", "SQLite writes"},
    {"fdatasync", "SQLite commits and checkpoints"},
    {"fsync", "SQLite (full_fsync)"},
    {"ftruncate", "SQLite: checkpoint, WAL reset"},
    {"fstat", "SQLite: file size"},
    {"newfstatat", "SQLite: file size, has the database moved"},
    {"lseek", "SQLite (some builds)"},
    {"getpid", "SQLite: fork detection"},
    // Memory: never executable.
    {"brk", "malloc"},
    {"mmap", "malloc (not PROT_EXEC)", 2, PROT_EXEC, 0},
    {"mprotect", "malloc arenas (not PROT_EXEC)", 2, PROT_EXEC, 0},
    {"munmap", "free"},
    {"mremap", "realloc"},
    {"madvise", "free"},
    // Time, randomness, locks, signals, exit.
    {"clock_gettime", "clock (when the vDSO cannot answer)"},
    {"gettimeofday", "clock (when the vDSO cannot answer)"},
    {"clock_nanosleep", "SQLite's busy wait"},
    {"nanosleep", "SQLite's busy wait (some C libraries)"},
    {"getrandom", "OpenSSL reseeding its generator; std::random_device"},
    {"futex", "locks"},
    {"rt_sigreturn", "SIGTERM and SIGINT handlers"},
    {"rt_sigaction", "signal handlers restored at exit"},
    {"rt_sigprocmask", "abort() on a failed check"},
    {"gettid", "abort() on a failed check"},
    {"tgkill", "abort() on a failed check"},
    {"restart_syscall", "a sleep interrupted by a signal"},
    {"exit", "thread end"},
    {"exit_group", "process end"},
};

constexpr AllowedSyscall kRefused[] = {
    {"openat", "SQLite: its directory (to fsync it), /dev/urandom, temporary files"},
    {"open", "SQLite (some C libraries)"},
    {"access", "SQLite: a temporary directory"},
    {"unlink", "SQLite: the WAL at close"},
    {"unlinkat", "SQLite: the WAL at close (some C libraries)"},
};

constexpr AllowedSyscall kSanitizer[] = {
    {"clone", "LeakSanitizer's tracer at exit"},
    {"ptrace", "LeakSanitizer stops the threads to scan them"},
    {"wait4", "LeakSanitizer waits for its tracer"},
    {"prctl", "LeakSanitizer: PR_SET_PTRACER, PR_GET_DUMPABLE"},
    {"sigaltstack", "sanitizers' signal stacks"},
    {"sched_getaffinity", "sanitizer runtime"},
    {"sched_yield", "sanitizer runtime's spin locks"},
    {"readlink", "sanitizer runtime"},
    {"getdents64", "LeakSanitizer lists /proc/self/task"},
    {"pipe2", "sanitizer runtime"},
    {"kill", "sanitizer runtime"},
    {"getppid", "sanitizer runtime"},
};

struct FilterDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};

}  // namespace

std::span<const AllowedSyscall> allowed_syscalls() {
  return kServer;
}

std::span<const AllowedSyscall> refused_syscalls() {
  return kRefused;
}

std::span<const AllowedSyscall> sanitizer_syscalls() {
  return kSanitizer;
}

Result<size_t, std::string> install_seccomp_filter(bool sanitizer) {
  // Kill the whole process, not just the thread, and do not answer EPERM: an unexpected call is
  // a bug or an attack (an exploit probing what it may do); a half-working server must not go
  // on answering, and a dead one is restarted by its supervisor with the reason in the kernel
  // log (docs/sandbox.md).
  std::unique_ptr<void, FilterDeleter> ctx(seccomp_init(SCMP_ACT_KILL_PROCESS));
  if (!ctx) return tl::unexpected(std::string("seccomp_init failed"));
  size_t allowed = 0;
  auto add = [&](std::span<const AllowedSyscall> list,
                 uint32_t action) -> Result<void, std::string> {
    for (const AllowedSyscall& call : list) {
      const int number = seccomp_syscall_resolve_name(call.name);
      if (number == __NR_SCMP_ERROR) continue;  // not on this architecture
      const int rc = call.arg < 0
                         ? seccomp_rule_add(ctx.get(), action, number, 0)
                         : seccomp_rule_add(ctx.get(), action, number, 1,
                                            SCMP_CMP(static_cast<unsigned>(call.arg),
                                                     SCMP_CMP_MASKED_EQ, call.mask, call.value));
      if (rc != 0) {
        return tl::unexpected(std::string("seccomp_rule_add(") + call.name +
                              "): " + std::strerror(-rc));
      }
      if (action == SCMP_ACT_ALLOW) ++allowed;
    }
    return {};
  };
  if (auto added = add(kServer, SCMP_ACT_ALLOW); !added) return tl::unexpected(added.error());
  if (sanitizer) {
    if (auto added = add(kSanitizer, SCMP_ACT_ALLOW); !added) {
      return tl::unexpected(added.error());
    }
  }
  if (auto added = add(kRefused, SCMP_ACT_ERRNO(EACCES)); !added) {
    return tl::unexpected(added.error());
  }
  if (const int rc = seccomp_load(ctx.get()); rc != 0) {
    return tl::unexpected(std::string("seccomp_load: ") + std::strerror(-rc));
  }
  return allowed;
}

}  // namespace hardline::os
