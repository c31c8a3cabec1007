// Fuzz target: the datagram parser, the stream framer, the serializer and the response builder
// on arbitrary bytes. Besides the sanitizers, it checks three invariants: a message that parses
// serializes to bytes that parse again to the same serialization; every typed accessor is safe
// to call; and every response Hardline would send (to a valid request, or the 400 built from a
// malformed one's salvaged headers) is itself a valid SIP response.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/assert.h"
#include "sip/parser.h"
#include "sip/response.h"
#include "sip/serializer.h"

using namespace hardline::sip;

namespace {

void touch_uri(const Uri& uri) {
  volatile size_t sink = unescape(uri.user).size() + unescape(uri.password).size();
  for (const Param& p : uri.params) sink = sink + p.name.size() + p.value.size();
  (void)sink;
}

void touch(const Message& m) {
  touch_uri(m.request_uri);
  touch_uri(m.from.uri);
  touch_uri(m.to.uri);
  volatile size_t sink = display_name_text(m.from).size() + display_name_text(m.to).size();
  for (const Contact& c : m.contacts) {
    touch_uri(c.address.uri);
    sink = sink + c.address.params.find("expires").value_or("").size();
  }
  for (const Via& v : m.vias) {
    for (const Param& p : v.params) sink = sink + p.name.size();
  }
  for (const AuthHeader& a : m.authorizations) {
    sink =
        sink + a.find("nonce").value_or("").size() + unquote(a.digest.username.value_or("")).size();
  }
  (void)sink;
}

const hardline::Endpoint kSource = *hardline::parse_endpoint_spec("udp:192.0.2.1:5060");

void check_response(const ResponseBasis& basis, const Via& top, uint16_t status) {
  const std::string response =
      build_response(basis, status, "Bad Request", stamp_top_via(top, kSource), "f00d",
                     {{"Allow", "REGISTER, INVITE"}});
  auto parsed = parse_datagram(response);
  HL_CHECK(parsed.has_value());
  HL_CHECK(!parsed->is_request && parsed->status == status);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);

  auto parsed = parse_datagram(bytes);
  if (parsed) {
    touch(*parsed);
    const std::string once = serialize(*parsed);
    auto again = parse_datagram(once);
    HL_CHECK(again.has_value());
    HL_CHECK(serialize(*again) == once);
    if (parsed->is_request) check_response(basis_of(*parsed), parsed->vias.front(), 401);
  } else {
    HL_CHECK(parsed.error().status == 0 ||
             (parsed.error().status >= 400 && parsed.error().status < 600));
    HL_CHECK(parsed.error().reason.find_first_of("\r\n") == std::string::npos);
    if (auto basis = salvage_basis(bytes)) {
      auto top = parse_via(basis->vias.front());
      HL_CHECK(top.has_value());
      check_response(*basis, *top, 400);
    }
  }

  // The same bytes as the start of a TCP stream: frame, then parse each complete message.
  std::string_view stream = bytes;
  for (int i = 0; i < 8 && !stream.empty(); ++i) {
    auto frame = frame_stream(stream);
    if (!frame || frame->size == 0) break;
    HL_CHECK(frame->skip + frame->size <= stream.size());
    auto m = parse_message(stream.substr(frame->skip, frame->size), Framing::kStream);
    if (m) touch(*m);
    stream.remove_prefix(frame->skip + frame->size);
  }
  return 0;
}
