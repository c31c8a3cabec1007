#include "os/service_notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

namespace hardline::os {
namespace {

using std::chrono::microseconds;

struct SettingsCase {
  const char* socket;
  const char* usec;
  const char* pid;
  bool ok;
  std::string expected_socket;
  std::optional<microseconds> expected_watchdog;
};

TEST(NotifySettings, FromTheEnvironmentsValues) {
  const std::string longest_path = "/" + std::string(sizeof(sockaddr_un::sun_path) - 2, 'p');
  const std::string too_long_path = longest_path + "p";
  const std::string longest_abstract = "@" + std::string(sizeof(sockaddr_un::sun_path) - 1, 'a');
  const SettingsCase cases[] = {
      {nullptr, nullptr, nullptr, true, "", std::nullopt},
      {"", "", "", true, "", std::nullopt},
      {"/run/systemd/notify", nullptr, nullptr, true, "/run/systemd/notify", std::nullopt},
      {"@hardline/notify", nullptr, nullptr, true, "@hardline/notify", std::nullopt},
      {"/run/n", "30000000", nullptr, true, "/run/n", microseconds(30000000)},
      {"/run/n", "30000000", "42", true, "/run/n", microseconds(30000000)},  // our pid
      {"/run/n", "30000000", "43", true, "/run/n", std::nullopt},            // another process's
      {"/run/n", "30000000", "x", true, "/run/n", std::nullopt},
      {longest_path.c_str(), nullptr, nullptr, true, longest_path, std::nullopt},
      {longest_abstract.c_str(), nullptr, nullptr, true, longest_abstract, std::nullopt},
      {too_long_path.c_str(), nullptr, nullptr, false, "", std::nullopt},
      {"run/notify", nullptr, nullptr, false, "", std::nullopt},  // relative
      {"@", nullptr, nullptr, false, "", std::nullopt},
      {"/run/n", "0", nullptr, false, "", std::nullopt},
      {"/run/n", "-5", nullptr, false, "", std::nullopt},
      {"/run/n", "30s", nullptr, false, "", std::nullopt},
      {"/run/n", "99999999999999999999999", nullptr, false, "", std::nullopt},
  };
  for (const SettingsCase& c : cases) {
    SCOPED_TRACE(std::string(c.socket ? c.socket : "(unset)") + " " + (c.usec ? c.usec : "-") +
                 " " + (c.pid ? c.pid : "-"));
    auto settings = notify_settings(c.socket, c.usec, c.pid, 42);
    ASSERT_EQ(settings.has_value(), c.ok);
    if (!c.ok) {
      EXPECT_FALSE(settings.error().empty());
      continue;
    }
    EXPECT_EQ(settings->socket, c.expected_socket);
    EXPECT_EQ(settings->watchdog, c.expected_watchdog);
  }
}

TEST(StatusLine, ControlCharactersCannotAddALine) {
  EXPECT_EQ(status_line("serving domain pbx.example"), "STATUS=serving domain pbx.example");
  EXPECT_EQ(status_line("a\nREADY=1\r\tb\x7f"), "STATUS=a READY=1  b ");
}

// A datagram socket in the role of systemd's, bound to `name` (a path, or "@..." abstract).
class Manager {
 public:
  explicit Manager(const std::string& name) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, name.data(), name.size());
    socklen_t length = offsetof(sockaddr_un, sun_path) + name.size();
    if (name.front() == '@') {
      address.sun_path[0] = '\0';
    } else {
      length += 1;
    }
    bound_ = bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) == 0;
    timeval timeout{2, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  ~Manager() { close(fd_); }
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  bool bound() const { return bound_; }
  std::string receive() const {
    char buffer[512];
    const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
    return n < 0 ? "(nothing)" : std::string(buffer, static_cast<size_t>(n));
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
};

TEST(ServiceNotifier, SendsToAPathSocket) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("hardline-notify-" + std::to_string(getpid()));
  std::filesystem::remove(path);
  Manager manager(path.string());
  ASSERT_TRUE(manager.bound());
  auto notifier = ServiceNotifier::open({path.string(), microseconds(3000000)});
  ASSERT_TRUE(notifier.has_value()) << notifier.error();
  EXPECT_TRUE(notifier->enabled());
  EXPECT_EQ(notifier->watchdog_period(), microseconds(1500000));
  EXPECT_TRUE(notifier->notify("READY=1\nSTATUS=serving"));
  EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=serving");
  EXPECT_TRUE(notifier->notify("WATCHDOG=1"));
  EXPECT_EQ(manager.receive(), "WATCHDOG=1");
  std::filesystem::remove(path);
}

TEST(ServiceNotifier, SendsToAnAbstractSocket) {
  const std::string name = "@hardline-notify-test-" + std::to_string(getpid());
  Manager manager(name);
  ASSERT_TRUE(manager.bound());
  auto notifier = ServiceNotifier::open({name, std::nullopt});
  ASSERT_TRUE(notifier.has_value()) << notifier.error();
  EXPECT_FALSE(notifier->watchdog_period().has_value());
  EXPECT_TRUE(notifier->notify("STOPPING=1"));
  EXPECT_EQ(manager.receive(), "STOPPING=1");
}

TEST(ServiceNotifier, WithoutASocketItTellsNoOne) {
  auto notifier = ServiceNotifier::open({"", microseconds(1000)});
  ASSERT_TRUE(notifier.has_value());
  EXPECT_FALSE(notifier->enabled());
  EXPECT_FALSE(notifier->watchdog_period().has_value());
  EXPECT_FALSE(notifier->notify("READY=1"));
}

TEST(ServiceNotifier, ASocketNobodyListensOnIsAnError) {
  auto notifier = ServiceNotifier::open({"@hardline-nobody-" + std::to_string(getpid()), {}});
  ASSERT_FALSE(notifier.has_value());
  EXPECT_NE(notifier.error().find("NOTIFY_SOCKET"), std::string::npos);
}

TEST(ServiceNotifier, AManagerGoneAwayFailsWithoutBlockingOrKilling) {
  const std::string name = "@hardline-notify-gone-" + std::to_string(getpid());
  auto manager = std::make_unique<Manager>(name);
  auto notifier = ServiceNotifier::open({name, std::nullopt});
  ASSERT_TRUE(notifier.has_value()) << notifier.error();
  manager.reset();
  EXPECT_FALSE(notifier->notify("WATCHDOG=1"));
}

}  // namespace
}  // namespace hardline::os
