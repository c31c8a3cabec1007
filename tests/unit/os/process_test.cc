#include "os/process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <vector>

namespace hardline::os {
namespace {

// Each case runs in a child process (a death test): they close and replace descriptors 0-2
// and change signal dispositions, which the test runner itself must keep.

bool is_dev_null(int fd) {
  struct stat seen {};
  struct stat null {};
  return fstat(fd, &seen) == 0 && stat("/dev/null", &null) == 0 && seen.st_rdev == null.st_rdev &&
         S_ISCHR(seen.st_mode);
}

// Descriptor 2 made a pipe whose reader is gone, as when journald or a terminal goes away.
void stderr_to_broken_pipe() {
  int ends[2];
  if (pipe(ends) != 0) std::_Exit(10);
  close(ends[0]);
  dup2(ends[1], 2);
  close(ends[1]);
}

bool write_to_broken_pipe_fails_with_epipe() {
  int ends[2];
  if (pipe(ends) != 0) return false;
  close(ends[0]);
  return write(ends[1], "x", 1) == -1 && errno == EPIPE;
}

void log_lines() {
  for (int i = 0; i < 100; ++i) spdlog::info("line {} of a log nobody reads", i);
  spdlog::default_logger()->flush();
}

int reopen_after_closing_0_and_2() {
  close(0);
  close(2);
  const std::vector<int> reopened = reopen_closed_standard_fds();
  // A file opened now must not land on 0-2.
  const int next = open("/dev/null", O_RDONLY);
  const bool ok = reopened == std::vector<int>{0, 2} && is_dev_null(0) && is_dev_null(2) &&
                  !is_dev_null(1) && next > 2 && (fcntl(2, F_GETFD) & FD_CLOEXEC) == 0;
  return ok ? 0 : 1;
}

int reopen_after_closing_all() {
  close(0);
  close(1);
  close(2);
  const bool ok = reopen_closed_standard_fds() == std::vector<int>{0, 1, 2} && is_dev_null(0) &&
                  is_dev_null(1) && is_dev_null(2);
  return ok ? 0 : 1;
}

TEST(ReopenClosedStandardFds, OpensDevNullOnClosedOnesOnly) {
  EXPECT_EXIT(std::_Exit(reopen_after_closing_0_and_2()), testing::ExitedWithCode(0), "");
}

TEST(ReopenClosedStandardFds, AllClosed) {
  EXPECT_EXIT(std::_Exit(reopen_after_closing_all()), testing::ExitedWithCode(0), "");
}

TEST(ReopenClosedStandardFds, NothingClosedNothingOpened) {
  EXPECT_TRUE(reopen_closed_standard_fds().empty());
}

TEST(IgnoreSigpipe, WriteToBrokenPipeFailsWithEpipe) {
  EXPECT_EXIT(
      {
        ignore_sigpipe();
        std::_Exit(write_to_broken_pipe_fails_with_epipe() ? 0 : 1);
      },
      testing::ExitedWithCode(0), "");
}

TEST(IgnoreSigpipe, TheSignalItselfDoesNotKill) {
  EXPECT_EXIT(
      {
        ignore_sigpipe();
        raise(SIGPIPE);
        std::_Exit(0);
      },
      testing::ExitedWithCode(0), "");
}

// A write past RLIMIT_FSIZE fails with EFBIG instead of killing the process (SQLite then reports
// a failed write, which the server answers 500 to).
TEST(IgnoreFileSizeSignal, AWritePastTheLimitFailsWithEfbig) {
  EXPECT_EXIT(
      {
        ignore_file_size_signal();
        char path[] = "/tmp/hardline-fsize-XXXXXX";
        const int fd = mkstemp(path);
        unlink(path);
        rlimit limit{};
        getrlimit(RLIMIT_FSIZE, &limit);
        limit.rlim_cur = 1;
        setrlimit(RLIMIT_FSIZE, &limit);
        const ssize_t wrote = pwrite(fd, "xy", 2, 16);
        std::_Exit(wrote < 0 && errno == EFBIG ? 0 : 1);
      },
      testing::ExitedWithCode(0), "");
}

// What the two tests above guard against: without ignore_sigpipe(), the first log line written
// to a broken stderr kills the process.
TEST(StderrLogger, WithoutIgnoringSigpipeABrokenStderrKills) {
  EXPECT_EXIT(
      {
        stderr_to_broken_pipe();
        install_stderr_logger("info");
        log_lines();
        std::_Exit(0);
      },
      testing::KilledBySignal(SIGPIPE), "");
}

TEST(StderrLogger, SurvivesABrokenPipe) {
  EXPECT_EXIT(
      {
        ignore_sigpipe();
        stderr_to_broken_pipe();
        install_stderr_logger("info");
        log_lines();
        std::_Exit(0);
      },
      testing::ExitedWithCode(0), "");
}

TEST(StderrLogger, SurvivesAClosedStderr) {
  EXPECT_EXIT(
      {
        close(2);
        install_stderr_logger("info");
        log_lines();
        std::_Exit(0);
      },
      testing::ExitedWithCode(0), "");
}

TEST(StderrLogger, SurvivesAFullDevice) {
  EXPECT_EXIT(
      {
        const int full = open("/dev/full", O_WRONLY);
        if (full < 0) std::_Exit(0);  // no /dev/full here: nothing to test
        dup2(full, 2);
        install_stderr_logger("info");
        log_lines();
        std::_Exit(0);
      },
      testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace hardline::os
