#pragma once
// Building responses to requests (RFC 3261 §8.2.6): the status line, the headers every response
// copies from its request, then whatever the caller adds. Works both from a parsed request and
// from the raw bytes of one the parser refused, so that a malformed request still gets its 400.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/endpoint.h"
#include "common/result.h"
#include "sip/message.h"

namespace hardline::sip {

// What a response copies from its request: every Via value (top first), From, To, Call-ID and
// CSeq, as received (header values, unfolded).
struct ResponseBasis {
  std::vector<std::string_view> vias;
  std::string_view from;
  std::string_view to;
  std::string_view call_id;
  std::string_view cseq;
  bool to_has_tag = false;
};

ResponseBasis basis_of(const Message& request);

// The same lines found leniently in a request the parser refused. An error, saying why in
// Hardline's own words, when they cannot be found or are not valid themselves (then the request
// is dropped, never answered blindly): lines must end in CRLF, the start line must be a request
// line, and Via, From, To, Call-ID and CSeq must each be present and pass their own grammar, so
// that the answer is a valid response.
Result<ResponseBasis> salvage_basis(std::string_view bytes, size_t max_line_length = 4096);

// The top Via as the response must carry it (RFC 3261 §18.2.1, RFC 3581 §4): `received` when the
// sent-by host is not the source address or when rport was asked for, and `rport` with the source
// port when rport was asked for. Returns the via-parm text to use in place of the received one.
std::string stamp_top_via(const Via& top, const Endpoint& source);

struct ResponseHeader {
  std::string_view name;
  std::string_view value;
};

// Writes a whole response. `top_via` replaces the first Via value when not empty; `to_tag` is
// added to To when the request's To had no tag and the status is above 100. Content-Length is
// always written (0 when there is no body).
std::string build_response(const ResponseBasis& basis, uint16_t status, std::string_view reason,
                           std::string_view top_via, std::string_view to_tag,
                           const std::vector<ResponseHeader>& headers, std::string_view body = {});

// The reason phrase RFC 3261 §21 gives a status, or "Unknown".
std::string_view default_reason(uint16_t status);

}  // namespace hardline::sip
