#include "sip/response.h"

#include <gtest/gtest.h>

#include "sip/parser.h"
#include "support/sip_messages.h"

namespace hardline::sip {
namespace {

TEST(Response, CopiesViaFromToCallIdCSeqAndAddsTag) {
  const std::string bytes = test::sip_message({
      "REGISTER sip:example.com SIP/2.0",
      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK0",
      "v: SIP/2.0/TCP 10.0.0.2;branch=z9hG4bKx",
      "From: <sip:201@example.com>;tag=a1",
      "To: <sip:201@example.com>",
      "Call-ID: c1@192.0.2.10",
      "CSeq: 7 REGISTER",
      "Content-Length: 0",
  });
  auto request = parse_datagram(bytes);
  ASSERT_TRUE(request) << request.error().reason;
  const std::string response =
      build_response(basis_of(*request), 401, "Unauthorized", "", "t9",
                     {{"WWW-Authenticate", "Digest realm=\"example.com\""}});
  EXPECT_EQ(response,
            "SIP/2.0 401 Unauthorized\r\n"
            "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1\r\n"
            "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK0\r\n"
            "Via: SIP/2.0/TCP 10.0.0.2;branch=z9hG4bKx\r\n"
            "From: <sip:201@example.com>;tag=a1\r\n"
            "To: <sip:201@example.com>;tag=t9\r\n"
            "Call-ID: c1@192.0.2.10\r\n"
            "CSeq: 7 REGISTER\r\n"
            "WWW-Authenticate: Digest realm=\"example.com\"\r\n"
            "Content-Length: 0\r\n\r\n");
  // The response parses, and a 100 or a To that already has a tag gets no new tag.
  auto parsed = parse_datagram(response);
  ASSERT_TRUE(parsed) << parsed.error().reason;
  EXPECT_EQ(parsed->status, 401);
  EXPECT_EQ(build_response(basis_of(*request), 100, "Trying", "", "t9", {}).find("tag=t9"),
            std::string::npos);
}

TEST(Response, StampsReceivedAndRport) {
  const Endpoint source = *parse_endpoint_spec("udp:198.51.100.7:40000");
  struct Case {
    const char* via;
    const char* stamped;
  };
  const Case cases[] = {
      // sent-by is the source and no rport: unchanged
      {"SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK1",
       "SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK1"},
      // a private address behind NAT: received added
      {"SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1",
       "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;received=198.51.100.7"},
      // rport asked for: filled in, with received (RFC 3581 §4)
      {"SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bK1",
       "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;received=198.51.100.7;rport=40000"},
      // a forged received is replaced, not echoed
      {"SIP/2.0/UDP host.example;received=192.0.2.99;branch=z9hG4bK1",
       "SIP/2.0/UDP host.example;branch=z9hG4bK1;received=198.51.100.7"},
  };
  for (const Case& c : cases) {
    auto via = parse_via(c.via);
    ASSERT_TRUE(via) << c.via;
    EXPECT_EQ(stamp_top_via(*via, source), c.stamped);
  }
}

TEST(Response, SalvagesWhatA400Needs) {
  // Bad Content-Length: the parser refuses it, the response lines are still there.
  const std::string bad = test::sip_message({
      "OPTIONS sip:example.com SIP/2.0",
      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKab",
      "f: <sip:a@example.com>;tag=1",
      "t: <sip:b@example.com>",
      "i: abc",
      "CSeq: 1 OPTIONS",
      "Content-Length: banana",
  });
  ASSERT_FALSE(parse_datagram(bad));
  auto basis = salvage_basis(bad);
  ASSERT_TRUE(basis);
  EXPECT_EQ(basis->vias.size(), 1u);
  EXPECT_EQ(basis->from, "<sip:a@example.com>;tag=1");
  EXPECT_EQ(basis->call_id, "abc");
  EXPECT_FALSE(basis->to_has_tag);

  const std::string cases[] = {
      // a response is never answered
      test::sip_message({"SIP/2.0 200 OK", "Via: SIP/2.0/UDP h;branch=z9hG4bK1", "From: <sip:a@b>",
                         "To: <sip:a@b>", "Call-ID: x", "CSeq: 1 INVITE"}),
      // no Call-ID
      test::sip_message({"OPTIONS sip:b SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bK1",
                         "From: <sip:a@b>", "To: <sip:a@b>", "CSeq: 1 OPTIONS"}),
      // a top Via that does not parse: nowhere safe to answer
      test::sip_message({"OPTIONS sip:b SIP/2.0", "Via: garbage", "From: <sip:a@b>",
                         "To: <sip:a@b>", "Call-ID: x", "CSeq: 1 OPTIONS"}),
      // a control character in a value
      test::sip_message({"OPTIONS sip:b SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bK1",
                         std::string("From: <sip:a@b>\x01"), "To: <sip:a@b>", "Call-ID: x",
                         "CSeq: 1 OPTIONS"}),
      "",
  };
  for (const std::string& c : cases) EXPECT_FALSE(salvage_basis(c)) << c;
}

// Why nothing could be salvaged: `hardline sip check` prints it for every message the server
// drops, so each reason must name the part that failed.
TEST(Response, SalvageSaysWhyNot) {
  struct Case {
    std::string bytes;
    std::string_view what;
  };
  const Case cases[] = {
      {"", "nothing but line endings"},
      {"\r\n\r\n", "nothing but line endings"},
      {"OPTIONS sip:b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:a@b>\n"
       "To: <sip:a@b>\nCall-ID: x\nCSeq: 1 OPTIONS\n\n",
       "no CRLF line ending"},
      {"OPTIONS sip:b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>\r\n"
       "To: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n",
       "a bare CR or LF: the lines cannot be told apart"},
      {test::sip_message({"SIP/2.0 200 OK", "Via: SIP/2.0/UDP h;branch=z9hG4bK1"}),
       "a response is never answered"},
      {test::sip_message({"GARBAGE", "Via: SIP/2.0/UDP h;branch=z9hG4bK1"}), "no request line"},
      {test::sip_message({"OPTIONS sip:b SIP/2.0", "From: <sip:a@b>", "To: <sip:a@b>", "Call-ID: x",
                          "CSeq: 1 OPTIONS"}),
       "no usable Via"},
      {test::sip_message({"OPTIONS sip:b SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bK1",
                          "To: <sip:a@b>", "Call-ID: x", "CSeq: 1 OPTIONS"}),
       "no usable From"},
      {test::sip_message({"OPTIONS sip:b SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bK1",
                          "From: <sip:a@b>", "Call-ID: x", "CSeq: 1 OPTIONS"}),
       "no usable To"},
      {test::sip_message({"OPTIONS sip:b SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bK1",
                          "From: <sip:a@b>", "To: <sip:a@b>", "CSeq: 1 OPTIONS"}),
       "no usable Call-ID"},
      {test::sip_message({"OPTIONS sip:b SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bK1",
                          "From: <sip:a@b>", "To: <sip:a@b>", "Call-ID: x"}),
       "no usable CSeq"},
      {test::sip_message({"OPTIONS sip:b SIP/2.0", "Via: nonsense", "From: <sip:a@b>",
                          "To: <sip:a@b>", "Call-ID: x", "CSeq: 1 OPTIONS"}),
       "a Via that does not parse"},
      {test::sip_message({"OPTIONS sip:b SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bK1",
                          "From: <sip:a@b>", "To: <sip:a@[2001:db8::zz]>", "Call-ID: x",
                          "CSeq: 1 OPTIONS"}),
       "a To that does not parse"},
      {test::sip_message({"OPTIONS sip:b SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bK1",
                          "From: <sip:a@b", "To: <sip:a@b>", "Call-ID: x", "CSeq: 1 OPTIONS"}),
       "a From that does not parse"},
      {test::sip_message({"OPTIONS sip:b SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bK1",
                          "From: <sip:a@b>", "To: <sip:a@b>", "Call-ID: x y", "CSeq: 1 OPTIONS"}),
       "a Call-ID that does not parse"},
      {test::sip_message({"OPTIONS sip:b SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bK1",
                          "From: <sip:a@b>", "To: <sip:a@b>", "Call-ID: x", "CSeq: one OPTIONS"}),
       "a CSeq that does not parse"},
      {"OPTIONS sip:b SIP/2.0\r\n" + std::string(5000, 'x') + "\r\n\r\n",
       "a line longer than the line limit"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.bytes.substr(0, 60));
    auto basis = salvage_basis(c.bytes);
    ASSERT_FALSE(basis);
    EXPECT_EQ(basis.error().what, c.what);
  }
}

TEST(Response, DefaultReasons) {
  EXPECT_EQ(default_reason(423), "Interval Too Brief");
  EXPECT_EQ(default_reason(599), "Unknown");
}

}  // namespace
}  // namespace hardline::sip
