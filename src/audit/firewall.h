#pragma once
// The host firewall as the audit needs it (checklist NET-1): the input chains of the loaded
// ruleset, whether each drops by default, and which ports each explicitly accepts. Read from
// `nft -j list ruleset` or from `iptables-save` / `ip6tables-save`; both parsers take text from a
// command's output and never throw (malformed input gives an error, never a crash).
//
// The rule the audit applies (docs/operations.md, "Firewall"): a family (IPv4, IPv6) is
// protected when at least one base chain on the input hook that sees it drops by default (policy
// drop, or a last rule that drops or rejects unconditionally). A port is open to the network for
// that family when every such chain has an accept rule for it: a destination port match (number,
// range, anonymous or named set) that is not limited to the loopback interface or to
// established/related connections. Jumps to other chains are not followed, and a drop before an
// accept of the same port is not seen: keep the SIP ports in the base chain, as
// packaging/nftables/hardline.nft does.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/endpoint.h"
#include "common/result.h"

namespace hardline::audit {

struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;

  bool operator==(const PortRange&) const = default;
};

struct AcceptRule {
  bool v4 = true;  // which families the rule can match
  bool v6 = true;
  bool udp = true;  // which transports its port match applies to
  bool tcp = true;
  std::vector<PortRange> ports;   // destination ports; empty: the rule matches no port
  bool loopback_only = false;     // iif lo
  bool established_only = false;  // ct state established,related
  bool other_conditions = false;  // matches the audit does not interpret (source, icmp type, ...)

  bool operator==(const AcceptRule&) const = default;
};

struct InputChain {
  std::string name;  // "inet hardline input", "iptables filter INPUT"
  bool v4 = false;   // families whose packets traverse it
  bool v6 = false;
  bool drops_by_default = false;    // policy drop, or a final unconditional drop/reject
  bool accepts_everything = false;  // an unconditional accept before the end
  std::vector<AcceptRule> accepts;

  bool operator==(const InputChain&) const = default;
};

struct Ruleset {
  std::vector<InputChain> chains;  // base chains on the input hook only
  // Tables that iptables-save would list as well ("ip filter", "ip6 filter"): the same rules,
  // when iptables is the nftables variant.
  bool has_ip_filter = false;
  bool has_ip6_filter = false;
};

enum class Family : uint8_t { kIpv4, kIpv6 };
std::string_view family_name(Family family);  // "IPv4", "IPv6"

// `nft -j list ruleset` output.
Result<Ruleset, std::string> parse_nft_json(std::string_view text);
// `iptables-save` (kIpv4) or `ip6tables-save` (kIpv6) output: the filter table's INPUT chain.
Result<Ruleset, std::string> parse_iptables_save(std::string_view text, Family family);

// The base input chains that drop by default for `family` (their names).
std::vector<std::string> dropping_chains(const Ruleset& ruleset, Family family);
// Input chains for `family` that accept everything or keep the default accept.
std::vector<std::string> open_chains(const Ruleset& ruleset, Family family);
// Whether `port` over `protocol` passes every dropping input chain of `family` from the network
// (false when no chain drops by default: then nothing is "explicitly" accepted).
bool port_accepted(const Ruleset& ruleset, Family family, Protocol protocol, uint16_t port);

}  // namespace hardline::audit
