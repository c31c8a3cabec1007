#pragma once
// Conversions between Hardline's IpAddress and Asio's address, shared by the SIP transport and
// the admin API's listener. An IPv4-mapped IPv6 address becomes the IPv4 address it carries,
// so that limits and bans count one source once.
#include <boost/asio/ip/address.hpp>
#include <cstring>

#include "common/endpoint.h"

namespace hardline::transport {

namespace asio = boost::asio;

inline IpAddress from_asio(const asio::ip::address& address) {
  IpAddress out;
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    std::memcpy(out.bytes.data(), bytes.data(), bytes.size());
  } else {
    const asio::ip::address_v6 v6 = address.to_v6();
    if (v6.is_v4_mapped()) {
      const auto bytes = asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_bytes();
      std::memcpy(out.bytes.data(), bytes.data(), bytes.size());
    } else {
      const auto bytes = v6.to_bytes();
      std::memcpy(out.bytes.data(), bytes.data(), bytes.size());
      out.v6 = true;
    }
  }
  return out;
}

inline asio::ip::address to_asio(const IpAddress& address) {
  if (!address.v6) {
    asio::ip::address_v4::bytes_type bytes;
    std::memcpy(bytes.data(), address.bytes.data(), bytes.size());
    return asio::ip::address_v4(bytes);
  }
  asio::ip::address_v6::bytes_type bytes;
  std::memcpy(bytes.data(), address.bytes.data(), bytes.size());
  return asio::ip::address_v6(bytes);
}

}  // namespace hardline::transport
