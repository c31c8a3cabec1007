#include "audit/rules.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>
#include <string>

namespace hardline::audit {
namespace {

constexpr int64_t kNow = 1'800'000'000;
constexpr int64_t kDay = 86400;
constexpr uint32_t kHardlineUid = 998;
constexpr uint32_t kHardlineGid = 997;

Endpoint endpoint(const char* spec) {
  return parse_endpoint_spec(spec).value_or(Endpoint{});
}

FileFacts file(const char* role, const char* path, uint32_t uid, uint32_t gid, uint32_t mode,
               bool directory = false) {
  FileFacts facts;
  facts.role = role;
  facts.path = path;
  facts.exists = true;
  facts.directory = directory;
  facts.mode = mode;
  facts.uid = uid;
  facts.gid = gid;
  facts.owner = uid == 0 ? "root" : "hardline";
  facts.group = gid == 0 ? "root" : "hardline";
  return facts;
}

// A deployment as docs/operations.md sets it up: the system layout, the service running under
// systemd with its sandbox, the packaged firewall loaded, a fresh backup.
config::Config good_config() {
  config::Config config;
  config.file = "/etc/hardline/hardline.toml";
  config.sip.domain = "pbx.example.org";
  config.sip.listen = {endpoint("udp:0.0.0.0:5060"), endpoint("tcp:[::]:5060")};
  config.auth.algorithms = {config::DigestAlgorithm::kSha256};
  config.store.database = "/var/lib/hardline/hardline.db";
  config.admin.token_file = "/etc/hardline/admin-token.hash";
  config.admin.access_log = "/var/log/hardline/admin-access.log";
  return config;
}

Ruleset packaged_firewall() {
  InputChain chain;
  chain.name = "inet hardline input";
  chain.v4 = chain.v6 = true;
  chain.drops_by_default = true;
  AcceptRule loopback;
  loopback.loopback_only = true;
  AcceptRule sip_udp;
  sip_udp.tcp = false;
  sip_udp.ports = {{5060, 5060}, {10000, 20000}};
  AcceptRule sip_tcp;
  sip_tcp.udp = false;
  sip_tcp.ports = {{5060, 5061}};
  chain.accepts = {loopback, sip_udp, sip_tcp};
  Ruleset ruleset;
  ruleset.chains.push_back(chain);
  return ruleset;
}

Facts good_facts() {
  Facts facts;
  facts.now = kNow;
  facts.root = true;
  facts.version = "0.1.0";
  facts.service_user = {"hardline",   true,           kHardlineUid,
                        kHardlineGid, {kHardlineGid}, "/usr/sbin/nologin"};
  facts.service_group = {"hardline", true, kHardlineGid};
  facts.files = {
      file(kRoleConfig, "/etc/hardline/hardline.toml", 0, kHardlineGid, 0640),
      file(kRoleConfigDirectory, "/etc/hardline", 0, kHardlineGid, 0750, true),
      file(kRoleDatabase, "/var/lib/hardline/hardline.db", kHardlineUid, kHardlineGid, 0600),
      file(kRoleDatabaseWal, "/var/lib/hardline/hardline.db-wal", kHardlineUid, kHardlineGid, 0600),
      file(kRoleDatabaseShm, "/var/lib/hardline/hardline.db-shm", kHardlineUid, kHardlineGid, 0600),
      file(kRoleDataDirectory, "/var/lib/hardline", kHardlineUid, kHardlineGid, 0700, true),
      file(kRoleTokenFile, "/etc/hardline/admin-token.hash", 0, kHardlineGid, 0640),
      file(kRoleAccessLog, "/var/log/hardline/admin-access.log", kHardlineUid, kHardlineGid, 0640),
      file(kRoleProgram, "/usr/bin/hardline", 0, 0, 0755),
      file(kRoleProgramDirectory, "/usr/bin", 0, 0, 0755, true),
      file(kRoleBackupDirectory, "/var/backups/hardline", 0, 0, 0700, true),
  };
  ProcessFacts process;
  process.pid = 4242;
  process.status = {kHardlineUid, kHardlineGid, true, 2, 0x400, 0x400, true};
  process.limits = {65536, 64, 0, 4096ULL << 20U};
  process.root = "/";
  process.read_only_root = true;  // systemd's ProtectSystem=strict
  process.apparmor_label = "hardline (enforce)";
  facts.process = process;
  facts.sockets = {
      {{Protocol::kUdp, *parse_ip_address("0.0.0.0"), 5060, 1}, 4242, "hardline"},
      {{Protocol::kTcp, *parse_ip_address("127.0.0.1"), 8088, 2}, 4242, "hardline"},
      {{Protocol::kTcp, *parse_ip_address("127.0.0.1"), 25, 3}, 77, "exim4"},
  };
  facts.sockets_read = true;
  facts.apparmor = {true, "", "enforce"};
  facts.firewall.listed = true;
  facts.firewall.sources = "nft";
  facts.firewall.ruleset = packaged_firewall();
  facts.backup = {
      "/var/backups/hardline", true, "", 3, "/var/backups/hardline/hardline-x.db", kNow - 3600};
  facts.login_accounts = {{"root", 0, "/bin/bash"}};
  facts.virtualization = "kvm";
  facts.data_filesystem = "/dev/mapper/data (ext4)";
  facts.data_encrypted = true;
  facts.audit_timer_installed = true;
  facts.audit_timer_enabled = true;
  facts.logrotate_installed = true;
  return facts;
}

// A routing setup as docs/dialplan.md writes it: an office network, a provider trunk recognised
// by address, internal numbers for accounts, dial-out for the group dialout with the loader's
// default brakes, inbound numbers from the trunk.
config::Rule rule(const char* name, const char* match, config::RuleAction action, uint32_t line) {
  config::Rule r;
  r.name = name;
  r.match = match;
  r.action = action;
  r.where = {"/etc/hardline/dialplan.toml", line};
  return r;
}

void with_dialplan(config::Config& c) {
  c.sources = {{"office", {*parse_network("10.0.0.0/8"), *parse_network("fd00::/8")}, {}}};
  config::Trunk provider;
  provider.name = "provider";
  provider.host = "sip.provider.example";
  provider.sources = {*parse_network("198.51.100.0/24")};
  c.trunks = {provider};
  config::Rule internal = rule("internal", "[1-9][0-9]{2,3}", config::RuleAction::kLocal, 10);
  config::Rule dialout =
      rule("international", "00([1-9][0-9]{6,14})", config::RuleAction::kTrunk, 20);
  dialout.trunk = "provider";
  dialout.to = "+$1";
  dialout.groups = {"dialout"};
  dialout.max_concurrent = config::kTrunkMaxConcurrent;
  dialout.max_per_hour = config::kTrunkMaxPerHour;
  dialout.max_duration = config::kTrunkMaxDuration;
  config::Rule did = rule("did", "\\+49301234(5[0-9])", config::RuleAction::kLocal, 30);
  did.to = "10$1";
  did.callers = {false, false, false, {"provider"}};
  c.dialplan.rules = {internal, dialout, did};
}

config::Rule& rule_named(config::Config& c, const char* name) {
  for (config::Rule& r : c.dialplan.rules) {
    if (r.name == name) return r;
  }
  ADD_FAILURE() << "no rule " << name;
  return c.dialplan.rules.front();
}

const Finding* find(const std::vector<Finding>& findings, const std::string& id,
                    const std::string& check) {
  for (const Finding& finding : findings) {
    if (finding.id == id && finding.check == check) return &finding;
  }
  return nullptr;
}

std::string dump(const std::vector<Finding>& findings) {
  std::string text;
  for (const Finding& f : findings) {
    text +=
        f.id + " " + std::string(status_name(f.status)) + " " + f.check + ": " + f.evidence + "\n";
  }
  return text;
}

TEST(Rules, EveryChecklistIdIsReportedInOrder) {
  const std::vector<Finding> findings = run_rules(good_config(), good_facts());
  std::vector<std::string> ids;
  for (const Finding& finding : findings) {
    if (ids.empty() || ids.back() != finding.id) ids.push_back(finding.id);
  }
  ASSERT_EQ(ids.size(), kChecklistIds.size()) << dump(findings);
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i], kChecklistIds[i]);
}

TEST(Rules, AWellSetUpHostFailsNothingAndWarnsOnlyWhereHardlineItselfFallsShort) {
  const std::vector<Finding> findings = run_rules(good_config(), good_facts());
  EXPECT_EQ(exit_status(findings), 0) << dump(findings);
  std::set<std::string> warned;
  for (const Finding& finding : findings) {
    if (finding.status == Status::kWarn) warned.insert(finding.id + " " + finding.check);
    if (finding.status != Status::kPass) {
      EXPECT_FALSE(finding.fix.empty() && finding.status != Status::kNotApplicable)
          << finding.id << " " << finding.check << " has no fix";
    }
  }
  // No TLS transport and no SRTP in this build: the audit says so instead of passing them.
  EXPECT_EQ(warned, (std::set<std::string>{"TE-1 SIP over TLS", "TE-2 SRTP"})) << dump(findings);
}

struct RuleCase {
  const char* name;
  std::function<void(config::Config&, Facts&)> change;
  const char* id;
  const char* check;
  Status expected;
  const char* evidence;  // a part of the evidence
};

class RuleTable : public ::testing::TestWithParam<RuleCase> {};

TEST_P(RuleTable, FactsGiveTheStatus) {
  const RuleCase& c = GetParam();
  config::Config config = good_config();
  Facts facts = good_facts();
  c.change(config, facts);
  const std::vector<Finding> findings = run_rules(config, facts);
  const Finding* finding = find(findings, c.id, c.check);
  ASSERT_NE(finding, nullptr) << c.id << " " << c.check << "\n" << dump(findings);
  EXPECT_EQ(status_name(finding->status), status_name(c.expected)) << finding->evidence;
  EXPECT_NE(finding->evidence.find(c.evidence), std::string::npos) << finding->evidence;
  if (c.expected != Status::kPass && c.expected != Status::kNotApplicable) {
    EXPECT_FALSE(finding->fix.empty());
  }
  EXPECT_EQ(exit_status(findings), c.expected == Status::kFail ? 1 : 0) << dump(findings);
}

FileFacts& file_of(Facts& facts, const char* role) {
  for (FileFacts& f : facts.files) {
    if (f.role == role) return f;
  }
  ADD_FAILURE() << "no file " << role;
  return facts.files.front();
}

constexpr Status kPass = Status::kPass;
constexpr Status kWarn = Status::kWarn;
constexpr Status kFail = Status::kFail;
constexpr Status kManual = Status::kManual;
constexpr Status kNa = Status::kNotApplicable;

const RuleCase kCases[] = {
    // MP-1: the running process's privileges.
    {"no process", [](auto&, Facts& f) { f.process.reset(); }, "MP-1", "process privileges",
     kManual, "no `hardline serve` running"},
    {"process as root", [](auto&, Facts& f) { f.process->status.uid = 0; }, "MP-1",
     "process privileges", kFail, "runs as root"},
    {"process with capabilities",
     [](auto&, Facts& f) { f.process->status.cap_effective = 0x3fffffffff; }, "MP-1",
     "process privileges", kFail, "0x3fffffffff"},
    {"bind capability only", [](auto&, Facts&) {}, "MP-1", "process privileges", kPass,
     "CAP_NET_BIND_SERVICE"},
    // OS-1
    {"no virtualisation", [](auto&, Facts& f) { f.virtualization = "none"; }, "OS-1",
     "virtualisation", kManual, "none"},
    {"in a VM", [](auto&, Facts&) {}, "OS-1", "virtualisation", kPass, "kvm"},
    // OS-2
    {"chroot off, no process",
     [](config::Config& c, Facts& f) {
       c.system.chroot = false;
       f.process.reset();
     },
     "OS-2", "chroot", kWarn, "system.chroot = false"},
    {"chroot on, no process", [](auto&, Facts& f) { f.process.reset(); }, "OS-2", "chroot", kPass,
     "/var/lib/hardline"},
    {"chrooted process", [](auto&, Facts& f) { f.process->root = "/var/lib/hardline"; }, "OS-2",
     "chroot", kPass, "confined to /var/lib/hardline"},
    {"process under systemd", [](auto&, Facts&) {}, "OS-2", "chroot", kPass,
     "read-only"},
    {"process neither chrooted nor on a read-only root",
     [](auto&, Facts& f) { f.process->read_only_root = false; }, "OS-2", "chroot", kWarn,
     "not chrooted"},
    // OS-3
    {"user missing", [](auto&, Facts& f) { f.service_user.exists = false; }, "OS-3",
     "dedicated user", kFail, "does not exist"},
    {"user with uid 0", [](auto&, Facts& f) { f.service_user.uid = 0; }, "OS-3", "dedicated user",
     kFail, "uid 0"},
    {"user with a login shell", [](auto&, Facts& f) { f.service_user.shell = "/bin/bash"; },
     "OS-3", "dedicated user", kWarn, "/bin/bash"},
    {"user in the regular range", [](auto&, Facts& f) { f.service_user.uid = 1001; }, "OS-3",
     "dedicated user", kWarn, "uid 1001"},
    {"group missing", [](auto&, Facts& f) { f.service_group.exists = false; }, "OS-3",
     "dedicated user", kFail, "system.group"},
    {"dedicated user", [](auto&, Facts&) {}, "OS-3", "dedicated user", kPass,
     "/usr/sbin/nologin"},
    {"process as another user", [](auto&, Facts& f) { f.process->status.uid = 1000; }, "OS-3",
     "service process user", kWarn, "uid 1000"},
    {"process as the user", [](auto&, Facts&) {}, "OS-3", "service process user", kPass,
     "(hardline)"},
    // OS-4
    {"no address-space limit configured",
     [](config::Config& c, auto&) { c.system.max_address_space_mib = 0; }, "OS-4",
     "configured limits", kWarn, "address space unlimited"},
    {"core files allowed", [](auto&, Facts& f) { f.process->limits.core_bytes = kUnlimited; },
     "OS-4", "process limits", kWarn, "core files allowed"},
    {"no open-files limit", [](auto&, Facts& f) { f.process->limits.open_files = kUnlimited; },
     "OS-4", "process limits", kWarn, "no open-files limit"},
    {"limits in place", [](auto&, Facts&) {}, "OS-4", "process limits", kPass,
     "open files 65536"},
    // OS-5
    {"no AppArmor on the host",
     [](auto&, Facts& f) { f.apparmor = {false, "no securityfs", ""}; }, "OS-5",
     "AppArmor profile", kWarn, "not available"},
    {"profile not loaded", [](auto&, Facts& f) { f.apparmor.profile_mode.clear(); }, "OS-5",
     "AppArmor profile", kWarn, "no hardline profile"},
    {"profile in complain mode", [](auto&, Facts& f) { f.apparmor.profile_mode = "complain"; },
     "OS-5", "AppArmor profile", kWarn, "complain"},
    {"profile enforced", [](auto&, Facts&) {}, "OS-5", "AppArmor profile", kPass, "enforce"},
    {"no seccomp", [](auto&, Facts& f) { f.process->status.seccomp = 0; }, "OS-5",
     "process sandbox", kWarn, "not sandboxed"},
    {"started before the profile",
     [](auto&, Facts& f) { f.process->apparmor_label = "unconfined"; }, "OS-5", "process sandbox",
     kWarn, "before its profile"},
    {"sandboxed", [](auto&, Facts&) {}, "OS-5", "process sandbox", kPass, "Seccomp 2"},
    // OS-6: loopback-only and Hardline's own sockets do not count.
    {"sshd on all addresses",
     [](auto&, Facts& f) {
       f.sockets.push_back({{Protocol::kTcp, *parse_ip_address("::"), 22, 9}, 55, "sshd"});
     },
     "OS-6", "other listening servers", kWarn, "sshd (pid 55) TCP [::]:22"},
    {"only loopback servers", [](auto&, Facts&) {}, "OS-6", "other listening servers", kPass,
     "1 socket(s) on loopback"},
    {"sockets unreadable", [](auto&, Facts& f) { f.sockets_read = false; }, "OS-6",
     "other listening servers", kWarn, "/proc/net"},
    // OS-7, OS-8
    {"login accounts", [](auto&, Facts&) {}, "OS-7", "accounts that can log in", kManual,
     "root (uid 0, /bin/bash)"},
    {"admin access logged", [](auto&, Facts&) {}, "OS-8", "admin access log", kPass,
     "/var/log/hardline/admin-access.log"},
    {"admin disabled", [](config::Config& c, auto&) { c.admin.enabled = false; }, "OS-8",
     "admin access log", kNa, "admin.enabled = false"},
    // FS-1, FS-2
    {"config owned by the service user",
     [](auto&, Facts& f) { file_of(f, kRoleConfig).uid = kHardlineUid; }, "FS-1",
     "owner of program and config files", kFail, "owned by hardline"},
    {"program owned by the service user",
     [](auto&, Facts& f) { file_of(f, kRoleProgram).uid = kHardlineUid; }, "FS-1",
     "owner of program and config files", kFail, "/usr/bin/hardline"},
    {"owners fine", [](auto&, Facts&) {}, "FS-1", "owner of program and config files", kPass,
     "none owned by hardline"},
    {"config group-writable by the service group",
     [](auto&, Facts& f) { file_of(f, kRoleConfig).mode = 0660; }, "FS-2",
     "read-only for the service user", kFail, "writable by hardline"},
    {"config world-writable",
     [](auto&, Facts& f) { file_of(f, kRoleConfig).mode = 0666; }, "FS-2",
     "read-only for the service user", kFail, "writable by everyone"},
    {"token hash writable by the service user",
     [](auto&, Facts& f) { file_of(f, kRoleTokenFile).uid = kHardlineUid; }, "FS-2",
     "read-only for the service user", kFail, "admin token hash"},
    {"config in the data directory (init --dir)",
     [](auto&, Facts& f) {
       FileFacts& dir = file_of(f, kRoleConfigDirectory);
       dir.path = "/var/lib/hardline";  // root:hardline 0770, so SQLite can write beside it
       dir.mode = 0770;
     },
     "FS-2", "read-only for the service user", kWarn, "also the data directory"},
    {"read-only", [](auto&, Facts&) {}, "FS-2", "read-only for the service user", kPass,
     "not writable by hardline"},
    // FS-3
    {"database readable by others",
     [](auto&, Facts& f) { file_of(f, kRoleDatabase).mode = 0644; }, "FS-3",
     "secrets unreadable for others", kFail, "hardline.db (hardline:hardline 0644)"},
    {"WAL readable by others",
     [](auto&, Facts& f) { file_of(f, kRoleDatabaseWal).mode = 0644; }, "FS-3",
     "secrets unreadable for others", kFail, "database WAL"},
    {"token hash readable by others",
     [](auto&, Facts& f) { file_of(f, kRoleTokenFile).mode = 0644; }, "FS-3",
     "secrets unreadable for others", kFail, "admin token hash"},
    {"backups readable by others",
     [](auto&, Facts& f) { file_of(f, kRoleBackupDirectory).mode = 0755; }, "FS-3",
     "secrets unreadable for others", kFail, "backup directory"},
    {"data directory listable",
     [](auto&, Facts& f) { file_of(f, kRoleDataDirectory).mode = 0755; }, "FS-3",
     "secrets unreadable for others", kWarn, "can be listed"},
    {"access log readable by others",
     [](auto&, Facts& f) { file_of(f, kRoleAccessLog).mode = 0644; }, "FS-3",
     "secrets unreadable for others", kWarn, "source addresses"},
    {"database not readable (not root)",
     [](auto&, Facts& f) {
       f.root = false;
       FileFacts& db = file_of(f, kRoleDatabase);
       db.exists = false;
       db.error = "Permission denied";
     },
     "FS-3", "secrets unreadable for others", kWarn, "Permission denied"},
    {"secrets closed", [](auto&, Facts&) {}, "FS-3", "secrets unreadable for others", kPass,
     "database 0600"},
    {"config world-readable",
     [](auto&, Facts& f) { file_of(f, kRoleConfig).mode = 0644; }, "FS-3",
     "config not readable by others", kWarn, "readable by everyone"},
    // FS-4
    {"encrypted", [](auto&, Facts&) {}, "FS-4", "encrypted storage", kPass, "dm-crypt"},
    {"not encrypted",
     [](auto&, Facts& f) {
       f.data_encrypted = false;
       f.data_filesystem = "/dev/sda1 (ext4)";
     },
     "FS-4", "encrypted storage", kManual, "/dev/sda1"},
    // NET-1: IPv4 and IPv6 separately.
    {"firewall not listable",
     [](auto&, Facts& f) {
       f.firewall = {};
       f.firewall.errors = "nft: Operation not permitted";
       f.root = false;
     },
     "NET-1", "firewall", kWarn, "Operation not permitted"},
    {"no firewall at all", [](auto&, Facts& f) { f.firewall.ruleset = {}; }, "NET-1",
     "firewall (IPv4)", kFail, "no input chain at all"},
    {"IPv4 only firewall",
     [](auto&, Facts& f) { f.firewall.ruleset.chains[0].v6 = false; }, "NET-1", "firewall (IPv6)",
     kFail, "no input chain drops IPv6"},
    {"IPv4 only firewall, IPv4 fine",
     [](auto&, Facts& f) {
       f.firewall.ruleset.chains[0].v6 = false;
       f.firewall.ruleset.chains.push_back({"ip6 filter input", false, true, true, false, {}});
     },
     "NET-1", "firewall (IPv4)", kPass, "5060/udp"},
    {"SIP port not accepted",
     [](config::Config& c, auto&) { c.sip.listen = {endpoint("udp:0.0.0.0:5080")}; }, "NET-1",
     "firewall (IPv4)", kWarn, "5080/udp not accepted"},
    {"IPv4 listener needs no IPv6 port",
     [](config::Config& c, auto&) { c.sip.listen = {endpoint("udp:192.0.2.10:5080")}; }, "NET-1",
     "firewall (IPv6)", kPass, "no SIP listener is reachable over IPv6"},
    {"admin port open",
     [](auto&, Facts& f) {
       AcceptRule admin;
       admin.udp = false;
       admin.ports = {{8088, 8088}};
       f.firewall.ruleset.chains[0].accepts.push_back(admin);
     },
     "NET-1", "firewall (IPv6)", kWarn, "admin port 8088/tcp"},
    {"packaged firewall", [](auto&, Facts&) {}, "NET-1", "firewall (IPv6)", kPass,
     "inet hardline input drop by default; SIP 5060/tcp accepted"},
    // NET-2
    {"guard off", [](config::Config& c, auto&) { c.guard.enabled = false; }, "NET-2",
     "flood protection", kWarn, "guard.enabled = false"},
    {"guard on", [](auto&, Facts&) {}, "NET-2", "flood protection", kPass, "ban after 500"},
    {"scanner bans off", [](config::Config& c, auto&) { c.guard.ban_scanners = false; }, "NET-2",
     "scanner bans", kWarn, "ban_scanners = false"},
    {"trusted /0-ish",
     [](config::Config& c, auto&) { c.guard.trusted = {*parse_network("0.0.0.0/1")}; }, "NET-2",
     "trusted networks", kWarn, "0.0.0.0/1"},
    {"trunks and loopback protected", [](auto&, Facts&) {}, "NET-2",
     "trunks and loopback never banned for forgeable causes", kPass, "never ban loopback"},
    {"loopback left out of guard.protected",
     [](config::Config& c, auto&) { c.guard.protected_networks = {*parse_network("::1")}; },
     "NET-2", "trunks and loopback never banned for forgeable causes", kWarn,
     "leaves out loopback (127.0.0.1)"},
    {"a trunk's sources too wide",
     [](config::Config& c, auto&) {
       config::Trunk trunk;
       trunk.name = "provider";
       trunk.sources = {*parse_network("0.0.0.0/1")};
       c.trunks.push_back(trunk);
     },
     "NET-2", "trunks and loopback never banned for forgeable causes", kWarn,
     "trunk 'provider' 0.0.0.0/1"},
    // NET-3, NET-5..7: manual.
    {"vpn", [](auto&, Facts&) {}, "NET-3", "VPN", kManual, "software cannot tell"},
    {"vlan", [](auto&, Facts&) {}, "NET-5", "voice VLAN", kManual, "switch"},
    {"802.1x", [](auto&, Facts&) {}, "NET-6", "802.1x on switch ports", kManual, "switch"},
    {"link down", [](auto&, Facts&) {}, "NET-7", "unused switch ports", kManual, "switch"},
    // NET-4
    {"admin on loopback", [](auto&, Facts&) {}, "NET-4", "admin API and metrics on loopback",
     kPass, "127.0.0.1:8088"},
    {"admin remote with TLS",
     [](config::Config& c, auto&) {
       c.admin.listen = endpoint("tcp:192.0.2.10:8443");
       c.admin.allow_remote = true;
       c.admin.tls_certificate = "/etc/hardline/admin.crt";
       c.admin.tls_key = "/etc/hardline/admin.key";
     },
     "NET-4", "admin API and metrics on loopback", kWarn, "192.0.2.10:8443"},
    {"admin listener bound to all addresses",
     [](auto&, Facts& f) { f.sockets[1].socket.address = *parse_ip_address("0.0.0.0"); },
     "NET-4", "admin listener", kFail, "0.0.0.0:8088"},
    {"token hash missing",
     [](auto&, Facts& f) { file_of(f, kRoleTokenFile).exists = false; }, "NET-4", "admin token",
     kWarn, "does not exist"},
    // DB
    {"prepared statements", [](auto&, Facts&) {}, "DB-1", "SQL injection", kPass, "prepared"},
    {"sqlite has no users", [](auto&, Facts&) {}, "DB-2", "database privileges", kNa, "SQLite"},
    // SIP
    {"OPTIONS enabled",
     [](config::Config& c, auto&) { c.sip.methods.push_back(sip::Method::kOptions); }, "SIP-1",
     "methods enabled", kWarn, "OPTIONS"},
    {"five methods", [](auto&, Facts&) {}, "SIP-1", "methods enabled", kPass,
     "REGISTER INVITE ACK BYE CANCEL"},
    {"SUBSCRIBE enabled",
     [](config::Config& c, auto&) { c.sip.methods.push_back(sip::Method::kSubscribe); }, "SIP-2",
     "subscribe/notify", kWarn, "SUBSCRIBE"},
    {"no Server header", [](auto&, Facts&) {}, "SIP-3", "Server header", kPass, "empty"},
    {"Server header without version",
     [](config::Config& c, auto&) { c.sip.server_header = "PBX"; }, "SIP-3", "Server header",
     kWarn, "names the software"},
    {"Server header with a version (not from the loader)",
     [](config::Config& c, auto&) { c.sip.server_header = "Hardline 0.1"; }, "SIP-3",
     "Server header", kFail, "carries a version"},
    // SIP-4: the B2BUA keeps legs apart; the rest is the network's.
    {"legs kept apart", [](auto&, Facts&) {}, "SIP-4", "legs kept apart", kPass,
     "P-Asserted-Identity"},
    {"no trunks", [](auto&, Facts&) {}, "SIP-4", "traffic to other networks", kManual,
     "no [[trunk]]"},
    {"trunk sources listed", [](config::Config& c, auto&) { with_dialplan(c); }, "SIP-4",
     "traffic to other networks", kManual, "trunk 'provider' (calls from 198.51.100.0/24)"},
    // RT-1: Max-Forwards and Hardline's hop count; transit to an untrusted trunk warns.
    {"loop limits", [](auto&, Facts&) {}, "RT-1", "routing loops", kPass,
     "calls.max_hops = 5"},
    {"loop limits with forks",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       c.calls.max_forks = 3;
     },
     "RT-1", "routing loops", kPass, "calls.max_forks = 3"},
    {"trusted trunk gets the hop count",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       c.trunks[0].trusted = true;
     },
     "RT-1", "routing loops", kPass, "trusted trunk(s) 'provider'"},
    {"transit from trunks to an untrusted trunk",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       rule_named(c, "international").callers.any_trunk = true;
     },
     "RT-1", "routing loops", kWarn, "sends calls from trunks out to 'provider'"},
    {"transit to a trusted trunk",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       rule_named(c, "international").callers.any_trunk = true;
       c.trunks[0].trusted = true;
     },
     "RT-1", "routing loops", kPass, "calls.max_hops"},
    // RT-2
    {"internal numbers need authentication", [](config::Config& c, auto&) { with_dialplan(c); },
     "RT-2", "internal numbers for authenticated clients", kPass, "challenged (407"},
    {"anonymous callers reach local accounts",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       rule_named(c, "internal").callers.anonymous = true;
     },
     "RT-2", "internal numbers for authenticated clients", kWarn,
     "'internal' (/etc/hardline/dialplan.toml:10)"},
    {"anonymous callers from the office only",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       rule_named(c, "internal").callers.anonymous = true;
       rule_named(c, "internal").sources = {"office"};
     },
     "RT-2", "internal numbers for authenticated clients", kPass, "no dialplan rule"},
    // RT-3
    {"no source categories", [](auto&, Facts&) {}, "RT-3", "clients by source address", kManual,
     "no [sources]"},
    {"source categories defined, unused", [](config::Config& c, auto&) { with_dialplan(c); },
     "RT-3", "clients by source address", kPass,
     "office (10.0.0.0/8, fd00::/8); used by rule(s) none"},
    {"source categories used",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       rule_named(c, "international").sources = {"office"};
     },
     "RT-3", "clients by source address", kPass, "used by rule(s) 'international'"},
    {"trunk without sources",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       c.trunks[0].sources.clear();
     },
     "RT-3", "clients by source address", kPass, "no inbound call is taken"},
    // RT-4: who may use each trunk rule, and its brakes.
    {"no trunk rule", [](auto&, Facts&) {}, "RT-4", "who may use trunks", kPass,
     "no dialplan rule sends calls to a trunk"},
    {"trunk rule for a group", [](config::Config& c, auto&) { with_dialplan(c); }, "RT-4",
     "who may use trunks", kPass, "'international' to trunk 'provider': accounts in dialout"},
    {"trunk rule for every account (not from the loader)",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       rule_named(c, "international").groups.clear();
     },
     "RT-4", "who may use trunks", kFail, "every account or anyone"},
    {"trunk rule for anonymous callers (not from the loader)",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       rule_named(c, "international").groups.clear();
       rule_named(c, "international").callers = {false, true, false, {}};
     },
     "RT-4", "who may use trunks", kFail, "'international'"},
    {"default brakes", [](config::Config& c, auto&) { with_dialplan(c); }, "RT-4",
     "toll-fraud brakes", kPass, "'international' (2 at once, 20/hour, 7200 s max)"},
    {"brake taken off",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       rule_named(c, "international").max_per_hour = 0;
     },
     "RT-4", "toll-fraud brakes", kWarn, "dialplan.toml:20: max_per_hour = 0"},
    {"no concurrency brake",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       rule_named(c, "international").max_concurrent = 0;
     },
     "RT-4", "toll-fraud brakes", kWarn, "max_concurrent = 0"},
    {"no duration of its own",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       rule_named(c, "international").max_duration = 0;
     },
     "RT-4", "toll-fraud brakes", kPass, "calls.max_duration 14400 s max"},
    // RT-4, issue 12: premium-rate numbers barred in every form a phone can write them.
    {"no bar before the trunk rules", [](config::Config& c, auto&) { with_dialplan(c); }, "RT-4",
     "premium numbers in every form", kManual, "nothing bars premium-rate numbers"},
    {"bar in national form only",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       c.dialplan.rules.insert(c.dialplan.rules.begin() + 1,
                               rule("premium", "0900[0-9]*", config::RuleAction::kReject, 15));
     },
     "RT-4", "premium numbers in every form", kWarn,
     "rule 'international' sends numbers to trunk 'provider' that rule 'premium' (line 15) "
     "refuses in national form"},
    {"bar with numbers normalised",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       c.dialplan.rules.insert(c.dialplan.rules.begin() + 1,
                               rule("premium", "0900[0-9]*", config::RuleAction::kReject, 15));
       c.dialplan.rules.erase(c.dialplan.rules.begin() + 3);  // the DID in + form
       c.dialplan.numbering.country_code = "49";
     },
     "RT-4", "premium numbers in every form", kPass,
     "numbers are normalised to national form (country code 49, national prefix 0, "
     "international prefix 00) before any rule"},
    // RT-5: each trunk's caller-ID policy.
    {"no trunk, no incoming caller ID", [](auto&, Facts&) {}, "RT-5", "incoming caller ID", kNa,
     "no [[trunk]]"},
    {"default caller-ID pattern", [](config::Config& c, auto&) { with_dialplan(c); }, "RT-5",
     "incoming caller ID (trunk provider)", kPass, "otherwise it is shown as Anonymous"},
    {"internal-looking caller IDs from the trunk",
     [](config::Config& c, auto&) { with_dialplan(c); }, "RT-5",
     "incoming caller ID (trunk provider)", kPass,
     "a caller ID in the shape of an internal number is shown as Anonymous; display names are "
     "shown behind 'provider: '"},
    {"internal-looking caller IDs refused",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       c.trunks[0].caller_id_internal = config::InternalCallerId::kReject;
       c.trunks[0].caller_name_prefix = "ext ";
     },
     "RT-5", "incoming caller ID (trunk provider)", kPass,
     "a caller ID in the shape of an internal number is refused; display names are shown "
     "behind 'ext '"},
    {"caller ID rejected on mismatch",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       c.trunks[0].caller_id_mismatch = config::CallerIdMismatch::kReject;
     },
     "RT-5", "incoming caller ID (trunk provider)", kPass, "the call is refused"},
    {"narrower caller-ID pattern",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       c.trunks[0].caller_id_pattern = "\\+49[0-9]{6,14}";
     },
     "RT-5", "incoming caller ID (trunk provider)", kPass, "admits only what the default admits"},
    {"caller-ID pattern admitting anything",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       c.trunks[0].caller_id_pattern = ".*";
     },
     "RT-5", "incoming caller ID (trunk provider)", kWarn, "beyond digits, A-D and '+'"},
    {"caller-ID pattern the analysis cannot decide",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       c.trunks[0].caller_id_pattern = "(?i)[0-9a-d]+";
     },
     "RT-5", "incoming caller ID (trunk provider)", kWarn, "cannot be decided"},
    // RT-6, RT-7
    {"caller ID from the account", [](auto&, Facts&) {}, "RT-6", "caller ID from the account",
     kPass, "own number and display name"},
    {"empty dialplan explained", [](auto&, Facts&) {}, "RT-7", "dialplan documented", kManual,
     "no dialplan rules"},
    {"dialplan to draw", [](config::Config& c, auto&) { with_dialplan(c); }, "RT-7",
     "dialplan documented", kManual, "3 dialplan rule(s)"},
    // RT-8: `hardline dialplan check`'s analysis: errors fail, warnings warn.
    {"empty dialplan checked", [](auto&, Facts&) {}, "RT-8", "dialplan check", kPass,
     "0 rule(s), 0 trunk(s), 0 source categories: 0 error(s), 0 warning(s)"},
    {"clean dialplan", [](config::Config& c, auto&) { with_dialplan(c); }, "RT-8",
     "dialplan check", kPass, "3 rule(s), 1 trunk(s), 1 source categories: 0 error(s)"},
    {"shadowed rule",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       c.dialplan.rules.insert(c.dialplan.rules.begin(),
                               rule("everything", "[0-9]+", config::RuleAction::kLocal, 5));
     },
     "RT-8", "dialplan check", kFail, "dialplan.toml:10: error: rule 'internal'"},
    {"pattern that matches nothing",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       c.dialplan.rules.push_back(rule("never", "1^2", config::RuleAction::kLocal, 40));
     },
     "RT-8", "dialplan check", kFail, "dialplan.toml:40: error: rule 'never'"},
    {"rule for a trunk without sources",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       c.trunks[0].sources.clear();
     },
     "RT-8", "dialplan check", kWarn, "dialplan.toml:30: warning: rule 'did'"},
    {"pattern that does not compile (not from the loader)",
     [](config::Config& c, auto&) {
       with_dialplan(c);
       rule_named(c, "internal").match = "(";
     },
     "RT-8", "dialplan check", kFail, "internal"},
    // PW
    {"password policy", [](auto&, Facts&) {}, "PW-1", "password policy", kPass, "24 random"},
    {"MD5 offered, accounts not read",
     [](config::Config& c, auto&) {
       c.auth.algorithms = {config::DigestAlgorithm::kSha256, config::DigestAlgorithm::kMd5};
     },
     "PW-1", "digest algorithms", kWarn, "which accounts accept MD5 is unknown"},
    {"MD5 offered, accounts accept it",
     [](config::Config& c, Facts& f) {
       c.auth.algorithms = {config::DigestAlgorithm::kSha256, config::DigestAlgorithm::kMd5};
       f.digest = {.read = true, .error = "", .accounts = 10, .any = 3, .md5_only = 2};
     },
     "PW-1", "digest algorithms", kWarn,
     "5 of 10 accounts accept MD5 (2 \"md5\", 3 \"any\" whose phones have not answered"},
    {"MD5 offered, no account accepts it",
     [](config::Config& c, Facts& f) {
       c.auth.algorithms = {config::DigestAlgorithm::kSha256, config::DigestAlgorithm::kMd5};
       f.digest = {.read = true, .error = "", .accounts = 10, .any = 0, .md5_only = 0};
     },
     "PW-1", "digest algorithms", kPass, "none of the 10 accounts accepts MD5"},
    {"MD5 offered, no account yet",
     [](config::Config& c, Facts& f) {
       c.auth.algorithms = {config::DigestAlgorithm::kSha256, config::DigestAlgorithm::kMd5};
       f.digest = {.read = true, .error = "", .accounts = 0, .any = 0, .md5_only = 0};
     },
     "PW-1", "digest algorithms", kWarn, "there is no account yet"},
    {"SHA-256 only", [](auto&, Facts&) {}, "PW-1", "digest algorithms", kPass, "SHA-256"},
    // UP
    {"version", [](auto&, Facts&) {}, "UP-1", "version", kManual, "Hardline 0.1.0"},
    // TE
    {"no SIP TLS", [](auto&, Facts&) {}, "TE-1", "SIP over TLS", kWarn, "not configured"},
    {"no admin TLS", [](auto&, Facts&) {}, "TE-1", "admin HTTPS certificate", kNa, "no TLS"},
    {"certificate valid",
     [](auto&, Facts& f) {
       f.admin_certificate = CertificateFacts{"/etc/hardline/admin.crt", true, "", kNow + 90 * kDay,
                                              "/CN=pbx"};
     },
     "TE-1", "admin HTTPS certificate", kPass, "valid for 90 more days"},
    {"certificate expiring",
     [](auto&, Facts& f) {
       f.admin_certificate = CertificateFacts{"/etc/hardline/admin.crt", true, "", kNow + 10 * kDay,
                                              "/CN=pbx"};
     },
     "TE-1", "admin HTTPS certificate", kWarn, "expires in 10 day(s)"},
    {"certificate expired",
     [](auto&, Facts& f) {
       f.admin_certificate = CertificateFacts{"/etc/hardline/admin.crt", true, "", kNow - 2 * kDay,
                                              "/CN=pbx"};
     },
     "TE-1", "admin HTTPS certificate", kFail, "expired 2 day(s) ago"},
    {"certificate unreadable",
     [](auto&, Facts& f) {
       f.admin_certificate =
           CertificateFacts{"/etc/hardline/admin.crt", false, "not a PEM certificate", 0, ""};
     },
     "TE-1", "admin HTTPS certificate", kFail, "not a PEM certificate"},
    {"no SRTP", [](auto&, Facts&) {}, "TE-2", "SRTP", kWarn, "no SRTP"},
    // LOG
    {"stats mode", [](auto&, Facts&) {}, "LOG-1", "logging mode", kPass, "\"stats\""},
    {"debug mode",
     [](config::Config& c, auto&) {
       c.privacy.mode = config::Config::PrivacyMode::kDebug;
       c.privacy.retention_days = 7;
     },
     "LOG-1", "logging mode", kWarn, "kept 7 days"},
    {"security mode",
     [](config::Config& c, auto&) { c.privacy.mode = config::Config::PrivacyMode::kSecurity; },
     "LOG-2", "statistics only", kPass, "security events"},
    {"debug kept long",
     [](config::Config& c, auto&) {
       c.privacy.mode = config::Config::PrivacyMode::kDebug;
       c.privacy.retention_days = 90;
     },
     "LOG-3", "retention", kWarn, "retention_days = 90"},
    {"no logrotate", [](auto&, Facts& f) { f.logrotate_installed = false; }, "LOG-3",
     "access log rotation", kWarn, "grows forever"},
    {"access log where logrotate does not look",
     [](config::Config& c, auto&) { c.admin.access_log = "/var/lib/hardline/admin-access.log"; },
     "LOG-3", "access log rotation", kWarn, "is not under /var/log/hardline/*.log"},
    {"access log elsewhere but purged",
     [](config::Config& c, auto&) {
       c.admin.access_log = "/var/lib/hardline/admin-access.log";
       c.privacy.retention_days = 7;
     },
     "LOG-3", "access log rotation", kPass, "deleted hourly instead"},
    {"access log rotated", [](auto&, Facts&) {}, "LOG-3", "access log rotation", kPass,
     "rotates the admin access log"},
    // MON, CHK
    {"metrics", [](auto&, Facts&) {}, "MON-1", "metrics", kPass, "/metrics"},
    {"no admin, no metrics", [](config::Config& c, auto&) { c.admin.enabled = false; }, "MON-1",
     "metrics", kWarn, "no /metrics"},
    {"timer off", [](auto&, Facts& f) { f.audit_timer_enabled = false; }, "CHK-1", "daily audit",
     kWarn, "installed but not enabled"},
    {"timer on", [](auto&, Facts&) {}, "CHK-1", "daily audit", kPass, "enabled"},
    // DR
    {"fresh backup", [](auto&, Facts&) {}, "DR-1", "backup age", kPass, "1 hour(s) old"},
    {"old backup", [](auto&, Facts& f) { f.backup.newest_time = kNow - 3 * kDay; }, "DR-1",
     "backup age", kWarn, "72 hour(s) old"},
    {"no backup",
     [](auto&, Facts& f) {
       f.backup.exists = false;
       f.backup.files = 0;
     },
     "DR-1", "backup age", kWarn, "no backup in /var/backups/hardline"},
    {"incident plan", [](auto&, Facts&) {}, "DR-2", "incident response", kManual, "plan"},
};

INSTANTIATE_TEST_SUITE_P(Audit, RuleTable, ::testing::ValuesIn(kCases), [](const auto& test) {
  std::string name = test.param.name;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
});

TEST(WritableBy, OwnerGroupOthers) {
  AccountFacts user{"hardline", true, kHardlineUid, kHardlineGid, {kHardlineGid, 50}, ""};
  struct Case {
    uint32_t uid, gid, mode;
    bool writable;
  };
  const Case cases[] = {
      {0, 0, 0644, false},
      {kHardlineUid, 0, 0644, true},
      {kHardlineUid, 0, 0444, false},
      {0, kHardlineGid, 0640, false},
      {0, kHardlineGid, 0660, true},
      {0, 50, 0660, true},
      {0, 0, 0646, true},
      {0, 51, 0660, false},
  };
  for (const Case& c : cases) {
    FileFacts f = file("x", "/x", c.uid, c.gid, c.mode);
    EXPECT_EQ(writable_by(f, user), c.writable) << c.uid << " " << c.gid << " " << c.mode;
  }
  AccountFacts missing;
  EXPECT_FALSE(writable_by(file("x", "/x", 0, 0, 0664), missing));
  EXPECT_TRUE(writable_by(file("x", "/x", 0, 0, 0666), missing));
}

}  // namespace
}  // namespace hardline::audit
