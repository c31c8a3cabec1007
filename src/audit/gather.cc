#include "audit/gather.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>
#include <system_error>

namespace hardline::audit {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxOutput = 16U << 20U;

std::optional<std::string> read_text(const fs::path& path, size_t limit = kMaxOutput) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text;
  std::array<char, 65536> buffer{};
  while (in && text.size() < limit) {
    in.read(buffer.data(), buffer.size());
    text.append(buffer.data(), static_cast<size_t>(in.gcount()));
  }
  return text;
}

std::string user_name(uint32_t uid) {
  struct passwd entry {};
  struct passwd* result = nullptr;
  std::array<char, 4096> buffer{};
  if (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &result) == 0 && result != nullptr) {
    return result->pw_name;
  }
  return std::to_string(uid);
}

std::string group_name(uint32_t gid) {
  struct group entry {};
  struct group* result = nullptr;
  std::array<char, 16384> buffer{};
  if (getgrgid_r(gid, &entry, buffer.data(), buffer.size(), &result) == 0 && result != nullptr) {
    return result->gr_name;
  }
  return std::to_string(gid);
}

FileFacts stat_file(std::string role, const fs::path& path) {
  FileFacts file;
  file.role = std::move(role);
  file.path = path;
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    if (errno != ENOENT) file.error = std::strerror(errno);
    return file;
  }
  file.exists = true;
  file.directory = S_ISDIR(info.st_mode);
  file.mode = info.st_mode & 07777U;
  file.uid = info.st_uid;
  file.gid = info.st_gid;
  file.owner = user_name(info.st_uid);
  file.group = group_name(info.st_gid);
  return file;
}

AccountFacts account(const std::string& name) {
  AccountFacts facts;
  facts.name = name;
  struct passwd entry {};
  struct passwd* result = nullptr;
  std::array<char, 4096> buffer{};
  if (getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &result) != 0 ||
      result == nullptr) {
    return facts;
  }
  facts.exists = true;
  facts.uid = result->pw_uid;
  facts.gid = result->pw_gid;
  facts.shell = result->pw_shell != nullptr ? result->pw_shell : "";
  std::vector<gid_t> groups(64);
  int count = static_cast<int>(groups.size());
  if (getgrouplist(name.c_str(), result->pw_gid, groups.data(), &count) < 0 && count > 0) {
    groups.resize(static_cast<size_t>(count));
    getgrouplist(name.c_str(), result->pw_gid, groups.data(), &count);
  }
  for (int i = 0; i < count && i < static_cast<int>(groups.size()); ++i) {
    facts.groups.push_back(groups[static_cast<size_t>(i)]);
  }
  return facts;
}

GroupFacts group_facts(const std::string& name) {
  GroupFacts facts;
  facts.name = name;
  struct group entry {};
  struct group* result = nullptr;
  std::array<char, 16384> buffer{};
  if (getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &result) == 0 &&
      result != nullptr) {
    facts.exists = true;
    facts.gid = result->gr_gid;
  }
  return facts;
}

std::vector<int> process_ids() {
  std::vector<int> pids;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) {
      pids.push_back(std::stoi(name));
    }
  }
  return pids;
}

std::string proc_path(int pid, const char* leaf) {
  return "/proc/" + std::to_string(pid) + "/" + leaf;
}

std::string read_link(const fs::path& path) {
  std::error_code error;
  fs::path target = fs::read_symlink(path, error);
  return error ? std::string() : target.string();
}

// The config a `hardline serve` command line names: -c PATH, --config PATH, --config=PATH, or
// the default when it names none.
std::optional<fs::path> serve_config(int pid) {
  auto cmdline = read_text(proc_path(pid, "cmdline"), 65536);
  if (!cmdline || cmdline->empty()) return std::nullopt;
  std::vector<std::string> args;
  std::stringstream stream(*cmdline);
  for (std::string arg; std::getline(stream, arg, '\0');) args.push_back(arg);
  if (args.size() < 2 || fs::path(args[0]).filename() != "hardline") return std::nullopt;
  if (std::find(args.begin() + 1, args.end(), "serve") == args.end()) return std::nullopt;
  fs::path config;
  for (size_t i = 1; i < args.size(); ++i) {
    if ((args[i] == "-c" || args[i] == "--config") && i + 1 < args.size()) {
      config = args[i + 1];
    } else if (args[i].rfind("--config=", 0) == 0) {
      config = args[i].substr(9);
    }
  }
  if (config.empty()) return config::default_config_path();
  if (config.is_relative()) config = fs::path(read_link(proc_path(pid, "cwd"))) / config;
  return config;
}

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code error;
  if (fs::equivalent(a, b, error)) return true;
  return fs::weakly_canonical(a, error) == fs::weakly_canonical(b, error);
}

// Whether the process's "/" is mounted read-only (mountinfo: mount point "/", options "ro,...").
bool root_read_only(int pid) {
  auto mountinfo = read_text(proc_path(pid, "mountinfo"));
  if (!mountinfo) return false;
  std::stringstream stream(*mountinfo);
  bool read_only = false;
  for (std::string line; std::getline(stream, line);) {
    std::stringstream parts(line);
    std::string id, parent, device, root, mount_point, options;
    parts >> id >> parent >> device >> root >> mount_point >> options;
    if (mount_point == "/") read_only = options == "ro" || options.rfind("ro,", 0) == 0;
  }
  return read_only;  // the last mount on "/" is the one the process sees
}

// Whether the process has `file` open: a server confined before the audit ran has its database
// open, whatever its command line says.
bool holds_file(int pid, const fs::path& file) {
  std::error_code error;
  for (const fs::directory_entry& fd : fs::directory_iterator(proc_path(pid, "fd"), error)) {
    const std::string target = read_link(fd.path());
    if (!target.empty() && target.front() == '/' && same_file(target, file)) return true;
  }
  return false;
}

std::optional<ProcessFacts> serve_process(const config::Config& config) {
  const int self = getpid();
  for (int pid : process_ids()) {
    if (pid == self) continue;
    auto named = serve_config(pid);
    if (!named) continue;
    // A relative -c PATH is resolved against the working directory, which a chrooted server
    // has left: the one that holds this config's database open is the one as well.
    if (!same_file(*named, config.file) && !holds_file(pid, config.store.database)) continue;
    ProcessFacts process;
    process.pid = pid;
    process.status = parse_proc_status(read_text(proc_path(pid, "status")).value_or(""));
    process.limits = parse_proc_limits(read_text(proc_path(pid, "limits")).value_or(""));
    process.root = read_link(proc_path(pid, "root"));
    process.read_only_root = root_read_only(pid);
    std::string label = read_text(proc_path(pid, "attr/current")).value_or("");
    while (!label.empty() && (label.back() == '\n' || label.back() == '\0')) label.pop_back();
    process.apparmor_label = label;
    return process;
  }
  return std::nullopt;
}

std::vector<ListeningSocket> listening_sockets(bool& read_any) {
  std::vector<ListeningSocket> sockets;
  read_any = false;
  const std::pair<const char*, std::pair<Protocol, bool>> files[] = {
      {"/proc/net/tcp", {Protocol::kTcp, false}},
      {"/proc/net/tcp6", {Protocol::kTcp, true}},
      {"/proc/net/udp", {Protocol::kUdp, false}},
      {"/proc/net/udp6", {Protocol::kUdp, true}},
  };
  for (const auto& [path, kind] : files) {
    auto text = read_text(path);
    if (!text) continue;
    read_any = true;
    for (const SocketEntry& entry : parse_proc_net(*text, kind.first, kind.second)) {
      sockets.push_back(ListeningSocket{entry, 0, {}});
    }
  }
  if (sockets.empty()) return sockets;
  // Which process holds each socket: /proc/PID/fd/N -> "socket:[INODE]".
  std::error_code error;
  for (int pid : process_ids()) {
    for (const fs::directory_entry& fd : fs::directory_iterator(proc_path(pid, "fd"), error)) {
      const std::string target = read_link(fd.path());
      if (target.rfind("socket:[", 0) != 0) continue;
      const uint64_t inode = std::strtoull(target.c_str() + 8, nullptr, 10);
      for (ListeningSocket& socket : sockets) {
        if (socket.pid != 0 || socket.socket.inode != inode) continue;
        socket.pid = pid;
        std::string comm = read_text(proc_path(pid, "comm"), 256).value_or("");
        while (!comm.empty() && comm.back() == '\n') comm.pop_back();
        socket.process = comm;
      }
    }
    error.clear();
  }
  return sockets;
}

AppArmorFacts apparmor_facts() {
  AppArmorFacts facts;
  std::error_code error;
  const bool module_enabled =
      read_text("/sys/module/apparmor/parameters/enabled", 16).value_or("").rfind('Y', 0) == 0;
  if (!fs::exists("/sys/kernel/security/apparmor", error)) {
    facts.available = false;
    facts.error = module_enabled ? "securityfs is not mounted on /sys/kernel/security"
                                 : "no /sys/kernel/security/apparmor: the kernel has none";
    return facts;
  }
  facts.available = true;
  auto profiles = read_text("/sys/kernel/security/apparmor/profiles");
  if (!profiles) {
    facts.error = "/sys/kernel/security/apparmor/profiles could not be read";
    return facts;
  }
  std::stringstream stream(*profiles);
  for (std::string line; std::getline(stream, line);) {
    // "/usr/bin/hardline (enforce)" or "hardline (complain)"
    const size_t space = line.rfind(" (");
    if (space == std::string::npos) continue;
    const std::string name = line.substr(0, space);
    if (name != "hardline" && name != "/usr/bin/hardline" && name != "/usr/local/bin/hardline") {
      continue;
    }
    std::string mode = line.substr(space + 2);
    if (!mode.empty() && mode.back() == ')') mode.pop_back();
    facts.profile_mode = mode;
  }
  return facts;
}

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  return line.empty() ? std::string("no output") : line;
}

FirewallFacts firewall_facts() {
  FirewallFacts facts;
  std::vector<std::string> sources, errors;
  auto add = [&](Ruleset&& more) {
    for (InputChain& chain : more.chains) facts.ruleset.chains.push_back(std::move(chain));
    facts.ruleset.has_ip_filter = facts.ruleset.has_ip_filter || more.has_ip_filter;
    facts.ruleset.has_ip6_filter = facts.ruleset.has_ip6_filter || more.has_ip6_filter;
  };
  CommandOutput nft = run_command({"nft", "-j", "list", "ruleset"});
  if (!nft.ran) {
    errors.emplace_back("nft is not installed");
  } else if (nft.status != 0) {
    errors.push_back("nft: " + first_line(nft.err.empty() ? nft.out : nft.err));
  } else if (auto parsed = parse_nft_json(nft.out); !parsed) {
    errors.push_back("nft: " + parsed.error());
  } else {
    add(std::move(*parsed));
    sources.emplace_back("nft");
  }
  // With the nftables variant of iptables, iptables-save lists the rules of nft's "ip filter"
  // and "ip6 filter" tables, which nft shows partly as opaque xt expressions: for those tables
  // the iptables-save reading replaces nft's. With the legacy variant the rules are not in nft.
  const std::pair<const char*, Family> tools[] = {{"iptables-save", Family::kIpv4},
                                                  {"ip6tables-save", Family::kIpv6}};
  for (const auto& [tool, family] : tools) {
    CommandOutput output = run_command({tool});
    if (!output.ran) {
      errors.push_back(std::string(tool) + " is not installed");
      continue;
    }
    if (output.status != 0) {
      errors.push_back(std::string(tool) + ": " +
                       first_line(output.err.empty() ? output.out : output.err));
      continue;
    }
    auto parsed = parse_iptables_save(output.out, family);
    if (!parsed || parsed->chains.empty()) continue;
    const std::string replaced = family == Family::kIpv4 ? "ip filter INPUT" : "ip6 filter INPUT";
    std::erase_if(facts.ruleset.chains,
                  [&](const InputChain& chain) { return chain.name == replaced; });
    add(std::move(*parsed));
    sources.emplace_back(tool);
  }
  facts.listed = !sources.empty() || (nft.ran && nft.status == 0);
  if (sources.empty() && facts.listed) sources.emplace_back("nft");
  for (const std::string& source : sources) {
    facts.sources += (facts.sources.empty() ? "" : ", ") + source;
  }
  for (const std::string& error : errors) {
    facts.errors += (facts.errors.empty() ? "" : "; ") + error;
  }
  return facts;
}

CertificateFacts certificate_facts(const fs::path& path) {
  CertificateFacts facts;
  facts.path = path;
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "r"), &std::fclose);
  if (!file) {
    facts.error = std::strerror(errno);
    return facts;
  }
  std::unique_ptr<X509, void (*)(X509*)> certificate(
      PEM_read_X509(file.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!certificate) {
    facts.error = "not a PEM certificate";
    return facts;
  }
  struct tm expiry {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(certificate.get()), &expiry) != 1) {
    facts.error = "unreadable expiry date";
    return facts;
  }
  facts.not_after = timegm(&expiry);
  std::array<char, 256> subject{};
  X509_NAME_oneline(X509_get_subject_name(certificate.get()), subject.data(),
                    static_cast<int>(subject.size()));
  facts.subject = subject.data();
  facts.read = true;
  return facts;
}

BackupFacts backup_facts(const fs::path& directory) {
  BackupFacts facts;
  facts.directory = directory;
  std::error_code error;
  if (!fs::exists(directory, error)) {
    if (error && error != std::errc::no_such_file_or_directory) facts.error = error.message();
    return facts;
  }
  facts.exists = true;
  fs::directory_iterator it(directory, error);
  if (error) {
    facts.error = error.message();
    return facts;
  }
  for (const fs::directory_entry& entry : it) {
    struct stat info {};
    if (stat(entry.path().c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
    ++facts.files;
    if (info.st_mtime > facts.newest_time) {
      facts.newest_time = info.st_mtime;
      facts.newest = entry.path();
    }
  }
  return facts;
}

std::vector<LoginAccount> login_accounts() {
  std::vector<LoginAccount> accounts;
  auto text = read_text("/etc/passwd");
  if (!text) return accounts;
  std::stringstream stream(*text);
  for (std::string line; std::getline(stream, line);) {
    std::vector<std::string> fields;
    std::stringstream parts(line);
    for (std::string field; std::getline(parts, field, ':');) fields.push_back(field);
    if (fields.size() < 7) continue;
    const std::string& shell = fields[6];
    if (shell.empty() || shell.ends_with("/nologin") || shell.ends_with("/false") ||
        shell == "/bin/sync") {
      continue;
    }
    accounts.push_back(LoginAccount{
        fields[0], static_cast<uint32_t>(std::strtoul(fields[2].c_str(), nullptr, 10)), shell});
  }
  return accounts;
}

// The mount that holds `path` (longest mount point that prefixes it) and whether its device is
// a dm-crypt mapping.
void data_filesystem(const fs::path& path, Facts& facts) {
  auto mountinfo = read_text("/proc/self/mountinfo");
  if (!mountinfo) return;
  std::error_code error;
  const std::string target = fs::weakly_canonical(path, error).string();
  size_t best = 0;
  std::string source, type;
  std::stringstream stream(*mountinfo);
  for (std::string line; std::getline(stream, line);) {
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPEROPTIONS
    std::vector<std::string> fields;
    std::stringstream parts(line);
    for (std::string field; parts >> field;) fields.push_back(field);
    auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 5 || dash == fields.end() || dash + 2 >= fields.end()) continue;
    const std::string& mount_point = fields[4];
    const bool prefixes =
        target == mount_point || mount_point == "/" || target.rfind(mount_point + "/", 0) == 0;
    if (!prefixes || mount_point.size() < best) continue;
    best = mount_point.size();
    type = *(dash + 1);
    source = *(dash + 2);
  }
  if (source.empty()) return;
  facts.data_filesystem = source + " (" + type + ")";
  if (source.rfind("/dev/", 0) != 0) return;
  const fs::path device = fs::canonical(source, error);
  if (error) return;
  auto uuid = read_text("/sys/class/block/" + device.filename().string() + "/dm/uuid", 256);
  facts.data_encrypted = uuid && uuid->rfind("CRYPT-", 0) == 0;
}

bool path_exists(const fs::path& path) {
  std::error_code error;
  return fs::exists(path, error);
}

}  // namespace

CommandOutput run_command(const std::vector<std::string>& argv) {
  CommandOutput output;
  if (argv.empty()) return output;
  std::string program;
  for (const char* directory : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
    const std::string candidate = std::string(directory) + "/" + argv[0];
    if (access(candidate.c_str(), X_OK) == 0) {
      program = candidate;
      break;
    }
  }
  if (program.empty()) return output;
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return output;
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return output;
  }
  std::vector<std::string> copies(argv);
  std::vector<char*> args;
  args.reserve(copies.size() + 1);
  for (std::string& arg : copies) args.push_back(arg.data());
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    execv(program.c_str(), args.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (pid < 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    return output;
  }
  output.ran = true;
  std::array<pollfd, 2> fds{pollfd{out_pipe[0], POLLIN, 0}, pollfd{err_pipe[0], POLLIN, 0}};
  std::array<std::string*, 2> sinks{&output.out, &output.err};
  size_t open_fds = 2;
  std::array<char, 65536> buffer{};
  while (open_fds > 0) {
    if (poll(fds.data(), fds.size(), 30000) <= 0) break;  // 30 s without output: give up
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buffer.data(), buffer.size());
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      if (sinks[i]->size() < kMaxOutput) sinks[i]->append(buffer.data(), static_cast<size_t>(n));
    }
  }
  for (pollfd& fd : fds) {
    if (fd.fd >= 0) close(fd.fd);
  }
  int status = 0;
  if (open_fds > 0) kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  output.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return output;
}

Facts gather_facts(const config::Config& config, const GatherOptions& options) {
  Facts facts;
  facts.now = static_cast<int64_t>(std::time(nullptr));
  facts.root = geteuid() == 0;
  facts.version = options.version;
  facts.service_user = account(config.system.user);
  facts.service_group = group_facts(config.system.group);

  const fs::path database = config.store.database;
  facts.files.push_back(stat_file(kRoleConfig, config.file));
  facts.files.push_back(stat_file(kRoleConfigDirectory, config.file.parent_path()));
  facts.files.push_back(stat_file(kRoleDatabase, database));
  facts.files.push_back(stat_file(kRoleDatabaseWal, database.string() + "-wal"));
  facts.files.push_back(stat_file(kRoleDatabaseShm, database.string() + "-shm"));
  facts.files.push_back(stat_file(kRoleDataDirectory, database.parent_path()));
  if (config.admin.enabled) {
    facts.files.push_back(stat_file(kRoleTokenFile, config.admin.token_file));
    facts.files.push_back(stat_file(kRoleAccessLog, config.admin.access_log));
    if (!config.admin.tls_certificate.empty()) {
      facts.files.push_back(stat_file(kRoleTlsCertificate, config.admin.tls_certificate));
      facts.files.push_back(stat_file(kRoleTlsKey, config.admin.tls_key));
      facts.admin_certificate = certificate_facts(config.admin.tls_certificate);
    }
  }
  const std::string program = read_link("/proc/self/exe");
  if (!program.empty()) {
    facts.files.push_back(stat_file(kRoleProgram, program));
    facts.files.push_back(stat_file(kRoleProgramDirectory, fs::path(program).parent_path()));
  }
  facts.files.push_back(stat_file(kRoleBackupDirectory, options.backup_directory));

  facts.process = serve_process(config);
  facts.sockets = listening_sockets(facts.sockets_read);
  facts.apparmor = apparmor_facts();
  facts.firewall = firewall_facts();
  facts.backup = backup_facts(options.backup_directory);
  facts.login_accounts = login_accounts();
  CommandOutput virt = run_command({"systemd-detect-virt"});
  if (virt.ran) {
    facts.virtualization = virt.out.substr(0, virt.out.find('\n'));
    if (facts.virtualization.empty()) facts.virtualization = "none";
  }
  data_filesystem(database.parent_path(), facts);
  for (const char* directory :
       {"/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"}) {
    if (path_exists(fs::path(directory) / "hardline-audit.timer"))
      facts.audit_timer_installed = true;
  }
  facts.audit_timer_enabled =
      path_exists("/etc/systemd/system/timers.target.wants/hardline-audit.timer");
  facts.logrotate_installed = path_exists("/etc/logrotate.d/hardline");
  return facts;
}

}  // namespace hardline::audit
