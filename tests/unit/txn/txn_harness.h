#pragma once
// A script driver for the transaction layer, in the manner of reSIProcate's
// testTransactionFSM: inject a request or a response (parsed from bytes that are overwritten
// as soon as the layer returns, so that a key still pointing into them shows up), let the TU
// respond, move a ManualClock through every timer deadline up to a time, and look at what was
// sent and when. Nothing sleeps.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/endpoint.h"
#include "sip/parser.h"
#include "txn/transaction_layer.h"

namespace hardline::txn::test {

using namespace std::chrono_literals;
using Disposition = TransactionLayer::Disposition;

inline Endpoint endpoint(std::string_view spec, uint64_t connection = 0) {
  auto parsed = parse_endpoint_spec(spec);
  EXPECT_TRUE(parsed.has_value()) << spec;
  Endpoint e = parsed.value_or(Endpoint{});
  e.connection = connection;
  return e;
}

// The phone that sends requests to the server, and the server the layer sends requests to.
inline const Endpoint kPhoneUdp = endpoint("udp:192.0.2.10:5060");
inline const Endpoint kPhoneTcp = endpoint("tcp:192.0.2.10:5060", 7);
inline const Endpoint kPeerUdp = endpoint("udp:198.51.100.5:5060");
inline const Endpoint kPeerTcp = endpoint("tcp:198.51.100.5:5060", 9);

// A request, field by field; build() gives its bytes.
struct Req {
  std::string method = "REGISTER";
  std::string uri = "sip:example.com";
  std::string via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-reg-1";
  std::string from = "<sip:201@example.com>;tag=f1";
  std::string to = "<sip:201@example.com>";
  std::string call_id = "call-1@192.0.2.10";
  uint32_t cseq = 1;
  std::vector<std::string> extra;

  std::string build() const {
    std::string out = method + " " + uri + " SIP/2.0\r\n";
    out += "Via: " + via + "\r\n";
    out += "Max-Forwards: 70\r\n";
    for (const std::string& line : extra) out += line + "\r\n";
    out += "From: " + from + "\r\nTo: " + to + "\r\nCall-ID: " + call_id + "\r\n";
    out += "CSeq: " + std::to_string(cseq) + " " + method + "\r\n";
    out += "Content-Length: 0\r\n\r\n";
    return out;
  }

  // A response to this request; `to_tag` is added to To when not empty.
  std::string response(int status, std::string_view reason, std::string_view to_tag = {}) const {
    std::string out = "SIP/2.0 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
    out += "Via: " + via + "\r\n";
    out += "From: " + from + "\r\nTo: " + to;
    if (!to_tag.empty()) out += ";tag=" + std::string(to_tag);
    out += "\r\nCall-ID: " + call_id + "\r\n";
    out += "CSeq: " + std::to_string(cseq) + " " + method + "\r\n";
    out += "Content-Length: 0\r\n\r\n";
    return out;
  }
};

struct Sent {
  Millis at;
  Endpoint to;
  std::string bytes;
};

class RecordingSender final : public Sender {
 public:
  explicit RecordingSender(const Clock& clock) : clock_(clock) {}

  void send(const Endpoint& to, std::string_view bytes) override { try_send(to, bytes); }
  bool try_send(const Endpoint& to, std::string_view bytes) override {
    auto at = std::chrono::duration_cast<Millis>(clock_.now().time_since_epoch());
    sent.push_back(Sent{at, to, std::string(bytes)});
    return !fail;
  }

  std::vector<Sent> sent;
  bool fail = false;  // every send reports a transport error while set

 private:
  const Clock& clock_;
};

// What a client transaction's handler saw: the status, or 0 for nullptr, and when.
struct Reported {
  Millis at;
  int status;
  bool operator==(const Reported&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Reported& r) {
  return os << "{" << r.at.count() << "ms, " << r.status << "}";
}

class Harness {
 public:
  explicit Harness(Limits limits = {}, Timers timers = {})
      : sender(clock), layer(clock, sender, limits, timers) {}

  Millis now() const { return std::chrono::duration_cast<Millis>(clock.now().time_since_epoch()); }

  TransactionLayer::Incoming request(const std::string& text, const Endpoint& from) {
    std::string buffer = text;
    auto parsed = sip::parse_datagram(buffer);
    EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : parsed.error().reason) << "\n" << text;
    if (!parsed) return {};
    auto incoming = layer.on_request(*parsed, from, from);
    std::fill(buffer.begin(), buffer.end(), '#');
    return incoming;
  }

  bool response(const std::string& text, const Endpoint& from) {
    std::string buffer = text;
    auto parsed = sip::parse_datagram(buffer);
    EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : parsed.error().reason) << "\n" << text;
    if (!parsed) return false;
    bool matched = layer.on_response(*parsed, from);
    std::fill(buffer.begin(), buffer.end(), '#');
    return matched;
  }

  // Starts a client transaction whose handler records into `reported`.
  ClientTransactionId send(const Req& req, const Endpoint& to) {
    std::string branch = req.via.substr(req.via.find("branch=") + 7);
    branch = branch.substr(0, branch.find(';'));
    auto method = sip::lookup_method(req.method);
    auto id = layer.send_request(method, branch, req.build(), to, [this](const sip::Message* r) {
      reported.push_back(Reported{now(), r == nullptr ? 0 : r->status});
    });
    EXPECT_TRUE(id.has_value());
    return id.value_or(0);
  }

  // Moves the clock to `t` (since the start), stopping at every deadline on the way.
  void run_until(Millis t) {
    const SteadyTime end = SteadyTime{} + t;
    while (auto next = layer.next_deadline()) {
      if (*next > end) break;
      if (*next > clock.now())
        clock.advance(std::chrono::duration_cast<Millis>(*next - clock.now()));
      layer.run_timers();
    }
    if (clock.now() < end) clock.advance(std::chrono::duration_cast<Millis>(end - clock.now()));
    layer.run_timers();
  }

  // The times at which bytes starting with `prefix` were sent.
  std::vector<Millis> times_of(std::string_view prefix) const {
    std::vector<Millis> times;
    for (const Sent& s : sender.sent) {
      if (std::string_view(s.bytes).starts_with(prefix)) times.push_back(s.at);
    }
    return times;
  }

  size_t count_of(std::string_view prefix) const { return times_of(prefix).size(); }

  ManualClock clock;
  RecordingSender sender;
  TransactionLayer layer;
  std::vector<Reported> reported;
};

inline std::vector<Millis> ms(std::initializer_list<int64_t> values) {
  std::vector<Millis> out;
  for (int64_t v : values) out.emplace_back(v);
  return out;
}

}  // namespace hardline::txn::test
