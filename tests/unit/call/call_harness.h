#pragma once
// A script driver for the B2BUA, in the manner of tests/unit/txn/txn_harness.h: a real
// transaction layer and B2BUA on a ManualClock, a caller and callees played by the test
// (inject a request or a response as bytes; look at what was sent, to whom and when), and a
// Router and Locator the test sets. Nothing sleeps.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "call/b2bua.h"
#include "common/clock.h"
#include "sip/parser.h"
#include "txn/transaction_layer.h"

namespace hardline::call::test {

using namespace std::chrono_literals;

inline Endpoint endpoint(std::string_view spec, uint64_t connection = 0) {
  auto parsed = parse_endpoint_spec(spec);
  EXPECT_TRUE(parsed.has_value()) << spec;
  Endpoint e = parsed.value_or(Endpoint{});
  e.connection = connection;
  return e;
}

// The caller's phone, two phones of the callee, and a provider.
inline const Endpoint kCaller = endpoint("udp:198.51.100.7:5060");
inline const Endpoint kPhoneA = endpoint("udp:203.0.113.5:5070");
inline const Endpoint kPhoneB = endpoint("udp:203.0.113.6:5070");
inline const Endpoint kTrunk = endpoint("udp:192.0.2.99:5060");
inline constexpr std::string_view kLocal = "192.0.2.1:5060";  // Hardline's address

struct Sent {
  Millis at;
  Endpoint to;
  std::string bytes;
};

// The value of the first header `name` (long form, any case) in a message's text, or "".
inline std::string header_of(std::string_view message, std::string_view name) {
  const std::string_view head = message.substr(0, message.find("\r\n\r\n"));
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos < head.size()) {
    const size_t start = pos + 2;
    size_t end = head.find("\r\n", start);
    if (end == std::string_view::npos) end = head.size();
    const std::string_view line = head.substr(start, end - start);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos && colon == name.size()) {
      bool same = true;
      for (size_t i = 0; i < colon; ++i) {
        same &= std::tolower(static_cast<unsigned char>(line[i])) ==
                std::tolower(static_cast<unsigned char>(name[i]));
      }
      if (same) {
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        return std::string(value);
      }
    }
    pos = end;
  }
  return {};
}

inline size_t count_headers(std::string_view message, std::string_view name) {
  const std::string needle = "\r\n" + std::string(name) + ":";
  size_t count = 0;
  const std::string_view head = message.substr(0, message.find("\r\n\r\n"));
  for (size_t pos = head.find(needle); pos != std::string_view::npos;
       pos = head.find(needle, pos + 1)) {
    ++count;
  }
  return count;
}

inline std::string tag_in(std::string_view value) {
  const size_t at = value.find(";tag=");
  if (at == std::string_view::npos) return {};
  std::string_view tag = value.substr(at + 5);
  return std::string(tag.substr(0, tag.find(';')));
}

inline std::string body_of(std::string_view message) {
  const size_t at = message.find("\r\n\r\n");
  return at == std::string_view::npos ? std::string() : std::string(message.substr(at + 4));
}

// A response to a request Hardline sent (its bytes): Via, From, To (with `to_tag` when not
// empty and To has none), Call-ID and CSeq copied, then `extra` lines and the body.
inline std::string response_to(std::string_view request, int status, std::string_view to_tag = {},
                               std::vector<std::string> extra = {}, std::string_view body = {}) {
  std::string out = "SIP/2.0 " + std::to_string(status) + " Whatever\r\n";
  out += "Via: " + header_of(request, "Via") + "\r\n";
  out += "From: " + header_of(request, "From") + "\r\n";
  std::string to = header_of(request, "To");
  if (!to_tag.empty() && tag_in(to).empty()) to += ";tag=" + std::string(to_tag);
  out += "To: " + to + "\r\n";
  out += "Call-ID: " + header_of(request, "Call-ID") + "\r\n";
  out += "CSeq: " + header_of(request, "CSeq") + "\r\n";
  for (const std::string& line : extra) out += line + "\r\n";
  if (!body.empty()) out += "Content-Type: application/sdp\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out += body;
  return out;
}

// The caller's INVITE, field by field.
struct Invite {
  std::string uri = "sip:1001@pbx.example";
  std::string branch = "z9hG4bK-caller-1";
  std::string from = "\"Mallory\" <sip:9999@evil.example>;tag=caller-tag";
  std::string call_id = "caller-call-id@198.51.100.7";
  uint32_t cseq = 7;
  int max_forwards = 70;
  std::vector<std::string> extra = {"P-Asserted-Identity: <sip:9999@evil.example>",
                                    "Remote-Party-ID: <sip:9999@evil.example>;party=calling",
                                    "User-Agent: CallerPhone/1.0",
                                    "X-Internal: secret",
                                    "Subject: lunch",
                                    "Record-Route: <sip:10.0.0.1;lr>"};
  std::string body =
      "v=0\r\no=- 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\n"
      "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";

  std::string build() const {
    std::string out = "INVITE " + uri + " SIP/2.0\r\n";
    out += "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=" + branch + "\r\n";
    out += "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-inner\r\n";
    if (max_forwards >= 0) out += "Max-Forwards: " + std::to_string(max_forwards) + "\r\n";
    out += "From: " + from + "\r\nTo: <" + uri + ">\r\nCall-ID: " + call_id + "\r\n";
    out += "CSeq: " + std::to_string(cseq) + " INVITE\r\n";
    out += "Contact: <sip:9999@198.51.100.7:5060>\r\n";
    for (const std::string& line : extra) out += line + "\r\n";
    out += "Content-Type: application/sdp\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return out;
  }
};

class Harness final : public Network, public Locator, public Router, public txn::Sender {
 public:
  explicit Harness(Settings settings = defaults())
      : layer(clock, *this), b2bua(clock, layer, *this, *this, *this, std::move(settings)) {}

  static Settings defaults() {
    Settings settings;
    settings.domain = "pbx.example";
    settings.ring_timeout = 30s;
    settings.max_duration = 1h;
    return settings;
  }

  Millis now() const { return std::chrono::duration_cast<Millis>(clock.now().time_since_epoch()); }

  // txn::Sender and Network: everything sent lands in `sent`.
  void send(const Endpoint& to, std::string_view bytes) override {
    sent.push_back(Sent{now(), to, std::string(bytes)});
  }
  std::string local_address(const Endpoint& /*peer*/) const override { return std::string(kLocal); }

  // Locator.
  std::vector<Contact> contacts(std::string_view account) override {
    auto it = registered.find(std::string(account));
    return it == registered.end() ? std::vector<Contact>{} : it->second;
  }

  // Router: `route_to` when set, else local accounts by `registered`, 404 otherwise.
  RouteDecision route(const RouteRequest& request) override {
    routed.push_back(std::string(request.dialled));
    if (route_to) return route_to(request);
    RouteDecision decision;
    if (!request.caller || !registered.contains(std::string(request.dialled))) {
      decision.status = 404;
      return decision;
    }
    decision.kind = RouteDecision::Kind::kLocal;
    decision.account = std::string(request.dialled);
    return decision;
  }
  uint16_t on_call_started(uint64_t call, const RouteRequest&, const RouteDecision&) override {
    started.push_back(call);
    return refuse_start;
  }
  void on_call_finished(uint64_t call, const RouteDecision&, CallEnd end,
                        uint16_t status) override {
    finished.push_back({call, end, status});
  }

  // A request from a peer, as the server would hand it over.
  void request(const std::string& text, const Endpoint& from,
               std::optional<std::string_view> account = "1000",
               std::string_view display = "Alice") {
    std::string buffer = text;
    auto parsed = sip::parse_datagram(buffer);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().reason << "\n" << text;
    const sip::Message& message = *parsed;
    auto incoming = layer.on_request(message, from, from);
    using Disposition = txn::TransactionLayer::Disposition;
    if (incoming.disposition == Disposition::kAckWithoutTransaction) {
      b2bua.on_ack(message, from);
    } else if (incoming.disposition == Disposition::kNew) {
      if (message.method == sip::Method::kCancel) {
        auto invite = layer.find_invite_for_cancel(message);
        ASSERT_TRUE(invite.has_value());
        layer.respond(incoming.id, 200, "SIP/2.0 200 OK (cancel)\r\n\r\n");
        b2bua.on_cancel(*invite);
      } else if (message.method == sip::Method::kInvite && !message.to.tag()) {
        b2bua.on_invite(message, incoming.id, from, from, Caller{account, display});
      } else {
        // As the server does: a request from elsewhere than its leg's address must prove the
        // leg's account first; `proves` plays the digest check (nullopt: it cannot).
        if (auto leg_account = b2bua.reauthentication_needed(message, from)) {
          reauthentications.push_back(*leg_account);
          if (proves != *leg_account) {
            layer.respond_statelessly(incoming.id, 407, "SIP/2.0 407 Proxy Auth (harness)\r\n\r\n");
            std::fill(buffer.begin(), buffer.end(), '#');
            return;
          }
          b2bua.move_leg(message, from);
        }
        b2bua.on_in_dialog(message, incoming.id, from);
      }
    }
    std::fill(buffer.begin(), buffer.end(), '#');  // nothing may point into it afterwards
  }

  void response(const std::string& text, const Endpoint& from) {
    std::string buffer = text;
    auto parsed = sip::parse_datagram(buffer);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().reason << "\n" << text;
    if (!layer.on_response(*parsed, from)) stray.push_back(b2bua.on_stray_response(*parsed));
    std::fill(buffer.begin(), buffer.end(), '#');
  }

  // Moves the clock to `t` (since the start), stopping at every deadline on the way.
  void run_until(Millis t) {
    const SteadyTime end = SteadyTime{} + t;
    while (true) {
      std::optional<SteadyTime> next = layer.next_deadline();
      if (auto other = b2bua.next_deadline(); other && (!next || *other < *next)) next = other;
      if (!next || *next > end) break;
      if (*next > clock.now())
        clock.advance(std::chrono::duration_cast<Millis>(*next - clock.now()));
      layer.run_timers();
      b2bua.run_timers();
    }
    if (clock.now() < end) clock.advance(std::chrono::duration_cast<Millis>(end - clock.now()));
    layer.run_timers();
    b2bua.run_timers();
  }

  // What was sent to `to` whose bytes start with `prefix`, oldest first.
  std::vector<Sent> sent_to(const Endpoint& to, std::string_view prefix) const {
    std::vector<Sent> out;
    for (const Sent& s : sent) {
      if (s.to == to && std::string_view(s.bytes).starts_with(prefix)) out.push_back(s);
    }
    return out;
  }
  // The last such message; fails the test when there is none.
  std::string last_to(const Endpoint& to, std::string_view prefix) const {
    auto found = sent_to(to, prefix);
    EXPECT_FALSE(found.empty()) << "nothing starting with '" << prefix << "' sent to "
                                << to_spec(to);
    return found.empty() ? std::string() : found.back().bytes;
  }

  void register_contact(const std::string& account, const Endpoint& phone) {
    registered[account].push_back(Contact{
        "sip:" + account + "@" + to_string(phone.address) + ":" + std::to_string(phone.port),
        phone});
  }

  struct Finished {
    uint64_t call;
    CallEnd end;
    uint16_t status;
  };

  ManualClock clock;
  std::vector<Sent> sent;
  txn::TransactionLayer layer;
  B2bua b2bua;
  std::map<std::string, std::vector<Contact>> registered;
  std::function<RouteDecision(const RouteRequest&)> route_to;
  std::vector<std::string> routed;
  std::vector<uint64_t> started;
  uint16_t refuse_start = 0;  // what on_call_started answers
  // The account a request from elsewhere than its leg proves (the server's digest check), and
  // the accounts the B2BUA asked to be proven.
  std::optional<std::string> proves;
  std::vector<std::string> reauthentications;
  std::vector<Finished> finished;
  std::vector<bool> stray;
};

// The caller's ACK for a 2xx (its own new branch), and other requests in the caller's dialog.
inline std::string caller_request(const Invite& invite, std::string_view method, uint32_t cseq,
                                  std::string_view to_with_tag, std::string_view branch,
                                  std::string_view body = {}) {
  std::string out = std::string(method) + " sip:" + std::string(kLocal) + " SIP/2.0\r\n";
  out += "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=" + std::string(branch) + "\r\n";
  out += "Max-Forwards: 70\r\n";
  out += "From: " + invite.from + "\r\nTo: " + std::string(to_with_tag) + "\r\n";
  out += "Call-ID: " + invite.call_id + "\r\n";
  out += "CSeq: " + std::to_string(cseq) + " " + std::string(method) + "\r\n";
  if (!body.empty()) out += "Content-Type: application/sdp\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out += body;
  return out;
}

// A request from the callee inside its dialog with Hardline, given Hardline's INVITE to it
// and the callee's tag.
inline std::string callee_request(std::string_view invite, std::string_view method, uint32_t cseq,
                                  std::string_view callee_tag, std::string_view branch,
                                  std::string_view body = {}) {
  std::string out = std::string(method) + " sip:" + std::string(kLocal) + " SIP/2.0\r\n";
  out += "Via: SIP/2.0/UDP 203.0.113.5:5070;branch=" + std::string(branch) + "\r\n";
  out += "Max-Forwards: 70\r\n";
  out += "From: " + header_of(invite, "To") + ";tag=" + std::string(callee_tag) + "\r\n";
  out += "To: " + header_of(invite, "From") + "\r\n";
  out += "Call-ID: " + header_of(invite, "Call-ID") + "\r\n";
  out += "CSeq: " + std::to_string(cseq) + " " + std::string(method) + "\r\n";
  if (!body.empty()) out += "Content-Type: application/sdp\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out += body;
  return out;
}

}  // namespace hardline::call::test
