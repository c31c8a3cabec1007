#pragma once
// Where a message came from or goes to: protocol, IP address, port and, for connections, the
// connection it arrived on. Pure values (no sockets), so every layer can use them.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hardline {

enum class Protocol : uint8_t { kUdp, kTcp };

std::string_view protocol_name(Protocol protocol);  // "UDP", "TCP" (as in a Via)

struct IpAddress {
  std::array<uint8_t, 16> bytes{};  // IPv4 in the first four bytes
  bool v6 = false;

  bool operator==(const IpAddress&) const = default;
  bool operator<(const IpAddress& other) const {
    return v6 != other.v6 ? other.v6 : bytes < other.bytes;
  }
};

// "192.0.2.1", "::1", "[::1]" (brackets accepted); nothing else.
std::optional<IpAddress> parse_ip_address(std::string_view text);
std::string to_string(const IpAddress& address);  // IPv6 without brackets
// 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104: addresses only this host can reach.
bool is_loopback(const IpAddress& address);
// 0.0.0.0 or ::: a listen address meaning every address of the host, and in
// Endpoint::local "not known".
inline bool is_unspecified(const IpAddress& address) {
  return address == IpAddress{} || address == IpAddress{{}, true};
}

struct Endpoint {
  Protocol protocol = Protocol::kUdp;
  IpAddress address;
  uint16_t port = 0;
  // The TCP connection a message arrived on, or for UDP the listening socket (1-based) it
  // arrived on and should be answered from; 0 for "any".
  uint64_t connection = 0;
  // Our own address the message arrived at, or the one to send from: on a listener bound to a
  // wildcard (0.0.0.0, ::) the socket alone does not say which of the host's addresses the
  // peer used, and that is the one it can reach us on (Via, Contact). Unspecified: not known,
  // or the listener's own address.
  IpAddress local;

  bool operator==(const Endpoint&) const = default;
};

// "udp:192.0.2.1:5060", "tcp:[::1]:5060": the listen SPEC syntax of the config and the CLI.
std::optional<Endpoint> parse_endpoint_spec(std::string_view spec);
std::string to_spec(const Endpoint& endpoint);
// "192.0.2.1:5060", "[::1]:5060"
std::string host_port(const Endpoint& endpoint);

}  // namespace hardline
