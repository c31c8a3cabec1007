// The layer as a whole: matching of requests (RFC 3261 §17.2.3, with the RFC 2543 fallback)
// and responses (§17.1.3), CANCEL (§9.2), stray responses, the bounds on the tables, and that
// every transaction leaves the table once terminated.

#include "txn/transaction_layer.h"

#include <gtest/gtest.h>

#include "txn_harness.h"

namespace hardline::txn::test {
namespace {

Req invite_req() {
  Req r;
  r.method = "INVITE";
  r.uri = "sip:202@example.com";
  r.via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-inv-7";
  r.to = "<sip:202@example.com>";
  r.call_id = "layer-call@192.0.2.10";
  r.cseq = 7;
  return r;
}

// RFC 2543 requests: no magic cookie (here, no branch at all).
Req legacy_invite() {
  Req r = invite_req();
  r.via = "SIP/2.0/UDP 192.0.2.20:5060";
  r.call_id = "legacy@192.0.2.20";
  return r;
}

Endpoint phone(std::string_view ip, uint16_t port = 5060) {
  return endpoint("udp:" + std::string(ip) + ":" + std::to_string(port));
}

TEST(Matching, Rfc3261BranchSentByAndMethodMakeTheTransaction) {
  Harness h;
  Req base;
  auto first = h.request(base.build(), kPhoneUdp);
  ASSERT_EQ(first.disposition, Disposition::kNew);

  // Same branch and sent-by: a retransmission, even if other fields differ.
  Req same = base;
  same.cseq = 99;
  EXPECT_EQ(h.request(same.build(), kPhoneUdp).disposition, Disposition::kRetransmission);
  // sent-by host compares case-insensitively.
  Req upper = base;
  upper.via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-reg-1";
  upper.uri = "sip:EXAMPLE.com";
  EXPECT_EQ(h.request(upper.build(), kPhoneUdp).id, first.id);

  Req other_branch = base;
  other_branch.via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-reg-2";
  EXPECT_EQ(h.request(other_branch.build(), kPhoneUdp).disposition, Disposition::kNew);
  Req other_sent_by = base;
  other_sent_by.via = "SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-reg-1";
  EXPECT_EQ(h.request(other_sent_by.build(), kPhoneUdp).disposition, Disposition::kNew);
  Req other_method = base;
  other_method.method = "OPTIONS";
  EXPECT_EQ(h.request(other_method.build(), kPhoneUdp).disposition, Disposition::kNew);
  // The branch itself is compared byte for byte.
  Req branch_case = base;
  branch_case.via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-REG-1";
  EXPECT_EQ(h.request(branch_case.build(), kPhoneUdp).disposition, Disposition::kNew);
  EXPECT_EQ(h.layer.size(), 5u);
}

TEST(Matching, HostNameSentByIsCaseInsensitive) {
  Harness h;
  Req a;
  a.via = "SIP/2.0/UDP Phone.Example.COM;branch=z9hG4bK-h1";
  Req b = a;
  b.via = "SIP/2.0/UDP phone.example.com;branch=z9hG4bK-h1";
  EXPECT_EQ(h.request(a.build(), kPhoneUdp).disposition, Disposition::kNew);
  EXPECT_EQ(h.request(b.build(), kPhoneUdp).disposition, Disposition::kRetransmission);
}

TEST(Matching, Rfc2543FallbackUsesDialogFieldsAndTopVia) {
  Harness h;
  Req inv = legacy_invite();
  auto first = h.request(inv.build(), kPhoneUdp);
  ASSERT_EQ(first.disposition, Disposition::kNew);
  EXPECT_EQ(h.request(inv.build(), kPhoneUdp).disposition, Disposition::kRetransmission);

  Req next_cseq = inv;
  next_cseq.cseq = 8;
  EXPECT_EQ(h.request(next_cseq.build(), kPhoneUdp).disposition, Disposition::kNew);
  Req other_from_tag = inv;
  other_from_tag.from = "<sip:201@example.com>;tag=f2";
  EXPECT_EQ(h.request(other_from_tag.build(), kPhoneUdp).disposition, Disposition::kNew);
  Req other_call = inv;
  other_call.call_id = "another@192.0.2.20";
  EXPECT_EQ(h.request(other_call.build(), kPhoneUdp).disposition, Disposition::kNew);
  Req other_uri = inv;
  other_uri.uri = "sip:203@example.com";
  EXPECT_EQ(h.request(other_uri.build(), kPhoneUdp).disposition, Disposition::kNew);
  Req other_via = inv;
  other_via.via = "SIP/2.0/UDP 192.0.2.21:5060";
  EXPECT_EQ(h.request(other_via.build(), kPhoneUdp).disposition, Disposition::kNew);
  Req to_tag = inv;
  to_tag.to = inv.to + ";tag=dlg";
  EXPECT_EQ(h.request(to_tag.build(), kPhoneUdp).disposition, Disposition::kNew);
  // A branch without the cookie is not trusted alone: two requests sharing it differ.
  Req legacy_branch = inv;
  legacy_branch.via = "SIP/2.0/UDP 192.0.2.20:5060;branch=1234";
  Req legacy_branch_other = legacy_branch;
  legacy_branch_other.cseq = 9;
  EXPECT_EQ(h.request(legacy_branch.build(), kPhoneUdp).disposition, Disposition::kNew);
  EXPECT_EQ(h.request(legacy_branch_other.build(), kPhoneUdp).disposition, Disposition::kNew);
  EXPECT_EQ(h.layer.size(), 9u);
}

TEST(Matching, Rfc2543AckMatchesThroughTheResponsesToTag) {
  Harness h;
  Req inv = legacy_invite();
  auto id = h.request(inv.build(), kPhoneUdp).id;
  EXPECT_TRUE(h.layer.respond(id, 486, inv.response(486, "Busy Here", "uas5")));
  h.run_until(600ms);

  Req wrong = inv;
  wrong.method = "ACK";
  wrong.to = inv.to + ";tag=other";
  EXPECT_EQ(h.request(wrong.build(), kPhoneUdp).disposition, Disposition::kAckWithoutTransaction);
  Req ack = inv;
  ack.method = "ACK";
  ack.to = inv.to + ";tag=uas5";
  auto absorbed = h.request(ack.build(), kPhoneUdp);
  EXPECT_EQ(absorbed.disposition, Disposition::kAckAbsorbed);
  EXPECT_EQ(absorbed.id, id);
  h.run_until(5599ms);
  EXPECT_EQ(h.layer.size(), 1u);
  h.run_until(5600ms);  // Timer I
  EXPECT_EQ(h.layer.size(), 0u);
  EXPECT_EQ(h.count_of("SIP/2.0 486"), 2u) << "sent, then Timer G once before the ACK";
}

TEST(Matching, Rfc2543AckForReInviteKeepsTheDialogTag) {
  Harness h;
  Req inv = legacy_invite();
  inv.to = inv.to + ";tag=dlg1";
  auto id = h.request(inv.build(), kPhoneUdp).id;
  h.layer.respond(id, 488, inv.response(488, "Not Acceptable Here"));
  Req ack = inv;
  ack.method = "ACK";
  EXPECT_EQ(h.request(ack.build(), kPhoneUdp).disposition, Disposition::kAckAbsorbed);
}

TEST(Matching, CancelIsItsOwnTransactionAndFindsItsInvite) {
  Harness h;
  Req inv = invite_req();
  auto invite_id = h.request(inv.build(), kPhoneUdp).id;
  h.layer.respond(invite_id, 180, inv.response(180, "Ringing", "uas1"));

  Req cancel = inv;
  cancel.method = "CANCEL";
  auto cancel_in = h.request(cancel.build(), kPhoneUdp);
  ASSERT_EQ(cancel_in.disposition, Disposition::kNew);
  EXPECT_NE(cancel_in.id, invite_id);
  std::string cancel_bytes = cancel.build();
  auto parsed = sip::parse_datagram(cancel_bytes);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(h.layer.find_invite_for_cancel(*parsed), invite_id);

  // The TU answers 200 to the CANCEL and 487 to the INVITE.
  EXPECT_TRUE(h.layer.respond(cancel_in.id, 200, cancel.response(200, "OK", "uas1")));
  EXPECT_TRUE(h.layer.respond(invite_id, 487, inv.response(487, "Request Terminated", "uas1")));
  EXPECT_EQ(h.request(cancel.build(), kPhoneUdp).disposition, Disposition::kRetransmission);
  EXPECT_EQ(h.sender.sent.back().bytes, cancel.response(200, "OK", "uas1"));

  // A CANCEL for a request that is not here.
  Req stray = cancel;
  stray.via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-unknown";
  std::string stray_bytes = stray.build();
  auto stray_parsed = sip::parse_datagram(stray_bytes);
  ASSERT_TRUE(stray_parsed.has_value());
  EXPECT_FALSE(h.layer.find_invite_for_cancel(*stray_parsed).has_value());
  // A non-INVITE transaction on the same branch is not an INVITE to cancel.
  Req reg;
  h.request(reg.build(), kPhoneUdp);
  Req cancel_reg = reg;
  cancel_reg.method = "CANCEL";
  std::string cancel_reg_bytes = cancel_reg.build();
  auto cancel_reg_parsed = sip::parse_datagram(cancel_reg_bytes);
  ASSERT_TRUE(cancel_reg_parsed.has_value());
  EXPECT_FALSE(h.layer.find_invite_for_cancel(*cancel_reg_parsed).has_value());
}

TEST(Matching, Rfc2543CancelFindsItsInvite) {
  Harness h;
  Req inv = legacy_invite();
  auto id = h.request(inv.build(), kPhoneUdp).id;
  Req cancel = inv;
  cancel.method = "CANCEL";
  EXPECT_EQ(h.request(cancel.build(), kPhoneUdp).disposition, Disposition::kNew);
  std::string bytes = cancel.build();
  auto parsed = sip::parse_datagram(bytes);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(h.layer.find_invite_for_cancel(*parsed), id);
}

TEST(Matching, StrayResponsesAreCountedAndRefused) {
  Harness h;
  Req out = invite_req();
  out.via = "SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bK-mine";
  h.send(out, kPeerUdp);

  Req other = out;
  other.via = "SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bK-not-mine";
  EXPECT_FALSE(h.response(other.response(200, "OK", "x"), kPeerUdp));
  // Right branch, wrong CSeq method: a different transaction (§17.1.3).
  Req wrong_method = out;
  wrong_method.method = "BYE";
  EXPECT_FALSE(h.response(wrong_method.response(200, "OK", "x"), kPeerUdp));
  Req no_branch = out;
  no_branch.via = "SIP/2.0/UDP 203.0.113.1:5060";
  EXPECT_FALSE(h.response(no_branch.response(200, "OK", "x"), kPeerUdp));
  EXPECT_EQ(h.layer.counters().stray_responses, 3u);
  EXPECT_TRUE(h.reported.empty());
  EXPECT_TRUE(h.response(out.response(180, "Ringing", "x"), kPeerUdp));
  EXPECT_EQ(h.reported.size(), 1u);
}

TEST(Limits, TotalBoundRefusesNewTransactionsButNotRetransmissions) {
  Limits limits;
  limits.max_total = 3;
  Harness h(limits);
  std::vector<ServerTransactionId> ids;
  for (int i = 0; i < 3; ++i) {
    Req r;
    r.via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-t" + std::to_string(i);
    auto in = h.request(r.build(), phone("192.0.2." + std::to_string(10 + i)));
    ASSERT_EQ(in.disposition, Disposition::kNew);
    ids.push_back(in.id);
  }
  Req fourth;
  fourth.via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-t3";
  auto refused = h.request(fourth.build(), phone("192.0.2.99"));
  EXPECT_EQ(refused.disposition, Disposition::kOverloaded);
  EXPECT_EQ(refused.id, 0u);
  EXPECT_EQ(h.layer.counters().overloaded, 1u);
  EXPECT_EQ(h.layer.size(), 3u);
  // A retransmission of a known request is still absorbed.
  Req first;
  first.via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-t0";
  EXPECT_EQ(h.request(first.build(), phone("192.0.2.10")).disposition,
            Disposition::kRetransmission);
  // Room again once one has sent its final response: a completed non-INVITE transaction only
  // waits for retransmissions and counts against neither bound.
  h.layer.respond(ids[0], 200, "SIP/2.0 200 OK\r\n\r\n");
  EXPECT_EQ(h.layer.size(), 3u);
  EXPECT_EQ(h.layer.active_server_size(), 2u);
  auto admitted = h.request(fourth.build(), phone("192.0.2.99"));
  EXPECT_EQ(admitted.disposition, Disposition::kNew);
  Req fifth;
  fifth.via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-t4";
  EXPECT_EQ(h.request(fifth.build(), phone("192.0.2.98")).disposition, Disposition::kOverloaded);
  // The completed one still absorbs its retransmission, with the same response.
  EXPECT_EQ(h.request(first.build(), phone("192.0.2.10")).disposition,
            Disposition::kRetransmission);
  // After 64*T1, Timer J has ended the completed one and the guard the three never answered.
  h.run_until(32000ms);
  EXPECT_EQ(h.layer.size(), 0u);
  EXPECT_EQ(h.layer.counters().abandoned, 3u);
}

TEST(Limits, CompletedTransactionsAreBoundedOldestForgottenFirst) {
  Limits limits;
  limits.max_completed = 2;
  Harness h(limits);
  auto req = [](int n) {
    Req r;
    r.via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-c" + std::to_string(n);
    return r.build();
  };
  for (int i = 0; i < 3; ++i) {
    auto in = h.request(req(i), phone("192.0.2.10"));
    ASSERT_EQ(in.disposition, Disposition::kNew);
    ASSERT_TRUE(h.layer.respond(in.id, 401, "SIP/2.0 401 Unauthorized\r\n\r\n"));
  }
  EXPECT_EQ(h.layer.size(), 2u);
  EXPECT_EQ(h.layer.counters().completed_forgotten, 1u);
  // The oldest is forgotten: its retransmission is a new request; the others are absorbed.
  EXPECT_EQ(h.request(req(2), phone("192.0.2.10")).disposition, Disposition::kRetransmission);
  EXPECT_EQ(h.request(req(1), phone("192.0.2.10")).disposition, Disposition::kRetransmission);
  EXPECT_EQ(h.request(req(0), phone("192.0.2.10")).disposition, Disposition::kNew);
  // Everything leaves the table in the end.
  h.run_until(64000ms);
  EXPECT_EQ(h.layer.size(), 0u);
  EXPECT_EQ(h.layer.active_server_size(), 0u);
}

TEST(Limits, PerSourceBoundCountsTheIpAddressWhateverThePort) {
  Limits limits;
  limits.max_per_source = 2;
  Harness h(limits);
  auto req = [](int n) {
    Req r;
    r.via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-s" + std::to_string(n);
    return r.build();
  };
  EXPECT_EQ(h.request(req(1), phone("192.0.2.10", 5060)).disposition, Disposition::kNew);
  auto second = h.request(req(2), endpoint("tcp:192.0.2.10:5070", 4));
  EXPECT_EQ(second.disposition, Disposition::kNew);
  EXPECT_EQ(h.request(req(3), phone("192.0.2.10", 5080)).disposition, Disposition::kOverloaded);
  EXPECT_EQ(h.request(req(3), endpoint("tcp:192.0.2.10:5099", 3)).disposition,
            Disposition::kOverloaded);
  // Another address is not affected.
  EXPECT_EQ(h.request(req(4), phone("192.0.2.11")).disposition, Disposition::kNew);
  EXPECT_EQ(h.request(req(5), endpoint("udp:[2001:db8::10]:5060")).disposition, Disposition::kNew);
  EXPECT_EQ(h.layer.counters().overloaded, 2u);
  // When one of the source's transactions ends (over TCP, at its final response), the
  // source may start another.
  EXPECT_EQ(h.request(req(3), phone("192.0.2.10", 5080)).disposition, Disposition::kOverloaded);
  h.layer.respond(second.id, 403, "SIP/2.0 403 Forbidden\r\n\r\n");
  EXPECT_EQ(h.request(req(3), phone("192.0.2.10", 5080)).disposition, Disposition::kNew);
}

TEST(Limits, Ipv6SourcesCountByPrefix) {
  Limits limits;
  limits.max_per_source = 2;
  Harness h(limits);
  auto req = [](int n) {
    Req r;
    r.via = "SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK-v6-" + std::to_string(n);
    return r.build();
  };
  // Three addresses of one /64: one source.
  EXPECT_EQ(h.request(req(1), endpoint("udp:[2001:db8:0:1::1]:5060")).disposition,
            Disposition::kNew);
  EXPECT_EQ(h.request(req(2), endpoint("udp:[2001:db8:0:1::2]:5060")).disposition,
            Disposition::kNew);
  EXPECT_EQ(h.request(req(3), endpoint("udp:[2001:db8:0:1:ffff::3]:5060")).disposition,
            Disposition::kOverloaded);
  // The next /64 is another source.
  EXPECT_EQ(h.request(req(4), endpoint("udp:[2001:db8:0:2::1]:5060")).disposition,
            Disposition::kNew);

  limits.ipv6_source_prefix = 128;
  Harness per_address(limits);
  EXPECT_EQ(per_address.request(req(1), endpoint("udp:[2001:db8:0:1::1]:5060")).disposition,
            Disposition::kNew);
  EXPECT_EQ(per_address.request(req(2), endpoint("udp:[2001:db8:0:1::1]:5070")).disposition,
            Disposition::kNew);
  EXPECT_EQ(per_address.request(req(3), endpoint("udp:[2001:db8:0:1::1]:5080")).disposition,
            Disposition::kOverloaded);
  EXPECT_EQ(per_address.request(req(4), endpoint("udp:[2001:db8:0:1::2]:5060")).disposition,
            Disposition::kNew);

  limits.ipv6_source_prefix = 60;  // a prefix that cuts a byte in two
  Harness per_60(limits);
  EXPECT_EQ(per_60.request(req(1), endpoint("udp:[2001:db8:0:10::1]:5060")).disposition,
            Disposition::kNew);
  EXPECT_EQ(per_60.request(req(2), endpoint("udp:[2001:db8:0:1f::1]:5060")).disposition,
            Disposition::kNew);
  EXPECT_EQ(per_60.request(req(3), endpoint("udp:[2001:db8:0:1e::1]:5060")).disposition,
            Disposition::kOverloaded);
  EXPECT_EQ(per_60.request(req(4), endpoint("udp:[2001:db8:0:20::1]:5060")).disposition,
            Disposition::kNew);
}

TEST(Limits, ClientBoundAndDuplicateBranchRefuseWithoutCallingTheHandler) {
  Limits limits;
  limits.max_client = 1;
  Harness h(limits);
  Req a = invite_req();
  a.via = "SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bK-c1";
  h.send(a, kPeerUdp);
  int calls = 0;
  auto handler = [&](const sip::Message*) { ++calls; };
  EXPECT_FALSE(h.layer
                   .send_request(sip::Method::kOptions, "z9hG4bK-c2", "OPTIONS sip:x SIP/2.0\r\n",
                                 kPeerUdp, handler)
                   .has_value());
  EXPECT_EQ(h.layer.counters().overloaded, 1u);

  Harness roomy;
  roomy.send(a, kPeerUdp);
  EXPECT_FALSE(
      roomy.layer.send_request(sip::Method::kInvite, "z9hG4bK-c1", a.build(), kPeerUdp, handler)
          .has_value())
      << "same branch and method";
  EXPECT_FALSE(roomy.layer
                   .send_request(sip::Method::kAck, "z9hG4bK-c3", "ACK sip:x SIP/2.0\r\n\r\n",
                                 kPeerUdp, handler)
                   .has_value())
      << "an ACK is not a transaction";
  roomy.run_until(60000ms);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(roomy.sender.sent.size(), 7u) << "only the first INVITE and its retransmissions";
}

TEST(Lifecycle, EveryKindOfTransactionLeavesTheTable) {
  Harness h;
  // Server non-INVITE, server INVITE answered 2xx, server INVITE answered 486 and ACKed,
  // client non-INVITE answered, client INVITE answered 486, client INVITE timed out.
  Req reg;
  auto reg_id = h.request(reg.build(), kPhoneUdp).id;
  h.layer.respond(reg_id, 200, reg.response(200, "OK", "a"));
  Req inv = invite_req();
  auto inv_id = h.request(inv.build(), kPhoneUdp).id;
  h.layer.respond(inv_id, 200, inv.response(200, "OK", "b"));
  Req inv2 = invite_req();
  inv2.via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-inv-8";
  auto inv2_id = h.request(inv2.build(), kPhoneUdp).id;
  h.layer.respond(inv2_id, 486, inv2.response(486, "Busy Here", "c"));
  Req ack2 = inv2;
  ack2.method = "ACK";
  ack2.to += ";tag=c";
  h.request(ack2.build(), kPhoneUdp);

  Req opt;
  opt.method = "OPTIONS";
  opt.via = "SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bK-o1";
  h.send(opt, kPeerUdp);
  h.response(opt.response(200, "OK", "d"), kPeerUdp);
  Req out = invite_req();
  out.via = "SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bK-o2";
  h.send(out, kPeerUdp);
  h.response(out.response(486, "Busy Here", "e"), kPeerUdp);
  Req lost = invite_req();
  lost.via = "SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bK-o3";
  h.send(lost, kPeerUdp);

  EXPECT_EQ(h.layer.size(), 5u);
  h.run_until(64000ms);
  EXPECT_EQ(h.layer.size(), 0u);
  EXPECT_EQ(h.layer.server_size(), 0u);
  EXPECT_EQ(h.layer.client_size(), 0u);
  EXPECT_EQ(h.layer.pending_timers(), 0u);
  EXPECT_FALSE(h.layer.next_deadline().has_value());
  EXPECT_EQ(h.layer.counters().server_created, 3u);
  EXPECT_EQ(h.layer.counters().client_created, 3u);
}

// RFC 3261 §8.2.7: the answer to a request nobody authenticated (a 407 to an INVITE) goes out
// once and leaves nothing behind: no Timer G, no Timer H, no slot counted against the source.
TEST(Stateless, AFinalAnswerIsSentOnceAndNothingIsKept) {
  Limits limits;
  limits.max_per_source = 1;
  Harness h(limits);
  Req inv = invite_req();
  auto first = h.request(inv.build(), kPhoneUdp);
  ASSERT_EQ(first.disposition, Disposition::kNew);
  EXPECT_FALSE(h.layer.respond_statelessly(first.id, 200, inv.response(200, "OK", "a")));
  EXPECT_TRUE(h.layer.respond_statelessly(first.id, 407, inv.response(407, "Proxy Auth", "a")));
  EXPECT_EQ(h.layer.size(), 0u);
  EXPECT_EQ(h.layer.pending_timers(), 0u);
  h.run_until(64000ms);
  EXPECT_EQ(h.count_of("SIP/2.0 407"), 1u);  // never retransmitted
  ASSERT_EQ(h.sender.sent.size(), 1u);
  EXPECT_EQ(h.sender.sent[0].to, kPhoneUdp);

  // Its ACK matches nothing; the INVITE again is a new request (the phone lost the 407).
  Req ack = inv;
  ack.method = "ACK";
  ack.to += ";tag=a";
  EXPECT_EQ(h.request(ack.build(), kPhoneUdp).disposition, Disposition::kAckWithoutTransaction);
  auto again = h.request(inv.build(), kPhoneUdp);
  ASSERT_EQ(again.disposition, Disposition::kNew);  // the per-source slot was given back
  EXPECT_FALSE(h.layer.respond_statelessly(again.id + 1, 407, "x"));
  h.layer.forget(again.id);
  EXPECT_EQ(h.layer.size(), 0u);
  EXPECT_EQ(h.sender.sent.size(), 1u);  // forget() sends nothing
  EXPECT_FALSE(h.layer.respond(again.id, 407, inv.response(407, "Proxy Auth", "b")));

  // A non-INVITE may be answered 2xx statelessly; a transaction that already answered may not.
  Req reg;
  auto reg_id = h.request(reg.build(), kPhoneUdp).id;
  EXPECT_TRUE(h.layer.respond_statelessly(reg_id, 401, reg.response(401, "Unauthorized", "c")));
  auto stateful = h.request(reg.build(), kPhoneUdp).id;
  EXPECT_TRUE(h.layer.respond(stateful, 200, reg.response(200, "OK", "d")));
  EXPECT_FALSE(h.layer.respond_statelessly(stateful, 500, reg.response(500, "Error", "d")));
  h.layer.forget(stateful);  // completed: not the TU's to forget
  EXPECT_EQ(h.layer.server_size(), 1u);
  EXPECT_EQ(h.layer.counters().stateless, 3u);
}

TEST(Lifecycle, ManyTransactionsComeAndGoWithoutLeaking) {
  Harness h;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 400; ++i) {
      Req r;
      r.via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-m" + std::to_string(round) + "-" +
              std::to_string(i);
      auto in = h.request(r.build(), phone("192.0.2." + std::to_string(1 + i % 200)));
      ASSERT_EQ(in.disposition, Disposition::kNew);
      h.layer.respond(in.id, 200, r.response(200, "OK", "z"));
    }
    EXPECT_EQ(h.layer.size(), 400u);
    h.run_until(h.now() + 32000ms);
    EXPECT_EQ(h.layer.size(), 0u);
    EXPECT_EQ(h.layer.pending_timers(), 0u);
  }
}

TEST(Sender, PlainSendIsEnoughWhenTransportErrorsAreNotReported) {
  struct PlainSender final : Sender {
    void send(const Endpoint&, std::string_view bytes) override { sent.emplace_back(bytes); }
    std::vector<std::string> sent;
  };
  ManualClock clock;
  PlainSender sender;
  TransactionLayer layer(clock, sender);
  Req reg;
  std::string bytes = reg.build();
  auto parsed = sip::parse_datagram(bytes);
  ASSERT_TRUE(parsed.has_value());
  auto in = layer.on_request(*parsed, kPhoneUdp, kPhoneUdp);
  EXPECT_TRUE(layer.respond(in.id, 200, "SIP/2.0 200 OK\r\n\r\n"));
  EXPECT_EQ(layer.on_request(*parsed, kPhoneUdp, kPhoneUdp).disposition,
            Disposition::kRetransmission);
  EXPECT_EQ(sender.sent, (std::vector<std::string>(2, "SIP/2.0 200 OK\r\n\r\n")));
  EXPECT_EQ(layer.counters().transport_errors, 0u);
}

TEST(Reentrancy, HandlerMayStartTransactionsAndRespond) {
  Harness h;
  Req in = invite_req();
  auto server_id = h.request(in.build(), kPhoneUdp).id;
  Req out = invite_req();
  out.via = "SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bK-leg-b";
  int finals = 0;
  auto id = h.layer.send_request(
      sip::Method::kInvite, "z9hG4bK-leg-b", out.build(), kPeerUdp, [&](const sip::Message* r) {
        if (r == nullptr || r->status < 200) return;
        ++finals;
        // A B2BUA relays the final to the other leg and starts a new request from inside.
        h.layer.respond(server_id, r->status, in.response(r->status, "Busy Here", "a"));
        for (int i = 0; i < 50; ++i) {
          h.layer.send_request(sip::Method::kOptions, "z9hG4bK-inner-" + std::to_string(i),
                               "OPTIONS sip:x SIP/2.0\r\n\r\n", kPeerUdp, nullptr);
        }
      });
  ASSERT_TRUE(id.has_value());
  EXPECT_TRUE(h.response(out.response(486, "Busy Here", "b"), kPeerUdp));
  EXPECT_TRUE(h.response(out.response(486, "Busy Here", "b"), kPeerUdp));
  EXPECT_EQ(finals, 1);
  EXPECT_EQ(h.layer.client_size(), 51u);
  EXPECT_EQ(h.count_of("SIP/2.0 486"), 1u);
  h.run_until(40000ms);
  EXPECT_EQ(h.layer.size(), 0u);
}

}  // namespace
}  // namespace hardline::txn::test
