#pragma once
// The process made fit for a daemon's life: a closed standard descriptor, a log reader that
// went away or a stray SIGPIPE must never corrupt a file or kill the server (issue 13, item 9).
#include <string>
#include <vector>

namespace hardline::os {

// Opens /dev/null on each of the descriptors 0, 1 and 2 that is closed, so that the first file
// or socket the process opens can never become its "stderr" (log lines written into the
// database, or sent to a peer). Returns the descriptors it opened. Call it first in main().
std::vector<int> reopen_closed_standard_fds();

// SIGPIPE ignored: a write to a pipe or connection whose reader is gone (journald restarted,
// a terminal closed, a TCP peer reset) fails with EPIPE instead of killing the process.
void ignore_sigpipe();

// SIGXFSZ ignored: a write past RLIMIT_FSIZE (an operator's or a container's limit) fails with
// EFBIG, which SQLite reports as a failed write that the server answers 500 to and logs, instead
// of killing the process with a core dump (issue 13, item 12).
void ignore_file_size_signal();

// Makes a logger writing to stderr the default spdlog logger (pattern: ISO time, level, text)
// at `level` (trace|debug|info|warn|error). A write that fails (EPIPE, EBADF, ENOSPC) loses
// that line and nothing else: the logger never throws and never aborts for its own output.
void install_stderr_logger(const std::string& level);

}  // namespace hardline::os
