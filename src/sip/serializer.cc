#include "sip/serializer.h"

#include <charconv>

namespace hardline::sip {

void serialize(const Message& m, std::string& out) {
  size_t estimate = m.start_line.size() + m.body.size() + 2;
  for (const Header& h : m.headers)
    estimate += h.raw.empty() ? h.name.size() + h.value.size() + 4 : h.raw.size();
  out.reserve(out.size() + estimate);

  if (!m.start_line.empty()) {
    out.append(m.start_line);
  } else if (m.is_request) {
    out.append(m.method_text).append(" ").append(m.request_uri.text).append(" SIP/2.0\r\n");
  } else {
    char code[4] = {};
    std::to_chars(code, code + 3, m.status);
    out.append("SIP/2.0 ").append(code, 3).append(" ").append(m.reason).append("\r\n");
  }
  for (const Header& h : m.headers) {
    if (!h.raw.empty()) {
      out.append(h.raw);
    } else {
      out.append(h.name).append(": ").append(h.value).append("\r\n");
    }
  }
  out.append("\r\n");
  out.append(m.body);
}

std::string serialize(const Message& message) {
  std::string out;
  serialize(message, out);
  return out;
}

}  // namespace hardline::sip
