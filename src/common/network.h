#pragma once
// An IP network in CIDR notation ("10.0.0.0/8", "fd00::/8", or one address, which is /32 or
// /128): trusted networks, named source categories, and bans of whole networks.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/endpoint.h"

namespace hardline {

struct Network {
  IpAddress base;  // host bits are zero
  uint8_t prefix = 0;

  bool operator==(const Network&) const = default;
};

// "ADDR/PREFIX" or "ADDR" (a single host). The address may be bracketed for IPv6. Host bits set
// below the prefix ("10.0.0.1/8") are refused: the operator probably meant something else.
std::optional<Network> parse_network(std::string_view text);
std::string to_string(const Network& network);  // "10.0.0.0/8", "fd00::/8"

// The network of `prefix` bits that holds `address` (host bits cleared); prefix is clamped to
// the family's width.
Network network_of(const IpAddress& address, uint8_t prefix);
bool contains(const Network& network, const IpAddress& address);

}  // namespace hardline
