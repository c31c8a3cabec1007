#include "sip/parser.h"

#include <array>
#include <cstring>

#include "sip/chars.h"
#include "sip/typed_headers.h"

namespace hardline::sip {
namespace {

constexpr std::array<std::string_view, static_cast<size_t>(ParseErrorCode::kCount)> kCodeNames = {
    "empty",
    "too_large",
    "too_many_headers",
    "line_too_long",
    "uri_too_long",
    "too_many_vias",
    "bad_start_line",
    "bad_version",
    "bad_request_uri",
    "bad_status",
    "bad_line_ending",
    "bad_header_name",
    "bad_header_value",
    "duplicate_header",
    "missing_header",
    "bad_content_length",
    "missing_content_length",
    "cseq_mismatch",
};

bool looks_like_response(std::string_view bytes) {
  return bytes.size() >= 4 && iequals(bytes.substr(0, 4), "SIP/");
}

size_t skip_crlfs(std::string_view bytes) {
  size_t i = 0;
  while (i + 1 < bytes.size() && bytes[i] == '\r' && bytes[i + 1] == '\n') i += 2;
  return i;
}

// SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT. Returns false when it is not a version at all.
bool is_sip_version(std::string_view v) {
  if (v.size() < 7 || !iequals(v.substr(0, 4), "SIP/")) return false;
  v.remove_prefix(4);
  size_t dot = v.find('.');
  return dot != std::string_view::npos && all_of(v.substr(0, dot), kDigit) &&
         all_of(v.substr(dot + 1), kDigit);
}

bool is_sip_2_0(std::string_view v) {
  return iequals(v, "SIP/2.0");
}

// Reason-Phrase: any bytes but control characters (HTAB allowed); UTF-8 passes.
bool is_reason_phrase(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) return false;
  }
  return true;
}

// One message's parse; a fresh object per message.
class MessageParser {
 public:
  MessageParser(std::string_view bytes, Framing framing, const Limits& limits)
      : bytes_(bytes), framing_(framing), limits_(limits) {}

  ParseResult<Message> run() {
    if (auto r = parse(); !r) return tl::unexpected(std::move(r.error()));
    return std::move(msg_);
  }

 private:
  tl::unexpected<ParseError> error(ParseErrorCode code, uint16_t status, std::string reason) {
    // A malformed response is never answered (RFC 3261 §16.7, RFC 4475 §3.1.2.19).
    return tl::unexpected(
        ParseError{msg_.is_request ? status : uint16_t{0}, code, std::move(reason)});
  }

  ParseResult<void> parse() {
    size_t pos = skip_crlfs(bytes_);
    msg_.is_request = !looks_like_response(bytes_.substr(pos));
    if (bytes_.size() > limits_.max_message_size) {
      return error(ParseErrorCode::kTooLarge, 513, "Message Too Large");
    }
    if (pos == bytes_.size()) {
      return tl::unexpected(ParseError{0, ParseErrorCode::kEmpty, "Empty message or keep-alive"});
    }
    auto line = next_line(pos);
    if (!line) return tl::unexpected(std::move(line.error()));
    if (line->size() > limits_.max_line_length) {
      return error(ParseErrorCode::kLineTooLong, 400, "Start line too long");
    }
    msg_.start_line = bytes_.substr(pos, line->size() + 2);
    auto start = msg_.is_request ? parse_request_line(*line) : parse_status_line(*line);
    if (!start) return start;
    pos += line->size() + 2;

    auto body_start = parse_headers(pos);
    if (!body_start) return tl::unexpected(std::move(body_start.error()));
    if (auto r = check_required(); !r) return r;
    return frame_body(*body_start);
  }

  // The line starting at pos, without its CRLF. A bare CR or LF, or no CRLF at all, fails.
  ParseResult<std::string_view> next_line(size_t pos) {
    const char* begin = bytes_.data() + pos;
    size_t avail = bytes_.size() - pos;
    const void* lf = std::memchr(begin, '\n', avail);
    if (lf == nullptr) {
      return error(ParseErrorCode::kBadLineEnding, 400,
                   "Header section not terminated by CRLF CRLF");
    }
    size_t len = static_cast<size_t>(static_cast<const char*>(lf) - begin);
    if (len == 0 || begin[len - 1] != '\r') {
      return error(ParseErrorCode::kBadLineEnding, 400, "Bare LF in header section");
    }
    if (std::memchr(begin, '\r', len - 1) != nullptr) {
      return error(ParseErrorCode::kBadLineEnding, 400, "Bare CR in header section");
    }
    return std::string_view(begin, len - 1);
  }

  ParseResult<void> parse_request_line(std::string_view line) {
    // Method SP Request-URI SP SIP-Version, with exactly one SP each (RFC 4475 §3.1.2.9-10).
    size_t first = line.find(' ');
    size_t last = line.rfind(' ');
    if (first == std::string_view::npos || first == last) {
      return error(ParseErrorCode::kBadStartLine, 400, "Malformed Request-Line");
    }
    msg_.method_text = line.substr(0, first);
    if (!is_token(msg_.method_text)) {
      return error(ParseErrorCode::kBadStartLine, 400, "Malformed method in Request-Line");
    }
    msg_.method = lookup_method(msg_.method_text);
    std::string_view version = line.substr(last + 1);
    if (!is_sip_version(version)) {
      return error(ParseErrorCode::kBadStartLine, 400, "Malformed SIP-Version in Request-Line");
    }
    if (!is_sip_2_0(version)) {
      return error(ParseErrorCode::kBadVersion, 505, "Version Not Supported");
    }
    std::string_view uri = line.substr(first + 1, last - first - 1);
    if (uri.empty() || uri.find_first_of(" \t") != std::string_view::npos) {
      return error(ParseErrorCode::kBadRequestUri, 400, "Whitespace in Request-URI");
    }
    if (uri.size() > limits_.max_uri_length) {
      return error(ParseErrorCode::kUriTooLong, 414, "Request-URI Too Long");
    }
    if (uri.front() == '<') {
      return error(ParseErrorCode::kBadRequestUri, 400, "Request-URI must not be enclosed in <>");
    }
    auto parsed = parse_uri(uri, UriLimits{limits_.max_uri_length, limits_.max_params});
    if (!parsed) {
      return error(ParseErrorCode::kBadRequestUri, 400,
                   std::string("Malformed Request-URI: ").append(parsed.error().what));
    }
    if (!parsed->headers.empty()) {
      // RFC 3261 §19.1.5: headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11).
      return error(ParseErrorCode::kBadRequestUri, 400, "Headers not allowed in Request-URI");
    }
    msg_.request_uri = *parsed;
    return {};
  }

  ParseResult<void> parse_status_line(std::string_view line) {
    // SIP-Version SP Status-Code SP Reason-Phrase
    size_t sp = line.find(' ');
    std::string_view version = line.substr(0, sp);
    if (!is_sip_2_0(version)) {
      return error(ParseErrorCode::kBadVersion, 0, "Response with a version other than SIP/2.0");
    }
    if (sp == std::string_view::npos || line.size() < sp + 5 || line[sp + 4] != ' ' ||
        !all_of(line.substr(sp + 1, 3), kDigit)) {
      return error(ParseErrorCode::kBadStatus, 0, "Malformed Status-Line");
    }
    uint64_t code = 0;
    parse_uint(line.substr(sp + 1, 3), 999, code);
    if (code < 100 || code > 699) {
      return error(ParseErrorCode::kBadStatus, 0, "Status code out of range");
    }
    msg_.status = static_cast<uint16_t>(code);
    msg_.reason = line.substr(sp + 5);
    if (!is_reason_phrase(msg_.reason)) {
      return error(ParseErrorCode::kBadStatus, 0, "Control character in Reason-Phrase");
    }
    return {};
  }

  // Reads header fields from pos up to the empty line; returns where the body starts.
  ParseResult<size_t> parse_headers(size_t pos) {
    msg_.headers.reserve(16);
    while (true) {
      auto line = next_line(pos);
      if (!line) return tl::unexpected(std::move(line.error()));
      if (line->empty()) return pos + 2;
      if (is(line->front(), kWhitespace)) {
        return error(ParseErrorCode::kBadLineEnding, 400, "Continuation line without a header");
      }
      // Gather continuation lines (line folding, RFC 3261 §7.3.1).
      size_t field_start = pos;
      size_t field_end = pos + line->size();  // excluding the final CRLF
      bool folded = false;
      pos += line->size() + 2;
      while (pos < bytes_.size() && is(bytes_[pos], kWhitespace)) {
        auto cont = next_line(pos);
        if (!cont) return tl::unexpected(std::move(cont.error()));
        folded = true;
        field_end = pos + cont->size();
        pos += cont->size() + 2;
        if (field_end - field_start > limits_.max_line_length) break;
      }
      if (field_end - field_start > limits_.max_line_length) {
        return error(ParseErrorCode::kLineTooLong, 400, "Header field too long");
      }
      if (msg_.headers.size() >= limits_.max_headers) {
        return error(ParseErrorCode::kTooManyHeaders, 400, "Too many header fields");
      }
      auto added = add_header(bytes_.substr(field_start, field_end - field_start),
                              bytes_.substr(field_start, pos - field_start), folded);
      if (!added) return tl::unexpected(std::move(added.error()));
    }
  }

  ParseResult<void> add_header(std::string_view field, std::string_view raw, bool folded) {
    size_t name_end = 0;
    while (name_end < field.size() && is(field[name_end], kToken)) ++name_end;
    size_t colon = name_end;
    while (colon < field.size() && is(field[colon], kWhitespace)) ++colon;
    if (name_end == 0 || colon >= field.size() || field[colon] != ':') {
      return error(ParseErrorCode::kBadHeaderName, 400, "Malformed header field name");
    }
    Header h;
    h.name = field.substr(0, name_end);
    h.raw = raw;
    h.id = lookup_header(h.name);
    std::string_view value = field.substr(colon + 1);
    if (folded) {
      // A folded CRLF is whitespace (RFC 3261 §7.3.1): dropping it leaves the SP/HTAB after it.
      std::string unfolded;
      unfolded.reserve(value.size());
      for (size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '\r' && i + 1 < value.size() && value[i + 1] == '\n') {
          ++i;
          continue;
        }
        unfolded.push_back(value[i]);
      }
      value = msg_.keep(std::move(unfolded));
    }
    h.value = trim(value);
    msg_.headers.push_back(h);
    auto typed = apply_typed_header(msg_, h, limits_);
    if (!typed) {
      if (!msg_.is_request) typed.error().status = 0;
      return typed;
    }
    return {};
  }

  ParseResult<void> check_required() {
    // RFC 3261 §8.1.1: To, From, CSeq, Call-ID, Max-Forwards and Via. Max-Forwards is not
    // required, so that RFC 2543 requests still parse (RFC 4475 §3.4.1); a proxy that forwards
    // such a request adds it.
    const char* missing = msg_.vias.empty()          ? "Via"
                          : msg_.from.text.empty()   ? "From"
                          : msg_.to.text.empty()     ? "To"
                          : msg_.call_id.empty()     ? "Call-ID"
                          : msg_.cseq.method.empty() ? "CSeq"
                                                     : nullptr;
    if (missing != nullptr) {
      return error(ParseErrorCode::kMissingHeader, 400,
                   std::string("Missing ").append(missing).append(" header"));
    }
    if (msg_.is_request && msg_.cseq.method != msg_.method_text) {
      // An unknown method gets 501 whatever its CSeq says (RFC 4475 §3.1.2.18).
      uint16_t status = msg_.method == Method::kOther ? 501 : 400;
      return error(ParseErrorCode::kCSeqMismatch, status, "CSeq method does not match the request");
    }
    return {};
  }

  ParseResult<void> frame_body(size_t body_start) {
    size_t available = bytes_.size() - body_start;
    if (msg_.content_length) {
      if (*msg_.content_length > available) {
        return error(ParseErrorCode::kBadContentLength, 400,
                     "Content-Length larger than the message");
      }
      if (framing_ == Framing::kStream && *msg_.content_length != available) {
        return error(ParseErrorCode::kBadContentLength, 400,
                     "Content-Length differs from the frame");
      }
      msg_.body = bytes_.substr(body_start, *msg_.content_length);
      return {};
    }
    if (framing_ == Framing::kStream) {
      return error(ParseErrorCode::kMissingContentLength, 400,
                   "Content-Length required on a stream");
    }
    msg_.body = bytes_.substr(body_start);  // RFC 3261 §18.3: the rest of the datagram
    return {};
  }

  std::string_view bytes_;
  Framing framing_;
  const Limits& limits_;
  Message msg_;
};

}  // namespace

std::string_view error_code_name(ParseErrorCode code) {
  return kCodeNames[static_cast<size_t>(code)];
}

ParseResult<Message> parse_message(std::string_view bytes, Framing framing, const Limits& limits) {
  return MessageParser(bytes, framing, limits).run();
}

}  // namespace hardline::sip
