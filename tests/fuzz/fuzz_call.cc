// Fuzz target: the B2BUA fed whatever a caller and two callees might send. A call from 1000 to
// 1001 is set up first (the caller's INVITE, ringing on two phones); then the input is a
// sequence of records, each one byte of operation, two bytes of length and a payload:
//   op % 6: 0 request from the caller, 1 request from phone A, 2 response from phone A,
//           3 response from phone B, 4 response from the caller, 5 time moves on by
//           payload[0] * 250 ms.
// In payloads, $TAG, $CALLID, $BRANCH and $CSEQ are replaced by the values of the last message
// Hardline sent to that peer (its local tag, Call-ID, top Via branch, CSeq number), so that the
// fuzzer reaches dialogs it could never guess. Invariants besides the sanitizers: nothing sent
// to a callee carries the caller's address in its headers, and once the clock has run far
// past every timer and end_all() has run, no call is left.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "call/b2bua.h"
#include "common/assert.h"
#include "common/clock.h"
#include "sip/parser.h"
#include "txn/transaction_layer.h"

using namespace hardline;

namespace {

Endpoint endpoint(std::string_view spec) {
  auto parsed = parse_endpoint_spec(spec);
  HL_CHECK(parsed.has_value());
  return *parsed;
}

const Endpoint kCaller = endpoint("udp:198.51.100.7:5060");
const Endpoint kPhoneA = endpoint("udp:203.0.113.5:5070");
const Endpoint kPhoneB = endpoint("udp:203.0.113.6:5070");

class World final : public call::Network, public call::Locator, public txn::Sender {
 public:
  World() : layer(clock, *this), router([](std::string_view) -> Result<bool> { return true; }) {
    call::Settings settings;
    settings.domain = "pbx.example";
    b2bua = std::make_unique<call::B2bua>(clock, layer, *this, *this, router, settings);
  }

  void send(const Endpoint& to, std::string_view bytes) override {
    // Topology hiding: the caller's address never reaches a phone of the callee's side, unless
    // that side sent it itself (the fuzzer may copy it into a phone's Contact, which the dialog
    // then rightly uses as that phone's target).
    if ((to == kPhoneA || to == kPhoneB) && !callee_side_sent_caller_address) {
      const std::string_view head = bytes.substr(0, bytes.find("\r\n\r\n"));
      HL_CHECK(head.find("198.51.100.7") == std::string_view::npos);
    }
    last[index(to)] = std::string(bytes);
  }
  std::string local_address(const Endpoint&) const override { return "192.0.2.1:5060"; }
  std::vector<call::Contact> contacts(std::string_view) override {
    return {call::Contact{"sip:1001@203.0.113.5:5070", kPhoneA},
            call::Contact{"sip:1001@203.0.113.6:5070", kPhoneB}};
  }

  static size_t index(const Endpoint& to) {
    if (to == kPhoneA) return 1;
    if (to == kPhoneB) return 2;
    return 0;
  }

  void note_source(std::string_view text, const Endpoint& from) {
    if (from != kCaller && text.find("198.51.100.7") != std::string_view::npos) {
      callee_side_sent_caller_address = true;
    }
  }

  void request(std::string_view text, const Endpoint& from) {
    note_source(text, from);
    auto parsed = sip::parse_datagram(text);
    if (!parsed || !parsed->is_request) return;
    const sip::Message& message = *parsed;
    auto incoming = layer.on_request(message, from, from);
    using Disposition = txn::TransactionLayer::Disposition;
    if (incoming.disposition == Disposition::kAckWithoutTransaction) {
      b2bua->on_ack(message, from);
    } else if (incoming.disposition == Disposition::kNew) {
      if (message.method == sip::Method::kCancel) {
        auto invite = layer.find_invite_for_cancel(message);
        layer.respond(incoming.id, invite ? 200 : 481, "SIP/2.0 200 OK\r\n\r\n");
        if (invite) b2bua->on_cancel(*invite);
      } else if (message.method == sip::Method::kInvite && !message.to.tag()) {
        b2bua->on_invite(message, incoming.id, from, from, call::Caller{"1000", "Alice"});
      } else {
        b2bua->on_in_dialog(message, incoming.id, from);
      }
    }
  }

  void response(std::string_view text, const Endpoint& from) {
    note_source(text, from);
    auto parsed = sip::parse_datagram(text);
    if (!parsed || parsed->is_request) return;
    if (!layer.on_response(*parsed, from)) b2bua->on_stray_response(*parsed);
  }

  void advance(Millis by) {
    const SteadyTime end = clock.now() + by;
    while (true) {
      std::optional<SteadyTime> next = layer.next_deadline();
      if (auto other = b2bua->next_deadline(); other && (!next || *other < *next)) next = other;
      if (!next || *next > end) break;
      if (*next > clock.now())
        clock.advance(std::chrono::duration_cast<Millis>(*next - clock.now()));
      layer.run_timers();
      b2bua->run_timers();
    }
    if (clock.now() < end) clock.advance(std::chrono::duration_cast<Millis>(end - clock.now()));
    layer.run_timers();
    b2bua->run_timers();
  }

  ManualClock clock;
  txn::TransactionLayer layer;
  call::LocalRouter router;
  std::unique_ptr<call::B2bua> b2bua;
  std::string last[3];  // the last message sent to the caller, phone A, phone B
  bool callee_side_sent_caller_address = false;
};

// The value after `name` up to the end of the line, in a message's headers.
std::string_view header_value(std::string_view message, std::string_view name) {
  const size_t at = message.find(name);
  if (at == std::string_view::npos) return {};
  std::string_view rest = message.substr(at + name.size());
  return rest.substr(0, rest.find("\r\n"));
}

std::string param_value(std::string_view value, std::string_view name) {
  const size_t at = value.find(name);
  if (at == std::string_view::npos) return {};
  std::string_view rest = value.substr(at + name.size());
  return std::string(rest.substr(0, rest.find_first_of(";>, \r")));
}

std::string substitute(std::string_view payload, const std::string& last) {
  const std::string tag = param_value(header_value(last, "\r\nFrom: "), ";tag=").empty()
                              ? param_value(header_value(last, "\r\nTo: "), ";tag=")
                              : param_value(header_value(last, "\r\nFrom: "), ";tag=");
  const std::pair<std::string_view, std::string> kTokens[] = {
      {"$TAG", tag},
      {"$CALLID", std::string(header_value(last, "\r\nCall-ID: "))},
      {"$BRANCH", param_value(header_value(last, "\r\nVia: "), "branch=")},
      {"$CSEQ",
       std::string(
           header_value(last, "\r\nCSeq: ").substr(0, header_value(last, "\r\nCSeq: ").find(' ')))},
  };
  std::string out(payload);
  for (const auto& [token, value] : kTokens) {
    for (size_t at = out.find(token); at != std::string::npos;
         at = out.find(token, at + value.size())) {
      out.replace(at, token.size(), value);
    }
  }
  return out;
}

constexpr std::string_view kInvite =
    "INVITE sip:1001@pbx.example SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-fuzz-1\r\n"
    "Max-Forwards: 70\r\nFrom: <sip:1000@pbx.example>;tag=caller\r\n"
    "To: <sip:1001@pbx.example>\r\nCall-ID: fuzz-call@198.51.100.7\r\nCSeq: 1 INVITE\r\n"
    "Contact: <sip:1000@198.51.100.7:5060>\r\nContent-Length: 0\r\n\r\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World world;
  world.request(kInvite, kCaller);
  const Endpoint peers[] = {kCaller, kPhoneA, kPhoneB};
  size_t pos = 0;
  while (pos + 3 <= size) {
    const uint8_t op = data[pos] % 6;
    const size_t length = std::min<size_t>(size - pos - 3, data[pos + 1] << 8 | data[pos + 2]);
    const std::string_view payload(reinterpret_cast<const char*>(data + pos + 3), length);
    pos += 3 + length;
    switch (op) {
      case 0:
        world.request(substitute(payload, world.last[0]), kCaller);
        break;
      case 1:
        world.request(substitute(payload, world.last[1]), kPhoneA);
        break;
      case 2:
        world.response(substitute(payload, world.last[1]), kPhoneA);
        break;
      case 3:
        world.response(substitute(payload, world.last[2]), kPhoneB);
        break;
      case 4:
        world.response(substitute(payload, world.last[0]), kCaller);
        break;
      default:
        world.advance(Millis(250 * (payload.empty() ? 1 : static_cast<uint8_t>(payload[0]))));
        break;
    }
    (void)peers;
  }
  world.b2bua->end_all();
  world.advance(std::chrono::hours(1));
  HL_CHECK(world.b2bua->active() == 0);
  HL_CHECK(world.b2bua->held() == 0);
  return 0;
}
