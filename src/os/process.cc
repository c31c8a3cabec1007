#include "os/process.h"

#include <fcntl.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <memory>

namespace hardline::os {

std::vector<int> reopen_closed_standard_fds() {
  std::vector<int> reopened;
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // open() takes the lowest free descriptor, which is `fd`: the ones below it are open now.
    const int opened = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (opened < 0) break;  // no /dev/null (an odd chroot): nothing better to put there
    if (opened != fd) {
      dup2(opened, fd);
      close(opened);
    }
    // Standard descriptors are inherited like any other: clear close-on-exec again.
    fcntl(fd, F_SETFD, 0);
    reopened.push_back(fd);
  }
  return reopened;
}

void ignore_sigpipe() {
  struct sigaction action {};
  action.sa_handler = SIG_IGN;
  sigemptyset(&action.sa_mask);
  sigaction(SIGPIPE, &action, nullptr);
}

void ignore_file_size_signal() {
  struct sigaction action {};
  action.sa_handler = SIG_IGN;
  sigemptyset(&action.sa_mask);
  sigaction(SIGXFSZ, &action, nullptr);
}

void install_stderr_logger(const std::string& level) {
  // The colour sink writes with fwrite and ignores short writes; the error handler covers
  // anything else a sink or a format could throw: a lost log line is never worth the server.
  // Not registered by name, so that a second call replaces the first instead of throwing.
  auto logger = std::make_shared<spdlog::logger>(
      "hardline", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  logger->set_error_handler([](const std::string&) {});
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace hardline::os
