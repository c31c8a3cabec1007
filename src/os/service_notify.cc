#include "os/service_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace hardline::os {

namespace {

template <class Number>
bool parse_number(std::string_view text, Number& out) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

Result<NotifySettings, std::string> notify_settings(const char* notify_socket,
                                                    const char* watchdog_usec,
                                                    const char* watchdog_pid, pid_t self) {
  NotifySettings settings;
  if (notify_socket != nullptr && *notify_socket != '\0') {
    const std::string_view name(notify_socket);
    // sun_path holds 108 bytes: a path needs its terminating NUL, an abstract name does not.
    const size_t room = sizeof(sockaddr_un::sun_path) - (name.front() == '@' ? 0 : 1);
    if (name.front() != '/' && name.front() != '@') {
      return tl::unexpected(std::string(
          "NOTIFY_SOCKET is neither an absolute path nor an abstract name (@...): ignored"));
    }
    if (name.size() > room || name == "@") {
      return tl::unexpected(std::string("NOTIFY_SOCKET is too long or empty: ignored"));
    }
    settings.socket = name;
  }
  if (watchdog_usec != nullptr && *watchdog_usec != '\0') {
    uint64_t usec = 0;
    if (!parse_number(watchdog_usec, usec) || usec == 0) {
      return tl::unexpected(std::string("WATCHDOG_USEC is not a positive number: ignored"));
    }
    pid_t pid = 0;
    const bool for_us = watchdog_pid == nullptr || *watchdog_pid == '\0' ||
                        (parse_number(watchdog_pid, pid) && pid == self);
    // Another process's watchdog (a wrapper's) is not ours to feed.
    if (for_us) settings.watchdog = std::chrono::microseconds(usec);
  }
  return settings;
}

ServiceNotifier::ServiceNotifier(ServiceNotifier&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), watchdog_(other.watchdog_) {}

ServiceNotifier& ServiceNotifier::operator=(ServiceNotifier&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    watchdog_ = other.watchdog_;
  }
  return *this;
}

ServiceNotifier::~ServiceNotifier() {
  if (fd_ >= 0) close(fd_);
}

Result<ServiceNotifier, std::string> ServiceNotifier::open(const NotifySettings& settings) {
  ServiceNotifier notifier;
  if (settings.socket.empty()) return notifier;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, settings.socket.data(), settings.socket.size());
  socklen_t length = offsetof(sockaddr_un, sun_path) + settings.socket.size();
  if (settings.socket.front() == '@') {
    address.sun_path[0] = '\0';  // the abstract namespace: no file, no terminating NUL
  } else {
    length += 1;
  }
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return tl::unexpected("NOTIFY_SOCKET: socket: " + std::string(strerror(errno)));
  notifier.fd_ = fd;
  // Connected once here, while the socket's path is reachable: after confinement the process
  // may be chrooted, and seccomp allows no connect().
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
    return tl::unexpected("NOTIFY_SOCKET " + settings.socket + ": " + strerror(errno));
  }
  notifier.watchdog_ = settings.watchdog;
  return notifier;
}

Result<ServiceNotifier, std::string> ServiceNotifier::from_environment() {
  auto settings = notify_settings(std::getenv("NOTIFY_SOCKET"), std::getenv("WATCHDOG_USEC"),
                                  std::getenv("WATCHDOG_PID"), getpid());
  if (!settings) return tl::unexpected(settings.error());
  return open(*settings);
}

std::optional<std::chrono::microseconds> ServiceNotifier::watchdog_period() const {
  if (!enabled() || !watchdog_) return std::nullopt;
  return std::max(*watchdog_ / 2, std::chrono::microseconds(1));
}

bool ServiceNotifier::notify(std::string_view state) const {
  if (!enabled()) return false;
  // MSG_NOSIGNAL: a manager gone away must not raise SIGPIPE (ignored anyway, see process.h).
  return send(fd_, state.data(), state.size(), MSG_DONTWAIT | MSG_NOSIGNAL) ==
         static_cast<ssize_t>(state.size());
}

std::string status_line(std::string_view text) {
  std::string line = "STATUS=";
  for (const char c : text) {
    line += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  }
  return line;
}

}  // namespace hardline::os
