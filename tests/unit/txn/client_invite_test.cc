// The INVITE client transaction (RFC 3261 §17.1.1): Timer A doubling without cap, Timer B,
// the ACK for a non-2xx final built by the layer (§17.1.1.3) and sent again for each
// retransmitted final during Timer D, 2xx ending the transaction, reliable transports.

#include "txn/client_invite.h"

#include <gtest/gtest.h>

#include "txn_harness.h"

namespace hardline::txn::test {
namespace {

Req invite_req(std::string_view transport = "UDP") {
  Req r;
  r.method = "INVITE";
  r.uri = "sip:303@198.51.100.5";
  r.via = "SIP/2.0/" + std::string(transport) + " 203.0.113.1:5060;branch=z9hG4bK-out-1;rport";
  r.from = "\"Hardline\" <sip:201@example.com>;tag=hl77";
  r.to = "<sip:303@198.51.100.5>";
  r.call_id = "out-1@203.0.113.1";
  r.cseq = 41;
  r.extra = {"Route: <sip:198.51.100.5;lr>", "Contact: <sip:201@203.0.113.1>",
             "Route: <sip:edge.example.net;lr>"};
  return r;
}

const std::string kExpectedAck =
    "ACK sip:303@198.51.100.5 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bK-out-1;rport\r\n"
    "Max-Forwards: 70\r\n"
    "Route: <sip:198.51.100.5;lr>\r\n"
    "Route: <sip:edge.example.net;lr>\r\n"
    "From: \"Hardline\" <sip:201@example.com>;tag=hl77\r\n"
    "To: <sip:303@198.51.100.5>;tag=callee9\r\n"
    "Call-ID: out-1@203.0.113.1\r\n"
    "CSeq: 41 ACK\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

TEST(ClientInvite, TimerADoublesWithoutCapAndTimerBReportsNullptrOnce) {
  Harness h;
  Req req = invite_req();
  h.send(req, kPeerUdp);
  h.run_until(60000ms);
  EXPECT_EQ(h.times_of("INVITE "), ms({0, 500, 1500, 3500, 7500, 15500, 31500}));
  EXPECT_EQ(h.reported, (std::vector<Reported>{{32000ms, 0}}));
  EXPECT_EQ(h.layer.counters().timeouts, 1u);
  EXPECT_EQ(h.layer.counters().requests_resent, 6u);
  EXPECT_EQ(h.layer.size(), 0u);
  EXPECT_EQ(h.layer.pending_timers(), 0u);
}

TEST(ClientInvite, ProvisionalStopsRetransmissionsAndTimerB) {
  Harness h;
  Req req = invite_req();
  h.send(req, kPeerUdp);
  h.run_until(700ms);
  EXPECT_TRUE(h.response(req.response(100, "Trying"), kPeerUdp));
  h.run_until(2000ms);
  EXPECT_TRUE(h.response(req.response(180, "Ringing", "callee9"), kPeerUdp));
  h.run_until(100000ms);  // well past Timer B
  EXPECT_EQ(h.times_of("INVITE "), ms({0, 500}));
  EXPECT_EQ(h.reported, (std::vector<Reported>{{700ms, 100}, {2000ms, 180}}));
  EXPECT_EQ(h.layer.size(), 1u);
  EXPECT_TRUE(h.response(req.response(200, "OK", "callee9"), kPeerUdp));
  EXPECT_EQ(h.reported.back(), (Reported{100000ms, 200}));
  EXPECT_EQ(h.layer.size(), 0u);
  EXPECT_EQ(h.layer.pending_timers(), 0u);
  EXPECT_EQ(h.count_of("ACK "), 0u) << "the TU ACKs a 2xx";
}

TEST(ClientInvite, TwoHundredRetransmissionIsNotThisLayersBusiness) {
  Harness h;
  Req req = invite_req();
  h.send(req, kPeerUdp);
  EXPECT_TRUE(h.response(req.response(200, "OK", "callee9"), kPeerUdp));
  EXPECT_FALSE(h.response(req.response(200, "OK", "callee9"), kPeerUdp));
  EXPECT_EQ(h.reported.size(), 1u);
  EXPECT_EQ(h.layer.counters().stray_responses, 1u);
}

TEST(ClientInvite, NonTwoHundredFinalIsAckedAndRetransmissionsAbsorbedDuringTimerD) {
  Harness h;
  Req req = invite_req();
  h.send(req, kPeerUdp);
  h.run_until(800ms);
  const std::string busy = req.response(486, "Busy Here", "callee9");
  EXPECT_TRUE(h.response(busy, kPeerUdp));
  ASSERT_EQ(h.count_of("ACK "), 1u);
  EXPECT_EQ(h.sender.sent.back().bytes, kExpectedAck);
  EXPECT_EQ(h.sender.sent.back().to, kPeerUdp);
  EXPECT_EQ(h.reported, (std::vector<Reported>{{800ms, 486}}));

  h.run_until(1300ms);
  EXPECT_TRUE(h.response(busy, kPeerUdp));
  h.run_until(2300ms);
  EXPECT_TRUE(h.response(busy, kPeerUdp));
  EXPECT_EQ(h.times_of("ACK "), ms({800, 1300, 2300}));
  EXPECT_EQ(h.sender.sent.back().bytes, kExpectedAck);
  EXPECT_EQ(h.reported.size(), 1u) << "retransmissions are not passed up";
  EXPECT_EQ(h.layer.counters().acks_sent, 3u);
  EXPECT_EQ(h.layer.counters().response_retransmissions, 2u);
  EXPECT_EQ(h.times_of("INVITE "), ms({0, 500})) << "Timer A stops in Completed";

  // Timer D: 32 s after the final response.
  h.run_until(32799ms);
  EXPECT_EQ(h.layer.size(), 1u);
  h.run_until(32800ms);
  EXPECT_EQ(h.layer.size(), 0u);
  EXPECT_EQ(h.layer.pending_timers(), 0u);
  EXPECT_FALSE(h.response(busy, kPeerUdp));
}

TEST(ClientInvite, ReliableTransportAcksOnceAndEndsAtOnce) {
  Harness h;
  Req req = invite_req("TCP");
  h.send(req, kPeerTcp);
  h.run_until(10000ms);
  EXPECT_EQ(h.times_of("INVITE "), ms({0}));
  EXPECT_TRUE(h.response(req.response(503, "Service Unavailable", "callee9"), kPeerTcp));
  EXPECT_EQ(h.count_of("ACK "), 1u);
  EXPECT_EQ(h.sender.sent.back().to, kPeerTcp);
  EXPECT_EQ(h.layer.size(), 0u);  // Timer D is zero
  EXPECT_EQ(h.reported, (std::vector<Reported>{{10000ms, 503}}));
}

TEST(ClientInvite, ReliableTransportStillTimesOutWithTimerB) {
  Harness h;
  h.send(invite_req("TCP"), kPeerTcp);
  h.run_until(32000ms);
  EXPECT_EQ(h.reported, (std::vector<Reported>{{32000ms, 0}}));
  EXPECT_EQ(h.sender.sent.size(), 1u);
}

TEST(ClientInvite, PeerThatRingsForeverHitsTheProceedingLimit) {
  Timers timers;
  timers.invite_proceeding_limit = 180000ms;
  Harness h({}, timers);
  Req req = invite_req();
  h.send(req, kPeerUdp);
  h.run_until(1000ms);
  h.response(req.response(180, "Ringing", "callee9"), kPeerUdp);
  h.run_until(180999ms);
  EXPECT_EQ(h.reported.size(), 1u);
  h.run_until(181000ms);
  EXPECT_EQ(h.reported, (std::vector<Reported>{{1000ms, 180}, {181000ms, 0}}));
  EXPECT_EQ(h.layer.counters().abandoned, 1u);
  EXPECT_EQ(h.layer.size(), 0u);
}

TEST(ClientInvite, CancelIsItsOwnTransactionOnTheSameBranch) {
  Harness h;
  Req inv = invite_req();
  h.send(inv, kPeerUdp);
  h.response(inv.response(180, "Ringing", "callee9"), kPeerUdp);
  Req cancel = inv;
  cancel.method = "CANCEL";
  cancel.extra.clear();
  h.send(cancel, kPeerUdp);
  EXPECT_EQ(h.layer.client_size(), 2u);
  // The 200 to CANCEL goes to the CANCEL transaction; the 487 to the INVITE.
  EXPECT_TRUE(h.response(cancel.response(200, "OK", "callee9"), kPeerUdp));
  EXPECT_TRUE(h.response(inv.response(487, "Request Terminated", "callee9"), kPeerUdp));
  EXPECT_EQ(h.reported, (std::vector<Reported>{{0ms, 180}, {0ms, 200}, {0ms, 487}}));
  EXPECT_EQ(h.count_of("ACK "), 1u);
}

TEST(ClientInvite, BuildAckFailsOnAnUnparsableRequest) {
  std::string resp = invite_req().response(486, "Busy Here", "x");
  auto parsed = sip::parse_datagram(resp);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_FALSE(build_ack("not a request", *parsed).has_value());
  auto ack = build_ack(invite_req().build(), *parsed);
  ASSERT_TRUE(ack.has_value());
  EXPECT_TRUE(sip::parse_datagram(*ack).has_value()) << *ack;
}

TEST(ClientInvite, UnparsableRequestStillCompletesWithoutAck) {
  Harness h;
  auto id = h.layer.send_request(sip::Method::kInvite, "z9hG4bK-junk", "INVITE junk\r\n\r\n",
                                 kPeerUdp, [&](const sip::Message* r) {
                                   h.reported.push_back({h.now(), r ? r->status : 0});
                                 });
  ASSERT_TRUE(id.has_value());
  Req req = invite_req();
  req.via = "SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bK-junk";
  EXPECT_TRUE(h.response(req.response(486, "Busy Here", "x"), kPeerUdp));
  EXPECT_EQ(h.count_of("ACK "), 0u);
  EXPECT_EQ(h.layer.counters().ack_build_failures, 1u);
  EXPECT_EQ(h.reported.size(), 1u);
  h.run_until(32000ms);
  EXPECT_EQ(h.layer.size(), 0u);
}

}  // namespace
}  // namespace hardline::txn::test
