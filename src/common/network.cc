#include "common/network.h"

#include <algorithm>
#include <charconv>

namespace hardline {
namespace {

uint8_t width(const IpAddress& address) {
  return address.v6 ? 128 : 32;
}

IpAddress masked(IpAddress address, uint8_t prefix) {
  const size_t bytes = address.v6 ? 16 : 4;
  for (size_t i = 0; i < bytes; ++i) {
    const int bits_here = std::clamp(static_cast<int>(prefix) - static_cast<int>(i * 8), 0, 8);
    address.bytes[i] &= static_cast<uint8_t>(0xFF00u >> bits_here);
  }
  return address;
}

}  // namespace

Network network_of(const IpAddress& address, uint8_t prefix) {
  prefix = std::min(prefix, width(address));
  return Network{masked(address, prefix), prefix};
}

bool contains(const Network& network, const IpAddress& address) {
  if (network.base.v6 != address.v6) return false;
  return masked(address, network.prefix) == network.base;
}

std::optional<Network> parse_network(std::string_view text) {
  const size_t slash = text.find('/');
  auto address = parse_ip_address(text.substr(0, slash));
  if (!address) return std::nullopt;
  uint8_t prefix = width(*address);
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || digits.size() > 3 || ec != std::errc{} ||
        end != digits.data() + digits.size() || value > width(*address)) {
      return std::nullopt;
    }
    prefix = static_cast<uint8_t>(value);
  }
  Network network = network_of(*address, prefix);
  if (network.base != *address) return std::nullopt;  // host bits set
  return network;
}

std::string to_string(const Network& network) {
  return to_string(network.base) + "/" + std::to_string(network.prefix);
}

}  // namespace hardline
