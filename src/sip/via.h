#pragma once
// Via (RFC 3261 §20.42, §18.2.1 received, RFC 3581 rport).

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/result.h"
#include "sip/params.h"
#include "sip/uri.h"

namespace hardline::sip {

struct Via {
  std::string_view text;              // the whole via-parm as received
  std::string_view protocol_name;     // "SIP"
  std::string_view protocol_version;  // "2.0"
  std::string_view transport;         // "UDP", "TCP", "TLS", "WS", or any token, as received
  std::string_view host;              // sent-by host; IPv6 without brackets
  HostKind host_kind = HostKind::kNone;
  uint16_t port = 0;  // 0 when absent
  bool has_port = false;
  ParamList params;

  std::optional<std::string_view> branch;    // a token; may lack the z9hG4bK cookie (RFC 2543)
  std::optional<std::string_view> received;  // an IPv4 or IPv6 address, without brackets
  bool has_rport = false;                    // rport present (RFC 3581), with or without value
  std::optional<uint16_t> rport;             // its value, when it has one
  std::optional<std::string_view> maddr;     // a host
  std::optional<uint8_t> ttl;                // 0..255
};

// Parses one via-parm. Fails on a malformed sent-protocol or sent-by, an empty parameter, or a
// branch, received, rport, maddr or ttl that breaks its grammar.
Result<Via> parse_via(std::string_view text, size_t max_params = 32);

}  // namespace hardline::sip
