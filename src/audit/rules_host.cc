// MP-1 and OS-1..OS-8: the process's privileges, the service account, limits, confinement and
// what else runs on the host.
#include <algorithm>
#include <cstdio>
#include <string>

#include "audit/rules.h"
#include "audit/rules_util.h"
#include "common/network.h"

namespace hardline::audit {
namespace {

using detail::finding;
using detail::join;

constexpr uint64_t kCapNetBindService = 1ULL << 10;

const char* const kSandboxFix =
    "start `hardline serve` as root (it binds its sockets, then switches to system.user, drops "
    "every capability, sets no_new_privs and installs its seccomp filter) or with "
    "packaging/hardline.service (systemd does the same)";

std::string hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

std::string pid_text(const ProcessFacts& process) {
  return "hardline serve (pid " + std::to_string(process.pid) + ")";
}

bool login_shell(std::string_view shell) {
  return !(shell.empty() || shell.ends_with("/nologin") || shell.ends_with("/false") ||
           shell == "/bin/sync");
}

std::string limit_text(uint64_t value, uint64_t unit = 1) {
  return value == kUnlimited ? "unlimited" : std::to_string(value / unit);
}

Finding mp_1(const Facts& facts) {
  const char* check = "process privileges";
  if (!facts.process) {
    return finding("MP-1", check, Status::kManual,
                   "no `hardline serve` running with this config: its privileges could not be "
                   "checked",
                   "run `hardline audit` while the service runs (the daily hardline-audit.timer "
                   "does)");
  }
  const ProcessFacts& process = *facts.process;
  if (!process.status.complete) {
    return finding("MP-1", check, Status::kWarn,
                   pid_text(process) + ": /proc/" + std::to_string(process.pid) +
                       "/status could not be read" + detail::not_root_note(facts),
                   "run `hardline audit` as root");
  }
  if (process.status.uid == 0) {
    return finding("MP-1", check, Status::kFail, pid_text(process) + " runs as root", kSandboxFix);
  }
  const uint64_t extra = process.status.cap_effective & ~kCapNetBindService;
  if (extra != 0) {
    return finding("MP-1", check, Status::kFail,
                   pid_text(process) + " holds capabilities " + hex(process.status.cap_effective) +
                       " (CapEff)",
                   kSandboxFix);
  }
  return finding("MP-1", check, Status::kPass,
                 pid_text(process) + ": uid " + std::to_string(process.status.uid) + ", CapEff " +
                     hex(process.status.cap_effective) +
                     (process.status.cap_effective == 0 ? " (none)" : " (CAP_NET_BIND_SERVICE)"));
}

Finding os_1(const Facts& facts) {
  const char* fix =
      "run Hardline in a virtual machine or container of its own (KVM, Xen, LXC/systemd-nspawn), "
      "so that a compromise stays inside it (docs/operations.md, \"Host\")";
  if (!facts.virtualization.empty() && facts.virtualization != "none") {
    return finding("OS-1", "virtualisation", Status::kPass,
                   "runs inside " + facts.virtualization + " (systemd-detect-virt)");
  }
  return finding("OS-1", "virtualisation", Status::kManual,
                 facts.virtualization == "none"
                     ? "no virtualisation detected (systemd-detect-virt: none)"
                     : "virtualisation unknown (systemd-detect-virt not available)",
                 fix);
}

Finding os_2(const config::Config& config, const Facts& facts) {
  const std::string directory = config.store.database.parent_path().string();
  if (facts.process) {
    const ProcessFacts& process = *facts.process;
    if (!process.root.empty() && process.root != "/") {
      return finding("OS-2", "chroot", Status::kPass,
                     pid_text(process) + " is confined to " + process.root);
    }
    if (!process.root.empty() && process.read_only_root) {
      return finding("OS-2", "chroot", Status::kPass,
                     pid_text(process) +
                         " sees the file system read-only (mounted so in its "
                         "namespace, as systemd's ProtectSystem=strict does)");
    }
    if (!process.root.empty()) {
      return finding(
          "OS-2", "chroot", Status::kWarn,
          pid_text(process) + " is not chrooted (root /)" +
              (config.system.chroot ? std::string(": it was not started as root (under "
                                                  "systemd the unit's ProtectSystem=strict "
                                                  "confines it instead)")
                                    : std::string(": system.chroot = false")),
          "set system.chroot = true and start it as root, or run it with "
          "packaging/hardline.service (ProtectSystem=strict, PrivateTmp, ReadWritePaths only "
          "for the data directory)");
    }
  }
  if (!config.system.chroot) {
    return finding("OS-2", "chroot", Status::kWarn,
                   "system.chroot = false: serve sees the whole file system",
                   "set system.chroot = true in [system] (serve started as root then confines "
                   "itself to " +
                       directory + "), or run it with packaging/hardline.service");
  }
  return finding("OS-2", "chroot", Status::kPass,
                 "system.chroot = true: serve started as root confines itself to " + directory);
}

std::vector<Finding> os_3(const config::Config& config, const Facts& facts) {
  std::vector<Finding> out;
  const AccountFacts& user = facts.service_user;
  const GroupFacts& group = facts.service_group;
  const std::string create_fix =
      "create the account: `hardline init --system`, or `useradd --system --user-group "
      "--no-create-home --shell /usr/sbin/nologin " +
      config.system.user + "`";
  if (!user.exists) {
    out.push_back(finding("OS-3", "dedicated user", Status::kFail,
                          "system.user " + config.system.user + " does not exist on this host",
                          create_fix));
  } else if (user.uid == 0) {
    out.push_back(finding("OS-3", "dedicated user", Status::kFail,
                          "system.user " + user.name + " has uid 0 (root)",
                          "use a dedicated unprivileged account: " + create_fix));
  } else if (login_shell(user.shell)) {
    out.push_back(finding("OS-3", "dedicated user", Status::kWarn,
                          "user " + user.name + " (uid " + std::to_string(user.uid) +
                              ") has the login shell " + user.shell,
                          "usermod --shell /usr/sbin/nologin " + user.name));
  } else if (user.uid >= 1000) {
    out.push_back(finding("OS-3", "dedicated user", Status::kWarn,
                          "user " + user.name + " has uid " + std::to_string(user.uid) +
                              ", a regular account's range, not a system account's",
                          create_fix));
  } else if (!group.exists) {
    out.push_back(finding("OS-3", "dedicated user", Status::kFail,
                          "system.group " + config.system.group + " does not exist",
                          "groupadd --system " + config.system.group));
  } else {
    out.push_back(finding("OS-3", "dedicated user", Status::kPass,
                          "user " + user.name + " (uid " + std::to_string(user.uid) + ", shell " +
                              (user.shell.empty() ? "none" : user.shell) + "), group " +
                              group.name + " (gid " + std::to_string(group.gid) + ")"));
  }
  if (facts.process && facts.process->status.complete) {
    const ProcessFacts& process = *facts.process;
    const std::string runs_as = pid_text(process) + " runs as uid " +
                                std::to_string(process.status.uid) + ", gid " +
                                std::to_string(process.status.gid);
    if (process.status.uid == 0) {
      out.push_back(finding("OS-3", "service process user", Status::kFail, runs_as, kSandboxFix));
    } else if (user.exists && process.status.uid == user.uid &&
               (!group.exists || process.status.gid == group.gid)) {
      out.push_back(
          finding("OS-3", "service process user", Status::kPass, runs_as + " (" + user.name + ")"));
    } else {
      out.push_back(finding("OS-3", "service process user", Status::kWarn,
                            runs_as + ", not system.user " + config.system.user, kSandboxFix));
    }
  }
  return out;
}

std::vector<Finding> os_4(const config::Config& config, const Facts& facts) {
  std::vector<Finding> out;
  const config::Config::System& system = config.system;
  const std::string configured =
      "configured: open files " + std::to_string(system.max_open_files) + ", processes " +
      std::to_string(system.max_processes) + ", address space " +
      (system.max_address_space_mib == 0 ? std::string("unlimited")
                                         : std::to_string(system.max_address_space_mib) + " MiB") +
      ", core size 0 (always)";
  if (system.max_address_space_mib == 0) {
    out.push_back(finding("OS-4", "configured limits", Status::kWarn, configured,
                          "set system.max_address_space_mib (e.g. 4096) so that a leak cannot "
                          "exhaust the host's memory"));
  } else {
    out.push_back(finding("OS-4", "configured limits", Status::kPass, configured));
  }
  if (facts.process) {
    const ProcessLimits& limits = facts.process->limits;
    const std::string found =
        pid_text(*facts.process) + ": open files " + limit_text(limits.open_files) +
        ", processes " + limit_text(limits.processes) + ", core " + limit_text(limits.core_bytes) +
        ", address space " + limit_text(limits.address_space_bytes, 1024ULL * 1024ULL) +
        (limits.address_space_bytes == kUnlimited ? "" : " MiB");
    std::vector<std::string> problems;
    if (limits.core_bytes != 0) problems.push_back("core files allowed (they would hold secrets)");
    if (limits.open_files == kUnlimited) problems.push_back("no open-files limit");
    if (limits.processes == kUnlimited) problems.push_back("no process limit");
    if (limits.address_space_bytes == kUnlimited && system.max_address_space_mib != 0) {
      problems.push_back("no address-space limit");
    }
    if (problems.empty()) {
      out.push_back(finding("OS-4", "process limits", Status::kPass, found));
    } else {
      out.push_back(finding("OS-4", "process limits", Status::kWarn,
                            found + ": " + join(problems, ", "),
                            std::string(kSandboxFix) + "; packaging/hardline.service sets "
                                                       "LimitNOFILE, LimitNPROC and LimitCORE=0"));
    }
  }
  return out;
}

std::vector<Finding> os_5(const Facts& facts) {
  std::vector<Finding> out;
  const AppArmorFacts& apparmor = facts.apparmor;
  const char* load_fix =
      "install packaging/apparmor/usr.bin.hardline as /etc/apparmor.d/usr.bin.hardline and load "
      "it: `apparmor_parser -r /etc/apparmor.d/usr.bin.hardline`, then restart hardline";
  if (!apparmor.available) {
    out.push_back(finding(
        "OS-5", "AppArmor profile", Status::kWarn,
        "AppArmor is not available on this host" +
            (apparmor.error.empty() ? std::string() : " (" + apparmor.error + ")"),
        "boot a kernel with AppArmor enabled (Debian's default; `aa-enabled` says yes) and "
        "load the profile (docs/operations.md, \"AppArmor\"); until then serve's seccomp filter "
        "and the systemd unit's sandbox are the confinement"));
  } else if (apparmor.profile_mode == "enforce") {
    out.push_back(finding("OS-5", "AppArmor profile", Status::kPass,
                          "profile hardline loaded in enforce mode"));
  } else if (!apparmor.profile_mode.empty()) {
    out.push_back(finding("OS-5", "AppArmor profile", Status::kWarn,
                          "profile hardline loaded in " + apparmor.profile_mode + " mode",
                          "aa-enforce /etc/apparmor.d/usr.bin.hardline"));
  } else {
    out.push_back(
        finding("OS-5", "AppArmor profile", Status::kWarn,
                "AppArmor is enabled but no hardline profile is loaded" +
                    (apparmor.error.empty() ? std::string() : " (" + apparmor.error + ")"),
                load_fix));
  }
  if (facts.process) {
    const ProcessFacts& process = *facts.process;
    const std::string state =
        pid_text(process) + ": NoNewPrivs " + (process.status.no_new_privs ? "1" : "0") +
        ", Seccomp " + std::to_string(process.status.seccomp) +
        (process.apparmor_label.empty() ? std::string() : ", AppArmor " + process.apparmor_label);
    if (!process.status.complete) {
      out.push_back(finding("OS-5", "process sandbox", Status::kWarn,
                            state + detail::not_root_note(facts), "run `hardline audit` as root"));
    } else if (!process.status.no_new_privs || process.status.seccomp != 2) {
      out.push_back(finding("OS-5", "process sandbox", Status::kWarn, state + ": not sandboxed",
                            kSandboxFix));
    } else if (apparmor.profile_mode == "enforce" &&
               process.apparmor_label.starts_with("unconfined")) {
      out.push_back(finding("OS-5", "process sandbox", Status::kWarn,
                            state + ": started before its profile was loaded",
                            "systemctl restart hardline"));
    } else {
      out.push_back(finding("OS-5", "process sandbox", Status::kPass, state));
    }
  }
  return out;
}

Finding os_6(const config::Config& config, const Facts& facts) {
  if (!facts.sockets_read) {
    return finding("OS-6", "other listening servers", Status::kWarn, "/proc/net could not be read",
                   "run `hardline audit` as root on the host");
  }
  std::vector<std::string> others;
  size_t loopback = 0;
  for (const ListeningSocket& listening : facts.sockets) {
    const bool ours =
        listening.process == "hardline" || (facts.process && listening.pid == facts.process->pid);
    if (ours) continue;
    if (is_loopback(listening.socket.address)) {
      ++loopback;
      continue;
    }
    Endpoint endpoint{
        listening.socket.protocol, listening.socket.address, listening.socket.port, 0, {}};
    std::string who = listening.pid != 0
                          ? listening.process + " (pid " + std::to_string(listening.pid) + ")"
                          : std::string("unknown process");
    std::string entry =
        who + " " + std::string(protocol_name(endpoint.protocol)) + " " + host_port(endpoint);
    if (std::find(others.begin(), others.end(), entry) == others.end()) others.push_back(entry);
  }
  const std::string ignored =
      loopback == 0
          ? std::string()
          : " (" + std::to_string(loopback) +
                " socket(s) on loopback only are not counted: no one else can reach them)";
  (void)config;
  if (others.empty()) {
    return finding(
        "OS-6", "other listening servers", Status::kPass,
        "no other server listens on a network address" + ignored + detail::not_root_note(facts));
  }
  return finding(
      "OS-6", "other listening servers", Status::kWarn,
      "listening besides hardline: " + join(others, ", ") + ignored + detail::not_root_note(facts),
      "stop and disable what this host does not need (`systemctl disable --now "
      "UNIT`); keep SSH, if needed, reachable only from a management network or VPN");
}

Finding os_7(const Facts& facts) {
  std::vector<std::string> names;
  for (const LoginAccount& account : facts.login_accounts) {
    names.push_back(account.name + " (uid " + std::to_string(account.uid) + ", " + account.shell +
                    ")");
  }
  return finding("OS-7", "accounts that can log in", Status::kManual,
                 names.empty() ? std::string("no account in /etc/passwd has a login shell")
                               : std::to_string(names.size()) +
                                     " account(s) with a login shell: " + join(names, ", "),
                 "keep only the administrators who need this host: `usermod --shell "
                 "/usr/sbin/nologin USER` or `userdel USER` for the others; SSH with keys only, "
                 "no password logins (PasswordAuthentication no)");
}

std::vector<Finding> os_8(const config::Config& config, const Facts& facts) {
  std::vector<Finding> out;
  (void)facts;
  if (!config.admin.enabled) {
    out.push_back(finding("OS-8", "admin access log", Status::kNotApplicable,
                          "admin.enabled = false: no admin API, nothing to log"));
  } else {
    out.push_back(finding("OS-8", "admin access log", Status::kPass,
                          "every admin request is logged to " + config.admin.access_log.string() +
                              " (time, source, endpoint, result; never the token)"));
  }
  out.push_back(finding("OS-8", "host logins", Status::kManual,
                        "SSH and console logins are the host's to log",
                        "keep sshd's log (journald or /var/log/auth.log, `LogLevel VERBOSE` logs "
                        "the key used) and review it; send it to another host if you can"));
  return out;
}

}  // namespace

std::vector<Finding> host_rules(const config::Config& config, const Facts& facts) {
  std::vector<Finding> out;
  out.push_back(mp_1(facts));
  out.push_back(os_1(facts));
  out.push_back(os_2(config, facts));
  for (auto* part : {&os_3, &os_4}) {
    std::vector<Finding> more = (*part)(config, facts);
    out.insert(out.end(), more.begin(), more.end());
  }
  std::vector<Finding> sandbox = os_5(facts);
  out.insert(out.end(), sandbox.begin(), sandbox.end());
  out.push_back(os_6(config, facts));
  out.push_back(os_7(facts));
  std::vector<Finding> logs = os_8(config, facts);
  out.insert(out.end(), logs.begin(), logs.end());
  return out;
}

}  // namespace hardline::audit
