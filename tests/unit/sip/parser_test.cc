// The message parser: start lines, header framing, typed values, limits and the answer each
// malformed message gets. Written from RFC 3261 §7, §8.1.1, §18.3, §20 and §25.

#include "sip/parser.h"

#include <gtest/gtest.h>

#include <string>

#include "support/sip_messages.h"

using namespace hardline::sip;
using hardline::test::request;
using hardline::test::sip_message;

namespace {

constexpr int kValid = -1;

struct Row {
  std::string name;
  std::string bytes;
  int answer;  // kValid, 0 for a silent drop, else the status
  ParseErrorCode code = ParseErrorCode::kCount;
};

void expect_rows(const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    auto parsed = parse_datagram(row.bytes);
    if (row.answer == kValid) {
      EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : parsed.error().reason);
      continue;
    }
    ASSERT_FALSE(parsed.has_value());
    EXPECT_EQ(parsed.error().status, row.answer) << parsed.error().reason;
    if (row.code != ParseErrorCode::kCount) {
      EXPECT_EQ(error_code_name(parsed.error().code), error_code_name(row.code))
          << parsed.error().reason;
    }
  }
}

const std::string kResponseHeaders =
    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nFrom: <sip:a@example.com>;tag=1\r\n"
    "To: <sip:b@example.com>;tag=2\r\nCall-ID: x@y\r\nCSeq: 1 INVITE\r\n";

std::string response(std::string_view status_line, std::string_view extra = {}) {
  return std::string(status_line) + "\r\n" + kResponseHeaders + std::string(extra) + "\r\n";
}

}  // namespace

TEST(ParserRequestLine, Table) {
  expect_rows({
      {"plain INVITE", request("INVITE sip:bob@example.com SIP/2.0", {"CSeq: 1 INVITE"}), kValid},
      {"extension method", request("FOO-BAR.1 sip:bob@example.com SIP/2.0", {"CSeq: 1 FOO-BAR.1"}),
       kValid},
      {"lower-case version literal",
       request("INVITE sip:bob@example.com sip/2.0", {"CSeq: 1 INVITE"}), kValid},
      {"sips and tel Request-URIs",
       request("INVITE sips:bob@example.com:5061;transport=tcp SIP/2.0", {"CSeq: 1 INVITE"}),
       kValid},
      {"tel URI", request("INVITE tel:+1-201-555-0123 SIP/2.0", {"CSeq: 1 INVITE"}), kValid},
      {"unknown scheme is for the server (416), not the parser",
       request("OPTIONS mailto:bob@example.com SIP/2.0", {"CSeq: 1 OPTIONS"}), kValid},
      {"version 3.0", request("INVITE sip:bob@example.com SIP/3.0", {"CSeq: 1 INVITE"}), 505,
       ParseErrorCode::kBadVersion},
      {"version 2.1", request("INVITE sip:bob@example.com SIP/2.1", {"CSeq: 1 INVITE"}), 505,
       ParseErrorCode::kBadVersion},
      {"HTTP version", request("INVITE sip:bob@example.com HTTP/1.1", {"CSeq: 1 INVITE"}), 400,
       ParseErrorCode::kBadStartLine},
      {"no version", request("INVITE sip:bob@example.com", {"CSeq: 1 INVITE"}), 400,
       ParseErrorCode::kBadStartLine},
      {"double space", request("INVITE  sip:bob@example.com SIP/2.0", {"CSeq: 1 INVITE"}), 400,
       ParseErrorCode::kBadRequestUri},
      {"trailing space", request("INVITE sip:bob@example.com SIP/2.0 ", {"CSeq: 1 INVITE"}), 400,
       ParseErrorCode::kBadStartLine},
      {"tab separator", request("INVITE\tsip:bob@example.com SIP/2.0", {"CSeq: 1 INVITE"}), 400},
      {"method not a token", request("INV@TE sip:bob@example.com SIP/2.0", {"CSeq: 1 INV@TE"}), 400,
       ParseErrorCode::kBadStartLine},
      {"Request-URI in <>", request("INVITE <sip:bob@example.com> SIP/2.0", {"CSeq: 1 INVITE"}),
       400, ParseErrorCode::kBadRequestUri},
      {"headers in Request-URI",
       request("INVITE sip:bob@example.com?Subject=hi SIP/2.0", {"CSeq: 1 INVITE"}), 400,
       ParseErrorCode::kBadRequestUri},
      {"bad host", request("INVITE sip:bob@exa_mple.com SIP/2.0", {"CSeq: 1 INVITE"}), 400,
       ParseErrorCode::kBadRequestUri},
      {"bad escape", request("INVITE sip:b%zzob@example.com SIP/2.0", {"CSeq: 1 INVITE"}), 400,
       ParseErrorCode::kBadRequestUri},
      {"Request-URI too long",
       request("INVITE sip:" + std::string(3000, 'a') + "@example.com SIP/2.0", {"CSeq: 1 INVITE"}),
       414, ParseErrorCode::kUriTooLong},
  });
}

TEST(ParserStatusLine, Table) {
  expect_rows({
      {"200 OK", response("SIP/2.0 200 OK"), kValid},
      {"reason with UTF-8 and symbols", response("SIP/2.0 486 Busy = * \xd0\x9f\xd1\x80"), kValid},
      {"empty reason after SP", response("SIP/2.0 100 "), kValid},
      {"lowest and highest codes", response("SIP/2.0 699 x"), kValid},
      {"code 700", response("SIP/2.0 700 Nope"), 0, ParseErrorCode::kBadStatus},
      {"code 099", response("SIP/2.0 099 Nope"), 0, ParseErrorCode::kBadStatus},
      {"four digits", response("SIP/2.0 2000 OK"), 0, ParseErrorCode::kBadStatus},
      {"no reason separator", response("SIP/2.0 200"), 0, ParseErrorCode::kBadStatus},
      {"version 1.0", response("SIP/1.0 200 OK"), 0, ParseErrorCode::kBadVersion},
      {"control character in reason", response("SIP/2.0 200 O\x01K"), 0,
       ParseErrorCode::kBadStatus},
      {"a malformed header in a response is dropped, never answered",
       response("SIP/2.0 200 OK", "Max-Forwards: 256\r\n"), 0, ParseErrorCode::kBadHeaderValue},
      {"a response missing Call-ID is dropped",
       "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n"
       "To: <sip:b@c>\r\nCSeq: 1 INVITE\r\n\r\n",
       0, ParseErrorCode::kMissingHeader},
  });
}

TEST(ParserHeaders, FramingTable) {
  expect_rows({
      {"name with space before colon",
       request("OPTIONS sip:b@example.com SIP/2.0", {"CSeq : 1 OPTIONS"}), kValid},
      {"no colon", request("OPTIONS sip:b@example.com SIP/2.0", {"CSeq: 1 OPTIONS", "Foobar x"}),
       400, ParseErrorCode::kBadHeaderName},
      {"empty name", request("OPTIONS sip:b@example.com SIP/2.0", {"CSeq: 1 OPTIONS", ": x"}), 400,
       ParseErrorCode::kBadHeaderName},
      {"name not a token",
       request("OPTIONS sip:b@example.com SIP/2.0", {"CSeq: 1 OPTIONS", "Fo(o: x"}), 400,
       ParseErrorCode::kBadHeaderName},
      {"bare LF ends a header line",
       "OPTIONS sip:b@example.com SIP/2.0\r\nCSeq: 1 OPTIONS\nVia: SIP/2.0/UDP h\r\n\r\n", 400,
       ParseErrorCode::kBadLineEnding},
      {"bare CR inside a header line",
       request("OPTIONS sip:b@example.com SIP/2.0", {"CSeq: 1 OPTIONS", "X-A: a\rb"}), 400,
       ParseErrorCode::kBadLineEnding},
      {"headers never terminated",
       "OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n", 400,
       ParseErrorCode::kBadLineEnding},
      {"continuation before any header", "OPTIONS sip:b@example.com SIP/2.0\r\n folded\r\n\r\n",
       400, ParseErrorCode::kBadLineEnding},
      {"only CRLFs: a keep-alive, dropped", "\r\n\r\n", 0, ParseErrorCode::kEmpty},
      {"nothing at all", "", 0, ParseErrorCode::kEmpty},
      {"leading CRLFs before the start line are ignored",
       "\r\n\r\n" + request("OPTIONS sip:b@example.com SIP/2.0", {"CSeq: 1 OPTIONS"}), kValid},
  });
}

TEST(ParserHeaders, RequiredAndSingleValued) {
  const std::string start = "OPTIONS sip:b@example.com SIP/2.0";
  expect_rows({
      {"missing CSeq", request(start), 400, ParseErrorCode::kMissingHeader},
      {"missing Via",
       sip_message(
           {start, "From: <sip:a@b>;tag=1", "To: <sip:b@c>", "Call-ID: x", "CSeq: 1 OPTIONS"}),
       400, ParseErrorCode::kMissingHeader},
      {"missing Max-Forwards is accepted (RFC 2543 peers)", request(start, {"CSeq: 1 OPTIONS"}),
       kValid},
      {"two From", request(start, {"CSeq: 1 OPTIONS", "f: <sip:c@d>;tag=2"}), 400,
       ParseErrorCode::kDuplicateHeader},
      {"two To", request(start, {"CSeq: 1 OPTIONS", "t: <sip:c@d>"}), 400,
       ParseErrorCode::kDuplicateHeader},
      {"two Call-ID", request(start, {"CSeq: 1 OPTIONS", "i: other"}), 400,
       ParseErrorCode::kDuplicateHeader},
      {"two CSeq", request(start, {"CSeq: 1 OPTIONS", "CSeq: 2 OPTIONS"}), 400,
       ParseErrorCode::kDuplicateHeader},
      {"two Max-Forwards",
       request(start, {"CSeq: 1 OPTIONS", "Max-Forwards: 1", "Max-Forwards: 2"}), 400,
       ParseErrorCode::kDuplicateHeader},
      {"two Content-Length", request(start, {"CSeq: 1 OPTIONS", "Content-Length: 0", "l: 0"}), 400,
       ParseErrorCode::kDuplicateHeader},
      {"CSeq method differs", request(start, {"CSeq: 1 INVITE"}), 400,
       ParseErrorCode::kCSeqMismatch},
      {"CSeq method differs in case", request(start, {"CSeq: 1 options"}), 400,
       ParseErrorCode::kCSeqMismatch},
      {"unknown method with other CSeq method: 501",
       request("NEWMETHOD sip:b@example.com SIP/2.0", {"CSeq: 1 INVITE"}), 501,
       ParseErrorCode::kCSeqMismatch},
      {"two Via headers and a list are all kept",
       request(start,
               {"CSeq: 1 OPTIONS", "v: SIP/2.0/TCP a.example.com, SIP/2.0/UDP b.example.com"}),
       kValid},
  });
}

TEST(ParserHeaders, KnownHeaderGrammarTable) {
  const std::string start = "REGISTER sip:example.com SIP/2.0";
  auto reg = [&start](std::string_view header) {
    return request(start, {"CSeq: 1 REGISTER", header});
  };
  expect_rows({
      {"Max-Forwards 255", reg("Max-Forwards: 255"), kValid},
      {"Max-Forwards 256", reg("Max-Forwards: 256"), 400, ParseErrorCode::kBadHeaderValue},
      {"Max-Forwards negative", reg("Max-Forwards: -1"), 400, ParseErrorCode::kBadHeaderValue},
      {"Expires 2^32-1", reg("Expires: 4294967295"), kValid},
      {"Expires 2^32", reg("Expires: 4294967296"), 400, ParseErrorCode::kBadHeaderValue},
      {"Content-Length five", reg("Content-Length: five"), 400, ParseErrorCode::kBadContentLength},
      {"Content-Length -1", reg("Content-Length: -1"), 400, ParseErrorCode::kBadContentLength},
      {"Contact star", reg("Contact: *"), kValid},
      {"Contact expires too big", reg("Contact: <sip:a@192.0.2.1>;expires=4294967296"), 400,
       ParseErrorCode::kBadHeaderValue},
      {"Contact q 1.5", reg("Contact: <sip:a@192.0.2.1>;q=1.5"), 400,
       ParseErrorCode::kBadHeaderValue},
      {"Contact empty param", reg("Contact: <sip:a@192.0.2.1>;;"), 400,
       ParseErrorCode::kBadHeaderValue},
      {"Contact list with empty element", reg("m: <sip:a@192.0.2.1>,,<sip:b@192.0.2.1>"), 400,
       ParseErrorCode::kBadHeaderValue},
      {"Route must be in <>", reg("Route: sip:proxy.example.com;lr"), 400,
       ParseErrorCode::kBadHeaderValue},
      {"Route list", reg("Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>"), kValid},
      {"Require empty", reg("Require:"), 400, ParseErrorCode::kBadHeaderValue},
      {"Supported empty is allowed", reg("Supported:"), kValid},
      {"Allow with a non-token", reg("Allow: INVITE, B@D"), 400, ParseErrorCode::kBadHeaderValue},
      {"Content-Type without subtype", reg("Content-Type: application"), 400,
       ParseErrorCode::kBadHeaderValue},
      {"Call-ID with a space", reg("X: y\r\nCall-ID: a b"), 400},
      {"Date not GMT", reg("Date: Fri, 01 Jan 2010 16:00:00 EST"), 400,
       ParseErrorCode::kBadHeaderValue},
      {"Date GMT", reg("Date: Fri, 01 Jan 2010 16:00:00 GMT"), kValid},
      {"Authorization Digest repeated param",
       reg("Authorization: Digest username=\"a\", username=\"b\", realm=\"r\""), 400,
       ParseErrorCode::kBadHeaderValue},
      {"Authorization unknown scheme", reg("Authorization: Foo bar=baz"), kValid},
      {"unknown headers keep any value", reg("X-Weird: ;;,,;;,;"), kValid},
      {"Via with empty params", reg("Via: SIP/2.0/UDP 192.0.2.15;;,;,,"), 400,
       ParseErrorCode::kBadHeaderValue},
      {"Via sent-by IPv6", reg("Via: SIP/2.0/TCP [2001:db8::9]:5061;branch=z9hG4bK9;rport"),
       kValid},
      {"From display name not a token", reg("X: y\r\nFrom: Bell, Alexander <sip:a@b>;tag=1"), 400},
  });
}

TEST(ParserHeaders, CompactFormsMapToTheirHeaders) {
  const std::string bytes = sip_message({
      "INVITE sip:bob@example.com SIP/2.0",
      "v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa",
      "f: <sip:alice@example.com>;tag=9",
      "t: <sip:bob@example.com>",
      "i: compact@example.com",
      "CSeq: 7 INVITE",
      "m: <sip:alice@192.0.2.1>",
      "c: application/sdp",
      "e: gzip",
      "s: hello",
      "k: timer",
      "o: presence",
      "u: talk",
      "r: <sip:carol@example.com>",
      "b: <sip:dave@example.com>",
      "x: 1800",
      "y: abc",
      "a: *;audio",
      "l: 0",
  });
  auto m = parse_datagram(bytes);
  ASSERT_TRUE(m) << m.error().reason;
  const HeaderId expected[] = {
      HeaderId::kVia,
      HeaderId::kFrom,
      HeaderId::kTo,
      HeaderId::kCallId,
      HeaderId::kCSeq,
      HeaderId::kContact,
      HeaderId::kContentType,
      HeaderId::kContentEncoding,
      HeaderId::kSubject,
      HeaderId::kSupported,
      HeaderId::kEvent,
      HeaderId::kAllowEvents,
      HeaderId::kReferTo,
      HeaderId::kReferredBy,
      HeaderId::kSessionExpires,
      HeaderId::kIdentity,
      HeaderId::kAcceptContact,
      HeaderId::kContentLength,
  };
  ASSERT_EQ(m->headers.size(), std::size(expected));
  for (size_t i = 0; i < std::size(expected); ++i) {
    EXPECT_EQ(static_cast<int>(m->headers[i].id), static_cast<int>(expected[i])) << i;
  }
  EXPECT_EQ(m->call_id, "compact@example.com");
  EXPECT_EQ(m->contacts.size(), 1u);
  ASSERT_TRUE(m->content_type);
  EXPECT_EQ(m->content_type->subtype, "sdp");
  ASSERT_EQ(m->supported.size(), 1u);
  EXPECT_EQ(m->supported[0], "timer");
  EXPECT_EQ(m->content_length, 0u);
}

TEST(ParserHeaders, NamesAreCaseInsensitiveAndKeepTheirSpelling) {
  const std::string bytes = sip_message({
      "OPTIONS sip:b@example.com SIP/2.0",
      "vIA: SIP/2.0/UDP h.example.com;branch=z9hG4bK1",
      "FROM: <sip:a@example.com>;tag=1",
      "to: <sip:b@example.com>",
      "CALL-id: abc",
      "cseq: 3 OPTIONS",
      "MAX-FORWARDS: 9",
  });
  auto m = parse_datagram(bytes);
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_EQ(m->headers[0].name, "vIA");
  EXPECT_EQ(m->max_forwards, 9);
  EXPECT_EQ(m->cseq.number, 3u);
}

TEST(ParserHeaders, FoldedValuesAreUnfoldedAndOrderIsKept) {
  const std::string bytes = sip_message({
      "INVITE sip:bob@example.com SIP/2.0",
      "Via: SIP  /   2.0",
      " /UDP",
      "    192.0.2.2;branch=390skdjuw",
      "From: <sip:a@example.com>",
      "  ;",
      "  tag = 98asjd8",
      "To: <sip:bob@example.com>",
      "Call-ID: fold@example.com",
      "cseq: 0009",
      "\tINVITE",
      "X-Long: one",
      " two",
      "\tthree",
      "Route: <sip:r1.example.com;lr>",
      "Route: <sip:r2.example.com;lr>, <sip:r3.example.com;lr>",
  });
  auto m = parse_datagram(bytes);
  ASSERT_TRUE(m) << m.error().reason;
  ASSERT_EQ(m->vias.size(), 1u);
  EXPECT_EQ(m->vias[0].transport, "UDP");
  EXPECT_EQ(m->vias[0].host, "192.0.2.2");
  EXPECT_EQ(m->vias[0].branch, "390skdjuw");
  EXPECT_EQ(m->from.tag(), "98asjd8");
  EXPECT_EQ(m->cseq.number, 9u);
  EXPECT_EQ(m->cseq.method, "INVITE");
  const Header* x = m->find(HeaderId::kOther);
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->value, "one two\tthree");
  EXPECT_EQ(x->raw, "X-Long: one\r\n two\r\n\tthree\r\n");
  ASSERT_EQ(m->routes.size(), 3u);
  EXPECT_EQ(m->routes[0].uri.host, "r1.example.com");
  EXPECT_EQ(m->routes[2].uri.host, "r3.example.com");
}

TEST(ParserTyped, RegisterFieldsAreTyped) {
  const std::string bytes = hardline::test::typical_register();  // outlives the message
  auto m = parse_datagram(bytes);
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_TRUE(m->is_request);
  EXPECT_EQ(m->method, Method::kRegister);
  EXPECT_EQ(m->request_uri.host, "example.com");
  ASSERT_EQ(m->vias.size(), 1u);
  EXPECT_EQ(m->vias[0].host, "192.0.2.10");
  EXPECT_EQ(m->vias[0].port, 5060);
  EXPECT_TRUE(m->vias[0].has_rport);
  EXPECT_FALSE(m->vias[0].rport);
  EXPECT_EQ(m->from.uri.user, "201");
  EXPECT_EQ(display_name_text(m->from), "Desk 201");
  EXPECT_EQ(m->from.tag(), "8a3b9c2d");
  EXPECT_FALSE(m->to.tag());
  EXPECT_EQ(m->call_id, "9f2c1d7e5a3b4c6d8e0f1a2b3c4d5e6f");
  EXPECT_EQ(m->cseq.number, 2u);
  EXPECT_EQ(m->max_forwards, 70);
  EXPECT_EQ(m->expires, 3600u);
  ASSERT_EQ(m->contacts.size(), 1u);
  EXPECT_EQ(m->contacts[0].expires, 3600u);
  EXPECT_EQ(m->contacts[0].address.uri.params.find("transport"), "udp");
  EXPECT_EQ(m->contacts[0].address.params.find("+sip.instance"),
            "\"<urn:uuid:00000000-0000-1000-8000-0004f2a1b2c3>\"");
  EXPECT_EQ(m->allow.size(), 10u);
  EXPECT_EQ(m->supported.size(), 3u);
  EXPECT_EQ(m->user_agent, "DeskPhone");
  ASSERT_EQ(m->authorizations.size(), 1u);
  EXPECT_TRUE(m->authorizations[0].is_digest);
  EXPECT_EQ(m->authorizations[0].digest.username, "201");
  EXPECT_EQ(m->authorizations[0].digest.nc, "00000001");
  EXPECT_EQ(m->content_length, 0u);
  EXPECT_TRUE(m->body.empty());
}

TEST(ParserBody, DatagramFraming) {
  const std::string start = "MESSAGE sip:b@example.com SIP/2.0";
  {
    const std::string bytes =
        request(start, {"CSeq: 1 MESSAGE", "Content-Length: 5"}, "helloEXTRA");
    auto m = parse_datagram(bytes);
    ASSERT_TRUE(m) << m.error().reason;
    EXPECT_EQ(m->body, "hello") << "bytes after Content-Length are ignored (RFC 3261 §18.3)";
  }
  {
    const std::string bytes = request(start, {"CSeq: 1 MESSAGE"}, "the rest\r\nof it");
    auto m = parse_datagram(bytes);
    ASSERT_TRUE(m) << m.error().reason;
    EXPECT_EQ(m->body, "the rest\r\nof it") << "no Content-Length: the rest of the datagram";
  }
  {
    std::string body("a\0b\nc", 5);
    const std::string bytes = request(start, {"CSeq: 1 MESSAGE", "l: 5"}, body);
    auto m = parse_datagram(bytes);
    ASSERT_TRUE(m) << m.error().reason;
    EXPECT_EQ(m->body, body) << "NUL and bare LF in a body are just bytes";
  }
  {
    const std::string bytes = request(start, {"CSeq: 1 MESSAGE", "Content-Length: 50"}, "short");
    auto m = parse_datagram(bytes);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().status, 400);
    EXPECT_EQ(m.error().code, ParseErrorCode::kBadContentLength);
  }
}

TEST(ParserLimits, EachLimitHasADefinedAnswer) {
  Limits small;
  small.max_message_size = 600;
  small.max_headers = 8;
  small.max_line_length = 200;
  small.max_uri_length = 100;
  small.max_vias = 3;
  small.max_list_elements = 4;
  const std::string start = "OPTIONS sip:b@example.com SIP/2.0";

  struct LimitRow {
    std::string name;
    std::string bytes;
    int status;
    ParseErrorCode code;
  };
  const std::vector<LimitRow> rows = {
      {"message size",
       request(start, {"CSeq: 1 OPTIONS", "X: " + std::string(150, 'x'),
                       "Y: " + std::string(150, 'y'), "Z: " + std::string(150, 'z')}),
       513, ParseErrorCode::kTooLarge},
      {"header count",
       request(start, {"CSeq: 1 OPTIONS", "X-A: 1", "X-B: 1", "X-C: 1", "X-D: 1", "X-E: 1"}), 400,
       ParseErrorCode::kTooManyHeaders},
      {"line length", request(start, {"CSeq: 1 OPTIONS", "X: " + std::string(250, 'x')}), 400,
       ParseErrorCode::kLineTooLong},
      {"folded line length",
       request(start, {"CSeq: 1 OPTIONS",
                       "X: " + std::string(150, 'x') + "\r\n " + std::string(150, 'x')}),
       400, ParseErrorCode::kLineTooLong},
      {"Request-URI length",
       request("OPTIONS sip:" + std::string(120, 'b') + "@e.com SIP/2.0", {"CSeq: 1 OPTIONS"}), 414,
       ParseErrorCode::kUriTooLong},
      {"URI length in a header",
       request(start, {"CSeq: 1 OPTIONS", "Contact: <sip:" + std::string(120, 'c') + "@e.com>"}),
       400, ParseErrorCode::kBadHeaderValue},
      {"Via count",
       request(start, {"CSeq: 1 OPTIONS", "Via: SIP/2.0/UDP a, SIP/2.0/UDP b, SIP/2.0/UDP c"}), 400,
       ParseErrorCode::kTooManyVias},
      {"list elements", request(start, {"CSeq: 1 OPTIONS", "Allow: A, B, C, D, E"}), 400,
       ParseErrorCode::kBadHeaderValue},
      {"list elements over several fields",
       request(start, {"CSeq: 1 OPTIONS", "Route: <sip:r1.example.com;lr>, <sip:r2.example.com;lr>",
                       "Route: <sip:r3.example.com;lr>, <sip:r4.example.com;lr>",
                       "Route: <sip:r5.example.com;lr>"}),
       400, ParseErrorCode::kBadHeaderValue},
      {"Contact elements over several fields",
       request(start, {"CSeq: 1 OPTIONS", "Contact: <sip:a@h1>, <sip:a@h2>, <sip:a@h3>",
                       "m: <sip:a@h4>, <sip:a@h5>"}),
       400, ParseErrorCode::kBadHeaderValue},
  };
  for (const LimitRow& row : rows) {
    SCOPED_TRACE(row.name);
    auto m = parse_datagram(row.bytes, small);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().status, row.status) << m.error().reason;
    EXPECT_EQ(error_code_name(m.error().code), error_code_name(row.code)) << m.error().reason;
    // The same message within default limits parses, so the limit is what refused it.
    EXPECT_TRUE(parse_datagram(row.bytes)) << "default limits should accept it";
  }
}

TEST(ParserLimits, OversizedResponseIsDropped) {
  Limits small;
  small.max_message_size = 100;
  const std::string bytes = response("SIP/2.0 200 OK", "X: " + std::string(200, 'x') + "\r\n");
  auto m = parse_datagram(bytes, small);
  ASSERT_FALSE(m);
  EXPECT_TRUE(m.error().drop());
  EXPECT_EQ(m.error().code, ParseErrorCode::kTooLarge);
}

TEST(ParserErrors, ReasonsNeverEchoInput) {
  // A reason may go into a response's reason phrase and into logs: it must never carry
  // attacker-chosen bytes such as CRLF or the value of a header.
  const std::vector<std::string> inputs = {
      request("INVITE sip:b@example.com SIP/2.0", {"CSeq: 1 INVITE", "Max-Forwards: 99999EVIL"}),
      request("INVITE sip:EVIL%zz@example.com SIP/2.0", {"CSeq: 1 INVITE"}),
      request("INVITE sip:b@example.com SIP/2.0", {"CSeq: 1 EVIL"}),
      request("INVITE sip:b@example.com SIP/2.0", {"CSeq: 1 INVITE", "EV(IL: x"}),
  };
  for (const std::string& input : inputs) {
    auto m = parse_datagram(input);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().reason.find("EVIL"), std::string::npos) << m.error().reason;
    EXPECT_EQ(m.error().reason.find_first_of("\r\n"), std::string::npos);
  }
}

TEST(ParserErrors, EveryCodeHasAName) {
  for (int i = 0; i < static_cast<int>(ParseErrorCode::kCount); ++i) {
    EXPECT_FALSE(error_code_name(static_cast<ParseErrorCode>(i)).empty()) << i;
  }
}

TEST(ParserMessage, ViewsSurviveAMove) {
  // Unfolded values live in the message's own storage; moving the message must not move them.
  const std::string bytes =
      request("OPTIONS sip:b@example.com SIP/2.0", {"CSeq: 1 OPTIONS", "X-Folded: one", " two"});
  auto parsed = parse_datagram(bytes);
  ASSERT_TRUE(parsed) << parsed.error().reason;
  std::vector<Message> moved;
  moved.push_back(std::move(*parsed));
  moved.reserve(8);  // relocates the Message itself
  const Header* h = nullptr;
  for (const Header& header : moved[0].headers) {
    if (header.name == "X-Folded") h = &header;
  }
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->value, "one two");
}
