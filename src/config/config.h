#pragma once
// The TOML configuration file: its model, its loader and the file `hardline init` writes.
// Loading happens once at start-up. Every mistake is an error that names the file, the line (and
// column) of the offending key, what is wrong and how to fix it: unknown tables and keys, wrong
// types and out-of-range values are all refused, never ignored.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/endpoint.h"
#include "common/network.h"
#include "common/result.h"
#include "config/routing_config.h"
#include "sip/message.h"

namespace hardline::config {

// Digest algorithms as the config names them ("SHA-256", "MD5"); src/auth maps them.
enum class DigestAlgorithm : uint8_t { kSha256, kMd5 };
std::string_view digest_algorithm_name(DigestAlgorithm algorithm);

struct Config {
  std::filesystem::path file;  // the config file, absolute

  struct Sip {
    std::string domain;                // required: a host name or an IP address
    std::vector<std::string> aliases;  // other names this server answers for
    std::vector<Endpoint> listen;      // required, at least one: "udp:ADDR:PORT", "tcp:[::1]:5060"
    // sip.advertise: what Via and Contact name for a listen address, for NAT and DNS set-ups.
    // A listener not here names its own address, or on a wildcard (0.0.0.0, ::) the address
    // each message arrived at.
    struct Advertise {
      Endpoint listen;    // one of `listen`
      std::string host;   // a host name, an IPv4 address or a bracketed IPv6 address
      uint16_t port = 0;  // 0: the listener's own port
      bool operator==(const Advertise&) const = default;
    };
    std::vector<Advertise> advertise;  // at most one per listen entry, in no particular order
    std::string server_header;         // "" = no Server header; a version number is refused
    std::vector<sip::Method> methods{sip::Method::kRegister, sip::Method::kInvite,
                                     sip::Method::kAck, sip::Method::kBye, sip::Method::kCancel};

    bool operator==(const Sip&) const = default;
  } sip;

  struct Auth {
    // Digest algorithms offered, in this order, and the only ones accepted.
    std::vector<DigestAlgorithm> algorithms{DigestAlgorithm::kSha256, DigestAlgorithm::kMd5};
    uint32_t nonce_lifetime = 300;  // seconds, 30..3600

    bool operator==(const Auth&) const = default;
  } auth;

  struct Registrar {
    uint32_t min_expires = 60;  // seconds; min_expires <= max_expires
    uint32_t max_expires = 3600;
    uint32_t max_contacts = 5;  // per AOR, 1..100

    bool operator==(const Registrar&) const = default;
  } registrar;

  struct Transport {
    uint32_t max_message_size = 65535;  // bytes
    uint32_t tcp_idle_timeout = 120;    // seconds
    uint32_t tcp_message_timeout = 10;  // seconds, 1..600, a message's first byte to its last
    uint32_t max_tcp_connections = 1024;
    uint32_t tcp_reserved_percent = 25;  // of max_tcp_connections, for known sources (0..90)
    uint32_t max_tcp_connections_per_source = 16;  // per source group, <= max_tcp_connections

    bool operator==(const Transport&) const = default;
  } transport;

  struct Transactions {
    uint32_t max_total = 50000;
    uint32_t max_per_source = 500;   // <= max_total
    uint32_t max_completed = 20000;  // answered, kept only for retransmissions

    bool operator==(const Transactions&) const = default;
  } transactions;

  // Calls through the B2BUA (src/call maps this to its Settings). Durations in seconds.
  struct Calls {
    uint32_t ring_timeout = 60;           // unanswered this long: CANCEL, 480 (5..600)
    uint32_t max_duration = 14400;        // answered this long: BYE both sides (60..604800)
    uint32_t max_calls = 10000;           // live calls in total (1..1000000)
    uint32_t max_calls_per_account = 10;  // live calls per account (1..10000)
    uint32_t max_forks = 10;              // contacts rung at once for one call (1..100)
    uint32_t max_hops = 5;                // X-Hardline-Hops above this: 482 (1..100)

    bool operator==(const Calls&) const = default;
  } calls;

  // Flood protection, brute-force lockout and scanner bans (src/guard maps this to its
  // Settings; the defaults are the same and a test keeps them so). Durations in seconds.
  struct Guard {
    bool enabled = true;
    std::vector<Network> trusted;  // never banned automatically nor locked out; none by default
    // Key "protected": never banned for what a forged source address can cause (rate limits,
    // scanner signatures); loopback by default. The server adds its trunks' addresses.
    std::vector<Network> protected_networks{
        Network{IpAddress{{127, 0, 0, 0}, false}, 8},
        Network{IpAddress{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, true}, 128}};
    uint32_t source_prefix_v4 = 32;  // 8..32: sources grouped by this network
    uint32_t source_prefix_v6 = 64;  // 32..128
    uint32_t packet_rate = 200;      // per second and source group
    uint32_t packet_burst = 400;
    uint32_t byte_rate = 262144;
    uint32_t byte_burst = 524288;  // at least 65535, one largest datagram
    uint32_t register_rate = 50;
    uint32_t register_burst = 100;
    uint32_t invite_rate = 20;
    uint32_t invite_burst = 40;
    uint32_t other_rate = 50;  // every other method
    uint32_t other_burst = 100;
    uint32_t abuse_drops = 500;  // drops within abuse_window that ban the source
    uint32_t abuse_window = 10;
    uint32_t ban_duration = 300;  // doubled on repeat, <= max_ban_duration
    uint32_t max_ban_duration = 86400;
    uint32_t repeat_memory = 86400;  // how long an ended ban (or lockout) still counts
    uint32_t source_auth_failures = 10;
    uint32_t source_auth_window = 600;
    uint32_t account_auth_failures = 20;
    uint32_t account_auth_window = 600;
    uint32_t lockout_duration = 300;  // doubled on repeat, <= max_lockout_duration
    uint32_t max_lockout_duration = 3600;
    uint32_t recent_success = 3600;  // 0: no exemption from a lockout
    std::vector<std::string> scanner_signatures{
        "friendly-scanner", "friendly-request", "sipvicious",  "sipcli", "sip-scan", "sipscan",
        "pplsip",           "sipptk",           "sundayddr",   "iwar",   "sivus",    "smap",
        "vaxsipuseragent",  "vaxipuseragent",   "siparmyknife"};
    bool ban_scanners = true;
    uint32_t max_entries = 100000;  // per table
    uint32_t max_bans = 100000;

    bool operator==(const Guard&) const = default;
  } guard;

  struct Store {
    // Relative paths resolve against the config file's directory; after loading it is absolute.
    std::filesystem::path database = "hardline.db";

    bool operator==(const Store&) const = default;
  } store;

  struct Log {
    std::string level = "info";  // trace|debug|info|warn|error

    bool operator==(const Log&) const = default;
  } log;

  // How `hardline serve` confines itself when started as root (src/os): it binds its sockets,
  // optionally chroots into the database's directory, sets resource limits, switches to
  // user:group, drops every capability, sets no_new_privs and installs a seccomp allow-list.
  struct System {
    std::string user = "hardline";
    std::string group = "hardline";
    bool chroot = true;                     // into the directory of store.database
    uint32_t max_open_files = 65536;        // RLIMIT_NOFILE, 64..1048576
    uint32_t max_processes = 64;            // RLIMIT_NPROC (threads count), 4..65536
    uint32_t max_address_space_mib = 4096;  // RLIMIT_AS, 0 = no limit, else 256..1048576

    bool operator==(const System&) const = default;
  } system;

  // The HTTP admin API, /metrics and /health (src/admin). Paths are relative to this file's
  // directory until loading makes them absolute.
  struct Admin {
    bool enabled = true;
    Endpoint listen{
        Protocol::kTcp, IpAddress{{127, 0, 0, 1}, false}, 8088, 0, {}};  // loopback
                                                                         // unless allow_remote
    bool allow_remote = false;              // a non-loopback listen needs this and TLS
    std::filesystem::path tls_certificate;  // PEM; both or neither
    std::filesystem::path tls_key;
    std::filesystem::path token_file = "admin-token.hash";  // argon2id hash of the bearer token
    std::filesystem::path access_log = "admin-access.log";  // every admin request, never the token

    bool operator==(const Admin&) const = default;
  } admin;

  // What may be logged or stored about people (checklist LOG-1..LOG-3).
  enum class PrivacyMode : uint8_t {
    kStats,     // counters only: no numbers, names, caller addresses or call records anywhere
    kSecurity,  // plus security events with their source address; still no numbers or names
    kDebug,     // everything; needs retention_days
  };
  struct Privacy {
    PrivacyMode mode = PrivacyMode::kStats;
    uint32_t retention_days = 0;  // stored records older than this are purged; 0 = keep none
                                  // beyond what the service needs (required >= 1 for debug)

    bool operator==(const Privacy&) const = default;
  } privacy;
  // Routing (routing_config.h): read from [sources], [[trunk]] and [dialplan], which may also
  // come from the file named by dialplan.include. Empty by default: then only authenticated
  // calls between local accounts are routed.
  std::vector<SourceCategory> sources;
  std::vector<Trunk> trunks;
  Dialplan dialplan;

  bool operator==(const Config&) const = default;
};

std::string_view privacy_mode_name(Config::PrivacyMode mode);  // "stats", "security", "debug"

// Open files `hardline serve` needs besides its SIP TCP connections, so that
// transport.max_tcp_connections of them never exhaust system.max_open_files (the loader refuses
// a config where they would: accept(2) would fail with EMFILE and the admin API, SQLite and the
// logs would starve with it). kFixedFileDescriptors covers what every server holds, about 25
// measured on an idle server, rounded up to leave room for what libraries open unseen: the
// standard streams; two SQLite connections (SIP loop and admin API) with their -wal and -shm
// files and SQLite's temporary files; two event loops (epoll, eventfd, timerfd each); the signal
// pipe; the service manager's socket; the admin API's listener, access log, token file and
// /proc/self/statm. Then one socket per sip.listen entry and kAdminMaxConnections for the admin
// API's connections.
inline constexpr uint32_t kFixedFileDescriptors = 64;
// The admin API's connections in total (src/admin HttpLimits::max_connections takes it).
inline constexpr uint32_t kAdminMaxConnections = 64;
uint32_t reserved_file_descriptors(const Config& config);

// A TOML basic string for `text`: quotes, backslashes and control characters escaped.
std::string toml_string(std::string_view text);

struct ConfigError {
  std::string file;
  uint32_t line = 0;    // 1-based; 0 when the error is about the whole file
  uint32_t column = 0;  // 1-based; 0 when unknown
  std::string message;  // the reason and the fix

  // "path:line:col: message", "path:line: message" or "path: message".
  std::string to_string() const;
};

// Reads and checks the file, and the dialplan file it includes (dialplan.include). The first
// error in file order is returned; an error in the included file names that file.
Result<Config, ConfigError> load_config(const std::filesystem::path& path);
// Checks `text` as if it were the content of `path` (which names it in errors and anchors the
// relative store path); does not touch the file system. When the text sets dialplan.include,
// the included file is not read: call parse_included_dialplan() with its content.
Result<Config, ConfigError> parse_config(std::string_view text, const std::filesystem::path& path);
// Checks `text` as the content of the included dialplan file `path` and adds what it holds
// ([sources], [[trunk]], [[dialplan.rule]]) to `config`, then checks every reference (trunk and
// source names) across both files. `config` comes from parse_config().
Result<void, ConfigError> parse_included_dialplan(std::string_view text,
                                                  const std::filesystem::path& path,
                                                  Config& config);
// The included file's path: dialplan.include resolved against the config file's directory.
std::filesystem::path included_dialplan_path(const Config& config);

// The sip.advertise entry of a listen address, or null.
const Config::Sip::Advertise* advertised(const Config::Sip& sip, const Endpoint& listen);
// A sip.advertise value: "HOST" or "HOST:PORT", the host a name, an IPv4 address or an IPv6
// address in brackets, never a wildcard; nullopt when it is none of these.
std::optional<Config::Sip::Advertise> parse_advertise(std::string_view text);

// The file `hardline init` writes: every setting at its secure default with a comment saying
// what it does, using the given domain and listen addresses.
// With `dialplan_include` set, the file names it in [dialplan] (what `hardline init` writes);
// without, it parses back to the defaults exactly.
std::string default_config_text(std::string_view domain, const std::vector<Endpoint>& listen,
                                std::string_view dialplan_include = {});
// The commented example dialplan `hardline init` writes beside the config: internal numbers,
// national and international dial-out for the group "dialout" only through a placeholder trunk,
// premium-rate numbers refused.
std::string example_dialplan_text();
// The `hardline dialplan test` file `hardline init` writes beside it (dialplan-tests.toml):
// cases that prove the example, premium-rate numbers refused in every form a phone can write.
std::string example_dialplan_tests_text();

// Where `-c` points by default: $HARDLINE_CONFIG when set and not empty, else
// /etc/hardline/hardline.toml.
std::filesystem::path default_config_path();

}  // namespace hardline::config
