#include "config/config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace hardline::config {
namespace {

namespace fs = std::filesystem;

const char* const kFile = "/etc/hardline/hardline.toml";

// The smallest valid config: three lines.
const std::string kMinimal =
    "[sip]\n"
    "domain = \"pbx.example.org\"\n"
    "listen = [\"udp:192.0.2.10:5060\"]\n";

Endpoint endpoint(const char* spec) {
  auto parsed = parse_endpoint_spec(spec);
  EXPECT_TRUE(parsed) << spec;
  return parsed.value_or(Endpoint{});
}

std::string describe(const Result<Config, ConfigError>& result) {
  return result ? "ok" : result.error().to_string();
}

TEST(DefaultConfigText, ParsesBackToTheDefaults) {
  const std::vector<Endpoint> listen = {endpoint("udp:192.0.2.10:5060"),
                                        endpoint("tcp:[2001:db8::10]:5061")};
  const std::string text = default_config_text("pbx.example.org", listen);
  auto parsed = parse_config(text, kFile);
  ASSERT_TRUE(parsed) << describe(parsed);

  Config expected;
  expected.file = kFile;
  expected.sip.domain = "pbx.example.org";
  expected.sip.listen = listen;
  expected.store.database = "/etc/hardline/hardline.db";
  expected.admin.token_file = "/etc/hardline/admin-token.hash";
  expected.admin.access_log = "/etc/hardline/admin-access.log";
  EXPECT_EQ(*parsed, expected);
  EXPECT_EQ(parsed->privacy.mode, Config::PrivacyMode::kStats);
  EXPECT_EQ(parsed->system.user, "hardline");
  EXPECT_TRUE(parsed->system.chroot);
  EXPECT_EQ(host_port(parsed->admin.listen), "127.0.0.1:8088");
  EXPECT_FALSE(parsed->admin.allow_remote);
  // Spelled out as well, so that a wrong default in the struct itself shows up here.
  EXPECT_TRUE(parsed->sip.aliases.empty());
  EXPECT_EQ(parsed->sip.server_header, "");
  EXPECT_EQ(parsed->sip.methods,
            (std::vector<sip::Method>{sip::Method::kRegister, sip::Method::kInvite,
                                      sip::Method::kAck, sip::Method::kBye, sip::Method::kCancel}));
  EXPECT_EQ(parsed->auth.algorithms,
            (std::vector<DigestAlgorithm>{DigestAlgorithm::kSha256, DigestAlgorithm::kMd5}));
  EXPECT_EQ(parsed->auth.nonce_lifetime, 300U);
  EXPECT_EQ(parsed->registrar.min_expires, 60U);
  EXPECT_EQ(parsed->registrar.max_expires, 3600U);
  EXPECT_EQ(parsed->registrar.max_contacts, 5U);
  EXPECT_EQ(parsed->transport.max_message_size, 65535U);
  EXPECT_EQ(parsed->transport.tcp_idle_timeout, 120U);
  EXPECT_EQ(parsed->transport.tcp_message_timeout, 10U);
  EXPECT_EQ(parsed->transport.max_tcp_connections, 1024U);
  EXPECT_EQ(parsed->transport.tcp_reserved_percent, 25U);
  EXPECT_EQ(parsed->transport.max_tcp_connections_per_source, 16U);
  EXPECT_EQ(parsed->transactions.max_total, 50000U);
  EXPECT_EQ(parsed->transactions.max_per_source, 500U);
  EXPECT_EQ(parsed->transactions.max_completed, 20000U);
  EXPECT_EQ(parsed->calls.ring_timeout, 60U);
  EXPECT_EQ(parsed->calls.max_duration, 14400U);
  EXPECT_EQ(parsed->calls.max_calls, 10000U);
  EXPECT_EQ(parsed->calls.max_calls_per_account, 10U);
  EXPECT_EQ(parsed->calls.max_forks, 10U);
  EXPECT_EQ(parsed->calls.max_hops, 5U);
  EXPECT_EQ(parsed->log.level, "info");
  const Config::Guard& guard = parsed->guard;
  EXPECT_TRUE(guard.enabled);
  EXPECT_TRUE(guard.trusted.empty());  // nothing trusted by default, loopback included
  // ... but loopback is never banned for what a forged source address can cause.
  ASSERT_EQ(guard.protected_networks.size(), 2U);
  EXPECT_EQ(to_string(guard.protected_networks[0]), "127.0.0.0/8");
  EXPECT_EQ(to_string(guard.protected_networks[1]), "::1/128");
  EXPECT_EQ(guard.source_prefix_v4, 32U);
  EXPECT_EQ(guard.source_prefix_v6, 64U);
  EXPECT_EQ(guard.packet_rate, 200U);
  EXPECT_EQ(guard.byte_burst, 524288U);
  EXPECT_EQ(guard.abuse_drops, 500U);
  EXPECT_EQ(guard.ban_duration, 300U);
  EXPECT_EQ(guard.max_ban_duration, 86400U);
  EXPECT_EQ(guard.source_auth_failures, 10U);
  EXPECT_EQ(guard.account_auth_failures, 20U);
  EXPECT_EQ(guard.max_lockout_duration, 3600U);
  EXPECT_EQ(guard.recent_success, 3600U);
  EXPECT_TRUE(guard.ban_scanners);
  EXPECT_EQ(guard.scanner_signatures.front(), "friendly-scanner");
  EXPECT_EQ(std::count(guard.scanner_signatures.begin(), guard.scanner_signatures.end(), "sipsak"),
            0);  // a legitimate tool, which the tests use
  EXPECT_EQ(guard.max_entries, 100000U);
}

// Every key the loader knows, by table.
const std::vector<std::pair<std::string, std::vector<std::string>>> kAllKeys = {
    {"sip", {"domain", "aliases", "listen", "server_header", "methods"}},
    {"auth", {"algorithms", "nonce_lifetime"}},
    {"registrar", {"min_expires", "max_expires", "max_contacts"}},
    {"transport",
     {"max_message_size", "tcp_idle_timeout", "tcp_message_timeout", "max_tcp_connections",
      "tcp_reserved_percent", "max_tcp_connections_per_source"}},
    {"transactions", {"max_total", "max_per_source", "max_completed"}},
    {"calls",
     {"ring_timeout", "max_duration", "max_calls", "max_calls_per_account", "max_forks",
      "max_hops"}},
    {"guard",
     {"enabled",
      "trusted",
      "protected",
      "source_prefix_v4",
      "source_prefix_v6",
      "packet_rate",
      "packet_burst",
      "byte_rate",
      "byte_burst",
      "register_rate",
      "register_burst",
      "invite_rate",
      "invite_burst",
      "other_rate",
      "other_burst",
      "abuse_drops",
      "abuse_window",
      "ban_duration",
      "max_ban_duration",
      "repeat_memory",
      "source_auth_failures",
      "source_auth_window",
      "account_auth_failures",
      "account_auth_window",
      "lockout_duration",
      "max_lockout_duration",
      "recent_success",
      "scanner_signatures",
      "ban_scanners",
      "max_entries",
      "max_bans"}},
    {"store", {"database"}},
    {"log", {"level"}},
    {"privacy", {"mode", "retention_days"}},
    {"system",
     {"user", "group", "chroot", "max_open_files", "max_processes", "max_address_space_mib"}},
    {"admin",
     {"enabled", "listen", "allow_remote", "tls_certificate", "tls_key", "token_file",
      "access_log"}},
};

TEST(DefaultConfigText, MentionsEveryKeyWithAComment) {
  const std::string text = default_config_text("pbx.example.org", {endpoint("udp:[::1]:5060")});
  size_t settings = 0;
  for (const auto& [table, keys] : kAllKeys) {
    const size_t table_at = text.find("\n[" + table + "]\n");
    ASSERT_NE(table_at, std::string::npos) << table;
    const size_t next_table = text.find("\n[", table_at + 1);
    for (const std::string& key : keys) {
      const size_t key_at = text.find("\n" + key + " = ", table_at);
      EXPECT_LT(key_at, next_table) << table << "." << key << " missing from its table";
      ++settings;
    }
  }
  // No setting the list above does not know of, and a comment before each group of settings.
  size_t lines_with_equals = 0;
  size_t position = 0;
  while ((position = text.find(" = ", position)) != std::string::npos) {
    const size_t line_start = text.rfind('\n', position) + 1;
    if (text[line_start] != '#') ++lines_with_equals;
    ++position;
  }
  EXPECT_EQ(lines_with_equals, settings);
  EXPECT_NE(text.find("# The SIP domain"), std::string::npos);
}

TEST(DefaultConfigText, KnowsExactlyTheKeysTheLoaderKnows) {
  // Each key listed is accepted by the loader (a wrong type is reported as a wrong type, not as
  // an unknown key), so the list above and the loader agree.
  for (const auto& [table, keys] : kAllKeys) {
    for (const std::string& key : keys) {
      std::string text = "[sip]\n";
      if (table != "sip" || key != "domain") text += "domain = \"pbx.example.org\"\n";
      if (table != "sip" || key != "listen") text += "listen = [\"udp:192.0.2.10:5060\"]\n";
      if (table != "sip") text += "[" + table + "]\n";
      text += key + " = {}\n";
      auto parsed = parse_config(text, kFile);
      ASSERT_FALSE(parsed) << table << "." << key;
      std::string expected = table;
      expected.append(".").append(key).append(" must be");
      EXPECT_NE(parsed.error().message.find(expected), std::string::npos)
          << parsed.error().to_string();
    }
  }
}

TEST(DefaultConfigText, EscapesWhatItIsGiven) {
  // A domain with a quote must not break out of its string: the loader then refuses the domain
  // itself, not the TOML around it.
  auto parsed = parse_config(
      default_config_text("evil\"\nlog = 1", {endpoint("udp:192.0.2.10:5060")}), kFile);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("sip.domain is not a valid host name"), std::string::npos)
      << parsed.error().to_string();
}

struct BadCase {
  const char* what;
  std::string text;
  uint32_t line;
  const char* message;  // a substring of the error's message
};

TEST(ParseConfig, AcceptsTheOperationsTables) {
  auto parsed = parse_config(kMinimal +
                                 "[admin]\nlisten = \"[2001:db8::1]:9443\"\nallow_remote = true\n"
                                 "tls_certificate = \"/etc/ssl/a.crt\"\ntls_key = \"a.key\"\n"
                                 "[privacy]\nmode = \"debug\"\nretention_days = 7\n"
                                 "[system]\nuser = \"pbx\"\nchroot = false\n"
                                 "max_address_space_mib = 0\n",
                             kFile);
  ASSERT_TRUE(parsed) << describe(parsed);
  EXPECT_EQ(host_port(parsed->admin.listen), "[2001:db8::1]:9443");
  EXPECT_EQ(parsed->admin.tls_certificate, "/etc/ssl/a.crt");
  EXPECT_EQ(parsed->admin.tls_key, "/etc/hardline/a.key");
  EXPECT_EQ(parsed->privacy.mode, Config::PrivacyMode::kDebug);
  EXPECT_EQ(parsed->privacy.retention_days, 7U);
  EXPECT_EQ(parsed->system.user, "pbx");
  EXPECT_FALSE(parsed->system.chroot);
  EXPECT_EQ(parsed->system.max_address_space_mib, 0U);
  // Loopback in either family needs nothing more.
  EXPECT_TRUE(parse_config(kMinimal + "[admin]\nlisten = \"[::1]:8088\"\n", kFile));
  EXPECT_TRUE(parse_config(kMinimal + "[admin]\nlisten = \"127.0.0.2:8088\"\n", kFile));
}

TEST(ParseConfig, RefusesEachMistakeAtItsLine) {
  const BadCase cases[] = {
      {"unknown key", kMinimal + "domian = \"pbx.example.org\"\n", 4,
       "unknown key 'domian' in [sip]: check its spelling"},
      {"unknown table", kMinimal + "\n[sipp]\nx = 1\n", 5, "unknown table [sipp]"},
      {"unknown dotted table", kMinimal + "[log.file]\npath = \"x\"\n", 4,
       "unknown key 'file' in [log]"},
      {"key outside any table", "verbose = true\n" + kMinimal, 1,
       "unknown key 'verbose' outside any table"},
      {"table that is a value", "sip = 5\n", 1, "sip must be a table, not an integer"},
      {"string for an integer", kMinimal + "[auth]\nnonce_lifetime = \"300\"\n", 5,
       "auth.nonce_lifetime must be an integer, not a string"},
      {"float for an integer", kMinimal + "[registrar]\nmin_expires = 60.5\n", 5,
       "registrar.min_expires must be an integer, not a floating-point number"},
      {"string for a list", kMinimal + "[auth]\nalgorithms = \"MD5\"\n", 5, "auth.algorithms"},
      {"unknown algorithm", kMinimal + "[auth]\nalgorithms = [\"SHA-512-256\"]\n", 5,
       "auth.algorithms entry 'SHA-512-256' is not supported"},
      {"no algorithm", kMinimal + "[auth]\nalgorithms = []\n", 5, "auth.algorithms is empty"},
      {"algorithm twice", kMinimal + "[auth]\nalgorithms = [\"MD5\", \"MD5\"]\n", 5,
       "auth.algorithms lists 'MD5' twice"},
      {"integer for a string", "[sip]\ndomain = 5\nlisten = [\"udp:192.0.2.10:5060\"]\n", 2,
       "sip.domain must be a string, not an integer"},
      {"string for an array", "[sip]\ndomain = \"a.example\"\nlisten = \"udp:192.0.2.10:5060\"\n",
       3, "sip.listen must be an array of strings, not a string"},
      {"below range", kMinimal + "[auth]\nnonce_lifetime = 10\n", 5,
       "auth.nonce_lifetime = 10 is out of range: use a whole number from 30 to 3600"},
      {"above range", kMinimal + "[registrar]\nmax_contacts = 101\n", 5, "from 1 to 100"},
      {"negative", kMinimal + "[transport]\ntcp_idle_timeout = -1\n", 5, "out of range"},
      {"no message deadline", kMinimal + "[transport]\ntcp_message_timeout = 0\n", 5,
       "transport.tcp_message_timeout = 0 is out of range: use a whole number from 1 to 600"},
      {"every slot reserved", kMinimal + "[transport]\ntcp_reserved_percent = 100\n", 5,
       "transport.tcp_reserved_percent = 100 is out of range: use a whole number from 0 to 90"},
      {"bad listen spec",
       "[sip]\ndomain = \"pbx.example.org\"\nlisten = [\n  \"udp:192.0.2.10:5060\",\n"
       "  \"udp:pbx.example.org:5060\",\n]\n",
       5, "sip.listen entry 'udp:pbx.example.org:5060' is not a listen address"},
      {"unbracketed IPv6 listen", "[sip]\ndomain = \"a.example\"\nlisten = [\"udp:::1:5060\"]\n", 3,
       "is not a listen address"},
      {"duplicate listen",
       "[sip]\ndomain = \"a.example\"\nlisten = [\"udp:192.0.2.1:5060\", \"udp:192.0.2.1:5060\"]\n",
       3, "twice"},
      {"empty listen", "[sip]\ndomain = \"a.example\"\nlisten = []\n", 3, "sip.listen is empty"},
      {"bad method", kMinimal + "methods = [\"REGISTER\",\n  \"invite\"]\n", 5,
       "sip.methods entry 'invite' is not a method Hardline supports"},
      {"extension method", kMinimal + "methods = [\"FOO\"]\n", 4, "is not a method"},
      {"method not a string", kMinimal + "methods = [\"REGISTER\", 5]\n", 4,
       "each entry of sip.methods must be a string"},
      {"min above max", kMinimal + "[registrar]\nmin_expires = 600\nmax_expires = 300\n", 5,
       "registrar.min_expires (600) is above registrar.max_expires (300)"},
      {"max below default min", kMinimal + "[registrar]\nmax_expires = 30\n", 5,
       "is above registrar.max_expires (30)"},
      {"ring timeout too short", kMinimal + "[calls]\nring_timeout = 1\n", 5,
       "calls.ring_timeout = 1 is out of range: use a whole number from 5 to 600"},
      {"unknown calls key", kMinimal + "[calls]\nring_time = 10\n", 5,
       "unknown key 'ring_time' in [calls]"},
      {"per-source above total",
       kMinimal + "[transactions]\nmax_total = 100\nmax_per_source = 500\n", 6,
       "transactions.max_per_source (500) is above transactions.max_total (100)"},
      {"total below default per-source", kMinimal + "[transport]\nmax_tcp_connections = 8\n", 5,
       "max_tcp_connections_per_source (16) is above"},
      {"server header with version", kMinimal + "server_header = \"Hardline 0.1.0\"\n", 4,
       "sip.server_header contains a version number"},
      {"server header with short version", kMinimal + "server_header = \"Hardline/2.4\"\n", 4,
       "version number"},
      {"server header with a line break", kMinimal + "server_header = \"a\\r\\nX-Evil: 1\"\n", 4,
       "printable ASCII"},
      {"missing domain", "# comment\n[sip]\nlisten = [\"udp:192.0.2.10:5060\"]\n", 2,
       "[sip] has no domain"},
      {"missing listen", "[sip]\ndomain = \"a.example\"\n", 1, "[sip] has no listen addresses"},
      {"missing sip table", "[auth]\nnonce_lifetime = 300\n", 0, "there is no [sip] table"},
      {"empty file", "", 0, "there is no [sip] table"},
      {"bad domain", "[sip]\ndomain = \"pbx example.org\"\nlisten = [\"udp:192.0.2.1:5060\"]\n", 2,
       "sip.domain is not a valid host name"},
      {"empty domain", "[sip]\ndomain = \"\"\nlisten = [\"udp:192.0.2.1:5060\"]\n", 2,
       "not a valid host name"},
      {"bad alias", kMinimal + "aliases = [\"ok.example\", \"bad_alias\"]\n", 4,
       "sip.aliases entry 'bad_alias' is not a valid host name"},
      {"bad log level", kMinimal + "[log]\nlevel = \"verbose\"\n", 5,
       "log.level 'verbose' is not a log level"},
      {"empty database", kMinimal + "[store]\ndatabase = \"\"\n", 5,
       "store.database must be a file path"},
      {"max_completed is not a transport setting", kMinimal + "[transport]\nmax_completed = 5\n", 5,
       "unknown key 'max_completed' in [transport]"},
      {"guard: unknown key", kMinimal + "[guard]\nban_time = 60\n", 5,
       "unknown key 'ban_time' in [guard]: check its spelling"},
      {"guard: string for a boolean", kMinimal + "[guard]\nenabled = \"yes\"\n", 5,
       "guard.enabled must be a boolean, not a string: write true or false"},
      {"guard: integer for a boolean", kMinimal + "[guard]\nban_scanners = 1\n", 5,
       "guard.ban_scanners must be a boolean, not an integer"},
      {"guard: invalid trusted network",
       kMinimal + "[guard]\ntrusted = [\"192.0.2.0/24\",\n  \"office\"]\n", 6,
       "guard.trusted entry 'office' is not an address or a network"},
      {"guard: prefix too long", kMinimal + "[guard]\ntrusted = [\"192.0.2.0/33\"]\n", 5,
       "guard.trusted entry '192.0.2.0/33' is not an address or a network"},
      {"guard: host bits set", kMinimal + "[guard]\ntrusted = [\"10.0.0.1/8\"]\n", 5,
       "guard.trusted entry '10.0.0.1/8' has bits set beyond its prefix: write the network, "
       "\"10.0.0.0/8\""},
      {"guard: IPv6 host bits set", kMinimal + "[guard]\ntrusted = [\"2001:db8::1/32\"]\n", 5,
       "\"2001:db8::/32\""},
      {"guard: everyone trusted", kMinimal + "[guard]\ntrusted = [\"::/0\"]\n", 5,
       "trusts every address"},
      {"guard: trusted twice", kMinimal + "[guard]\ntrusted = [\"10.0.0.0/8\", \"10.0.0.0/8\"]\n",
       5, "guard.trusted lists '10.0.0.0/8' twice"},
      {"guard: trusted not a list", kMinimal + "[guard]\ntrusted = \"10.0.0.0/8\"\n", 5,
       "guard.trusted must be an array of strings"},
      {"guard: everyone protected", kMinimal + "[guard]\nprotected = [\"0.0.0.0/0\"]\n", 5,
       "guard.protected entry '0.0.0.0/0' protects every address"},
      {"guard: protected host bits set", kMinimal + "[guard]\nprotected = [\"127.0.0.1/8\"]\n", 5,
       "guard.protected entry '127.0.0.1/8' has bits set beyond its prefix: write the network, "
       "\"127.0.0.0/8\""},
      {"guard: protected twice", kMinimal + "[guard]\nprotected = [\"::1\", \"::1/128\"]\n", 5,
       "guard.protected lists '::1/128' twice"},
      {"guard: zero rate", kMinimal + "[guard]\npacket_rate = 0\n", 5,
       "guard.packet_rate = 0 is out of range: use a whole number from 1 to 10000000"},
      {"guard: byte burst below a datagram", kMinimal + "[guard]\nbyte_burst = 1500\n", 5,
       "guard.byte_burst = 1500 is out of range: use a whole number from 65535"},
      {"guard: IPv6 prefix too short", kMinimal + "[guard]\nsource_prefix_v6 = 16\n", 5,
       "from 32 to 128"},
      {"guard: too many failures", kMinimal + "[guard]\nsource_auth_failures = 101\n", 5,
       "from 1 to 100"},
      {"guard: duration as a string", kMinimal + "[guard]\nban_duration = \"5m\"\n", 5,
       "guard.ban_duration must be an integer, not a string"},
      {"guard: first ban above the maximum",
       kMinimal + "[guard]\nban_duration = 7200\nmax_ban_duration = 3600\n", 5,
       "guard.ban_duration (7200) is above guard.max_ban_duration (3600)"},
      {"guard: maximum below the default first ban", kMinimal + "[guard]\nmax_ban_duration = 60\n",
       5, "guard.ban_duration (300) is above guard.max_ban_duration (60)"},
      {"guard: first lockout above the maximum", kMinimal + "[guard]\nlockout_duration = 7200\n", 5,
       "guard.lockout_duration (7200) is above guard.max_lockout_duration (3600)"},
      {"guard: empty signature",
       kMinimal + "[guard]\nscanner_signatures = [\"ok-scanner\", \"\"]\n", 5,
       "guard.scanner_signatures entry '' must be 3 to 64 printable ASCII characters"},
      {"guard: signature with a control byte",
       kMinimal + "[guard]\nscanner_signatures = [\"a\\tb\"]\n", 5,
       "must be 3 to 64 printable ASCII characters"},
      {"guard: signature twice", kMinimal + "[guard]\nscanner_signatures = [\"iWar\", \"iwar\"]\n",
       5, "guard.scanner_signatures lists 'iwar' twice (case does not matter)"},
      {"guard: a table that is a value", "guard = true\n" + kMinimal, 1,
       "guard must be a table, not a boolean"},
      {"system: root", kMinimal + "[system]\nuser = \"root\"\n", 5,
       "system.user = \"root\" would keep the server running as root"},
      {"system: bad name", kMinimal + "[system]\ngroup = \"Hard Line\"\n", 5,
       "system.group 'Hard Line' is not a system account name"},
      {"system: tiny address space", kMinimal + "[system]\nmax_address_space_mib = 16\n", 5,
       "use 0 (no limit) or at least 256"},
      {"admin: public without allow_remote", kMinimal + "[admin]\nlisten = \"192.0.2.10:8088\"\n",
       5, "admin.listen 192.0.2.10:8088 is not a loopback address"},
      {"admin: public without TLS",
       kMinimal + "[admin]\nallow_remote = true\nlisten = \"[2001:db8::1]:8088\"\n", 6,
       "has no TLS"},
      {"admin: bad listen", kMinimal + "[admin]\nlisten = \"localhost\"\n", 5,
       "admin.listen 'localhost' is not ADDRESS:PORT"},
      {"admin: key without certificate", kMinimal + "[admin]\n\ntls_key = \"a.key\"\n", 4,
       "names only one of tls_certificate and tls_key"},
      {"privacy: unknown mode", kMinimal + "[privacy]\nmode = \"none\"\n", 5,
       "privacy.mode 'none' is not a privacy mode"},
      {"privacy: debug without retention", kMinimal + "[privacy]\nmode = \"debug\"\n", 5,
       "needs a limit: set retention_days"},
      {"TOML syntax: bare word", kMinimal + "[auth]\nnonce_lifetime = yes\n", 5,
       "TOML syntax error"},
      {"TOML syntax: duplicate key", kMinimal + "domain = \"b.example\"\n", 4, "TOML syntax error"},
      {"TOML syntax: unclosed table", kMinimal + "[auth\n", 4, "TOML syntax error"},
  };
  for (const BadCase& c : cases) {
    auto parsed = parse_config(c.text, kFile);
    ASSERT_FALSE(parsed) << c.what;
    const ConfigError& error = parsed.error();
    EXPECT_EQ(error.file, kFile) << c.what;
    EXPECT_EQ(error.line, c.line) << c.what << ": " << error.to_string();
    EXPECT_NE(error.message.find(c.message), std::string::npos)
        << c.what << ": " << error.to_string();
  }
}

// sip.advertise (issue 13, item 2): one value for every listener, or a table per listener.
TEST(ParseConfig, ReadsAdvertise) {
  const std::string listen =
      "[sip]\ndomain = \"pbx.example.org\"\n"
      "listen = [\"udp:0.0.0.0:5060\", \"tcp:[::]:5061\"]\n";
  struct Case {
    const char* value;
    std::vector<Config::Sip::Advertise> expected;
  };
  const Endpoint udp = endpoint("udp:0.0.0.0:5060");
  const Endpoint tcp = endpoint("tcp:[::]:5061");
  const Case cases[] = {
      {"\"pbx.example.org\"", {{udp, "pbx.example.org", 0}, {tcp, "pbx.example.org", 0}}},
      {"\"203.0.113.5:5080\"", {{udp, "203.0.113.5", 5080}, {tcp, "203.0.113.5", 5080}}},
      {"\"[2001:db8::5]\"", {{udp, "[2001:db8::5]", 0}, {tcp, "[2001:db8::5]", 0}}},
      {"\"[2001:db8::5]:65535\"", {{udp, "[2001:db8::5]", 65535}, {tcp, "[2001:db8::5]", 65535}}},
      {"{ \"udp:0.0.0.0:5060\" = \"198.51.100.1\" }", {{udp, "198.51.100.1", 0}}},
      {"{ \"tcp:[::]:5061\" = \"sip.example.org:5061\", \"udp:0.0.0.0:5060\" = \"a.example\" }",
       {{tcp, "sip.example.org", 5061}, {udp, "a.example", 0}}},
      {"{}", {}},
  };
  for (const Case& c : cases) {
    auto parsed = parse_config(listen + "advertise = " + c.value + "\n", kFile);
    ASSERT_TRUE(parsed) << c.value << ": " << describe(parsed);
    auto sorted = [](std::vector<Config::Sip::Advertise> v) {
      std::sort(v.begin(), v.end(),
                [](const auto& a, const auto& b) { return to_spec(a.listen) < to_spec(b.listen); });
      return v;
    };
    EXPECT_EQ(sorted(parsed->sip.advertise), sorted(c.expected)) << c.value;
  }
  auto parsed = parse_config(listen + "advertise = { \"tcp:[::]:5061\" = \"a.example\" }\n", kFile);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(advertised(parsed->sip, udp), nullptr);
  ASSERT_NE(advertised(parsed->sip, tcp), nullptr);
  EXPECT_EQ(advertised(parsed->sip, tcp)->host, "a.example");
}

TEST(ParseConfig, RefusesABadAdvertiseAtItsLine) {
  const std::string head = "[sip]\ndomain = \"pbx.example.org\"\nlisten = [\"udp:0.0.0.0:5060\"]\n";
  const char* const kValue = "is not a name or address phones can reach";
  const BadCase cases[] = {
      {"wildcard", head + "advertise = \"0.0.0.0\"\n", 4, kValue},
      {"IPv6 wildcard", head + "advertise = \"[::]:5060\"\n", 4, kValue},
      {"bare IPv6", head + "advertise = \"2001:db8::5\"\n", 4, kValue},
      {"port 0", head + "advertise = \"pbx.example.org:0\"\n", 4, kValue},
      {"port too large", head + "advertise = \"pbx.example.org:65536\"\n", 4, kValue},
      {"empty port", head + "advertise = \"pbx.example.org:\"\n", 4, kValue},
      {"signed port", head + "advertise = \"pbx.example.org:+5060\"\n", 4, kValue},
      {"bad name", head + "advertise = \"pbx_example!org\"\n", 4, kValue},
      {"empty", head + "advertise = \"\"\n", 4, kValue},
      {"scheme", head + "advertise = \"sip:pbx.example.org\"\n", 4, kValue},
      {"unclosed bracket", head + "advertise = \"[2001:db8::5\"\n", 4, kValue},
      {"junk after bracket", head + "advertise = \"[2001:db8::5]x\"\n", 4, kValue},
      {"wrong type", head + "advertise = 5\n", 4,
       "sip.advertise must be a string (the name or address for every listen address) or a "
       "table of listen address = name, not an integer"},
      {"array", head + "advertise = [\"a.example\"]\n", 4, "sip.advertise must be a string"},
      {"table value not a string", head + "advertise = { \"udp:0.0.0.0:5060\" = 5 }\n", 4,
       "each value of sip.advertise must be a string, not an integer"},
      {"bad value in the table",
       head + "[sip.advertise]\n\"udp:0.0.0.0:5060\" = \"0.0.0.0:5060\"\n", 5, kValue},
      {"a listener not listened on",
       head + "advertise = { \"udp:0.0.0.0:5070\" = \"a.example\" }\n", 4,
       "sip.advertise names 'udp:0.0.0.0:5070', which is not in sip.listen"},
      {"not a listen spec", head + "advertise = { \"0.0.0.0:5060\" = \"a.example\" }\n", 4,
       "which is not in sip.listen: use a listen entry as written there"},
      {"the same listener twice",
       head + "advertise = { \"udp:0.0.0.0:5060\" = \"a.example\", "
              "\"udp:0.0.0.0:05060\" = \"b.example\" }\n",
       4, "twice"},
  };
  for (const BadCase& c : cases) {
    auto parsed = parse_config(c.text, kFile);
    ASSERT_FALSE(parsed) << c.what;
    EXPECT_EQ(parsed.error().line, c.line) << c.what << ": " << parsed.error().to_string();
    EXPECT_NE(parsed.error().message.find(c.message), std::string::npos)
        << c.what << ": " << parsed.error().to_string();
  }
}

TEST(DefaultConfigText, ShowsAdvertiseCommentedOut) {
  const std::string text = default_config_text("pbx.example.org", {endpoint("udp:[::1]:5060")});
  EXPECT_NE(text.find("\n# advertise = \"203.0.113.5\"\n"), std::string::npos);
  auto parsed = parse_config(text, kFile);
  ASSERT_TRUE(parsed) << describe(parsed);
  EXPECT_TRUE(parsed->sip.advertise.empty());
}

// Issue 13: the hint "strings need double quotes" was given for match = "\d{3}", which is in
// double quotes already; what it needs is single quotes.
TEST(ParseConfig, TomlSyntaxErrorsGetTheHintThatFitsThem) {
  struct Case {
    std::string text;
    std::string hint;
    std::string not_hint;
  };
  const std::vector<Case> cases = {
      {"[dialplan]\ninternal_numbers = \"\\d{3}\"\n",
       "write patterns and other text with "
       "backslashes in single quotes",
       "strings need quotes"},
      {"[dialplan]\ninternal_numbers = \"0\\.9\"\n", "e.g. match = '\\d{3}'",
       "strings need quotes"},
      {"[auth]\nnonce_lifetime = yes\n", "strings need quotes", "backslash"},
      {"[auth\n", "tables are written [name]", "backslash"},
  };
  for (const Case& c : cases) {
    auto parsed = parse_config(kMinimal + c.text, kFile);
    ASSERT_FALSE(parsed) << c.text;
    EXPECT_NE(parsed.error().message.find("TOML syntax error"), std::string::npos);
    EXPECT_NE(parsed.error().message.find(c.hint), std::string::npos)
        << c.text << ": " << parsed.error().to_string();
    EXPECT_EQ(parsed.error().message.find(c.not_hint), std::string::npos)
        << c.text << ": " << parsed.error().to_string();
  }
  // The included dialplan file gives the same hint.
  Config config;
  config.file = kFile;
  auto included = parse_included_dialplan("[[dialplan.rule]]\nmatch = \"\\d{3}\"\n",
                                          "/etc/hardline/dialplan.toml", config);
  ASSERT_FALSE(included);
  EXPECT_EQ(included.error().line, 2U);
  EXPECT_NE(included.error().message.find("in single quotes"), std::string::npos)
      << included.error().to_string();
}

TEST(ParseConfig, ErrorsPointAtTheKeyAndSayHowToFixIt) {
  auto parsed = parse_config(kMinimal + "  domian = \"x\"\n", kFile);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().line, 4U);
  EXPECT_EQ(parsed.error().column, 3U);
  EXPECT_EQ(parsed.error().to_string().rfind(std::string(kFile) + ":4:3: unknown key", 0), 0U)
      << parsed.error().to_string();
  EXPECT_NE(
      parsed.error().message.find("domain, aliases, listen, advertise, server_header, methods"),
      std::string::npos);
}

TEST(ParseConfig, ReportsTheFirstErrorInFileOrder) {
  // [log] comes after [auth] in the parsed table's key order but first in the file.
  auto parsed =
      parse_config(kMinimal + "[log]\nlevel = \"loud\"\n[auth]\nnonce_lifetime = true\n", kFile);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().line, 5U) << parsed.error().to_string();
}

TEST(ParseConfig, ControlBytesInKeysDoNotReachTheMessage) {
  auto parsed = parse_config(kMinimal + "\"evil\\u001b[31m\" = 1\n", kFile);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message.find('\x1b'), std::string::npos);
  EXPECT_NE(parsed.error().message.find("evil?[31m"), std::string::npos)
      << parsed.error().to_string();
}

TEST(ParseConfig, ReadsEverySetting) {
  const std::string text = R"(
[sip]
domain = "pbx.example.org"
aliases = ["sip.example.org", "192.0.2.10", "[2001:db8::10]"]
listen = ["udp:192.0.2.10:5060", "tcp:[2001:db8::10]:5060"]
server_header = "Hardline"
methods = ["REGISTER", "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "MESSAGE"]
[auth]
algorithms = ["SHA-256"]
nonce_lifetime = 30
[registrar]
min_expires = 3600
max_expires = 3600
max_contacts = 100
[transport]
max_message_size = 1024
tcp_idle_timeout = 30
tcp_message_timeout = 3
max_tcp_connections = 10
tcp_reserved_percent = 90
max_tcp_connections_per_source = 10
[transactions]
max_total = 10
max_per_source = 1
max_completed = 7
[calls]
ring_timeout = 30
max_duration = 3600
max_calls = 500
max_calls_per_account = 2
max_forks = 3
max_hops = 2
[guard]
enabled = false
trusted = ["192.0.2.0/24", "2001:db8:1::/48", "198.51.100.7", "[2001:db8::5]"]
source_prefix_v4 = 24
source_prefix_v6 = 56
packet_rate = 1000
packet_burst = 2000
byte_rate = 1048576
byte_burst = 2097152
register_rate = 200
register_burst = 400
invite_rate = 100
invite_burst = 200
other_rate = 300
other_burst = 600
abuse_drops = 1000
abuse_window = 30
ban_duration = 600
max_ban_duration = 604800
repeat_memory = 0
source_auth_failures = 5
source_auth_window = 300
account_auth_failures = 50
account_auth_window = 3600
lockout_duration = 60
max_lockout_duration = 86400
recent_success = 0
scanner_signatures = ["friendly-scanner", "EvilBot/2"]
ban_scanners = false
max_entries = 1000
max_bans = 100
[store]
database = "/var/lib/hardline/hardline.db"
[log]
level = "warn"
)";
  auto parsed = parse_config(text, kFile);
  ASSERT_TRUE(parsed) << describe(parsed);
  const Config& config = *parsed;
  EXPECT_EQ(config.sip.aliases,
            (std::vector<std::string>{"sip.example.org", "192.0.2.10", "[2001:db8::10]"}));
  EXPECT_EQ(config.sip.listen, (std::vector<Endpoint>{endpoint("udp:192.0.2.10:5060"),
                                                      endpoint("tcp:[2001:db8::10]:5060")}));
  EXPECT_EQ(config.sip.server_header, "Hardline");
  EXPECT_EQ(config.sip.methods.size(), 7U);
  EXPECT_EQ(config.sip.methods[5], sip::Method::kOptions);
  EXPECT_EQ(config.sip.methods[6], sip::Method::kMessage);
  EXPECT_EQ(config.auth.algorithms, std::vector<DigestAlgorithm>{DigestAlgorithm::kSha256});
  EXPECT_EQ(config.auth.nonce_lifetime, 30U);
  EXPECT_EQ(config.registrar.min_expires, 3600U);
  EXPECT_EQ(config.registrar.max_contacts, 100U);
  EXPECT_EQ(config.transport.max_message_size, 1024U);
  EXPECT_EQ(config.transport.tcp_idle_timeout, 30U);
  EXPECT_EQ(config.transport.tcp_message_timeout, 3U);
  EXPECT_EQ(config.transport.max_tcp_connections, 10U);
  EXPECT_EQ(config.transport.tcp_reserved_percent, 90U);
  EXPECT_EQ(config.transport.max_tcp_connections_per_source, 10U);
  EXPECT_EQ(config.transactions.max_total, 10U);
  EXPECT_EQ(config.transactions.max_per_source, 1U);
  EXPECT_EQ(config.transactions.max_completed, 7U);
  EXPECT_EQ(config.calls.ring_timeout, 30U);
  EXPECT_EQ(config.calls.max_duration, 3600U);
  EXPECT_EQ(config.calls.max_calls, 500U);
  EXPECT_EQ(config.calls.max_calls_per_account, 2U);
  EXPECT_EQ(config.calls.max_forks, 3U);
  EXPECT_EQ(config.calls.max_hops, 2U);
  EXPECT_EQ(config.store.database, "/var/lib/hardline/hardline.db");
  EXPECT_EQ(config.log.level, "warn");
  const Config::Guard& guard = config.guard;
  EXPECT_FALSE(guard.enabled);
  ASSERT_EQ(guard.trusted.size(), 4U);
  EXPECT_EQ(to_string(guard.trusted[0]), "192.0.2.0/24");
  EXPECT_EQ(to_string(guard.trusted[1]), "2001:db8:1::/48");
  EXPECT_EQ(to_string(guard.trusted[2]), "198.51.100.7/32");
  EXPECT_EQ(to_string(guard.trusted[3]), "2001:db8::5/128");
  EXPECT_EQ(guard.source_prefix_v4, 24U);
  EXPECT_EQ(guard.source_prefix_v6, 56U);
  EXPECT_EQ(guard.packet_rate, 1000U);
  EXPECT_EQ(guard.packet_burst, 2000U);
  EXPECT_EQ(guard.byte_rate, 1048576U);
  EXPECT_EQ(guard.byte_burst, 2097152U);
  EXPECT_EQ(guard.register_rate, 200U);
  EXPECT_EQ(guard.register_burst, 400U);
  EXPECT_EQ(guard.invite_rate, 100U);
  EXPECT_EQ(guard.invite_burst, 200U);
  EXPECT_EQ(guard.other_rate, 300U);
  EXPECT_EQ(guard.other_burst, 600U);
  EXPECT_EQ(guard.abuse_drops, 1000U);
  EXPECT_EQ(guard.abuse_window, 30U);
  EXPECT_EQ(guard.ban_duration, 600U);
  EXPECT_EQ(guard.max_ban_duration, 604800U);
  EXPECT_EQ(guard.repeat_memory, 0U);
  EXPECT_EQ(guard.source_auth_failures, 5U);
  EXPECT_EQ(guard.source_auth_window, 300U);
  EXPECT_EQ(guard.account_auth_failures, 50U);
  EXPECT_EQ(guard.account_auth_window, 3600U);
  EXPECT_EQ(guard.lockout_duration, 60U);
  EXPECT_EQ(guard.max_lockout_duration, 86400U);
  EXPECT_EQ(guard.recent_success, 0U);
  EXPECT_EQ(guard.scanner_signatures, (std::vector<std::string>{"friendly-scanner", "EvilBot/2"}));
  EXPECT_FALSE(guard.ban_scanners);
  EXPECT_EQ(guard.max_entries, 1000U);
  EXPECT_EQ(guard.max_bans, 100U);
}

TEST(ParseConfig, AnEmptySignatureListAndNoTrustedNetworksAreValid) {
  auto parsed = parse_config(kMinimal + "[guard]\nscanner_signatures = []\ntrusted = []\n", kFile);
  ASSERT_TRUE(parsed) << describe(parsed);
  EXPECT_TRUE(parsed->guard.scanner_signatures.empty());
  EXPECT_TRUE(parsed->guard.trusted.empty());
}

TEST(ParseConfig, StorePathResolvesAgainstTheConfigDirectory) {
  struct Case {
    const char* config_file;
    const char* database;
    fs::path expected;
  };
  const Case cases[] = {
      {"/srv/hardline/conf/hardline.toml", "data/hardline.db",
       "/srv/hardline/conf/data/hardline.db"},
      {"/srv/hardline/conf/hardline.toml", "../db/x.db", "/srv/hardline/db/x.db"},
      {"/srv/hardline/conf/hardline.toml", "/var/lib/hardline/x.db", "/var/lib/hardline/x.db"},
      {"conf/hardline.toml", "x.db", fs::current_path() / "conf" / "x.db"},
  };
  for (const Case& c : cases) {
    auto parsed =
        parse_config(kMinimal + "[store]\ndatabase = \"" + c.database + "\"\n", c.config_file);
    ASSERT_TRUE(parsed) << describe(parsed);
    EXPECT_EQ(parsed->store.database, c.expected) << c.config_file << " " << c.database;
    EXPECT_TRUE(parsed->file.is_absolute());
  }
  // The default database name resolves too.
  auto parsed = parse_config(kMinimal, "/srv/a/hardline.toml");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->store.database, "/srv/a/hardline.db");
}

TEST(ConfigError, Formats) {
  EXPECT_EQ((ConfigError{"a.toml", 3, 7, "bad"}).to_string(), "a.toml:3:7: bad");
  EXPECT_EQ((ConfigError{"a.toml", 3, 0, "bad"}).to_string(), "a.toml:3: bad");
  EXPECT_EQ((ConfigError{"a.toml", 0, 0, "bad"}).to_string(), "a.toml: bad");
}

class LoadConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "hardline-config-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  fs::path write(const std::string& name, const std::string& text) {
    fs::path path = dir_ / name;
    std::ofstream(path) << text;
    return path;
  }
  fs::path dir_;
};

TEST_F(LoadConfigTest, LoadsAFile) {
  const fs::path path = write("hardline.toml", kMinimal + "[store]\ndatabase = \"hl.db\"\n");
  auto loaded = load_config(path);
  ASSERT_TRUE(loaded) << describe(loaded);
  EXPECT_EQ(loaded->file, path);
  EXPECT_EQ(loaded->sip.domain, "pbx.example.org");
  EXPECT_EQ(loaded->store.database, dir_ / "hl.db");
}

TEST_F(LoadConfigTest, NamesTheFileInEveryError) {
  const fs::path bad = write("bad.toml", kMinimal + "[auth]\nnonce_lifetime = 1\n");
  auto loaded = load_config(bad);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().to_string().rfind(bad.string() + ":5:", 0), 0U)
      << loaded.error().to_string();

  auto missing = load_config(dir_ / "missing.toml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().file, (dir_ / "missing.toml").string());
  EXPECT_NE(missing.error().message.find("hardline init"), std::string::npos);

  auto directory = load_config(dir_);
  ASSERT_FALSE(directory);
  EXPECT_NE(directory.error().message.find("not a regular file"), std::string::npos);
}

TEST(DefaultConfigPath, EnvironmentThenEtc) {
  const char* saved = std::getenv("HARDLINE_CONFIG");
  const std::string saved_value = saved ? saved : "";
  setenv("HARDLINE_CONFIG", "/tmp/elsewhere.toml", 1);
  EXPECT_EQ(default_config_path(), "/tmp/elsewhere.toml");
  setenv("HARDLINE_CONFIG", "", 1);
  EXPECT_EQ(default_config_path(), "/etc/hardline/hardline.toml");
  unsetenv("HARDLINE_CONFIG");
  EXPECT_EQ(default_config_path(), "/etc/hardline/hardline.toml");
  if (saved) setenv("HARDLINE_CONFIG", saved_value.c_str(), 1);
}

// transport.max_tcp_connections plus what the server holds besides (the database, listeners,
// admin API and its connections) must fit in system.max_open_files: otherwise accept(2) fails
// with EMFILE under load and the admin API and SQLite starve with it (issue 13, item 12).
TEST(ParseConfig, RefusesMoreConnectionsThanOpenFilesAllow) {
  // kMinimal listens once: 64 fixed + 1 listener + 64 admin connections = 129 reserved.
  struct Case {
    const char* what;
    std::string text;
    uint32_t line;        // 0: accepted
    const char* message;  // a substring of the error's message
  };
  const Case cases[] = {
      {"exactly enough",
       kMinimal + "[transport]\nmax_tcp_connections = 1000\n"
                  "[system]\nmax_open_files = 1129\n",
       0, ""},
      {"one file short",
       kMinimal + "[transport]\nmax_tcp_connections = 1000\n"
                  "[system]\nmax_open_files = 1128\n",
       5,
       "transport.max_tcp_connections = 1000 needs 1129 open files (129 more for the database, "
       "the listeners, the admin API and its connections), but system.max_open_files = 1128: "
       "raise system.max_open_files to at least 1129 or lower "
       "transport.max_tcp_connections to at most 999"},
      {"system first: still the connections' line",
       kMinimal + "[system]\nmax_open_files = 1128\n[transport]\nmax_tcp_connections = 1000\n", 7,
       "needs 1129 open files"},
      {"only max_open_files written: its line (default 1024 connections)",
       kMinimal + "[system]\nmax_open_files = 1000\n", 5,
       "transport.max_tcp_connections = 1024 needs 1153 open files"},
      {"below the reserve itself: no connection count would do",
       kMinimal + "[transport]\nmax_tcp_connections = 16\n[system]\nmax_open_files = 64\n", 5,
       "raise system.max_open_files to at least 145"},
      {"no admin API: its connections are not reserved",
       kMinimal + "[transport]\nmax_tcp_connections = 1000\n[system]\nmax_open_files = 1065\n"
                  "[admin]\nenabled = false\n",
       0, ""},
      {"each listen address takes one",
       "[sip]\ndomain = \"pbx.example.org\"\n"
       "listen = [\"udp:192.0.2.10:5060\", \"tcp:192.0.2.10:5060\"]\n"
       "[transport]\nmax_tcp_connections = 1000\n[system]\nmax_open_files = 1129\n",
       5, "needs 1130 open files"},
      {"another mistake is reported alone",
       kMinimal + "[transport]\nmax_tcp_connections = 1000\n[system]\nmax_open_files = 1\n", 7,
       "system.max_open_files = 1 is out of range"},
  };
  for (const Case& c : cases) {
    auto parsed = parse_config(c.text, kFile);
    if (c.line == 0) {
      EXPECT_TRUE(parsed) << c.what << ": " << describe(parsed);
      continue;
    }
    ASSERT_FALSE(parsed) << c.what;
    EXPECT_EQ(parsed.error().line, c.line) << c.what << ": " << parsed.error().to_string();
    EXPECT_NE(parsed.error().message.find(c.message), std::string::npos)
        << c.what << ": " << parsed.error().to_string();
  }
  EXPECT_EQ(reserved_file_descriptors(Config{}), kFixedFileDescriptors + kAdminMaxConnections);
}
}  // namespace
}  // namespace hardline::config
