// frame_stream(): finds message boundaries in a TCP/TLS byte stream by Content-Length
// (RFC 3261 §18.3), without parsing anything but the Content-Length field.

#include <string>

#include "sip/chars.h"
#include "sip/parser.h"
#include "sip/scalar_headers.h"

namespace hardline::sip {
namespace {

bool is_content_length_name(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view name = trim(line.substr(0, colon));
  return iequals(name, "content-length") || iequals(name, "l");
}

}  // namespace

ParseResult<StreamFrame> frame_stream(std::string_view buffered, const Limits& limits) {
  StreamFrame frame;
  while (frame.skip + 1 < buffered.size() && buffered[frame.skip] == '\r' &&
         buffered[frame.skip + 1] == '\n') {
    frame.skip += 2;
  }
  std::string_view rest = buffered.substr(frame.skip);
  uint16_t status = (rest.size() >= 4 && iequals(rest.substr(0, 4), "SIP/")) ? 0 : 400;
  size_t head_end = rest.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    if (rest.size() > limits.max_message_size) {
      return tl::unexpected(ParseError{status == 0 ? uint16_t{0} : uint16_t{513},
                                       ParseErrorCode::kTooLarge, "Message Too Large"});
    }
    frame.need = 1;
    return frame;
  }
  head_end += 4;

  // Walk the header lines (after the start line) for Content-Length, folding included.
  std::string_view head = rest.substr(0, head_end - 2);
  size_t pos = head.find("\r\n") + 2;
  std::optional<uint32_t> length;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    while (end + 2 < head.size() && is(head[end + 2], kWhitespace))
      end = head.find("\r\n", end + 2);
    std::string_view field = head.substr(pos, end - pos);
    pos = end + 2;
    if (!is_content_length_name(field)) continue;
    if (length) {
      return tl::unexpected(ParseError{status, ParseErrorCode::kDuplicateHeader,
                                       "More than one Content-Length header"});
    }
    std::string value(field.substr(field.find(':') + 1));
    std::erase_if(value, [](char c) { return c == '\r' || c == '\n'; });
    auto parsed = parse_content_length(value);
    if (!parsed) {
      return tl::unexpected(
          ParseError{status, ParseErrorCode::kBadContentLength, "Malformed Content-Length header"});
    }
    length = *parsed;
  }
  if (!length) {
    return tl::unexpected(ParseError{status, ParseErrorCode::kMissingContentLength,
                                     "Content-Length required on a stream"});
  }
  size_t total = head_end + *length;
  if (total > limits.max_message_size) {
    return tl::unexpected(ParseError{status == 0 ? uint16_t{0} : uint16_t{513},
                                     ParseErrorCode::kTooLarge, "Message Too Large"});
  }
  if (rest.size() < total) {
    frame.need = total - rest.size();
  } else {
    frame.size = total;
  }
  return frame;
}

}  // namespace hardline::sip
