#pragma once
// Gathering the facts the rules judge: stat(2) of every deployment file, the service account,
// a running `hardline serve` in /proc, listening sockets, AppArmor, the firewall listing (nft,
// iptables-save, ip6tables-save), the admin certificate, backups and a few host files. Some
// facts need root; what could not be read is recorded as such, never guessed.
#include <filesystem>
#include <string>

#include "audit/facts.h"
#include "config/config.h"

namespace hardline::audit {

struct GatherOptions {
  // Where backups are looked for (docs/operations.md, "Backup"): the newest regular file's age.
  std::filesystem::path backup_directory = "/var/backups/hardline";
  std::string version;  // Hardline's, for UP-1
};

Facts gather_facts(const config::Config& config, const GatherOptions& options);

struct CommandOutput {
  bool ran = false;  // the program was found and started
  int status = -1;   // exit status; -1 when killed by a signal or not run
  std::string out;
  std::string err;
};
// Runs a program found in /usr/sbin, /sbin, /usr/bin or /bin (never through a shell), with
// stdin closed, and collects at most 16 MiB of each output.
CommandOutput run_command(const std::vector<std::string>& argv);

}  // namespace hardline::audit
