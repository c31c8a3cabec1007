#include "admin/deployment.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "admin/token.h"
#include "config/config.h"
#include "store/sqlite_store.h"

namespace hardline::admin {

namespace fs = std::filesystem;

namespace {

std::string errno_text() {
  return std::strerror(errno);
}

Result<void, std::string> write_new_file(const fs::path& path, const std::string& text,
                                         mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return tl::unexpected(path.string() + ": " + errno_text());
  // The umask may have taken bits away; the mode is what the checklist asks for, exactly.
  ::fchmod(fd, mode);
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string error = path.string() + ": " + errno_text();
      ::close(fd);
      return tl::unexpected(error);
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return tl::unexpected(path.string() + ": " + errno_text());
  }
  return {};
}

}  // namespace

std::string with_config_value(std::string text, std::string_view table, std::string_view key,
                              std::string_view value) {
  const std::string header = "\n[" + std::string(table) + "]\n";
  size_t at = text.find(header);
  if (at == std::string::npos) return text;
  at += header.size();
  const size_t table_end = text.find("\n[", at);
  const std::string prefix = std::string(key) + " = ";
  while (at < text.size() && at < table_end) {
    const size_t line_end = std::min(text.find('\n', at), text.size());
    if (text.compare(at, prefix.size(), prefix) == 0) {
      text.replace(at, line_end - at, prefix + std::string(value));
      return text;
    }
    at = line_end + 1;
  }
  return text;
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

Result<Deployment, std::string> create_deployment(const InitOptions& options) {
  Deployment deployment;
  deployment.domain = options.domain.empty() ? host_name() : options.domain;
  std::vector<Endpoint> listen = options.listen;
  if (listen.empty()) {
    listen.push_back(*parse_endpoint_spec("udp:127.0.0.1:5060"));
    listen.push_back(*parse_endpoint_spec("tcp:127.0.0.1:5060"));
  }
  std::error_code ec;
  const fs::path directory = fs::absolute(options.directory, ec);
  if (ec) return tl::unexpected(options.directory.string() + ": " + ec.message());
  deployment.config = directory / "hardline.toml";
  deployment.database = directory / "hardline.db";
  deployment.token_file = directory / config::Config::Admin{}.token_file;

  deployment.dialplan = directory / "dialplan.toml";
  deployment.dialplan_tests = directory / "dialplan-tests.toml";

  // Validate what goes into the config and the dialplan by parsing them back before anything is
  // written.
  std::string text = config::default_config_text(deployment.domain, listen,
                                                 deployment.dialplan.filename().string());
  text = with_config_value(std::move(text), "system", "user", config::toml_string(options.user));
  text = with_config_value(std::move(text), "system", "group", config::toml_string(options.group));
  const std::string dialplan_text = config::example_dialplan_text();
  auto parsed = config::parse_config(text, deployment.config);
  if (!parsed) return tl::unexpected("invalid settings: " + parsed.error().message);
  if (auto included = config::parse_included_dialplan(dialplan_text, deployment.dialplan, *parsed);
      !included) {
    return tl::unexpected("invalid example dialplan: " + included.error().to_string());
  }

  if (fs::exists(deployment.config, ec) || fs::exists(deployment.database, ec) ||
      fs::exists(deployment.dialplan, ec) || fs::exists(deployment.dialplan_tests, ec) ||
      fs::exists(deployment.token_file, ec)) {
    return tl::unexpected(directory.string() +
                          " already holds a deployment; Hardline never overwrites one "
                          "(choose another --dir, or remove it yourself)");
  }
  if (!fs::exists(directory, ec)) {
    if (::mkdir(directory.c_str(), 0750) != 0) {
      return tl::unexpected(directory.string() + ": " + errno_text());
    }
  } else if (!fs::is_directory(directory, ec)) {
    return tl::unexpected(directory.string() + " exists and is not a directory");
  }
  if (::chmod(directory.c_str(), 0750) != 0) {
    return tl::unexpected(directory.string() + ": " + errno_text());
  }
  if (auto written = write_new_file(deployment.config, text, 0640); !written) {
    return tl::unexpected(written.error());
  }
  if (auto written = write_new_file(deployment.dialplan, dialplan_text, 0640); !written) {
    fs::remove(deployment.config, ec);
    return tl::unexpected(written.error());
  }
  if (auto written =
          write_new_file(deployment.dialplan_tests, config::example_dialplan_tests_text(), 0640);
      !written) {
    fs::remove(deployment.config, ec);
    fs::remove(deployment.dialplan, ec);
    return tl::unexpected(written.error());
  }
  auto store = store::open_sqlite(deployment.database, store::OpenMode::kCreate);
  if (!store) {
    fs::remove(deployment.config, ec);
    fs::remove(deployment.dialplan, ec);
    fs::remove(deployment.dialplan_tests, ec);
    return tl::unexpected(deployment.database.string() + ": " + std::string(store.error().what));
  }
  store->reset();
  auto token = create_token_file(deployment.token_file, false);
  if (!token) {
    fs::remove(deployment.config, ec);
    fs::remove(deployment.database, ec);
    return tl::unexpected(token.error());
  }
  deployment.admin_token = std::move(*token);
  if (::geteuid() == 0) {
    // Started as root, serve switches to the service account and checks that the database is
    // its own (src/os/file_checks.h): hand it over now when the account exists.
    const struct passwd* user = ::getpwnam(options.user.c_str());
    const struct group* group = ::getgrnam(options.group.c_str());
    if (user != nullptr && group != nullptr) {
      if (::chown(deployment.database.c_str(), user->pw_uid, group->gr_gid) != 0 ||
          ::chown(deployment.config.c_str(), 0, group->gr_gid) != 0 ||
          ::chown(directory.c_str(), 0, group->gr_gid) != 0) {
        return tl::unexpected(directory.string() + ": cannot hand the deployment to " +
                              options.user + ":" + options.group + ": " + errno_text());
      }
    } else {
      deployment.note = "the service account " + options.user + ":" + options.group +
                        " does not exist yet; `hardline serve` started as root needs it (create "
                        "it with `hardline init --system`, or useradd and groupadd), and the "
                        "database must then be its own: chown " +
                        options.user + ":" + options.group + " " + deployment.database.string();
    }
  }
  return deployment;
}

}  // namespace hardline::admin
