#include "os/file_checks.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

namespace hardline::os {

namespace fs = std::filesystem;

namespace {

// A path as a shell word: quoted when it holds anything but safe characters.
std::string shell_word(const fs::path& path) {
  std::string text = path.string();
  bool safe = !text.empty();
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '/' || c == '.' || c == '_' || c == '-' || c == '+' || c == ':' ||
                    c == '@' || c == ',';
    if (!ok) safe = false;
  }
  if (safe) return text;
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

std::string found_text(const FileStatus& status) {
  return "mode " + mode_text(status.mode) + ", owner " + status.owner + ":" + status.group;
}

std::string user_name(uid_t uid) {
  struct passwd* entry = ::getpwuid(uid);
  return entry != nullptr ? std::string(entry->pw_name) : std::to_string(uid);
}

std::string group_name(gid_t gid) {
  struct group* entry = ::getgrgid(gid);
  return entry != nullptr ? std::string(entry->gr_name) : std::to_string(gid);
}

std::optional<FileStatus> stat_file(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  FileStatus status;
  status.mode = st.st_mode & 07777;
  status.uid = st.st_uid;
  status.gid = st.st_gid;
  status.owner = user_name(st.st_uid);
  status.group = group_name(st.st_gid);
  status.regular = S_ISREG(st.st_mode);
  return status;
}

}  // namespace

std::string mode_text(uint32_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", mode & 07777);
  return text;
}

std::string FileFinding::to_string() const {
  return path.string() + " (" + found + "): " + problem + "; fix: " + fix;
}

std::vector<FileFinding> check_files(const std::vector<FileToCheck>& files,
                                     const ServiceIdentity& identity) {
  std::vector<FileFinding> findings;
  for (const FileToCheck& file : files) {
    if (!file.status || !file.status->regular) continue;
    const FileStatus& status = *file.status;
    const std::string path = shell_word(file.path);
    auto add = [&](std::string problem, std::string fix, const char* id) {
      findings.push_back({file.path, found_text(status), std::move(problem), std::move(fix), id});
    };
    const std::string service = identity.user + ":" + identity.group;
    switch (file.role) {
      case FileRole::kDatabase:
        if (identity.privileged ? (status.mode != 0600 && status.mode != 0640)
                                : (status.mode & 0007) != 0) {
          add("the database holds password hashes and must not be readable or writable by others"
              " (mode 0600, or 0640)",
              "chmod 600 " + path, "FS-3");
        }
        if (identity.privileged && status.uid != identity.uid) {
          add("the database must be owned by the service user " + identity.user +
                  ", the only one that writes it",
              std::string("chown ").append(service).append(" ").append(path), "FS-3");
        }
        break;
      case FileRole::kSecret:
        if ((status.mode & (identity.privileged ? 0027 : 0007)) != 0) {
          add("this file holds a secret and must not be readable or writable by others (nor "
              "writable by its group)",
              "chmod 640 " + path, "FS-3");
        }
        break;
      case FileRole::kConfig:
        if (!identity.privileged) break;
        if (status.uid == identity.uid) {
          add("the config is owned by the service user " + identity.user +
                  ", which could then change its own settings; it must belong to root",
              "chown root:" + identity.group + " " + path, "FS-1");
        }
        if ((status.mode & 0022) != 0) {
          add("the config is writable by its group or by others; only root may change it",
              "chmod 640 " + path, "FS-2");
        }
        break;
      case FileRole::kProgram:
        if (!identity.privileged) break;
        if (status.uid == identity.uid) {
          add("the program is owned by the service user " + identity.user +
                  ", which could then replace it; it must belong to root",
              "chown root:root " + path, "FS-1");
        }
        if ((status.mode & 0022) != 0) {
          add("the program is writable by its group or by others; only root may change it",
              "chmod go-w " + path, "FS-2");
        }
        break;
    }
  }
  return findings;
}

std::vector<FileToCheck> deployment_files(const config::Config& config) {
  std::vector<FileToCheck> files;
  auto add = [&files](const fs::path& path, FileRole role) {
    if (path.empty()) return;
    files.push_back({path, role, stat_file(path)});
  };
  const fs::path& database = config.store.database;
  add(database, FileRole::kDatabase);
  add(database.string() + "-wal", FileRole::kDatabase);
  add(database.string() + "-shm", FileRole::kDatabase);
  add(config.admin.token_file, FileRole::kSecret);
  add(config.admin.tls_key, FileRole::kSecret);
  add(config.file, FileRole::kConfig);
  std::error_code ec;
  const fs::path program = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) add(program, FileRole::kProgram);
  return files;
}

std::vector<FileFinding> check_deployment_files(const config::Config& config,
                                                const ServiceIdentity& identity) {
  return check_files(deployment_files(config), identity);
}

}  // namespace hardline::os
