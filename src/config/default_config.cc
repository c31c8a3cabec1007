// The file `hardline init` writes. Values come from Config's own defaults, so the text and the
// struct cannot drift apart; the tests parse it back.
#include <cstdio>
#include <string>

#include "config/config.h"

namespace hardline::config {

std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04X", static_cast<unsigned>(byte));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

namespace {

template <class T, class Format>
std::string toml_array(const std::vector<T>& values, Format format) {
  std::string out = "[";
  for (const T& value : values) {
    if (out.size() > 1) out += ", ";
    out += toml_string(format(value));
  }
  return out + "]";
}

// A TOML array of strings on several lines, each at most about 90 columns.
std::string toml_array_wrapped(const std::vector<std::string>& values) {
  std::string out = "[\n";
  std::string line;
  for (const std::string& value : values) {
    const std::string item = toml_string(value) + ",";
    if (!line.empty() && line.size() + 1 + item.size() > 88) {
      out += "  " + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + item;
  }
  if (!line.empty()) out += "  " + line + "\n";
  return out + "]";
}

}  // namespace

std::string default_config_text(std::string_view domain, const std::vector<Endpoint>& listen,
                                std::string_view dialplan_include) {
  const Config defaults;
  std::string text;
  auto comment = [&text](std::string_view line) { text.append("# ").append(line).append("\n"); };
  auto table = [&text](std::string_view name) { text.append("\n[").append(name).append("]\n"); };
  auto setting = [&text](std::string_view key, std::string_view value) {
    text.append(key).append(" = ").append(value).append("\n");
  };
  auto number = [](uint32_t value) { return std::to_string(value); };

  comment("Hardline configuration.");
  text += "#\n";
  comment("Every setting is listed here at its secure default. A misspelt or unknown key or");
  comment("table is an error, never silently ignored. Reference: docs/configuration.md");

  table("sip");
  comment("The SIP domain this server is the registrar for: users register as EXTENSION@DOMAIN.");
  setting("domain", toml_string(domain));
  comment("Other names or addresses that clients may use for this server.");
  setting("aliases", "[]");
  comment("Where to listen: \"udp:ADDRESS:PORT\" or \"tcp:ADDRESS:PORT\", IPv6 in brackets.");
  setting("listen", toml_array(listen, [](const Endpoint& e) { return to_spec(e); }));
  comment("What Via and Contact name for this server (unset: a listener's own address, or on");
  comment("0.0.0.0 / [::] the address each message arrived at). Behind NAT, or to be named by");
  comment("DNS: one name or address for every listener, or a table listen address = name.");
  comment("advertise = \"203.0.113.5\"");
  comment("advertise = { \"udp:0.0.0.0:5060\" = \"pbx.example.org:5060\" }");
  comment("The Server header to send; \"\" sends none. A version number is refused: it tells");
  comment("scanners which exploits to try.");
  setting("server_header", toml_string(defaults.sip.server_header));
  comment("The SIP methods accepted; any other is refused with 405. OPTIONS is left out so");
  comment("that scanners probing with it learn nothing.");
  setting("methods", toml_array(defaults.sip.methods, sip::method_name));

  table("auth");
  comment("Digest algorithms the server allows, in the order offered (RFC 8760: SHA-256");
  comment("first), and the only ones accepted. Each account narrows them with its digest");
  comment("policy: `hardline user add EXT --digest any|sha-256|md5` (any: SHA-256 first, pinned");
  comment("to it once a phone answers with it; md5 for phones that give up at SHA-256, such as");
  comment("baresip 1.0, SIPp 3.6, sipsak). Remove MD5 once no account needs it.");
  setting("algorithms", toml_array(defaults.auth.algorithms, digest_algorithm_name));
  comment("Seconds a digest nonce stays valid (30 to 3600).");
  setting("nonce_lifetime", number(defaults.auth.nonce_lifetime));

  table("registrar");
  comment("Shortest registration accepted, in seconds; shorter requests get 423 Interval Too");
  comment("Brief.");
  setting("min_expires", number(defaults.registrar.min_expires));
  comment("Longest registration granted, in seconds; longer requests are shortened to this.");
  setting("max_expires", number(defaults.registrar.max_expires));
  comment("How many contacts one account may register at once (1 to 100).");
  setting("max_contacts", number(defaults.registrar.max_contacts));

  table("transport");
  comment("Largest SIP message accepted, in bytes (1024 to 65535); larger ones are dropped.");
  setting("max_message_size", number(defaults.transport.max_message_size));
  comment("Seconds after which an idle TCP connection is closed.");
  setting("tcp_idle_timeout", number(defaults.transport.tcp_idle_timeout));
  comment("Seconds a SIP message may take to arrive over TCP, from its first byte (for a new");
  comment("connection, from the connect) to its last (1 to 600); a slower one is closed.");
  setting("tcp_message_timeout", number(defaults.transport.tcp_message_timeout));
  comment("TCP connections open at once, in total; beyond this, new ones are refused.");
  setting("max_tcp_connections", number(defaults.transport.max_tcp_connections));
  comment("Percent of max_tcp_connections kept for sources that authenticated within");
  comment("guard.recent_success or are guard.trusted (0 to 90), so that phones still connect");
  comment("while strangers hold every other slot.");
  setting("tcp_reserved_percent", number(defaults.transport.tcp_reserved_percent));
  comment("TCP connections open at once from any one source group (a guard.source_prefix_v4");
  comment("or guard.source_prefix_v6 network: one IPv6 /64 by default, not each address).");
  setting("max_tcp_connections_per_source",
          number(defaults.transport.max_tcp_connections_per_source));

  table("transactions");
  comment("SIP transactions in progress at once, in total; beyond this, new requests are");
  comment("refused.");
  setting("max_total", number(defaults.transactions.max_total));
  comment("SIP transactions in progress at once from any one source address.");
  setting("max_per_source", number(defaults.transactions.max_per_source));
  comment("Answered requests remembered to answer their retransmissions again (about 1 KiB");
  comment("each); past this the oldest is forgotten early. Neither limit above counts them.");
  setting("max_completed", number(defaults.transactions.max_completed));

  table("calls");
  comment("Calls through the B2BUA. Durations are in seconds.");
  comment("How long a call may ring unanswered before it is cancelled (480 to the caller).");
  setting("ring_timeout", number(defaults.calls.ring_timeout));
  comment("How long an answered call may last before both sides get a BYE.");
  setting("max_duration", number(defaults.calls.max_duration));
  comment("Calls at once, in total and per account; beyond either, 503 with Retry-After.");
  setting("max_calls", number(defaults.calls.max_calls));
  setting("max_calls_per_account", number(defaults.calls.max_calls_per_account));
  comment("Registered contacts of the callee rung at once for one call.");
  setting("max_forks", number(defaults.calls.max_forks));
  comment("Times a call may come back through Hardline instances (X-Hardline-Hops, sent only");
  comment("to trusted peers) before it is refused with 482 Loop Detected.");
  setting("max_hops", number(defaults.calls.max_hops));

  table("guard");
  const Config::Guard& guard = defaults.guard;
  auto boolean = [](bool value) { return std::string(value ? "true" : "false"); };
  comment("Flood protection, brute-force lockout and scanner bans, before and after parsing.");
  comment("Every drop is silent. Durations are in seconds. false turns all of it off.");
  setting("enabled", boolean(guard.enabled));
  comment("Networks never banned automatically (still rate-limited, and held to each account's");
  comment(
      "guessing limit), e.g. [\"192.0.2.0/24\", \"2001:db8:1::/48\"]. Rarely needed: a phone with");
  comment("a wrong password is throttled, not its office banned. None by default, not loopback.");
  setting("trusted", toml_array(guard.trusted, [](const Network& n) { return to_string(n); }));
  comment("Networks never banned for what a forged source address can cause (rate-limit drops,");
  comment("scanner signatures), but still rate-limited and banned for failed authentication:");
  comment("loopback (the admin API, /health), and any remote admin clients (a Prometheus).");
  comment("Every trunk's host and sources are added to it.");
  setting("protected",
          toml_array(guard.protected_networks, [](const Network& n) { return to_string(n); }));
  comment("Sources are grouped by network: one IPv6 subscriber gets a /64 (IPv4 32 bits, 8 to 32;");
  comment("IPv6 32 to 128).");
  setting("source_prefix_v4", number(guard.source_prefix_v4));
  setting("source_prefix_v6", number(guard.source_prefix_v6));
  comment("Per source, before parsing: datagrams (or TCP messages) and bytes a second, and the");
  comment("burst allowed above that. Sized for an office of about 100 phones behind one address.");
  setting("packet_rate", number(guard.packet_rate));
  setting("packet_burst", number(guard.packet_burst));
  setting("byte_rate", number(guard.byte_rate));
  comment("At least 65535: one largest datagram.");
  setting("byte_burst", number(guard.byte_burst));
  comment("Per source, after parsing: requests a second and burst, for REGISTER, INVITE and all");
  comment("other methods together.");
  setting("register_rate", number(guard.register_rate));
  setting("register_burst", number(guard.register_burst));
  setting("invite_rate", number(guard.invite_rate));
  setting("invite_burst", number(guard.invite_burst));
  setting("other_rate", number(guard.other_rate));
  setting("other_burst", number(guard.other_burst));
  comment("A source dropped this many times by the limits above within abuse_window seconds is");
  comment("banned (unless trusted).");
  setting("abuse_drops", number(guard.abuse_drops));
  setting("abuse_window", number(guard.abuse_window));
  comment("An automatic ban lasts ban_duration, doubled for each earlier one of the same source");
  comment("that ended less than repeat_memory ago, up to max_ban_duration.");
  setting("ban_duration", number(guard.ban_duration));
  setting("max_ban_duration", number(guard.max_ban_duration));
  setting("repeat_memory", number(guard.repeat_memory));
  comment("This many failed authentications from one source within the window ban it (1 to 100).");
  setting("source_auth_failures", number(guard.source_auth_failures));
  setting("source_auth_window", number(guard.source_auth_window));
  comment("This many failed authentications as one account, from anywhere, within the window");
  comment("lock its password for lockout_duration, doubled on repeat up to max_lockout_duration.");
  comment("Unknown and existing account names are treated alike.");
  setting("account_auth_failures", number(guard.account_auth_failures));
  setting("account_auth_window", number(guard.account_auth_window));
  setting("lockout_duration", number(guard.lockout_duration));
  setting("max_lockout_duration", number(guard.max_lockout_duration));
  comment("A source that authenticated as an account within this many seconds keeps working");
  comment("while that account is locked for everyone else, and is not banned for what a forged");
  comment("source address can cause (rate limits, scanner signatures) (0: no exception).");
  setting("recent_success", number(guard.recent_success));
  comment("User-Agent or From text of known SIP scanners, matched as whole words in any case;");
  comment("their requests are dropped and, with ban_scanners, their source is banned.");
  setting("scanner_signatures", toml_array_wrapped(guard.scanner_signatures));
  setting("ban_scanners", boolean(guard.ban_scanners));
  comment("Entries per table (sources, accounts, ...; about 150 bytes each), and bans in force.");
  comment("A full table forgets its least recently used entry; a full ban table the ban that");
  comment("ends soonest.");
  setting("max_entries", number(guard.max_entries));
  setting("max_bans", number(guard.max_bans));

  table("store");
  comment("The SQLite database of accounts and registrations. A relative path is relative to");
  comment("the directory of this file.");
  setting("database", toml_string(defaults.store.database.string()));

  table("log");
  comment("trace, debug, info, warn or error. Logs carry no phone numbers, names or caller");
  comment("addresses.");
  setting("level", toml_string(defaults.log.level));

  table("privacy");
  comment("What may be logged or kept about people (docs/operations.md, \"Privacy\"):");
  comment("\"stats\": counters only, no numbers, names, caller addresses or call records;");
  comment("\"security\": security events (bans, lockouts) with their source address;");
  comment("\"debug\": everything, only with retention_days set.");
  setting("mode", toml_string(privacy_mode_name(defaults.privacy.mode)));
  comment("Days after which stored records about people are purged (0: none are kept).");
  setting("retention_days", number(defaults.privacy.retention_days));

  table("system");
  comment("Started as root, `hardline serve` binds its sockets, then confines itself: chroot");
  comment("into the database's directory, resource limits, this user and group, no capabilities,");
  comment("no_new_privs and a system-call allow-list. `hardline init --system` creates them.");
  setting("user", toml_string(defaults.system.user));
  setting("group", toml_string(defaults.system.group));
  setting("chroot", boolean(defaults.system.chroot));
  comment("Resource limits: open files, processes and threads, address space in MiB (0: none).");
  setting("max_open_files", number(defaults.system.max_open_files));
  setting("max_processes", number(defaults.system.max_processes));
  setting("max_address_space_mib", number(defaults.system.max_address_space_mib));

  table("admin");
  comment("The HTTP admin API, /metrics and /health. Keep it on loopback (reach it through SSH);");
  comment("another address needs allow_remote = true and TLS. Requests need the bearer token");
  comment("`hardline init` showed once; only its argon2id hash is kept, in token_file.");
  setting("enabled", boolean(defaults.admin.enabled));
  setting("listen", toml_string(host_port(defaults.admin.listen)));
  setting("allow_remote", boolean(defaults.admin.allow_remote));
  comment("PEM certificate and key for HTTPS; both or neither (\"\" = none).");
  setting("tls_certificate", toml_string(defaults.admin.tls_certificate.string()));
  setting("tls_key", toml_string(defaults.admin.tls_key.string()));
  setting("token_file", toml_string(defaults.admin.token_file.string()));
  comment("Every admin request, accepted or refused: time, source, endpoint, result (never the");
  comment("token). Relative paths are relative to the directory of this file.");
  setting("access_log", toml_string(defaults.admin.access_log.string()));
  text += "\n";
  comment("Routing (docs/dialplan.md). [sources] names networks that rules and trunks refer to,");
  comment("[[trunk]] sections describe SIP providers, and [dialplan] holds the rules, tried top");
  comment("to bottom, or names a file that holds them. With no rules at all, only authenticated");
  comment("calls between local accounts are put through; nothing reaches a trunk unless a rule");
  comment("names it and says who may use it. `hardline dialplan check` checks all of it.");
  comment("");
  comment("[sources]");
  comment("office = [\"10.0.0.0/8\", \"fd00::/8\"]");
  comment("");
  comment("[[trunk]]");
  comment("name = \"provider\"");
  comment("host = \"sip.provider.example\"");
  comment("port = 5060");
  comment("transport = \"udp\"              # udp, tcp or tls");
  comment("username = \"4930123456\"");
  comment("password = \"...\"               # never logged or printed");
  comment("sources = [\"198.51.100.0/24\"]  # where its calls come from");
  comment("caller_id_pattern = '^\\+?[0-9A-D]{1,32}$'");
  comment("caller_id_mismatch = \"anonymous\"  # or \"reject\"");
  comment("caller_id_internal = \"anonymous\"  # an extension-like caller ID; or prefix, reject");
  comment("caller_name_prefix = \"provider: \"  # before its display names (default: its name)");
  comment("trusted = false");
  comment("");
  comment("[dialplan]                      # with the rules (the included file, if any)");
  comment("country_code = \"49\"             # numbers normalised first: +49 30... -> 030...");
  comment("national_prefix = \"0\"");
  comment("international_prefix = \"00\"");
  if (!dialplan_include.empty()) {
    table("dialplan");
    comment("The file of dialplan rules (and trunks), relative to this file's directory.");
    setting("include", toml_string(dialplan_include));
  }
  return text;
}

}  // namespace hardline::config
