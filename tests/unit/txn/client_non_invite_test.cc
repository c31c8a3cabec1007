// The non-INVITE client transaction (RFC 3261 §17.1.2): Timer E (T1 doubling to T2, then T2 in
// Proceeding), Timer F reporting nullptr exactly once, Timer K, reliable transports, transport
// errors.

#include <gtest/gtest.h>

#include "txn_harness.h"

namespace hardline::txn::test {
namespace {

Req options_req(std::string_view transport = "UDP") {
  Req r;
  r.method = "OPTIONS";
  r.uri = "sip:198.51.100.5";
  r.via = "SIP/2.0/" + std::string(transport) + " 203.0.113.1:5060;branch=z9hG4bK-opt-1";
  r.from = "<sip:hardline@example.com>;tag=hl1";
  r.to = "<sip:198.51.100.5>";
  r.call_id = "opt-1@203.0.113.1";
  return r;
}

TEST(ClientNonInvite, TimerEDoublesToT2AndTimerFReportsNullptrOnce) {
  Harness h;
  Req req = options_req();
  h.send(req, kPeerUdp);
  h.run_until(40000ms);
  EXPECT_EQ(h.times_of("OPTIONS "),
            ms({0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500}));
  for (const Sent& s : h.sender.sent) {
    EXPECT_EQ(s.bytes, req.build());
    EXPECT_EQ(s.to, kPeerUdp);
  }
  EXPECT_EQ(h.reported, (std::vector<Reported>{{32000ms, 0}}));
  EXPECT_EQ(h.layer.counters().timeouts, 1u);
  EXPECT_EQ(h.layer.counters().requests_resent, 10u);
  EXPECT_EQ(h.layer.size(), 0u);
  EXPECT_EQ(h.layer.pending_timers(), 0u);
}

TEST(ClientNonInvite, InProceedingTimerEFiresEveryT2) {
  Harness h;
  Req req = options_req();
  h.send(req, kPeerUdp);
  h.run_until(600ms);
  EXPECT_TRUE(h.response(req.response(100, "Trying"), kPeerUdp));
  h.run_until(12000ms);
  // E was due at 1500 (interval 1000); in Proceeding it then runs every T2.
  EXPECT_EQ(h.times_of("OPTIONS "), ms({0, 500, 1500, 5500, 9500}));
  EXPECT_EQ(h.reported, (std::vector<Reported>{{600ms, 100}}));
}

TEST(ClientNonInvite, FinalResponseIsReportedOnceAndTimerKAbsorbsRetransmissions) {
  Harness h;
  Req req = options_req();
  h.send(req, kPeerUdp);
  h.run_until(700ms);
  EXPECT_TRUE(h.response(req.response(180, "Ringing"), kPeerUdp));
  EXPECT_TRUE(h.response(req.response(200, "OK", "peer"), kPeerUdp));
  h.run_until(1000ms);
  EXPECT_TRUE(h.response(req.response(200, "OK", "peer"), kPeerUdp));
  EXPECT_EQ(h.reported, (std::vector<Reported>{{700ms, 180}, {700ms, 200}}));
  EXPECT_EQ(h.layer.counters().response_retransmissions, 1u);
  // No more retransmissions of the request once Completed.
  h.run_until(5000ms);
  EXPECT_EQ(h.times_of("OPTIONS "), ms({0, 500}));
  // Timer K: T4 after the final response.
  h.run_until(5699ms);
  EXPECT_EQ(h.layer.size(), 1u);
  h.run_until(5700ms);
  EXPECT_EQ(h.layer.size(), 0u);
  EXPECT_EQ(h.layer.pending_timers(), 0u);
  // Afterwards the response is stray.
  EXPECT_FALSE(h.response(req.response(200, "OK", "peer"), kPeerUdp));
  EXPECT_EQ(h.layer.counters().stray_responses, 1u);
  EXPECT_EQ(h.reported.size(), 2u);
}

TEST(ClientNonInvite, ReliableTransportNeverRetransmitsAndEndsAtTheFinal) {
  Harness h;
  Req req = options_req("TCP");
  h.send(req, kPeerTcp);
  h.run_until(20000ms);
  EXPECT_EQ(h.times_of("OPTIONS "), ms({0}));
  EXPECT_EQ(h.sender.sent[0].to.connection, 9u);
  EXPECT_TRUE(h.response(req.response(404, "Not Found", "peer"), kPeerTcp));
  EXPECT_EQ(h.layer.size(), 0u);  // Timer K is zero
  EXPECT_EQ(h.layer.pending_timers(), 0u);
  EXPECT_EQ(h.reported, (std::vector<Reported>{{20000ms, 404}}));
}

TEST(ClientNonInvite, ReliableTransportTimesOutWithTimerF) {
  Harness h;
  h.send(options_req("TCP"), kPeerTcp);
  h.run_until(31999ms);
  EXPECT_TRUE(h.reported.empty());
  h.run_until(32000ms);
  EXPECT_EQ(h.reported, (std::vector<Reported>{{32000ms, 0}}));
  EXPECT_EQ(h.sender.sent.size(), 1u);
}

TEST(ClientNonInvite, FailedFirstSendIsReportedFromTheEventLoop) {
  Harness h;
  h.sender.fail = true;
  h.send(options_req(), kPeerUdp);
  EXPECT_TRUE(h.reported.empty()) << "never from inside send_request";
  EXPECT_EQ(h.layer.next_deadline(), SteadyTime{});
  h.layer.run_timers();
  EXPECT_EQ(h.reported, (std::vector<Reported>{{0ms, 0}}));
  EXPECT_EQ(h.layer.counters().transport_errors, 1u);
  EXPECT_EQ(h.layer.size(), 0u);
  EXPECT_EQ(h.layer.pending_timers(), 0u);
}

TEST(ClientNonInvite, FailedRetransmissionEndsTheTransaction) {
  Harness h;
  h.send(options_req(), kPeerUdp);
  h.run_until(1000ms);
  h.sender.fail = true;
  h.run_until(2000ms);  // E at 1500 fails
  EXPECT_EQ(h.reported, (std::vector<Reported>{{1500ms, 0}}));
  EXPECT_EQ(h.layer.size(), 0u);
  h.run_until(40000ms);
  EXPECT_EQ(h.reported.size(), 1u);
}

}  // namespace
}  // namespace hardline::txn::test
