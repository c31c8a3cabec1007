// What crosses between legs: the header whitelist, caller identity (RT-6), the hop count (RT-1),
// the mapping of failures, and the default router.

#include "call/headers.h"

#include <gtest/gtest.h>

#include <string>

#include "call/router.h"
#include "sip/name_addr.h"
#include "sip/parser.h"

namespace hardline::call {
namespace {

std::string request_with(const std::string& extra) {
  return "INVITE sip:1001@pbx.example SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-1\r\n"
         "Max-Forwards: 70\r\nFrom: <sip:1000@pbx.example>;tag=a\r\n"
         "To: <sip:1001@pbx.example>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n" +
         extra + "Content-Length: 0\r\n\r\n";
}

TEST(HeaderWhitelistTest, OnlyTheBodysDescriptionAndWhatThePeerAcceptsCross) {
  const std::string text = request_with(
      "Contact: <sip:1000@198.51.100.7>\r\n"
      "Record-Route: <sip:10.0.0.1;lr>\r\nRoute: <sip:10.0.0.2;lr>\r\n"
      "P-Asserted-Identity: <sip:boss@pbx.example>\r\nRemote-Party-ID: <sip:boss@x>\r\n"
      "User-Agent: Phone/1\r\nServer: Phone/1\r\nSupported: 100rel, timer\r\n"
      "Allow: INVITE, REFER\r\nX-Hardline-Hops: 2\r\nX-Anything: secret\r\n"
      "Authorization: Digest username=\"1000\"\r\n"
      "Content-Type: application/sdp\r\nContent-Disposition: session\r\n"
      "Content-Language: en\r\nAccept: application/sdp\r\nAccept-Language: de\r\n"
      "Accept-Encoding: identity\r\nSubject: hello\r\nPriority: urgent\r\n"
      "s: compact subject\r\n");
  auto parsed = sip::parse_datagram(text);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().reason;
  std::string out;
  append_forwarded_headers(*parsed, out);
  EXPECT_EQ(out,
            "Content-Type: application/sdp\r\nContent-Disposition: session\r\n"
            "Content-Language: en\r\nAccept: application/sdp\r\nAccept-Language: de\r\n"
            "Accept-Encoding: identity\r\n");
  // Subject and Priority are the caller's words for the callee's phone (issue 12, item 11).
  for (const char* name : {"Subject", "s", "Priority", "priority"}) {
    EXPECT_FALSE(is_forwarded_header(sip::Header{sip::lookup_header(name), name, "x", {}})) << name;
  }
}

TEST(HeaderWhitelistTest, TheSdpPassesUnchangedForNow) {
  EXPECT_EQ(rewrite_sdp_for_leg("v=0\r\n", "application/sdp", Side::kCallee, 1), "v=0\r\n");
  EXPECT_EQ(rewrite_sdp_for_leg("", "", Side::kCaller, 1), "");
}

sip::NameAddr from(const char* text) {
  auto parsed = sip::parse_name_addr(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(sip::NameAddr{});
}

TEST(CallerIdentityTest, TheAccountDecidesNeverTheFrom) {
  struct Case {
    std::optional<std::string_view> account;
    std::string_view display;
    const char* from;
    std::string expected;
  };
  const Case kCases[] = {
      {"1000", "Alice", "\"Bank\" <sip:+18005550100@bank.example>",
       "\"Alice\" <sip:1000@pbx.example>"},
      {"1000", "", "\"Bank\" <sip:+18005550100@bank.example>", "<sip:1000@pbx.example>"},
      {"1000", "Al \"the\" \\ Boss", "<sip:1000@pbx.example>",
       "\"Al \\\"the\\\" \\\\ Boss\" <sip:1000@pbx.example>"},
      {"1000", "Line\r\nInjected: yes", "<sip:x@y>",
       "\"LineInjected: yes\" <sip:1000@pbx.example>"},
      // Without an account (a trusted source): a plain number is kept, anything else is
      // anonymous.
      {std::nullopt, "", "\"Bank\" <sip:+4930123456@trunk.example>",
       "<sip:+4930123456@pbx.example>"},
      {std::nullopt, "", "<sip:0301234ABCD@trunk.example>", "<sip:0301234ABCD@pbx.example>"},
      {std::nullopt, "", "<sip:alice@trunk.example>",
       "\"Anonymous\" <sip:anonymous@anonymous.invalid>"},
      {std::nullopt, "", "<sip:%2B49@trunk.example>", "<sip:+49@pbx.example>"},
      {std::nullopt, "", "<sip:123456789012345678901234567890123@t>",
       "\"Anonymous\" <sip:anonymous@anonymous.invalid>"},
      {std::nullopt, "", "<tel:+4930123>", "\"Anonymous\" <sip:anonymous@anonymous.invalid>"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.from);
    EXPECT_EQ(caller_identity(c.account, c.display, from(c.from), "pbx.example"), c.expected);
  }
}

TEST(CallerIdentityTest, DisplayNamesAreSanitizedBeforeQuoting) {
  // One sanitizer for every name (common/display_name.h): bidi overrides and zero-width
  // characters never reach a phone, whoever chose the name.
  EXPECT_EQ(quote_display_name("Coll\xe2\x80\xae"
                               "eague\xe2\x80\x8b"),
            "\"Colleague\"");
  EXPECT_EQ(quote_display_name("\xe2\x80\x8b \xe2\x81\xa6"), "");
  EXPECT_EQ(caller_identity("1000",
                            "Al\xc2\xad"
                            "ice",
                            from("<sip:1000@pbx.example>"), "pbx.example"),
            "\"Alice\" <sip:1000@pbx.example>");
}

TEST(CallerIdentityTest, DisplayNamesAreBounded) {
  const std::string quoted = quote_display_name(std::string(200, 'a'));
  EXPECT_EQ(quoted, "\"" + std::string(64, 'a') + "\"");
  EXPECT_EQ(quote_display_name(""), "");
}

TEST(CallerIdentityTest, PlainNumbers) {
  for (const char* yes : {"1", "+1", "+4930123456", "0ABCD"}) {
    EXPECT_TRUE(is_plain_number(yes)) << yes;
  }
  EXPECT_TRUE(is_plain_number(std::string(32, '9')));
  for (const char* no : {"", "+", "++1", "12a", "1 2", "E1", "alice"}) {
    EXPECT_FALSE(is_plain_number(no)) << no;
  }
  EXPECT_FALSE(is_plain_number(std::string(33, '9')));
}

TEST(LoopTest, HopCountIsReadOnlyFromOurHeader) {
  struct Case {
    const char* extra;
    uint32_t expected;
  };
  const Case kCases[] = {
      {"", 0},
      {"X-Hardline-Hops: 3\r\n", 3},
      {"x-hardline-hops:  7 \r\n", 7},
      {"X-Hardline-Hops: 999\r\n", 999},
      {"X-Hardline-Hops: 1000\r\n", 0},
      {"X-Hardline-Hops: -1\r\n", 0},
      {"X-Hardline-Hops: lots\r\n", 0},
      {"X-Other-Hops: 9\r\n", 0},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.extra);
    const std::string text = request_with(c.extra);
    auto parsed = sip::parse_datagram(text);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(hop_count(*parsed), c.expected);
  }
}

TEST(FailureMappingTest, WhatTheCallerIsTold) {
  const std::pair<uint16_t, uint16_t> kCases[] = {
      {404, 404}, {408, 408}, {480, 480}, {486, 486}, {487, 487}, {488, 488}, {403, 403},
      {600, 600}, {603, 603}, {606, 606}, {300, 480}, {302, 480}, {401, 480}, {407, 480},
      {420, 480}, {481, 480}, {482, 482}, {483, 483}, {500, 502}, {503, 502}, {504, 502},
  };
  for (const auto& [in, out] : kCases) EXPECT_EQ(map_failure(in), out) << in;
  EXPECT_TRUE(better_failure(486, 0));
  EXPECT_TRUE(better_failure(600, 486));
  EXPECT_TRUE(better_failure(486, 404));
  EXPECT_TRUE(better_failure(404, 503));
  EXPECT_TRUE(better_failure(503, 408));
  EXPECT_FALSE(better_failure(408, 503));
  EXPECT_FALSE(better_failure(404, 486));
}

TEST(LocalRouterTest, OnlyAuthenticatedCallersReachLocalAccounts) {
  LocalRouter router([](std::string_view extension) -> Result<bool> {
    if (extension == "broken") return fail("store down");
    return extension == "1001";
  });
  struct Case {
    std::string_view dialled;
    std::optional<std::string_view> caller;
    RouteDecision::Kind kind;
    uint16_t status;
  };
  const Case kCases[] = {
      {"1001", "1000", RouteDecision::Kind::kLocal, 0},
      {"1002", "1000", RouteDecision::Kind::kReject, 404},
      {"+4930123", "1000", RouteDecision::Kind::kReject, 404},
      {"1001", std::nullopt, RouteDecision::Kind::kReject, 403},
      {"broken", "1000", RouteDecision::Kind::kReject, 500},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.dialled);
    RouteRequest request{c.dialled, c.caller, Endpoint{}, Protocol::kUdp, {}, {}};
    const RouteDecision decision = router.route(request);
    EXPECT_EQ(decision.kind, c.kind);
    if (c.kind == RouteDecision::Kind::kLocal) {
      EXPECT_EQ(decision.account, c.dialled);
    } else {
      EXPECT_EQ(decision.status, c.status);
    }
  }
  EXPECT_FALSE(router.trusted_source(Endpoint{}));
}

}  // namespace
}  // namespace hardline::call
