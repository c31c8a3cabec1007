// NET-1..NET-7: the firewall for IPv4 and IPv6, flood protection, management on loopback, and
// the network items only the operator can do.
#include <algorithm>
#include <string>

#include "audit/rules.h"
#include "audit/rules_util.h"
#include "common/network.h"

namespace hardline::audit {
namespace {

using detail::finding;
using detail::join;

const char* const kFirewallFix =
    "load an input firewall for IPv4 and IPv6: packaging/nftables/hardline.nft (one `inet` "
    "table, policy drop, only SIP, SIPS and RTP open): `nft -f "
    "/etc/nftables.d/hardline.nft` and `systemctl enable nftables` (docs/operations.md, "
    "\"Firewall\")";

bool unspecified(const IpAddress& address) {
  return std::all_of(address.bytes.begin(), address.bytes.end(), [](uint8_t b) { return b == 0; });
}

// Whether a SIP listener can receive packets of `family` from the network.
bool reachable_over(const Endpoint& listen, Family family) {
  if (is_loopback(listen.address)) return false;
  if (family == Family::kIpv4) return !listen.address.v6 || unspecified(listen.address);
  return listen.address.v6;
}

std::string port_text(Protocol protocol, uint16_t port) {
  return std::to_string(port) + "/" + (protocol == Protocol::kUdp ? "udp" : "tcp");
}

Finding firewall_for(const config::Config& config, const Facts& facts, Family family) {
  const std::string check = "firewall (" + std::string(family_name(family)) + ")";
  const Ruleset& ruleset = facts.firewall.ruleset;
  std::vector<std::string> dropping = dropping_chains(ruleset, family);
  if (dropping.empty()) {
    std::vector<std::string> open = open_chains(ruleset, family);
    return finding("NET-1", check, Status::kFail,
                   "no input chain drops " + std::string(family_name(family)) +
                       " packets by default, so every port not refused explicitly is open" +
                       (open.empty() ? std::string(" (no input chain at all)")
                                     : " (accepting: " + join(open, ", ") + ")"),
                   kFirewallFix);
  }
  std::vector<std::string> accepted, missing;
  bool any_listener = false;
  for (const Endpoint& listen : config.sip.listen) {
    if (!reachable_over(listen, family)) continue;
    any_listener = true;
    const std::string port = port_text(listen.protocol, listen.port);
    if (port_accepted(ruleset, family, listen.protocol, listen.port)) {
      if (std::find(accepted.begin(), accepted.end(), port) == accepted.end()) {
        accepted.push_back(port);
      }
    } else if (std::find(missing.begin(), missing.end(), port) == missing.end()) {
      missing.push_back(port);
    }
  }
  std::string evidence = join(dropping, ", ") + " drop by default";
  std::vector<std::string> warnings;
  if (!missing.empty()) {
    warnings.push_back("SIP " + join(missing, ", ") +
                       " not accepted, so phones cannot reach "
                       "Hardline over " +
                       std::string(family_name(family)));
  }
  if (config.admin.enabled &&
      port_accepted(ruleset, family, Protocol::kTcp, config.admin.listen.port)) {
    warnings.push_back("the admin port " + port_text(Protocol::kTcp, config.admin.listen.port) +
                       " is accepted from the network");
  }
  if (!warnings.empty()) {
    return finding("NET-1", check, Status::kWarn, evidence + "; " + join(warnings),
                   "accept exactly the SIP ports of [sip] listen (and RTP), keep the admin port "
                   "on loopback: see packaging/nftables/hardline.nft");
  }
  if (!any_listener) {
    evidence += "; no SIP listener is reachable over " + std::string(family_name(family)) +
                " (loopback or the other family only)";
  } else {
    evidence += "; SIP " + join(accepted, ", ") + " accepted";
  }
  return finding("NET-1", check, Status::kPass, evidence);
}

// Wider than an IPv4 /8 or an IPv6 /32: nobody's own network.
bool very_wide(const Network& network) {
  return network.prefix < (network.base.v6 ? 32 : 8);
}

// Issue 12, items 3 and 10: what a forged source address can cause (rate-limit drops, scanner
// signatures) never bans loopback nor a trunk; the server adds every trunk's host (resolved at
// start-up) and sources to guard.protected.
Finding forgeable_bans(const config::Config& config) {
  const std::vector<Network>& protected_networks = config.guard.protected_networks;
  auto covered = [&](const char* text) {
    const IpAddress address = *parse_ip_address(text);
    return std::any_of(protected_networks.begin(), protected_networks.end(),
                       [&](const Network& network) { return contains(network, address); });
  };
  std::vector<std::string> missing;
  for (const char* loopback : {"127.0.0.1", "::1"}) {
    if (!covered(loopback)) missing.push_back(loopback);
  }
  std::vector<std::string> wide;
  for (const Network& network : protected_networks) {
    if (very_wide(network)) wide.push_back("guard.protected " + to_string(network));
  }
  for (const config::Trunk& trunk : config.trunks) {
    for (const Network& network : trunk.sources) {
      if (very_wide(network)) wide.push_back("trunk '" + trunk.name + "' " + to_string(network));
    }
  }
  const std::string check = "trunks and loopback never banned for forgeable causes";
  if (!missing.empty()) {
    return finding("NET-2", check, Status::kWarn,
                   "guard.protected leaves out loopback (" + join(missing, ", ") +
                       "): one datagram with a scanner's User-Agent forged from it gets the admin "
                       "API and /health cut off for that address",
                   "add \"127.0.0.0/8\" and \"::1\" to guard.protected (the default)");
  }
  if (!wide.empty()) {
    return finding("NET-2", check, Status::kWarn,
                   "very wide networks are never banned for floods or scanners: " + join(wide),
                   "list only loopback in guard.protected and only the provider's own networks "
                   "in a trunk's sources");
  }
  const size_t trunks = config.trunks.size();
  return finding(
      "NET-2", check, Status::kPass,
      "rate-limit drops and scanner signatures, which a forged source address can cause, never "
      "ban loopback, guard.protected (" +
          std::to_string(protected_networks.size()) + " networks) or the " +
          std::to_string(trunks) + (trunks == 1 ? " trunk" : " trunks") +
          " (hosts as resolved at start-up, and sources); these are still rate-limited, their "
          "scanner requests dropped, and a wrong password over a nonce sent to them bans them like "
          "anyone");
}

std::vector<Finding> net_1(const config::Config& config, const Facts& facts) {
  if (!facts.firewall.listed) {
    return {finding(
        "NET-1", "firewall", Status::kWarn,
        "the firewall could not be listed: " + facts.firewall.errors + detail::not_root_note(facts),
        std::string("run `hardline audit` as root with nftables installed "
                    "(`apt install nftables`); ") +
            kFirewallFix)};
  }
  std::vector<Finding> out;
  for (Family family : {Family::kIpv4, Family::kIpv6}) {
    Finding result = firewall_for(config, facts, family);
    result.evidence = "from " + facts.firewall.sources + ": " + result.evidence;
    out.push_back(std::move(result));
  }
  return out;
}

std::vector<Finding> net_2(const config::Config& config) {
  const config::Config::Guard& guard = config.guard;
  std::vector<Finding> out;
  if (!guard.enabled) {
    out.push_back(finding("NET-2", "flood protection", Status::kWarn,
                          "guard.enabled = false: no rate limits, bans or brute-force lockout",
                          "set enabled = true in [guard] (the default)"));
    return out;
  }
  out.push_back(
      finding("NET-2", "flood protection", Status::kPass,
              "guard on: " + std::to_string(guard.packet_rate) +
                  " packets/s per source, ban after " + std::to_string(guard.abuse_drops) +
                  " drops in " + std::to_string(guard.abuse_window) + " s, lockout after " +
                  std::to_string(guard.account_auth_failures) + " failed logins per account"));
  if (!guard.ban_scanners) {
    out.push_back(finding("NET-2", "scanner bans", Status::kWarn,
                          "guard.ban_scanners = false: known SIP scanners are not banned",
                          "set ban_scanners = true in [guard] (the default)"));
  }
  std::vector<std::string> wide;
  for (const Network& network : guard.trusted) {
    if (very_wide(network)) wide.push_back(to_string(network));
  }
  if (!wide.empty()) {
    out.push_back(finding(
        "NET-2", "trusted networks", Status::kWarn,
        "guard.trusted holds very wide networks, exempt from every ban: " + join(wide, ", "),
        "list only your own networks in guard.trusted"));
  }
  out.push_back(forgeable_bans(config));
  return out;
}

std::vector<Finding> net_4(const config::Config& config, const Facts& facts) {
  std::vector<Finding> out;
  const config::Config::Admin& admin = config.admin;
  if (!admin.enabled) {
    out.push_back(finding("NET-4", "admin API and metrics on loopback", Status::kPass,
                          "admin.enabled = false: no management listener"));
    return out;
  }
  const std::string where = host_port(admin.listen);
  if (is_loopback(admin.listen.address)) {
    out.push_back(finding("NET-4", "admin API and metrics on loopback", Status::kPass,
                          "admin API, /metrics and /health on " + where + " (loopback)"));
  } else {
    out.push_back(finding(
        "NET-4", "admin API and metrics on loopback", Status::kWarn,
        "admin API, /metrics and /health on " + where +
            ", reachable from the network (allow_remote with TLS)",
        "listen on 127.0.0.1:8088 and reach it through SSH (`ssh -L 8088:127.0.0.1:8088 HOST`) "
        "or a VPN"));
  }
  if (facts.process) {
    for (const ListeningSocket& listening : facts.sockets) {
      if (listening.pid != facts.process->pid || listening.socket.port != admin.listen.port ||
          listening.socket.protocol != Protocol::kTcp || is_loopback(listening.socket.address) ||
          admin.allow_remote) {
        continue;
      }
      out.push_back(
          finding("NET-4", "admin listener", Status::kFail,
                  "hardline listens on " +
                      host_port(Endpoint{
                          Protocol::kTcp, listening.socket.address, listening.socket.port, 0, {}}) +
                      " although admin.allow_remote = false",
                  "restart hardline so that it binds " + where));
      break;
    }
  }
  const FileFacts* token = detail::find_file(facts, kRoleTokenFile);
  if (token != nullptr && !token->exists && token->error.empty()) {
    out.push_back(finding("NET-4", "admin token", Status::kWarn,
                          "the admin API is enabled but its token hash " + token->path.string() +
                              " does not exist, so every admin request is refused",
                          "create an admin token (docs/operations.md, \"Admin token\") or set "
                          "admin.enabled = false"));
  }
  return out;
}

Finding manual(const char* id, const char* check, const char* evidence, const char* fix) {
  return finding(id, check, Status::kManual, evidence, fix);
}

}  // namespace

std::vector<Finding> network_rules(const config::Config& config, const Facts& facts) {
  std::vector<Finding> out = net_1(config, facts);
  std::vector<Finding> flood = net_2(config);
  out.insert(out.end(), flood.begin(), flood.end());
  out.push_back(manual("NET-3", "VPN", "software cannot tell which networks should reach this host",
                       "put phones and sites that are not on the internet behind a VPN "
                       "(WireGuard, IPsec) and accept SIP only from it; list its networks in "
                       "guard.trusted (docs/operations.md, \"Network\")"));
  std::vector<Finding> admin = net_4(config, facts);
  out.insert(out.end(), admin.begin(), admin.end());
  out.push_back(manual("NET-5", "voice VLAN", "the switch configuration is not visible from here",
                       "put phones and Hardline on a VLAN of their own (802.1Q voice VLAN, e.g. "
                       "by LLDP-MED), routed to the data network only through a firewall"));
  out.push_back(manual("NET-6", "802.1x on switch ports",
                       "the switch configuration is not visible from here",
                       "enable IEEE 802.1X (or MAC authentication bypass for phones that "
                       "cannot) on the switch ports where phones connect"));
  out.push_back(manual("NET-7", "unused switch ports",
                       "the switch configuration is not visible from here",
                       "shut down switch ports whose link is down, or configure port security "
                       "so that a port is disabled when its phone is unplugged"));
  return out;
}

}  // namespace hardline::audit
