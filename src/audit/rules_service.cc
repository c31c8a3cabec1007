// DB, SIP-1..SIP-3, PW, UP, TE, LOG, MON, CHK and DR (SIP-4 and RT in rules_routing.cc): what
// the config enables, what the build does on its own, and the items only the operator can do.
#include <algorithm>
#include <filesystem>
#include <string>

#include "audit/rules.h"
#include "audit/rules_util.h"

namespace hardline::audit {
namespace {

using detail::finding;
using detail::join;

constexpr int64_t kDay = 86400;
constexpr int64_t kCertificateWarnDays = 30;
constexpr int64_t kBackupMaxAgeDays = 2;

std::string method_list(const std::vector<sip::Method>& methods) {
  std::vector<std::string> names;
  names.reserve(methods.size());
  for (sip::Method method : methods) names.emplace_back(sip::method_name(method));
  return join(names, " ");
}

std::vector<Finding> sip_rules(const config::Config& config) {
  std::vector<Finding> out;
  const std::vector<sip::Method> needed{sip::Method::kRegister, sip::Method::kInvite,
                                        sip::Method::kAck, sip::Method::kBye, sip::Method::kCancel};
  std::vector<sip::Method> extra;
  for (sip::Method method : config.sip.methods) {
    if (std::find(needed.begin(), needed.end(), method) == needed.end()) extra.push_back(method);
  }
  if (extra.empty()) {
    out.push_back(finding("SIP-1", "methods enabled", Status::kPass,
                          "sip.methods: " + method_list(config.sip.methods)));
  } else {
    out.push_back(finding(
        "SIP-1", "methods enabled", Status::kWarn,
        "sip.methods enables " + method_list(extra) + " beyond REGISTER INVITE ACK BYE CANCEL" +
            (std::find(extra.begin(), extra.end(), sip::Method::kOptions) != extra.end()
                 ? " (OPTIONS answers scanners probing for SIP servers)"
                 : ""),
        "remove what your phones do not need from sip.methods"));
  }
  const bool presence =
      std::any_of(config.sip.methods.begin(), config.sip.methods.end(), [](sip::Method method) {
        return method == sip::Method::kSubscribe || method == sip::Method::kNotify ||
               method == sip::Method::kPublish;
      });
  if (presence) {
    out.push_back(finding("SIP-2", "subscribe/notify", Status::kWarn,
                          "SUBSCRIBE, NOTIFY or PUBLISH is enabled in sip.methods",
                          "remove them from sip.methods unless you need presence; only "
                          "authenticated accounts should use them"));
  } else {
    out.push_back(finding("SIP-2", "subscribe/notify", Status::kPass,
                          "SUBSCRIBE, NOTIFY and PUBLISH are not enabled (405 to anyone)"));
  }
  const std::string& header = config.sip.server_header;
  const bool has_version = std::adjacent_find(header.begin(), header.end(), [](char a, char b) {
                             return (a >= '0' && a <= '9') && (b == '.' || b == '/');
                           }) != header.end();
  if (header.empty()) {
    out.push_back(finding("SIP-3", "Server header", Status::kPass,
                          "sip.server_header is empty: no Server or User-Agent header is sent"));
  } else if (has_version) {
    out.push_back(finding("SIP-3", "Server header", Status::kFail,
                          "sip.server_header \"" + header + "\" carries a version",
                          "set server_header = \"\" in [sip]"));
  } else {
    out.push_back(finding("SIP-3", "Server header", Status::kWarn,
                          "sip.server_header \"" + header + "\" names the software (no version)",
                          "set server_header = \"\" in [sip]: scanners learn nothing"));
  }
  return out;
}

std::vector<Finding> password_rules(const config::Config& config, const DigestFacts& digest) {
  std::vector<Finding> out;
  out.push_back(finding("PW-1", "password policy", Status::kPass,
                        "built in: `hardline user add|passwd` generate 24 random characters "
                        "(147 bits); passwords given with --password-stdin need zxcvbn score 3 "
                        "and 12 characters; only digest hashes are stored"));
  const bool md5 = std::find(config.auth.algorithms.begin(), config.auth.algorithms.end(),
                             config::DigestAlgorithm::kMd5) != config.auth.algorithms.end();
  std::vector<std::string> names;
  for (config::DigestAlgorithm algorithm : config.auth.algorithms) {
    names.emplace_back(config::digest_algorithm_name(algorithm));
  }
  const size_t accepting_md5 = digest.any + digest.md5_only;
  if (md5 && !digest.read) {
    out.push_back(finding("PW-1", "digest algorithms", Status::kWarn,
                          "auth.algorithms offers " + join(names, ", ") +
                              "; which accounts accept MD5 is unknown: " + digest.error,
                          "run the audit as a user that can read the database; set "
                          "algorithms = [\"SHA-256\"] in [auth] once every phone supports it "
                          "(RFC 8760)"));
  } else if (md5 && digest.accounts == 0) {
    out.push_back(finding("PW-1", "digest algorithms", Status::kWarn,
                          "auth.algorithms offers " + join(names, ", ") +
                              " and there is no account yet: accounts added with `hardline user "
                              "add` (digest policy \"any\") accept MD5 until a phone answers "
                              "with SHA-256",
                          "add accounts whose phones do SHA-256 with --digest sha-256; "
                          "algorithms = [\"SHA-256\"] in [auth] once no phone needs MD5 "
                          "(RFC 8760)"));
  } else if (md5 && accepting_md5 > 0) {
    out.push_back(finding(
        "PW-1", "digest algorithms", Status::kWarn,
        std::to_string(accepting_md5) + " of " + std::to_string(digest.accounts) +
            " accounts accept MD5 (" + std::to_string(digest.md5_only) + " \"md5\", " +
            std::to_string(digest.any) +
            " \"any\" whose phones have not answered with SHA-256 yet): MD5 digests can be "
            "cracked offline from a captured REGISTER far faster than SHA-256",
        "`hardline user list` shows each account's policy; `hardline user digest EXT sha-256` "
        "for each whose phones can do SHA-256; algorithms = [\"SHA-256\"] in [auth] once none "
        "needs MD5 (RFC 8760)"));
  } else if (md5) {
    out.push_back(finding("PW-1", "digest algorithms", Status::kPass,
                          "auth.algorithms offers " + join(names, ", ") + ", but none of the " +
                              std::to_string(digest.accounts) +
                              " accounts accepts MD5 (each is \"sha-256\" or was pinned to it)"));
  } else {
    out.push_back(finding("PW-1", "digest algorithms", Status::kPass,
                          "auth.algorithms: " + join(names, ", ")));
  }
  out.push_back(finding("PW-2", "certificates instead of passwords", Status::kManual,
                        "this build authenticates phones with digest passwords only",
                        "keep generated passwords (PW-1) and the lockout on; use phones on a "
                        "VPN with certificates where you can"));
  out.push_back(finding("PW-3", "PINs for phone applications", Status::kNotApplicable,
                        "this build has no phone applications (voicemail) with PINs"));
  out.push_back(finding("PW-4", "users change their own passwords", Status::kManual,
                        "passwords are changed by the operator with `hardline user passwd`",
                        "tell users how to ask for a new password, and change it when they do"));
  return out;
}

Finding certificate_check(const Facts& facts) {
  const char* check = "admin HTTPS certificate";
  if (!facts.admin_certificate) {
    return finding("TE-1", check, Status::kNotApplicable,
                   "the admin API has no TLS (it listens on loopback)");
  }
  const CertificateFacts& certificate = *facts.admin_certificate;
  if (!certificate.read) {
    return finding("TE-1", check, Status::kFail,
                   certificate.path.string() + ": " + certificate.error,
                   "put a PEM certificate at admin.tls_certificate");
  }
  const int64_t left = certificate.not_after - facts.now;
  const std::string what = certificate.path.string() + " (" + certificate.subject + ")";
  if (left <= 0) {
    return finding("TE-1", check, Status::kFail,
                   what + " expired " + std::to_string(-left / kDay) + " day(s) ago",
                   "renew the certificate and restart hardline");
  }
  if (left < kCertificateWarnDays * kDay) {
    return finding("TE-1", check, Status::kWarn,
                   what + " expires in " + std::to_string(left / kDay) + " day(s)",
                   "renew the certificate before it expires");
  }
  return finding("TE-1", check, Status::kPass,
                 what + " valid for " + std::to_string(left / kDay) + " more days");
}

std::vector<Finding> encryption_rules(const Facts& facts) {
  return {
      finding("TE-1", "SIP over TLS", Status::kWarn,
              "SIP over TLS not configured: this build of Hardline has UDP and TCP transports "
              "only, so signalling (not passwords: digest) crosses the network in clear text",
              "until the TLS transport exists, carry SIP over a VPN (WireGuard, IPsec) between "
              "sites and for remote phones"),
      certificate_check(facts),
      finding("TE-2", "SRTP", Status::kWarn,
              "no SRTP policy: this build relays no media, so calls' audio is whatever the "
              "phones negotiate between themselves",
              "enable SRTP (SDES or DTLS-SRTP) on the phones, or use a VPN"),
      finding("TE-3", "certificate validation as a client", Status::kNotApplicable,
              "this build opens no TLS connections to other servers"),
      finding("TE-4", "encrypted calls for some numbers", Status::kManual,
              "this build cannot require SIPS and SRTP per number",
              "keep confidential calls on a VPN or on phones with SRTP required"),
      finding("TE-5", "VPN for point-to-point links", Status::kManual,
              "links to other sites or trunks are outside Hardline's view",
              "use a VPN (WireGuard, IPsec) for links between sites and to trunks that offer "
              "it (docs/operations.md, \"Network\")"),
  };
}

std::vector<Finding> logging_rules(const config::Config& config, const Facts& facts) {
  std::vector<Finding> out;
  const config::Config::Privacy& privacy = config.privacy;
  const std::string mode =
      "privacy.mode = \"" + std::string(config::privacy_mode_name(privacy.mode)) + "\"";
  switch (privacy.mode) {
    case config::Config::PrivacyMode::kStats:
      out.push_back(finding("LOG-1", "logging mode", Status::kPass,
                            mode + ": counters only, no numbers, names or addresses"));
      out.push_back(finding("LOG-2", "statistics only", Status::kPass,
                            mode + ": usage counters on /metrics, nothing per person"));
      break;
    case config::Config::PrivacyMode::kSecurity:
      out.push_back(finding("LOG-1", "logging mode", Status::kPass,
                            mode + ": security events with source addresses, no numbers or "
                                   "names"));
      out.push_back(finding("LOG-2", "statistics only", Status::kPass,
                            mode + ": addresses only in security events (bans, lockouts)"));
      break;
    case config::Config::PrivacyMode::kDebug:
      out.push_back(finding("LOG-1", "logging mode", Status::kWarn,
                            mode +
                                ": numbers, names, addresses and call records are logged "
                                "(kept " +
                                std::to_string(privacy.retention_days) + " days)",
                            "set mode = \"stats\" in [privacy] once debugging is over"));
      out.push_back(finding("LOG-2", "statistics only", Status::kWarn,
                            mode + ": records about people, not only statistics",
                            "set mode = \"stats\" in [privacy]"));
      break;
  }
  if (privacy.mode == config::Config::PrivacyMode::kDebug && privacy.retention_days > 30) {
    out.push_back(finding("LOG-3", "retention", Status::kWarn,
                          "privacy.retention_days = " + std::to_string(privacy.retention_days) +
                              " with debug logging",
                          "keep debug records a few days at most (retention_days = 7)"));
  } else {
    out.push_back(
        finding("LOG-3", "retention", Status::kPass,
                "privacy.retention_days = " + std::to_string(privacy.retention_days) +
                    (privacy.retention_days == 0
                         ? ": nothing is kept beyond what the service needs (ended bans for "
                           "guard.repeat_memory; the admin access log is left to logrotate)"
                         : ": admin access log lines older than that are deleted (at start and "
                           "hourly), and ended bans are kept no longer than that") +
                    "; expired registrations are purged"));
  }
  if (config.admin.enabled) {
    // The packaged rule rotates /var/log/hardline/*.log and nothing else.
    const std::filesystem::path& log = config.admin.access_log;
    const bool rotated_dir = log.parent_path() == "/var/log/hardline" && log.extension() == ".log";
    if (facts.logrotate_installed && rotated_dir) {
      out.push_back(finding("LOG-3", "access log rotation", Status::kPass,
                            "/etc/logrotate.d/hardline rotates the admin access log"));
    } else if (facts.logrotate_installed) {
      const std::string where = "admin.access_log = " + log.string() +
                                " is not under /var/log/hardline/*.log, which "
                                "/etc/logrotate.d/hardline rotates";
      if (privacy.retention_days > 0) {
        out.push_back(finding("LOG-3", "access log rotation", Status::kPass,
                              where + "; its lines older than privacy.retention_days are "
                                      "deleted hourly instead"));
      } else {
        out.push_back(finding("LOG-3", "access log rotation", Status::kWarn,
                              where + ": it grows forever",
                              "set access_log = \"/var/log/hardline/admin-access.log\" in "
                              "[admin]"));
      }
    } else {
      out.push_back(finding("LOG-3", "access log rotation", Status::kWarn,
                            "no /etc/logrotate.d/hardline: the admin access log grows forever",
                            "install packaging/logrotate/hardline as /etc/logrotate.d/hardline"));
    }
  }
  return out;
}

std::vector<Finding> operations_rules(const config::Config& config, const Facts& facts) {
  std::vector<Finding> out;
  if (config.admin.enabled) {
    out.push_back(
        finding("MON-1", "metrics", Status::kPass,
                "/metrics (Prometheus) and /health on " + host_port(config.admin.listen)));
  } else {
    out.push_back(finding("MON-1", "metrics", Status::kWarn,
                          "admin.enabled = false: no /metrics or /health to monitor",
                          "set enabled = true in [admin] and scrape /metrics with Prometheus "
                          "(docs/operations.md, \"Monitoring\")"));
  }
  if (facts.audit_timer_enabled) {
    out.push_back(finding("CHK-1", "daily audit", Status::kPass,
                          "hardline-audit.timer is enabled (this audit, daily)"));
  } else {
    out.push_back(finding("CHK-1", "daily audit", Status::kWarn,
                          facts.audit_timer_installed
                              ? "hardline-audit.timer is installed but not enabled"
                              : "hardline-audit.timer is not installed",
                          "install packaging/hardline-audit.service and .timer in "
                          "/etc/systemd/system and `systemctl enable --now "
                          "hardline-audit.timer`"));
  }
  const BackupFacts& backup = facts.backup;
  const std::string backup_fix =
      "back up online every day: `sqlite3 " + config.store.database.string() +
      " \".backup /var/backups/hardline/hardline-$(date +%F).db\"` plus the config and token "
      "hash (docs/operations.md, \"Backup\")";
  if (!backup.error.empty()) {
    out.push_back(
        finding("DR-1", "backup age", Status::kWarn,
                backup.directory.string() + ": " + backup.error + detail::not_root_note(facts),
                backup_fix));
  } else if (!backup.exists || backup.files == 0) {
    out.push_back(finding("DR-1", "backup age", Status::kWarn,
                          "no backup in " + backup.directory.string(), backup_fix));
  } else {
    const int64_t age = facts.now - backup.newest_time;
    const std::string found = "newest of " + std::to_string(backup.files) +
                              " backup(s): " + backup.newest.string() + ", " +
                              std::to_string(age / 3600) + " hour(s) old";
    if (age > kBackupMaxAgeDays * kDay) {
      out.push_back(finding("DR-1", "backup age", Status::kWarn, found, backup_fix));
    } else {
      out.push_back(finding("DR-1", "backup age", Status::kPass, found));
    }
  }
  out.push_back(finding("DR-1", "setup documented", Status::kManual,
                        "notes on this deployment are outside Hardline's view",
                        "keep docs/operations.md and your own notes (addresses, trunks, where "
                        "backups go) where the next operator finds them"));
  out.push_back(finding("DR-2", "incident response", Status::kManual,
                        "a plan cannot be checked by software",
                        "know the steps of docs/operations.md, \"Incident response\": "
                        "disconnect, restore, fix, rotate every secret, inform users"));
  return out;
}

}  // namespace

std::vector<Finding> service_rules(const config::Config& config, const Facts& facts) {
  std::vector<Finding> out;
  out.push_back(finding("DB-1", "SQL injection", Status::kPass,
                        "built in: every SQL statement is prepared at start-up with bound "
                        "values; no text from the network is ever part of a query"));
  out.push_back(finding("DB-2", "database privileges", Status::kNotApplicable,
                        "SQLite: no database server and no database user; the file's modes are "
                        "checked under FS-3"));
  out.push_back(finding("DB-3", "query allow list", Status::kPass,
                        "built in: the queries are a fixed set compiled into the program"));
  for (auto&& part :
       {sip_rules(config), routing_rules(config), password_rules(config, facts.digest)}) {
    out.insert(out.end(), part.begin(), part.end());
  }
  out.push_back(finding("UP-1", "version", Status::kManual, "Hardline " + facts.version,
                        "compare with the newest release of the project and read its changes; "
                        "subscribe to its release announcements"));
  out.push_back(finding("UP-2", "upgrade notes", Status::kManual,
                        "how to build, install and upgrade is in docs/operations.md",
                        "keep a copy of docs/operations.md with your own notes where your team "
                        "finds them; try an upgrade on a copy of the deployment first"));
  for (auto&& part :
       {encryption_rules(facts), logging_rules(config, facts), operations_rules(config, facts)}) {
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

}  // namespace hardline::audit
