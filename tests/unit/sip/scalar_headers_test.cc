// Scalar headers: CSeq, Max-Forwards, Expires, Content-Length, Content-Type, Call-ID, Date,
// Retry-After, Warning (RFC 3261 §20, §25.1; RFC 4475).

#include "sip/scalar_headers.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

using namespace hardline::sip;
using namespace std::string_view_literals;

namespace {

TEST(CSeqTest, ParsesValidValues) {
  struct Case {
    std::string_view input;
    uint32_t number;
    std::string_view method;
  };
  constexpr Case kCases[] = {
      {"4711 INVITE", 4711, "INVITE"},
      {"1 REGISTER", 1, "REGISTER"},
      {"0 ACK", 0, "ACK"},
      {"4294967295 BYE", 4294967295u, "BYE"},
      {"0009 INVITE", 9, "INVITE"},    // RFC 4475 §3.1.1.1 wsinv
      {"0009   INVITE", 9, "INVITE"},  // ... its folded form, unfolded
      {"  101\tOPTIONS  ", 101, "OPTIONS"},
      {"1 invite", 1, "invite"},  // the method is case-sensitive and kept as is
      {"139122385 !interesting-Method0123456789_*+`.%indeed'~", 139122385,
       "!interesting-Method0123456789_*+`.%indeed'~"},  // RFC 4475 §3.1.1.2 intmeth
      {"29344 RE%47IST%45R", 29344, "RE%47IST%45R"},    // RFC 4475 §3.1.1.5 esc02
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.input);
    auto cseq = parse_cseq(row.input);
    ASSERT_TRUE(cseq.has_value()) << cseq.error().what;
    EXPECT_EQ(cseq->number, row.number);
    EXPECT_EQ(cseq->method, row.method);
  }
}

TEST(CSeqTest, RejectsInvalidValues) {
  constexpr std::string_view kCases[] = {
      "4294967296 INVITE",
      "36893488147419103232 REGISTER",   // RFC 4475 §3.1.2.4 scalar02
      "9292394834772304023312 OPTIONS",  // RFC 4475 §3.1.2.5 scalarlg
      "",
      "INVITE",
      "1",
      "1 ",
      "1INVITE",
      "-1 INVITE",
      "+1 INVITE",
      "1.5 INVITE",
      "0x10 INVITE",
      "1 INV ITE",
      "1 INVITE extra",
      "1 INV;ITE",
      "1 \"INVITE\"",
      "1,2 INVITE",
      " INVITE 1",
  };
  for (std::string_view input : kCases) {
    SCOPED_TRACE(input);
    EXPECT_FALSE(parse_cseq(input).has_value());
  }
}

TEST(MaxForwardsTest, ParsesAndRejects) {
  struct Case {
    std::string_view input;
    bool ok;
    uint8_t value;
  };
  constexpr Case kCases[] = {
      {"0", true, 0},  // RFC 4475 §3.3.11 zeromf
      {"70", true, 70},
      {"255", true, 255},
      {"0068", true, 68},  // RFC 4475 §3.1.1.1 wsinv
      {"  70  ", true, 70},
      {"256", false, 0},
      {"300", false, 0},  // RFC 4475 §3.1.2.4 scalar02
      {"99999999999999999999999", false, 0},
      {"", false, 0},
      {"-1", false, 0},
      {"abc", false, 0},
      {"7 0", false, 0},
      {"70;x", false, 0},
      {"1.0", false, 0},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.input);
    auto mf = parse_max_forwards(row.input);
    ASSERT_EQ(mf.has_value(), row.ok);
    if (row.ok) {
      EXPECT_EQ(*mf, row.value);
    }
  }
}

TEST(DeltaSecondsTest, ParsesAndRejects) {
  struct Case {
    std::string_view input;
    bool ok;
    uint32_t value;
  };
  constexpr Case kCases[] = {
      {"0", true, 0},
      {"3600", true, 3600},
      {" 60 ", true, 60},
      {"4294967295", true, 4294967295u},
      {"000000000000000000000000000000000001", true, 1},
      {"4294967296", false, 0},
      // RFC 4475 §3.1.2.4 scalar02 Expires.
      {"10000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
       "000000000000000",
       false, 0},
      {"", false, 0},
      {"-1", false, 0},
      {"60s", false, 0},
      {"6 0", false, 0},
      {"Thu, 01 Dec 1994 16:00:00 GMT", false, 0},  // SIP dropped the date form (§20.19)
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.input);
    auto v = parse_delta_seconds(row.input);
    ASSERT_EQ(v.has_value(), row.ok);
    if (row.ok) {
      EXPECT_EQ(*v, row.value);
    }
  }
}

TEST(ContentLengthTest, ParsesAndRejects) {
  struct Case {
    std::string_view input;
    bool ok;
    uint32_t value;
  };
  constexpr Case kCases[] = {
      {"0", true, 0},
      {"150", true, 150},
      {" 349 ", true, 349},
      {"0150", true, 150},
      {"4294967295", true, 4294967295u},
      {"4294967296", false, 0},
      {"-999", false, 0},  // RFC 4475 §3.1.2.3 ncl
      {"-0", false, 0},
      {"+1", false, 0},
      {"five", false, 0},
      {"", false, 0},
      {"1 5", false, 0},
      {"15,16", false, 0},
      {"1e3", false, 0},
      {"0x10", false, 0},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.input);
    auto v = parse_content_length(row.input);
    ASSERT_EQ(v.has_value(), row.ok);
    if (row.ok) {
      EXPECT_EQ(*v, row.value);
    }
  }
}

TEST(MediaTypeTest, ParsesValidValues) {
  struct Case {
    std::string_view input;
    std::string_view type;
    std::string_view subtype;
    std::string_view params;
  };
  constexpr Case kCases[] = {
      {"application/sdp", "application", "sdp", ""},
      {"  application/sdp  ", "application", "sdp", ""},
      {"application / sdp", "application", "sdp", ""},  // SLASH = SWS "/" SWS
      {"text/html; charset=ISO-8859-4", "text", "html", " charset=ISO-8859-4"},
      {"multipart/signed;protocol=\"application/pkcs7-signature\";micalg=sha1;boundary=boundary42",
       "multipart", "signed",
       "protocol=\"application/pkcs7-signature\";micalg=sha1;boundary=boundary42"},
      {"multipart/mixed;boundary=\"a;b\"", "multipart", "mixed", "boundary=\"a;b\""},
      {"application/unknownformat", "application", "unknownformat", ""},  // RFC 4475 invut
      {"message/sipfrag;version=2.0", "message", "sipfrag", "version=2.0"},
      {"Application/SDP", "Application", "SDP", ""},
      {"application/vnd.3gpp.sms+xml", "application", "vnd.3gpp.sms+xml", ""},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.input);
    auto mt = parse_media_type(row.input);
    ASSERT_TRUE(mt.has_value()) << mt.error().what;
    EXPECT_EQ(mt->type, row.type);
    EXPECT_EQ(mt->subtype, row.subtype);
    EXPECT_EQ(mt->params.text(), row.params);
  }
}

TEST(MediaTypeTest, ParametersAreFound) {
  auto mt = parse_media_type("multipart/mixed; Boundary=\"a;b\" ; charset=utf-8");
  ASSERT_TRUE(mt.has_value()) << mt.error().what;
  EXPECT_EQ(mt->params.find("boundary"), std::optional<std::string_view>("\"a;b\""));
  EXPECT_EQ(mt->params.find("CHARSET"), std::optional<std::string_view>("utf-8"));
  EXPECT_FALSE(mt->params.has("b"));
}

TEST(MediaTypeTest, RejectsInvalidValues) {
  constexpr std::string_view kCases[] = {
      "",
      "application",
      "application/",
      "/sdp",
      "/",
      "application/sdp/x",
      "appli cation/sdp",
      "application/s dp",
      "application/sdp;",
      "application/sdp;;a=b",
      "application/sdp;a=",
      "application/sdp;a=\"x",
      "application/sdp;a=b c",
      "\"application\"/sdp",
      "application/sdp,text/plain",
      ";a=b",
  };
  for (std::string_view input : kCases) {
    SCOPED_TRACE(input);
    EXPECT_FALSE(parse_media_type(input).has_value());
  }
}

TEST(CallIdTest, Validates) {
  struct Case {
    std::string_view input;
    bool ok;
  };
  constexpr Case kCases[] = {
      {"f81d4fae-7dec-11d0-a765-00a0c91e6bf6@foo.bar.com", true},
      {"a84b4c76e66710", true},
      {"wsinv.ndaksdj@192.0.2.1", true},
      {"intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{", true},  // RFC 4475 §3.1.1.2
      {"a@[2001:db8::1]", true},
      {"", false},
      {"a b", false},
      {"a b@c", false},
      {"a@b c", false},
      {"a@b@c", false},
      {"@b", false},
      {"a@", false},
      {"@", false},
      {"a;b", false},
      {"a,b", false},
      {"a=b", false},
      {"a\tb", false},
      {"a\0b"sv, false},
      {"caf\xc3\xa9@x", false},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(testing::PrintToString(std::string(row.input)));
    EXPECT_EQ(is_call_id(row.input), row.ok);
  }
}

TEST(SipDateTest, Validates) {
  struct Case {
    std::string_view input;
    bool ok;
  };
  constexpr Case kCases[] = {
      {"Sat, 13 Nov 2010 23:29:00 GMT", true},
      {"Thu, 21 Feb 2002 13:02:03 GMT", true},
      {"Fri, 01 Jan 2010 16:00:00 GMT", true},
      {"Sun, 06 Nov 1994 08:49:37 GMT", true},
      {"Mon, 31 Dec 1999 00:00:00 GMT", true},
      {"Tue, 30 Jun 2015 23:59:60 GMT", true},   // a leap second
      {"Fri, 01 Jan 2010 16:00:00 EST", false},  // RFC 4475 §3.1.2.12 baddate
      {"Fri, 01 Jan 2010 16:00:00 gmt", false},
      {"Fri, 01 Jan 2010 16:00:00 UTC", false},
      {"Fri, 01 Jan 2010 16:00:00", false},
      {"Fri, 01 Jan 2010 16:00:00 GMT ", false},
      {" Fri, 01 Jan 2010 16:00:00 GMT", false},
      {"Fri, 1 Jan 2010 16:00:00 GMT", false},  // date1 = 2DIGIT
      {"Fri, 00 Jan 2010 16:00:00 GMT", false},
      {"Fri, 32 Jan 2010 16:00:00 GMT", false},
      {"Fri, 01 Jab 2010 16:00:00 GMT", false},
      {"Fri, 01 jan 2010 16:00:00 GMT", false},
      {"Fru, 01 Jan 2010 16:00:00 GMT", false},
      {"Friday, 01 Jan 2010 16:00:00 GMT", false},
      {"Fri 01 Jan 2010 16:00:00 GMT", false},
      {"Fri, 01 Jan 20x0 16:00:00 GMT", false},
      {"Fri, 01 Jan 2010 24:00:00 GMT", false},
      {"Fri, 01 Jan 2010 16:60:00 GMT", false},
      {"Fri, 01 Jan 2010 16:00:61 GMT", false},
      {"Fri, 01 Jan 2010 16-00-00 GMT", false},
      {"Fri, 01-Jan-2010 16:00:00 GMT", false},
      {"2010-01-01T16:00:00Z", false},
      {"", false},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.input);
    EXPECT_EQ(is_sip_date(row.input), row.ok);
  }
}

TEST(RetryAfterTest, ParsesValidValues) {
  struct Case {
    std::string_view input;
    uint32_t seconds;
  };
  constexpr Case kCases[] = {
      {"18000", 18000},
      {"0", 0},
      {"  120  ", 120},
      {"4294967295", 4294967295u},
      {"120 (I'm in a meeting)", 120},
      {"120(I'm in a meeting)", 120},
      {"18000;duration=3600", 18000},
      {"18000 ; duration = 3600", 18000},
      {"120 (I'm in a meeting);duration=3600", 120},
      {"120 (I'm in a meeting) ;duration=3600;x-flag", 120},
      {"120 (nested (comment) here)", 120},
      {"120 (escaped \\) paren)", 120},
      {"120 ()", 120},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.input);
    auto v = parse_retry_after(row.input);
    ASSERT_TRUE(v.has_value()) << v.error().what;
    EXPECT_EQ(*v, row.seconds);
  }
}

TEST(RetryAfterTest, RejectsInvalidValues) {
  constexpr std::string_view kCases[] = {
      "949302838503028349304023988",  // RFC 4475 §3.1.2.5 scalarlg
      "4294967296",
      "",
      "abc",
      "-1",
      "(comment) 120",
      "120 (unclosed",
      "120 (a (b)",
      "120 (escaped \\)",
      "120 junk",
      "120 (ok) junk",
      "120;",
      "120;;duration=1",
      "120;duration=",
      "120;duration=1;",
      "120 ;=1",
      "Fri, 01 Jan 2010 16:00:00 GMT",
  };
  for (std::string_view input : kCases) {
    SCOPED_TRACE(input);
    EXPECT_FALSE(parse_retry_after(input).has_value());
  }
}

TEST(WarningTest, Validates) {
  struct Case {
    std::string_view input;
    bool ok;
  };
  constexpr Case kCases[] = {
      {"399 example.com \"x\"", true},
      {"301 isi.edu \"Incompatible network address type 'E.164'\"", true},
      {"307 isi.edu \"Session parameter 'foo' not understood\"", true},
      {"399 192.0.2.1:5060 \"\"", true},
      {"399 [2001:db8::1]:5060 \"Bad, \\\"quoted\\\" text\"", true},
      {"399 - \"pseudonym agent\"", true},
      {"399 example.com:5060 \"x\"", true},
      {"1812 overture \"In Progress\"", false},  // RFC 4475 §3.1.2.5 scalarlg: 4-digit code
      {"39 example.com \"x\"", false},
      {"3a9 example.com \"x\"", false},
      {"399 example.com", false},
      {"399 example.com ", false},
      {"399 example.com x", false},
      {"399 example.com \"unterminated", false},
      {"399 example.com \"x\" trailing", false},
      {"399  \"x\"", false},      // no warn-agent
      {"399 a\"b \"x\"", false},  // warn-agent = hostport / pseudonym (token)
      {"399 exa,mple.com \"x\"", false},
      {"399 agent;x \"x\"", false},
      {"399 user@example.com \"x\"", false},
      {"399\texample.com \"x\"", false},
      {"399", false},
      {"", false},
  };
  for (const Case& row : kCases) {
    SCOPED_TRACE(row.input);
    EXPECT_EQ(is_warning_value(row.input), row.ok);
  }
}

}  // namespace
