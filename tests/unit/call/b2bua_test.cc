// The B2BUA driven by scripts: the caller's and the callees' messages injected as bytes, time
// moved by hand, and every message Hardline sent looked at (to whom, when, with what).

#include "call/b2bua.h"

#include <gtest/gtest.h>

#include "call/headers.h"
#include "call_harness.h"

namespace hardline::call::test {
namespace {

constexpr std::string_view kAnswerSdp =
    "v=0\r\no=- 2 2 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n"
    "m=audio 5000 RTP/AVP 0\r\n";

class B2buaTest : public ::testing::Test {
 protected:
  // A call from 1000 to 1001 that rings phone A; returns Hardline's INVITE to it.
  std::string ring(const Invite& invite = {}) {
    h.request(invite.build(), kCaller);
    return h.last_to(kPhoneA, "INVITE ");
  }

  // Rings and answers; returns Hardline's INVITE to phone A. The caller has its 200.
  std::string answer(const Invite& invite = {}) {
    const std::string out = ring(invite);
    h.response(response_to(out, 180, "callee-a"), kPhoneA);
    h.response(
        response_to(out, 200, "callee-a", {"Contact: <sip:1001@203.0.113.5:5070>"}, kAnswerSdp),
        kPhoneA);
    return out;
  }

  // The To the caller got in its 200 (Hardline's tag in it).
  std::string caller_to() { return header_of(h.last_to(kCaller, "SIP/2.0 200"), "To"); }

  void SetUp() override { h.register_contact("1001", kPhoneA); }

  Harness h;
};

TEST_F(B2buaTest, TheCalleesLegIsANewDialogWithNothingOfTheCallers) {
  const Invite invite;
  const std::string out = ring(invite);
  // 100 Trying at once on the caller's side.
  EXPECT_EQ(h.sent_to(kCaller, "SIP/2.0 100 Trying").size(), 1u);
  EXPECT_TRUE(out.starts_with("INVITE sip:1001@203.0.113.5:5070 SIP/2.0\r\n")) << out;
  // Hardline's own Via (one), Contact, Call-ID, tag and CSeq.
  EXPECT_EQ(count_headers(out, "Via"), 1u);
  EXPECT_TRUE(header_of(out, "Via").starts_with("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK"));
  EXPECT_EQ(header_of(out, "Contact"), "<sip:192.0.2.1:5060;transport=udp>");
  EXPECT_NE(header_of(out, "Call-ID"), invite.call_id);
  EXPECT_EQ(header_of(out, "Call-ID").size(), 32u);
  EXPECT_EQ(header_of(out, "CSeq"), "1 INVITE");
  EXPECT_EQ(header_of(out, "Max-Forwards"), "69");
  EXPECT_EQ(header_of(out, "To"), "<sip:1001@pbx.example>");
  // The caller is who it authenticated as (RT-6), not what its From claimed.
  EXPECT_EQ(header_of(out, "From"),
            "\"Alice\" <sip:1000@pbx.example>;tag=" + tag_in(header_of(out, "From")));
  EXPECT_EQ(tag_in(header_of(out, "From")).size(), 16u);
  // Only whitelisted headers crossed; the body passed unchanged.
  EXPECT_EQ(header_of(out, "Subject"), "");  // the caller's words, not on the allow-list
  EXPECT_EQ(header_of(out, "Content-Type"), "application/sdp");
  for (std::string_view leaked : std::initializer_list<std::string_view>{
           "198.51.100.7:5060", "10.0.0.1", "caller-tag", "caller-call-id", "9999", "evil.example",
           "P-Asserted-Identity", "Remote-Party-ID", "User-Agent", "X-Internal", "Record-Route",
           "Route:", kHopHeader}) {
    EXPECT_EQ(out.substr(0, out.find("\r\n\r\n")).find(leaked), std::string::npos) << leaked;
  }
  EXPECT_EQ(body_of(out), invite.body);
  EXPECT_EQ(h.b2bua.active(), 1u);
  EXPECT_EQ(h.b2bua.counters().started, 1u);
}

TEST_F(B2buaTest, PhonesAreToldWhetherACallIsInternalOrFromOutside) {
  // RFC 7462: an account's call is internal; one without an account (a trunk's) external, and
  // an Alert-Info the caller sent never crosses.
  Invite invite;
  invite.extra.push_back("Alert-Info: <urn:alert:source:internal>");
  EXPECT_EQ(header_of(ring(invite), "Alert-Info"), "<urn:alert:source:internal>");
  Harness outside;
  outside.register_contact("1001", kPhoneA);
  outside.route_to = [](const RouteRequest&) {
    RouteDecision d;
    d.kind = RouteDecision::Kind::kLocal;
    d.account = "1001";
    d.shown_caller = ShownCaller{"+4930123", "provider: Bob", false};
    return d;
  };
  outside.request(invite.build(), kCaller, std::nullopt, "");
  const std::string out = outside.last_to(kPhoneA, "INVITE ");
  EXPECT_EQ(header_of(out, "Alert-Info"), "<urn:alert:source:external>");
  EXPECT_EQ(count_headers(out, "Alert-Info"), 1u);
}

TEST_F(B2buaTest, ProvisionalsAndTheAnswerReachTheCallerWithoutTheCallee) {
  const std::string out = ring();
  h.response(response_to(out, 100), kPhoneA);
  h.response(response_to(out, 180, "callee-a",
                         {"Contact: <sip:1001@203.0.113.5:5070>", "Server: PhoneA/2.0",
                          "X-Callee: secret"}),
             kPhoneA);
  const std::string ringing = h.last_to(kCaller, "SIP/2.0 180 Ringing");
  EXPECT_EQ(h.sent_to(kCaller, "SIP/2.0 100").size(), 1u);  // the callee's 100 stays there
  const std::string our_tag = tag_in(header_of(ringing, "To"));
  EXPECT_EQ(our_tag.size(), 16u);
  EXPECT_NE(our_tag, "callee-a");
  // The caller's own Via stack comes back, and nothing of the callee.
  EXPECT_EQ(count_headers(ringing, "Via"), 2u);
  EXPECT_EQ(header_of(ringing, "Call-ID"), "caller-call-id@198.51.100.7");
  EXPECT_EQ(header_of(ringing, "CSeq"), "7 INVITE");
  EXPECT_EQ(header_of(ringing, "Contact"), "<sip:192.0.2.1:5060;transport=udp>");
  for (std::string_view leaked : {"203.0.113.5", "callee-a", "PhoneA", "X-Callee"}) {
    EXPECT_EQ(ringing.find(leaked), std::string::npos) << leaked;
  }

  h.response(
      response_to(out, 200, "callee-a", {"Contact: <sip:1001@203.0.113.5:5070>"}, kAnswerSdp),
      kPhoneA);
  const std::string ok = h.last_to(kCaller, "SIP/2.0 200 OK");
  EXPECT_EQ(tag_in(header_of(ok, "To")), our_tag);  // one dialog for the caller
  EXPECT_EQ(body_of(ok), kAnswerSdp);
  EXPECT_EQ(header_of(ok, "Content-Type"), "application/sdp");
  EXPECT_EQ(ok.substr(0, ok.find("\r\n\r\n")).find("203.0.113.5"), std::string::npos);
  EXPECT_EQ(h.b2bua.counters().answered, 1u);
}

TEST_F(B2buaTest, TheCallersAckBecomesTheCalleesAckAndLateOffersWork) {
  const std::string out = answer();
  EXPECT_TRUE(h.sent_to(kPhoneA, "ACK ").empty());  // the caller's ACK comes first
  const std::string sdp = "v=0\r\no=- 3 3 IN IP4 198.51.100.7\r\n";
  h.request(caller_request({}, "ACK", 7, caller_to(), "z9hG4bK-ack-1", sdp), kCaller);
  const std::string ack = h.last_to(kPhoneA, "ACK sip:1001@203.0.113.5:5070 SIP/2.0");
  EXPECT_EQ(header_of(ack, "CSeq"), "1 ACK");
  EXPECT_EQ(header_of(ack, "Call-ID"), header_of(out, "Call-ID"));
  EXPECT_EQ(tag_in(header_of(ack, "To")), "callee-a");
  EXPECT_EQ(body_of(ack), sdp);
  // A retransmitted 2xx from the callee gets the same ACK again; the caller sees nothing.
  const size_t to_caller = h.sent_to(kCaller, "").size();
  h.response(
      response_to(out, 200, "callee-a", {"Contact: <sip:1001@203.0.113.5:5070>"}, kAnswerSdp),
      kPhoneA);
  EXPECT_EQ(h.sent_to(kPhoneA, "ACK ").size(), 2u);
  EXPECT_EQ(h.sent_to(kPhoneA, "ACK ").back().bytes, ack);
  EXPECT_EQ(h.sent_to(kCaller, "").size(), to_caller);
  EXPECT_EQ(h.stray, std::vector<bool>{true});
}

TEST_F(B2buaTest, TheTwoHundredIsRetransmittedUntilAckedThenTheCallEnds) {
  answer();
  h.run_until(5000ms);
  // T1 doubling, capped at T2: 500, 1500, 3500 ms after the first.
  std::vector<Millis> times;
  for (const Sent& s : h.sent_to(kCaller, "SIP/2.0 200")) times.push_back(s.at);
  EXPECT_EQ(times, (std::vector<Millis>{0ms, 500ms, 1500ms, 3500ms}));
  // No ACK within 64*T1: BYE to both sides, the call is over.
  h.run_until(33000ms);
  // (Each BYE then retransmitted by its transaction, since nobody answers here.)
  const auto to_caller = h.sent_to(kCaller, "BYE sip:9999@198.51.100.7:5060 SIP/2.0");
  const auto to_callee = h.sent_to(kPhoneA, "BYE sip:1001@203.0.113.5:5070 SIP/2.0");
  ASSERT_FALSE(to_caller.empty());
  ASSERT_FALSE(to_callee.empty());
  EXPECT_EQ(to_caller.front().at, 32000ms);
  EXPECT_EQ(to_callee.front().at, 32000ms);
  // The callee's 2xx is ACKed before its BYE, so that it stops retransmitting.
  const auto acks = h.sent_to(kPhoneA, "ACK ");
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks.front().at, 32000ms);
  EXPECT_EQ(h.b2bua.counters().ack_timeouts, 1u);
  EXPECT_EQ(h.b2bua.active(), 0u);
}

TEST_F(B2buaTest, ByeFromEitherSideEndsBothLegs) {
  for (bool caller_hangs_up : {true, false}) {
    SCOPED_TRACE(caller_hangs_up ? "caller" : "callee");
    Harness fresh;
    fresh.register_contact("1001", kPhoneA);
    fresh.request(Invite{}.build(), kCaller);
    const std::string out = fresh.last_to(kPhoneA, "INVITE ");
    fresh.response(response_to(out, 200, "callee-a", {"Contact: <sip:1001@203.0.113.5:5070>"}),
                   kPhoneA);
    const std::string to = header_of(fresh.last_to(kCaller, "SIP/2.0 200"), "To");
    fresh.request(caller_request({}, "ACK", 7, to, "z9hG4bK-ack"), kCaller);
    if (caller_hangs_up) {
      fresh.request(caller_request({}, "BYE", 8, to, "z9hG4bK-bye"), kCaller);
      EXPECT_EQ(fresh.sent_to(kCaller, "SIP/2.0 200 OK").size(), 2u);  // the 200 and the BYE's
      const std::string bye = fresh.last_to(kPhoneA, "BYE ");
      EXPECT_EQ(header_of(bye, "CSeq"), "2 BYE");
      EXPECT_EQ(header_of(bye, "Call-ID"), header_of(out, "Call-ID"));
      EXPECT_TRUE(fresh.sent_to(kCaller, "BYE ").empty());
    } else {
      fresh.request(callee_request(out, "BYE", 1, "callee-a", "z9hG4bK-cbye"), kPhoneA);
      EXPECT_EQ(fresh.sent_to(kPhoneA, "SIP/2.0 200 OK").size(), 1u);
      const std::string bye = fresh.last_to(kCaller, "BYE sip:9999@198.51.100.7:5060 ");
      EXPECT_EQ(header_of(bye, "Call-ID"), "caller-call-id@198.51.100.7");
      EXPECT_EQ(header_of(bye, "To"), Invite{}.from);
      EXPECT_EQ(header_of(bye, "From"), to);
      EXPECT_TRUE(fresh.sent_to(kPhoneA, "BYE ").empty());
    }
    EXPECT_EQ(fresh.b2bua.active(), 0u);
    EXPECT_EQ(fresh.b2bua.held(), 0u);
    EXPECT_EQ(fresh.b2bua.counters().ended, 1u);
    ASSERT_EQ(fresh.finished.size(), 1u);
    EXPECT_EQ(fresh.finished[0].end, CallEnd::kAnswered);
    // The dialog is gone: another BYE gets 481.
    fresh.request(caller_request({}, "BYE", 9, to, "z9hG4bK-bye2"), kCaller);
    EXPECT_EQ(fresh.sent_to(kCaller, "SIP/2.0 481").size(), 1u);
  }
}

TEST_F(B2buaTest, ReInviteIsRelayedAndAckedEndToEnd) {
  const std::string out = answer();
  const std::string to = caller_to();
  h.request(caller_request({}, "ACK", 7, to, "z9hG4bK-ack-1"), kCaller);
  // The callee puts the call on hold.
  const std::string hold = "v=0\r\na=sendonly\r\n";
  h.request(callee_request(out, "INVITE", 2, "callee-a", "z9hG4bK-reinv", hold), kPhoneA);
  EXPECT_EQ(h.sent_to(kPhoneA, "SIP/2.0 100").size(), 1u);
  const std::string reinvite = h.last_to(kCaller, "INVITE sip:9999@198.51.100.7:5060 SIP/2.0");
  EXPECT_EQ(header_of(reinvite, "Call-ID"), "caller-call-id@198.51.100.7");
  EXPECT_EQ(header_of(reinvite, "CSeq"), "1 INVITE");
  EXPECT_EQ(header_of(reinvite, "From"), to);
  EXPECT_EQ(body_of(reinvite), hold);
  // The caller answers; the callee gets the 200 (retransmitted until ACKed) and its ACK is
  // relayed to the caller.
  h.response(response_to(reinvite, 200, {}, {"Contact: <sip:9999@198.51.100.7:5060>"}, kAnswerSdp),
             kCaller);
  const std::string ok = h.last_to(kPhoneA, "SIP/2.0 200 OK");
  EXPECT_EQ(header_of(ok, "CSeq"), "2 INVITE");
  EXPECT_EQ(header_of(ok, "Contact"), "<sip:192.0.2.1:5060;transport=udp>");
  EXPECT_EQ(body_of(ok), kAnswerSdp);
  h.run_until(600ms);
  EXPECT_EQ(h.sent_to(kPhoneA, "SIP/2.0 200 OK").size(), 2u);
  h.request(callee_request(out, "ACK", 2, "callee-a", "z9hG4bK-reack"), kPhoneA);
  const std::string ack = h.last_to(kCaller, "ACK ");
  EXPECT_EQ(header_of(ack, "CSeq"), "1 ACK");
  h.run_until(5000ms);
  EXPECT_EQ(h.sent_to(kPhoneA, "SIP/2.0 200 OK").size(), 2u);  // no more after the ACK
  EXPECT_EQ(h.b2bua.counters().in_dialog_relayed, 1u);
  EXPECT_EQ(h.b2bua.active(), 1u);
}

TEST_F(B2buaTest, UpdateIsRelayedAndAnsweredWithoutAck) {
  const std::string out = answer();
  const std::string to = caller_to();
  h.request(caller_request({}, "ACK", 7, to, "z9hG4bK-ack-1"), kCaller);
  const std::string offer = "v=0\r\no=- 9 9 IN IP4 198.51.100.7\r\n";
  h.request(caller_request({}, "UPDATE", 8, to, "z9hG4bK-upd", offer), kCaller);
  const std::string update = h.last_to(kPhoneA, "UPDATE sip:1001@203.0.113.5:5070 SIP/2.0");
  EXPECT_EQ(header_of(update, "CSeq"), "2 UPDATE");
  EXPECT_EQ(header_of(update, "Contact"), "<sip:192.0.2.1:5060;transport=udp>");
  EXPECT_EQ(body_of(update), offer);
  h.response(response_to(update, 200, {}, {}, kAnswerSdp), kPhoneA);
  const std::string ok = h.last_to(kCaller, "SIP/2.0 200 OK");
  EXPECT_EQ(header_of(ok, "CSeq"), "8 UPDATE");
  EXPECT_EQ(body_of(ok), kAnswerSdp);
  // A failure is relayed as it is; an out-of-order request gets 500 without reaching the callee.
  h.request(caller_request({}, "UPDATE", 9, to, "z9hG4bK-upd2", offer), kCaller);
  h.response(response_to(h.last_to(kPhoneA, "UPDATE "), 488), kPhoneA);
  EXPECT_EQ(h.sent_to(kCaller, "SIP/2.0 488 Not Acceptable Here").size(), 1u);
  h.request(caller_request({}, "UPDATE", 9, to, "z9hG4bK-upd3", offer), kCaller);
  EXPECT_EQ(h.sent_to(kCaller, "SIP/2.0 500").size(), 1u);
  EXPECT_EQ(h.sent_to(kPhoneA, "UPDATE ").size(), 2u);
  h.run_until(5000ms);
  EXPECT_EQ(h.sent_to(kCaller, "SIP/2.0 200 OK").size(), 2u);  // the 200 to the INVITE, ACKed
  EXPECT_EQ(h.b2bua.active(), 1u);
}

TEST_F(B2buaTest, ForksRingEveryContactAndTheFirstAnswerWins) {
  h.register_contact("1001", kPhoneB);
  h.request(Invite{}.build(), kCaller);
  const std::string a = h.last_to(kPhoneA, "INVITE ");
  const std::string b = h.last_to(kPhoneB, "INVITE ");
  EXPECT_NE(header_of(a, "Call-ID"), header_of(b, "Call-ID"));
  EXPECT_NE(tag_in(header_of(a, "From")), tag_in(header_of(b, "From")));
  h.response(response_to(b, 180, "callee-b"), kPhoneB);
  h.response(response_to(a, 200, "callee-a", {"Contact: <sip:1001@203.0.113.5:5070>"}), kPhoneA);
  // B rang, so it gets a CANCEL at once, for its INVITE (same branch, CSeq 1).
  const std::string cancel = h.last_to(kPhoneB, "CANCEL ");
  EXPECT_EQ(header_of(cancel, "Via"), header_of(b, "Via"));
  EXPECT_EQ(header_of(cancel, "CSeq"), "1 CANCEL");
  EXPECT_EQ(header_of(cancel, "To"), header_of(b, "To"));
  // B answers anyway (the CANCEL crossed its 200): ACK and BYE, and the caller never knows.
  h.response(response_to(b, 200, "callee-b", {"Contact: <sip:1001@203.0.113.6:5070>"}), kPhoneB);
  EXPECT_EQ(h.sent_to(kPhoneB, "ACK sip:1001@203.0.113.6:5070").size(), 1u);
  EXPECT_EQ(h.sent_to(kPhoneB, "BYE sip:1001@203.0.113.6:5070").size(), 1u);
  EXPECT_EQ(h.sent_to(kCaller, "SIP/2.0 200").size(), 1u);
  EXPECT_EQ(h.b2bua.counters().late_answers, 1u);
  EXPECT_EQ(h.b2bua.counters().answered, 1u);
}

TEST_F(B2buaTest, ACancelWaitsForTheForksFirstProvisional) {
  h.register_contact("1001", kPhoneB);
  h.request(Invite{}.build(), kCaller);
  const std::string a = h.last_to(kPhoneA, "INVITE ");
  const std::string b = h.last_to(kPhoneB, "INVITE ");
  h.response(response_to(a, 200, "callee-a", {"Contact: <sip:1001@203.0.113.5:5070>"}), kPhoneA);
  EXPECT_TRUE(h.sent_to(kPhoneB, "CANCEL ").empty());  // B has not answered at all yet
  h.response(response_to(b, 100), kPhoneB);
  EXPECT_EQ(h.sent_to(kPhoneB, "CANCEL ").size(), 1u);
  h.response(response_to(b, 487, "callee-b"), kPhoneB);
  EXPECT_EQ(h.sent_to(kPhoneB, "ACK ").size(), 1u);  // the transaction's ACK for the 487
  EXPECT_EQ(h.sent_to(kCaller, "SIP/2.0 487").size(), 0u);
}

TEST_F(B2buaTest, TheCallersCancelEndsTheCallWith487) {
  const std::string out = ring();
  h.response(response_to(out, 180, "callee-a"), kPhoneA);
  Invite cancel_of;
  std::string cancel =
      "CANCEL sip:1001@pbx.example SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-caller-1\r\n"
      "Max-Forwards: 70\r\nFrom: " +
      cancel_of.from + "\r\nTo: <sip:1001@pbx.example>\r\nCall-ID: " + cancel_of.call_id +
      "\r\nCSeq: 7 CANCEL\r\nContent-Length: 0\r\n\r\n";
  h.request(cancel, kCaller);
  EXPECT_EQ(h.sent_to(kCaller, "SIP/2.0 487 Request Terminated").size(), 1u);
  EXPECT_EQ(h.sent_to(kPhoneA, "CANCEL ").size(), 1u);
  EXPECT_EQ(h.b2bua.active(), 0u);
  EXPECT_EQ(h.b2bua.held(), 1u);  // until the callee's 487
  h.response(response_to(out, 487, "callee-a"), kPhoneA);
  EXPECT_EQ(h.b2bua.held(), 0u);
  EXPECT_EQ(h.b2bua.counters().cancelled, 1u);
  ASSERT_EQ(h.finished.size(), 1u);
  EXPECT_EQ(h.finished[0].end, CallEnd::kFailed);
  EXPECT_EQ(h.finished[0].status, 487);
}

TEST_F(B2buaTest, NoAnswerWithinTheRingTimeoutIs480) {
  const std::string out = ring();
  h.response(response_to(out, 180, "callee-a"), kPhoneA);
  h.run_until(29'999ms);
  EXPECT_TRUE(h.sent_to(kCaller, "SIP/2.0 480").empty());
  h.run_until(30'000ms);
  EXPECT_EQ(h.sent_to(kCaller, "SIP/2.0 480 Temporarily Unavailable").size(), 1u);
  EXPECT_EQ(h.sent_to(kPhoneA, "CANCEL ").size(), 1u);
  EXPECT_EQ(h.b2bua.counters().no_answer, 1u);
  // A callee that never answers the CANCEL is forgotten after 64*T1.
  h.run_until(63'000ms);
  EXPECT_EQ(h.b2bua.held(), 0u);
}

TEST_F(B2buaTest, FailuresAreMappedAndTheBestOneWins) {
  struct Case {
    std::vector<int> statuses;  // one per fork, in order of arrival
    int expected;
  };
  const Case kCases[] = {
      {{486}, 486},      {{603}, 603},      {{404}, 404},      {{302}, 480},
      {{401}, 480},      {{500}, 502},      {{503}, 502},      {{488}, 488},
      {{480, 486}, 486}, {{503, 404}, 404}, {{408, 500}, 502}, {{486, 600}, 600},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(testing::PrintToString(c.statuses));
    Harness fresh;
    fresh.register_contact("1001", kPhoneA);
    if (c.statuses.size() > 1) fresh.register_contact("1001", kPhoneB);
    fresh.request(Invite{}.build(), kCaller);
    const Endpoint phones[] = {kPhoneA, kPhoneB};
    for (size_t i = 0; i < c.statuses.size(); ++i) {
      const std::string out = fresh.last_to(phones[i], "INVITE ");
      fresh.response(response_to(out, c.statuses[i], "t"), phones[i]);
    }
    const auto finals = fresh.sent_to(kCaller, "SIP/2.0 " + std::to_string(c.expected) + " ");
    EXPECT_EQ(finals.size(), 1u);
    if (!finals.empty()) {
      EXPECT_EQ(header_of(finals[0].bytes, "Contact"), "");
    }
    EXPECT_EQ(fresh.b2bua.active(), 0u);
  }
}

TEST_F(B2buaTest, ATimedOutForkIs408) {
  Settings settings = Harness::defaults();
  settings.ring_timeout = 60s;
  Harness slow(settings);
  slow.register_contact("1001", kPhoneA);
  slow.request(Invite{}.build(), kCaller);
  slow.run_until(31'999ms);
  EXPECT_TRUE(slow.sent_to(kCaller, "SIP/2.0 408").empty());
  slow.run_until(32'000ms);  // Timer B
  EXPECT_EQ(slow.sent_to(kCaller, "SIP/2.0 408 Request Timeout").size(), 1u);
  EXPECT_EQ(slow.b2bua.counters().timed_out, 1u);
  EXPECT_EQ(slow.b2bua.held(), 0u);
}

TEST_F(B2buaTest, RefusalsBeforeAnyCall) {
  struct Case {
    const char* name;
    std::function<void(Invite&, Harness&)> setup;
    std::string status;
  };
  const Case kCases[] = {
      {"unknown number", [](Invite& i, Harness&) { i.uri = "sip:1999@pbx.example"; }, "404"},
      {"no contact", [](Invite&, Harness& other) { other.registered["1001"].clear(); }, "480"},
      {"Max-Forwards spent", [](Invite& i, Harness&) { i.max_forwards = 0; }, "483"},
      {"looped too often",
       [](Invite& i, Harness&) { i.extra.push_back(std::string(kHopHeader) + ": 6"); }, "482"},
      {"router refuses",
       [](Invite&, Harness& other) {
         other.route_to = [](const RouteRequest&) {
           RouteDecision d;
           d.status = 403;
           return d;
         };
       },
       "403"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    Harness fresh;
    fresh.register_contact("1001", kPhoneA);
    Invite invite;
    c.setup(invite, fresh);
    fresh.request(invite.build(), kCaller);
    EXPECT_EQ(fresh.sent_to(kCaller, "SIP/2.0 " + c.status + " ").size(), 1u);
    EXPECT_TRUE(fresh.sent_to(kPhoneA, "").empty());
    EXPECT_EQ(fresh.b2bua.held(), 0u);
    EXPECT_TRUE(fresh.started.empty());
  }
}

TEST_F(B2buaTest, HopCountAtTheLimitPassesAndIsCarriedOnlyToTrustedPeers) {
  for (bool trusted : {true, false}) {
    SCOPED_TRACE(trusted ? "trusted" : "untrusted");
    Harness fresh;
    fresh.route_to = [trusted](const RouteRequest&) {
      RouteDecision d;
      d.kind = RouteDecision::Kind::kRemote;
      d.remote.endpoint = kTrunk;
      d.remote.request_uri = "sip:+4930123@trunk.example";
      d.remote.trusted = trusted;
      return d;
    };
    Invite invite;
    invite.extra.push_back(std::string(kHopHeader) + ": 5");
    fresh.request(invite.build(), kCaller);
    const std::string out = fresh.last_to(kTrunk, "INVITE sip:+4930123@trunk.example SIP/2.0");
    EXPECT_EQ(header_of(out, kHopHeader), trusted ? "6" : "");
    EXPECT_EQ(header_of(out, "To"), "<sip:+4930123@trunk.example>");
    EXPECT_EQ(header_of(out, "Alert-Info"), "");  // for phones only
  }
}

TEST_F(B2buaTest, ARemoteTargetsChallengeIsAnsweredOnce) {
  h.route_to = [](const RouteRequest&) {
    RouteDecision d;
    d.kind = RouteDecision::Kind::kRemote;
    d.remote.endpoint = kTrunk;
    d.remote.request_uri = "sip:+4930123@trunk.example";
    d.remote.credentials = auth::ClientCredentials{"pbx1", "trunk-secret"};
    return d;
  };
  h.request(Invite{}.build(), kCaller);
  const std::string first = h.last_to(kTrunk, "INVITE ");
  h.response(response_to(first, 407, "t1",
                         {"Proxy-Authenticate: Digest realm=\"trunk.example\", nonce=\"n1\", "
                          "algorithm=MD5, qop=\"auth\""}),
             kTrunk);
  EXPECT_EQ(h.sent_to(kTrunk, "ACK ").size(), 1u);  // the 407's ACK
  const std::string second = h.last_to(kTrunk, "INVITE ");
  ASSERT_NE(second, first);
  EXPECT_EQ(header_of(second, "CSeq"), "2 INVITE");
  EXPECT_EQ(header_of(second, "Call-ID"), header_of(first, "Call-ID"));
  EXPECT_EQ(header_of(second, "From"), header_of(first, "From"));
  EXPECT_NE(header_of(second, "Via"), header_of(first, "Via"));
  EXPECT_EQ(body_of(second), Invite{}.body);
  const std::string credentials = header_of(second, "Proxy-Authorization");
  EXPECT_NE(credentials.find("username=\"pbx1\""), std::string::npos) << credentials;
  EXPECT_NE(credentials.find("uri=\"sip:+4930123@trunk.example\""), std::string::npos);
  EXPECT_EQ(second.find("trunk-secret"), std::string::npos);
  // A second challenge is not answered again: the call fails.
  h.response(response_to(second, 407, "t2",
                         {"Proxy-Authenticate: Digest realm=\"trunk.example\", nonce=\"n2\", "
                          "algorithm=MD5, qop=\"auth\""}),
             kTrunk);
  EXPECT_EQ(h.sent_to(kTrunk, "INVITE ").size(), 2u);
  EXPECT_EQ(h.sent_to(kCaller, "SIP/2.0 480").size(), 1u);
  EXPECT_EQ(h.b2bua.counters().auth_retries, 1u);
}

TEST_F(B2buaTest, CallsAreBoundedInTotalAndPerAccount) {
  Settings settings = Harness::defaults();
  settings.max_calls = 3;
  settings.max_calls_per_account = 2;
  Harness bounded(settings);
  bounded.register_contact("1001", kPhoneA);
  auto call = [&](int n, std::string_view account) {
    Invite invite;
    invite.call_id = "call-" + std::to_string(n);
    invite.branch = "z9hG4bK-b" + std::to_string(n);
    bounded.request(invite.build(), kCaller, account);
  };
  call(1, "1000");
  call(2, "1000");
  call(3, "1000");  // a third for 1000: refused
  EXPECT_EQ(bounded.sent_to(kCaller, "SIP/2.0 503").size(), 1u);
  call(4, "1002");
  call(5, "1003");  // a fourth in total: refused
  EXPECT_EQ(bounded.sent_to(kCaller, "SIP/2.0 503").size(), 2u);
  EXPECT_EQ(header_of(bounded.last_to(kCaller, "SIP/2.0 503"), "Retry-After"), "5");
  EXPECT_EQ(bounded.b2bua.active(), 3u);
  EXPECT_EQ(bounded.b2bua.counters().overloaded, 2u);
}

TEST_F(B2buaTest, AnAnsweredCallEndsAtItsMaximumDuration) {
  h.route_to = [](const RouteRequest& request) {
    RouteDecision d;
    d.kind = RouteDecision::Kind::kLocal;
    d.account = std::string(request.dialled);
    d.max_duration = 10s;
    return d;
  };
  answer();
  h.request(caller_request({}, "ACK", 7, caller_to(), "z9hG4bK-ack"), kCaller);
  h.run_until(9'999ms);
  EXPECT_TRUE(h.sent_to(kPhoneA, "BYE ").empty());
  h.run_until(10'000ms);
  EXPECT_EQ(h.sent_to(kPhoneA, "BYE ").size(), 1u);
  EXPECT_EQ(h.sent_to(kCaller, "BYE ").size(), 1u);
  EXPECT_EQ(h.b2bua.counters().max_duration_ends, 1u);
}

TEST_F(B2buaTest, ALostTcpLegEndsTheCall) {
  const Endpoint phone = endpoint("tcp:203.0.113.5:40000", 42);
  h.registered["1001"] = {Contact{"sip:1001@203.0.113.5:40000;transport=tcp", phone}};
  h.request(Invite{}.build(), kCaller);
  const std::string out = h.last_to(phone, "INVITE ");
  EXPECT_TRUE(header_of(out, "Via").starts_with("SIP/2.0/TCP "));
  h.response(response_to(out, 200, "callee-a", {"Contact: <sip:1001@203.0.113.5:40000>"}), phone);
  h.request(caller_request({}, "ACK", 7, caller_to(), "z9hG4bK-ack"), kCaller);
  h.b2bua.on_connection_closed(phone);
  EXPECT_EQ(h.sent_to(kCaller, "BYE ").size(), 1u);
  EXPECT_TRUE(h.sent_to(phone, "BYE ").empty());
  EXPECT_EQ(h.b2bua.counters().legs_lost, 1u);
  EXPECT_EQ(h.b2bua.active(), 0u);
}

TEST_F(B2buaTest, InDialogRequestsWithWrongIdentifiersGet481) {
  answer();
  const std::string to = caller_to();
  std::string wrong_call_id = caller_request({}, "BYE", 8, to, "z9hG4bK-w1");
  wrong_call_id.replace(wrong_call_id.find("caller-call-id"), 6, "forged");
  h.request(wrong_call_id, kCaller);
  h.request(
      caller_request({}, "BYE", 8, "<sip:1001@pbx.example>;tag=0123456789abcdef", "z9hG4bK-w2"),
      kCaller);
  EXPECT_EQ(h.sent_to(kCaller, "SIP/2.0 481").size(), 2u);
  EXPECT_TRUE(h.sent_to(kPhoneA, "BYE ").empty());
  EXPECT_EQ(h.b2bua.active(), 1u);
}

// Issue 12, item 11: the dialog's identifiers are not enough. A request from another address
// than its leg's must prove the leg's account (the server challenges it); until then the call
// goes on as if nothing had been sent.
TEST_F(B2buaTest, InDialogRequestsFromElsewhereMustProveTheLegsAccount) {
  const Endpoint stranger = endpoint("udp:198.51.100.66:5060");
  const std::string out = answer();
  const std::string to = caller_to();
  // An ACK from elsewhere neither confirms the answer nor reaches the callee.
  h.request(caller_request({}, "ACK", 7, to, "z9hG4bK-fake-ack", "v=0\r\n"), stranger);
  EXPECT_TRUE(h.sent_to(kPhoneA, "ACK ").empty());
  EXPECT_EQ(h.b2bua.counters().wrong_source, 1u);
  h.run_until(600ms);
  EXPECT_EQ(h.sent_to(kCaller, "SIP/2.0 200").size(), 2u);  // still waiting for the real ACK
  h.request(caller_request({}, "ACK", 7, to, "z9hG4bK-ack"), kCaller);
  EXPECT_EQ(h.sent_to(kPhoneA, "ACK ").size(), 1u);

  // A BYE with every identifier right, on either leg, from a stranger: challenged for the leg's
  // account, which the stranger cannot prove.
  h.request(caller_request({}, "BYE", 8, to, "z9hG4bK-fake-bye"), stranger);
  h.request(callee_request(out, "BYE", 2, "callee-a", "z9hG4bK-fake-cbye"), stranger);
  h.request(caller_request({}, "INVITE", 9, to, "z9hG4bK-fake-reinv", "v=0\r\n"), stranger);
  EXPECT_EQ(h.reauthentications, (std::vector<std::string>{"1000", "1001", "1000"}));
  EXPECT_EQ(h.sent_to(stranger, "SIP/2.0 407").size(), 3u);
  EXPECT_TRUE(h.sent_to(kPhoneA, "BYE ").empty());
  EXPECT_TRUE(h.sent_to(kPhoneA, "INVITE ").size() == 1u);
  EXPECT_TRUE(h.sent_to(kCaller, "BYE ").empty());
  EXPECT_EQ(h.b2bua.active(), 1u);
  // Requests from the leg's own address need nothing more, whatever the port.
  const size_t asked = h.reauthentications.size();
  h.request(callee_request(out, "INFO", 2, "callee-a", "z9hG4bK-info"),
            endpoint("udp:203.0.113.5:5999"));
  EXPECT_EQ(h.reauthentications.size(), asked);
  EXPECT_EQ(h.b2bua.counters().in_dialog_relayed, 1u);

  // The caller's phone moved and proves its account: the leg follows it.
  const Endpoint moved = endpoint("udp:198.51.100.8:5062");
  h.proves = "1000";
  h.request(caller_request({}, "BYE", 10, to, "z9hG4bK-moved-bye"), moved);
  EXPECT_EQ(h.b2bua.counters().legs_moved, 1u);
  EXPECT_EQ(h.sent_to(moved, "SIP/2.0 200 OK").size(), 1u);
  EXPECT_EQ(h.sent_to(kPhoneA, "BYE ").size(), 1u);
  EXPECT_EQ(h.b2bua.active(), 0u);
}

TEST_F(B2buaTest, ALegWithoutAnAccountRefusesRequestsFromElsewhere) {
  // A call from a trunk (a trusted source, no account): nothing to prove, so nothing accepted.
  h.route_to = [](const RouteRequest&) {
    RouteDecision d;
    d.kind = RouteDecision::Kind::kLocal;
    d.account = "1001";
    return d;
  };
  h.request(Invite{}.build(), kTrunk, std::nullopt);
  const std::string out = h.last_to(kPhoneA, "INVITE ");
  h.response(response_to(out, 200, "callee-a", {"Contact: <sip:1001@203.0.113.5:5070>"}), kPhoneA);
  const std::string to = header_of(h.last_to(kTrunk, "SIP/2.0 200"), "To");
  h.request(caller_request({}, "ACK", 7, to, "z9hG4bK-ack"), kTrunk);
  const Endpoint stranger = endpoint("udp:192.0.2.100:5060");
  h.request(caller_request({}, "BYE", 8, to, "z9hG4bK-fake-bye"), stranger);
  EXPECT_TRUE(h.reauthentications.empty());
  EXPECT_EQ(h.sent_to(stranger, "SIP/2.0 403").size(), 1u);
  EXPECT_TRUE(h.sent_to(kPhoneA, "BYE ").empty());
  EXPECT_EQ(h.b2bua.active(), 1u);
  // Sent once, nothing kept for it.
  h.run_until(40000ms);
  EXPECT_EQ(h.sent_to(stranger, "").size(), 1u);
  // The trunk itself still hangs up.
  h.request(caller_request({}, "BYE", 9, to, "z9hG4bK-bye"), kTrunk);
  EXPECT_EQ(h.sent_to(kPhoneA, "BYE ").size(), 1u);
}

// Issue 12, item 6: what nobody authenticated earns one answer, sent once.
TEST_F(B2buaTest, RefusalsOfUnauthenticatedRequestsAreSentOnce) {
  // A re-INVITE for no dialog, and a trusted source's INVITE the router refuses.
  h.request(caller_request({}, "INVITE", 3, "<sip:1001@pbx.example>;tag=0123456789abcdef",
                           "z9hG4bK-nodialog"),
            kCaller);
  h.route_to = [](const RouteRequest&) {
    RouteDecision d;
    d.status = 404;
    return d;
  };
  h.request(Invite{}.build(), kTrunk, std::nullopt);
  // An authenticated caller's refusal stays reliable: retransmitted until its ACK.
  Invite authenticated;
  authenticated.call_id = "authenticated";
  authenticated.branch = "z9hG4bK-auth";
  h.request(authenticated.build(), kCaller);
  h.run_until(5000ms);
  EXPECT_EQ(h.sent_to(kCaller, "SIP/2.0 481").size(), 1u);
  EXPECT_EQ(h.sent_to(kTrunk, "SIP/2.0 404").size(), 1u);
  EXPECT_EQ(h.sent_to(kCaller, "SIP/2.0 404").size(), 4u);
  EXPECT_EQ(h.layer.server_size(), 1u);  // only the authenticated caller's
  EXPECT_EQ(h.layer.counters().stateless, 2u);
}

TEST_F(B2buaTest, EndAllHangsUpAndCancels) {
  answer();
  Invite second;
  second.call_id = "second";
  second.branch = "z9hG4bK-second";
  h.request(second.build(), kCaller);
  h.b2bua.end_all();
  EXPECT_EQ(h.sent_to(kCaller, "SIP/2.0 503").size(), 1u);
  EXPECT_EQ(h.sent_to(kCaller, "BYE ").size(), 1u);
  EXPECT_EQ(h.sent_to(kPhoneA, "BYE ").size(), 1u);
  EXPECT_EQ(h.b2bua.held(), 0u);
  EXPECT_EQ(h.b2bua.active(), 0u);
}

}  // namespace
}  // namespace hardline::call::test
