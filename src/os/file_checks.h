#pragma once
// File checks at start-up (checklist FS-1..FS-3): secrets (the database and its -wal/-shm, the
// admin token hash, the admin TLS key) must not be readable or writable by others; the config
// file and the program file must not be writable by the service user. `check_files` is the pure
// rule (stat results in, findings out); `check_deployment_files` gathers the stat results of a
// deployment and applies it. `hardline serve` refuses to start on any finding, and `hardline
// audit` can report the same findings.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"

namespace hardline::os {

enum class FileRole : uint8_t {
  kDatabase,  // the SQLite database and its -wal and -shm files: 0600 or 0640, the service's
  kSecret,    // admin token hash, TLS private key: no access for others, no group write
  kConfig,    // the config file: not writable by the service user (FS-1, FS-2)
  kProgram,   // the hardline executable: not writable by the service user
};

// What stat(2) said about a file, plus the names of its owner and group (for messages).
struct FileStatus {
  uint32_t mode = 0;  // permission bits only (07777)
  uid_t uid = 0;
  gid_t gid = 0;
  std::string owner;  // user name, or the number when it has none
  std::string group;
  bool regular = true;  // a directory or device is reported as such, not judged by mode
};

struct FileToCheck {
  std::filesystem::path path;
  FileRole role = FileRole::kSecret;
  std::optional<FileStatus> status;  // nullopt: the file does not exist (not a finding)
};

// Whom the files are checked against. `privileged` is true when serve runs as root and will
// switch to uid/gid: then ownership rules apply. Otherwise the service user is the current user,
// and only the "secrets are not readable or writable by others" rules apply.
struct ServiceIdentity {
  bool privileged = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user;
  std::string group;
};

struct FileFinding {
  std::filesystem::path path;
  std::string found;         // "mode 0644, owner root:root"
  std::string problem;       // why this is unsafe, in one sentence
  std::string fix;           // the exact shell command(s) that fix it
  std::string checklist_id;  // "FS-1", "FS-2" or "FS-3"

  // "PATH (mode 0644, owner root:root): PROBLEM; fix: FIX"
  std::string to_string() const;
};

// The rule itself: pure, no file system access. One finding per violated rule and file, in the
// order of `files`.
std::vector<FileFinding> check_files(const std::vector<FileToCheck>& files,
                                     const ServiceIdentity& identity);

// The files of a deployment, with their stat results: the database (and -wal, -shm when
// present), admin.token_file and admin.tls_key when they exist, the config file, and the
// program (/proc/self/exe).
std::vector<FileToCheck> deployment_files(const config::Config& config);

// deployment_files() judged by check_files(): what `hardline serve` runs before confining and
// `hardline audit` can reuse.
std::vector<FileFinding> check_deployment_files(const config::Config& config,
                                                const ServiceIdentity& identity);

// "0640"
std::string mode_text(uint32_t mode);

}  // namespace hardline::os
