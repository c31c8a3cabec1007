// The serializer writes back what it did not change byte for byte, and edits canonically.

#include "sip/serializer.h"

#include <gtest/gtest.h>

#include "sip/parser.h"
#include "support/sip_messages.h"

using namespace hardline::sip;

TEST(Serializer, UnchangedMessagesComeBackIdentical) {
  for (const std::string& bytes :
       {hardline::test::typical_register(), hardline::test::typical_invite()}) {
    auto m = parse_datagram(bytes);
    ASSERT_TRUE(m) << m.error().reason;
    EXPECT_EQ(serialize(*m), bytes);
  }
}

TEST(Serializer, FoldingAndOddSpellingArePreserved) {
  std::string bytes =
      "OPTIONS sip:b@example.com SIP/2.0\r\n"
      "vIa  :  SIP/2.0/UDP h.example.com\r\n ;branch=z9hG4bK1\r\n"
      "f: <sip:a@example.com>;tag=1\r\nt:<sip:b@example.com>\r\ni: x\r\nCSeq: 1 OPTIONS\r\n\r\n";
  auto m = parse_datagram(bytes);
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_EQ(serialize(*m), bytes);
}

TEST(Serializer, EditsAreWrittenCanonicallyInPlaceOfTheOriginals) {
  const std::string bytes = hardline::test::typical_register();  // outlives the message
  auto m = parse_datagram(bytes);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->remove_headers(HeaderId::kUserAgent), 1u);
  EXPECT_EQ(m->remove_headers(HeaderId::kAuthorization), 1u);
  m->add_header(HeaderId::kServer, "Hardline");
  m->add_header("X-Custom", "1");
  std::string out = serialize(*m);
  EXPECT_EQ(out.find("User-Agent"), std::string::npos);
  EXPECT_EQ(out.find("Authorization"), std::string::npos);
  EXPECT_NE(out.find("\r\nServer: Hardline\r\nX-Custom: 1\r\n\r\n"), std::string::npos);
  // What comes out parses again and keeps the typed values that were not edited.
  auto again = parse_datagram(out);
  ASSERT_TRUE(again) << again.error().reason;
  EXPECT_EQ(again->call_id, m->call_id);
  EXPECT_EQ(again->server, "Hardline");
  EXPECT_TRUE(again->authorizations.empty());
}

TEST(Serializer, ANewStartLineIsBuiltFromTheFields) {
  const std::string bytes =
      "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b.com>;tag=1\r\n"
      "To: <sip:c@d.com>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
  auto m = parse_datagram(bytes);
  ASSERT_TRUE(m) << m.error().reason;
  m->start_line = {};
  m->status = 183;
  m->reason = "Session Progress";
  std::string out = serialize(*m);
  EXPECT_EQ(out.substr(0, out.find("\r\n")), "SIP/2.0 183 Session Progress");
  auto again = parse_datagram(out);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 183);
}
