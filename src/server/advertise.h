#pragma once
// What Hardline names itself in the Via and Contact of what it sends (issue 13, item 2). A
// listener bound to one address names that address; one bound to a wildcard (0.0.0.0, ::)
// names the address each peer's message arrived at, or when none has (a call to a phone
// registered before a restart) the host's address facing the peer; sip.advertise overrides
// both, for NAT and DNS set-ups. Pure functions, apart from the two that ask the system at
// start-up.
#include <functional>
#include <string>
#include <vector>

#include "common/endpoint.h"
#include "config/config.h"

namespace hardline::server {

// Whether a host name resolves to any address. Injected so that tests never ask DNS.
using Resolver = std::function<bool(const std::string& name)>;
// getaddrinfo(3): start-up only (it may block, and the sandbox allows it no socket later).
bool resolves_by_getaddrinfo(const std::string& name);

// The start-up warnings about sip.advertise, given the listen addresses as bound (in the order
// of sip.listen): an advertised host name that does not resolve here, and each wildcard
// listener without advertise. They name no address but the server's own.
std::vector<std::string> advertise_warnings(const config::Config::Sip& sip,
                                            const std::vector<Endpoint>& bound,
                                            const Resolver& resolves);

// This host's addresses with their networks (getifaddrs(3), read at start-up: no socket may be
// opened to ask the kernel's routes once confined).
// One of this host's addresses and the prefix length of the network it is on.
struct HostAddress {
  IpAddress address;
  uint8_t prefix = 0;
  bool operator==(const HostAddress&) const = default;
};
std::vector<HostAddress> host_addresses();

// Of the host's addresses, the one to name toward `peer` when no message from it said which it
// uses: a loopback address toward a loopback peer, else the address whose network holds the
// peer (the longest prefix: a phone on the LAN), else the first global address of the
// family. Unspecified when the host has none.
IpAddress address_facing(const std::vector<HostAddress>& host, const IpAddress& peer);

}  // namespace hardline::server
