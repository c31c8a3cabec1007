#pragma once
// The one boundary where untrusted bytes become a Message. Every failure names the answer the
// server gives: a status (400, 414, 501, 505, 513) or a silent drop, plus a reason in Hardline's
// own words (never bytes of the input, so it is safe to log and to put in a reason phrase).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "sip/message.h"

namespace hardline::sip {

struct Limits {
  size_t max_message_size = 65535;  // bytes, start line to end of body
  size_t max_headers = 128;         // header fields (lines, not list elements)
  size_t max_line_length = 4096;    // a start line, or one header field with its folding
  size_t max_uri_length = 2048;     // any URI; the Request-URI gets 414 past it
  size_t max_vias = 70;             // Via values in all Via fields together
  size_t max_list_elements = 64;    // elements of one list header (Contact, Route, Allow, ...),
                                    // counted over all of its fields
  size_t max_params = 32;           // parameters of one URI or header value
};

// What went wrong, for counters; the status and reason say what to answer.
enum class ParseErrorCode : uint8_t {
  kEmpty,           // nothing but CRLF (a keep-alive) or no bytes at all
  kTooLarge,        // max_message_size
  kTooManyHeaders,  // max_headers
  kLineTooLong,     // max_line_length
  kUriTooLong,      // max_uri_length, in the Request-URI
  kTooManyVias,     // max_vias
  kBadStartLine,    // request or status line
  kBadVersion,      // not SIP/2.0
  kBadRequestUri,
  kBadStatus,
  kBadLineEnding,  // bare CR or LF, or headers never terminated by an empty line
  kBadHeaderName,
  kBadHeaderValue,        // a known header that breaks its grammar
  kDuplicateHeader,       // a single-valued header given twice
  kMissingHeader,         // Via, From, To, Call-ID or CSeq absent
  kBadContentLength,      // malformed, or larger than the bytes received
  kMissingContentLength,  // on a stream, where RFC 3261 §18.3 requires it
  kCSeqMismatch,          // CSeq method differs from the request method
  kCount,
};
std::string_view error_code_name(ParseErrorCode code);

struct ParseError {
  uint16_t status = 400;  // 0: drop silently (every malformed response, and keep-alives)
  ParseErrorCode code = ParseErrorCode::kBadStartLine;
  std::string reason;  // Hardline's own text

  bool drop() const { return status == 0; }
};

template <class T>
using ParseResult = Result<T, ParseError>;

enum class Framing : uint8_t {
  kDatagram,  // UDP: no Content-Length means the rest; bytes after the body are ignored
  kStream,    // TCP, TLS: Content-Length required; `bytes` must be exactly one message
};

// Parses and checks one message. Leading CRLFs are skipped (RFC 3261 §7.5).
ParseResult<Message> parse_message(std::string_view bytes, Framing framing,
                                   const Limits& limits = {});

inline ParseResult<Message> parse_datagram(std::string_view bytes, const Limits& limits = {}) {
  return parse_message(bytes, Framing::kDatagram, limits);
}

// The message views its buffer: parsing a temporary string would leave every view dangling.
ParseResult<Message> parse_message(std::string&&, Framing, const Limits& = {}) = delete;
ParseResult<Message> parse_datagram(std::string&&, const Limits& = {}) = delete;

// Stream framing: where the next message in a connection's buffer begins and ends.
struct StreamFrame {
  size_t skip = 0;  // leading CRLF bytes (keep-alives) to discard before the message
  size_t size = 0;  // length of the complete message after `skip`; 0 while incomplete
  size_t need = 0;  // while incomplete: at least this many more bytes are needed
};

// Looks at buffered bytes of a stream. An error means the stream cannot be framed any more
// (no or bad Content-Length, headers past the size limit): answer if the status says so, then
// close the connection.
ParseResult<StreamFrame> frame_stream(std::string_view buffered, const Limits& limits = {});

}  // namespace hardline::sip
