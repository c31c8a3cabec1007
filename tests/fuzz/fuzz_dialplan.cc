// Fuzz target: the dialplan's evaluation of a number off the network, with an arbitrary caller.
// The first bytes choose the caller (anonymous, an account with some groups, a trunk), its
// source address, transport and time; the rest is the dialled number, which also goes through
// the caller-ID rules as a trunk's From. Short inputs are also read as a pattern by the
// analysis, whose example must be a string RE2 itself matches. Invariants besides the
// sanitizers: every decision is well-formed, a local decision names a local account, the trace
// never carries a control byte, and brakes never count more calls than they allow.

#include <re2/re2.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/assert.h"
#include "common/clock.h"
#include "common/display_name.h"
#include "config/config.h"
#include "routing/brakes.h"
#include "routing/caller_id.h"
#include "routing/dialplan.h"
#include "routing/regex_language.h"

using namespace hardline;

namespace {

const char* const kConfig = R"(
[sip]
domain = "pbx.example.org"
listen = ["udp:127.0.0.1:5060"]

[sources]
office = ["10.0.0.0/8", "fd00::/8"]

[[trunk]]
name = "provider"
host = "sip.provider.example"
sources = ["198.51.100.0/24"]

[dialplan]
country_code = "49"

[[dialplan.rule]]
name = "internal"
match = '(1[0-9]{3})'
action = "local"
to = "$1"

[[dialplan.rule]]
name = "short"
match = '\*([0-9]{2})#?'
action = "local"
to = "10$1"

[[dialplan.rule]]
name = "premium"
match = '0(900|137)[0-9]*'
action = "reject"
status = 603

[[dialplan.rule]]
name = "international"
match = '(?:00|\+)([1-9][0-9]{6,14})'
action = "trunk"
trunk = "provider"
to = "+$1"
groups = ["dialout"]

[[dialplan.rule]]
name = "office"
match = '0[1-9].*'
action = "trunk"
trunk = "provider"
sources = ["office"]
transports = ["tls"]
times = ["Mon-Fri 08:00-18:00", "22:00-02:00"]

[[dialplan.rule]]
name = "did"
match = '\+4930(.{0,200})'
action = "local"
to = "$1$1$$"
callers = ["trunk:provider"]

[[dialplan.rule]]
name = "anything"
match = '.*[^0-9].*'
action = "reject"
status = 484
callers = ["account", "anonymous", "trunk"]
)";

const routing::Dialplan& dialplan() {
  static const routing::Dialplan compiled = [] {
    auto config = config::parse_config(kConfig, "/fuzz/hardline.toml");
    HL_CHECK(config.has_value());
    auto built = routing::Dialplan::compile(*config);
    HL_CHECK(built.has_value());
    return std::move(*built);
  }();
  return compiled;
}

bool is_local(std::string_view number) {
  return number.size() == 4 && number[0] == '1' && number[1] == '0';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const uint8_t kind = data[0] % 3;
  const uint8_t flags = data[1];
  const uint8_t when = data[2];
  const uint8_t where = data[3];
  std::string_view number(reinterpret_cast<const char*>(data + 4), size - 4);

  routing::CallRequest request;
  request.number = number;
  if (kind == 1) {
    std::vector<std::string> groups;
    if (flags & 1) groups.emplace_back("dialout");
    if (flags & 2) groups.emplace_back("sales");
    request.caller = routing::Caller::account("1000", std::move(groups));
  } else if (kind == 2) {
    request.caller = routing::Caller::trunk((flags & 4) ? "provider" : "other");
  }
  if (where & 1) {
    IpAddress address;
    address.v6 = (where & 2) != 0;
    address.bytes[0] = (where & 4) ? 10 : (address.v6 ? 0xfd : 198);
    address.bytes[3] = where;
    request.source = address;
  }
  request.transport = static_cast<config::Transport>((flags >> 4) % 3);
  request.time = config::LocalTime{static_cast<uint8_t>(when % 7),
                                   static_cast<uint16_t>((when * 37u + flags) % 1440)};

  const routing::Decision decision = dialplan().evaluate(request, is_local, (flags & 8) != 0);
  switch (decision.action) {
    case routing::ActionKind::kLocal:
      HL_CHECK(is_local(decision.number));
      break;
    case routing::ActionKind::kTrunk:
      HL_CHECK(decision.trunk == "provider");
      HL_CHECK(!decision.number.empty() && decision.number.size() <= routing::kMaxNumberLength);
      HL_CHECK(decision.rule >= 0);
      break;
    case routing::ActionKind::kReject:
      HL_CHECK(decision.status >= 400 && decision.status <= 699);
      HL_CHECK(!decision.reason.empty());
      break;
  }
  if (flags & 8) {
    HL_CHECK(!decision.trace.empty());
    for (const std::string& line : decision.trace) {
      for (char c : line) HL_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
    }
  }

  // The caller ID of a trunk call with this number as its From (and as its display name): never
  // internal-looking, the name already as sanitize_display_name() leaves it.
  const routing::TrunkCallerId id =
      dialplan().trunk_caller_id("provider", number, number, is_local);
  HL_CHECK(id.id.display_name.size() <= kMaxDisplayName);
  HL_CHECK(sanitize_display_name(id.id.display_name) == id.id.display_name);
  if (id.verdict == routing::CallerIdVerdict::kKeep) {
    HL_CHECK(id.id.number == number);
    HL_CHECK(!dialplan().looks_internal(id.id.number, is_local));
  }
  // Normalisation is idempotent: the rules see each number in exactly one form.
  const std::string normal = dialplan().normalized(number);
  HL_CHECK(dialplan().normalized(normal) == normal);

  // Brakes with a tiny table: never more running calls than allowed.
  static ManualClock clock;
  static routing::Brakes brakes(clock, 8);
  auto ticket = brakes.try_start(number.substr(0, 2), flags % 4, routing::BrakeLimits{1, 3});
  if (ticket) {
    HL_CHECK(!brakes.try_start(number.substr(0, 2), flags % 4, routing::BrakeLimits{1, 3}));
    if (when & 1) brakes.finish(*ticket);
  }
  clock.advance(Millis(when * 1000));
  HL_CHECK(brakes.entries() <= 8);

  // The analysis of a short pattern agrees with RE2 on its own example.
  if (number.size() <= 24) {
    RE2::Options options;
    options.set_encoding(RE2::Options::EncodingLatin1);
    options.set_log_errors(false);
    RE2 re(re2::StringPiece(number.data(), number.size()), options);
    if (re.ok()) {
      if (auto language = routing::Language::parse(number)) {
        if (auto example = language->example()) HL_CHECK(RE2::FullMatch(*example, re));
      }
    }
  }
  return 0;
}
