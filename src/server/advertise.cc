#include "server/advertise.h"

#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "common/network.h"
#include "sip/uri.h"

namespace hardline::server {

namespace {

// The number of leading one bits of a netmask.
uint8_t prefix_of(const uint8_t* mask, size_t size) {
  uint8_t bits = 0;
  for (size_t i = 0; i < size; ++i) {
    for (int bit = 7; bit >= 0; --bit) {
      if ((mask[i] & (1U << static_cast<unsigned>(bit))) == 0) return bits;
      ++bits;
    }
  }
  return bits;
}

bool is_link_local(const IpAddress& address) {
  return address.v6 ? address.bytes[0] == 0xfe && (address.bytes[1] & 0xc0) == 0x80
                    : address.bytes[0] == 169 && address.bytes[1] == 254;
}

std::string family_words(const Endpoint& local) {
  return std::string(local.protocol == Protocol::kTcp ? "tcp" : "udp") +
         (local.address.v6 ? " listener on every IPv6 address" : " listener on every address");
}

}  // namespace

bool resolves_by_getaddrinfo(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  const int result = ::getaddrinfo(name.c_str(), nullptr, &hints, &found);
  if (found != nullptr) ::freeaddrinfo(found);
  return result == 0;
}

std::vector<std::string> advertise_warnings(const config::Config::Sip& sip,
                                            const std::vector<Endpoint>& bound,
                                            const Resolver& resolves) {
  std::vector<std::string> out;
  std::vector<std::string> checked;
  for (const config::Config::Sip::Advertise& advertised : sip.advertise) {
    std::string_view host;
    sip::HostKind kind = sip::HostKind::kNone;
    if (!sip::parse_host(advertised.host, host, kind) || kind != sip::HostKind::kName) continue;
    if (std::find(checked.begin(), checked.end(), advertised.host) != checked.end()) continue;
    checked.push_back(advertised.host);
    if (!resolves(advertised.host)) {
      out.push_back("sip.advertise names " + advertised.host +
                    ", which does not resolve here: phones that cannot resolve it cannot send "
                    "the ACK of an answered call, which then ends after 32 s; add it to DNS (or "
                    "the phones' hosts file), or advertise an IP address");
    }
  }
  for (size_t i = 0; i < bound.size() && i < sip.listen.size(); ++i) {
    if (!is_unspecified(bound[i].address) || config::advertised(sip, sip.listen[i]) != nullptr) {
      continue;
    }
    out.push_back("the " + family_words(bound[i]) + " (port " + std::to_string(bound[i].port) +
                  ") has no sip.advertise: Via and Contact name the address each phone's "
                  "messages arrive at, which suits a LAN; behind NAT, set sip.advertise to the "
                  "public address or name (docs/operations.md, LAN and internet set-ups)");
  }
  return out;
}

std::vector<HostAddress> host_addresses() {
  std::vector<HostAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (const ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || entry->ifa_netmask == nullptr) continue;
    IpAddress address;
    uint8_t prefix = 0;
    if (entry->ifa_addr->sa_family == AF_INET) {
      sockaddr_in in{};
      sockaddr_in mask{};
      std::memcpy(&in, entry->ifa_addr, sizeof(in));
      std::memcpy(&mask, entry->ifa_netmask, sizeof(mask));
      std::memcpy(address.bytes.data(), &in.sin_addr, 4);
      prefix = prefix_of(reinterpret_cast<const uint8_t*>(&mask.sin_addr), 4);
    } else if (entry->ifa_addr->sa_family == AF_INET6) {
      sockaddr_in6 in6{};
      sockaddr_in6 mask{};
      std::memcpy(&in6, entry->ifa_addr, sizeof(in6));
      std::memcpy(&mask, entry->ifa_netmask, sizeof(mask));
      std::memcpy(address.bytes.data(), &in6.sin6_addr, 16);
      address.v6 = true;
      prefix = prefix_of(reinterpret_cast<const uint8_t*>(&mask.sin6_addr), 16);
    } else {
      continue;
    }
    out.push_back(HostAddress{address, prefix});
  }
  ::freeifaddrs(list);
  return out;
}

IpAddress address_facing(const std::vector<HostAddress>& host, const IpAddress& peer) {
  if (is_loopback(peer)) {
    for (const HostAddress& own : host) {
      if (own.address.v6 == peer.v6 && is_loopback(own.address)) return own.address;
    }
    return peer.v6 ? IpAddress{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, true}
                   : IpAddress{{127, 0, 0, 1}, false};
  }
  const HostAddress* best = nullptr;
  for (const HostAddress& own : host) {
    if (own.address.v6 != peer.v6 || is_loopback(own.address)) continue;
    if (contains(network_of(own.address, own.prefix), peer) &&
        (best == nullptr || own.prefix > best->prefix)) {
      best = &own;
    }
  }
  if (best != nullptr) return best->address;
  for (const HostAddress& own : host) {
    if (own.address.v6 == peer.v6 && !is_loopback(own.address) && !is_link_local(own.address)) {
      return own.address;
    }
  }
  return {};
}

}  // namespace hardline::server
