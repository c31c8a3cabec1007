#include "sip/response.h"

#include "sip/chars.h"
#include "sip/header_list.h"
#include "sip/name_addr.h"
#include "sip/scalar_headers.h"

namespace hardline::sip {

ResponseBasis basis_of(const Message& request) {
  ResponseBasis basis;
  basis.vias.reserve(request.vias.size());
  for (const Via& via : request.vias) basis.vias.push_back(via.text);
  if (const Header* h = request.find(HeaderId::kFrom)) basis.from = h->value;
  if (const Header* h = request.find(HeaderId::kTo)) basis.to = h->value;
  basis.call_id = request.call_id;
  if (const Header* h = request.find(HeaderId::kCSeq)) basis.cseq = h->value;
  basis.to_has_tag = request.to.tag().has_value();
  return basis;
}

namespace {

bool has_control(std::string_view value) {
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return true;
  }
  return false;
}

}  // namespace

Result<ResponseBasis> salvage_basis(std::string_view bytes, size_t max_line_length) {
  while (bytes.starts_with("\r\n")) bytes.remove_prefix(2);
  if (bytes.empty()) return fail("nothing but line endings");
  // Without CRLF there are no lines: whatever a bare LF seems to separate is not a header we
  // may echo (that is how headers are smuggled).
  if (bytes.find("\r\n") == std::string_view::npos) return fail("no CRLF line ending");
  ResponseBasis basis;
  bool first = true;
  std::optional<std::string_view> via_fields[8];
  size_t via_field_count = 0;
  while (!bytes.empty()) {
    size_t end = bytes.find("\r\n");
    if (end == std::string_view::npos) end = bytes.size();
    if (end > max_line_length) return fail("a line longer than the line limit");
    const std::string_view line = bytes.substr(0, end);
    bytes.remove_prefix(std::min(bytes.size(), end + 2));
    if (first) {
      // A response is never answered; a request line ends in the version.
      if (line.starts_with("SIP/")) return fail("a response is never answered");
      if (line.find(' ') == std::string_view::npos) return fail("no request line");
      if (line.find_first_of("\r\n") != std::string_view::npos) {
        return fail("a bare CR or LF: the lines cannot be told apart");
      }
      first = false;
      continue;
    }
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') continue;  // folding: not worth salvaging
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view value = trim(line.substr(colon + 1));
    if (value.empty() || has_control(value)) continue;
    switch (lookup_header(trim(line.substr(0, colon)))) {
      case HeaderId::kVia:
        if (via_field_count == std::size(via_fields)) return fail("too many Via header fields");
        via_fields[via_field_count++] = value;
        break;
      case HeaderId::kFrom:
        if (basis.from.empty()) basis.from = value;
        break;
      case HeaderId::kTo:
        if (basis.to.empty()) basis.to = value;
        break;
      case HeaderId::kCallId:
        if (basis.call_id.empty()) basis.call_id = value;
        break;
      case HeaderId::kCSeq:
        if (basis.cseq.empty()) basis.cseq = value;
        break;
      default:
        break;
    }
  }
  if (via_field_count == 0) return fail("no usable Via");
  if (basis.from.empty()) return fail("no usable From");
  if (basis.to.empty()) return fail("no usable To");
  if (basis.call_id.empty()) return fail("no usable Call-ID");
  if (basis.cseq.empty()) return fail("no usable CSeq");
  for (size_t i = 0; i < via_field_count; ++i) {
    auto ok = for_each_element(*via_fields[i], 70, [&](std::string_view element) -> Result<void> {
      if (basis.vias.size() >= 70) return fail("too many Via values");
      basis.vias.push_back(element);
      return {};
    });
    if (!ok) return fail("a Via that does not parse");
  }
  // Everything echoed must be valid, so that the answer is a valid response.
  if (basis.vias.empty()) return fail("no usable Via");
  for (std::string_view via : basis.vias) {
    if (!parse_via(via)) return fail("a Via that does not parse");
  }
  auto to = parse_name_addr(basis.to);
  if (!to) return fail("a To that does not parse");
  if (!parse_name_addr(basis.from)) return fail("a From that does not parse");
  if (!is_call_id(basis.call_id)) return fail("a Call-ID that does not parse");
  if (!parse_cseq(basis.cseq)) return fail("a CSeq that does not parse");
  basis.to_has_tag = to->tag().has_value();
  return basis;
}

std::string stamp_top_via(const Via& top, const Endpoint& source) {
  const std::string address = to_string(source.address);
  const bool host_differs = top.host != address;
  if (!host_differs && !top.has_rport) return std::string(top.text);
  // Everything before the parameters (sent-protocol and sent-by), then the parameters except
  // received and rport, which are written anew.
  const size_t semicolon = top.text.find(';');
  std::string out(trim(top.text.substr(0, semicolon)));
  for (const Param& param : top.params) {
    if (iequals(param.name, "received") || iequals(param.name, "rport")) continue;
    out.append(";").append(param.name);
    if (param.has_value) out.append("=").append(param.value);
  }
  out.append(";received=").append(address);
  if (top.has_rport) out.append(";rport=").append(std::to_string(source.port));
  return out;
}

std::string build_response(const ResponseBasis& basis, uint16_t status, std::string_view reason,
                           std::string_view top_via, std::string_view to_tag,
                           const std::vector<ResponseHeader>& headers, std::string_view body) {
  std::string out;
  out.reserve(384 + body.size());
  out.append("SIP/2.0 ").append(std::to_string(status)).append(" ").append(reason).append("\r\n");
  for (size_t i = 0; i < basis.vias.size(); ++i) {
    out.append("Via: ").append(i == 0 && !top_via.empty() ? top_via : basis.vias[i]).append("\r\n");
  }
  out.append("From: ").append(basis.from).append("\r\n");
  out.append("To: ").append(basis.to);
  if (!basis.to_has_tag && status > 100 && !to_tag.empty()) out.append(";tag=").append(to_tag);
  out.append("\r\n");
  out.append("Call-ID: ").append(basis.call_id).append("\r\n");
  out.append("CSeq: ").append(basis.cseq).append("\r\n");
  for (const ResponseHeader& header : headers) {
    out.append(header.name).append(": ").append(header.value).append("\r\n");
  }
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
  out.append(body);
  return out;
}

std::string_view default_reason(uint16_t status) {
  switch (status) {
    case 100:
      return "Trying";
    case 180:
      return "Ringing";
    case 183:
      return "Session Progress";
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 407:
      return "Proxy Authentication Required";
    case 408:
      return "Request Timeout";
    case 413:
      return "Request Entity Too Large";
    case 414:
      return "Request-URI Too Long";
    case 416:
      return "Unsupported URI Scheme";
    case 420:
      return "Bad Extension";
    case 423:
      return "Interval Too Brief";
    case 480:
      return "Temporarily Unavailable";
    case 481:
      return "Call/Transaction Does Not Exist";
    case 482:
      return "Loop Detected";
    case 483:
      return "Too Many Hops";
    case 486:
      return "Busy Here";
    case 487:
      return "Request Terminated";
    case 500:
      return "Server Internal Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "Version Not Supported";
    case 513:
      return "Message Too Large";
    default:
      return "Unknown";
  }
}

}  // namespace hardline::sip
