// The INVITE server transaction (RFC 3261 §17.2.1): Timer G's schedule, Timer H, ACK absorption
// and Timer I, 2xx ending the transaction, reliable transports, and the proceeding limit.

#include <gtest/gtest.h>

#include "txn_harness.h"

namespace hardline::txn::test {
namespace {

Req invite_req(std::string_view transport = "UDP") {
  Req r;
  r.method = "INVITE";
  r.uri = "sip:202@example.com";
  r.via = "SIP/2.0/" + std::string(transport) + " 192.0.2.10:5060;branch=z9hG4bK-inv-1";
  r.to = "<sip:202@example.com>";
  r.call_id = "inv-call@192.0.2.10";
  return r;
}

// The ACK a UAC sends for a non-2xx final: same branch, To with the response's tag.
Req ack_for(const Req& invite, std::string_view to_tag) {
  Req ack = invite;
  ack.method = "ACK";
  ack.to = invite.to + ";tag=" + std::string(to_tag);
  return ack;
}

TEST(ServerInvite, TimerGDoublesToT2UntilTimerHGivesUp) {
  Harness h;
  Req inv = invite_req();
  auto id = h.request(inv.build(), kPhoneUdp).id;
  h.run_until(1000ms);
  const std::string busy = inv.response(486, "Busy Here", "uas1");
  EXPECT_TRUE(h.layer.respond(id, 486, busy));
  h.run_until(1000ms + 40000ms);
  // Sent at 0, then T1=500, 1000, 2000, 4000 (T2), 4000, ... relative to the response.
  EXPECT_EQ(h.times_of("SIP/2.0 486"),
            ms({1000, 1500, 2500, 4500, 8500, 12500, 16500, 20500, 24500, 28500, 32500}));
  for (const Sent& s : h.sender.sent) EXPECT_EQ(s.bytes, busy);
  EXPECT_EQ(h.layer.counters().responses_resent, 10u);
  EXPECT_EQ(h.layer.counters().ack_timeouts, 1u);
  EXPECT_EQ(h.layer.size(), 0u);
  EXPECT_EQ(h.layer.pending_timers(), 0u);
}

TEST(ServerInvite, TimerHEndsItExactlyAt64T1) {
  Harness h;
  Req inv = invite_req();
  auto id = h.request(inv.build(), kPhoneUdp).id;
  h.layer.respond(id, 486, inv.response(486, "Busy Here", "uas1"));
  h.run_until(31999ms);
  EXPECT_EQ(h.layer.size(), 1u);
  h.run_until(32000ms);
  EXPECT_EQ(h.layer.size(), 0u);
}

TEST(ServerInvite, AckStopsTimerGAndTimerIAbsorbsFurtherAcks) {
  Harness h;
  Req inv = invite_req();
  auto id = h.request(inv.build(), kPhoneUdp).id;
  h.layer.respond(id, 486, inv.response(486, "Busy Here", "uas1"));
  h.run_until(2000ms);  // G fired at 500 and 1500
  Req ack = ack_for(inv, "uas1");
  auto absorbed = h.request(ack.build(), kPhoneUdp);
  EXPECT_EQ(absorbed.disposition, Disposition::kAckAbsorbed);
  EXPECT_EQ(absorbed.id, id);
  h.run_until(4000ms);
  EXPECT_EQ(h.times_of("SIP/2.0 486"), ms({0, 500, 1500}));
  // Confirmed: retransmitted ACKs and INVITEs are absorbed, nothing is sent.
  EXPECT_EQ(h.request(ack.build(), kPhoneUdp).disposition, Disposition::kAckAbsorbed);
  EXPECT_EQ(h.request(inv.build(), kPhoneUdp).disposition, Disposition::kRetransmission);
  EXPECT_EQ(h.sender.sent.size(), 3u);
  EXPECT_EQ(h.layer.counters().acks_absorbed, 2u);
  // Timer I: T4 after the ACK.
  h.run_until(6999ms);
  EXPECT_EQ(h.layer.size(), 1u);
  h.run_until(7000ms);
  EXPECT_EQ(h.layer.size(), 0u);
  EXPECT_EQ(h.layer.counters().ack_timeouts, 0u);
  EXPECT_EQ(h.layer.pending_timers(), 0u);
}

TEST(ServerInvite, RetransmittedInviteGetsLastResponse) {
  Harness h;
  Req inv = invite_req();
  auto id = h.request(inv.build(), kPhoneUdp).id;
  // Before any response: absorbed, nothing to send.
  EXPECT_EQ(h.request(inv.build(), kPhoneUdp).disposition, Disposition::kRetransmission);
  EXPECT_TRUE(h.sender.sent.empty());
  const std::string ringing = inv.response(180, "Ringing", "uas1");
  h.layer.respond(id, 100, inv.response(100, "Trying"));
  h.layer.respond(id, 180, ringing);
  EXPECT_EQ(h.request(inv.build(), kPhoneUdp).disposition, Disposition::kRetransmission);
  ASSERT_EQ(h.sender.sent.size(), 3u);
  EXPECT_EQ(h.sender.sent[2].bytes, ringing);
  const std::string decline = inv.response(603, "Decline", "uas1");
  h.layer.respond(id, 603, decline);
  h.run_until(100ms);
  EXPECT_EQ(h.request(inv.build(), kPhoneUdp).disposition, Disposition::kRetransmission);
  ASSERT_EQ(h.sender.sent.size(), 5u);
  EXPECT_EQ(h.sender.sent[4].bytes, decline);
  EXPECT_EQ(h.sender.sent[4].at, 100ms);
}

TEST(ServerInvite, TwoHundredEndsTheTransactionAndItsAckHasNone) {
  Harness h;
  Req inv = invite_req();
  auto id = h.request(inv.build(), kPhoneUdp).id;
  h.layer.respond(id, 180, inv.response(180, "Ringing", "uas1"));
  EXPECT_TRUE(h.layer.respond(id, 200, inv.response(200, "OK", "uas1")));
  EXPECT_EQ(h.layer.size(), 0u);
  EXPECT_EQ(h.layer.pending_timers(), 0u);
  EXPECT_EQ(h.sender.sent.size(), 2u);
  // The ACK for a 2xx is a transaction of its own (new branch): the TU gets it.
  Req ack = ack_for(inv, "uas1");
  ack.via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-ack-2xx";
  auto incoming = h.request(ack.build(), kPhoneUdp);
  EXPECT_EQ(incoming.disposition, Disposition::kAckWithoutTransaction);
  EXPECT_EQ(incoming.id, 0u);
  EXPECT_EQ(h.layer.counters().acks_without_transaction, 1u);
  EXPECT_EQ(h.layer.size(), 0u);
  // A retransmitted INVITE is now new to the layer; the dialog layer recognises it.
  EXPECT_FALSE(h.layer.respond(id, 200, inv.response(200, "OK", "uas1")));
}

TEST(ServerInvite, ReliableTransportHasNoTimerGAndEndsOnAck) {
  Harness h;
  Req inv = invite_req("TCP");
  auto id = h.request(inv.build(), kPhoneTcp).id;
  h.layer.respond(id, 486, inv.response(486, "Busy Here", "uas1"));
  h.run_until(10000ms);
  EXPECT_EQ(h.count_of("SIP/2.0 486"), 1u);
  EXPECT_EQ(h.layer.size(), 1u);
  EXPECT_EQ(h.request(ack_for(inv, "uas1").build(), kPhoneTcp).disposition,
            Disposition::kAckAbsorbed);
  EXPECT_EQ(h.layer.size(), 0u);  // Timer I is zero
  EXPECT_EQ(h.layer.pending_timers(), 0u);
}

TEST(ServerInvite, ReliableTransportStillWaitsTimerHForTheAck) {
  Harness h;
  Req inv = invite_req("TCP");
  auto id = h.request(inv.build(), kPhoneTcp).id;
  h.layer.respond(id, 404, inv.response(404, "Not Found", "uas1"));
  h.run_until(31999ms);
  EXPECT_EQ(h.layer.size(), 1u);
  h.run_until(32000ms);
  EXPECT_EQ(h.layer.size(), 0u);
  EXPECT_EQ(h.layer.counters().ack_timeouts, 1u);
  EXPECT_EQ(h.sender.sent.size(), 1u);
}

TEST(ServerInvite, ProceedingLimitRemovesAForgottenInvite) {
  Timers timers;
  timers.invite_proceeding_limit = 60000ms;
  Harness h({}, timers);
  Req inv = invite_req();
  auto id = h.request(inv.build(), kPhoneUdp).id;
  h.layer.respond(id, 180, inv.response(180, "Ringing", "uas1"));
  h.run_until(59999ms);
  EXPECT_EQ(h.layer.size(), 1u);
  h.run_until(60000ms);
  EXPECT_EQ(h.layer.size(), 0u);
  EXPECT_EQ(h.layer.counters().abandoned, 1u);
  EXPECT_FALSE(h.layer.respond(id, 200, inv.response(200, "OK", "uas1")));
}

TEST(ServerInvite, AckBeforeAnyFinalIsAbsorbedWithoutEffect) {
  Harness h;
  Req inv = invite_req();
  auto id = h.request(inv.build(), kPhoneUdp).id;
  EXPECT_EQ(h.request(ack_for(inv, "x").build(), kPhoneUdp).disposition, Disposition::kAckAbsorbed);
  EXPECT_TRUE(h.layer.respond(id, 486, inv.response(486, "Busy Here", "uas1")));
  h.run_until(600ms);
  EXPECT_EQ(h.count_of("SIP/2.0 486"), 2u);  // Timer G still runs
}

}  // namespace
}  // namespace hardline::txn::test
