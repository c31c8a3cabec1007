#include "common/endpoint.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace hardline {

std::string_view protocol_name(Protocol protocol) {
  return protocol == Protocol::kTcp ? "TCP" : "UDP";
}

std::optional<IpAddress> parse_ip_address(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  char buffer[INET6_ADDRSTRLEN + 1] = {};
  std::memcpy(buffer, text.data(), text.size());
  IpAddress address;
  if (inet_pton(AF_INET, buffer, address.bytes.data()) == 1) return address;
  if (inet_pton(AF_INET6, buffer, address.bytes.data()) == 1) {
    address.v6 = true;
    return address;
  }
  return std::nullopt;
}

bool is_loopback(const IpAddress& address) {
  if (!address.v6) return address.bytes[0] == 127;
  static constexpr std::array<uint8_t, 16> kOne{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  if (address.bytes == kOne) return true;
  for (size_t i = 0; i < 10; ++i) {
    if (address.bytes[i] != 0) return false;
  }
  return address.bytes[10] == 0xff && address.bytes[11] == 0xff && address.bytes[12] == 127;
}

std::string to_string(const IpAddress& address) {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(address.v6 ? AF_INET6 : AF_INET, address.bytes.data(), buffer, sizeof buffer);
  return buffer;
}

std::optional<Endpoint> parse_endpoint_spec(std::string_view spec) {
  Endpoint endpoint;
  if (spec.starts_with("udp:")) {
    endpoint.protocol = Protocol::kUdp;
  } else if (spec.starts_with("tcp:")) {
    endpoint.protocol = Protocol::kTcp;
  } else {
    return std::nullopt;
  }
  spec.remove_prefix(4);
  const size_t colon = spec.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = spec.substr(0, colon);
  const std::string_view port = spec.substr(colon + 1);
  // An IPv6 address must be bracketed, so that its colons are not taken for the port's.
  if (host.find(':') != std::string_view::npos && !(host.starts_with('[') && host.ends_with(']'))) {
    return std::nullopt;
  }
  auto address = parse_ip_address(host);
  if (!address) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || port.empty() || value == 0 ||
      value > 65535) {
    return std::nullopt;
  }
  endpoint.address = *address;
  endpoint.port = static_cast<uint16_t>(value);
  return endpoint;
}

std::string host_port(const Endpoint& endpoint) {
  std::string host = to_string(endpoint.address);
  if (endpoint.address.v6) host = "[" + host + "]";
  return host + ":" + std::to_string(endpoint.port);
}

std::string to_spec(const Endpoint& endpoint) {
  return std::string(endpoint.protocol == Protocol::kTcp ? "tcp:" : "udp:") + host_port(endpoint);
}

}  // namespace hardline
