// The non-INVITE server transaction (RFC 3261 §17.2.2), driven through the layer: absorption of
// retransmitted requests, the last response sent again, Timer J on UDP and TCP, the guard
// against a TU that never answers.

#include <gtest/gtest.h>

#include "txn_harness.h"

namespace hardline::txn::test {
namespace {

const Req kRegister{};

TEST(ServerNonInvite, RetransmissionInTryingIsAbsorbedSilently) {
  Harness h;
  auto first = h.request(kRegister.build(), kPhoneUdp);
  EXPECT_EQ(first.disposition, Disposition::kNew);
  EXPECT_NE(first.id, 0u);
  h.run_until(400ms);
  auto again = h.request(kRegister.build(), kPhoneUdp);
  EXPECT_EQ(again.disposition, Disposition::kRetransmission);
  EXPECT_EQ(again.id, first.id);
  EXPECT_TRUE(h.sender.sent.empty());
  EXPECT_EQ(h.layer.counters().request_retransmissions, 1u);
  EXPECT_EQ(h.layer.counters().server_created, 1u);
  EXPECT_EQ(h.layer.size(), 1u);
}

TEST(ServerNonInvite, FinalResponseSentThenResentForEachRetransmissionUntilTimerJ) {
  Harness h;
  auto id = h.request(kRegister.build(), kPhoneUdp).id;
  const std::string ok = kRegister.response(200, "OK", "srv1");
  h.run_until(100ms);
  EXPECT_TRUE(h.layer.respond(id, 200, ok));
  ASSERT_EQ(h.sender.sent.size(), 1u);
  EXPECT_EQ(h.sender.sent[0].bytes, ok);
  EXPECT_EQ(h.sender.sent[0].to, kPhoneUdp);

  h.run_until(600ms);
  EXPECT_EQ(h.request(kRegister.build(), kPhoneUdp).disposition, Disposition::kRetransmission);
  h.run_until(1600ms);
  EXPECT_EQ(h.request(kRegister.build(), kPhoneUdp).disposition, Disposition::kRetransmission);
  EXPECT_EQ(h.times_of("SIP/2.0 200"), ms({100, 600, 1600}));
  EXPECT_EQ(h.sender.sent[2].bytes, ok);
  EXPECT_EQ(h.layer.counters().responses_resent, 2u);

  // A second final response from the TU is discarded.
  EXPECT_FALSE(h.layer.respond(id, 500, kRegister.response(500, "Oops", "srv1")));
  EXPECT_EQ(h.sender.sent.size(), 3u);

  // Timer J: 64*T1 after the final response.
  h.run_until(100ms + 32000ms - 1ms);
  EXPECT_EQ(h.layer.size(), 1u);
  h.run_until(100ms + 32000ms);
  EXPECT_EQ(h.layer.size(), 0u);
  EXPECT_EQ(h.layer.pending_timers(), 0u);

  // After Timer J the same request is a new transaction.
  EXPECT_EQ(h.request(kRegister.build(), kPhoneUdp).disposition, Disposition::kNew);
  EXPECT_FALSE(h.layer.respond(id, 200, ok)) << "the old id is stale";
}

TEST(ServerNonInvite, ProvisionalIsResentInProceeding) {
  Harness h;
  auto id = h.request(kRegister.build(), kPhoneUdp).id;
  const std::string trying = kRegister.response(100, "Trying");
  EXPECT_TRUE(h.layer.respond(id, 100, trying));
  EXPECT_EQ(h.request(kRegister.build(), kPhoneUdp).disposition, Disposition::kRetransmission);
  ASSERT_EQ(h.sender.sent.size(), 2u);
  EXPECT_EQ(h.sender.sent[1].bytes, trying);
  // The final response replaces it.
  const std::string ok = kRegister.response(200, "OK", "t");
  EXPECT_TRUE(h.layer.respond(id, 200, ok));
  EXPECT_EQ(h.request(kRegister.build(), kPhoneUdp).disposition, Disposition::kRetransmission);
  ASSERT_EQ(h.sender.sent.size(), 4u);
  EXPECT_EQ(h.sender.sent[3].bytes, ok);
}

TEST(ServerNonInvite, ReliableTransportEndsAtTheFinalResponse) {
  Harness h;
  Req req = kRegister;
  req.via = "SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK-tcp-1";
  auto id = h.request(req.build(), kPhoneTcp).id;
  EXPECT_TRUE(h.layer.respond(id, 100, req.response(100, "Trying")));
  EXPECT_EQ(h.layer.size(), 1u);
  EXPECT_TRUE(h.layer.respond(id, 200, req.response(200, "OK", "x")));
  EXPECT_EQ(h.layer.size(), 0u);  // Timer J is zero
  EXPECT_EQ(h.layer.pending_timers(), 0u);
  ASSERT_EQ(h.sender.sent.size(), 2u);
  EXPECT_EQ(h.sender.sent[1].to, kPhoneTcp);
  EXPECT_EQ(h.sender.sent[1].to.connection, 7u);
}

TEST(ServerNonInvite, TuThatNeverAnswersLosesTheTransactionAfter64T1) {
  Harness h;
  h.request(kRegister.build(), kPhoneUdp);
  h.run_until(31999ms);
  EXPECT_EQ(h.layer.size(), 1u);
  h.run_until(32000ms);
  EXPECT_EQ(h.layer.size(), 0u);
  EXPECT_EQ(h.layer.counters().abandoned, 1u);
  EXPECT_TRUE(h.sender.sent.empty());
}

TEST(ServerNonInvite, RespondRejectsStatusOutOfRange) {
  Harness h;
  auto id = h.request(kRegister.build(), kPhoneUdp).id;
  EXPECT_FALSE(h.layer.respond(id, 99, "junk"));
  EXPECT_FALSE(h.layer.respond(id, 700, "junk"));
  EXPECT_TRUE(h.sender.sent.empty());
  EXPECT_EQ(h.layer.counters().responses_discarded, 2u);
  EXPECT_EQ(h.layer.size(), 1u);
}

TEST(ServerNonInvite, CustomTimersScaleTimerJ) {
  Timers timers;
  timers.t1 = 100ms;
  Harness h({}, timers);
  auto id = h.request(kRegister.build(), kPhoneUdp).id;
  h.layer.respond(id, 200, kRegister.response(200, "OK", "x"));
  h.run_until(6399ms);
  EXPECT_EQ(h.layer.size(), 1u);
  h.run_until(6400ms);
  EXPECT_EQ(h.layer.size(), 0u);
}

}  // namespace
}  // namespace hardline::txn::test
