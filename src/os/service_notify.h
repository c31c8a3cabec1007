#pragma once
// systemd's readiness and watchdog protocol (sd_notify(3)) spoken without libsystemd: one
// datagram of "KEY=value" lines to the AF_UNIX socket named by $NOTIFY_SOCKET. Type=notify
// units wait for READY=1; WatchdogSec= units kill and restart a service whose WATCHDOG=1
// pings stop for longer than $WATCHDOG_USEC.
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace hardline::os {

struct NotifySettings {
  // $NOTIFY_SOCKET: a path, or "@name" for a socket in the abstract namespace; empty: none.
  std::string socket;
  // $WATCHDOG_USEC, when $WATCHDOG_PID is unset or names this process: the time after which
  // the service manager gives up on a silent service. Pings go out at half of it.
  std::optional<std::chrono::microseconds> watchdog;

  bool operator==(const NotifySettings&) const = default;
};

// The settings from the environment's values (null: unset) for the process `self`. An
// unusable value is an error naming the variable; the caller logs it and goes on without.
Result<NotifySettings, std::string> notify_settings(const char* notify_socket,
                                                    const char* watchdog_usec,
                                                    const char* watchdog_pid, pid_t self);

class ServiceNotifier {
 public:
  ServiceNotifier() = default;  // tells no one: not started by a service manager
  ServiceNotifier(const ServiceNotifier&) = delete;
  ServiceNotifier& operator=(const ServiceNotifier&) = delete;
  ServiceNotifier(ServiceNotifier&& other) noexcept;
  ServiceNotifier& operator=(ServiceNotifier&& other) noexcept;
  ~ServiceNotifier();

  // Opens and connects the socket now: call it before confinement (no socket() after it).
  static Result<ServiceNotifier, std::string> open(const NotifySettings& settings);
  // open() with notify_settings() of this process's environment.
  static Result<ServiceNotifier, std::string> from_environment();

  bool enabled() const { return fd_ >= 0; }
  // How often to send WATCHDOG=1 (half of $WATCHDOG_USEC); none when no watchdog is asked for.
  std::optional<std::chrono::microseconds> watchdog_period() const;

  // Sends `state` ("READY=1\nSTATUS=serving") as one datagram. Never blocks and never raises
  // SIGPIPE; false when it was not sent (disabled, or the manager's socket is full or gone).
  bool notify(std::string_view state) const;

 private:
  int fd_ = -1;
  std::optional<std::chrono::microseconds> watchdog_;
};

// "STATUS=" and `text` with line breaks and other control characters replaced by spaces, so
// that a status can never add a line (a forged READY=1) to the datagram.
std::string status_line(std::string_view text);

}  // namespace hardline::os
