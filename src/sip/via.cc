#include "sip/via.h"

#include "sip/chars.h"

namespace hardline::sip {
namespace {

// Reads a (possibly empty) token starting at pos.
std::string_view read_token(std::string_view s, size_t& pos) {
  size_t start = pos;
  while (pos < s.size() && is(s[pos], kToken)) ++pos;
  std::string_view token = s.substr(start, pos - start);
  return token;
}

void skip_ws(std::string_view s, size_t& pos) {
  while (pos < s.size() && is(s[pos], kWhitespace)) ++pos;
}

bool expect_slash(std::string_view s, size_t& pos) {
  skip_ws(s, pos);
  if (pos >= s.size() || s[pos] != '/') return false;
  ++pos;
  skip_ws(s, pos);
  return true;
}

Result<void> check_via_params(Via& via) {
  for (const Param& p : via.params) {
    if (iequals(p.name, "branch")) {
      if (!p.has_value || !is_token(p.value)) return fail("bad branch parameter");
      via.branch = p.value;
    } else if (iequals(p.name, "received")) {
      // RFC 3261 gives an IPv6address, but RFC 5118 §4.5 asks parsers to accept an IPv6
      // reference too; either way the field holds the bare address.
      std::string_view address = p.value;
      bool reference = address.size() > 2 && address.front() == '[' && address.back() == ']';
      if (reference) address = address.substr(1, address.size() - 2);
      bool valid = reference ? is_ipv6_address(address)
                             : is_ipv4_address(address) || is_ipv6_address(address);
      if (!p.has_value || !valid) return fail("bad received parameter");
      via.received = address;
    } else if (iequals(p.name, "rport")) {
      via.has_rport = true;
      if (p.has_value) {
        uint64_t v = 0;
        if (!parse_uint(p.value, 65535, v)) return fail("bad rport parameter");
        via.rport = static_cast<uint16_t>(v);
      }
    } else if (iequals(p.name, "maddr")) {
      std::string_view host;
      HostKind kind;
      if (!p.has_value || !parse_host(p.value, host, kind)) return fail("bad maddr parameter");
      via.maddr = p.value;
    } else if (iequals(p.name, "ttl")) {
      uint64_t v = 0;
      if (!p.has_value || p.value.size() > 3 || !parse_uint(p.value, 255, v)) {
        return fail("bad ttl parameter");
      }
      via.ttl = static_cast<uint8_t>(v);
    }
  }
  return {};
}

}  // namespace

Result<Via> parse_via(std::string_view text, size_t max_params) {
  Via via;
  via.text = text = trim(text);
  size_t pos = 0;
  via.protocol_name = read_token(text, pos);
  if (via.protocol_name.empty() || !expect_slash(text, pos)) return fail("bad sent-protocol");
  via.protocol_version = read_token(text, pos);
  if (via.protocol_version.empty() || !expect_slash(text, pos)) return fail("bad sent-protocol");
  via.transport = read_token(text, pos);
  if (via.transport.empty()) return fail("bad sent-protocol");
  if (pos >= text.size() || !is(text[pos], kWhitespace)) return fail("no space before sent-by");
  skip_ws(text, pos);

  std::string_view rest = text.substr(pos);
  size_t semi = rest.find(';');
  std::string_view sent_by = trim(rest.substr(0, semi));
  // sent-by = host [ COLON port ], COLON allowing whitespace around it.
  size_t colon = sent_by.rfind(':');
  if (!sent_by.empty() && sent_by.front() == '[') {
    size_t close = sent_by.find(']');
    colon = (close != std::string_view::npos && close + 1 < sent_by.size())
                ? close + 1
                : std::string_view::npos;
    if (colon != std::string_view::npos) {
      colon = sent_by.find_first_not_of(" \t", colon);
      if (colon == std::string_view::npos || sent_by[colon] != ':') return fail("bad sent-by");
    }
  }
  std::string_view host_text = trim(sent_by.substr(0, colon));
  if (!parse_host(host_text, via.host, via.host_kind)) return fail("bad sent-by host");
  if (colon != std::string_view::npos) {
    uint64_t port = 0;
    if (!parse_uint(trim(sent_by.substr(colon + 1)), 65535, port)) return fail("bad sent-by port");
    via.port = static_cast<uint16_t>(port);
    via.has_port = true;
  }
  if (semi != std::string_view::npos) {
    auto params = ParamList::parse(rest.substr(semi + 1), ParamSyntax::kHeader, max_params);
    if (!params) return tl::unexpected(params.error());
    via.params = *params;
    auto checked = check_via_params(via);
    if (!checked) return tl::unexpected(checked.error());
  }
  return via;
}

}  // namespace hardline::sip
