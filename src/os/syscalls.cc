#include "os/syscalls.h"

#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <memory>
#include <string_view>
#include <vector>

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
    // The admin API's thread, started after confine() so that it inherits all of it: a thread
    // (CLONE_THREAD), never a new process. clone3 is answered ENOSYS (below) so that the C
    // library falls back to clone, whose flags the filter can read.
    {"clone", "the admin API's thread (CLONE_THREAD only)", 0, CLONE_THREAD, CLONE_THREAD},
    {"set_robust_list", "a new thread's start"},
    {"rseq", "a new thread's start (glibc 2.35+)"},
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
    {"getdents", "LeakSanitizer lists /proc/PID/task (x86_64)"},
    {"getdents64", "LeakSanitizer lists /proc/PID/task (other architectures)"},
    {"open", "LeakSanitizer opens /proc/PID/task and /proc/self/maps (refused otherwise)"},
    {"openat", "sanitizer runtime on other architectures (refused otherwise)"},
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
      // The comparison built by hand: libseccomp's SCMP_CMP macro is a C99 compound literal.
      scmp_arg_cmp compare{};
      compare.arg = static_cast<unsigned>(call.arg);
      compare.op = SCMP_CMP_MASKED_EQ;
      compare.datum_a = call.mask;
      compare.datum_b = call.value;
      const int rc = seccomp_rule_add_array(ctx.get(), action, number, call.arg < 0 ? 0 : 1,
                                            call.arg < 0 ? nullptr : &compare);
      if (rc != 0) {
        return tl::unexpected(std::string("seccomp_rule_add(") + call.name +
                              "): " + std::strerror(-rc));
      }
      if (action == SCMP_ACT_ALLOW) ++allowed;
    }
    return {};
  };
  // The sanitizers need some of the server's conditional calls without their condition.
  std::vector<AllowedSyscall> server;
  for (const AllowedSyscall& call : kServer) {
    const bool widened =
        sanitizer && std::any_of(std::begin(kSanitizer), std::end(kSanitizer),
                                 [&call](const AllowedSyscall& extra) {
                                   return std::string_view(extra.name) == call.name;
                                 });
    if (!widened) server.push_back(call);
  }
  if (auto added = add(server, SCMP_ACT_ALLOW); !added) return tl::unexpected(added.error());
  static constexpr AllowedSyscall kNotThere[] = {{"clone3", "threads: falls back to clone"}};
  if (auto added = add(kNotThere, SCMP_ACT_ERRNO(ENOSYS)); !added) {
    return tl::unexpected(added.error());
  }
  if (sanitizer) {
    if (auto added = add(kSanitizer, SCMP_ACT_ALLOW); !added) {
      return tl::unexpected(added.error());
    }
  }
  // A call the sanitizers need is allowed for them rather than refused.
  std::vector<AllowedSyscall> refused;
  for (const AllowedSyscall& call : kRefused) {
    const bool needed = sanitizer && std::any_of(std::begin(kSanitizer), std::end(kSanitizer),
                                                 [&call](const AllowedSyscall& extra) {
                                                   return std::string_view(extra.name) == call.name;
                                                 });
    if (!needed) refused.push_back(call);
  }
  if (auto added = add(refused, SCMP_ACT_ERRNO(EACCES)); !added) {
    return tl::unexpected(added.error());
  }
  if (const int rc = seccomp_load(ctx.get()); rc != 0) {
    return tl::unexpected(std::string("seccomp_load: ") + std::strerror(-rc));
  }
  return allowed;
}

}  // namespace hardline::os
