#include "os/confine.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "os/syscalls.h"

namespace hardline::os {
namespace {

std::string names(const std::vector<ResourceLimit>& limits) {
  std::string out;
  for (const ResourceLimit& limit : limits) {
    out += std::string(limit.name) + "=" + std::to_string(limit.value) + " ";
  }
  return out;
}

TEST(ResourceLimits, Table) {
  config::Config::System system;
  system.max_open_files = 1000;
  system.max_processes = 16;
  system.max_address_space_mib = 512;
  struct Case {
    bool privileged;
    bool sanitizer;
    uint32_t address_space_mib;
    const char* expected;
  };
  const Case cases[] = {
      {true, false, 512, "RLIMIT_CORE=0 RLIMIT_NOFILE=1000 RLIMIT_NPROC=16 RLIMIT_AS=536870912 "},
      {true, false, 0, "RLIMIT_CORE=0 RLIMIT_NOFILE=1000 RLIMIT_NPROC=16 "},
      // AddressSanitizer reserves terabytes of address space: no RLIMIT_AS under it.
      {true, true, 512, "RLIMIT_CORE=0 RLIMIT_NOFILE=1000 RLIMIT_NPROC=16 "},
      // Not root: a hard limit cannot be raised, but a core file can always be refused.
      {false, false, 512, "RLIMIT_CORE=0 "},
  };
  for (const Case& c : cases) {
    system.max_address_space_mib = c.address_space_mib;
    EXPECT_EQ(names(resource_limits(system, c.privileged, c.sanitizer)), c.expected);
  }
}

TEST(Confinement, PathsInsideTheJail) {
  Confinement jailed;
  jailed.jail = "/var/lib/hardline";
  EXPECT_EQ(jailed.inside("/var/lib/hardline/hardline.db"), "/hardline.db");
  EXPECT_EQ(jailed.inside("/var/lib/hardline/logs/admin.log"), "/logs/admin.log");
  EXPECT_EQ(jailed.inside("/var/lib/hardline"), "/");
  EXPECT_EQ(jailed.inside("/etc/hardline/hardline.toml"), "");
  EXPECT_EQ(jailed.inside("/var/lib/hardline/../x"), "");
  EXPECT_EQ(jailed.inside("/var/lib/hardline-other/x"), "");
  Confinement free;
  EXPECT_EQ(free.inside("/etc/hardline/hardline.toml"), "/etc/hardline/hardline.toml");
}

TEST(SyscallList, EveryNameIsKnownAndNoneIsDangerous) {
  // What the server must never be able to do once confined: run or trace programs, create
  // sockets or processes, change ids, mounts, namespaces or its own filter.
  const std::set<std::string> forbidden = {"execve",
                                           "execveat",
                                           "fork",
                                           "vfork",
                                           "clone",
                                           "clone3",
                                           "ptrace",
                                           "socket",
                                           "bind",
                                           "listen",
                                           "connect",
                                           "setuid",
                                           "setgid",
                                           "setresuid",
                                           "chroot",
                                           "mount",
                                           "umount2",
                                           "unshare",
                                           "setns",
                                           "prctl",
                                           "seccomp",
                                           "bpf",
                                           "kill",
                                           "init_module",
                                           "finit_module",
                                           "keyctl",
                                           "personality",
                                           "memfd_create",
                                           "process_vm_writev",
                                           "open_by_handle_at",
                                           "chmod",
                                           "chown"};
  std::set<std::string> seen;
  for (std::span<const AllowedSyscall> list : {allowed_syscalls(), refused_syscalls()}) {
    for (const AllowedSyscall& call : list) {
      EXPECT_TRUE(seen.insert(call.name).second) << call.name << " listed twice";
      // clone makes threads only (the admin API's): never a process.
      const bool thread_only = std::string_view(call.name) == "clone" && call.arg == 0 &&
                               (call.mask & CLONE_THREAD) != 0 && (call.value & CLONE_THREAD) != 0;
      EXPECT_TRUE(forbidden.count(call.name) == 0 || thread_only) << call.name;
      EXPECT_STRNE(call.why, "") << call.name;
    }
  }
  // Names valid on x86_64 (the list may name calls of other architectures, which are skipped).
  for (const char* name : {"epoll_wait", "recvmmsg", "sendmmsg", "pwrite64", "fdatasync", "accept",
                           "futex", "exit_group", "openat"}) {
    EXPECT_NE(seccomp_syscall_resolve_name(name), __NR_SCMP_ERROR) << name;
  }
}

// docs/sandbox.md lists every call the filter allows or refuses, so the two cannot drift apart.
TEST(SyscallList, DocumentedInSandboxMd) {
  std::ifstream file(std::string(HARDLINE_TEST_DATA) + "/../../docs/sandbox.md");
  ASSERT_TRUE(file) << "docs/sandbox.md";
  std::stringstream text;
  text << file.rdbuf();
  for (std::span<const AllowedSyscall> list :
       {allowed_syscalls(), refused_syscalls(), sanitizer_syscalls()}) {
    for (const AllowedSyscall& call : list) {
      EXPECT_NE(text.str().find(std::string("`") + call.name + "`"), std::string::npos)
          << call.name << " is missing from docs/sandbox.md";
    }
  }
}

// The filter in a child process: an allowed call works, a refused one answers EACCES, anything
// else kills the process with SIGSYS.
TEST(SyscallList, FilterAllowsRefusesAndKills) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(10);
    if (!install_seccomp_filter(kSanitizerBuild)) ::_exit(11);
    if (::getpid() <= 0) ::_exit(12);
    // unlink is refused (EACCES) in every build; without the filter it would say ENOENT.
    if (::unlink("/nonexistent-hardline-test") == 0 || errno != EACCES) ::_exit(13);
    ::socket(AF_INET, SOCK_DGRAM, 0);  // not allowed: the process dies here
    ::_exit(14);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGSYS);
}

TEST(Confine, UnprivilegedSetsOnlyCoreLimitAndSaysSo) {
  if (::geteuid() == 0) GTEST_SKIP() << "runs as root: confine() would drop root for good";
  auto confined = confine(config::Config::System{}, "/nonexistent/hardline.db");
  ASSERT_TRUE(confined) << confined.error();
  EXPECT_FALSE(confined->sandboxed);
  struct rlimit core {};
  ASSERT_EQ(::getrlimit(RLIMIT_CORE, &core), 0);
  EXPECT_EQ(core.rlim_cur, 0u);
}

}  // namespace
}  // namespace hardline::os
