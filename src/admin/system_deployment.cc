#include "admin/system_deployment.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "admin/deployment.h"
#include "admin/token.h"
#include "config/config.h"
#include "os/account.h"
#include "store/sqlite_store.h"

namespace hardline::admin {

namespace fs = std::filesystem;

namespace {

std::string errno_text(const fs::path& path) {
  return path.string() + ": " + std::strerror(errno);
}

// A real directory (never a symbolic link, which could aim the chown elsewhere) with exactly
// this owner and mode; created when missing.
Result<void, std::string> ensure_directory(const fs::path& path, uid_t uid, gid_t gid,
                                           mode_t mode) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return tl::unexpected(errno_text(path));
    if (::mkdir(path.c_str(), mode) != 0) return tl::unexpected(errno_text(path));
  } else if (!S_ISDIR(st.st_mode)) {
    return tl::unexpected(path.string() +
                          " exists and is not a directory (a symbolic link is "
                          "refused too): move it away and run init again");
  }
  if (::chown(path.c_str(), uid, gid) != 0 || ::chmod(path.c_str(), mode) != 0) {
    return tl::unexpected(errno_text(path));
  }
  return {};
}

bool path_exists(const fs::path& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

Result<void, std::string> write_config(const fs::path& path, const std::string& text, gid_t gid) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (fd < 0) return tl::unexpected(errno_text(path));
  bool ok = ::fchown(fd, 0, gid) == 0 && ::fchmod(fd, 0640) == 0;
  size_t written = 0;
  while (ok && written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ok = false;
    if (n > 0) written += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (!ok) return tl::unexpected(errno_text(path));
  return {};
}

}  // namespace

Result<SystemDeployment, std::string> create_system_deployment(const SystemInitOptions& options) {
  if (::geteuid() != 0) {
    return tl::unexpected(std::string(
        "init --system creates a system account and writes /etc/hardline and "
        "/var/lib/hardline: run it as root (or use `hardline init --dir DIR` for a deployment "
        "of your own)"));
  }
  SystemDeployment deployment;
  std::error_code ec;
  const fs::path root = fs::absolute(options.root, ec);
  if (ec) return tl::unexpected(options.root.string() + ": " + ec.message());
  deployment.config_dir = root / "etc/hardline";
  deployment.config = deployment.config_dir / "hardline.toml";
  deployment.data_dir = root / "var/lib/hardline";
  deployment.database = deployment.data_dir / "hardline.db";
  deployment.log_dir = root / "var/log/hardline";
  deployment.access_log = deployment.log_dir / "admin-access.log";
  deployment.domain = options.domain.empty() ? host_name() : options.domain;
  std::vector<Endpoint> listen = options.listen;
  if (listen.empty()) {
    listen.push_back(*parse_endpoint_spec("udp:127.0.0.1:5060"));
    listen.push_back(*parse_endpoint_spec("tcp:127.0.0.1:5060"));
  }

  // The config first, checked by parsing it back before anything on the host changes.
  deployment.dialplan = deployment.config_dir / "dialplan.toml";
  deployment.dialplan_tests = deployment.config_dir / "dialplan-tests.toml";
  deployment.token_file = deployment.config_dir / "admin-token.hash";
  std::string text = config::default_config_text(deployment.domain, listen,
                                                 deployment.dialplan.filename().string());
  text = with_config_value(std::move(text), "store", "database",
                           config::toml_string(deployment.database.string()));
  text = with_config_value(std::move(text), "admin", "access_log",
                           config::toml_string(deployment.access_log.string()));
  text = with_config_value(std::move(text), "system", "user", config::toml_string(options.user));
  text = with_config_value(std::move(text), "system", "group", config::toml_string(options.group));
  auto parsed = config::parse_config(text, deployment.config);
  if (!parsed) return tl::unexpected("invalid settings: " + parsed.error().message);
  if (parsed->store.database != deployment.database) {
    return tl::unexpected(std::string("the config does not name the database's absolute path"));
  }
  const std::string dialplan_text = config::example_dialplan_text();
  if (auto included = config::parse_included_dialplan(dialplan_text, deployment.dialplan, *parsed);
      !included) {
    return tl::unexpected("invalid example dialplan: " + included.error().to_string());
  }

  auto account =
      os::ensure_system_account(options.user, options.group, deployment.data_dir.string());
  if (!account) return tl::unexpected(account.error());
  deployment.created_user = account->created_user;
  deployment.created_group = account->created_group;

  for (const fs::path& parent : {root / "etc", root / "var", root / "var/lib", root / "var/log"}) {
    if (!path_exists(parent) && ::mkdir(parent.c_str(), 0755) != 0) {
      return tl::unexpected(errno_text(parent));
    }
  }
  if (auto made = ensure_directory(deployment.config_dir, 0, account->gid, 0750); !made) {
    return tl::unexpected(made.error());
  }
  if (auto made = ensure_directory(deployment.data_dir, account->uid, account->gid, 0700); !made) {
    return tl::unexpected(made.error());
  }
  if (auto made = ensure_directory(deployment.log_dir, account->uid, account->gid, 0750); !made) {
    return tl::unexpected(made.error());
  }
  deployment.kept_config = path_exists(deployment.config);
  if (!deployment.kept_config) {
    if (auto written = write_config(deployment.config, text, account->gid); !written) {
      return tl::unexpected(written.error());
    }
  }
  deployment.kept_dialplan = path_exists(deployment.dialplan);
  if (!deployment.kept_dialplan) {
    if (auto written = write_config(deployment.dialplan, dialplan_text, account->gid); !written) {
      return tl::unexpected(written.error());
    }
  }
  deployment.kept_dialplan_tests = path_exists(deployment.dialplan_tests);
  if (!deployment.kept_dialplan_tests) {
    if (auto written = write_config(deployment.dialplan_tests,
                                    config::example_dialplan_tests_text(), account->gid);
        !written) {
      return tl::unexpected(written.error());
    }
  }
  // The admin token's hash: root's, readable by the service's group (systemd may start serve as
  // the service user, which must read it; nobody else may).
  deployment.kept_token = path_exists(deployment.token_file);
  if (!deployment.kept_token) {
    auto token = create_token_file(deployment.token_file, false);
    if (!token) return tl::unexpected(token.error());
    if (::chown(deployment.token_file.c_str(), 0, account->gid) != 0 ||
        ::chmod(deployment.token_file.c_str(), 0640) != 0) {
      return tl::unexpected(errno_text(deployment.token_file));
    }
    deployment.admin_token = std::move(*token);
  }
  deployment.kept_database = path_exists(deployment.database);
  if (!deployment.kept_database) {
    auto store = store::open_sqlite(deployment.database, store::OpenMode::kCreate);
    if (!store) {
      return tl::unexpected(deployment.database.string() + ": " + std::string(store.error().what));
    }
    store->reset();  // closed: the WAL is folded back and removed before the hand-over
    if (::chown(deployment.database.c_str(), account->uid, account->gid) != 0 ||
        ::chmod(deployment.database.c_str(), 0600) != 0) {
      return tl::unexpected(errno_text(deployment.database));
    }
  }
  return deployment;
}

}  // namespace hardline::admin
