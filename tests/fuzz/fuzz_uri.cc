// Fuzz target: URIs, and the element parsers that carry them (name-addr, Via, auth headers).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/assert.h"
#include "sip/auth_headers.h"
#include "sip/name_addr.h"
#include "sip/uri.h"
#include "sip/via.h"

using namespace hardline::sip;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto uri = parse_uri(text)) {
    // Every view lies inside the input.
    for (std::string_view part : {uri->user, uri->password, uri->host, uri->headers, uri->number,
                                  uri->opaque, uri->params.text()}) {
      HL_CHECK(part.empty() || (part.data() >= text.data() &&
                                part.data() + part.size() <= text.data() + text.size()));
    }
    std::string user = unescape(uri->user);
    HL_CHECK(user.size() <= uri->user.size());
    volatile size_t sink = user.size();
    for (const Param& p : uri->params) sink = sink + p.name.size() + p.value.size();
    (void)sink;
  }
  if (auto na = parse_name_addr(text)) {
    volatile size_t sink = display_name_text(*na).size() + na->tag().value_or("").size();
    (void)sink;
  }
  if (auto contact = parse_contact(text)) {
    HL_CHECK(!contact->q || *contact->q <= 1000);
  }
  if (auto via = parse_via(text)) {
    HL_CHECK(!via->host.empty());
  }
  if (auto auth = parse_auth_header(text)) {
    volatile size_t sink = auth->find("realm").value_or("").size();
    (void)sink;
  }
  return 0;
}
