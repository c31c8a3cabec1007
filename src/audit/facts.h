#pragma once
// What the audit knows about the host and the deployment, gathered once (gather.h) and then
// judged by pure rules (rules.h). Tests build these by hand; nothing here touches the system.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "audit/firewall.h"
#include "audit/procfs.h"
#include "common/endpoint.h"

namespace hardline::audit {

// A file the deployment relies on, as stat(2) saw it.
struct FileFacts {
  std::string role;  // "config", "database", "token file", ...
  std::filesystem::path path;
  bool exists = false;
  bool directory = false;
  std::string error;  // a failure other than "does not exist" (e.g. permission denied)
  uint32_t mode = 0;  // permission bits (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string owner;  // the user's name, or its number when it has none
  std::string group;
};

struct AccountFacts {
  std::string name;
  bool exists = false;
  uint32_t uid = 0;
  uint32_t gid = 0;              // primary group
  std::vector<uint32_t> groups;  // every group the account is in, the primary one included
  std::string shell;
};

struct GroupFacts {
  std::string name;
  bool exists = false;
  uint32_t gid = 0;
};

// A `hardline serve` process running with this config.
struct ProcessFacts {
  int pid = 0;
  ProcessStatus status;
  ProcessLimits limits;
  std::string root;             // where /proc/PID/root points: "/" unless chrooted
  bool read_only_root = false;  // "/" is mounted read-only in its mount namespace (systemd's
                                // ProtectSystem=strict)
  std::string apparmor_label;   // /proc/PID/attr/current; empty when unknown
};

struct ListeningSocket {
  SocketEntry socket;
  int pid = 0;          // 0 when no process was found for it (another user's, when not root)
  std::string process;  // its command name (comm)
};

struct AppArmorFacts {
  bool available = false;    // the kernel has AppArmor and securityfs shows it
  std::string error;         // why the profile list could not be read
  std::string profile_mode;  // of Hardline's profile: "enforce", "complain"; empty: not loaded
};

struct FirewallFacts {
  bool listed = false;  // at least one listing could be read
  std::string sources;  // "nft", "nft, ip6tables-save", ...
  std::string errors;   // why a tool could not list (missing, not root, ...)
  Ruleset ruleset;
};

struct CertificateFacts {
  std::filesystem::path path;
  bool read = false;
  std::string error;
  int64_t not_after = 0;  // unix seconds
  std::string subject;
};

struct BackupFacts {
  std::filesystem::path directory;
  bool exists = false;
  std::string error;
  uint32_t files = 0;
  std::filesystem::path newest;
  int64_t newest_time = 0;  // unix seconds
};

// The accounts' digest policies (`hardline user digest`), read from the database by the CLI.
struct DigestFacts {
  bool read = false;
  std::string error;  // why the accounts could not be read
  size_t accounts = 0;
  size_t any = 0;       // "any": MD5 accepted until a device answers with SHA-256
  size_t md5_only = 0;  // "md5"
};

struct LoginAccount {
  std::string name;
  uint32_t uid = 0;
  std::string shell;
};

struct Facts {
  int64_t now = 0;    // unix seconds
  bool root = false;  // the audit ran as root (some facts need it)
  std::string version;

  AccountFacts service_user;
  GroupFacts service_group;
  std::vector<FileFacts> files;  // every file and directory of the deployment, by role
  std::optional<ProcessFacts> process;
  std::vector<ListeningSocket> sockets;
  bool sockets_read = false;
  AppArmorFacts apparmor;
  FirewallFacts firewall;
  std::optional<CertificateFacts> admin_certificate;
  BackupFacts backup;
  DigestFacts digest;
  std::vector<LoginAccount> login_accounts;  // /etc/passwd entries with a login shell
  std::string virtualization;   // systemd-detect-virt: "none", "kvm", "docker", ...; "" unknown
  std::string data_filesystem;  // the device and type the database lives on
  bool data_encrypted = false;  // that device is a dm-crypt mapping
  bool audit_timer_installed = false;
  bool audit_timer_enabled = false;
  bool logrotate_installed = false;
};

// The roles of Facts::files (gather.cc fills them, rules look them up).
inline constexpr const char* kRoleConfig = "config";
inline constexpr const char* kRoleConfigDirectory = "config directory";
inline constexpr const char* kRoleDatabase = "database";
inline constexpr const char* kRoleDatabaseWal = "database WAL";
inline constexpr const char* kRoleDatabaseShm = "database shared memory";
inline constexpr const char* kRoleDataDirectory = "data directory";
inline constexpr const char* kRoleTokenFile = "admin token hash";
inline constexpr const char* kRoleTlsKey = "admin TLS key";
inline constexpr const char* kRoleTlsCertificate = "admin TLS certificate";
inline constexpr const char* kRoleAccessLog = "admin access log";
inline constexpr const char* kRoleProgram = "program file";
inline constexpr const char* kRoleProgramDirectory = "program directory";
inline constexpr const char* kRoleBackupDirectory = "backup directory";

}  // namespace hardline::audit
